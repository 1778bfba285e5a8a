//! Shoal against independent implementations of its federation protocols:
//! a fake Mastodon (`tests/scripts/fake_mastodon.py`) that builds activities
//! exactly as Mastodon does, signs them with `httpsig` (draft-cavage,
//! `rsa-sha256` and `hs2019`) or `http_message_signatures` (RFC 9421 with
//! Content-Digest), and verifies what Shoal sends it with the same libraries.
//! A Follow of a channel gets a verifiable Accept, replies become comments,
//! likes count; every refusal (unsigned, bad signature, stale Date, digest
//! mismatch, key owner not the actor, object from another host, oversized or
//! malformed body, unknown type) is a 4xx with a JSON error and no state
//! change; reply chains are fetched from their origin up to a depth limit;
//! without the test allowance, private addresses are never fetched; a host that
//! refuses RFC 9421 with 403 (as PeerTube 8.0 does) gets cavage after one refusal.

use anyhow::anyhow;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

use shoal_tests::fake_mastodon::{object_id, summarize, FakeMastodon, Sent};
use shoal_tests::federation::{
    all_comments, ap_get, comments, federating, followers_count, host_of, metric_samples, rate, ratings, upload_tiny,
    wait_for, AP_ACCEPT, FEDERATION_TIMEOUT,
};
use shoal_tests::node::NodeBuilder;
use shoal_tests::{ApiClient, Result, TestNode};

/// A Shoal node with a published video and a fake Mastodon with alice and bob.
struct World {
    node: TestNode,
    admin: ApiClient,
    uuid: String,
    /// `{base}/videos/watch/{uuid}`: the video's ActivityPub id.
    video_url: String,
    /// `{base}/video-channels/root_channel`.
    channel: String,
    fake: FakeMastodon,
}

fn world(builder: NodeBuilder) -> Result<World> {
    let node = builder.start()?;
    let admin = node.admin()?;
    let (upload, _) = upload_tiny(&node, &admin, "seen from Mastodon")?;
    let fake = FakeMastodon::start(&["alice", "bob"])?;
    Ok(World {
        video_url: node.url(&format!("/videos/watch/{}", upload.uuid)),
        channel: node.url("/video-channels/root_channel"),
        uuid: upload.uuid,
        admin,
        node,
        fake,
    })
}

impl World {
    fn channel_inbox(&self) -> String {
        format!("{}/inbox", self.channel)
    }

    fn follow(&self, account: &str, sign: &str) -> Result<Sent> {
        self.fake.send(json!({ "kind": "follow", "as": account, "object": self.channel,
                               "inbox": self.channel_inbox(), "sign": sign }))
    }

    fn reply(&self, account: &str, sign: &str, text: &str) -> Result<Sent> {
        self.fake.send(json!({ "kind": "reply", "as": account, "sign": sign, "in_reply_to": self.video_url,
            "text": text, "inbox": self.node.url("/inbox"),
            "mention": { "href": self.channel, "name": format!("@root_channel@{}", host_of(&self.node)) } }))
    }

    /// Waits for Shoal's Accept of `follow`, checks it came from the channel with a
    /// signature httpsig / http_message_signatures verified, and returns the delivery.
    fn wait_accept(&self, follow: &Sent) -> Result<Value> {
        let id = follow.id();
        let delivery = self.fake.wait_delivery(FEDERATION_TIMEOUT, "Shoal's Accept of the Follow", |a| {
            a["type"] == "Accept" && object_id(a) == Some(id.as_str())
        })?;
        let verification = &delivery["verification"];
        assert_eq!(verification["ok"], true, "Shoal's Accept verifies: {delivery:#}");
        assert_eq!(verification["owner_is_actor"], true, "signed by the Accept's actor: {delivery:#}");
        assert_eq!(delivery["activity"]["actor"].as_str(), Some(self.channel.as_str()), "{delivery:#}");
        // Always the follower's own inbox, never its shared inbox (PeerTube takes an Accept
        // only there).
        let follower = follow.activity["actor"].as_str().unwrap_or_default();
        let path = delivery["path"].as_str().unwrap_or_default();
        assert_eq!(format!("{}{path}", self.fake.base), format!("{follower}/inbox"), "the follower's own inbox");
        Ok(delivery)
    }

