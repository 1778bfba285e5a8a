//! Offload: how much of the viewers' download peers carry, for Shoal's two players against
//! PeerTube's HLS player and the reference WebTorrent stack, on one machine in one run (rounds
//! interleaved: Shoal WebTorrent, Shoal HLS, PeerTube's player, reference).
//!
//! Four headless Chromium viewers (separate processes and profiles) open one ~16 MB video 4 s
//! apart; each stack's web seeds share a 2 MB/s upload budget.
//! - Shoal WebTorrent: the node (tracker, capped web seed via
//!   `web_seed.max_upload_bytes_per_second`) and its watch page (`?player=webtorrent`).
//! - Shoal HLS: the same node and page with `?player=hls` (hls.js with p2p-media-loader 2.2,
//!   segments over the node's tracker and its capped HTTP).
//! - PeerTube's player: the player PeerTube 6 and 7 shipped, in PeerTube's configuration
//!   (`@peertube/p2p-media-loader` 1.0.20, its VOD segment and P2P settings, hls.js 1.5;
//!   `tests/scripts/peertube_player/`), playing the same node's playlist through its tracker.
//! - Reference: npm `bittorrent-tracker`'s server, a plain web seed with the same cap and the
//!   stock webtorrent player with the web seed from the start
//!   (`tests/scripts/reference_stack.mjs`), serving the same file with the same pieces.
//!
//! Printed per stack: the share of all viewers' bytes that came from peers (ceiling (N-1)/N =
//! 0.75 when the first viewer must fetch everything from the server; the issues' goal is
//! 0.675), the later viewers' own share, copies of the file the web seed sent, and each
//! viewer's time to first frame (ms since navigation start).
//!
//!     cargo bench -p shoal-tests --bench offload
//!
//! Needs root (network namespace), Chromium and the npm tools (`scripts/setup.sh`), and the
//! release binary (`cargo build --release -p shoal-node`).

use anyhow::{anyhow, bail, Result};
use shoal_tests::browser::{check_installed, publish_noisy_video, watch, Viewer, WatchReport};
use shoal_tests::netns::NetNs;
use shoal_tests::peertube_player::PeerTubePlayerPage;
use shoal_tests::reference_stack::ReferenceStack;
use shoal_tests::NodeBuilder;
use std::time::Duration;

const VIEWERS: u64 = 4;
const STAGGER: Duration = Duration::from_secs(4);
/// Web-seed budget of each stack, bytes per second in total.
const RATE: u64 = 2_000_000;
/// Watching time after the last viewer opened its page: long enough for every viewer to
/// hold the whole file.
const WATCH: Duration = Duration::from_secs(30);
/// Source: 55 s of noisy 240p, about 16 MB once transcoded.
const SECS: f64 = 55.0;
const NOISE: u32 = 20;
/// Rounds unless `OFFLOAD_ROUNDS` says otherwise.
const ROUNDS: usize = 2;

fn main() {
    if let Err(e) = run() {
        eprintln!("offload: {e:#}");
        std::process::exit(1);
    }
}

/// One stack's figures from one round.
struct Figures {
    share_all: f64,
    share_later: f64,
    server_copies: f64,
    /// What the pages counted from the server, in copies of the file (below `server_copies`
    /// by what was sent but aborted, or fetched outside the players' counters).
    received_copies: f64,
    /// Each viewer's player mode at the end (`p2p`, `http` after a fallback).
    modes: Vec<String>,
    ttff_ms: Vec<f64>,
    complete: Vec<f64>,
}

impl Figures {
    fn new(report: &WatchReport, seed_bytes: f64, size: f64) -> Figures {
        let n = report.last.len();
        let peers = |i: usize| report.number(i, "fromPeers");
        let server = |i: usize| report.number(i, "fromServer");
        let share = |range: std::ops::Range<usize>| {
            let from_peers: f64 = range.clone().map(peers).sum();
            let total: f64 = range.map(|i| peers(i) + server(i)).sum();
            if total > 0.0 {
                from_peers / total
            } else {
                0.0
            }
        };
        Figures {
            share_all: share(0..n),
            share_later: share(1..n),
            server_copies: seed_bytes / size,
            received_copies: (0..n).map(server).sum::<f64>() / size,
            modes: (0..n).map(|i| report.last[i]["mode"].as_str().unwrap_or("?").to_owned()).collect(),
            ttff_ms: (0..n).map(|i| report.last[i]["firstFrameMs"].as_f64().unwrap_or(f64::NAN)).collect(),
            // The webtorrent players' share of the file they hold (the HLS players have none).
            complete: (0..n).map(|i| report.last[i]["progress"].as_f64().unwrap_or(f64::NAN)).collect(),
        }
    }

    fn print(&self, label: &str, report: &WatchReport) {
        if self.ttff_ms.iter().any(|t| t.is_nan()) {
            println!("  {label}: a viewer showed no frame; what the pages said:\n{}", report.describe());
        }
        let ttff: Vec<String> = self.ttff_ms.iter().map(|t| format!("{t:.0}")).collect();
        let done: Vec<String> = self.complete.iter().map(|p| format!("{p:.2}")).collect();
        println!(
            "  {label:<16} peer share (all viewers) {:.3}   later viewers {:.3}   web seed sent {:.2} copies \
             (pages counted {:.2})   first frame ms [{}]   progress [{}]   modes [{}]",
            self.share_all,
            self.share_later,
            self.server_copies,
            self.received_copies,
            ttff.join(", "),
            done.join(", "),
            self.modes.join(", ")
        );
    }
}

