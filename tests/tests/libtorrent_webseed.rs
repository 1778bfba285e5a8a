//! A real BitTorrent client: Debian's libtorrent (python3-libtorrent)
//! downloads a published file from its web seed alone (no peers, no
//! tracker) and must finish with every piece verified; the bytes it saved
//! must equal what the web seed serves.

use shoal_tests::media::write_y4m;
use shoal_tests::tools::{run_with_timeout, system_python, tests_dir};
use shoal_tests::verify::{get_bytes, verify_file};
use shoal_tests::{Result, TestNode};
use std::process::Command;
use std::time::Duration;

#[test]
fn libtorrent_downloads_a_published_file_from_the_web_seed_alone() -> Result<()> {
    let mut node = TestNode::start()?;
    let admin = node.admin()?;
    let scratch = node.scratch();
    let source = scratch.join("lt.y4m");
    write_y4m(&source, 320, 240, 10, 20)?;
    let upload = admin.upload(&source, "libtorrent web seed")?;
    let video = admin.wait_published(&upload.uuid, 2, Duration::from_secs(300))?;

    let http = reqwest::blocking::Client::new();
    let files = video["files"].as_array().cloned().unwrap_or_default();
    let file = files
        .iter()
        .max_by_key(|f| f["resolution"]["id"].as_u64())
        .ok_or_else(|| anyhow::anyhow!("no files: {video}"))?;
    let checked = verify_file(&http, file)?;

    let torrent_path = scratch.join("download.torrent");
    std::fs::write(&torrent_path, get_bytes(&http, &checked.torrent_url)?)?;
    let save_dir = scratch.join("lt-download");
    std::fs::create_dir_all(&save_dir)?;
    let script = tests_dir().join("scripts/lt_webseed.py");
    let out = run_with_timeout(
        Command::new(system_python()).arg(&script).arg(&torrent_path).arg(&save_dir).arg("120"),
        Duration::from_secs(180),
    )?;
    let report: serde_json::Value = serde_json::from_str(out.stdout.trim())
        .map_err(|e| anyhow::anyhow!("lt_webseed.py did not print JSON ({e})\n{}", out.describe()))?;
    assert!(out.status.success(), "libtorrent did not finish with all pieces verified: {report:#}\n{}", out.stderr);
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["is_seeding"], true, "{report:#}");
    assert_eq!(report["num_pieces"], report["total_pieces"], "{report:#}");
    assert_eq!(report["total_pieces"].as_u64(), Some(checked.metainfo.info.pieces.len() as u64));
    assert_eq!(report["hash_failures"], 0, "{report:#}");
    let fetched = report["downloaded_bytes"].as_u64().unwrap_or(0);
    assert!(fetched >= checked.metainfo.info.length, "libtorrent fetched the bytes from the web seed: {report:#}");
    assert_eq!(report["web_seeds"][0], checked.file_url.as_str(), "{report:#}");

    let saved = std::fs::read(save_dir.join(&checked.metainfo.info.name))?;
    assert!(saved == checked.bytes, "libtorrent's file differs from the web seed's bytes");
    node.assert_alive()
}
