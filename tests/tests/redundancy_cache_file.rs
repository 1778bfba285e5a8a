//! Issue 11, "Serve and announce": ActivityPub `CacheFile`s between Shoal and a fake
//! PeerTube 8.0 (`tests/scripts/fake_peertube.py`, which signs with draft-cavage as
//! PeerTube does and checks what it receives with a port of PeerTube's validators).
//!
//! The fake plays a mirror of a Shoal video: its CacheFiles are taken or refused per
//! `redundancy.accept_from`; an accepted one is listed in the video's `redundancies`,
//! in the served torrent's `url-list` (read by libtorrent, the info hash unchanged) and on
//! the watch page; `Update` moves `expires` (an expired mirror is not listed), `Undo`
//! removes it. A refused one changes nothing.

use anyhow::{anyhow, bail, ensure, Context};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

use shoal_tests::fake_peertube::{is_2xx, FakePeerTube};
use shoal_tests::federation::{federating, follow_instance, follow_state, metric_samples, upload_tiny, wait_for};
use shoal_tests::tools::{run_ok, system_python, tests_dir};
use shoal_tests::ApiClient;
use shoal_tests::{Result, TestNode};

/// Longest a step may take here.
const STEP: Duration = Duration::from_secs(30);

/// The first (highest) file of a Shoal video: what a mirror would copy.
struct ShoalFile {
    uuid: String,
    video_url: String,
    resolution: u64,
    fps: u64,
    size: u64,
    info_hash: String,
    torrent_url: String,
    file_url: String,
}

fn first_file(node: &TestNode, video: &Value) -> Result<ShoalFile> {
    let file = &video["files"][0];
    let uuid = video["uuid"].as_str().ok_or_else(|| anyhow!("no uuid: {video}"))?.to_string();
    Ok(ShoalFile {
        video_url: node.url(&format!("/videos/watch/{uuid}")),
        uuid,
        resolution: file["resolution"]["id"].as_u64().ok_or_else(|| anyhow!("no resolution: {file}"))?,
        fps: file["fps"].as_f64().map_or(0, |f| f.round() as u64),
        size: file["size"].as_u64().ok_or_else(|| anyhow!("no size: {file}"))?,
        info_hash: file["infoHash"].as_str().unwrap_or_default().to_string(),
        torrent_url: file["torrentUrl"].as_str().unwrap_or_default().to_string(),
        file_url: file["fileUrl"].as_str().unwrap_or_default().to_string(),
    })
}

/// A web-video CacheFile command for the fake (PeerTube ≤ 6's form, which Shoal takes).
fn cache_file_cmd(file: &ShoalFile, action: &str, expires: Option<&str>) -> Value {
    json!({
        "kind": "cache_file", "action": action, "form": "web-video", "video": file.video_url,
        "resolution": file.resolution, "fps": file.fps, "size": file.size,
        "filename": format!("{}-{}.mp4", file.uuid, file.resolution), "expires": expires,
    })
}

/// `redundancies[].baseUrl` of the video's first file.
fn redundancies(node: &TestNode, uuid: &str) -> Result<Vec<String>> {
    let video = node.anonymous()?.video(uuid)?;
    let list = video["files"][0]["redundancies"]
        .as_array()
        .ok_or_else(|| anyhow!("files[0] has no redundancies array: {:#}", video["files"][0]))?;
    Ok(list.iter().filter_map(|r| r["baseUrl"].as_str().map(str::to_string)).collect())
}

fn wait_redundancies(node: &TestNode, uuid: &str, want: &[String], what: &str) -> Result<()> {
    wait_for(STEP, what, |last| {
        let now = redundancies(node, uuid)?;
        *last = format!("{now:?}");
        Ok((now == want).then_some(()))
    })
}

/// The served torrent as libtorrent reads it: `{info_hash, web_seeds, ...}`.
fn torrent_info(node: &TestNode, url: &str) -> Result<Value> {
    let bytes = reqwest::blocking::Client::new()
        .get(url)
        .timeout(Duration::from_secs(15))
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.bytes())
        .with_context(|| format!("GET {url}"))?;
    let path = node.scratch().join("served.torrent");
    std::fs::write(&path, &bytes)?;
    let out = run_ok(
        Command::new(system_python()).arg(tests_dir().join("scripts/lt_torrent_info.py")).arg(&path),
        Duration::from_secs(30),
    )?;
    serde_json::from_str(out.stdout.trim()).context("lt_torrent_info.py output")
}

