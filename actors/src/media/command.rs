//! Child processes of the pipeline (ffmpeg, ffprobe): spawning with a clean stdin, time
//! limits, capped output, the tail of stderr for error messages, and kill-on-drop so an
//! error or a cancel never leaves a process behind.

use super::MediaError;
use std::collections::VecDeque;
use std::io::Read;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes of stderr kept for error messages.
const STDERR_TAIL_BYTES: usize = 4096;
/// Lines of stderr quoted in an error.
const STDERR_TAIL_LINES: usize = 8;

/// A running child that is killed and reaped when dropped, unless it was waited for.
pub(crate) struct ChildGuard {
    child: Child,
    program: String,
    reaped: bool,
}

impl ChildGuard {
    /// Spawns `cmd` with stdin closed and stdout/stderr piped.
    pub(crate) fn spawn(mut cmd: Command) -> Result<ChildGuard, MediaError> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = cmd.spawn().map_err(|source| MediaError::Spawn { program: program.clone(), source })?;
        Ok(ChildGuard { child, program, reaped: false })
    }

    pub(crate) fn program(&self) -> &str {
        &self.program
    }

    pub(crate) fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    pub(crate) fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.child.stderr.take()
    }

    /// Kills the child (if still running) and reaps it.
    pub(crate) fn kill(&mut self) {
        if !self.reaped {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.reaped = true;
        }
    }

    /// Waits for the child to exit.
    pub(crate) fn wait(&mut self) -> Result<ExitStatus, MediaError> {
        let status = self.child.wait()?;
        self.reaped = true;
        Ok(status)
    }

    /// The exit status if the child has exited.
    pub(crate) fn try_wait(&mut self) -> Result<Option<ExitStatus>, MediaError> {
        let status = self.child.try_wait()?;
        self.reaped |= status.is_some();
        Ok(status)
    }

    /// Waits at most until `deadline`; kills the child and reports a timeout after it.
    pub(crate) fn wait_until(&mut self, deadline: Instant, limit: Duration) -> Result<ExitStatus, MediaError> {
        loop {
            if let Some(status) = self.child.try_wait()? {
                self.reaped = true;
                return Ok(status);
            }
            if Instant::now() >= deadline {
                self.kill();
                return Err(MediaError::Timeout { program: self.program.clone(), secs: limit.as_secs() });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Collects the end of a child's stderr on a thread, so the pipe never fills up.
pub(crate) struct StderrTail(Option<JoinHandle<String>>);

impl StderrTail {
    pub(crate) fn collect(stderr: Option<ChildStderr>) -> StderrTail {
        StderrTail(stderr.map(|mut stderr| {
            std::thread::spawn(move || {
                let mut tail = VecDeque::with_capacity(STDERR_TAIL_BYTES);
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    for &b in &buf[..n] {
                        if tail.len() == STDERR_TAIL_BYTES {
                            tail.pop_front();
                        }
                        tail.push_back(b);
                    }
                }
                last_lines(&tail.into_iter().collect::<Vec<u8>>())
            })
        }))
    }

    /// The last lines printed (empty when none), after the child closed stderr.
    pub(crate) fn finish(mut self) -> String {
        self.0.take().and_then(|h| h.join().ok()).unwrap_or_default()
    }
}

fn last_lines(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let start = lines.len().saturating_sub(STDERR_TAIL_LINES);
    lines[start..].join(" | ")
}

/// The error for a child that exited unsuccessfully.
pub(crate) fn failed(program: &str, status: ExitStatus, stderr: String) -> MediaError {
    let stderr = if stderr.is_empty() { "(no output)".to_string() } else { stderr };
    MediaError::Ffmpeg { program: program.to_string(), status: status.to_string(), stderr }
}

/// Runs `cmd` to completion within `limit`, returning its stdout (at most `max_stdout`
/// bytes, more is [`MediaError::OutputTooLarge`]). Non-zero exit is [`MediaError::Ffmpeg`].
pub(crate) fn run_capped(cmd: Command, limit: Duration, max_stdout: usize) -> Result<Vec<u8>, MediaError> {
    let deadline = Instant::now() + limit;
    let mut child = ChildGuard::spawn(cmd)?;
    let stderr = StderrTail::collect(child.take_stderr());
    let stdout = child.take_stdout();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut overflow = false;
        if let Some(stdout) = stdout {
            let mut limited = stdout.take(max_stdout as u64 + 1);
            let _ = limited.read_to_end(&mut out);
            if out.len() > max_stdout {
                overflow = true;
                // Drain the rest so the child is not blocked on a full pipe.
                let _ = std::io::copy(&mut limited.into_inner(), &mut std::io::sink());
            }
        }
        (out, overflow)
    });
    let status = child.wait_until(deadline, limit)?;
    let (out, overflow) = reader.join().unwrap_or_default();
    let stderr = stderr.finish();
    if !status.success() {
        return Err(failed(child.program(), status, stderr));
    }
    if overflow {
        return Err(MediaError::OutputTooLarge { program: child.program().to_string(), limit: max_stdout });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines() {
        let text = (0..20).map(|i| format!("line {i}\n")).collect::<String>();
        assert_eq!(last_lines(text.as_bytes()), (12..20).map(|i| format!("line {i}")).collect::<Vec<_>>().join(" | "));
    }

    #[test]
    fn times_out_and_kills() {
        let mut cmd = Command::new("sleep");
        cmd.arg("5");
        let started = Instant::now();
        let err = run_capped(cmd, Duration::from_millis(200), 100).unwrap_err();
        assert!(matches!(err, MediaError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn caps_output_and_reports_failures() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "yes | head -c 100000"]);
        assert!(matches!(run_capped(cmd, Duration::from_secs(10), 1000), Err(MediaError::OutputTooLarge { .. })));
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo oops >&2; exit 3"]);
        match run_capped(cmd, Duration::from_secs(10), 1000) {
            Err(MediaError::Ffmpeg { stderr, .. }) => assert_eq!(stderr, "oops"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
