//! HLS after publish, checked with independent tools: ffprobe reads the master playlist over
//! HTTP and finds AV1 + Opus at every rung; every byte range of `segments-sha256.json` (and
//! only those of the playlists) hashes to its value over HTTP Range requests; the API's
//! `files[]` and `streamingPlaylists[].files[]` describe the same bytes; the tracker takes the
//! swarms p2p-media-loader makes of the playlist. Bad input (malformed
//! and unknown names, ranges outside the file, a private video's files without its owner's
//! token) gets a 4xx with a JSON body, never a 5xx.

use anyhow::{anyhow, ensure, Context};
use serde_json::Value;
use sha2::{Digest, Sha256};
use shoal_protocol::hls::swarm_ids;
use shoal_tests::client::UploadForm;
use shoal_tests::media::ffmpeg_mp4;
use shoal_tests::tracker::{failure_reason, http_announce};
use shoal_tests::{Result, TestNode};
use std::process::Command;
use std::time::Duration;

const PUBLISH_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn published_videos_play_as_hls_whose_segments_match_their_hashes() -> Result<()> {
    let node = TestNode::start()?;
    let admin = node.admin()?;
    let source = node.scratch().join("with-audio.mp4");
    ffmpeg_mp4(&source, 320, 240, 10, 6.0, true)?;
    let upload = admin.upload(&source, "hls")?;
    let video = admin.wait_published(&upload.uuid, 2, PUBLISH_TIMEOUT)?;

    // The trackers PeerTube's players announce to, as PeerTube lists its own (HTTP, then WebSocket).
    let ws = node.base_url().replace("http://", "ws://");
    let trackers = serde_json::json!([format!("{}/tracker/announce", node.base_url()), format!("{ws}/tracker/socket")]);
    ensure!(video["trackerUrls"] == trackers, "trackerUrls: {}", video["trackerUrls"]);

    let playlists = video["streamingPlaylists"].as_array().cloned().unwrap_or_default();
    ensure!(playlists.len() == 1, "one HLS playlist: {video:#}");
    let playlist = &playlists[0];
    ensure!(playlist["type"] == 1, "type 1 (HLS): {playlist}");
    let master_url = str_of(playlist, "playlistUrl")?;
    let base = format!("{}/static/streaming-playlists/hls/{}/", node.base_url(), upload.uuid);
    ensure!(master_url == format!("{base}{}-master.m3u8", upload.uuid), "{master_url}");

    // files[] and streamingPlaylists[].files[]: the same bytes (one copy on disk).
    let web: Vec<Value> = video["files"].as_array().cloned().unwrap_or_default();
    let hls: Vec<Value> = playlist["files"].as_array().cloned().unwrap_or_default();
    ensure!(web.len() == 2 && hls.len() == web.len(), "{video:#}");
    for (w, h) in web.iter().zip(&hls) {
        for key in ["resolution", "size", "fps", "width", "height", "infoHash", "torrentUrl", "magnetUri"] {
            ensure!(w[key] == h[key], "{key} differs: {w} vs {h}");
        }
        let res = h["resolution"]["id"].as_u64().unwrap_or(0);
        ensure!(str_of(h, "fileUrl")? == format!("{base}{}-{res}-fragmented.mp4", upload.uuid), "{h}");
        ensure!(str_of(h, "playlistUrl")? == format!("{base}{}-{res}.m3u8", upload.uuid), "{h}");
        let served = admin.http().get(str_of(h, "fileUrl")?).send()?.bytes()?;
        let web_seed = admin.http().get(str_of(w, "fileUrl")?).send()?.bytes()?;
        let download = admin.http().get(str_of(h, "fileDownloadUrl")?).send()?.bytes()?;
        ensure!(served.len() as u64 == h["size"].as_u64().unwrap_or(0) && served == web_seed, "one file, two URLs");
        ensure!(download == served, "the download is the same file");
    }

    // ffprobe, over HTTP, through the master playlist: every variant has AV1 and Opus.
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "program=program_id:stream=codec_name,codec_type,width,height"])
        .args(["-of", "json", &master_url])
        .output()
        .context("running ffprobe")?;
    ensure!(probe.status.success(), "ffprobe: {}", String::from_utf8_lossy(&probe.stderr));
    let probed: Value = serde_json::from_slice(&probe.stdout)?;
    let programs = probed["programs"].as_array().cloned().unwrap_or_default();
    ensure!(programs.len() == 2, "a program per rung: {probed:#}");
    let mut heights = Vec::new();
    for program in &programs {
        let streams = program["streams"].as_array().cloned().unwrap_or_default();
        let video = streams.iter().find(|s| s["codec_type"] == "video").ok_or_else(|| anyhow!("{program}"))?;
        ensure!(video["codec_name"] == "av1", "{program}");
        ensure!(streams.iter().any(|s| s["codec_type"] == "audio" && s["codec_name"] == "opus"), "{program}");
        heights.push(video["height"].as_u64().unwrap_or(0));
    }
    heights.sort_unstable();
    ensure!(heights == [120, 240], "{heights:?}");

    // The master playlist names hls.js-compatible codecs and the rates.
    let master = admin.http().get(&master_url).send()?.text()?;
    for line in master.lines().filter(|l| l.starts_with("#EXT-X-STREAM-INF:")) {
        ensure!(line.contains("CODECS=\"av01.0.") && line.contains(".08,opus\""), "{line}");
        for attr in ["BANDWIDTH=", "RESOLUTION=", "FRAME-RATE=10.000"] {
            ensure!(line.contains(attr), "{attr} in {line}");
        }
    }
    // Generated documents answer a Range like the files do, with an ETag for If-Range.
    let part = admin.http().get(&master_url).header("Range", "bytes=0-6").send()?;
    ensure!(part.status() == 206, "a range of the master playlist: {}", part.status());
    let content_range = part.headers().get("content-range").and_then(|v| v.to_str().ok()).map(str::to_owned);
    ensure!(content_range == Some(format!("bytes 0-6/{}", master.len())), "{content_range:?}");
    ensure!(part.text()? == "#EXTM3U", "the first seven bytes");
    let etag = admin.http().get(&master_url).send()?.headers().get("etag").cloned();
    let etag = etag.ok_or_else(|| anyhow!("the master playlist has an ETag"))?;
    let stale = admin.http().get(&master_url).header("Range", "bytes=0-6").header("If-Range", "\"other\"").send()?;
    ensure!(stale.status() == 200, "a stale If-Range gets the whole document: {}", stale.status());
    let fresh = admin.http().get(&master_url).header("Range", "bytes=0-6").header("If-Range", etag).send()?;
    ensure!(fresh.status() == 206, "a current If-Range gets the range: {}", fresh.status());

    // segments-sha256.json: keys are exactly the playlists' byte ranges; each range hashes to
    // its value.
    let sha_url = str_of(playlist, "segmentsSha256Url")?;
    let hashes: Value = admin.http().get(&sha_url).send()?.json()?;
    for h in &hls {
        let file_url = str_of(h, "fileUrl")?;
        let name = file_url.rsplit('/').next().unwrap_or_default();
        let ranges = hashes[name].as_object().cloned().ok_or_else(|| anyhow!("{name} in {hashes}"))?;
        let media = admin.http().get(str_of(h, "playlistUrl")?).send()?.text()?;
        let mut listed: Vec<String> = media
            .lines()
            .filter_map(|l| l.strip_prefix("#EXT-X-BYTERANGE:"))
            .filter_map(|r| {
                let (len, at) = r.split_once('@')?;
                let (len, at): (u64, u64) = (len.parse().ok()?, at.parse().ok()?);
                Some(format!("{at}-{}", at + len - 1))
            })
            .collect();
        let mut keys: Vec<String> = ranges.keys().cloned().collect();
        listed.sort();
        keys.sort();
        ensure!(listed == keys && keys.len() >= 2, "ranges of {name}: playlist {listed:?}, hashes {keys:?}");
        ensure!(media.contains(&format!("#EXT-X-MAP:URI=\"{name}\",BYTERANGE=")), "{media}");
        for (range, expected) in &ranges {
            let resp = admin.http().get(&file_url).header("Range", format!("bytes={range}")).send()?;
            ensure!(resp.status() == 206, "range {range}: {}", resp.status());
            let body = resp.bytes()?;
            ensure!(
                hex::encode(Sha256::digest(&body)) == expected.as_str().unwrap_or_default(),
                "sha256 of {name} {range}"
            );
        }
    }

    // The tracker (hosted-only by default) takes the swarms p2p-media-loader makes of this
    // playlist, for both streams and both schemes, and refuses a neighbour's.
    for index in 0..2 {
        for info_hash in swarm_ids::stream_info_hashes(&master_url, index) {
            let reply = http_announce(node.base_url(), &info_hash, b"-PM0202-abcdefghijkl", 6881, 1, "started")?;
            ensure!(failure_reason(&reply).is_none(), "stream {index}: {reply:?}");
        }
    }
    let reply = http_announce(
        node.base_url(),
        &swarm_ids::v2_info_hash(&master_url, 2),
        b"-PM0202-abcdefghijkl",
        6881,
        1,
        "started",
    )?;
    ensure!(failure_reason(&reply).is_some(), "a third stream does not exist: {reply:?}");
    Ok(())
}

