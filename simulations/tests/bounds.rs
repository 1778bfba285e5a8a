//! The engine against the theory: the Kumar–Ross lower bound, the ideal scheduler reaching it,
//! the P2P ratio bound and conservation of bytes with P2P disabled.

use std::path::Path;

use shoal_sim::scenario::load_str;
use shoal_sim::sim::{simulate, Output};
use shoal_sim::theory::kumar_ross_bound;

/// `n` viewers all at t = 0 fetch a 40 MB file and stay; `extra` is appended to the TOML.
fn crowd(n: u32, scheduler: &str, origin_mbps: f64, up: &str, down: &str, extra: &str) -> String {
    format!(
        r#"
duration_secs = 900
tick_ms = 50
[video]
duration_secs = 160
bitrate_kbps = 2000
piece_bytes = 32768
[arrivals]
kind = "flash_crowd"
viewers = {n}
[viewers]
behaviour = "download"
linger_secs = {{ dist = "constant", value = inf }}
upload_mbps = {up}
download_mbps = {down}
[p2p]
scheduler = "{scheduler}"
max_inflight = 16
webseed_inflight = 1
[origin]
upload_mbps = {origin_mbps}
{extra}
"#
    )
}

fn run(text: &str, seed: u64) -> Output {
    let loaded = load_str(text, "bounds.toml", Path::new(".")).expect("valid scenario");
    simulate(&loaded, seed, |_, _| {})
}

/// (time for every viewer to have the file, Kumar–Ross bound), both in seconds.
fn completion_and_bound(out: &Output, origin_mbps: f64) -> (f64, f64) {
    let peers: Vec<(f64, f64)> =
        out.sessions.iter().map(|s| (f64::from(s.upload_bytes_per_sec), f64::from(s.download_bytes_per_sec))).collect();
    let done =
        out.sessions.iter().map(|s| s.download_secs.map_or(f64::INFINITY, |d| s.join_secs + d)).fold(0.0, f64::max);
    (done, kumar_ross_bound(out.summary.file_bytes as f64, origin_mbps * 125_000.0, &peers))
}

/// Capacity-bound, server-bound and download-bound crowds.
fn cases(scheduler: &str) -> Vec<(String, f64)> {
    let hetero_up = r#"{ dist = "uniform", min = 5, max = 15 }"#;
    let fast_down = r#"{ dist = "uniform", min = 50, max = 100 }"#;
    vec![
        (crowd(40, scheduler, 20.0, hetero_up, fast_down, ""), 20.0),
        (crowd(6, scheduler, 10.0, r#"{ dist = "constant", value = 40 }"#, fast_down, ""), 10.0),
        (
            crowd(12, scheduler, 100.0, hetero_up, r#"{ dist = "choice", values = [8, 200], weights = [1, 5] }"#, ""),
            100.0,
        ),
    ]
}

#[test]
fn no_run_beats_the_kumar_ross_bound() {
    for scheduler in ["webtorrent", "ideal"] {
        for (text, origin) in cases(scheduler) {
            for seed in [1, 2] {
                let out = run(&text, seed);
                let (t, bound) = completion_and_bound(&out, origin);
                assert!(t.is_finite(), "{scheduler} seed {seed}: not every viewer finished");
                assert!(t >= bound, "{scheduler} seed {seed}: finished in {t} s, below the bound {bound} s");
            }
        }
    }
}

#[test]
fn ideal_scheduling_comes_within_ten_percent_of_the_bound() {
    for (text, origin) in cases("ideal") {
        let out = run(&text, 7);
        let (t, bound) = completion_and_bound(&out, origin);
        eprintln!("ideal: {t:.2} s for a bound of {bound:.2} s ({:+.1}%)", (t / bound - 1.0) * 100.0);
        assert!(t <= 1.10 * bound, "ideal scheduling took {t} s, more than 10% over the bound {bound} s");
    }
}

#[test]
fn p2p_ratio_never_exceeds_n_minus_one_over_n() {
    let up = r#"{ dist = "constant", value = 50 }"#;
    let down = r#"{ dist = "constant", value = 100 }"#;
    for scheduler in ["webtorrent", "ideal"] {
        for n in [2u32, 3, 10] {
            // A slow origin and fast peers push the ratio to its limit.
            let out = run(&crowd(n, scheduler, 5.0, up, down, ""), 3);
            let m = &out.summary;
            let total = u128::from(m.origin_bytes + m.mirror_bytes + m.p2p_bytes);
            assert_eq!(total, u128::from(n) * u128::from(m.file_bytes), "{scheduler} n={n}: bytes not conserved");
            assert!(
                u128::from(m.p2p_bytes) * u128::from(n) <= u128::from(n - 1) * total,
                "{scheduler} n={n}: P2P ratio {} above (N-1)/N",
                m.p2p_ratio
            );
            // The tracker (the protocol's swarm table) saw everyone complete and stay.
            let last = out.rows.last().expect("rows");
            assert_eq!((last.seeders, last.leechers), (n, 0), "{scheduler} n={n}: tracker counts");
            // And P2P did work: at least half of the possible.
            assert!(m.p2p_ratio > 0.5 * f64::from(n - 1) / f64::from(n), "{scheduler} n={n}: ratio {}", m.p2p_ratio);
        }
    }
}

/// Watching viewers with P2P disabled.
fn no_p2p(watch: &str, mirrors: &str) -> String {
    format!(
        r#"
duration_secs = 1200
[video]
duration_secs = 300
bitrate_kbps = 1000
[arrivals]
kind = "poisson"
rate_per_sec = 0.2
until_secs = 600
[viewers]
watch_secs = {watch}
upload_mbps = {{ dist = "constant", value = 10 }}
download_mbps = {{ dist = "lognormal", median = 20, sigma = 0.5 }}
[p2p]
enabled = false
[origin]
upload_mbps = 100
{mirrors}
"#
    )
}

#[test]
fn without_p2p_the_origin_serves_exactly_the_bytes_watched() {
    let full = r#"{ dist = "constant", value = inf }"#;
    let out = run(&no_p2p(full, ""), 5);
    let m = &out.summary;
    assert!(m.viewers > 50);
    assert_eq!(m.p2p_bytes, 0);
    assert_eq!(m.mirror_bytes, 0);
    assert_eq!(m.origin_bytes, m.bytes_watched, "origin bytes differ from the bytes watched");
    assert_eq!(m.origin_bytes, m.viewers * m.file_bytes);
    // With a mirror, origin + mirror together serve exactly what was watched.
    let out = run(&no_p2p(full, "[[mirrors]]\nupload_mbps = 50"), 5);
    let m = &out.summary;
    assert!(m.mirror_bytes > 0);
    assert_eq!(m.origin_bytes + m.mirror_bytes, m.bytes_watched);
    // Viewers who stop early with a bounded prefetch: the web seeds serve what the viewers
    // downloaded, which covers what they watched plus at most the prefetch window.
    let text = no_p2p(r#"{ dist = "uniform", min = 10, max = 200 }"#, "")
        .replace("[viewers]\n", "[viewers]\nprefetch_secs = 20\n");
    let out = run(&text, 5);
    let m = &out.summary;
    let downloaded: u64 = out.sessions.iter().map(|s| s.from_origin).sum();
    assert_eq!(m.origin_bytes, downloaded);
    assert!(m.origin_bytes >= m.bytes_watched);
    let window = (20.0 + 2.0) * 1000.0 * 125.0 + 2.0 * f64::from(m.piece_bytes);
    assert!((m.origin_bytes - m.bytes_watched) as f64 <= m.viewers as f64 * window);
}
