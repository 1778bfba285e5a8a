//! `tests/scripts/fake_mastodon.py` as a child process: a Mastodon-shaped
//! host on 127.0.0.1 (its own accounts and RSA keys) that signs what it sends
//! with httpsig or http-message-signatures and verifies what it receives with
//! them. The test drives it over its `/_control/` HTTP routes; the process is
//! killed on drop and its log tail printed (shown for failing tests).

use anyhow::Result;
use serde_json::{json, Value};
use std::time::Duration;

use crate::fake_host::FakeProcess;
use crate::federation::wait_for;

/// A running fake Mastodon.
pub struct FakeMastodon {
    proc: FakeProcess,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub host: String,
}

/// What `/_control/send` reports: Shoal's answer and the activity sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub status: u16,
    pub body: String,
    pub content_type: String,
    pub activity: Value,
}

impl Sent {
    /// The activity's `id`.
    pub fn id(&self) -> String {
        self.activity["id"].as_str().unwrap_or_default().to_string()
    }

    /// From a control answer's `status`, `body`, `content_type` and `activity`.
    pub fn from_answer(answer: &Value) -> Sent {
        Sent {
            status: answer["status"].as_u64().unwrap_or(0) as u16,
            body: answer["body"].as_str().unwrap_or_default().to_string(),
            content_type: answer["content_type"].as_str().unwrap_or_default().to_string(),
            activity: answer["activity"].clone(),
        }
    }
}

impl FakeMastodon {
    /// Starts it with these account names (e.g. `["alice", "bob"]`).
    pub fn start(accounts: &[&str]) -> Result<FakeMastodon> {
        let proc = FakeProcess::start("fake_mastodon.py", accounts, "fake Mastodon")?;
        Ok(FakeMastodon { base: proc.base.clone(), host: proc.host.clone(), proc })
    }

    /// An account's actor id, `{base}/users/{name}`.
    pub fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    /// POSTs a control command; the answer must be 200 JSON.
    pub fn control(&self, route: &str, body: &Value) -> Result<Value> {
        self.proc.control(route, body)
    }

    /// WebFinger of `acct` then a signed GET of its `self` link.
    pub fn resolve(&self, acct: &str) -> Result<Value> {
        self.control("resolve", &json!({ "acct": acct }))
    }

    /// A GET of `url`, signed as account `as_account` (unsigned when `None`): `(status, body)`.
    pub fn fetch(&self, url: &str, as_account: Option<&str>) -> Result<(u16, Value)> {
        let answer = self.control("fetch", &json!({ "url": url, "as": as_account }))?;
        Ok((answer["status"].as_u64().unwrap_or(0) as u16, answer["body"].clone()))
    }

    /// Builds, signs and POSTs an activity (see the script's docs for `cmd`).
    pub fn send(&self, cmd: Value) -> Result<Sent> {
        Ok(Sent::from_answer(&self.control("send", &cmd)?))
    }

    /// Every inbox delivery received so far (headers, body, activity, verification).
    pub fn deliveries(&self) -> Result<Vec<Value>> {
        let all = self.proc.get("received")?;
        Ok(all["deliveries"].as_array().cloned().unwrap_or_default())
    }

    /// Every GET the fake host served (method, path, signed).
    pub fn requests(&self) -> Result<Vec<Value>> {
        let all = self.proc.get("received")?;
        Ok(all["requests"].as_array().cloned().unwrap_or_default())
    }

    /// Inbox POSTs refused in PeerTube 8.0 mode (path, scheme, status, body).
    pub fn refused(&self) -> Result<Vec<Value>> {
        let all = self.proc.get("received")?;
        Ok(all["refused"].as_array().cloned().unwrap_or_default())
    }

    /// PeerTube 8.0 mode: answer 403 to every inbox POST signed RFC 9421, as PeerTube
    /// 8.0 does (it parses draft-cavage only).
    pub fn refuse_rfc9421(&self, refuse: bool) -> Result<()> {
        self.control("refuse_rfc9421", &json!({ "refuse": refuse })).map(|_| ())
    }

    /// Waits for a verified-or-not delivery (its signature check done) matching `pred`.
    pub fn wait_delivery(&self, timeout: Duration, what: &str, pred: impl Fn(&Value) -> bool) -> Result<Value> {
        wait_for(timeout, what, |last| {
            let all = self.deliveries()?;
            *last = format!("{} deliveries: {}", all.len(), summarize(&all));
            Ok(all.into_iter().find(|d| !d["verification"].is_null() && pred(&d["activity"])))
        })
    }

    /// Notes `depth` deep with texts `"{prefix} {i}"`, each replying to the previous, the
    /// first to `in_reply_to`; served at their ids but sent nowhere. Returns their ids, the deepest last.
    pub fn note_chain(&self, depth: usize, in_reply_to: &str, prefix: &str) -> Result<Vec<String>> {
        let answer =
            self.control("note_chain", &json!({ "depth": depth, "in_reply_to": in_reply_to, "prefix": prefix }))?;
        Ok(answer["ids"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect())
    }

    /// The last lines of the script's log.
    pub fn log_tail(&self) -> String {
        self.proc.log_tail()
    }
}

/// One line per delivery: path, type, verification.
pub fn summarize(deliveries: &[Value]) -> String {
    deliveries.iter().map(|d| format!("\n  {} {} {}", d["path"], d["activity"]["type"], d["verification"])).collect()
}

/// The id of an activity's `object`, whether inlined or a bare id.
pub fn object_id(activity: &Value) -> Option<&str> {
    activity["object"].as_str().or_else(|| activity["object"]["id"].as_str())
}
