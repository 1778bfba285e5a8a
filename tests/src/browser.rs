//! Watch pages in real browsers: runs `tests/scripts/watch_browsers.mjs` (playwright-core
//! driving Debian's `/usr/bin/chromium`, one Chromium process and profile per viewer)
//! inside a [`NetNs`], and parses what each page's `window.shoalStats` said over time.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

use crate::media::ffmpeg_noisy_mp4;
use crate::netns::NetNs;
use crate::node::TestNode;
use crate::tools::{run_with_timeout, tests_dir};

/// Debian's Chromium, installed by `scripts/setup.sh`.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// One browser opening one page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub url: String,
    /// Delay after the first viewer's start.
    pub start_after: Duration,
    /// Removes `RTCPeerConnection` before the page runs (a browser without WebRTC).
    pub no_webrtc: bool,
    /// Blocks service workers (a browser where they are unavailable).
    pub block_service_workers: bool,
    /// Aborts the web seed's closed-range requests (webtorrent's pieces) but lets plain
    /// HTTP playback through: a torrent that cannot start.
    pub refuse_web_seed_pieces: bool,
}

impl Viewer {
    pub fn new(url: impl Into<String>, start_after: Duration) -> Viewer {
        Viewer {
            url: url.into(),
            start_after,
            no_webrtc: false,
            block_service_workers: false,
            refuse_web_seed_pieces: false,
        }
    }
}

/// What the pages reported.
#[derive(Debug)]
pub struct WatchReport {
    /// `(viewer, milliseconds since the script started, shoalStats)`, in time order.
    pub samples: Vec<(usize, u64, Value)>,
    /// Each viewer's last `shoalStats`, in viewer order.
    pub last: Vec<Value>,
    /// Each viewer's console messages, in viewer order.
    pub console: Vec<Vec<String>>,
    /// When each viewer's page was opened (milliseconds since the script started).
    pub opened_at: Vec<u64>,
}

impl WatchReport {
    /// How far viewer `i`'s playhead moved between its first sample with a frame and its last sample.
    pub fn playhead_advance(&self, i: usize) -> f64 {
        let times: Vec<f64> = self
            .samples
            .iter()
            .filter(|(v, _, s)| *v == i && !s["firstFrameMs"].is_null())
            .filter_map(|(_, _, s)| s["currentTime"].as_f64())
            .collect();
        match (times.first(), times.last()) {
            (Some(first), Some(last)) => last - first,
            _ => 0.0,
        }
    }

    /// A number from viewer `i`'s last stats (0 when absent).
    pub fn number(&self, i: usize, key: &str) -> f64 {
        self.last.get(i).and_then(|s| s[key].as_f64()).unwrap_or(0.0)
    }

    /// Everything the pages said, for failure messages.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (i, stats) in self.last.iter().enumerate() {
            out.push_str(&format!("viewer {i}: {stats}\n"));
            for line in self.console.get(i).into_iter().flatten().take(40) {
                out.push_str(&format!("  console {line}\n"));
            }
        }
        out
    }
}

/// Fails with set-up advice unless Chromium and playwright-core are installed.
pub fn check_installed() -> Result<()> {
    if !Path::new(CHROMIUM).exists() {
        bail!("{CHROMIUM} is missing: run `bash scripts/setup.sh` (apt-get install chromium)");
    }
    if !tests_dir().join("node_modules/playwright-core").is_dir() {
        bail!("tests/node_modules/playwright-core is missing: run `bash scripts/setup.sh` (npm ci in tests/)");
    }
    Ok(())
}