fn viewers(url: &str) -> Vec<Viewer> {
    (0..VIEWERS).map(|i| Viewer::new(url, STAGGER * i as u32)).collect()
}

/// The stacks measured, in the order each round runs them.
const STACKS: [&str; 4] = ["Shoal WebTorrent", "Shoal HLS", "PeerTube player", "reference"];

fn run() -> Result<()> {
    check_installed()?;
    let netns = NetNs::create()?;
    netns.run(|| {
        let mut node = NodeBuilder::new()
            .ladder_with_bitrates(&[(240, 2000)])
            .set("web_seed.max_upload_bytes_per_second", RATE as i64)
            .command_prefix(netns.exec_prefix())
            .start()?;
        let video = publish_noisy_video(&node, "offload", SECS, NOISE)?;
        let size = video.size as f64;
        let (file, torrent) = (video.file_path(&node), video.torrent_path(&node));
        if !file.is_file() || !torrent.is_file() {
            bail!("{} or {} is missing", file.display(), torrent.display());
        }
        let master = node.admin()?.video(&video.uuid)?["streamingPlaylists"][0]["playlistUrl"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("the video has no HLS playlist"))?;
        let tracker = node.base_url().replace("http://", "ws://") + "/tracker/socket";
        let peertube_page = PeerTubePlayerPage::start()?;
        let pages = [
            node.url(&format!("/w/{}?player=webtorrent", video.short_uuid)),
            node.url(&format!("/w/{}?player=hls", video.short_uuid)),
            peertube_page.url(&master, &tracker),
        ];
        println!(
            "offload: {VIEWERS} Chromium viewers {} s apart, a {:.1} MB video, web seeds capped at {:.1} MB/s in total",
            STAGGER.as_secs(),
            size / 1e6,
            RATE as f64 / 1e6
        );

        let mut runs: Vec<Vec<Figures>> = STACKS.iter().map(|_| Vec::new()).collect();
        // `OFFLOAD_ONLY=HLS` (a part of a label) measures only the stacks it names.
        let only = std::env::var("OFFLOAD_ONLY").ok();
        let rounds = std::env::var("OFFLOAD_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(ROUNDS);
        for round in 1..=rounds {
            println!("round {round}");
            for (stack, label) in STACKS.iter().enumerate() {
                if only.as_ref().is_some_and(|only| !label.contains(only.as_str())) {
                    continue;
                }
                let scratch = node.scratch().join(format!("{}-{round}", label.replace(' ', "-")));
                std::fs::create_dir_all(&scratch)?;
                let figures = if let Some(page) = pages.get(stack) {
                    // A fresh node process: empty tracker swarms, same port, same files.
                    node.terminate(Duration::from_secs(30))?;
                    node.restart()?;
                    let before = node.metric("shoal_web_seed_bytes_total")?;
                    let report = watch(&netns, &viewers(page), WATCH, &scratch)?;
                    let sent = node.metric("shoal_web_seed_bytes_total")? - before;
                    let figures = Figures::new(&report, sent, size);
                    figures.print(label, &report);
                    if std::env::var_os("OFFLOAD_VERBOSE").is_some() {
                        for (i, last) in report.last.iter().enumerate() {
                            println!("    viewer {i}: {last}");
                        }
                    }
                    figures
                } else {
                    let reference = ReferenceStack::start(&netns, &file, &torrent, RATE)?;
                    let report = watch(&netns, &viewers(&reference.page), WATCH, &scratch)?;
                    let figures = Figures::new(&report, reference.web_seed_bytes()?, size);
                    figures.print(label, &report);
                    figures
                };
                runs[stack].push(figures);
            }
        }

        let mean = |runs: &[Figures], f: &dyn Fn(&Figures) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
        let ttff = |f: &Figures| f.ttff_ms.iter().sum::<f64>() / f.ttff_ms.len() as f64;
        let first_ttff = |f: &Figures| f.ttff_ms.first().copied().unwrap_or(f64::NAN);
        println!("mean over {rounds} rounds (goal for Shoal's players: peer share >= 0.675, ceiling 0.75):");
        for (stack, label) in STACKS.iter().enumerate().filter(|(stack, _)| !runs[*stack].is_empty()) {
            println!(
                "  {label:<16} peer share {:.3}   later viewers {:.3}   web seed copies {:.2}   \
                 first frame: mean {:.0} ms, first viewer {:.0} ms",
                mean(&runs[stack], &|f| f.share_all),
                mean(&runs[stack], &|f| f.share_later),
                mean(&runs[stack], &|f| f.server_copies),
                mean(&runs[stack], &ttff),
                mean(&runs[stack], &first_ttff),
            );
        }
        let share = |stack: usize| mean(&runs[stack], &|f| f.share_all);
        let mean_ttff = |stack: usize| mean(&runs[stack], &ttff);
        if runs.iter().any(Vec::is_empty) {
            return Ok(());
        }
        println!(
            "  ratios: Shoal WebTorrent / reference peer share {:.2}, Shoal HLS / PeerTube player peer share {:.2}, \
             Shoal HLS / PeerTube player first frame {:.2} (goal <= 1), Shoal WebTorrent / reference first frame {:.2}",
            share(0) / share(3),
            share(1) / share(2),
            mean_ttff(1) / mean_ttff(2),
            mean_ttff(0) / mean_ttff(3),
        );
        Ok(())
    })
}
