//! `tests/scripts/fake_peertube.py` as a child process: a PeerTube 8.0-shaped
//! host on 127.0.0.1 (instance `Application` with a 2048-bit key, `Person` root
//! with a 1024-bit key, `Group` root_channel, one video) whose documents were
//! captured from a real PeerTube 8.0.0, that sends activities as PeerTube's
//! senders build them and checks what it receives as PeerTube does (draft-cavage
//! only, Accept only at the follower's own inbox, comments and videos fetched
//! from their origin and validated, collections crawled). The test drives it
//! over `/_control/` and reads what it recorded with [`FakePeerTube::state`].

use anyhow::{anyhow, ensure, Result};
use serde_json::{json, Value};
use std::time::Duration;

use crate::fake_host::FakeProcess;
use crate::fake_mastodon::Sent;
use crate::federation::wait_for;

/// A running fake PeerTube.
pub struct FakePeerTube {
    proc: FakeProcess,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Its own video's ActivityPub id, `{base}/videos/watch/{uuid}`.
    pub video_url: String,
    /// Its own video's uuid.
    pub video_uuid: String,
}

impl FakePeerTube {
    /// Starts it as PeerTube's test mode makes its keys: RSA-1024 for the account and
    /// channel, RSA-2048 for the instance actor (keys are made at start: about a second).
    pub fn start() -> Result<FakePeerTube> {
        Self::start_with(&[])
    }

    /// Starts it with the RSA-2048 keys a production PeerTube makes for every actor.
    pub fn start_production_keys() -> Result<FakePeerTube> {
        Self::start_with(&["--account-key-bits", "2048"])
    }

    fn start_with(args: &[&str]) -> Result<FakePeerTube> {
        let proc = FakeProcess::start("fake_peertube.py", args, "fake PeerTube")?;
        let video = proc.ready["video"].clone();
        Ok(FakePeerTube {
            base: proc.base.clone(),
            host: proc.host.clone(),
            video_url: video["url"].as_str().ok_or_else(|| anyhow!("no video url: {video}"))?.to_string(),
            video_uuid: video["uuid"].as_str().ok_or_else(|| anyhow!("no video uuid: {video}"))?.to_string(),
            proc,
        })
    }

    /// `{base}/accounts/peertube`, the instance actor.
    pub fn instance_actor(&self) -> String {
        format!("{}/accounts/peertube", self.base)
    }

    /// `{base}/accounts/root`.
    pub fn root(&self) -> String {
        format!("{}/accounts/root", self.base)
    }

    /// `{base}/video-channels/root_channel`.
    pub fn channel(&self) -> String {
        format!("{}/video-channels/root_channel", self.base)
    }

    /// The instance actor follows `target` (a host, or `name@host`), as PeerTube's admin does.
    pub fn follow(&self, target: &str) -> Result<Sent> {
        Ok(Sent::from_answer(&self.proc.control("follow", &json!({ "target": target }))?))
    }

    /// Undoes the follow of `target`.
    pub fn unfollow(&self, target: &str) -> Result<Sent> {
        Ok(Sent::from_answer(&self.proc.control("unfollow", &json!({ "target": target }))?))
    }

    /// Builds, signs and POSTs an activity as PeerTube does (see the script's docs);
    /// returns what was sent and the whole control answer (e.g. its `note_id`).
    pub fn send(&self, cmd: Value) -> Result<(Sent, Value)> {
        let answer = self.proc.control("send", &cmd)?;
        Ok((Sent::from_answer(&answer), answer))
    }

    /// A signed GET as the instance actor: `(status, body)`.
    pub fn fetch(&self, url: &str) -> Result<(u16, Value)> {
        let answer = self.proc.control("fetch", &json!({ "url": url }))?;
        Ok((answer["status"].as_u64().unwrap_or(0) as u16, answer["body"].clone()))
    }

    /// Crawls a collection as PeerTube's crawl.ts does: `{status, type, totalItems, pages, items, error}`.
    pub fn crawl(&self, url: &str) -> Result<Value> {
        self.proc.control("crawl", &json!({ "url": url }))
    }

