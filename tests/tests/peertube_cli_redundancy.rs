//! Issue 11: `@peertube/peertube-cli redundancy` (pinned in tests/package.json) against
//! Shoal: `add --video`, `list-my-redundancies`, `list-remote-redundancies` and
//! `remove --video`. Each table row the CLI prints must be what the API holds
//! (`GET /api/v1/server/redundancy/videos`), and its add and remove must change it.
//!
//! Shoal follows a fake PeerTube 8.0 (its video is the remote video), with redundancy
//! allowed. The copy of that video and the mirror another instance announced of a local
//! video are written into the stopped node's store as the mirror job and the CacheFile
//! inbox write them (see `shoal_tests::redundancy`).

use anyhow::{anyhow, ensure};
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

use shoal_actors::replication::copies::{self, CopyReason};
use shoal_actors::replication::origin_mirrors;
use shoal_tests::fake_peertube::FakePeerTube;
use shoal_tests::federation::{federating, upload_tiny};
use shoal_tests::redundancy::{copy_of, follow_fake, mirror_of, with_stopped_node};
use shoal_tests::tools::{peertube_cli, run_with_timeout, Output};
use shoal_tests::{ApiClient, Result, TestNode, ADMIN_PASSWORD, ADMIN_USERNAME};

const CLI_TIMEOUT: Duration = Duration::from_secs(60);

/// `peertube-cli redundancy <args> -u URL -U root -p PASSWORD`, with HOME isolated.
fn redundancy(node: &TestNode, args: &[&str]) -> Result<Output> {
    let home = node.scratch().join("cli-home");
    std::fs::create_dir_all(&home)?;
    let mut cmd = Command::new(peertube_cli()?);
    cmd.env("HOME", &home).env("XDG_CONFIG_HOME", home.join(".config")).env("NODE_ENV", "production");
    cmd.arg("redundancy").args(args).args(["-u", node.base_url(), "-U", ADMIN_USERNAME, "-p", ADMIN_PASSWORD]);
    run_with_timeout(&mut cmd, CLI_TIMEOUT)
}

/// The `bytes` npm package's default format (peertube-cli's "total size"): 1024-based
/// units, at most two decimals with trailing zeros removed, no separator.
fn js_bytes(n: u64) -> String {
    let units = [(1u64 << 50, "PB"), (1 << 40, "TB"), (1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")];
    let (div, unit) = units.iter().find(|(d, _)| n >= *d).copied().unwrap_or((1, "B"));
    let text = format!("{:.2}", n as f64 / div as f64);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{unit}")
}

/// The body rows of a cli-table3 table: cells of each line between `│` borders (a cell
/// spanning several lines, like "by instances", shows its first line).
fn table_rows(stdout: &str) -> Vec<Vec<String>> {
    let plain = strip_ansi(stdout);
    let lines: Vec<Vec<String>> = plain
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| l.trim_matches('│').split('│').map(|c| c.trim().to_string()).collect())
        .collect();
    // The first bordered line is the head.
    lines.into_iter().skip(1).filter(|cells| cells.first().is_some_and(|c| !c.is_empty())).collect()
}

/// `text` without ANSI colour sequences (`ESC [ ... m`), should the CLI colour its table.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The rows the CLI should print for an API listing: id, name, url, playlists, instances,
/// size (remote-videos only).
fn expected_rows(listing: &Value, with_size: bool) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for video in listing["data"].as_array().ok_or_else(|| anyhow!("no data: {listing}"))? {
        let entries = video["redundancies"]["streamingPlaylists"].as_array().cloned().unwrap_or_default();
        let size: u64 = entries.iter().filter_map(|e| e["size"].as_u64()).sum();
        let first_host = entries
            .first()
            .and_then(|e| e["fileUrl"].as_str())
            .and_then(|u| u.split("://").nth(1))
            .map(|rest| rest.split('/').next().unwrap_or_default().to_string())
            .unwrap_or_default();
        rows.push(vec![
            video["id"].to_string(),
            video["name"].as_str().unwrap_or_default().to_string(),
            video["url"].as_str().unwrap_or_default().to_string(),
            entries.len().to_string(),
            first_host,
            if with_size { js_bytes(size) } else { String::new() },
        ]);
    }
    Ok(rows)
}

fn list(admin: &ApiClient, target: &str) -> Result<Value> {
    admin.get_json(&format!("/api/v1/server/redundancy/videos?target={target}&start=0&count=100&sort=name"))
}

/// Runs a list command and checks its table is the API's listing, which must have `want` videos.
fn check_list(node: &TestNode, admin: &ApiClient, command: &str, target: &str, want: usize) -> Result<()> {
    let out = redundancy(node, &[command])?;
    ensure!(out.status.success(), "{command}\n{}", out.describe());
    let listing = list(admin, target)?;
    let expected = expected_rows(&listing, target == "remote-videos")?;
    ensure!(expected.len() == want, "{target}: {want} video(s) expected in the API: {listing:#}");
    let printed = table_rows(&out.stdout);
    ensure!(printed == expected, "{command} printed\n{}\nbut the API holds {expected:?}\n{listing:#}", out.stdout);
    Ok(())
}