    fn wait_comment(&self, text: &str, account: &str) -> Result<()> {
        wait_for(FEDERATION_TIMEOUT, &format!("comment {text:?} by {account}"), |last| {
            let all = all_comments(&self.admin, &self.uuid)?;
            *last = format!("{all:?}");
            Ok(all.into_iter().find(|c| c.text.contains(text)))
        })
        .map(|c| {
            assert_eq!(c.account_host, self.fake.host, "{c:?}");
            assert_eq!(c.account_name, account, "{c:?}");
        })
    }

    fn wait_ratings(&self, likes: u64, dislikes: u64) -> Result<()> {
        wait_for(FEDERATION_TIMEOUT, &format!("{likes} likes and {dislikes} dislikes"), |last| {
            let now = ratings(&self.admin, &self.uuid)?;
            *last = format!("{now:?}");
            Ok((now == (likes, dislikes)).then_some(()))
        })
    }

    fn wait_followers(&self, n: u64) -> Result<()> {
        wait_for(FEDERATION_TIMEOUT, &format!("{n} channel followers"), |last| {
            let count = followers_count(&self.channel)?;
            *last = count.to_string();
            Ok((count == n).then_some(()))
        })
    }
}

#[test]
fn a_mastodon_account_follows_a_channel_replies_and_likes_with_cavage_and_rfc9421() -> Result<()> {
    let mut w = world(federating())?;
    let host = host_of(&w.node);

    // Discovery, as Mastodon does it: WebFinger, then a signed GET of the self link.
    let found = w.fake.resolve(&format!("root_channel@{host}"))?;
    assert_eq!(found["actor_id"].as_str(), Some(w.channel.as_str()), "{found:#}");
    assert_eq!(found["webfinger"]["subject"], format!("acct:root_channel@{host}"), "{found:#}");
    let actor = &found["actor"];
    assert_eq!(actor["type"], "Group", "{actor:#}");
    assert_eq!(actor["inbox"].as_str(), Some(w.channel_inbox().as_str()));
    assert_eq!(actor["endpoints"]["sharedInbox"].as_str(), Some(w.node.url("/inbox").as_str()));
    assert_eq!(actor["publicKey"]["id"].as_str(), Some(format!("{}#main-key", w.channel).as_str()));
    assert_eq!(actor["publicKey"]["owner"].as_str(), Some(w.channel.as_str()));
    let account = w.fake.resolve(&format!("root@{host}"))?;
    assert_eq!(account["actor_id"].as_str(), Some(w.node.url("/accounts/root").as_str()), "{account:#}");
    assert_eq!(account["actor"]["type"], "Person");
    let (status, _, instance) = ap_get(&w.node.url("/accounts/peertube"), AP_ACCEPT)?;
    assert_eq!(status, StatusCode::OK, "the instance actor is fetchable without a signature");
    assert_eq!(instance["type"], "Application", "{instance:#}");

    // alice: draft-cavage rsa-sha256, as Mastodon signs.
    let follow = w.follow("alice", "rsa-sha256")?;
    assert_eq!(follow.status, 202, "Mastodon-shaped Follow: {}", follow.body);
    w.wait_accept(&follow)?;
    w.wait_followers(1)?;
    let reply = w.reply("alice", "rsa-sha256", "Great video, says alice")?;
    assert_eq!(reply.status, 202, "Mastodon-shaped reply: {}", reply.body);
    w.wait_comment("Great video, says alice", "alice")?;
    let like =
        w.fake.send(json!({ "kind": "like", "as": "alice", "object": w.video_url, "inbox": w.node.url("/inbox") }))?;
    assert_eq!(like.status, 202, "{}", like.body);
    w.wait_ratings(1, 0)?;

    // bob: RFC 9421 with Content-Digest, then a hs2019-labelled cavage signature.
    let follow_bob = w.follow("bob", "rfc9421")?;
    assert_eq!(follow_bob.status, 202, "RFC 9421 Follow: {}", follow_bob.body);
    w.wait_accept(&follow_bob)?;
    w.wait_followers(2)?;
    let reply = w.reply("bob", "rfc9421", "RFC 9421 reply from bob")?;
    assert_eq!(reply.status, 202, "RFC 9421 reply: {}", reply.body);
    w.wait_comment("RFC 9421 reply from bob", "bob")?;
    let dislike = w.fake.send(json!({ "kind": "dislike", "as": "bob", "sign": "hs2019", "object": w.video_url,
                                      "inbox": w.node.url("/inbox") }))?;
    assert_eq!(dislike.status, 202, "hs2019 Dislike: {}", dislike.body);
    w.wait_ratings(1, 1)?;

    // Undo: the like, then alice's follow.
    let undo = w
        .fake
        .send(json!({ "kind": "undo", "as": "alice", "activity_id": like.id(), "inbox": w.node.url("/inbox") }))?;
    assert_eq!(undo.status, 202, "{}", undo.body);
    w.wait_ratings(0, 1)?;

    // A new video goes to the channel's followers as a Create, signed so httpsig verifies it.
    let (second, _) = upload_tiny(&w.node, &w.admin, "for the followers")?;
    let second_url = w.node.url(&format!("/videos/watch/{}", second.uuid));
    let create = w.fake.wait_delivery(FEDERATION_TIMEOUT, "a Create of the new video", |a| {
        a["type"] == "Create" && object_id(a) == Some(second_url.as_str())
    })?;
    assert_eq!(create["activity"]["object"]["type"], "Video", "{create:#}");
    assert_eq!(create["verification"]["ok"], true, "{create:#}");
    assert_eq!(create["verification"]["owner_is_actor"], true, "{create:#}");

    let undo_follow = w
        .fake
        .send(json!({ "kind": "undo", "as": "alice", "activity_id": follow.id(), "inbox": w.channel_inbox() }))?;
    assert_eq!(undo_follow.status, 202, "{}", undo_follow.body);
    w.wait_followers(1)?;
    w.node.assert_alive()
}

