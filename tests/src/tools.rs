//! Locating the binaries the tests drive (the release `shoal`, Debian's
//! python3, the venv's python, the npm-installed peertube-cli) and running commands with a time
//! limit while capturing their output.

use anyhow::{anyhow, bail, Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The `shoal` binary: `$SHOAL_BIN`, else `shoal` in the target profile
/// folder holding this test executable (`target/release/deps/..` -> `target/release/shoal`).
pub fn shoal_bin() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("SHOAL_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let exe = std::env::current_exe().context("locating the test executable")?;
    let mut dir = exe.parent().map(Path::to_path_buf);
    while let Some(d) = dir {
        let candidate = d.join("shoal");
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent().map(Path::to_path_buf);
        if d.file_name().is_some_and(|n| n == "target") {
            break;
        }
    }
    bail!(
        "the release `shoal` binary was not found next to {} — run `cargo build --release -p shoal-node` \
         (scripts/test.sh does) or set SHOAL_BIN",
        exe.display()
    )
}

/// The repository's `tests/` folder (this crate's manifest directory).
pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Debian's Python, which has the libtorrent binding.
pub fn system_python() -> PathBuf {
    PathBuf::from("/usr/bin/python3")
}

/// `tests/.venv/bin/python`: the venv with the federation test clients (httpsig,
/// http-message-signatures, bovine; pinned in `tests/requirements.txt`), made by
/// `scripts/setup.sh`. The federation scripts in `tests/scripts/` run only with it.
pub fn venv_python() -> Result<PathBuf> {
    let python = tests_dir().join(".venv/bin/python");
    if !python.exists() {
        bail!(
            "{} is missing: the federation tests need the Python venv with httpsig, \
             http-message-signatures and bovine — run `bash scripts/setup.sh`",
            python.display()
        );
    }
    Ok(python)
}

/// `tests/node_modules/.bin/peertube-cli`, installed by `scripts/setup.sh`.
pub fn peertube_cli() -> Result<PathBuf> {
    let bin = tests_dir().join("node_modules/.bin/peertube-cli");
    if !bin.exists() {
        bail!("{} is missing: run `bash scripts/setup.sh` (npm ci --ignore-scripts in tests/)", bin.display());
    }
    Ok(bin)
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Everything printed, for error messages.
    pub fn describe(&self) -> String {
        format!("exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.status, self.stdout, self.stderr)
    }
}

/// Runs `cmd` to completion, killing it after `timeout`; stdout and stderr are captured.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<Output> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {shown}"))?;
    let out = child.stdout.take().ok_or_else(|| anyhow!("no stdout pipe"))?;
    let err = child.stderr.take().ok_or_else(|| anyhow!("no stderr pipe"))?;
    let out_reader = std::thread::spawn(move || read_all(out));
    let err_reader = std::thread::spawn(move || read_all(err));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().context("waiting for child")? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stdout = out_reader.join().unwrap_or_default();
            let stderr = err_reader.join().unwrap_or_default();
            bail!("{shown} timed out after {timeout:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ok(Output { status, stdout: out_reader.join().unwrap_or_default(), stderr: err_reader.join().unwrap_or_default() })
}

fn read_all(mut r: impl Read) -> String {
    let mut buf = Vec::new();
    let _ = r.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Runs `cmd` and fails unless it exits 0.
pub fn run_ok(cmd: &mut Command, timeout: Duration) -> Result<Output> {
    let out = run_with_timeout(cmd, timeout)?;
    if !out.status.success() {
        bail!("{cmd:?} failed\n{}", out.describe());
    }
    Ok(out)
}
