//! End to end: log in, upload a synthetic Y4M and an ffmpeg MP4 with audio,
//! wait until both are published, then check each file against its torrent
//! (web seed bytes hash to the pieces), its magnet URI, its codecs (AV1, and
//! Opus for the one with audio) and PeerTube's response shapes.

use serde_json::Value;
use shoal_tests::media::{ffmpeg_mp4, ffprobe_streams, write_y4m};
use shoal_tests::verify::verify_file;
use shoal_tests::{Result, TestNode};
use std::time::Duration;

const PUBLISH_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn uploads_publish_as_av1_files_whose_web_seeds_match_their_torrents() -> Result<()> {
    let node = TestNode::start()?;
    let admin = node.admin()?;
    let scratch = node.scratch();

    let y4m = scratch.join("synthetic.y4m");
    write_y4m(&y4m, 320, 240, 10, 15)?;
    let mp4 = scratch.join("with-audio.mp4");
    ffmpeg_mp4(&mp4, 320, 240, 10, 1.5, true)?;

    let silent = admin.upload(&y4m, "synthetic y4m")?;
    let voiced = admin.upload(&mp4, "mp4 with audio")?;
    for v in [&silent, &voiced] {
        let decoded = shoal_protocol::short_uuid::decode(&v.short_uuid);
        assert_eq!(decoded.map(|u| u.to_string()), Some(v.uuid.clone()), "shortUUID encodes the uuid");
        let fresh = admin.video(&v.uuid)?;
        let state = fresh["state"]["id"].as_u64();
        assert!(matches!(state, Some(1) | Some(2)), "state right after upload: {}", fresh["state"]);
        if state == Some(2) {
            assert_eq!(fresh["state"]["label"], "To transcode");
        }
    }

    let mut resolutions = Vec::new();
    for (upload, has_audio) in [(&silent, false), (&voiced, true)] {
        let video = admin.wait_published(&upload.uuid, 2, PUBLISH_TIMEOUT)?;
        assert_eq!(video["state"]["id"], 1);
        assert_eq!(video["state"]["label"], "Published");
        assert_eq!(video["uuid"], upload.uuid.as_str());
        assert_eq!(video["shortUUID"], upload.short_uuid.as_str());
        assert_eq!(video["id"], upload.id);
        // The same video under its three names.
        for key in [upload.id.to_string(), upload.short_uuid.clone()] {
            assert_eq!(admin.video(&key)?["uuid"], upload.uuid.as_str(), "GET /api/v1/videos/{key}");
        }

        let files = video["files"].as_array().cloned().unwrap_or_default();
        for file in &files {
            check_file(&node, file, has_audio)?;
        }
        resolutions.push(files.iter().filter_map(|f| f["resolution"]["id"].as_u64()).collect::<Vec<_>>());
    }

    let list = admin.get_json("/api/v1/videos?start=0&count=10")?;
    assert!(list["total"].as_u64().unwrap_or(0) >= 2, "GET /api/v1/videos total: {list}");
    let uuids: Vec<&str> = list["data"].as_array().into_iter().flatten().filter_map(|v| v["uuid"].as_str()).collect();
    assert!(uuids.contains(&silent.uuid.as_str()) && uuids.contains(&voiced.uuid.as_str()), "{list}");

    // PeerTube lists files highest resolution first (`sortByResolutionDesc` in
    // its videoFilesModelToFormattedJSON); clients pick files[0] as the best.
    for order in resolutions {
        assert_eq!(order, vec![240, 120], "files[].resolution.id in PeerTube's order (highest first)");
    }
    Ok(())
}

fn check_file(node: &TestNode, file: &Value, has_audio: bool) -> Result<()> {
    let http = reqwest::blocking::Client::new();
    let res = file["resolution"]["id"].as_u64().unwrap_or(0);
    assert_eq!(file["resolution"]["label"], format!("{res}p"));
    assert!(file["fps"].as_f64().unwrap_or(0.0) > 0.0, "fps: {file}");
    let checked = verify_file(&http, file)?;
    assert!(checked.file_url.starts_with(&format!("{}/static/web-videos/", node.base_url())), "{file}");
    assert!(checked.torrent_url.starts_with(&format!("{}/lazy-static/torrents/", node.base_url())), "{file}");

    let local = node.scratch().join(format!("served-{res}-{}.mp4", has_audio));
    std::fs::write(&local, &checked.bytes)?;
    let streams = ffprobe_streams(&local)?;
    let video: Vec<_> = streams.iter().filter(|s| s.codec_type == "video").collect();
    assert_eq!(video.len(), 1, "one video stream: {streams:?}");
    assert_eq!(video[0].codec_name, "av1", "{streams:?}");
    // The file is as big as the API says, and its short side is its resolution.
    assert_eq!((video[0].width, video[0].height), (file["width"].as_u64(), file["height"].as_u64()), "{streams:?}");
    assert_eq!(video[0].width.min(video[0].height), Some(res), "{streams:?}");
    let audio: Vec<_> = streams.iter().filter(|s| s.codec_type == "audio").collect();
    if has_audio {
        assert_eq!(audio.len(), 1, "one audio stream: {streams:?}");
        assert_eq!(audio[0].codec_name, "opus", "{streams:?}");
    } else {
        assert!(audio.is_empty(), "no audio stream expected: {streams:?}");
    }
    Ok(())
}

/// A phone video: stored landscape (320x180) with a 90° rotation tag, shown portrait.
/// Like PeerTube, Shoal names its resolution by the short side: the 120p rung is 120 wide
/// and 214 high, and the video's aspect ratio is portrait.
#[test]
fn a_rotated_phone_video_is_transcoded_upright_and_named_by_its_short_side() -> Result<()> {
    let node = TestNode::start()?;
    let admin = node.admin()?;
    let scratch = node.scratch();
    let stored = scratch.join("stored-landscape.mp4");
    ffmpeg_mp4(&stored, 320, 180, 10, 0.5, false)?;
    let phone = scratch.join("phone.mp4");
    let mut rotate = std::process::Command::new("ffmpeg");
    rotate.args(["-hide_banner", "-loglevel", "error", "-y", "-i"]).arg(&stored);
    rotate.args(["-c", "copy", "-metadata:s:v:0", "rotate=90"]).arg(&phone);
    shoal_tests::tools::run_ok(&mut rotate, Duration::from_secs(60))?;

    let upload = admin.upload(&phone, "held upright")?;
    let video = admin.wait_published(&upload.uuid, 1, PUBLISH_TIMEOUT)?;
    let files = video["files"].as_array().cloned().unwrap_or_default();
    // The test ladder is 120p and 240p; the short side is 180, so only 120p is made.
    assert_eq!(files.len(), 1, "{video:#}");
    let file = &files[0];
    assert_eq!(file["resolution"]["id"], 120);
    assert_eq!((file["width"].as_u64(), file["height"].as_u64()), (Some(120), Some(214)), "{file:#}");
    let aspect = video["aspectRatio"].as_f64().unwrap_or(0.0);
    assert!((aspect - 120.0 / 214.0).abs() < 0.001, "aspectRatio {aspect}");
    check_file(&node, file, false)?;
    Ok(())
}
