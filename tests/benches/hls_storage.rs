//! Storage per video: Shoal's one-copy layout (each rung is one fragmented MP4 serving the
//! web video, its torrent and HLS) against PeerTube's two-format layout (a fast-start web
//! video beside the HLS fragmented MP4), and what making HLS costs.
//!
//! Starts a node (240p and 480p rungs), uploads an ffmpeg-generated noisy 60 s video with
//! audio, waits for both rungs, then for each rung: Shoal's bytes (the fragmented MP4) and
//! PeerTube's (that file plus the fast-start MP4 `ffmpeg -c copy -movflags +faststart` makes of
//! the same streams, the copy PeerTube's web-video format keeps), and the time that ffmpeg
//! remux takes per minute of video, which is PeerTube's extra step; Shoal's ladder writes the
//! fragments directly, so it has none.
//!
//! Run: `cargo bench -p shoal-tests --bench hls_storage` (or the built binary from `tests/`).
//! Knob: SHOAL_BENCH_SECONDS (60).

use anyhow::{bail, Context, Result};
use shoal_tests::media::ffmpeg_noisy_mp4;
use shoal_tests::NodeBuilder;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() -> Result<()> {
    let secs: f64 = std::env::var("SHOAL_BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(60.0);
    let node = NodeBuilder::new().set("log.level", "warn").ladder_with_bitrates(&[(240, 400), (480, 1200)]).start()?;
    let source = node.scratch().join("source.mp4");
    eprintln!("generating a {secs} s source with ffmpeg...");
    ffmpeg_noisy_mp4(&source, 854, 480, 24, secs, 10)?;
    let admin = node.admin()?;
    let upload = admin.upload(&source, "storage bench")?;
    let video = admin.wait_published(&upload.uuid, 2, Duration::from_secs_f64(secs * 20.0))?;
    let files = video["streamingPlaylists"][0]["files"].as_array().cloned().context("no HLS files")?;
    let (mut shoal_total, mut peertube_total, mut remux_secs) = (0u64, 0u64, 0f64);
    for file in &files {
        let res = file["resolution"]["id"].as_u64().unwrap_or(0);
        let path = node.data_dir().join("media").join(format!("{}-{res}.mp4", upload.uuid));
        let fragmented = std::fs::metadata(&path).with_context(|| format!("{}", path.display()))?.len();
        let web_video = node.scratch().join(format!("web-video-{res}.mp4"));
        let started = Instant::now();
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(&path)
            .args(["-c", "copy", "-movflags", "+faststart"])
            .arg(&web_video)
            .output()?;
        let took = started.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!("ffmpeg remux: {}", String::from_utf8_lossy(&out.stderr));
        }
        let web_size = std::fs::metadata(&web_video)?.len();
        println!(
            "{res}p: Shoal {fragmented} B (one file); PeerTube layout {} B (fragmented {fragmented} + web video \
             {web_size}); remux {:.3} s",
            fragmented + web_size,
            took
        );
        shoal_total += fragmented;
        peertube_total += fragmented + web_size;
        remux_secs += took;
    }
    println!(
        "storage per video: Shoal {shoal_total} B, PeerTube's two formats {peertube_total} B: ratio {:.3}",
        shoal_total as f64 / peertube_total as f64
    );
    println!(
        "HLS remux time per minute of video: Shoal 0 s (the ladder writes fragmented MP4); \
         PeerTube-style ffmpeg -c copy {:.3} s per minute for the {} rungs",
        remux_secs * 60.0 / secs,
        files.len()
    );
    Ok(())
}
