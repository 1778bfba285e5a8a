//! A fake fediverse host (`tests/scripts/fake_*.py`) as a child process: started
//! with the venv's Python, ready once it prints its JSON line on stdout, driven
//! over its `/_control/` HTTP routes, killed on drop with its log tail printed
//! (shown for failing tests). Shared by [`crate::fake_mastodon`] and
//! [`crate::fake_peertube`].

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::tools::{tests_dir, venv_python};

/// A running fake host script.
pub struct FakeProcess {
    child: Option<Child>,
    /// What it printed once listening (at least `base` and `host`).
    pub ready: Value,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Its name in messages, e.g. "fake Mastodon".
    pub label: &'static str,
    http: reqwest::blocking::Client,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl FakeProcess {
    /// Starts `tests/scripts/{script}` with `args` and waits (30 s at most) for its ready line.
    pub fn start(script: &str, args: &[&str], label: &'static str) -> Result<FakeProcess> {
        let dir = tempfile::Builder::new().prefix("fake-host-").tempdir().context("temp dir")?;
        let log = dir.path().join("fake-host.log");
        let mut child = Command::new(venv_python()?)
            .arg(tests_dir().join("scripts").join(script))
            .args(args)
            .current_dir(tests_dir().join("scripts"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(File::create(&log).context("creating the fake host's log")?))
            .spawn()
            .with_context(|| format!("starting tests/scripts/{script}"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout pipe"))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut fake = FakeProcess {
            child: Some(child),
            ready: Value::Null,
            base: String::new(),
            host: String::new(),
            label,
            http: reqwest::blocking::Client::builder().timeout(Duration::from_secs(90)).build()?,
            log,
            _dir: dir,
        };
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| anyhow!("{script} printed no ready line within 30 s\n{}", fake.log_tail()))?;
        fake.ready = serde_json::from_str(line.trim())
            .with_context(|| format!("{script} ready line is not JSON: {line:?}\n{}", fake.log_tail()))?;
        fake.base = fake.ready["base"].as_str().ok_or_else(|| anyhow!("no base in {}", fake.ready))?.to_string();
        fake.host = fake.ready["host"].as_str().ok_or_else(|| anyhow!("no host in {}", fake.ready))?.to_string();
        Ok(fake)
    }

    /// POSTs a control command; the answer must be 200 JSON.
    pub fn control(&self, route: &str, body: &Value) -> Result<Value> {
        let resp = self
            .http
            .post(format!("{}/_control/{route}", self.base))
            .json(body)
            .send()
            .with_context(|| format!("{} /_control/{route}", self.label))?;
        let status = resp.status();
        let text = resp.text().unwrap_or_default();
        if !status.is_success() {
            bail!("{} /_control/{route}: {status}: {text}\n{}", self.label, self.log_tail());
        }
        serde_json::from_str(&text).with_context(|| format!("control answer is not JSON: {text}"))
    }

    /// GETs a control route (JSON).
    pub fn get(&self, route: &str) -> Result<Value> {
        let resp = self.http.get(format!("{}/_control/{route}", self.base)).send().context(route.to_string())?;
        resp.json().with_context(|| format!("{} /_control/{route} JSON", self.label))
    }

    /// The last lines of the script's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!("--- {} log ---\n{}", self.label, lines[lines.len().saturating_sub(60)..].join("\n"))
    }
}

impl Drop for FakeProcess {
    fn drop(&mut self) {
        eprintln!("{}", self.log_tail());
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
