//! Issue 12, the PeerTube-follows-Shoal half: Shoal against the fake PeerTube 8.0 of
//! `tests/scripts/fake_peertube.py` (see `federation_peertube.rs`). PeerTube follows
//! Shoal's instance, an account and a channel and is accepted at its own inbox, takes
//! Shoal's videos and crawls its collections; activity types Shoal does not handle are
//! taken and ignored; Shoal signing RFC 9421 falls back to draft-cavage.

use anyhow::{anyhow, ensure};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

use shoal_tests::client::{json_ok, UploadForm};
use shoal_tests::fake_peertube::{deliveries, follow_of, is_2xx, refused_by_peertube, FakePeerTube, Rows};
use shoal_tests::federation::{
    comment, federating, follow_instance, follow_state, followers_count, host_of, rate, upload_tiny, wait_for,
    PUBLISH_TIMEOUT,
};
use shoal_tests::media::write_y4m;
use shoal_tests::Result;

/// Longest a step on the fake or on Shoal may take here.
const STEP: Duration = Duration::from_secs(30);

/// Rows 5 (Accept at the follower's own inbox, for the instance, an account and a
/// channel), 6 (Shoal's videos pass PeerTube's Video checks), 9 (collections) and 12
/// (PeerTube unfollows), and item 3 (a video edited on Shoal is updated on PeerTube,
/// and removed once private).
#[test]
fn peertube_follows_shoal_gets_accepted_at_its_own_inbox_and_takes_shoals_videos_and_collections() -> Result<()> {
    let mut node = federating().start()?;
    let admin = node.admin()?;
    let (first, _) = upload_tiny(&node, &admin, "on Shoal before the follow")?;
    let fake = FakePeerTube::start()?;
    let host = host_of(&node);
    let targets = [
        (host.clone(), node.url("/accounts/peertube")),
        (format!("root@{host}"), node.url("/accounts/root")),
        (format!("root_channel@{host}"), node.url("/video-channels/root_channel")),
    ];

    // Row 5: each follow is accepted only if the Accept reaches PeerTube's instance inbox.
    for (target, _) in &targets {
        let sent = fake.follow(target)?;
        assert!(
            is_2xx(&json!(sent.status)),
            "Shoal takes PeerTube's Follow of {target}: {} {}",
            sent.status,
            sent.body
        );
    }
    let mut failures = Vec::new();
    for (target, actor) in &targets {
        let outcome = fake.wait(STEP, &format!("an answer to PeerTube's follow of {target}"), |s| {
            let follow = follow_of(s, actor)?;
            if follow["state"] == "accepted" {
                return Some(Ok(()));
            }
            // An Accept that arrived elsewhere: PeerTube fails the job with this reason.
            deliveries(s)
                .into_iter()
                .find(|d| {
                    d["activity"]["type"] == "Accept"
                        && d["activity"]["actor"] == actor.as_str()
                        && !d["outcome"].is_null()
                })
                .map(|d| Err(format!("{} at {}: {}", target, d["path"], d["outcome"])))
        });
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => failures.push(reason),
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    let mut rows = Rows::default();
    rows.check(
        "5 (Accept at PeerTube's own inbox)",
        if failures.is_empty() {
            Ok(())
        } else {
            Err(anyhow!("PeerTube's follows not accepted:\n{}", failures.join("\n")))
        },
    );
    assert_eq!(followers_count(&node.url("/video-channels/root_channel"))?, 1, "Shoal counts PeerTube on the channel");

    // Row 6: Shoal's videos reach PeerTube (the outbox crawl after the Accept, then the
    // Create of a new video), and PeerTube's Video checks pass.
    let (second, _) = upload_tiny(&node, &admin, "on Shoal after the follow")?;
    for (uuid, how) in [(&first.uuid, "the outbox crawl after the Accept"), (&second.uuid, "the Create")] {
        let url = node.url(&format!("/videos/watch/{uuid}"));
        rows.check(
            &format!("6 (Shoal's video through {how})"),
            (|| {
                let video = fake.wait(STEP, &format!("Shoal's video {uuid} fetched by PeerTube"), |s| {
                    let v = s["remote_videos"].get(&url)?;
                    (v["ok"] == true || !v["error"].is_null()).then(|| v.clone())
                })?;
                ensure!(video["ok"] == true, "PeerTube stores Shoal's video {url}: {}", video["error"]);
                ensure!(
                    video["playable_urls"].as_u64().unwrap_or(0) > 0,
                    "PeerTube finds a file, torrent or HLS link: {video:#}"
                );
                ensure!(
                    video["channel"].as_str() == Some(node.url("/video-channels/root_channel").as_str()),
                    "{video:#}"
                );
                ensure!(video["comments_policy"] == 1, "comments enabled as PeerTube reads commentsPolicy: {video:#}");
                let torrents = video["torrent_urls"].as_array().cloned().unwrap_or_default();
                ensure!(
                    !torrents.is_empty()
                        && torrents.iter().all(|t| t.as_str().is_some_and(|t| t.ends_with(".torrent"))),
                    "PeerTube finds each file's .torrent in its magnet's xs: {torrents:?}"
                );
                Ok(())
            })(),
        );
    }

    // PeerTube refuses a whole Video whose `content` is under 3 characters (videos.ts,
    // isRemoteVideoContentValid); its own API refuses such a description at upload.
    rows.check(
        "6 (a video with a 2-character description)",
        (|| {
            let file = node.scratch().join("short-description.y4m");
            write_y4m(&file, 160, 120, 10, 10)?;
            let channel = admin.default_channel_id()?;
            let resp = admin.upload_raw(&UploadForm {
                file: Some(&file),
                name: Some("a short description"),
                channel_id: Some(channel.to_string()),
                privacy: Some("1"),
                description: Some("ok"),
            })?;
            if resp.status().is_client_error() {
                return Ok(()); // refused at upload, as PeerTube's API refuses it
            }
            let body = json_ok(resp, "upload")?;
            let uuid = body["video"]["uuid"].as_str().ok_or_else(|| anyhow!("no uuid in {body}"))?.to_string();
            admin.wait_published(&uuid, 1, PUBLISH_TIMEOUT)?;
            let url = node.url(&format!("/videos/watch/{uuid}"));
            let video = fake.wait(STEP, "the video fetched by PeerTube, or its Create dropped", |s| {
                let dropped = deliveries(s).into_iter().find(|d| {
                    d["activity"]["object"]["id"] == url.as_str()
                        && d["outcome"].as_str().is_some_and(|o| o.contains("dropped"))
                });
                if let Some(d) = dropped {
                    return Some(
                        json!({ "ok": false, "error": format!("its {} is {}", d["activity"]["type"], d["outcome"]) }),
                    );
                }
                let v = s["remote_videos"].get(&url)?;
                (v["ok"] == true || !v["error"].is_null()).then(|| v.clone())
            })?;
            ensure!(video["ok"] == true, "PeerTube refuses Shoal's video {url}: {}", video["error"]);
            Ok(())
        })(),
    );

    // Row 9: every collection PeerTube crawls answers 200 with an OrderedCollection paged as it pages them.
    // A comment and a like, so the video's collections have items to page.
    comment(&admin, &first.uuid, "a comment PeerTube must find in the comments collection")?;
    rate(&admin, &first.uuid, "like")?;
    let video_url = node.url(&format!("/videos/watch/{}", first.uuid));
    let (_, video) = fake.fetch(&video_url)?;
    let mut urls: Vec<String> = Vec::new();
    for (_, actor) in &targets {
        let (status, doc) = fake.fetch(actor)?;
        assert_eq!(status, 200, "{actor}: {doc}");
        for field in ["followers", "following", "outbox", "playlists"] {
            urls.push(doc[field].as_str().map(str::to_string).unwrap_or_else(|| format!("{actor} has no `{field}`")));
        }
    }
    for field in ["likes", "dislikes", "shares", "comments"] {
        urls.push(video[field].as_str().map(str::to_string).unwrap_or_else(|| format!("the Video has no `{field}`")));
    }
    let mut bad = Vec::new();
    for url in &urls {
        if !url.starts_with("http") {
            bad.push(url.clone());
            continue;
        }
        let report = fake.crawl(url)?;
        let pages_ok = report["pages"]
            .as_array()
            .is_some_and(|p| p.iter().all(|page| page["status"] == 200 && page["type"] == "OrderedCollectionPage"));
        if report["status"] != 200 || report["type"] != "OrderedCollection" || !report["error"].is_null() || !pages_ok {
            bad.push(format!("{url}: {report}"));
        } else if url.ends_with("/comments") && report["items"] != report["totalItems"] {
            // PeerTube's syncComments crawls this on every refresh of the video, then
            // destroys the remote comments it did not find (VideoCommentModel.cleanOldCommentsOf).
            bad.push(format!(
                "{url}: its pages list {} of its {} items: {report}",
                report["items"], report["totalItems"]
            ));
        }
    }
    let state = fake.state()?;
    for (url, report) in state["crawls"].as_object().into_iter().flatten() {
        if url.starts_with(node.base_url()) && !report["error"].is_null() {
            bad.push(format!("PeerTube's own crawl of {url}: {}", report["error"]));
        }
    }
    rows.check(
        "9 (collections)",
        if bad.is_empty() { Ok(()) } else { Err(anyhow!("collections PeerTube cannot crawl:\n{}", bad.join("\n"))) },
    );

    // Issue 12 item 3: a video edited on Shoal (PUT /api/v1/videos/{id}, multipart as
    // PeerTube's web client sends it) reaches PeerTube as an Update with the new name,
    // which PeerTube stores; made private, it reaches PeerTube as a Delete.
    let first_url = node.url(&format!("/videos/watch/{}", first.uuid));
    rows.check(
        "item 3 (Update of Shoal's edited video)",
        (|| {
            let fields = [("name", "renamed on Shoal".to_string()), ("tags[]", "edited".to_string())];
            let resp = admin.put_form(&format!("/api/v1/videos/{}", first.id), &fields)?;
            ensure!(resp.status() == StatusCode::NO_CONTENT, "PUT video on Shoal: {}", resp.status());
            let update = fake.wait(STEP, "an Update of the edited video received by PeerTube", |s| {
                deliveries(s).into_iter().find(|d| {
                    d["activity"]["type"] == "Update"
                        && !d["status"].is_null()
                        && d["activity"]["object"]["id"] == first_url.as_str()
                        && d["activity"]["object"]["name"] == "renamed on Shoal"
                })
            })?;
            ensure!(is_2xx(&update["status"]), "PeerTube takes the Update: {update:#}");
            fake.wait(STEP, "the new name stored by PeerTube", |s| {
                (s["remote_videos"][&first_url]["name"] == "renamed on Shoal").then_some(())
            })?;
            Ok(())
        })(),
    );
    rows.check(
        "item 3 (Delete of Shoal's video made private)",
        (|| {
            let resp = admin.put_json(&format!("/api/v1/videos/{}", first.id), &json!({ "privacy": 3 }))?;
            ensure!(resp.status() == StatusCode::NO_CONTENT, "PUT privacy on Shoal: {}", resp.status());
            fake.wait(STEP, "the private video deleted on PeerTube", |s| {
                (s["remote_videos"][&first_url]["deleted"] == true).then_some(())
            })
        })(),
    );

    // Shoal deletes a video: PeerTube takes the Delete only from the video's account.
    rows.check(
        "6 (Delete of Shoal's video)",
        (|| {
            let resp = admin.delete(&format!("/api/v1/videos/{}", second.id))?;
            ensure!(resp.status().is_success(), "DELETE video on Shoal: {}", resp.status());
            let url = node.url(&format!("/videos/watch/{}", second.uuid));
            fake.wait(STEP, "Shoal's video deleted on PeerTube", |s| {
                (s["remote_videos"][&url]["deleted"] == true).then_some(())
            })
        })(),
    );

    // Row 12 (PeerTube's side): PeerTube unfollows the instance and the channel.
    for (target, actor) in [&targets[0], &targets[2]] {
        let sent = fake.unfollow(target)?;
        assert!(is_2xx(&json!(sent.status)), "Undo of the follow of {target}: {} {}", sent.status, sent.body);
        wait_for(STEP, &format!("PeerTube gone from {actor}'s followers"), |last| {
            let n = followers_count(actor)?;
            *last = n.to_string();
            Ok((n == 0).then_some(()))
        })?;
    }
    let followers = admin.get_json("/api/v1/server/followers")?;
    assert_eq!(follow_state(&followers, "follower", &fake.host), None, "{followers:#}");
    rows.check("5, 6 (what Shoal sent passes PeerTube's checks)", refused_by_peertube(&fake, &["explicit inbox"]));
    node.assert_alive()?;
    rows.finish()
}

/// Rows 10 (unknown type 202 and counted, invalid known type 4xx) and 11 (PeerTube
/// 8.0 verifies only draft-cavage: Shoal signing RFC 9421 gets 403 and falls back).
#[test]
fn unknown_types_are_ignored_invalid_ones_refused_and_rfc9421_falls_back_to_cavage() -> Result<()> {
    let mut node = federating().set("federation.signature_scheme", "rfc9421").start()?;
    let admin = node.admin()?;
    let fake = FakePeerTube::start_production_keys()?;

    // Row 10: an activity type Shoal does not know is accepted and ignored, and counted;
    // a known type that fails validation (a Like without an object) is a 4xx.
    let mut rows = Rows::default();
    rows.check(
        "10 (unknown type: 202, counted)",
        (|| {
            let (sent, _) =
                fake.send(json!({ "kind": "raw", "as": "root", "inbox": node.url("/inbox"), "activity": {
            "type": "Frobnicate", "id": format!("{}/frobs/1", fake.root()), "actor": fake.root(),
            "object": fake.video_url } }))?;
            ensure!(sent.status == 202, "unknown type: {} {}", sent.status, sent.body);
            wait_for(STEP, "the ignored activity counted in /metrics (a sample named *inbox_ignored*)", |last| {
                let text = reqwest::blocking::get(node.url("/metrics"))?.text()?;
                let lines: Vec<String> = text
                    .lines()
                    .filter(|l| l.contains("inbox_ignored") && !l.starts_with('#'))
                    .map(str::to_string)
                    .collect();
                *last = lines.join("\n");
                Ok(lines.iter().any(|l| l.rsplit(' ').next().is_some_and(|v| v != "0")).then_some(()))
            })
        })(),
    );
    rows.check(
        "10 (invalid known type: 4xx)",
        (|| {
            let (sent, _) = fake
                .send(json!({ "kind": "raw", "as": "root", "inbox": node.url("/inbox"), "activity": {
            "type": "Like", "id": format!("{}/likes/broken", fake.root()), "actor": fake.root() } }))?;
            ensure!((400..500).contains(&sent.status), "invalid Like: {} {}", sent.status, sent.body);
            Ok(())
        })(),
    );

    // Row 11: the fake answers an RFC 9421-only POST with 403, as PeerTube 8.0 does...
    let (sent, _) = fake.send(json!({ "kind": "raw", "as": "root", "sign": "rfc9421",
        "inbox": format!("{}/inbox", fake.base), "activity": { "type": "Like",
        "id": format!("{}/likes/self", fake.root()), "actor": fake.root(), "object": fake.video_url } }))?;
    assert_eq!(sent.status, 403, "the fake refuses RFC 9421 as PeerTube 8.0: {}", sent.body);
    // ...and Shoal, set to sign RFC 9421, gets its Follow through with draft-cavage after the 403.
    follow_instance(&admin, &fake.host)?;
    rows.check(
        "11 (Shoal falls back to draft-cavage after PeerTube's 403)",
        (|| {
            let state = fake.wait(STEP, "Shoal's Follow taken by PeerTube (204)", |s| {
                deliveries(s)
                    .into_iter()
                    .any(|d| d["activity"]["type"] == "Follow" && d["status"] == 204)
                    .then(|| s.clone())
            })?;
            let schemes: Vec<String> = deliveries(&state)
                .iter()
                .filter(|d| d["activity"]["type"] == "Follow")
                .map(|d| format!("{} {}", d["verification"]["scheme"], d["status"]))
                .collect();
            ensure!(schemes.iter().any(|s| s.contains("cavage")), "a cavage retry: {schemes:?}");
            Ok(())
        })(),
    );
    node.assert_alive()?;
    rows.finish()
}
