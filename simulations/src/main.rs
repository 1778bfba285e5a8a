//! The `shoal-sim` command line: `run` one scenario, `sweep` a parameter grid, `check` a file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use shoal_sim::scenario;
use shoal_sim::sim::simulate;
use shoal_sim::{placement, report, sweep};

/// Deterministic swarm simulations of Shoal videos: viewers, peers, web seeds and the tracker
/// on a simulated clock. Same scenario + seed + binary = byte-identical output.
#[derive(Parser)]
#[command(name = "shoal-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario; writes summary.json, timeseries.csv, sessions.csv and SVG plots to --out
    /// (a `kind = "placement"` scenario writes report.json and its SVG plots).
    Run {
        /// Scenario file (see simulations/scenarios/ for documented examples).
        scenario: PathBuf,
        /// Seed of every random draw.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output folder (created if missing).
        #[arg(long, default_value = "sim-out")]
        out: PathBuf,
        /// No progress bar and no summary on stderr (for scripts).
        #[arg(long)]
        quiet: bool,
    },
    /// Run a grid of variants in parallel on all cores; writes one CSV row per run.
    Sweep {
        scenario: PathBuf,
        /// An axis: a dotted scenario key and its values, e.g. `arrivals.viewers=100,1000`
        /// or `viewers.upload_mbps.value=1,5,10`. Repeat for more axes.
        #[arg(long = "grid", required = true)]
        grid: Vec<String>,
        /// Seeds per variant: BASE..BASE+N.
        #[arg(long, default_value_t = 1)]
        seeds: u64,
        /// First seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output CSV.
        #[arg(long, default_value = "sweep.csv")]
        out: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Check a scenario file and print what it describes.
    Check { scenario: PathBuf },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shoal-sim: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run { scenario, seed, out, quiet } if is_placement(&scenario)? => {
            run_placement(&scenario, seed, &out, quiet)?;
        }
        Command::Run { scenario, seed, out, quiet } => {
            let loaded = scenario::load(&scenario)?;
            let name = if loaded.scenario.name.is_empty() {
                scenario.display().to_string()
            } else {
                loaded.scenario.name.clone()
            };
            let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(1000) };
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {msg}")
                    .context("progress bar template")?,
            );
            let started = Instant::now();
            let output = simulate(&loaded, seed, |now, end| {
                bar.set_position(now * 1000 / end.max(1));
                bar.set_message(format!("{:.0}/{:.0} simulated s", now as f64 / 1000.0, end as f64 / 1000.0));
            });
            bar.finish_and_clear();
            let wall = started.elapsed().as_secs_f64();
            let hash = report::write_run(&out, &name, &loaded.hash, &output)
                .with_context(|| format!("writing {}", out.display()))?;
            if !quiet {
                let m = &output.summary;
                eprintln!(
                    "{} viewers, P2P ratio {:.3}, origin {:.1} GB, mirrors {:.1} GB, peers {:.1} GB, startup p50 {} s, \
                     {} peer events in {:.2} s wall ({:.2} M/s); output {} -> {}",
                    m.viewers,
                    m.p2p_ratio,
                    m.origin_bytes as f64 / 1e9,
                    m.mirror_bytes as f64 / 1e9,
                    m.p2p_bytes as f64 / 1e9,
                    m.startup_p50_secs.map_or("-".into(), |v| format!("{v:.2}")),
                    m.peer_events,
                    wall,
                    m.peer_events as f64 / wall / 1e6,
                    &hash[..16],
                    out.display()
                );
            }
        }
        Command::Sweep { scenario, .. } if is_placement(&scenario)? => {
            anyhow::bail!("{}: sweep runs swarm scenarios only; run placement scenarios one by one", scenario.display())
        }
        Command::Sweep { scenario, grid, seeds, seed, out, jobs } => {
            if let Some(jobs) = jobs {
                rayon::ThreadPoolBuilder::new().num_threads(jobs).build_global().context("thread pool")?;
            }
            let axes = grid.iter().map(|g| sweep::parse_axis(g)).collect::<Result<Vec<_>, _>>()?;
            let seeds: Vec<u64> = (seed..seed + seeds.max(1)).collect();
            let csv = sweep::sweep(&scenario, &axes, &seeds)?;
            std::fs::write(&out, csv).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {}", out.display());
        }
        Command::Check { scenario } if is_placement(&scenario)? => {
            let loaded = scenario::load_placement(&scenario)?;
            let s = &loaded.scenario;
            println!(
                "ok: placement of {} videos on {} nodes, k = {}, replicas_max = {}, {} scripted events, {:.0} simulated s, \
                 scenario hash {}",
                s.catalogue.videos,
                s.nodes.count,
                s.redundancy.replicas,
                s.replicas_max(),
                s.events.len(),
                s.duration_secs,
                loaded.hash
            );
        }
        Command::Check { scenario } => {
            let loaded = scenario::load(&scenario)?;
            let cfg = shoal_sim::sim::Config::new(&loaded.scenario);
            println!(
                "ok: file {} bytes in {} pieces of {} bytes, {} web seeds, {:.0} simulated s, scenario hash {}",
                cfg.size,
                cfg.pieces,
                cfg.piece_bytes,
                cfg.servers.len(),
                cfg.end_ms as f64 / 1000.0,
                loaded.hash
            );
        }
    }
    Ok(())
}