/// `shoal_activitypub_cache_files_total{activity, outcome}` on the node.
fn cache_file_count(node: &TestNode, activity: &str, outcome: &str) -> Result<f64> {
    let labels = format!("{{activity=\"{activity}\",outcome=\"{outcome}\"}}");
    Ok(metric_samples(node, "shoal_activitypub_cache_files_total")?
        .into_iter()
        .filter(|(l, _)| *l == labels)
        .map(|(_, v)| v)
        .sum())
}

fn wait_count(node: &TestNode, activity: &str, outcome: &str, want: f64) -> Result<()> {
    wait_for(STEP, &format!("cache file {activity}/{outcome} counted {want}"), |last| {
        let now = cache_file_count(node, activity, outcome)?;
        *last = format!(
            "{now}; samples: {:?}\nnode log:\n{}",
            metric_samples(node, "shoal_activitypub_cache_files_total")?,
            node.log_tail(30)
        );
        Ok((now >= want).then_some(()))
    })
}

/// Waits until the admin's following of `host` is `state`.
fn wait_follow_state(admin: &ApiClient, host: &str, state: &str) -> Result<()> {
    wait_for(STEP, &format!("following of {host} {state}"), |last| {
        let following = admin.get_json("/api/v1/server/following")?;
        *last = following.to_string();
        Ok((follow_state(&following, "following", host).as_deref() == Some(state)).then_some(()))
    })
}

fn send_ok(fake: &FakePeerTube, cmd: Value) -> Result<Value> {
    let (sent, answer) = fake.send(cmd.clone())?;
    ensure!(is_2xx(&json!(sent.status)), "Shoal answered {} to {cmd}: {}", sent.status, sent.body);
    Ok(answer)
}

fn iso_in(secs: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let out = Command::new("date").args(["-u", "-d", &format!("@{}", now + secs), "+%Y-%m-%dT%H:%M:%S.000Z"]).output();
    out.ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default()
}

