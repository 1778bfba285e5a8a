//! The BitTorrent tracker: HTTP announces and scrapes, and the WebTorrent
//! WebSocket protocol, over one `SwarmActor` per info-hash under the
//! `TrackerSupervisor`. The web edge calls the [`Tracker`] handle; the swarm
//! logic itself is `shoal_protocol::tracker::Swarm`, shared with the simulator.

mod ip_limit;
pub mod metrics;
mod session;
mod shared;
pub mod supervisor;
pub mod swarm_actor;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ractor::concurrency::oneshot;
use ractor::{ActorRef, MessagingErr};
use shoal_protocol::tracker::http::{self, AnnounceRequest};
use shoal_protocol::tracker::{Announce, SwarmCounts};
use tokio::sync::mpsc;

pub use metrics::TrackerMetrics;
pub use session::WsSession;
pub use shared::TrackerShared;
pub use supervisor::{TrackerMsg, TrackerSupervisor, TrackerSupervisorArgs};
pub use swarm_actor::{SwarmMsg, WsPeer};

use crate::config::TrackerConfig;
use crate::node_supervisor::Supervisors;
use metrics::Transport;

/// How long a call to a swarm or the tracker supervisor may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the tracker refused an announce; the text is the `failure reason`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TrackerError {
    /// The info-hash is not a file of a video this node hosts (`tracker.allow = "hosted"`).
    #[error("torrent not served by this tracker")]
    NotServed,
    /// `tracker.max_swarms` swarms are running.
    #[error("tracker is at its swarm limit; try again later")]
    TooManySwarms,
    /// The actors did not answer (shutting down or overloaded).
    #[error("tracker unavailable: {0}")]
    Unavailable(String),
}

/// The web edge's handle on the tracker. Cheap to clone.
#[derive(Clone)]
pub struct Tracker {
    shared: Arc<TrackerShared>,
    supervisors: Supervisors,
}

impl Tracker {
    pub fn new(shared: Arc<TrackerShared>, supervisors: Supervisors) -> Self {
        Self { shared, supervisors }
    }

    pub fn config(&self) -> &TrackerConfig {
        &self.shared.config
    }

    pub fn metrics(&self) -> &TrackerMetrics {
        &self.shared.metrics
    }

    /// The swarm actor of `info_hash`, asking the supervisor to start it when none runs.
    async fn swarm(&self, info_hash: [u8; 20]) -> Result<ActorRef<SwarmMsg>, TrackerError> {
        if let Some(swarm) = self.shared.lookup(&info_hash) {
            return Ok(swarm);
        }
        let supervisor = self.supervisors.current().tracker;
        match supervisor.call(|reply| TrackerMsg::Swarm { info_hash, reply }, Some(CALL_TIMEOUT)).await {
            Ok(ractor::rpc::CallResult::Success(result)) => result,
            _ => Err(TrackerError::Unavailable("the tracker supervisor did not answer".into())),
        }
    }

    /// Delivers `msg` to the swarm of `info_hash`, starting it if needed. A swarm
    /// that stopped between look-up and send (it was empty) is replaced once.
    async fn send(&self, info_hash: [u8; 20], msg: SwarmMsg) -> Result<(), TrackerError> {
        let mut msg = msg;
        for _ in 0..2 {
            let swarm = self.swarm(info_hash).await?;
            match swarm.send_message(msg) {
                Ok(()) => return Ok(()),
                Err(MessagingErr::SendErr(back)) => {
                    self.shared.deregister(&info_hash, swarm.get_id());
                    msg = back;
                }
                Err(_) => break,
            }
        }
        Err(TrackerError::Unavailable("the swarm stopped".into()))
    }

    /// The counts of a running swarm (`None` when nobody is in it).
    async fn counts_of(&self, info_hash: &[u8; 20]) -> Option<SwarmCounts> {
        let swarm = self.shared.lookup(info_hash)?;
        match swarm.call(SwarmMsg::Scrape, Some(CALL_TIMEOUT)).await {
            Ok(ractor::rpc::CallResult::Success(counts)) => Some(counts),
            _ => None,
        }
    }

    /// Handles the query string of an HTTP announce from `ip`; returns the bencoded
    /// reply (a `failure reason` when malformed or refused).
    pub async fn announce_query(&self, query: &[u8], ip: IpAddr) -> Vec<u8> {
        match http::parse_announce(query) {
            Ok(request) => self.http_announce(request, ip).await,
            Err(e) => {
                self.shared.metrics.refused("malformed");
                http::failure_reply(&e.to_string())
            }
        }
    }

    /// Handles the query string of an HTTP scrape.
    pub async fn scrape_query(&self, query: &[u8]) -> Vec<u8> {
        match http::parse_scrape(query) {
            Ok(hashes) => self.http_scrape(&hashes).await,
            Err(e) => {
                self.shared.metrics.refused("malformed");
                http::failure_reply(&e.to_string())
            }
        }
    }

    /// Handles a decoded HTTP announce from `ip`.
    pub async fn http_announce(&self, request: AnnounceRequest, ip: IpAddr) -> Vec<u8> {
        let config = &self.shared.config;
        if !self.shared.limiter.allow(ip, self.shared.now_secs()) {
            self.shared.metrics.refused("rate_limited");
            return http::failure_reply("too many announces from this address");
        }
        let numwant = request.numwant.unwrap_or(config.default_numwant).min(config.max_numwant);
        let announce = Announce {
            peer_id: request.peer_id,
            addr: SocketAddr::new(ip, request.port),
            seeder: request.left == 0,
            event: request.event,
            numwant,
        };
        let (tx, rx) = oneshot();
        if let Err(e) = self.send(request.info_hash, SwarmMsg::Http { announce, reply: tx.into() }).await {
            self.shared.metrics.refused(e.metric());
            return http::failure_reply(&e.to_string());
        }
        match tokio::time::timeout(CALL_TIMEOUT, rx).await {
            Ok(Ok(Ok(announced))) => {
                self.shared.metrics.announced(Transport::Http);
                let (interval, min_interval) = (config.announce_interval_secs, config.announce_interval_secs / 2);
                http::announce_reply(
                    announced.counts,
                    interval,
                    min_interval,
                    &announced.peers,
                    request.compact,
                    request.no_peer_id,
                )
            }
            Ok(Ok(Err(full))) => {
                self.shared.metrics.refused("swarm_full");
                http::failure_reply(&full.to_string())
            }
            _ => {
                self.shared.metrics.refused("unavailable");
                http::failure_reply("tracker unavailable")
            }
        }
    }

    /// How many peers (seeders and leechers) are in the swarms of `info_hashes` together.
    pub async fn peers_in(&self, info_hashes: &[[u8; 20]]) -> u64 {
        let mut peers = 0;
        for hash in info_hashes {
            if let Some(counts) = self.counts_of(hash).await {
                peers += u64::from(counts.seeders) + u64::from(counts.leechers);
            }
        }
        peers
    }

    /// Handles an HTTP scrape; swarms nobody is in are reported empty.
    pub async fn http_scrape(&self, info_hashes: &[[u8; 20]]) -> Vec<u8> {
        let mut files = Vec::with_capacity(info_hashes.len());
        for hash in info_hashes {
            files.push((*hash, self.counts_of(hash).await.unwrap_or_default()));
        }
        http::scrape_reply(&files)
    }

    /// A new WebSocket connection from `ip`: its session, and the queue of frames to write.
    pub fn open_socket(&self, ip: IpAddr) -> (WsSession, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(self.shared.config.socket_queue.max(1));
        (WsSession::new(self.clone(), ip, tx), rx)
    }
}
