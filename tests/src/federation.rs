//! Helpers for the federation tests: nodes configured to federate on
//! loopback with fast retries, server following (`/api/v1/server/following`),
//! comments and ratings through PeerTube's REST routes, ActivityPub GETs with
//! content negotiation, tiny uploads, and polling with a deadline.

use anyhow::{anyhow, bail, Context, Result};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

use crate::client::{json_ok, ApiClient, UploadedVideo};
use crate::media::write_y4m;
use crate::node::{NodeBuilder, TestNode};

/// `Accept` of an ActivityPub server fetching a document.
pub const AP_ACCEPT: &str = "application/activity+json";
/// The JSON-LD form of the same media type, which PeerTube and Mastodon also send.
pub const LD_ACCEPT: &str = r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#;
/// Longest a federation step (delivery, fetch, follow) may take in the tests.
pub const FEDERATION_TIMEOUT: Duration = Duration::from_secs(45);
/// Longest the tiny test video may take to publish.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(120);

/// A node that federates on loopback: private addresses allowed, first retry
/// after 200 ms, retries capped at 2 s, a dead host probed again after 2 s (not
/// 10 min), and only the 120p rung (tiny videos).
pub fn federating() -> NodeBuilder {
    NodeBuilder::new()
        .ladder(&[120])
        .set("federation.allow_private_addresses", true)
        .set("federation.delivery_backoff_initial_ms", 200)
        .set("federation.delivery_backoff_max_secs", 2)
        .set("federation.circuit_breaker_open_secs", 2)
        .set("social.view_flush_interval_secs", 1)
}

/// `127.0.0.1:PORT`: the node's host as federation names it.
pub fn host_of(node: &TestNode) -> String {
    node.base_url().trim_start_matches("http://").trim_start_matches("https://").to_string()
}

