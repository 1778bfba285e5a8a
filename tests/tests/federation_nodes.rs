//! Three Shoal nodes federating on loopback, driven only through PeerTube's
//! REST routes and ActivityPub GETs: A follows B (the instance follow is
//! accepted on both sides); B's upload appears on A as a remote video whose
//! files A points at B; a comment and a like made on A arrive at B; C, which
//! follows no one, never sees the video; B's delete removes it on A. Then
//! delivery durability: activities made on A while B is stopped all arrive,
//! in order, once B is back; and activities pending when A is killed with
//! `kill -9` are delivered after A restarts, none twice.

use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

use shoal_tests::federation::{
    ap_get, comment, comments, delivery_stats, federating, follow_instance, host_of, metric_samples, rate, ratings,
    unfollow_instance, upload_tiny, video_status, wait_follow_accepted, wait_for, Comment, AP_ACCEPT,
    FEDERATION_TIMEOUT, LD_ACCEPT,
};
use shoal_tests::verify::get_bytes;
use shoal_tests::{ApiClient, Result, TestNode};

/// Waits until A lists `uuid` as a remote video of B and returns A's `GET /api/v1/videos/{uuid}`.
fn wait_remote_video(a: &TestNode, b: &TestNode, uuid: &str) -> Result<Value> {
    let anon = a.anonymous()?;
    let b_host = host_of(b);
    let listed = wait_for(FEDERATION_TIMEOUT, "B's video listed on A", |last| {
        let list = anon.get_json("/api/v1/videos?start=0&count=50")?;
        *last = list.to_string();
        Ok(list["data"].as_array().and_then(|d| d.iter().find(|v| v["uuid"].as_str() == Some(uuid)).cloned()))
    })?;
    assert_eq!(listed["isLocal"], false, "a followed instance's video is remote on A: {listed:#}");
    assert_eq!(listed["account"]["host"].as_str(), Some(b_host.as_str()), "account.host is B's: {listed:#}");
    anon.video(uuid)
}

/// A follows B and B uploads a tiny video that reaches A; returns B's upload uuid and id.
fn follow_and_share(a: &TestNode, b: &TestNode, name: &str) -> Result<(String, u64)> {
    follow_instance(&a.admin()?, &host_of(b))?;
    wait_follow_accepted(a, b)?;
    let (upload, _) = upload_tiny(b, &b.admin()?, name)?;
    wait_remote_video(a, b, &upload.uuid)?;
    Ok((upload.uuid, upload.id))
}

/// Waits until B's comment list holds every text of `texts` (made on A) and returns it.
fn wait_comments(b: &ApiClient, uuid: &str, texts: &[&str]) -> Result<Vec<Comment>> {
    wait_for(FEDERATION_TIMEOUT, &format!("comments {texts:?} on B"), |last| {
        let all = comments(b, uuid)?;
        *last = format!("{all:?}");
        Ok(texts.iter().all(|t| all.iter().any(|c| c.text.contains(t))).then_some(all))
    })
}

fn check_video_object(b: &TestNode, uuid: &str) -> Result<()> {
    let watch = b.url(&format!("/videos/watch/{uuid}"));
    for accept in [AP_ACCEPT, LD_ACCEPT] {
        let (status, content_type, video) = ap_get(&watch, accept)?;
        assert_eq!(status, StatusCode::OK, "GET {watch} with Accept {accept}");
        assert!(content_type.contains("json"), "content type {content_type} for Accept {accept}");
        assert_eq!(video["type"], "Video", "{video:#}");
        assert_eq!(video["id"].as_str(), Some(watch.as_str()), "{video:#}");
        assert_eq!(video["uuid"].as_str(), Some(uuid));
        let duration = video["duration"].as_str().unwrap_or_default();
        assert!(duration.starts_with("PT") && duration.ends_with('S'), "duration {duration}");
        let urls = video["url"].as_array().cloned().unwrap_or_default();
        assert_eq!(urls.first().and_then(|u| u["mediaType"].as_str()), Some("text/html"), "text/html link first");
        let mp4 = urls.iter().find(|u| u["mediaType"] == "video/mp4").cloned().unwrap_or_default();
        assert_eq!(mp4["height"], 120, "a video/mp4 link per file with its height: {mp4}");
        assert!(mp4["size"].as_u64().unwrap_or(0) > 0, "{mp4}");
        assert!(urls.iter().any(|u| u["mediaType"] == "application/x-bittorrent"), "torrent link");
        assert!(urls.iter().any(|u| u["mediaType"] == "application/x-bittorrent;x-scheme-handler/magnet"), "magnet");
        let attributed = video["attributedTo"].as_array().cloned().unwrap_or_default();
        let kinds: Vec<&str> = attributed.iter().filter_map(|a| a["type"].as_str()).collect();
        assert_eq!(kinds, ["Person", "Group"], "attributedTo [account, channel]: {attributed:?}");
    }
    let html = reqwest::blocking::Client::new().get(&watch).header("Accept", "text/html,*/*;q=0.8").send()?;
    let content_type = html.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(content_type.starts_with("text/html"), "a browser gets the watch page: {content_type}");
    Ok(())
}

