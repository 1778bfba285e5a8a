//! The reference WebTorrent stack of the offload benchmark, as a child process in a
//! [`NetNs`]: `tests/scripts/reference_stack.mjs` (npm `bittorrent-tracker`'s server, a
//! plain web seed throttled to a total rate, the stock webtorrent player). Killed on drop.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::netns::NetNs;
use crate::tools::tests_dir;

/// A running reference stack.
pub struct ReferenceStack {
    child: Child,
    /// The stock player's page for the video.
    pub page: String,
    /// `GET` answers `{"webSeedBytes"}`.
    stats: String,
}

impl ReferenceStack {
    /// Serves `video` (with the pieces of `torrent`) from a web seed capped at `rate`
    /// bytes a second in total, with its own tracker and player page.
    pub fn start(netns: &NetNs, video: &Path, torrent: &Path, rate: u64) -> Result<ReferenceStack> {
        let ui_dir = tests_dir().join("../web/ui");
        let mut child = netns
            .command("node")
            .arg(tests_dir().join("scripts/reference_stack.mjs"))
            .arg(video)
            .arg(torrent)
            .arg(rate.to_string())
            .arg(&ui_dir)
            .current_dir(tests_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting tests/scripts/reference_stack.mjs")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout pipe"))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the reference stack did not start within 30 s");
            }
        };
        let ready: Value = match serde_json::from_str(line.trim()) {
            Ok(value) => value,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the reference stack printed {line:?}: {e}");
            }
        };
        let field = |key: &str| ready[key].as_str().map(str::to_owned).ok_or_else(|| anyhow!("no {key} in {ready}"));
        let (page, stats) = match (field("page"), field("stats")) {
            (Ok(page), Ok(stats)) => (page, stats),
            (Err(e), _) | (_, Err(e)) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        Ok(ReferenceStack { child, page, stats })
    }

    /// Bytes its web seed has sent.
    pub fn web_seed_bytes(&self) -> Result<f64> {
        let stats: Value = reqwest::blocking::Client::new()
            .get(&self.stats)
            .timeout(Duration::from_secs(10))
            .send()
            .and_then(reqwest::blocking::Response::json)
            .context("reading the reference stack's /stats")?;
        stats["webSeedBytes"].as_f64().ok_or_else(|| anyhow!("no webSeedBytes in {stats}"))
    }
}

impl Drop for ReferenceStack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