/// Opens every viewer's page in its own Chromium inside `netns`, watches for `watch`
/// after the last one started, and returns what the pages reported.
pub fn watch(netns: &NetNs, viewers: &[Viewer], watch: Duration, scratch: &Path) -> Result<WatchReport> {
    check_installed()?;
    let plan = json!({
        "chromium": CHROMIUM,
        "watchMs": watch.as_millis() as u64,
        "sampleMs": 1000,
        "viewers": viewers.iter().enumerate().map(|(i, v)| json!({
            "url": v.url,
            "startAfterMs": v.start_after.as_millis() as u64,
            "userDataDir": scratch.join(format!("chromium-profile-{i}")),
            "noWebRTC": v.no_webrtc,
            "blockServiceWorkers": v.block_service_workers,
            "refuseWebSeedPieces": v.refuse_web_seed_pieces,
        })).collect::<Vec<_>>(),
    });
    let plan_path = scratch.join("watch-plan.json");
    std::fs::write(&plan_path, plan.to_string()).context("writing the browser plan")?;
    let last_start = viewers.iter().map(|v| v.start_after).max().unwrap_or_default();
    let timeout = last_start + watch + Duration::from_secs(120);
    let script = tests_dir().join("scripts/watch_browsers.mjs");
    let mut cmd = netns.command("node");
    cmd.arg(&script).arg(&plan_path).current_dir(tests_dir());
    let out = run_with_timeout(&mut cmd, timeout)?;
    let mut report = WatchReport { samples: Vec::new(), last: Vec::new(), console: Vec::new(), opened_at: Vec::new() };
    let mut failure = None;
    for line in out.stdout.lines() {
        let Ok(value) = serde_json::from_str::<Value>(line) else { continue };
        if let Some(sample) = value.get("sample") {
            let viewer = sample["viewer"].as_u64().unwrap_or(0) as usize;
            let t = sample["t"].as_u64().unwrap_or(0);
            report.samples.push((viewer, t, sample["stats"].clone()));
        } else if let Some(last) = value.get("final").and_then(Value::as_array) {
            for entry in last {
                report.last.push(entry["stats"].clone());
                report.opened_at.push(entry["openedAt"].as_u64().unwrap_or(0));
                let console = entry["console"].as_array().into_iter().flatten();
                report.console.push(console.filter_map(|l| l.as_str().map(str::to_owned)).collect());
            }
            failure = value["failure"].as_str().map(str::to_owned);
        }
    }
    if let Some(failure) = failure {
        bail!("the browser script failed: {failure}\n{}\n{}", report.describe(), out.describe());
    }
    if report.last.len() != viewers.len() || !out.status.success() {
        bail!("the browser script reported {} of {} viewers\n{}", report.last.len(), viewers.len(), out.describe());
    }
    Ok(report)
}

/// A published video, ready to be watched.
#[derive(Debug, Clone)]
pub struct WatchableVideo {
    pub uuid: String,
    pub short_uuid: String,
    /// Size of the file the player picks (the highest resolution up to 720p).
    pub size: u64,
    pub file_url: String,
    pub torrent_url: String,
}

impl WatchableVideo {
    /// The file in the node's media folder.
    pub fn file_path(&self, node: &TestNode) -> std::path::PathBuf {
        node.data_dir().join("media").join(last_segment(&self.file_url))
    }

    /// Its `.torrent` in the node's media folder.
    pub fn torrent_path(&self, node: &TestNode) -> std::path::PathBuf {
        node.data_dir().join("media").join(last_segment(&self.torrent_url))
    }
}

fn last_segment(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or_default()
}

/// Uploads `secs` seconds of 426x240 video under noise of strength `noise` as `name`
/// and waits until it is published. The noise sets the file's size (see
/// [`ffmpeg_noisy_mp4`]); measured at 240p: strength 40 gives ~680 kB a second.
pub fn publish_noisy_video(node: &TestNode, name: &str, secs: f64, noise: u32) -> Result<WatchableVideo> {
    let source = node.scratch().join("noisy.mp4");
    ffmpeg_noisy_mp4(&source, 426, 240, 24, secs, noise)?;
    let admin = node.admin()?;
    let upload = admin.upload(&source, name)?;
    let video = admin.wait_published(&upload.uuid, 1, Duration::from_secs(600))?;
    let file = video["files"]
        .as_array()
        .and_then(|files| files.iter().find(|f| f["resolution"]["id"].as_u64().is_some_and(|r| r <= 720)))
        .ok_or_else(|| anyhow!("no playable file in {video:#}"))?;
    Ok(WatchableVideo {
        uuid: upload.uuid,
        short_uuid: upload.short_uuid,
        size: file["size"].as_u64().ok_or_else(|| anyhow!("file without size: {file}"))?,
        file_url: file["fileUrl"].as_str().unwrap_or_default().to_owned(),
        torrent_url: file["torrentUrl"].as_str().unwrap_or_default().to_owned(),
    })
}