#[test]
fn shoal_signs_with_hs2019_and_rfc9421_when_configured_and_the_libraries_verify_it() -> Result<()> {
    for (scheme, expected) in [("hs2019", "cavage-hs2019"), ("rfc9421", "rfc9421")] {
        let w = world(federating().set("federation.signature_scheme", scheme))?;
        let follow = w.follow("alice", "rsa-sha256")?;
        assert_eq!(follow.status, 202, "{}", follow.body);
        let accept = w.wait_accept(&follow)?;
        assert_eq!(accept["verification"]["scheme"], expected, "{accept:#}");
    }
    Ok(())
}

#[test]
fn a_host_refusing_rfc9421_like_peertube_8_gets_cavage_after_one_refused_post() -> Result<()> {
    let mut w = world(federating().set("federation.signature_scheme", "rfc9421"))?;
    w.fake.refuse_rfc9421(true)?;
    let follow = w.follow("alice", "rsa-sha256")?;
    assert_eq!(follow.status, 202, "{}", follow.body);
    let accept = w.wait_accept(&follow)?;
    assert_eq!(accept["verification"]["scheme"], "cavage-rsa-sha256", "retried signed cavage: {accept:#}");
    let refused = w.fake.refused()?;
    assert_eq!(refused.len(), 1, "one refused RFC 9421 POST: {refused:?}");
    assert!(refused[0]["body"].as_str().unwrap_or_default().contains("\"Accept\""), "{refused:?}");
    let fallbacks = metric_samples(&w.node, "shoal_federation_signature_fallbacks_total")?;
    assert_eq!(fallbacks, vec![(format!("{{host=\"{}\"}}", w.fake.host), 1.0)], "counted once");
    // The host is remembered: the next Accept goes out cavage straight away.
    let follow = w.follow("bob", "rsa-sha256")?;
    assert_eq!(follow.status, 202, "{}", follow.body);
    let accept = w.wait_accept(&follow)?;
    assert_eq!(accept["verification"]["scheme"], "cavage-rsa-sha256", "{accept:#}");
    assert_eq!(w.fake.refused()?.len(), 1, "no second refusal");
    w.node.assert_alive()
}

