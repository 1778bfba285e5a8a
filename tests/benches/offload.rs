//! Offload: how much of the viewers' download peers carry, Shoal against the reference
//! WebTorrent stack, on one machine in one run (rounds interleaved, Shoal then reference).
//!
//! Four headless Chromium viewers (separate processes and profiles) open one ~16 MB
//! video 4 s apart; each stack's web seeds share a 2 MB/s upload budget. Shoal: its node
//! (tracker, capped web seed via `web_seed.max_upload_bytes_per_second`) and its watch
//! page. Reference: npm `bittorrent-tracker`'s server, a plain web seed with the same
//! cap and the stock webtorrent player with the web seed from the start
//! (`tests/scripts/reference_stack.mjs`), serving the same file with the same pieces.
//!
//! Printed per stack: the share of all viewers' bytes that came from peers (ceiling
//! (N-1)/N = 0.75 when the first viewer must fetch everything from the server; the
//! issue's goal is 0.675), the later viewers' own share, copies of the file the web
//! seed sent, and each viewer's time to first frame (ms since navigation start).
//!
//!     cargo bench -p shoal-tests --bench offload
//!
//! Needs root (network namespace), Chromium and the npm tools (`scripts/setup.sh`),
//! and the release binary (`cargo build --release -p shoal-node`).

use anyhow::{bail, Result};
use shoal_tests::browser::{check_installed, publish_noisy_video, watch, Viewer, WatchReport};
use shoal_tests::netns::NetNs;
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
            ttff_ms: (0..n).map(|i| report.last[i]["firstFrameMs"].as_f64().unwrap_or(f64::NAN)).collect(),
            complete: (0..n).map(|i| report.number(i, "progress")).collect(),
        }
    }

    fn print(&self, label: &str, report: &WatchReport) {
        if self.ttff_ms.iter().any(|t| t.is_nan()) {
            println!("  {label}: a viewer showed no frame; what the pages said:\n{}", report.describe());
        }
        let ttff: Vec<String> = self.ttff_ms.iter().map(|t| format!("{t:.0}")).collect();
        let done: Vec<String> = self.complete.iter().map(|p| format!("{p:.2}")).collect();
        println!(
            "  {label:<10} peer share (all viewers) {:.3}   later viewers {:.3}   web seed sent {:.2} copies   \
             first frame ms [{}]   progress [{}]",
            self.share_all,
            self.share_later,
            self.server_copies,
            ttff.join(", "),
            done.join(", ")
        );
    }
}

fn viewers(url: &str) -> Vec<Viewer> {
    (0..VIEWERS).map(|i| Viewer::new(url, STAGGER * i as u32)).collect()
}

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
        let shoal_url = node.url(&format!("/w/{}", video.short_uuid));
        println!(
            "offload: {VIEWERS} Chromium viewers {} s apart, a {:.1} MB video, web seeds capped at {:.1} MB/s in total",
            STAGGER.as_secs(),
            size / 1e6,
            RATE as f64 / 1e6
        );

        let mut shoal_runs = Vec::new();
        let mut reference_runs = Vec::new();
        for round in 1..=ROUNDS {
            println!("round {round}");
            // A fresh node process: empty tracker swarms, same port, same files.
            node.terminate(Duration::from_secs(30))?;
            node.restart()?;
            let before = node.metric("shoal_web_seed_bytes_total")?;
            let scratch = node.scratch().join(format!("shoal-{round}"));
            std::fs::create_dir_all(&scratch)?;
            let report = watch(&netns, &viewers(&shoal_url), WATCH, &scratch)?;
            let sent = node.metric("shoal_web_seed_bytes_total")? - before;
            let shoal = Figures::new(&report, sent, size);
            shoal.print("Shoal", &report);

            let reference = ReferenceStack::start(&netns, &file, &torrent, RATE)?;
            let scratch = node.scratch().join(format!("reference-{round}"));
            std::fs::create_dir_all(&scratch)?;
            let report = watch(&netns, &viewers(&reference.page), WATCH, &scratch)?;
            let figures = Figures::new(&report, reference.web_seed_bytes()?, size);
            figures.print("reference", &report);
            drop(reference);
            shoal_runs.push(shoal);
            reference_runs.push(figures);
        }

        let mean = |runs: &[Figures], f: fn(&Figures) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
        let shoal_share = mean(&shoal_runs, |f| f.share_all);
        let reference_share = mean(&reference_runs, |f| f.share_all);
        let shoal_ttff = mean(&shoal_runs, |f| f.ttff_ms.iter().sum::<f64>() / f.ttff_ms.len() as f64);
        let reference_ttff = mean(&reference_runs, |f| f.ttff_ms.iter().sum::<f64>() / f.ttff_ms.len() as f64);
        println!("mean over {ROUNDS} rounds:");
        println!(
            "  peer share of all viewers' bytes: Shoal {shoal_share:.3}, reference {reference_share:.3}, \
             ratio {:.2} (goal >= 0.675, ceiling 0.75)",
            shoal_share / reference_share
        );
        println!(
            "  later viewers' bytes from peers: Shoal {:.3}, reference {:.3}",
            mean(&shoal_runs, |f| f.share_later),
            mean(&reference_runs, |f| f.share_later)
        );
        println!(
            "  web seed copies sent: Shoal {:.2}, reference {:.2}",
            mean(&shoal_runs, |f| f.server_copies),
            mean(&reference_runs, |f| f.server_copies)
        );
        println!(
            "  mean time to first frame: Shoal {shoal_ttff:.0} ms, reference {reference_ttff:.0} ms, ratio {:.2}",
            shoal_ttff / reference_ttff
        );
        Ok(())
    })
}
