//! Behaviours of the model: traces replay exactly, mirrors serve only while up, viewers
//! without upload share nothing, P2P relieves the origin, and viewers without WebRTC use web
//! seeds only.

use std::path::Path;

use shoal_sim::scenario::load_str;
use shoal_sim::sim::{simulate, Output};

fn audience(extra_viewers: &str, upload: &str, tail: &str) -> String {
    format!(
        r#"
duration_secs = 900
[video]
duration_secs = 120
bitrate_kbps = 2000
[arrivals]
kind = "poisson"
rate_per_sec = 0.5
until_secs = 600
[viewers]
watch_secs = {{ dist = "exponential", mean = 90 }}
linger_secs = {{ dist = "constant", value = 30 }}
upload_mbps = {upload}
download_mbps = {{ dist = "constant", value = 30 }}
{extra_viewers}
[origin]
upload_mbps = 200
{tail}
"#
    )
}

fn run(text: &str, base: &Path) -> Output {
    simulate(&load_str(text, "model.toml", base).expect("valid scenario"), 9, |_, _| {})
}

#[test]
fn mirrors_serve_only_while_up() {
    let text = audience(
        "",
        r#"{ dist = "constant", value = 2 }"#,
        "[[mirrors]]\nupload_mbps = 300\nup_at_secs = 200\ndown_at_secs = 500\n",
    );
    let out = run(&text, Path::new("."));
    assert!(out.rows[..200].iter().all(|r| r.mirror_bytes == 0), "mirror served before joining");
    assert!(out.rows[500..].iter().all(|r| r.mirror_bytes == 0), "mirror served after failing");
    assert!(out.rows[200..500].iter().map(|r| r.mirror_bytes).sum::<u64>() > 0, "mirror never used");
}

#[test]
fn p2p_relieves_the_origin_and_no_upload_means_no_p2p() {
    let with = run(&audience("", r#"{ dist = "constant", value = 5 }"#, ""), Path::new("."));
    let without = run(&audience("", r#"{ dist = "constant", value = 0 }"#, ""), Path::new("."));
    assert_eq!(without.summary.p2p_bytes, 0);
    assert!(with.summary.p2p_ratio > 0.5, "P2P ratio {}", with.summary.p2p_ratio);
    assert!(with.summary.origin_bytes * 2 < without.summary.origin_bytes);
    // Same arrivals (the upload draw does not shift the other streams' draws).
    let joins = |o: &Output| o.sessions.iter().map(|s| s.join_secs).collect::<Vec<_>>();
    assert_eq!(joins(&with), joins(&without));
}

#[test]
fn viewers_without_webrtc_use_web_seeds_only() {
    let out = run(&audience("no_webrtc_share = 0.5", r#"{ dist = "constant", value = 5 }"#, ""), Path::new("."));
    let (web_only, p2p): (Vec<_>, Vec<_>) = out.sessions.iter().partition(|s| !s.p2p);
    assert!(web_only.len() > 50 && p2p.len() > 50);
    assert!(web_only.iter().all(|s| s.from_peers == 0 && s.uploaded == 0));
    assert!(p2p.iter().map(|s| s.from_peers).sum::<u64>() > 0);
}

#[test]
fn traces_replay_join_and_watch_times() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("t.csv"), "join_secs,watch_secs\n0.5,10\n3.25,200\n7,0\n").expect("trace");
    let text = audience("", r#"{ dist = "constant", value = 5 }"#, "")
        .replace("kind = \"poisson\"\nrate_per_sec = 0.5\nuntil_secs = 600", "kind = \"trace\"\nfile = \"t.csv\"");
    let out = run(&text, tmp.path());
    let joins: Vec<f64> = out.sessions.iter().map(|s| s.join_secs).collect();
    assert_eq!(joins, vec![0.5, 3.25, 7.0]);
    // Watch times: 10 s, the whole 120 s video (200 is capped), nothing.
    let watched: Vec<u64> = out.sessions.iter().map(|s| s.bytes_watched).collect();
    assert_eq!(watched, vec![10 * 250_000, 120 * 250_000, 0]);
}