/// What the refusal test compares before and after each bad request.
#[derive(Debug, PartialEq)]
struct State {
    followers: u64,
    comments: usize,
    ratings: (u64, u64),
    accepts: usize,
}

fn state(w: &World) -> Result<State> {
    let accepts = w.fake.deliveries()?.iter().filter(|d| d["activity"]["type"] == "Accept").count();
    Ok(State {
        followers: followers_count(&w.channel)?,
        comments: all_comments(&w.admin, &w.uuid)?.len(),
        ratings: ratings(&w.admin, &w.uuid)?,
        accepts,
    })
}

fn check_error_body(sent: &Sent, what: &str) {
    assert!(sent.content_type.contains("json"), "{what}: error answer is JSON ({}): {}", sent.content_type, sent.body);
    let body: Value = serde_json::from_str(&sent.body).unwrap_or(Value::Null);
    let message = ["error", "detail"].iter().filter_map(|k| body[*k].as_str()).find(|m| !m.trim().is_empty());
    assert!(message.is_some(), "{what}: error JSON with `error` or `detail`: {}", sent.body);
}

#[test]
fn every_refused_inbox_post_is_a_4xx_with_json_and_changes_nothing() -> Result<()> {
    let w = world(federating())?;
    let inbox = w.node.url("/inbox");
    let elsewhere = "http://127.0.0.2:9";
    let follow = |extra: Value| {
        let mut cmd = json!({ "kind": "follow", "as": "alice", "object": w.channel, "inbox": w.channel_inbox() });
        merge(&mut cmd, extra);
        cmd
    };
    let reply = |extra: Value| {
        let mut cmd = json!({ "kind": "reply", "as": "alice", "in_reply_to": w.video_url, "text": "must not appear",
                              "inbox": inbox });
        merge(&mut cmd, extra);
        cmd
    };
    let cases: Vec<(&str, Value, &[u16])> = vec![
        ("unsigned", follow(json!({ "sign": "none" })), &[401]),
        ("wrong signature", follow(json!({ "tamper": "signature" })), &[401]),
        ("wrong RFC 9421 signature", follow(json!({ "sign": "rfc9421", "tamper": "signature" })), &[401]),
        ("Date 13 h old", follow(json!({ "date_offset_secs": -13 * 3600 })), &[401]),
        ("Date 2 h ahead", follow(json!({ "date_offset_secs": 2 * 3600 })), &[401]),
        ("Digest mismatch", follow(json!({ "tamper": "digest" })), &[400, 401]),
        ("Content-Digest mismatch", follow(json!({ "sign": "rfc9421", "tamper": "digest" })), &[400, 401]),
        ("key owner is not the actor", follow(json!({ "key_of": "bob" })), &[401, 403]),
        (
            "reply whose id is on another host",
            reply(json!({ "patch": { "object": {
            "id": format!("{elsewhere}/users/alice/statuses/1") } } })),
            &[400, 403],
        ),
        (
            "reply attributed to another host",
            reply(json!({ "patch": { "object": {
            "attributedTo": format!("{elsewhere}/users/mallory") } } })),
            &[400, 403],
        ),
        ("2 MiB body", follow(json!({ "pad_bytes": 2 << 20 })), &[413]),
        ("malformed JSON", follow(json!({ "raw_body": "{\"type\": \"Follow\", \"actor\": " })), &[400]),
        (
            "unknown activity type, unsigned",
            follow(json!({ "kind": "raw", "sign": "none", "activity": {
            "@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}/frob/0", w.fake.base),
            "type": "Frobnicate", "actor": w.fake.actor("alice"), "object": w.channel } })),
            &[401],
        ),
    ];
    let before = state(&w)?;
    assert_eq!(before, State { followers: 0, comments: 0, ratings: (0, 0), accepts: 0 });
    let mut failures = Vec::new();
    for (what, cmd, expected) in &cases {
        let sent = w.fake.send(cmd.clone())?;
        if !expected.contains(&sent.status) {
            failures.push(format!("{what}: expected {expected:?}, got {}: {}", sent.status, sent.body));
            continue;
        }
        check_error_body(&sent, what);
        let after = state(&w)?;
        if after != before {
            failures.push(format!("{what}: state changed: {before:?} -> {after:?}"));
        }
    }
    // Anything processed in the background would show by now.
    std::thread::sleep(Duration::from_secs(3));
    let after = state(&w)?;
    assert!(failures.is_empty(), "refusals:\n{}", failures.join("\n"));
    assert_eq!(after, before, "no state change after the refusals; deliveries: {}", summarize(&w.fake.deliveries()?));
    let refusals = metric_samples(&w.node, "shoal_activitypub_inbox_refusals_total")?;
    let counted: f64 = refusals.iter().map(|(_, v)| v).sum();
    assert_eq!(counted, cases.len() as f64, "every refusal counted by reason: {refusals:?}");

    // Signed activities of types Shoal does not handle are taken and dropped (202), as
    // Mastodon and PeerTube do, and counted; they change nothing either.
    let raw = |id: &str, kind: &str, object: Value| {
        json!({ "kind": "raw", "as": "alice", "inbox": inbox, "activity": {
            "@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}/{id}", w.fake.base),
            "type": kind, "actor": w.fake.actor("alice"), "object": object } })
    };
    let frob = json!({ "type": "Frobnicate", "id": format!("{}/frob/1", w.fake.base),
                       "actor": w.fake.actor("alice"), "object": w.channel });
    for (what, cmd) in [
        ("Frobnicate", raw("frob/1", "Frobnicate", json!(w.channel))),
        ("Add", raw("add/1", "Add", json!(w.video_url))),
        ("Undo of a Frobnicate", raw("undo/1", "Undo", frob)),
    ] {
        let sent = w.fake.send(cmd)?;
        assert_eq!(sent.status, 202, "{what}: {}", sent.body);
    }
    let ignored = metric_samples(&w.node, "shoal_activitypub_inbox_ignored_total")?;
    let of = |kind: &str| {
        ignored.iter().filter(|(l, _)| l.contains(&format!("kind=\"{kind}\""))).map(|(_, v)| v).sum::<f64>()
    };
    assert_eq!((of("other"), of("Add")), (2.0, 1.0), "ignored activities counted by type: {ignored:?}");
    assert_eq!(state(&w)?, before, "ignored activities change nothing");

    // The same requests, well-formed, do change state (so the checks above can fail).
    let ok = w.fake.send(follow(json!({})))?;
    assert_eq!(ok.status, 202, "{}", ok.body);
    w.wait_accept(&ok)?;
    let ok = w.fake.send(reply(json!({ "text": "a well-formed reply" })))?;
    assert_eq!(ok.status, 202, "{}", ok.body);
    w.wait_comment("a well-formed reply", "alice")
}