#[test]
fn js_bytes_formats_as_the_bytes_package() {
    assert_eq!(js_bytes(0), "0B");
    assert_eq!(js_bytes(1000), "1000B");
    assert_eq!(js_bytes(1024), "1KB");
    assert_eq!(js_bytes(1536), "1.5KB");
    assert_eq!(js_bytes(45_677), "44.61KB");
    assert_eq!(js_bytes(100 << 20), "100MB");
}

#[test]
fn peertube_cli_redundancy_commands_show_and_change_what_the_api_holds() -> Result<()> {
    let mut node = federating().start()?;
    let admin = node.admin()?;
    let fake = FakePeerTube::start()?;
    let remote = follow_fake(&node, &admin, &fake)?;
    let put =
        admin.put_json(&format!("/api/v1/server/redundancy/{}", fake.host), &json!({ "redundancyAllowed": true }))?;
    ensure!(put.status().as_u16() == 204, "PUT redundancy: {}", put.status());
    let (local, _) = upload_tiny(&node, &admin, "a local video for the cli")?;
    let remote_id = remote["id"].as_u64().ok_or_else(|| anyhow!("{remote}"))?.to_string();
    let local_id = admin.video(&local.uuid)?["id"].as_u64().ok_or_else(|| anyhow!("local id"))?.to_string();

    // Nothing yet: both tables are empty.
    check_list(&node, &admin, "list-my-redundancies", "remote-videos", 0)?;
    check_list(&node, &admin, "list-remote-redundancies", "my-videos", 0)?;

    // add: the remote video is requested; asking again is the CLI's 409 message; a local
    // video and an unknown id are refused.
    let out = redundancy(&node, &["add", "--video", &remote_id])?;
    ensure!(
        out.status.success() && out.stdout.contains("Video will be duplicated by your instance!"),
        "{}",
        out.describe()
    );
    let out = redundancy(&node, &["add", "--video", &remote_id])?;
    ensure!(
        !out.status.success() && out.stderr.contains("This video is already duplicated by your instance."),
        "{}",
        out.describe()
    );
    let out = redundancy(&node, &["add", "--video", "987654"])?;
    ensure!(!out.status.success() && out.stderr.contains("This video id does not exist."), "{}", out.describe());
    let out = redundancy(&node, &["add", "--video", &local_id])?;
    ensure!(!out.status.success() && out.stderr.contains("Cannot duplicate video"), "{}", out.describe());

    // The manual copy completes (as the mirror job records it) and another instance
    // announces a mirror of the local video.
    let copy = copy_of(&admin.video(&fake.video_uuid)?, CopyReason::Manual, 1_790_000_000)?;
    let mirror = mirror_of(&node, &admin.video(&local.uuid)?)?;
    let seeded = (copy.clone(), mirror.clone());
    with_stopped_node(&mut node, move |store, media| {
        copies::put(store, &seeded.0)?;
        std::fs::create_dir_all(copies::redundancy_dir(media))?;
        std::fs::write(copies::copy_path(media, &seeded.0.filename), b"copy bytes")?;
        origin_mirrors::upsert(store, seeded.1).map_err(|e| anyhow!("{e}"))?;
        Ok(())
    })?;
    let admin = node.admin()?;
    check_list(&node, &admin, "list-my-redundancies", "remote-videos", 1)?;
    check_list(&node, &admin, "list-remote-redundancies", "my-videos", 1)?;
    let printed = table_rows(&redundancy(&node, &["list-my-redundancies"])?.stdout);
    ensure!(printed[0][0] == remote_id && printed[0][4] == shoal_tests::federation::host_of(&node), "{printed:?}");
    ensure!(printed[0][5] == js_bytes(copy.size), "{printed:?}");
    let printed = table_rows(&redundancy(&node, &["list-remote-redundancies"])?.stdout);
    ensure!(printed[0][0] == local_id && printed[0][4] == "mirror.example", "{printed:?}");

    // remove: the copy goes (record and file), then the announced mirror.
    let out = redundancy(&node, &["remove", "--video", &remote_id])?;
    ensure!(out.status.success() && out.stdout.contains("Video redundancy removed!"), "{}", out.describe());
    check_list(&node, &admin, "list-my-redundancies", "remote-videos", 0)?;
    ensure!(!copies::copy_path(&node.data_dir().join("media"), &copy.filename).exists(), "copy file deleted");
    let out = redundancy(&node, &["remove", "--video", &local_id])?;
    ensure!(out.status.success() && out.stdout.contains("Video redundancy removed!"), "{}", out.describe());
    check_list(&node, &admin, "list-remote-redundancies", "my-videos", 0)?;
    let out = redundancy(&node, &["remove", "--video", &remote_id])?;
    ensure!(!out.status.success() && out.stderr.contains("Video redundancy not found."), "{}", out.describe());
    node.assert_alive()
}
