//! Time to first playable: a 60 s 720p upload, from the upload's answer to
//! its 360p file being listed in the API and served by the web seed.
//!
//! Starts a node with the default ladder (360p, 720p) and default preset,
//! uploads an ffmpeg-generated 60 s 720p/30 fps MP4 with audio, and polls.
//! Prints seconds to first playable (goal: under the video's 60 s), seconds
//! until the 720p file joins, and the node's CPU-seconds.
//!
//! Run: `cargo bench -p shoal-tests --bench first_playable`
//! Knob: SHOAL_BENCH_SECONDS (60) for the video's duration.

use anyhow::{bail, Context, Result};
use shoal_tests::media::ffmpeg_mp4;
use shoal_tests::proc_stats::cpu_seconds;
use shoal_tests::NodeBuilder;
use std::time::{Duration, Instant};

fn has_resolution(video: &serde_json::Value, height: u64) -> bool {
    video["files"].as_array().is_some_and(|files| files.iter().any(|f| f["resolution"]["id"].as_u64() == Some(height)))
}

fn main() -> Result<()> {
    let secs: f64 = std::env::var("SHOAL_BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(60.0);
    let mut ladder = toml::Table::new();
    ladder.insert("height".into(), 360.into());
    ladder.insert("bitrate_kbps".into(), 500.into());
    let mut hi = toml::Table::new();
    hi.insert("height".into(), 720.into());
    hi.insert("bitrate_kbps".into(), 1500.into());
    let node = NodeBuilder::new()
        .set("log.level", "warn")
        .set("transcoding.threads", 0)
        .set("transcoding.ladder", toml::Value::Array(vec![ladder.into(), hi.into()]))
        .start()?;
    let pid = node.pid().context("node pid")?;
    let file = node.scratch().join("source-720p.mp4");
    eprintln!("generating a {secs} s 720p30 source with ffmpeg...");
    ffmpeg_mp4(&file, 1280, 720, 30, secs, true)?;
    let admin = node.admin()?;
    let cpu0 = cpu_seconds(pid);
    let upload_started = Instant::now();
    let video = admin.upload(&file, "first playable bench")?;
    let uploaded = Instant::now();
    eprintln!("upload answered after {:.1} s; waiting for 360p", (uploaded - upload_started).as_secs_f64());
    let id = video.uuid.clone();
    let limit = Duration::from_secs_f64(secs * 10.0);
    let v = admin.wait_video(&id, limit, "playable at 360p", |v| Ok(has_resolution(v, 360)))?;
    let file_url = v["files"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["resolution"]["id"].as_u64() == Some(360)))
        .and_then(|f| f["fileUrl"].as_str())
        .context("360p fileUrl")?
        .to_string();
    let resp = admin.http().get(&file_url).header("Range", "bytes=0-65535").send()?;
    if resp.status().as_u16() != 206 {
        bail!("360p file not served: {}", resp.status());
    }
    let first = uploaded.elapsed().as_secs_f64();
    let cpu_first = cpu_seconds(pid) - cpu0;
    admin.wait_video(&id, limit, "transcoded at 720p", |v| Ok(has_resolution(v, 720)))?;
    let all = uploaded.elapsed().as_secs_f64();
    let cpu_all = cpu_seconds(pid) - cpu0;
    println!(
        "first playable: {secs:.0} s 720p30 upload -> 360p listed and served in {first:.1} s ({:.2}x the video's duration; goal < 1.0), node CPU {cpu_first:.1} s; 720p joined at {all:.1} s, node CPU {cpu_all:.1} s",
        first / secs
    );
    Ok(())
}
