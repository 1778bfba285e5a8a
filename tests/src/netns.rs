//! A network namespace of the test's own, where Chromium's WebRTC finds a usable
//! address: a veth pair whose two ends both stay inside it (10.99.0.1/24 and
//! 10.99.0.2/24), a default route over it, and `lo` up. The node and the
//! browsers run inside it on 127.0.0.1; nothing leaves the machine.
//!
//! Names are unique per process and test (`shoalw-<pid>-<n>`), so parallel tests
//! and other people's tests never collide. The namespace is deleted on drop, also
//! when the test fails; namespaces left by a killed earlier run (whose pid is gone)
//! are deleted when a new one is made. Needs root (`ip netns`).
//!
//! [`NetNs::command`] runs a program inside (`ip netns exec NAME ...`); [`NetNs::run`]
//! runs Rust code on a thread that entered the namespace, so the test's own HTTP
//! clients reach the node there.

use anyhow::{bail, Context, Result};
use std::ffi::OsStr;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::tools::run_ok;

/// Prefix of every namespace these tests make.
const PREFIX: &str = "shoalw-";
const IP_TIMEOUT: Duration = Duration::from_secs(20);

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A network namespace, deleted on drop.
#[derive(Debug)]
pub struct NetNs {
    name: String,
}

impl NetNs {
    /// Makes a fresh namespace with the veth pair and default route.
    pub fn create() -> Result<NetNs> {
        remove_stale();
        let name = format!("{PREFIX}{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        ip(&["netns", "add", &name]).context("`ip netns add` (the browser tests need root and iproute2)")?;
        let netns = NetNs { name };
        let steps: &[&[&str]] = &[
            &["link", "set", "lo", "up"],
            &["link", "add", "veth0", "type", "veth", "peer", "name", "veth1"],
            &["addr", "add", "10.99.0.1/24", "dev", "veth0"],
            &["addr", "add", "10.99.0.2/24", "dev", "veth1"],
            &["link", "set", "veth0", "up"],
            &["link", "set", "veth1", "up"],
            &["route", "replace", "default", "via", "10.99.0.2", "dev", "veth0"],
        ];
        for step in steps {
            let mut args = vec!["netns", "exec", netns.name.as_str(), "ip"];
            args.extend_from_slice(step);
            ip(&args)?;
        }
        Ok(netns)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The argument list that runs a program inside: `ip netns exec NAME`.
    pub fn exec_prefix(&self) -> Vec<String> {
        vec!["ip".into(), "netns".into(), "exec".into(), self.name.clone()]
    }

    /// `program` to be run inside the namespace.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name]).arg(program);
        cmd
    }

    /// Runs `f` on a thread inside the namespace and returns its result; threads and
    /// processes it starts are inside too. A panic in `f` is passed on.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
        let path = format!("/run/netns/{}", self.name);
        std::thread::scope(|scope| {
            let handle = scope.spawn(move || -> Result<T> {
                let ns = std::fs::File::open(&path).with_context(|| format!("opening {path}"))?;
                // SAFETY: setns only changes this thread's network namespace; the fd is valid
                // for the duration of the call.
                let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
                if rc != 0 {
                    bail!("setns({path}): {}", std::io::Error::last_os_error());
                }
                f()
            });
            match handle.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        if let Err(e) = ip(&["netns", "delete", &self.name]) {
            eprintln!("could not delete network namespace {}: {e}", self.name);
        }
    }
}

fn ip(args: &[&str]) -> Result<()> {
    run_ok(Command::new("ip").args(args), IP_TIMEOUT).map(|_| ())
}

/// Deletes `shoalw-<pid>-<n>` namespaces whose process is gone (a killed earlier run).
fn remove_stale() {
    let Ok(entries) = std::fs::read_dir("/run/netns") else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(PREFIX).and_then(|rest| rest.split('-').next()) else { continue };
        let alive = std::path::Path::new("/proc").join(pid).exists();
        if !alive && pid.parse::<u32>().is_ok() {
            let _ = ip(&["netns", "delete", &name]);
        }
    }
}
