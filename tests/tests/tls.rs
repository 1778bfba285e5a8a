//! Native TLS (`--tls-cert`/`--tls-key`): the node serves HTTPS to curl
//! (OpenSSL) and the WebTorrent tracker over `wss://` to Python's ssl module,
//! with a self-signed certificate made by openssl for the test.

use std::process::Command;
use std::time::Duration;

use shoal_tests::node::NodeBuilder;
use shoal_tests::tools::{run_ok, system_python, tests_dir};
use shoal_tests::Result;

#[test]
fn the_node_serves_https_and_the_tracker_over_wss() -> Result<()> {
    let certs = tempfile::tempdir()?;
    let (cert, key) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    run_ok(
        Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
            .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert),
        Duration::from_secs(30),
    )?;
    let mut node = NodeBuilder::new()
        .set("tls.cert", cert.display().to_string())
        .set("tls.key", key.display().to_string())
        .set("tracker.allow", "any")
        .start()?;
    assert!(node.base_url().starts_with("https://"), "{}", node.base_url());

    let ping =
        run_ok(Command::new("curl").args(["-sk", "--fail"]).arg(node.url("/api/v1/ping")), Duration::from_secs(20))?;
    assert!(ping.stdout.contains("pong"), "{}", ping.describe());
    let plain = Command::new("curl")
        .args(["-s", "--max-time", "5"])
        .arg(node.url("/api/v1/ping").replace("https", "http"))
        .output()?;
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("pong"), "plain HTTP is not served on the TLS port");

    let (host, port) = node.base_url().trim_start_matches("https://").rsplit_once(':').unwrap_or_default();
    let out = run_ok(
        Command::new(system_python()).arg(tests_dir().join("scripts/wss_announce.py")).arg(host).arg(port),
        Duration::from_secs(30),
    )?;
    let reply: serde_json::Value = serde_json::from_str(out.stdout.trim())?;
    assert_eq!(reply["action"], "announce", "{reply}");
    assert_eq!(reply["complete"], 1, "{reply}");
    assert!(reply["interval"].as_u64().is_some(), "{reply}");
    node.assert_alive()
}
