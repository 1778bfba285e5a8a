//! Upload memory: peak RSS of the node while it receives a 1 GiB upload.
//!
//! Starts a node (child process), measures its idle RSS, then uploads a
//! generated ~1 GiB Y4M with curl (which streams from disk) to
//! `POST /api/v1/videos/upload`, sampling the node's VmRSS every 10 ms until
//! the upload is answered. Prints idle, peak and peak−idle. Goal: < 100 MiB.
//!
//! Run: `cargo bench -p shoal-tests --bench upload_memory`
//! Knob: SHOAL_BENCH_UPLOAD_MIB (1024).

use anyhow::{bail, Context, Result};
use shoal_tests::media::write_y4m;
use shoal_tests::proc_stats::rss_kib;
use shoal_tests::NodeBuilder;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> Result<()> {
    let mib: u64 = std::env::var("SHOAL_BENCH_UPLOAD_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    let node = NodeBuilder::new().set("log.level", "warn").start()?;
    let admin = node.admin()?;
    let channel = admin.default_channel_id()?;
    let pid = node.pid().context("node pid")?;

    // 1280x720 4:2:0 frames are 1,382,400 bytes (+6 for "FRAME\n").
    let frames = ((mib << 20) / 1_382_406).max(1) as u32;
    let file = node.scratch().join("big.y4m");
    eprintln!("writing a {mib} MiB Y4M ({frames} frames of 720p)...");
    let size = write_y4m(&file, 1280, 720, 30, frames)?;

    std::thread::sleep(Duration::from_secs(1));
    let idle = (0..10)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(50));
            rss_kib(pid)
        })
        .max()
        .unwrap_or(0);

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(rss_kib(pid));
                std::thread::sleep(Duration::from_millis(10));
            }
            peak
        })
    };
    let started = Instant::now();
    let out = Command::new("curl")
        .args(["-sS", "-o", "-", "-w", "\n%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {}", admin.token().unwrap_or_default()))
        .args(["-F", &format!("channelId={channel}"), "-F", "name=upload memory bench", "-F", "privacy=1"])
        .arg("-F")
        .arg(format!("videofile=@{};type=video/x-yuv4mpeg", file.display()))
        .arg(node.url("/api/v1/videos/upload"))
        .output()
        .context("running curl")?;
    let secs = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap_or(0);
    let body = String::from_utf8_lossy(&out.stdout);
    let Some((json, status)) = body.trim_end().rsplit_once('\n') else { bail!("no answer from curl: {body}") };
    if status != "200" {
        bail!("upload failed ({status}): {json}");
    }
    // The node must have stored the whole file: until transcoded, files[0]
    // describes the received upload.
    let answer: serde_json::Value = serde_json::from_str(json).context("upload answer")?;
    let uuid = answer["video"]["uuid"].as_str().context("video.uuid")?;
    let video = admin.video(uuid)?;
    let stored = video["files"][0]["size"].as_u64().unwrap_or(0);
    if stored != size {
        bail!("the node stored {stored} bytes of {size}: {video}");
    }
    println!(
        "upload memory: {:.0} MiB uploaded in {secs:.1} s ({:.0} MB/s); node RSS idle {:.1} MiB, peak {:.1} MiB, peak-idle {:.1} MiB (goal < 100 MiB)",
        size as f64 / 1048576.0,
        size as f64 / secs / 1e6,
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak.saturating_sub(idle)) as f64 / 1024.0
    );
    Ok(())
}
