//! Steady state against the Qiu–Srikant fluid model: Poisson arrivals of viewers fetching a
//! 40 MB file at 1 MB/s upload each, seeding for 20 s on average after their download.

use std::path::Path;

use shoal_sim::scenario::load_str;
use shoal_sim::sim::simulate;
use shoal_sim::theory::qiu_srikant;

const FILE: f64 = 40e6;
const UP: f64 = 1e6;
const DOWN: f64 = 6.25e6;
const SEED_SECS: f64 = 20.0;
const ORIGIN: f64 = 1.25e6;

/// (mean leechers, mean download time) measured after the warm-up.
fn measure(lambda: f64) -> (f64, f64) {
    let text = format!(
        r#"
duration_secs = 1300
tick_ms = 40
[video]
duration_secs = 160
bitrate_kbps = 2000
piece_bytes = 65536
[arrivals]
kind = "poisson"
rate_per_sec = {lambda}
[viewers]
behaviour = "download"
linger_secs = {{ dist = "exponential", mean = {SEED_SECS} }}
upload_mbps = {{ dist = "constant", value = 8 }}
download_mbps = {{ dist = "constant", value = 50 }}
[p2p]
scheduler = "ideal"
max_inflight = 16
webseed_inflight = 1
[origin]
upload_mbps = 10
"#
    );
    let loaded = load_str(&text, "fluid.toml", Path::new(".")).expect("valid scenario");
    let out = simulate(&loaded, 11, |_, _| {});
    let warm = 300;
    let steady = &out.rows[warm..];
    let leechers = steady.iter().map(|r| f64::from(r.downloading)).sum::<f64>() / steady.len() as f64;
    let times: Vec<f64> = out
        .sessions
        .iter()
        .filter(|s| s.join_secs >= warm as f64 && s.join_secs < 1200.0)
        .map(|s| s.download_secs.expect("every viewer that joined in time finished"))
        .collect();
    (leechers, times.iter().sum::<f64>() / times.len() as f64)
}

#[test]
fn steady_state_matches_the_fluid_model_and_download_time_stays_flat() {
    let mut times = Vec::new();
    for lambda in [1.0, 2.0] {
        let (x, t) = measure(lambda);
        let model = qiu_srikant(lambda, FILE, UP, DOWN, SEED_SECS, 1.0, ORIGIN);
        eprintln!(
            "lambda {lambda}: leechers {x:.2} (model {:.2}), download {t:.2} s (model {:.2} s)",
            model.leechers, model.download_secs
        );
        assert!(
            (x / model.leechers - 1.0).abs() <= 0.10,
            "lambda {lambda}: {x:.1} leechers, fluid model {:.1}",
            model.leechers
        );
        assert!(
            (t / model.download_secs - 1.0).abs() <= 0.10,
            "lambda {lambda}: download {t:.2} s, fluid model {:.2} s",
            model.download_secs
        );
        times.push(t);
    }
    assert!((times[1] / times[0] - 1.0).abs() <= 0.10, "download time not flat in lambda: {times:?}");
}
