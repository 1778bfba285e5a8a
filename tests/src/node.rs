//! A Shoal node in a child process: a temp data folder, a test
//! configuration (tiny ladder, fast retries, known admin password), an
//! ephemeral port read from the node's `listening on` line, readiness via
//! `/api/v1/ping`, `kill -9` and restart on the same folder and port, and a
//! kill on drop. The node's logs go to files in the temp folder; their tail
//! is printed on drop, which libtest shows only for failing tests.

use anyhow::{anyhow, bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::client::ApiClient;
use crate::tools::shoal_bin;

pub const ADMIN_USERNAME: &str = "root";
pub const ADMIN_PASSWORD: &str = "shoal-test-admin-password";

/// How long a node may take to print its address and answer ping.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds a node's configuration file from test defaults plus overrides.
#[derive(Debug, Clone)]
pub struct NodeBuilder {
    table: toml::Table,
    /// Runs the node through this command, e.g. `ip netns exec NAME` (empty: directly).
    prefix: Vec<String>,
}

impl Default for NodeBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeBuilder {
    /// Test defaults: 120p and 240p at speed 10, 200 ms first retry backoff,
    /// 3 attempts, the known admin password, debug logs for the actors.
    pub fn new() -> Self {
        let text = format!(
            r#"
listen = "127.0.0.1:0"
[log]
level = "info,shoal_actors=debug,shoal_web=debug,tower_http=debug"
[transcoding]
speed = 10
threads = 2
concurrency = 1
max_attempts = 3
retry_backoff_ms = 200
ladder = [{{ height = 120, bitrate_kbps = 150 }}, {{ height = 240, bitrate_kbps = 300 }}]
[admin]
username = "{ADMIN_USERNAME}"
password = "{ADMIN_PASSWORD}"
"#
        );
        let table = toml::from_str(&text).unwrap_or_default();
        Self { table, prefix: Vec::new() }
    }

    /// Sets a dotted key, e.g. `set("limits.max_upload_bytes", 1000)`.
    pub fn set(mut self, dotted: &str, value: impl Into<toml::Value>) -> Self {
        let parts: Vec<&str> = dotted.split('.').collect();
        let Some((last, parents)) = parts.split_last() else { return self };
        let mut t = &mut self.table;
        for p in parents {
            let entry = t.entry(p.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry.as_table_mut() {
                Some(next) => t = next,
                None => return self,
            }
        }
        t.insert(last.to_string(), value.into());
        self
    }

    /// Sets the transcoding ladder to these heights (bitrate ~ 1.25 kbit/s per line).
    pub fn ladder(self, heights: &[u32]) -> Self {
        let rungs: Vec<toml::Value> = heights
            .iter()
            .map(|h| {
                let mut rung = toml::Table::new();
                rung.insert("height".into(), toml::Value::Integer(i64::from(*h)));
                rung.insert("bitrate_kbps".into(), toml::Value::Integer(i64::from(*h) * 5 / 4));
                toml::Value::Table(rung)
            })
            .collect();
        self.set("transcoding.ladder", toml::Value::Array(rungs))
    }

    /// Starts the node through `prefix` (a program and its arguments, before the node's
    /// path), e.g. [`crate::netns::NetNs::exec_prefix`] to run it in a network namespace.
    /// The prefix must `exec` the node, so killing the child kills the node.
    pub fn command_prefix(mut self, prefix: Vec<String>) -> Self {
        self.prefix = prefix;
        self
    }

    /// Sets the transcoding ladder to these `(height, kbit/s)` rungs.
    pub fn ladder_with_bitrates(self, rungs: &[(u32, u32)]) -> Self {
        let rungs: Vec<toml::Value> = rungs
            .iter()
            .map(|(height, kbps)| {
                let mut rung = toml::Table::new();
                rung.insert("height".into(), toml::Value::Integer(i64::from(*height)));
                rung.insert("bitrate_kbps".into(), toml::Value::Integer(i64::from(*kbps)));
                toml::Value::Table(rung)
            })
            .collect();
        self.set("transcoding.ladder", toml::Value::Array(rungs))
    }

    /// Writes the config into a new temp folder and starts the node there.
    pub fn start(self) -> Result<TestNode> {
        let mut node = self.prepare()?;
        node.spawn()?;
        Ok(node)
    }

    /// Writes the config into a new temp folder without starting the node: run commands on
    /// its folder first (e.g. `shoal redundancy peer-id`), change its config with
    /// [`TestNode::set_config`], then [`TestNode::launch`] it.
    pub fn prepare(self) -> Result<TestNode> {
        let dir = tempfile::Builder::new().prefix("shoal-test-").tempdir().context("creating temp dir")?;
        let data_dir = dir.path().join("data");
        let config_path = dir.path().join("shoal.toml");
        let mut table = self.table;
        let storage = table.entry("storage".to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let Some(storage) = storage.as_table_mut() {
            storage.insert("data_dir".into(), toml::Value::String(data_dir.display().to_string()));
        }
        let text = toml::to_string(&table).context("serialising test config")?;
        std::fs::write(&config_path, text).context("writing test config")?;
        let node = TestNode {
            dir,
            config_path,
            data_dir,
            child: None,
            listen: "127.0.0.1:0".into(),
            base_url: String::new(),
            prefix: self.prefix,
        };
        Ok(node)
    }
}

/// A running (or killed) node and its folder.
pub struct TestNode {
    dir: tempfile::TempDir,
    config_path: PathBuf,
    data_dir: PathBuf,
    child: Option<Child>,
    /// What `--listen` gets: port 0 at first, then the port it bound, so a
    /// restart keeps the URLs baked into torrents valid.
    listen: String,
    base_url: String,
    /// See [`NodeBuilder::command_prefix`].
    prefix: Vec<String>,
}

impl TestNode {
    /// Starts a node with the test defaults.
    pub fn start() -> Result<TestNode> {
        NodeBuilder::new().start()
    }

    /// `http://127.0.0.1:PORT`.
    /// Starts a node made by [`NodeBuilder::prepare`].
    pub fn launch(&mut self) -> Result<()> {
        self.spawn()
    }

    /// The node's configuration file.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Sets a dotted key in the configuration file (takes effect at the next start).
    pub fn set_config(&self, dotted: &str, value: impl Into<toml::Value>) -> Result<()> {
        let text = std::fs::read_to_string(&self.config_path).context("reading the test config")?;
        let table: toml::Table = toml::from_str(&text).context("parsing the test config")?;
        let builder = NodeBuilder { table, prefix: Vec::new() }.set(dotted, value);
        std::fs::write(&self.config_path, toml::to_string(&builder.table)?).context("writing the test config")
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Absolute URL of an API path such as `/api/v1/ping`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The node process id while it runs (for /proc measurements in benches).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A scratch folder for the test's own files (removed with the node).
    pub fn scratch(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The value of an unlabelled sample of `/metrics`, e.g. `shoal_web_seed_bytes_total`.
    pub fn metric(&self, name: &str) -> Result<f64> {
        let text = reqwest::blocking::Client::new()
            .get(self.url("/metrics"))
            .timeout(Duration::from_secs(10))
            .send()
            .and_then(reqwest::blocking::Response::text)
            .context("GET /metrics")?;
        text.lines()
            .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|value| value.trim().parse().ok())
            .ok_or_else(|| anyhow!("no sample {name} in /metrics:\n{text}"))
    }

    /// A client logged in as the admin.
    pub fn admin(&self) -> Result<ApiClient> {
        ApiClient::login(&self.base_url, ADMIN_USERNAME, ADMIN_PASSWORD)
    }

    /// An anonymous client.
    pub fn anonymous(&self) -> Result<ApiClient> {
        ApiClient::anonymous(&self.base_url)
    }

    fn stderr_log(&self) -> PathBuf {
        self.dir.path().join("node-stderr.log")
    }

    fn stdout_log(&self) -> PathBuf {
        self.dir.path().join("node-stdout.log")
    }

    /// The node's log output so far (tracing goes to stderr).
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.stderr_log()).unwrap_or_default()
    }

    fn spawn(&mut self) -> Result<()> {
        let bin = shoal_bin()?;
        let stderr = open_append(&self.stderr_log())?;
        let mut cmd = match self.prefix.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(&bin);
                cmd
            }
            None => Command::new(&bin),
        };
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("SHOAL_") {
                cmd.env_remove(key);
            }
        }
        cmd.arg("serve")
            .arg("--config")
            .arg(&self.config_path)
            .arg("--listen")
            .arg(&self.listen)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr));
        let mut child = cmd.spawn().with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout pipe"))?;
        let mut stdout_log = open_append(&self.stdout_log())?;
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(stdout_log, "{line}");
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        self.child = Some(child);

        let deadline = Instant::now() + START_TIMEOUT;
        let url = loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(url) => break url,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.wait_exit(Duration::from_secs(5));
                    bail!("node exited before listening ({status:?})\n{}", self.log_tail(60));
                }
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                bail!("node exited before listening: {status}\n{}", self.log_tail(60));
            }
            if Instant::now() > deadline {
                bail!("node did not print `listening on` within {START_TIMEOUT:?}\n{}", self.log_tail(60));
            }
        };
        self.listen = url.trim_start_matches("http://").trim_start_matches("https://").to_string();
        self.base_url = url;
        self.wait_ready(deadline)
    }

    /// Polls `/api/v1/ping` until it answers 200.
    fn wait_ready(&mut self, deadline: Instant) -> Result<()> {
        // Test nodes with TLS use self-signed certificates.
        let http = reqwest::blocking::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(5))
            .build()
            .context("building HTTP client")?;
        loop {
            if let Ok(resp) = http.get(self.url("/api/v1/ping")).send() {
                if resp.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("{} never answered /api/v1/ping with 200\n{}", self.base_url, self.log_tail(60));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Fails unless the node answers `/api/v1/ping` with 200 right now.
    pub fn assert_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
            bail!("node exited: {status}\n{}", self.log_tail(60));
        }
        let resp = reqwest::blocking::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .context("building HTTP client")?
            .get(self.url("/api/v1/ping"))
            .timeout(Duration::from_secs(10))
            .send()
            .context("ping")?;
        if resp.status() != reqwest::StatusCode::OK {
            bail!("ping answered {}", resp.status());
        }
        Ok(())
    }

    /// `kill -9`: no shutdown, no flush.
    pub fn kill9(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("kill -9")?;
            child.wait().context("reaping killed node")?;
        }
        Ok(())
    }

    /// SIGTERM, then waits up to `timeout` for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let Some(child) = self.child.as_ref() else { bail!("node is not running") };
        let pid = child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().context("running kill")?;
        if !status.success() {
            bail!("kill -TERM {pid} failed");
        }
        match self.wait_exit(timeout) {
            Some(status) => Ok(status),
            None => bail!("node did not exit within {timeout:?} of SIGTERM\n{}", self.log_tail(40)),
        }
    }

    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let child = self.child.as_mut()?;
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the node again on the same data folder and port.
    pub fn restart(&mut self) -> Result<()> {
        if self.child.is_some() {
            bail!("restart needs a stopped node (kill9 or terminate first)");
        }
        self.spawn()
    }

    /// The last `n` lines of the node's logs.
    pub fn log_tail(&self, n: usize) -> String {
        let logs = self.logs();
        let lines: Vec<&str> = logs.lines().collect();
        let start = lines.len().saturating_sub(n);
        format!("--- last node log lines ({}) ---\n{}", self.stderr_log().display(), lines[start..].join("\n"))
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        // libtest captures this and shows it only for failing tests.
        eprintln!("{}", self.log_tail(120));
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new().create(true).append(true).open(path).with_context(|| format!("opening {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_defaults_parse_and_overrides_apply() {
        let b = NodeBuilder::new().set("limits.max_upload_bytes", 5).ladder(&[120]);
        assert_eq!(b.table["admin"]["password"].as_str(), Some(ADMIN_PASSWORD));
        assert_eq!(b.table["limits"]["max_upload_bytes"].as_integer(), Some(5));
        assert_eq!(b.table["transcoding"]["ladder"].as_array().map(Vec::len), Some(1));
        assert_eq!(b.table["transcoding"]["retry_backoff_ms"].as_integer(), Some(200));
    }
}