#[test]
fn bad_hls_requests_are_4xx_with_json() -> Result<()> {
    let node = TestNode::start()?;
    let admin = node.admin()?;
    let source = node.scratch().join("short.mp4");
    ffmpeg_mp4(&source, 320, 240, 10, 2.0, true)?;
    let public = admin.upload(&source, "public")?;
    let channel = admin.default_channel_id()?.to_string();
    let private = admin.upload_raw(&UploadForm {
        file: Some(&source),
        name: Some("private"),
        channel_id: Some(channel),
        privacy: Some("3"),
        description: None,
    })?;
    let private: Value = private.json()?;
    let private_uuid = str_of(&private["video"], "uuid")?;
    admin.wait_published(&public.uuid, 2, PUBLISH_TIMEOUT)?;
    admin.wait_published(&private_uuid, 2, PUBLISH_TIMEOUT)?;
    let anonymous = node.anonymous()?;
    let hls = |uuid: &str, name: &str| format!("/static/streaming-playlists/hls/{uuid}/{name}");
    let u = public.uuid.as_str();
    let size = admin.video(u)?["files"][0]["size"].as_u64().unwrap_or(0);

    let cases: Vec<(String, String, Option<String>, u16)> = vec![
        ("malformed name".into(), hls(u, "master.m3u8"), None, 404),
        ("another video's name".into(), hls(u, &format!("{private_uuid}-master.m3u8")), None, 404),
        ("zero-padded resolution".into(), hls(u, &format!("{u}-0240.m3u8")), None, 404),
        ("unknown resolution".into(), hls(u, &format!("{u}-720.m3u8")), None, 404),
        ("unknown fragmented file".into(), hls(u, &format!("{u}-720-fragmented.mp4")), None, 404),
        ("traversal".into(), hls(u, "..%2F..%2Fshoal.db"), None, 404),
        ("not a uuid".into(), hls("not-a-uuid", "x-master.m3u8"), None, 404),
        ("unknown video".into(), hls("00000000-0000-4000-8000-000000000000", "a-master.m3u8"), None, 404),
        ("range outside".into(), hls(u, &format!("{u}-240-fragmented.mp4")), Some(format!("bytes={size}-")), 416),
        ("range outside a playlist".into(), hls(u, &format!("{u}-master.m3u8")), Some("bytes=100000-".into()), 416),
        ("private master".into(), hls(&private_uuid, &format!("{private_uuid}-master.m3u8")), None, 401),
        ("private segment".into(), hls(&private_uuid, &format!("{private_uuid}-240-fragmented.mp4")), None, 401),
        ("private hashes".into(), hls(&private_uuid, &format!("{private_uuid}-segments-sha256.json")), None, 401),
    ];
    for (what, path, range, expected) in cases {
        let mut req = anonymous.http().get(node.url(&path));
        if let Some(range) = &range {
            req = req.header("Range", range);
        }
        let resp = req.send()?;
        let status = resp.status().as_u16();
        ensure!(status == expected, "{what}: {path} answered {status}, expected {expected}");
        if status != 416 {
            let body: Value = resp.json().with_context(|| format!("{what}: a JSON body"))?;
            ensure!(body["status"] == expected || body["detail"].is_string(), "{what}: {body}");
        }
    }

    // The owner gets the private video's files.
    for name in [format!("{private_uuid}-master.m3u8"), format!("{private_uuid}-240-fragmented.mp4")] {
        let status = admin.get(&hls(&private_uuid, &name))?.status();
        ensure!(status == 200, "owner: {name} answered {status}");
    }
    Ok(())
}

fn str_of(v: &Value, key: &str) -> Result<String> {
    v[key].as_str().map(str::to_owned).ok_or_else(|| anyhow!("no {key} in {v}"))
}