#[test]
fn a_follows_b_sees_its_videos_and_its_comments_and_likes_reach_b() -> Result<()> {
    let a = federating().start()?;
    let b = federating().start()?;
    let c = federating().start()?;
    let (a_host, b_host) = (host_of(&a), host_of(&b));
    let (a_admin, b_admin) = (a.admin()?, b.admin()?);

    follow_instance(&a_admin, &b_host)?;
    wait_follow_accepted(&a, &b)?;

    let (upload, _) = upload_tiny(&b, &b_admin, "federated on B")?;
    check_video_object(&b, &upload.uuid)?;
    let on_b = b_admin.video(&upload.uuid)?;
    let on_a = wait_remote_video(&a, &b, &upload.uuid)?;
    assert_eq!(on_a["uuid"], on_b["uuid"]);
    assert_eq!(on_a["name"], "federated on B");
    assert_eq!(on_a["isLocal"], false);

    // A points its viewers at B's web seed; the bytes come from B. A serves the torrent
    // itself (as PeerTube does, fetched once from B): B's torrent, same info hash.
    let file = on_a["files"][0].clone();
    let file_url = file["fileUrl"].as_str().unwrap_or_default();
    assert!(file_url.starts_with(&format!("{}/", b.base_url())), "fileUrl at B: {file}");
    let a_torrent = file["torrentUrl"].as_str().unwrap_or_default();
    assert!(a_torrent.starts_with(&format!("{}/lazy-static/torrents/", a.base_url())), "torrentUrl at A: {file}");
    let http = reqwest::blocking::Client::new();
    let from_a = get_bytes(&http, a_torrent)?;
    let from_b = get_bytes(&http, on_b["files"][0]["torrentUrl"].as_str().unwrap_or_default())?;
    assert_eq!(
        shoal_protocol::torrent::info_hash_of(&from_a)?,
        shoal_protocol::torrent::info_hash_of(&from_b)?,
        "A's torrent of B's file is B's"
    );
    let from_a_metadata = get_bytes(&http, file_url)?;
    let b_file = on_b["files"][0]["fileUrl"].as_str().unwrap_or_default();
    assert!(!from_a_metadata.is_empty(), "{file_url} served bytes");
    assert_eq!(from_a_metadata, get_bytes(&http, b_file)?, "A's fileUrl serves B's file");

    // C follows no one: it never hears of the video.
    assert_eq!(video_status(&c.anonymous()?, &upload.uuid)?, StatusCode::NOT_FOUND, "C does not have B's video");
    let c_list = c.anonymous()?.get_json("/api/v1/videos?start=0&count=50")?;
    assert_eq!(c_list["total"], 0, "C lists nothing: {c_list}");

    // A comment and a like made on A reach B.
    let text = "a comment made on A";
    comment(&a_admin, &upload.uuid, text)?;
    let on_b_comments = wait_comments(&b_admin, &upload.uuid, &[text])?;
    let remote = on_b_comments
        .iter()
        .find(|c| c.text.contains(text))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no comment {text:?} on B: {on_b_comments:?}"))?;
    assert_eq!(remote.account_host, a_host, "B shows the comment as from A's account: {remote:?}");
    assert_eq!(remote.account_name, "root", "{remote:?}");
    rate(&a_admin, &upload.uuid, "like")?;
    wait_for(FEDERATION_TIMEOUT, "A's like counted on B", |last| {
        let (likes, dislikes) = ratings(&b_admin, &upload.uuid)?;
        *last = format!("likes {likes}, dislikes {dislikes}");
        Ok((likes == 1 && dislikes == 0).then_some(()))
    })?;
    assert_eq!(video_status(&c.anonymous()?, &upload.uuid)?, StatusCode::NOT_FOUND, "still nothing on C");

    // A view on A is reported to B (one View per view, as PeerTube counts them), and B's count is
    // what A shows once B's next Update arrives; here B's own count is checked.
    let views_path = format!("/api/v1/videos/{}/views", upload.uuid);
    let resp = a.anonymous()?.post_json(&views_path, &serde_json::json!({ "currentTime": 1 }))?;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT, "view on A");
    wait_for(FEDERATION_TIMEOUT, "A's view counted on B", |last| {
        let views = b_admin.video(&upload.uuid)?["views"].as_u64().unwrap_or(0);
        *last = format!("views {views}");
        Ok((views == 1).then_some(()))
    })?;

    // B deletes: gone on A too.
    let resp = b_admin.delete(&format!("/api/v1/videos/{}", upload.id))?;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT, "DELETE on B");
    let anon_a = a.anonymous()?;
    wait_for(FEDERATION_TIMEOUT, "B's delete reaching A", |last| {
        let status = video_status(&anon_a, &upload.uuid)?;
        *last = status.to_string();
        Ok((status == StatusCode::NOT_FOUND).then_some(()))
    })?;

    // A unfollows B: the follow is gone on A at once, and B hears of it (Undo).
    unfollow_instance(&a_admin, &b_host)?;
    assert_eq!(a_admin.get_json("/api/v1/server/following")?["total"], 0, "A follows no one");
    wait_for(FEDERATION_TIMEOUT, "A's Undo reaching B", |last| {
        let followers = b_admin.get_json("/api/v1/server/followers")?;
        *last = followers.to_string();
        Ok((followers["total"] == 0).then_some(()))
    })?;
    Ok(())
}