fn merge(base: &mut Value, extra: Value) {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
}

#[test]
fn reply_chains_are_fetched_from_their_origin_up_to_a_depth_limit() -> Result<()> {
    let w = world(federating())?;
    let inbox = w.node.url("/inbox");

    // A reply to a note Shoal has never seen: the parent is fetched from alice's host.
    let parent = w.fake.note_chain(1, &w.video_url, "unseen parent")?;
    let child = w.fake.send(json!({ "kind": "reply", "as": "alice", "in_reply_to": parent[0],
                                    "text": "reply to the unseen parent", "inbox": inbox }))?;
    assert_eq!(child.status, 202, "{}", child.body);
    w.wait_comment("reply to the unseen parent", "alice")?;
    w.wait_comment("unseen parent 0", "alice")?;

    // 300 deep: refused, or given up on; no comment from it, and the walk stops early.
    let chain = w.fake.note_chain(300, &w.video_url, "deep chain")?;
    let fetched_before = w.fake.requests()?.len();
    let deep = w.fake.send(json!({ "kind": "reply", "as": "alice", "in_reply_to": chain[chain.len() - 1],
                                   "text": "reply at depth 301", "inbox": inbox }))?;
    assert!(matches!(deep.status, 202 | 400 | 403 | 422), "{} {}", deep.status, deep.body);
    std::thread::sleep(Duration::from_secs(8));
    let all = all_comments(&w.admin, &w.uuid)?;
    let leaked: Vec<_> = all.iter().filter(|c| c.text.contains("deep chain") || c.text.contains("depth 301")).collect();
    assert!(leaked.is_empty(), "nothing of a too-deep chain becomes a comment: {leaked:?}");
    let fetched = w.fake.requests()?.len() - fetched_before;
    assert!(fetched < 300, "Shoal stopped walking the chain: {fetched} GETs");
    Ok(())
}