/// accept_from = followings: refused from a host Shoal does not follow (no state change),
/// taken once it follows it; listed in `redundancies`, the torrent's `url-list` and the
/// watch page; Update moves expires; Undo removes it.
#[test]
fn cache_files_from_a_followed_mirror_are_listed_and_undone() -> Result<()> {
    let node = federating().set("redundancy.accept_from", "followings").start()?;
    let admin = node.admin()?;
    let fake = FakePeerTube::start()?;
    let (_, video) = upload_tiny(&node, &admin, "mirrored by PeerTube")?;
    let file = first_file(&node, &video)?;
    ensure!(!file.info_hash.is_empty() && !file.torrent_url.is_empty(), "{video:#}");
    let href = format!("{}/static/redundancy/{}-{}.mp4", fake.base, file.uuid, file.resolution);
    let before = torrent_info(&node, &file.torrent_url)?;
    assert_eq!(before["info_hash"], file.info_hash, "{before}");
    assert_eq!(before["web_seeds"], json!([file.file_url]), "{before}");

    // Not followed: taken (202, as PeerTube takes and drops it) and refused, nothing listed.
    send_ok(&fake, cache_file_cmd(&file, "create", Some(&iso_in(86_400))))?;
    wait_count(&node, "create", "refused", 1.0)?;
    assert_eq!(redundancies(&node, &file.uuid)?, Vec::<String>::new(), "a refused CacheFile changes nothing");
    assert_eq!(torrent_info(&node, &file.torrent_url)?, before, "a refused CacheFile changes nothing");

    // Followed: the same CacheFile is taken.
    follow_instance(&admin, &fake.host)?;
    wait_follow_state(&admin, &fake.host, "accepted")?;
    send_ok(&fake, cache_file_cmd(&file, "create", Some(&iso_in(86_400))))?;
    wait_redundancies(&node, &file.uuid, std::slice::from_ref(&href), "the mirror in redundancies")?;
    assert_eq!(cache_file_count(&node, "create", "accepted")?, 1.0);
    let served = torrent_info(&node, &file.torrent_url)?;
    assert_eq!(served["info_hash"], file.info_hash, "url-list is outside info: same info hash ({served})");
    assert_eq!(served["web_seeds"], json!([file.file_url, href]), "the mirror after the own web seed");
    let page = node.anonymous()?.get(&format!("/w/{}", video["shortUUID"].as_str().unwrap_or(&file.uuid)))?;
    ensure!(page.status() == StatusCode::OK, "watch page: {}", page.status());
    let html = page.text()?;
    ensure!(html.contains(&format!("\"mirrors\":[\"{href}\"]")), "the watch page's player data names the mirror");

    // PeerTube 8's own form (an HLS playlist, `href` its base URL): the mirror holds the
    // video's fragmented MP4s, which are its files, under their names; Undo withdraws it.
    let hls = |action: &str| json!({ "kind": "cache_file", "action": action, "form": "hls", "video": file.video_url, "expires": iso_in(86_400) });
    send_ok(&fake, hls("create"))?;
    let hls_copy =
        format!("{}/static/redundancy/hls/{}/{}-{}-fragmented.mp4", fake.base, file.uuid, file.uuid, file.resolution);
    wait_redundancies(&node, &file.uuid, &[href.clone(), hls_copy.clone()], "the playlist mirror listed")?;
    let served = torrent_info(&node, &file.torrent_url)?;
    assert_eq!(served["web_seeds"], json!([file.file_url, href, hls_copy]), "the HLS mirror is a web seed too");
    let listed = node.anonymous()?.video(&file.uuid)?["streamingPlaylists"][0]["redundancies"].clone();
    let folder = format!("{}/static/redundancy/hls/{}", fake.base, file.uuid);
    assert_eq!(listed, json!([{ "baseUrl": folder }]), "the playlist's mirror, as PeerTube lists it");
    send_ok(&fake, hls("undo"))?;
    wait_redundancies(&node, &file.uuid, std::slice::from_ref(&href), "the playlist mirror withdrawn")?;
    assert_eq!(cache_file_count(&node, "undo", "accepted")?, 1.0);

    // A CacheFile whose copy is on another host than its sender is refused (4xx).
    let mut foreign = cache_file_cmd(&file, "create", None);
    foreign["href"] = json!("http://elsewhere.example/static/redundancy/x.mp4");
    let (sent, _) = fake.send(foreign)?;
    ensure!((400..500).contains(&sent.status), "a copy on another host: {} {}", sent.status, sent.body);
    assert_eq!(redundancies(&node, &file.uuid)?, vec![href.clone()]);

    // Update to an expiry in the past: not listed; to a later one: listed again.
    send_ok(&fake, cache_file_cmd(&file, "update", Some(&iso_in(-60))))?;
    wait_redundancies(&node, &file.uuid, &[], "an expired mirror not listed")?;
    assert_eq!(torrent_info(&node, &file.torrent_url)?["web_seeds"], json!([file.file_url]));
    send_ok(&fake, cache_file_cmd(&file, "update", Some(&iso_in(7 * 86_400))))?;
    wait_redundancies(&node, &file.uuid, std::slice::from_ref(&href), "an extended mirror listed again")?;
    assert_eq!(cache_file_count(&node, "update", "accepted")?, 2.0);

    // Undo removes it everywhere.
    send_ok(&fake, cache_file_cmd(&file, "undo", None))?;
    wait_redundancies(&node, &file.uuid, &[], "the undone mirror gone")?;
    assert_eq!(torrent_info(&node, &file.torrent_url)?["web_seeds"], json!([file.file_url]));
    assert_eq!(cache_file_count(&node, "undo", "accepted")?, 2.0);
    Ok(())
}

/// accept_from = nobody: even a followed host's CacheFile is refused and changes nothing.
#[test]
fn accept_from_nobody_refuses_every_cache_file() -> Result<()> {
    let node = federating().set("redundancy.accept_from", "nobody").start()?;
    let admin = node.admin()?;
    let fake = FakePeerTube::start()?;
    let (_, video) = upload_tiny(&node, &admin, "never mirrored")?;
    let file = first_file(&node, &video)?;
    follow_instance(&admin, &fake.host)?;
    wait_follow_state(&admin, &fake.host, "accepted")?;
    let before = torrent_info(&node, &file.torrent_url)?;
    send_ok(&fake, cache_file_cmd(&file, "create", None))?;
    send_ok(&fake, cache_file_cmd(&file, "update", Some(&iso_in(86_400))))?;
    wait_count(&node, "create", "refused", 1.0)?;
    wait_count(&node, "update", "refused", 1.0)?;
    assert_eq!(redundancies(&node, &file.uuid)?, Vec::<String>::new());
    assert_eq!(torrent_info(&node, &file.torrent_url)?, before);
    if cache_file_count(&node, "create", "accepted")? > 0.0 {
        bail!("a CacheFile was accepted with accept_from = nobody");
    }
    Ok(())
}