/// Polls `probe` every 200 ms until it returns `Some`, failing after `timeout`
/// with `what` and the last thing `probe` reported through `last`.
pub fn wait_for<T>(
    timeout: Duration,
    what: &str,
    mut probe: impl FnMut(&mut String) -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    loop {
        match probe(&mut last) {
            Ok(Some(found)) => return Ok(found),
            Ok(None) => {}
            Err(e) => last = format!("{e:#}"),
        }
        if Instant::now() > deadline {
            bail!("{what}: not within {timeout:?}; last seen: {last}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Uploads a 1 s 160x120 synthetic video as the client's user and waits until it is published.
pub fn upload_tiny(node: &TestNode, client: &ApiClient, name: &str) -> Result<(UploadedVideo, Value)> {
    let file = node.scratch().join(format!("{}.y4m", name.replace(' ', "-")));
    write_y4m(&file, 160, 120, 10, 10)?;
    let upload = client.upload(&file, name)?;
    let video = client.wait_published(&upload.uuid, 1, PUBLISH_TIMEOUT)?;
    Ok((upload, video))
}

/// `POST /api/v1/server/following {"hosts": [host]}`, which must answer 204.
pub fn follow_instance(admin: &ApiClient, host: &str) -> Result<()> {
    let resp = admin.post_json("/api/v1/server/following", &json!({ "hosts": [host] }))?;
    expect_status(resp, StatusCode::NO_CONTENT, "POST /api/v1/server/following")
}

/// `DELETE /api/v1/server/following/{host}`, which must answer 204.
pub fn unfollow_instance(admin: &ApiClient, host: &str) -> Result<()> {
    let resp = admin.delete(&format!("/api/v1/server/following/{host}"))?;
    expect_status(resp, StatusCode::NO_CONTENT, "DELETE /api/v1/server/following")
}

/// The state (`pending` / `accepted`) of the entry of a `/api/v1/server/following`
/// or `/followers` list whose `side` (`following` or `follower`) is on `host`.
pub fn follow_state(list: &Value, side: &str, host: &str) -> Option<String> {
    list["data"]
        .as_array()?
        .iter()
        .find(|entry| entry[side]["host"].as_str() == Some(host))
        .and_then(|entry| entry["state"].as_str().map(str::to_string))
}

/// Waits until `a` follows `b` (accepted on `a`'s following list and on `b`'s followers list).
pub fn wait_follow_accepted(a: &TestNode, b: &TestNode) -> Result<()> {
    let (a_admin, b_admin) = (a.admin()?, b.admin()?);
    let (a_host, b_host) = (host_of(a), host_of(b));
    wait_for(FEDERATION_TIMEOUT, "A's following of B accepted on both sides", |last| {
        let following = a_admin.get_json("/api/v1/server/following")?;
        let followers = b_admin.get_json("/api/v1/server/followers")?;
        *last = format!("A following: {following}\nB followers: {followers}");
        let on_a = follow_state(&following, "following", &b_host);
        let on_b = follow_state(&followers, "follower", &a_host);
        Ok((on_a.as_deref() == Some("accepted") && on_b.as_deref() == Some("accepted")).then_some(()))
    })
}

/// `POST /api/v1/videos/{uuid}/comment-threads {"text"}`: the created comment.
pub fn comment(client: &ApiClient, uuid: &str, text: &str) -> Result<Value> {
    let resp = client.post_json(&format!("/api/v1/videos/{uuid}/comment-threads"), &json!({ "text": text }))?;
    json_ok(resp, "POST comment-threads")
}

/// A comment of `GET /api/v1/videos/{uuid}/comment-threads`, as the tests read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: u64,
    pub text: String,
    pub account_name: String,
    pub account_host: String,
    pub created_at: String,
}

/// Every comment thread of a video (pages of 100, oldest first as PeerTube sorts `createdAt`).
pub fn comments(client: &ApiClient, uuid: &str) -> Result<Vec<Comment>> {
    let mut out = Vec::new();
    loop {
        let page = client
            .get_json(&format!("/api/v1/videos/{uuid}/comment-threads?start={}&count=100&sort=createdAt", out.len()))?;
        let data = page["data"].as_array().ok_or_else(|| anyhow!("comment-threads without data: {page}"))?;
        for c in data {
            out.push(comment_of(c)?);
        }
        let total = page["total"].as_u64().unwrap_or(0) as usize;
        if data.is_empty() || out.len() >= total {
            return Ok(out);
        }
    }
}

/// Every comment of a video, replies included: each thread's tree
/// (`GET /api/v1/videos/{uuid}/comment-threads/{id}`, `{comment, children}`) walked.
pub fn all_comments(client: &ApiClient, uuid: &str) -> Result<Vec<Comment>> {
    let mut out = Vec::new();
    for thread in comments(client, uuid)? {
        let mut stack = vec![client.get_json(&format!("/api/v1/videos/{uuid}/comment-threads/{}", thread.id))?];
        while let Some(node) = stack.pop() {
            out.push(comment_of(&node["comment"])?);
            stack.extend(node["children"].as_array().into_iter().flatten().cloned());
        }
    }
    Ok(out)
}

fn comment_of(c: &Value) -> Result<Comment> {
    Ok(Comment {
        id: c["id"].as_u64().ok_or_else(|| anyhow!("comment without numeric id: {c}"))?,
        text: c["text"].as_str().unwrap_or_default().to_string(),
        account_name: c["account"]["name"].as_str().unwrap_or_default().to_string(),
        account_host: c["account"]["host"].as_str().unwrap_or_default().to_string(),
        created_at: c["createdAt"].as_str().unwrap_or_default().to_string(),
    })
}

/// `PUT /api/v1/videos/{uuid}/rate {"rating"}` (like, dislike, none), which must answer 204.
pub fn rate(client: &ApiClient, uuid: &str, rating: &str) -> Result<()> {
    let resp = client.put_json(&format!("/api/v1/videos/{uuid}/rate"), &json!({ "rating": rating }))?;
    expect_status(resp, StatusCode::NO_CONTENT, "PUT rate")
}

/// A video's `likes` and `dislikes` from `GET /api/v1/videos/{uuid}`.
pub fn ratings(client: &ApiClient, uuid: &str) -> Result<(u64, u64)> {
    let video = client.video(uuid)?;
    Ok((video["likes"].as_u64().unwrap_or(0), video["dislikes"].as_u64().unwrap_or(0)))
}

/// The status of `GET /api/v1/videos/{uuid}`.
pub fn video_status(client: &ApiClient, uuid: &str) -> Result<StatusCode> {
    Ok(client.get(&format!("/api/v1/videos/{uuid}"))?.status())
}

/// An unsigned GET with an ActivityPub `Accept`: status, content type, JSON body (or Null).
pub fn ap_get(url: &str, accept: &str) -> Result<(StatusCode, String, Value)> {
    let resp = reqwest::blocking::Client::new()
        .get(url)
        .header(reqwest::header::ACCEPT, accept)
        .timeout(Duration::from_secs(15))
        .send()
        .with_context(|| format!("GET {url}"))?;
    let status = resp.status();
    let content_type =
        resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = resp.text().unwrap_or_default();
    Ok((status, content_type, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// `totalItems` of an actor's followers collection (an unsigned GET, as PeerTube serves it).
pub fn followers_count(actor_id: &str) -> Result<u64> {
    let url = format!("{actor_id}/followers");
    let (status, _, body) = ap_get(&url, AP_ACCEPT)?;
    if status != StatusCode::OK {
        bail!("GET {url}: {status} {body}");
    }
    body["totalItems"].as_u64().ok_or_else(|| anyhow!("{url} has no totalItems: {body}"))
}

/// The entry of `GET /api/v1/server/stats` `activityPubHosts` for `host`, if any.
pub fn delivery_stats(client: &ApiClient, host: &str) -> Result<Option<Value>> {
    let stats = client.get_json("/api/v1/server/stats")?;
    Ok(stats["activityPubHosts"]
        .as_array()
        .and_then(|hosts| hosts.iter().find(|h| h["host"].as_str() == Some(host)).cloned()))
}

/// Every sample of `/metrics` whose name is `name` (labels or not): `(labels, value)`,
/// e.g. `("{host=\"127.0.0.1:5000\",outcome=\"delivered\"}", 3.0)`.
pub fn metric_samples(node: &TestNode, name: &str) -> Result<Vec<(String, f64)>> {
    let text = reqwest::blocking::Client::new()
        .get(node.url("/metrics"))
        .timeout(Duration::from_secs(10))
        .send()
        .and_then(reqwest::blocking::Response::text)
        .context("GET /metrics")?;
    Ok(text
        .lines()
        .filter_map(|line| line.strip_prefix(name))
        .filter(|rest| rest.starts_with('{') || rest.starts_with(' '))
        .filter_map(|rest| {
            let (labels, value) = rest.rsplit_once(' ')?;
            Some((labels.trim().to_string(), value.trim().parse().ok()?))
        })
        .collect())
}

fn expect_status(resp: reqwest::blocking::Response, expected: StatusCode, what: &str) -> Result<()> {
    let status = resp.status();
    if status != expected {
        let text = resp.text().unwrap_or_default();
        bail!("{what}: expected {expected}, got {status}: {text}");
    }
    Ok(())
}
