//! Issue 11 item 2: PeerTube's redundancy admin routes on Shoal —
//! `PUT /api/v1/server/redundancy/{host}`, `GET/POST /api/v1/server/redundancy/videos`,
//! `DELETE /api/v1/server/redundancy/videos/{id}` — their auth (401, 403), validation (400
//! with PeerTube's JSON error and `invalid-params`), 404 and 409, and their shapes.
//!
//! Remote videos come from a fake PeerTube 8.0 that Shoal follows (as the federation tests
//! do). Copies and announced mirrors are the records the mirror jobs and the CacheFile inbox
//! write (`replication::copies`, `replication::origin_mirrors`): with no second node here,
//! the test writes them into the stopped node's store (and a copy's file into its media
//! folder) and restarts it, then checks the API lists and removes exactly those.

use anyhow::{anyhow, ensure};
use reqwest::StatusCode;
use serde_json::{json, Value};

use shoal_actors::replication::copies::{self, CopyReason};
use shoal_actors::replication::origin_mirrors;
use shoal_tests::client::expect_problem;
use shoal_tests::fake_peertube::FakePeerTube;
use shoal_tests::federation::{federating, upload_tiny};
use shoal_tests::redundancy::{copy_of, follow_fake, mirror_of, with_stopped_node};
use shoal_tests::{ApiClient, Result};

/// The `following` entry of `host` in `/api/v1/server/following`.
fn following_entry(admin: &ApiClient, host: &str) -> Result<Value> {
    let list = admin.get_json("/api/v1/server/following")?;
    list["data"]
        .as_array()
        .and_then(|d| d.iter().find(|e| e["following"]["host"] == host).cloned())
        .ok_or_else(|| anyhow!("{host} not in following: {list}"))
}

fn list(admin: &ApiClient, query: &str) -> Result<Value> {
    admin.get_json(&format!("/api/v1/server/redundancy/videos?{query}"))
}

