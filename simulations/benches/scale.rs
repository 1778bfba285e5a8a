//! Prints shoal-sim's figures (`cargo bench -p shoal-sim --bench scale`; add `-- million` for
//! the 1,000,000-viewer run, which needs ~20 GiB in the worst case and several minutes):
//!
//! - speed: peer events per second on one core, and the wall time of the 10,000-viewer
//!   one-hour flash crowd (`simulations/scenarios/flash_crowd.toml`);
//! - memory: peak RSS (`VmHWM` of /proc/self/status) of runs with 10,000 and 100,000 viewers
//!   (and 1,000,000), each in its own child process, and the bytes per simulated viewer.
//!
//! The simulation is single-threaded, so peer events per CPU second of one run are per core
//! (wall time is printed too; on a busy machine it is longer than the CPU time).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use shoal_sim::scenario::{load, load_str};
use shoal_sim::sim::simulate;

/// A flash crowd of `viewers` over ~10 minutes on a 2-minute video, 1 hour simulated.
fn scale_scenario(viewers: u64) -> String {
    format!(
        r#"
duration_secs = 3600
tick_ms = 250
[video]
duration_secs = 120
bitrate_kbps = 1000
piece_bytes = 262144
[arrivals]
kind = "flash_crowd"
viewers = {viewers}
ramp_secs = 600
shape = "uniform"
[viewers]
watch_secs = {{ dist = "exponential", mean = 90 }}
linger_secs = {{ dist = "exponential", mean = 30 }}
upload_mbps = {{ dist = "lognormal", median = 5, sigma = 0.8 }}
download_mbps = {{ dist = "lognormal", median = 30, sigma = 0.6 }}
no_webrtc_share = 0.1
[p2p]
max_conns = 30
numwant = 30
[origin]
upload_mbps = 10000
"#
    )
}

/// CPU seconds (user + system) this process has used.
fn cpu_secs() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Peak resident set of this process in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Child mode: run the scale scenario with `viewers` and print `rss_kib events wall_secs cpu_secs`.
fn child(viewers: u64) {
    let text = scale_scenario(viewers.max(1));
    let Ok(loaded) = load_str(&text, "scale.toml", Path::new(".")) else {
        eprintln!("bad scale scenario");
        std::process::exit(2);
    };
    let (started, cpu) = (Instant::now(), cpu_secs());
    let events = if viewers == 0 { 0 } else { simulate(&loaded, 1, |_, _| {}).summary.peer_events };
    println!("{} {} {:.3} {:.3}", peak_rss_kib(), events, started.elapsed().as_secs_f64(), cpu_secs() - cpu);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        child(args.get(pos + 1).and_then(|n| n.parse().ok()).unwrap_or(0));
        return;
    }
    let million = args.iter().any(|a| a == "million");

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/flash_crowd.toml");
    match load(&path) {
        Ok(loaded) => {
            let (started, cpu) = (Instant::now(), cpu_secs());
            let out = simulate(&loaded, 1, |_, _| {});
            let (wall, cpu) = (started.elapsed().as_secs_f64(), cpu_secs() - cpu);
            let m = &out.summary;
            println!(
                "flash crowd: {} viewers, {} simulated s, wall {:.2} s (CPU {:.2} s), {} peer events, \
                 {:.2} M peer events per CPU second, peak RSS {:.1} MiB ({} pieces per file)",
                m.viewers,
                out.rows.len(),
                wall,
                cpu,
                m.peer_events,
                m.peer_events as f64 / cpu.max(1e-9) / 1e6,
                peak_rss_kib() as f64 / 1024.0,
                m.pieces
            );
        }
        Err(e) => eprintln!("flash crowd: {e}"),
    }

    let Ok(exe) = std::env::current_exe() else {
        eprintln!("cannot find the bench binary for child runs");
        return;
    };
    let mut sizes = vec![0u64, 10_000, 100_000];
    if million {
        sizes.push(1_000_000);
    }
    let mut baseline = 0;
    for n in sizes {
        let output = match Command::new(&exe).args(["--child", &n.to_string()]).output() {
            Ok(o) => o,
            Err(e) => {
                eprintln!("child run with {n} viewers: {e}");
                continue;
            }
        };
        let text = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<f64> = text.split_whitespace().filter_map(|f| f.parse().ok()).collect();
        let [rss, events, wall, cpu] = fields[..] else {
            eprintln!("child run with {n} viewers failed: {}", String::from_utf8_lossy(&output.stderr));
            continue;
        };
        let rss = rss as u64;
        if n == 0 {
            baseline = rss;
            println!("baseline: peak RSS {:.1} MiB", rss as f64 / 1024.0);
            continue;
        }
        println!(
            "{n} viewers: peak RSS {:.1} MiB, {:.0} bytes per viewer above the baseline, {} peer events in {:.1} s \
             wall, {:.1} s CPU ({:.2} M per CPU second)",
            rss as f64 / 1024.0,
            (rss.saturating_sub(baseline) * 1024) as f64 / n as f64,
            events as u64,
            wall,
            cpu,
            events / cpu.max(1e-9) / 1e6
        );
    }
}
