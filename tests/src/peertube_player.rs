//! The HLS player PeerTube 6 and 7 shipped (`tests/scripts/peertube_player/`: hls.js 1.5 with
//! `@peertube/p2p-media-loader` 1.0.20 in PeerTube's VOD configuration) on a page of its own,
//! served from `tests/` by a Python static file server on another origin than the node's (so
//! CORS is exercised). Killed on drop.

use anyhow::Result;
use percent_encoding::{percent_encode, NON_ALPHANUMERIC};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::federation::wait_for;
use crate::tools::tests_dir;

/// The static server of the page and its libraries.
pub struct PeerTubePlayerPage {
    server: Child,
    port: u16,
}

impl PeerTubePlayerPage {
    /// Starts the page's server on an ephemeral port of 127.0.0.1 (run inside the
    /// browsers' network namespace).
    pub fn start() -> Result<PeerTubePlayerPage> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let server = Command::new("python3")
            .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
            .arg(tests_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let page = PeerTubePlayerPage { server, port };
        wait_for(Duration::from_secs(10), "the page server listens", |_| {
            Ok(std::net::TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ()))
        })?;
        Ok(page)
    }

    /// The page playing `master` (a master playlist URL), finding peers through the WebSocket
    /// tracker at `tracker`.
    pub fn url(&self, master: &str, tracker: &str) -> String {
        format!(
            "http://127.0.0.1:{}/scripts/peertube_player/index.html?playlist={}&tracker={}",
            self.port,
            percent(master),
            percent(tracker)
        )
    }
}

impl Drop for PeerTubePlayerPage {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// `text` for a query value.
fn percent(text: &str) -> String {
    percent_encode(text.as_bytes(), NON_ALPHANUMERIC).to_string()
}