#[test]
fn redundancy_routes_check_auth_and_input_and_list_add_and_remove_copies() -> Result<()> {
    let mut node = federating().start()?;
    let admin = node.admin()?;
    let fake = FakePeerTube::start()?;
    let routes: [(&str, &str, Option<Value>); 4] = [
        ("PUT", "/api/v1/server/redundancy/example.org", Some(json!({ "redundancyAllowed": true }))),
        ("GET", "/api/v1/server/redundancy/videos?target=remote-videos", None),
        ("POST", "/api/v1/server/redundancy/videos", Some(json!({ "videoId": 1 }))),
        ("DELETE", "/api/v1/server/redundancy/videos/1", None),
    ];
    // 401 without a token, 403 for a user who is not an administrator.
    admin.create_user("alice", "alice-password-1", -1)?;
    let alice = ApiClient::login(node.base_url(), "alice", "alice-password-1")?;
    for (client, want) in [(node.anonymous()?, 401u16), (alice, 403)] {
        for (method, path, body) in &routes {
            let mut req = client.http().request(method.parse()?, client.url(path));
            if let Some(token) = client.token() {
                req = req.bearer_auth(token);
            }
            if let Some(body) = body {
                req = req.json(body);
            }
            expect_problem(req.send()?, &[want], &format!("{method} {path} as {want}"))?;
        }
    }

    // PUT on a host this node does not follow: 404; a bad body: 400 naming the field.
    let not_followed =
        admin.put_json("/api/v1/server/redundancy/example.org", &json!({ "redundancyAllowed": true }))?;
    let body = expect_problem(not_followed, &[404], "PUT redundancy of an unknown host")?;
    ensure!(body["detail"].as_str().unwrap_or_default().contains("example.org"), "{body}");
    let bad = admin
        .put_json(&format!("/api/v1/server/redundancy/{}", fake.host), &json!({ "redundancyAllowed": "maybe" }))?;
    let body = expect_problem(bad, &[400], "PUT with a non-boolean")?;
    ensure!(body["invalid-params"]["redundancyAllowed"].is_object(), "names the field: {body}");

    // A followed host: off by default, then allowed, shown as hostRedundancyAllowed.
    let video = follow_fake(&node, &admin, &fake)?;
    ensure!(following_entry(&admin, &fake.host)?["following"]["hostRedundancyAllowed"] == false);
    let put =
        admin.put_json(&format!("/api/v1/server/redundancy/{}", fake.host), &json!({ "redundancyAllowed": true }))?;
    ensure!(put.status() == StatusCode::NO_CONTENT, "PUT: {} {}", put.status(), put.text()?);
    let entry = following_entry(&admin, &fake.host)?;
    ensure!(entry["following"]["hostRedundancyAllowed"] == true, "{entry}");
    ensure!(entry["follower"]["hostRedundancyAllowed"] == false, "this node's own side: {entry}");

    // GET validation: target is required and checked, sort is `name` or `-name`, count <= 100.
    for query in ["", "target=everything", "target=my-videos&sort=-views", "target=my-videos&count=101"] {
        let resp = admin.get(&format!("/api/v1/server/redundancy/videos?{query}"))?;
        expect_problem(resp, &[400], &format!("GET ?{query}"))?;
    }
    for target in ["my-videos", "remote-videos"] {
        let empty = list(&admin, &format!("target={target}"))?;
        ensure!(empty == json!({ "total": 0, "data": [] }), "{target} starts empty: {empty}");
    }

    // POST: unknown video 404, bad body 400, a local video 400, a remote one 204 then 409.
    let resp = admin.post_json("/api/v1/server/redundancy/videos", &json!({ "videoId": 999_999 }))?;
    expect_problem(resp, &[404], "POST an unknown video")?;
    for body in [json!({}), json!({ "videoId": "not an id" }), json!({ "videoId": -3 }), json!([1])] {
        let resp = admin.post_json("/api/v1/server/redundancy/videos", &body)?;
        expect_problem(resp, &[400], &format!("POST {body}"))?;
    }
    let (local, _) = upload_tiny(&node, &admin, "a local video")?;
    let resp = admin.post_json("/api/v1/server/redundancy/videos", &json!({ "videoId": local.uuid }))?;
    let body = expect_problem(resp, &[400], "POST a local video")?;
    ensure!(body["detail"].as_str().unwrap_or_default().contains("local video"), "{body}");
    let remote_id = video["id"].as_u64().ok_or_else(|| anyhow!("no id: {video}"))?;
    let resp = admin.post_json("/api/v1/server/redundancy/videos", &json!({ "videoId": remote_id }))?;
    ensure!(resp.status() == StatusCode::NO_CONTENT, "POST a remote video: {} {}", resp.status(), resp.text()?);
    let resp = admin.post_json("/api/v1/server/redundancy/videos", &json!({ "videoId": fake.video_uuid }))?;
    expect_problem(resp, &[409], "POST it again (by uuid)")?;

    // DELETE validation.
    expect_problem(admin.delete("/api/v1/server/redundancy/videos/abc")?, &[400], "DELETE a non-numeric id")?;
    expect_problem(admin.delete("/api/v1/server/redundancy/videos/12345")?, &[404], "DELETE an unknown id")?;

    // A complete copy of PeerTube's video (as the mirror job leaves it) and a mirror of the
    // local video announced by another instance (as the CacheFile inbox stores it).
    let remote_full = admin.video(&fake.video_uuid)?;
    let local_full = admin.video(&local.uuid)?;
    let copy = copy_of(&remote_full, CopyReason::Manual, 1_790_000_000)?;
    let local_file = &local_full["files"][0];
    let mirror = mirror_of(&node, &local_full)?;
    let seeded = (copy.clone(), mirror.clone());
    with_stopped_node(&mut node, move |store, media| {
        copies::put(store, &seeded.0)?;
        std::fs::create_dir_all(copies::redundancy_dir(media))?;
        std::fs::write(copies::copy_path(media, &seeded.0.filename), b"copy bytes")?;
        origin_mirrors::upsert(store, seeded.1).map_err(|e| anyhow!("{e}"))?;
        Ok(())
    })?;
    let admin = node.admin()?;

    let remote = list(&admin, "target=remote-videos")?;
    ensure!(remote["total"] == 1, "{remote:#}");
    let item = &remote["data"][0];
    ensure!(item["id"] == remote_id && item["uuid"] == fake.video_uuid.as_str(), "{item:#}");
    ensure!(item["name"] == remote_full["name"] && item["url"] == fake.video_url.as_str(), "{item:#}");
    let entry = &item["redundancies"]["streamingPlaylists"][0];
    ensure!(item["redundancies"]["files"][0] == *entry, "files and streamingPlaylists agree: {item:#}");
    ensure!(entry["fileUrl"] == node.url(&format!("/static/redundancy/{}", copy.filename)), "{entry:#}");
    ensure!(entry["strategy"] == "manual" && entry["size"] == copy.size, "{entry:#}");
    ensure!(entry["createdAt"] == "2026-09-21T14:13:20.000Z" && entry["expiresOn"].is_null(), "{entry:#}");
    ensure!(entry["id"].as_u64().is_some_and(|id| id > 0 && id < (1 << 53)), "{entry:#}");
    ensure!(list(&admin, "target=remote-videos&strategy=most-views")?["total"] == 0, "strategy filter");
    ensure!(list(&admin, "target=remote-videos&strategy=manual")?["total"] == 1, "strategy filter");
    ensure!(list(&admin, "target=remote-videos&start=1")?["data"] == json!([]), "paging");

    let mine = list(&admin, "target=my-videos")?;
    ensure!(mine["total"] == 1, "{mine:#}");
    let item = &mine["data"][0];
    ensure!(item["uuid"] == local.uuid.as_str() && item["name"] == "a local video", "{item:#}");
    let theirs = &item["redundancies"]["streamingPlaylists"][0];
    ensure!(theirs["fileUrl"] == mirror.file_url.as_str() && theirs["strategy"].is_null(), "{theirs:#}");
    ensure!(theirs["expiresOn"] == "2096-10-02T07:06:40.000Z" && theirs["size"] == local_file["size"], "{theirs:#}");

    // The copy is held, so asking for it again is a conflict; deleting it removes record and file.
    let resp = admin.post_json("/api/v1/server/redundancy/videos", &json!({ "videoId": remote_id }))?;
    expect_problem(resp, &[409], "POST a held video")?;
    let copy_id = entry["id"].as_u64().unwrap_or(0);
    let resp = admin.delete(&format!("/api/v1/server/redundancy/videos/{copy_id}"))?;
    ensure!(resp.status() == StatusCode::NO_CONTENT, "DELETE the copy: {}", resp.status());
    ensure!(list(&admin, "target=remote-videos")? == json!({ "total": 0, "data": [] }));
    ensure!(!copies::copy_path(&node.data_dir().join("media"), &copy.filename).exists(), "the copy's file is deleted");
    expect_problem(admin.delete(&format!("/api/v1/server/redundancy/videos/{copy_id}"))?, &[404], "DELETE it twice")?;
    let mirror_id = theirs["id"].as_u64().unwrap_or(0);
    let resp = admin.delete(&format!("/api/v1/server/redundancy/videos/{mirror_id}"))?;
    ensure!(resp.status() == StatusCode::NO_CONTENT, "DELETE the announced mirror: {}", resp.status());
    ensure!(list(&admin, "target=my-videos")?["total"] == 0);

    // Forbidding the host again.
    let put =
        admin.put_json(&format!("/api/v1/server/redundancy/{}", fake.host), &json!({ "redundancyAllowed": false }))?;
    ensure!(put.status() == StatusCode::NO_CONTENT);
    ensure!(following_entry(&admin, &fake.host)?["following"]["hostRedundancyAllowed"] == false);
    node.assert_alive()
}