    /// Everything it recorded: follows, followers, comments, rates, views, videos,
    /// remote_videos, crawls, deliveries (with `status` and `outcome`) and requests.
    pub fn state(&self) -> Result<Value> {
        self.proc.get("state")
    }

    /// Polls [`FakePeerTube::state`] until `pick` finds something.
    pub fn wait<T>(&self, timeout: Duration, what: &str, pick: impl Fn(&Value) -> Option<T>) -> Result<T> {
        wait_for(timeout, what, |last| {
            let state = self.state()?;
            let found = pick(&state);
            if found.is_none() {
                *last = summarize(&state);
            }
            Ok(found)
        })
    }

    /// Waits for a delivery whose activity matches `pred` and whose processing is done.
    pub fn wait_delivery(&self, timeout: Duration, what: &str, pred: impl Fn(&Value) -> bool) -> Result<Value> {
        self.wait(timeout, what, |state| {
            deliveries(state).into_iter().find(|d| !d["outcome"].is_null() && pred(&d["activity"]))
        })
    }

    /// The last lines of the script's log.
    pub fn log_tail(&self) -> String {
        self.proc.log_tail()
    }
}

/// The deliveries of a state, oldest first.
pub fn deliveries(state: &Value) -> Vec<Value> {
    state["deliveries"].as_array().cloned().unwrap_or_default()
}

/// The follow (by the fake) of `following` (an actor id), if any.
pub fn follow_of(state: &Value, following: &str) -> Option<Value> {
    state["follows"].as_array()?.iter().find(|f| f["following"].as_str() == Some(following)).cloned()
}

/// One line per delivery and the follows: what a failed wait shows.
pub fn summarize(state: &Value) -> String {
    let mut out: String = deliveries(state)
        .iter()
        .map(|d| {
            format!(
                "\n  {} {} {} -> {} {}",
                d["path"], d["activity"]["type"], d["activity"]["object"]["type"], d["status"], d["outcome"]
            )
        })
        .collect();
    out.push_str(&format!("\n  follows: {}\n  followers: {}", state["follows"], state["followers"]));
    out
}

/// The rows of a test that failed, so one failing row does not hide the next ones:
/// the test fails at its end with every failed row and its reason.
#[derive(Default)]
pub struct Rows(Vec<String>);

impl Rows {
    /// Records `result` of `row` (e.g. `"5 (Accept at the own inbox)"`) if it failed.
    pub fn check(&mut self, row: &str, result: Result<()>) {
        if let Err(e) = result {
            self.0.push(format!("row {row}: {e:#}"));
        }
    }

    /// Fails with every failed row, if any.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(anyhow!("{} row(s) failed:\n{}", self.0.len(), self.0.join("\n")))
    }
}

/// Every delivery from Shoal that PeerTube would refuse (4xx), drop (its
/// isActivityValid), skip (signature actor is not the activity's actor) or fail to
/// process; `except` names outcomes another row already reports.
pub fn refused_by_peertube(fake: &FakePeerTube, except: &[&str]) -> Result<()> {
    let state = fake.state()?;
    let bad: Vec<String> = deliveries(&state)
        .iter()
        .filter(|d| {
            let outcome = d["outcome"].as_str().unwrap_or_default();
            let failed = d["status"] != 204
                || outcome.contains("dropped")
                || outcome.contains("skipped")
                || outcome.contains("Cannot process");
            failed && !except.iter().any(|e| outcome.contains(e))
        })
        .map(|d| {
            format!(
                "{} {} {} -> {} {}",
                d["path"], d["activity"]["type"], d["activity"]["id"], d["status"], d["outcome"]
            )
        })
        .collect();
    ensure!(bad.is_empty(), "deliveries PeerTube would not apply:\n{}", bad.join("\n"));
    Ok(())
}

/// Whether a status (as the fake records it) is a 2xx.
pub fn is_2xx(status: &Value) -> bool {
    status.as_u64().is_some_and(|s| (200..300).contains(&s))
}
