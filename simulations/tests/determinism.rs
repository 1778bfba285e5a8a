//! Same scenario + seed + binary => byte-identical files; another seed => other files.

use std::path::Path;

use shoal_sim::report::write_run;
use shoal_sim::scenario::{load_str, Loaded};
use shoal_sim::sim::simulate;

/// A bit of everything: two regions, a mirror that fails, crashes, viewers without WebRTC,
/// abandonment, Poisson arrivals.
const SCENARIO: &str = r#"
duration_secs = 600
tick_ms = 200
[video]
duration_secs = 120
bitrate_kbps = 1500
[arrivals]
kind = "poisson"
rate_per_sec = 0.5
[viewers]
watch_secs = { dist = "exponential", mean = 60 }
linger_secs = { dist = "exponential", mean = 30 }
patience_secs = { dist = "uniform", min = 2, max = 20 }
upload_mbps = { dist = "lognormal", median = 5, sigma = 0.8 }
download_mbps = { dist = "choice", values = [10, 30, 100], weights = [1, 2, 1] }
no_webrtc_share = 0.2
crash_share = 0.1
[network]
regions = ["eu", "na"]
region_weights = [0.6, 0.4]
rtt_ms = [[30, 120], [120, 40]]
[origin]
upload_mbps = 100
[[mirrors]]
upload_mbps = 50
region = "na"
down_at_secs = 300
"#;

fn loaded() -> Loaded {
    load_str(SCENARIO, "determinism.toml", Path::new(".")).expect("test scenario is valid")
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<_> = std::fs::read_dir(dir).expect("out dir").map(|e| e.expect("entry").file_name()).collect();
    names.sort();
    names.into_iter().map(|n| (n.to_string_lossy().into_owned(), std::fs::read(dir.join(&n)).expect("read"))).collect()
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_does_not() {
    let l = loaded();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    let hash_a = write_run(&a, "t", &l.hash, &simulate(&l, 42, |_, _| {})).expect("write a");
    let hash_b = write_run(&b, "t", &l.hash, &simulate(&l, 42, |_, _| {})).expect("write b");
    let hash_c = write_run(&c, "t", &l.hash, &simulate(&l, 43, |_, _| {})).expect("write c");
    assert_eq!(hash_a, hash_b);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.len(), 6, "summary, two CSVs, three plots: {:?}", fa.iter().map(|f| &f.0).collect::<Vec<_>>());
    assert_eq!(fa, fb, "two runs with the same seed differ");
    assert_ne!(hash_a, hash_c, "another seed gave the same output");
    assert_ne!(files(&c).iter().find(|f| f.0 == "sessions.csv"), fa.iter().find(|f| f.0 == "sessions.csv"));
    // The run is not trivial: peers shared, the mirror's failure shows, some viewers stalled or left.
    let out = simulate(&l, 42, |_, _| {});
    assert!(out.summary.p2p_bytes > 0 && out.summary.mirror_bytes > 0 && out.summary.viewers > 200);
    assert!(out.rows[400..].iter().all(|r| r.mirror_bytes == 0), "mirror served after failing");
}

#[test]
fn the_binary_writes_the_same_output_as_the_library() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let scenario = tmp.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).expect("write scenario");
    let out = tmp.path().join("out");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_shoal-sim"))
        .args(["run", scenario.to_str().expect("utf-8 path"), "--seed", "42", "--quiet", "--out"])
        .arg(&out)
        .status()
        .expect("run shoal-sim");
    assert!(status.success());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).expect("summary")).expect("json");
    let l = loaded();
    let lib = tmp.path().join("lib");
    let hash = write_run(&lib, "t", &l.hash, &simulate(&l, 42, |_, _| {})).expect("write");
    assert_eq!(summary["output_hash"], hash.as_str());
    assert_eq!(summary["scenario_hash"], l.hash.as_str());
    assert_eq!(summary["seed"], 42);
    for f in ["timeseries.csv", "sessions.csv", "bandwidth.svg", "p2p_ratio.svg", "startup_cdf.svg"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}
