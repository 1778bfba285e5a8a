//! Real BitTorrent clients through Shoal's HTTP tracker: two libtorrent sessions
//! (python3-libtorrent) exchange a file they can only find each other through via
//! `/tracker/announce`, with a v1 torrent and with libtorrent 2's hybrid v1+v2
//! torrent (announced twice: SHA-1 and truncated SHA-256); libtorrent's scrape
//! agrees with Shoal's own `/tracker/scrape`, read while both are in the swarm. And in the default `hosted` mode,
//! only info-hashes of the node's videos are served.

use std::process::Command;
use std::time::Duration;

use shoal_tests::media::write_y4m;
use shoal_tests::node::NodeBuilder;
use shoal_tests::tools::{run_with_timeout, system_python, tests_dir};
use shoal_tests::tracker::{failure_reason, http_announce, metric};
use shoal_tests::{Result, TestNode};

fn unhex(s: &str) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0);
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn exchange(node: &TestNode, mode: &str) -> Result<()> {
    let work = node.scratch().join(format!("lt-{mode}"));
    std::fs::create_dir_all(&work)?;
    let announce = node.url("/tracker/announce");
    let out = run_with_timeout(
        Command::new(system_python())
            .arg(tests_dir().join("scripts/lt_swarm.py"))
            .arg(&announce)
            .arg(&work)
            .arg(mode)
            .arg("90"),
        Duration::from_secs(150),
    )?;
    let report: serde_json::Value = serde_json::from_str(out.stdout.trim())
        .map_err(|e| anyhow::anyhow!("lt_swarm.py did not print JSON ({e})\n{}", out.describe()))?;
    assert!(out.status.success(), "libtorrent peers did not exchange the file ({mode}): {report:#}\n{}", out.stderr);
    assert!(report["downloaded_payload"].as_u64().unwrap_or(0) >= 3 << 20, "{report:#}");

    // Shoal's scrape of the hashes libtorrent announced agrees with libtorrent's scrape.
    let mut hashes = vec![unhex(report["v1"].as_str().unwrap_or_default())];
    if mode == "hybrid" {
        hashes.push(unhex(report["v2_truncated"].as_str().unwrap_or_default()));
    }
    // (The script read Shoal's scrape while both sessions were still in the swarms.)
    for hash in &hashes {
        let counts = &report["shoal_scrape"][hex(hash)];
        assert_eq!(counts, &serde_json::json!([2, 0]), "both sessions seed in every hash's swarm ({mode}): {report:#}");
    }
    let lt_scrape = &report["scrape"];
    assert_eq!(lt_scrape["complete"].as_i64(), Some(2), "libtorrent's scrape ({mode}): {report:#}");
    assert_eq!(lt_scrape["incomplete"].as_i64(), Some(0), "libtorrent's scrape ({mode}): {report:#}");
    Ok(())
}

#[test]
fn libtorrent_sessions_find_each_other_through_the_http_tracker() -> Result<()> {
    let mut node = NodeBuilder::new().set("tracker.allow", "any").start()?;
    exchange(&node, "v1")?;
    exchange(&node, "hybrid")?;
    let announces = metric(node.base_url(), "shoal_tracker_announces_total{transport=\"http\"}")?;
    assert!(announces >= 6.0, "announces are counted: {announces}");
    node.assert_alive()
}

#[test]
fn the_default_tracker_serves_only_hosted_videos() -> Result<()> {
    let mut node = TestNode::start()?;
    let admin = node.admin()?;
    let source = node.scratch().join("hosted.y4m");
    write_y4m(&source, 320, 240, 10, 10)?;
    let upload = admin.upload(&source, "tracker hosted")?;
    let video = admin.wait_published(&upload.uuid, 2, Duration::from_secs(300))?;
    let hosted = unhex(video["files"][0]["infoHash"].as_str().unwrap_or_default());

    let stranger = http_announce(node.base_url(), &[7; 20], b"-XX0001-stranger0001", 6881, 10, "started")?;
    assert_eq!(failure_reason(&stranger).as_deref(), Some("torrent not served by this tracker"));

    let reply = http_announce(node.base_url(), &hosted, b"-XX0001-aaaaaaaaaaaa", 6881, 0, "started")?;
    assert_eq!(failure_reason(&reply), None, "a hosted file's swarm is served");
    let reply = http_announce(node.base_url(), &hosted, b"-XX0001-bbbbbbbbbbbb", 6882, 10, "started")?;
    let peers = reply.get(b"peers").and_then(|p| p.as_bytes()).unwrap_or_default();
    assert_eq!(peers, &[127, 0, 0, 1, 0x1a, 0xe1], "the leecher is given the seeder (compact)");
    assert_eq!(reply.get(b"complete").and_then(|v| v.as_int()), Some(1));
    assert_eq!(reply.get(b"incomplete").and_then(|v| v.as_int()), Some(1));

    let malformed = shoal_tests::tracker::get_bencode(&node.url("/tracker/announce?info_hash=short"))?;
    assert!(failure_reason(&malformed).is_some_and(|r| r.contains("info_hash")), "{malformed:?}");
    node.assert_alive()
}