/// The comments with these texts, in B's order of arrival (comment ids grow as B stores them).
fn texts_in_id_order(all: &[Comment], texts: &[&str]) -> Vec<String> {
    let mut mine: Vec<&Comment> =
        all.iter().filter(|c| texts.iter().any(|t| c.text.trim() == *t || c.text == format!("<p>{t}</p>"))).collect();
    mine.sort_by_key(|c| c.id);
    mine.iter().map(|c| c.text.replace("<p>", "").replace("</p>", "").trim().to_string()).collect()
}

#[test]
fn deliveries_wait_for_a_stopped_node_arrive_in_order_and_survive_kill9() -> Result<()> {
    let mut a = federating().start()?;
    let mut b = federating().start()?;
    let b_host = host_of(&b);
    let (uuid, _) = follow_and_share(&a, &b, "durable deliveries")?;
    let a_admin = a.admin()?;

    // B is down: A queues, in order.
    b.terminate(Duration::from_secs(20))?;
    for text in ["1", "2", "3"] {
        comment(&a_admin, &uuid, text)?;
    }
    rate(&a_admin, &uuid, "like")?;
    let queued = wait_for(Duration::from_secs(20), "A's stats showing deliveries queued for B", |last| {
        let entry = delivery_stats(&a_admin, &b_host)?;
        *last = format!("{entry:?}");
        Ok(entry.filter(|e| e["queued"].as_u64().unwrap_or(0) >= 1))
    })?;
    assert!(queued["failed"].as_u64().is_some() && queued["consecutiveFailures"].as_u64().is_some(), "{queued:#}");
    let waiting = a_admin.get_json("/api/v1/server/stats")?["totalActivityPubMessagesWaiting"].as_u64().unwrap_or(0);
    assert!(waiting >= 1, "totalActivityPubMessagesWaiting counts the queue: {waiting}");
    let b_label = format!("host=\"{b_host}\"");
    let depth = metric_samples(&a, "shoal_federation_queue_depth")?;
    assert!(
        depth.iter().any(|(labels, v)| labels.contains(&b_label) && *v >= 1.0),
        "shoal_federation_queue_depth for B while it is down: {depth:?}"
    );

    b.restart()?;
    let b_admin = b.admin()?;
    let all = wait_comments(&b_admin, &uuid, &["1", "2", "3"])?;
    assert_eq!(texts_in_id_order(&all, &["1", "2", "3"]), ["1", "2", "3"], "delivered in order: {all:?}");
    wait_for(FEDERATION_TIMEOUT, "the like made while B was down", |last| {
        let (likes, _) = ratings(&b_admin, &uuid)?;
        *last = format!("likes {likes}");
        Ok((likes == 1).then_some(()))
    })?;

    // kill -9 A with deliveries to a stopped B pending, restart both: all arrive once.
    b.terminate(Duration::from_secs(20))?;
    for text in ["4", "5", "6"] {
        comment(&a_admin, &uuid, text)?;
    }
    std::thread::sleep(Duration::from_millis(500));
    a.kill9()?;
    a.restart()?;
    b.restart()?;
    let b_admin = b.admin()?;
    wait_comments(&b_admin, &uuid, &["4", "5", "6"])?;
    // Let any duplicate retry land before counting.
    std::thread::sleep(Duration::from_secs(4));
    let all = comments(&b_admin, &uuid)?;
    let texts = ["1", "2", "3", "4", "5", "6"];
    assert_eq!(texts_in_id_order(&all, &texts), texts, "each comment exactly once, in order: {all:?}");
    let a_admin = a.admin()?;
    wait_for(FEDERATION_TIMEOUT, "A's queue for B drained", |last| {
        let entry = delivery_stats(&a_admin, &b_host)?;
        *last = format!("{entry:?}");
        Ok(entry.filter(|e| e["queued"].as_u64() == Some(0)))
    })?;
    assert_eq!(ratings(&b_admin, &uuid)?.0, 1, "the like is not counted twice");
    let b_label = format!("host=\"{b_host}\"");
    let delivered: f64 = metric_samples(&a, "shoal_federation_deliveries_total")?
        .iter()
        .filter(|(labels, _)| labels.contains(&b_label) && labels.contains("outcome=\"delivered\""))
        .map(|(_, v)| v)
        .sum();
    // Counted since the restart: at least comments 4, 5 and 6.
    assert!(delivered >= 3.0, "shoal_federation_deliveries_total delivered to B after the restart: {delivered}");
    a.assert_alive()?;
    b.assert_alive()
}
