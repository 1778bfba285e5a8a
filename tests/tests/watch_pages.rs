//! The pages people open, read over HTTP: `/` lists published public videos with
//! their thumbnails and links to their watch pages, names escaped; the watch page
//! carries the player's data (files, torrent, tracker) as JSON that a script
//! element cannot be broken out of; unknown ids get a 404 page; the player's assets
//! (Shoal's script, webtorrent's bundle and service worker) are served.

use serde_json::Value;
use shoal_tests::media::write_y4m;
use shoal_tests::{NodeBuilder, Result, TestNode};
use std::time::Duration;

const NAME: &str = r#"<script>alert("x")</script> & 'friends'"#;
const ESCAPED: &str = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;";

fn get(url: &str) -> Result<(u16, String, String)> {
    let response = reqwest::blocking::Client::new().get(url).timeout(Duration::from_secs(10)).send()?;
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    Ok((status, content_type, response.text()?))
}

#[test]
fn home_lists_videos_and_watch_pages_carry_the_player() -> Result<()> {
    let node = TestNode::start()?;
    let (status, content_type, empty_home) = get(&node.url("/"))?;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(empty_home.contains("No videos yet."), "{empty_home}");

    let admin = node.admin()?;
    let source = node.scratch().join("page.y4m");
    write_y4m(&source, 320, 240, 10, 12)?;
    let upload = admin.upload(&source, NAME)?;
    let details = admin.wait_published(&upload.uuid, 2, Duration::from_secs(300))?;

    let (status, _, home) = get(&node.url("/"))?;
    assert_eq!(status, 200);
    assert!(home.contains(ESCAPED), "the name is escaped on /: {home}");
    assert!(!home.contains(NAME), "no raw name on /");
    assert!(home.contains(&format!("href=\"/w/{}\"", upload.short_uuid)), "{home}");
    let thumbnail = details["thumbnailPath"].as_str().unwrap_or_default();
    assert!(!thumbnail.is_empty(), "a thumbnail was made: {details}");
    assert!(home.contains(&format!("src=\"{thumbnail}\"")), "{home}");
    let (status, content_type, _) = get(&node.url(thumbnail))?;
    assert_eq!((status, content_type.as_str()), (200, "image/jpeg"));

    for path in [format!("/w/{}", upload.short_uuid), format!("/videos/watch/{}", upload.uuid)] {
        let (status, content_type, page) = get(&node.url(&path))?;
        assert_eq!((status, content_type.as_str()), (200, "text/html; charset=utf-8"), "{path}");
        assert!(page.contains(&format!("<h1>{ESCAPED}</h1>")), "{path}: {page}");
        assert!(page.contains("<video id=\"shoal-video\""), "{path}");
        assert!(page.contains("<script type=\"module\" src=\"/ui/player.js\">"), "{path}");
        let data = player_data(&page)?;
        assert_eq!(data["name"], NAME, "the JSON keeps the name intact");
        assert_eq!(data["files"].as_array().map(Vec::len), Some(2), "{data}");
        assert_eq!(data["files"][0]["resolution"], 240, "highest first: {data}");
        assert_eq!(data["files"][0]["fileUrl"], details["files"][0]["fileUrl"]);
        assert_eq!(data["files"][0]["torrentUrl"], details["files"][0]["torrentUrl"]);
        assert_eq!(
            data["trackers"][0],
            format!("ws://{}/tracker/socket", node.base_url().trim_start_matches("http://"))
        );
        assert_eq!(data["webTorrent"], "/ui/webtorrent/webtorrent.min.js", "set-up installed the bundle");
    }

    for path in [
        "/w/not-a-video".to_owned(),
        "/w/2hYbW4KzfxhDGrbzkh3wV4".to_owned(),
        "/videos/watch/6f0c1b65-4c4f-4b6e-9d59-6f1a6a0a3a43".to_owned(),
        format!("/videos/watch/{}", details["id"]),
    ] {
        let (status, content_type, page) = get(&node.url(&path))?;
        assert_eq!((status, content_type.as_str()), (404, "text/html; charset=utf-8"), "{path}");
        assert!(page.contains("Page not found"), "{path}: {page}");
    }

    let (status, content_type, player) = get(&node.url("/ui/player.js"))?;
    assert_eq!((status, content_type.as_str()), (200, "text/javascript; charset=utf-8"));
    assert!(player.contains("shoalStats"));
    let (status, _, bundle) = get(&node.url("/ui/webtorrent/webtorrent.min.js"))?;
    assert_eq!(status, 200);
    assert!(bundle.contains("export"), "webtorrent v3 ships an ES module");
    let worker = reqwest::blocking::get(node.url("/ui/webtorrent/sw.min.js"))?;
    assert_eq!(worker.status(), 200);
    let allowed = worker.headers().get("service-worker-allowed").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(allowed.as_deref(), Some("/"), "the worker may control the watch pages");
    let (status, content_type, _) = get(&node.url("/ui/shoal.css"))?;
    assert_eq!((status, content_type.as_str()), (200, "text/css; charset=utf-8"));
    Ok(())
}

#[test]
fn a_node_without_the_bundle_says_so_and_pages_fall_back_to_http() -> Result<()> {
    let empty = tempfile::tempdir()?;
    let node = NodeBuilder::new().set("ui.dir", empty.path().display().to_string()).start()?;
    let (status, content_type, answer) = get(&node.url("/ui/webtorrent/webtorrent.min.js"))?;
    assert_eq!((status, content_type.as_str()), (503, "text/javascript; charset=utf-8"));
    assert!(answer.contains("scripts/setup.sh"), "the remedy is named: {answer}");
    assert_eq!(get(&node.url("/ui/webtorrent/sw.min.js"))?.0, 503);
    assert!(node.logs().contains("the webtorrent player bundle is missing"), "{}", node.log_tail(20));

    let admin = node.admin()?;
    let source = node.scratch().join("nobundle.y4m");
    write_y4m(&source, 320, 240, 10, 6)?;
    let upload = admin.upload(&source, "no bundle")?;
    admin.wait_published(&upload.uuid, 1, Duration::from_secs(300))?;
    let (status, _, page) = get(&node.url(&format!("/w/{}", upload.short_uuid)))?;
    assert_eq!(status, 200);
    let data = player_data(&page)?;
    assert!(data["webTorrent"].is_null(), "the player is told to play over HTTP: {data}");
    Ok(())
}

/// The JSON inside `<script type="application/json" id="shoal-watch-data">`.
fn player_data(page: &str) -> Result<Value> {
    let start_tag = "<script type=\"application/json\" id=\"shoal-watch-data\">";
    let start = page.find(start_tag).map(|i| i + start_tag.len()).ok_or_else(|| anyhow::anyhow!("no data"))?;
    let len = page[start..].find("</script>").ok_or_else(|| anyhow::anyhow!("unterminated data"))?;
    let json = &page[start..start + len];
    assert!(!json.contains('<'), "no markup inside the data: {json}");
    Ok(serde_json::from_str(json)?)
}