#[test]
fn without_the_test_allowance_private_addresses_are_never_fetched() -> Result<()> {
    // Plain defaults: federation.allow_private_addresses is off, and the fake is on 127.0.0.1.
    let w = world(NodeBuilder::new().ladder(&[120]))?;
    let follow = w.follow("alice", "rsa-sha256")?;
    assert!(matches!(follow.status, 202 | 401 | 403), "{} {}", follow.status, follow.body);
    let reply = w.reply("alice", "rsa-sha256", "from a private address")?;
    assert!(matches!(reply.status, 202 | 401 | 403), "{} {}", reply.status, reply.body);
    std::thread::sleep(Duration::from_secs(5));
    let requests = w.fake.requests()?;
    assert!(requests.is_empty(), "Shoal connected to 127.0.0.1 without the allowance: {requests:?}");
    assert_eq!(followers_count(&w.channel)?, 0);
    assert!(comments(&w.admin, &w.uuid)?.is_empty());
    let deliveries = w.fake.deliveries()?;
    assert!(deliveries.is_empty(), "nothing sent to a private address: {}", summarize(&deliveries));
    rate(&w.admin, &w.uuid, "like").map_err(|e| anyhow!("local rating still works: {e:#}"))
}

/// The test clients themselves, without Shoal: what httpsig and
/// http_message_signatures sign, they verify, and a tampered signature or
/// digest fails; bovine completes WebFinger, signed GET, Follow and Accept
/// against the fake Mastodon (which accepts follows as Mastodon does).
#[test]
fn the_test_clients_agree_with_each_other() -> Result<()> {
    let fake = FakeMastodon::start(&["alice", "bob"])?;
    let bob = fake.actor("bob");
    let bob_inbox = format!("{bob}/inbox");
    let cases = [
        ("rsa-sha256", None, true),
        ("hs2019", None, true),
        ("rfc9421", None, true),
        ("rsa-sha256", Some("signature"), false),
        ("rsa-sha256", Some("digest"), false),
        ("rfc9421", Some("signature"), false),
        ("rfc9421", Some("digest"), false),
    ];
    for (i, (sign, tamper, verifies)) in cases.iter().enumerate() {
        let sent = fake.send(json!({ "kind": "like", "as": "alice", "object": format!("{bob}/statuses/{i}"),
                                     "inbox": bob_inbox, "sign": sign, "tamper": tamper }))?;
        assert_eq!(sent.status, 202);
        let id = sent.id();
        let got = fake.wait_delivery(Duration::from_secs(20), "the fake's own delivery", |a| a["id"] == id.as_str())?;
        assert_eq!(got["verification"]["ok"], *verifies, "{sign} tampered {tamper:?}: {got:#}");
    }
    let out = shoal_tests::tools::run_with_timeout(
        std::process::Command::new(shoal_tests::tools::venv_python()?)
            .arg(shoal_tests::tools::tests_dir().join("scripts/bovine_client.py"))
            .arg(&fake.base)
            .arg("bob")
            .arg("20")
            .current_dir(shoal_tests::tools::tests_dir().join("scripts")),
        Duration::from_secs(60),
    )?;
    assert!(out.status.success(), "bovine against the fake Mastodon:\n{}", out.describe());
    Ok(())
}
