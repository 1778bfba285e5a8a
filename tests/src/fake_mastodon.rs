//! `tests/scripts/fake_mastodon.py` as a child process: a Mastodon-shaped
//! host on 127.0.0.1 (its own accounts and RSA keys) that signs what it sends
//! with httpsig or http-message-signatures and verifies what it receives with
//! them. The test drives it over its `/_control/` HTTP routes; the process is
//! killed on drop and its log tail printed (shown for failing tests).

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::federation::wait_for;
use crate::tools::{tests_dir, venv_python};

/// A running fake Mastodon.
pub struct FakeMastodon {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub host: String,
    http: reqwest::blocking::Client,
    log: PathBuf,
    _dir: tempfile::TempDir,
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
}

impl FakeMastodon {
    /// Starts it with these account names (e.g. `["alice", "bob"]`).
    pub fn start(accounts: &[&str]) -> Result<FakeMastodon> {
        let dir = tempfile::Builder::new().prefix("fake-mastodon-").tempdir().context("temp dir")?;
        let log = dir.path().join("fake-mastodon.log");
        let mut child = Command::new(venv_python()?)
            .arg(tests_dir().join("scripts/fake_mastodon.py"))
            .args(accounts)
            .current_dir(tests_dir().join("scripts"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(File::create(&log).context("creating fake Mastodon log")?))
            .spawn()
            .context("starting tests/scripts/fake_mastodon.py")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout pipe"))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut fake = FakeMastodon {
            child: Some(child),
            base: String::new(),
            host: String::new(),
            http: reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build()?,
            log,
            _dir: dir,
        };
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| anyhow!("fake_mastodon.py printed no ready line within 30 s\n{}", fake.log_tail()))?;
        let ready: Value = serde_json::from_str(line.trim())
            .with_context(|| format!("fake_mastodon.py ready line is not JSON: {line:?}\n{}", fake.log_tail()))?;
        fake.base = ready["base"].as_str().ok_or_else(|| anyhow!("no base in {ready}"))?.to_string();
        fake.host = ready["host"].as_str().ok_or_else(|| anyhow!("no host in {ready}"))?.to_string();
        Ok(fake)
    }

    /// An account's actor id, `{base}/users/{name}`.
    pub fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    /// POSTs a control command; the answer must be 200 JSON.
    pub fn control(&self, route: &str, body: &Value) -> Result<Value> {
        let resp = self
            .http
            .post(format!("{}/_control/{route}", self.base))
            .json(body)
            .send()
            .with_context(|| format!("fake Mastodon /_control/{route}"))?;
        let status = resp.status();
        let text = resp.text().unwrap_or_default();
        if !status.is_success() {
            bail!("fake Mastodon /_control/{route}: {status}: {text}\n{}", self.log_tail());
        }
        serde_json::from_str(&text).with_context(|| format!("control answer is not JSON: {text}"))
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
        let answer = self.control("send", &cmd)?;
        Ok(Sent {
            status: answer["status"].as_u64().unwrap_or(0) as u16,
            body: answer["body"].as_str().unwrap_or_default().to_string(),
            content_type: answer["content_type"].as_str().unwrap_or_default().to_string(),
            activity: answer["activity"].clone(),
        })
    }

    /// Every inbox delivery received so far (headers, body, activity, verification).
    pub fn deliveries(&self) -> Result<Vec<Value>> {
        let resp = self.http.get(format!("{}/_control/received", self.base)).send().context("received")?;
        let all: Value = resp.json().context("received JSON")?;
        Ok(all["deliveries"].as_array().cloned().unwrap_or_default())
    }

    /// Every GET the fake host served (method, path, signed).
    pub fn requests(&self) -> Result<Vec<Value>> {
        let resp = self.http.get(format!("{}/_control/received", self.base)).send().context("received")?;
        let all: Value = resp.json().context("received JSON")?;
        Ok(all["requests"].as_array().cloned().unwrap_or_default())
    }

    /// Inbox POSTs refused in PeerTube 8.0 mode (path, scheme, status, body).
    pub fn refused(&self) -> Result<Vec<Value>> {
        let resp = self.http.get(format!("{}/_control/received", self.base)).send().context("received")?;
        let all: Value = resp.json().context("received JSON")?;
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
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!("--- fake Mastodon log ---\n{}", lines[lines.len().saturating_sub(60)..].join("\n"))
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

impl Drop for FakeMastodon {
    fn drop(&mut self) {
        eprintln!("{}", self.log_tail());
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