/// Whether the file at `path` is a `kind = "placement"` scenario.
fn is_placement(path: &Path) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(scenario::kind_of(&text) == scenario::Kind::Placement)
}

fn run_placement(path: &Path, seed: u64, out: &Path, quiet: bool) -> anyhow::Result<()> {
    let loaded = scenario::load_placement(path)?;
    let name = if loaded.scenario.name.is_empty() { path.display().to_string() } else { loaded.scenario.name.clone() };
    let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(1000) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {msg}")
            .context("progress bar template")?,
    );
    bar.set_message("initial placement");
    let started = Instant::now();
    let mut engine = placement::Engine::new(&loaded, seed).context("placement inputs")?;
    let placed_in = started.elapsed().as_secs_f64();
    engine.run(|now, end| {
        bar.set_position(now * 1000 / end.max(1));
        bar.set_message(format!("{:.1}/{:.1} simulated days", now as f64 / 86_400_000.0, end as f64 / 86_400_000.0));
    });
    let output = engine.finish();
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let hash = placement::report::write_run(out, &name, &loaded.hash, &output)
        .with_context(|| format!("writing {}", out.display()))?;
    if !quiet {
        let m = &output.summary;
        eprintln!(
            "{} videos on {} nodes (+{} joined), {} failures, {} returns, {} departures; available {:.6} (min {:.6}), \
             >= k {:.6} (min {:.6}); longest below k {:.0} s, longest with no copy {:.0} s, min copies ever {}; \
             repair {:.1} GB from members + {:.1} GB from origins; {} placement moves, {} decisions, {} events; \
             share ratio p05..p95 {:.3}..{:.3}; {:.2} s wall ({:.2} s initial placement); output {} -> {}",
            m.videos,
            m.nodes_initial,
            m.nodes_joined,
            m.failures,
            m.returns,
            m.departures,
            m.available_mean,
            m.available_min,
            m.at_k_mean,
            m.at_k_min,
            m.below_k_longest_secs,
            m.unavailable_longest_secs,
            m.copies_min_ever,
            m.repair_bytes_from_members as f64 / 1e9,
            m.repair_bytes_from_origin as f64 / 1e9,
            m.placement_moves,
            m.decisions,
            m.events,
            m.capacity.share_ratio_p05,
            m.capacity.share_ratio_p95,
            wall,
            placed_in,
            &hash[..16],
            out.display()
        );
    }
    Ok(())
}
