//! `SwarmActor`: one per info-hash. It owns the swarm's peer tables (the pure
//! [`Swarm`] from `shoal_protocol`, one for HTTP peers and one for WebTorrent
//! peers, since neither can reach the other), relays WebRTC offers and answers
//! straight onto the WebSocket queues of the peers concerned, expires silent peers
//! on a timer and stops itself once empty.

use std::net::SocketAddr;
use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use serde_json::value::RawValue;
use shoal_protocol::tracker::http::HttpPeer;
use shoal_protocol::tracker::ws::outgoing;
use shoal_protocol::tracker::{Announce, Peer, PeerId, Swarm, SwarmCounts, SwarmError, SwarmLimits};
use tokio::sync::mpsc;

use super::metrics::Transport;
use super::shared::TrackerShared;

/// Identifies one WebSocket connection.
pub type ConnId = u64;

/// How the swarm reaches a WebTorrent peer: its connection's outgoing frame queue.
#[derive(Debug, Clone)]
pub struct WsPeer {
    pub conn: ConnId,
    pub tx: mpsc::Sender<String>,
}

/// An offer to relay, owned so it can cross to the swarm's task. Its frame is only
/// built for a peer whose queue has room: under load most relayed offers would
/// otherwise be serialised just to be dropped.
#[derive(Debug)]
pub struct WsOfferOwned {
    pub offer_id: String,
    pub offer: Box<RawValue>,
}

/// The swarm's answer to an HTTP announce.
#[derive(Debug)]
pub struct HttpAnnounced {
    pub counts: SwarmCounts,
    pub peers: Vec<HttpPeer>,
}

/// Messages of a swarm actor.
pub enum SwarmMsg {
    /// An HTTP announce; the reply carries the counts and peers.
    Http { announce: Announce<SocketAddr>, reply: RpcReplyPort<Result<HttpAnnounced, SwarmError>> },
    /// A WebSocket announce; `offers[i]` goes to the i-th peer chosen. The reply
    /// frame goes to the announcer's own queue.
    Ws { announce: Announce<WsPeer>, offers: Vec<WsOfferOwned> },
    /// A ready answer frame for peer `to` (the offerer); a failure goes back on `from`.
    Answer { to: PeerId, frame: String, from: mpsc::Sender<String> },
    /// The connection `conn` closed: its peer `peer_id` leaves (if it is still that connection's).
    Leave { peer_id: PeerId, conn: ConnId },
    /// The swarm's counts, for scrapes.
    Scrape(RpcReplyPort<SwarmCounts>),
    /// Periodic expiry of silent peers.
    Tick,
}

pub struct SwarmActor;

pub struct SwarmArgs {
    pub info_hash: [u8; 20],
    pub shared: Arc<TrackerShared>,
}

/// Keeps the swarm and peer gauges right however the actor ends (a panic included).
struct GaugeGuard {
    shared: Arc<TrackerShared>,
    http_peers: i64,
    ws_peers: i64,
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        let m = &self.shared.metrics;
        m.peers_changed(Transport::Http, -self.http_peers);
        m.peers_changed(Transport::WebSocket, -self.ws_peers);
        m.swarm_stopped();
    }
}

pub struct SwarmState {
    info_hash: [u8; 20],
    http: Swarm<SocketAddr>,
    ws: Swarm<WsPeer>,
    rng: SmallRng,
    gauges: GaugeGuard,
    ticker: tokio::task::JoinHandle<()>,
    chosen_http: Vec<Peer<SocketAddr>>,
    chosen_ws: Vec<Peer<WsPeer>>,
}

impl Drop for SwarmState {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}

impl SwarmState {
    /// Brings the peer gauges in line with the tables.
    fn sync_gauges(&mut self) {
        let (http, ws) = (self.http.len() as i64, self.ws.len() as i64);
        let m = &self.gauges.shared.metrics;
        m.peers_changed(Transport::Http, http - self.gauges.http_peers);
        m.peers_changed(Transport::WebSocket, ws - self.gauges.ws_peers);
        self.gauges.http_peers = http;
        self.gauges.ws_peers = ws;
    }

    fn counts(&self) -> SwarmCounts {
        let (h, w) = (self.http.counts(), self.ws.counts());
        SwarmCounts {
            seeders: h.seeders + w.seeders,
            leechers: h.leechers + w.leechers,
            completed: h.completed + w.completed,
        }
    }

    fn shared(&self) -> &TrackerShared {
        &self.gauges.shared
    }

    /// Fails the actor if the peer id carries the configured fault-injection prefix.
    fn check_fault(&self, peer_id: &PeerId) -> Result<(), ActorProcessingErr> {
        match &self.shared().fault_prefix {
            Some(prefix) if peer_id.0.starts_with(prefix) => {
                Err("injected fault (tracker.fault_injection_peer_prefix)".into())
            }
            _ => Ok(()),
        }
    }

    fn send(&self, tx: &mpsc::Sender<String>, frame: String) -> bool {
        match tx.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.shared().metrics.frame_dropped();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    fn ws_announce(&mut self, announce: Announce<WsPeer>, offers: Vec<WsOfferOwned>) {
        let shared = self.gauges.shared.clone();
        let now = shared.now_secs();
        let tx = announce.addr.tx.clone();
        let from = announce.peer_id;
        let mut chosen = std::mem::take(&mut self.chosen_ws);
        chosen.clear();
        let result = self.ws.announce(now, announce, &mut self.rng, &mut chosen);
        match result {
            Ok(_) => {
                let mut relayed = 0;
                for (peer, offer) in chosen.iter().zip(offers) {
                    if peer.addr.tx.capacity() == 0 {
                        shared.metrics.frame_dropped();
                        continue;
                    }
                    let frame = outgoing::offer(&self.info_hash, &from, &offer.offer_id, &offer.offer);
                    relayed += u64::from(self.send(&peer.addr.tx, frame));
                }
                shared.metrics.offers_relayed(relayed);
                let reply =
                    outgoing::announce_reply(&self.info_hash, shared.config.announce_interval_secs, self.counts());
                self.send(&tx, reply);
            }
            Err(SwarmError::Full) => {
                shared.metrics.refused("swarm_full");
                self.send(&tx, outgoing::failure(Some("announce"), Some(&self.info_hash), "swarm is full"));
            }
        }
        self.chosen_ws = chosen;
        self.sync_gauges();
    }

    fn http_announce(&mut self, announce: Announce<SocketAddr>) -> Result<HttpAnnounced, SwarmError> {
        let now = self.shared().now_secs();
        let mut chosen = std::mem::take(&mut self.chosen_http);
        chosen.clear();
        let result = self.http.announce(now, announce, &mut self.rng, &mut chosen);
        let reply = result.map(|_| HttpAnnounced {
            counts: self.counts(),
            peers: chosen.iter().map(|p| HttpPeer { id: p.id, addr: p.addr }).collect(),
        });
        self.chosen_http = chosen;
        self.sync_gauges();
        reply
    }
}

impl Actor for SwarmActor {
    type Msg = SwarmMsg;
    type State = SwarmState;
    type Arguments = SwarmArgs;

    async fn pre_start(&self, myself: ActorRef<SwarmMsg>, args: SwarmArgs) -> Result<SwarmState, ActorProcessingErr> {
        let SwarmArgs { info_hash, shared } = args;
        let limits = SwarmLimits {
            max_peers: shared.config.max_peers_per_swarm,
            peer_timeout_secs: shared.config.peer_timeout_secs,
        };
        // Expire at a quarter of the timeout, so a silent peer lingers at most 1.25 timeouts.
        let period = std::time::Duration::from_secs(u64::from(limits.peer_timeout_secs.max(4) / 4));
        let ticker = myself.send_interval(period, || SwarmMsg::Tick);
        shared.metrics.swarm_started();
        Ok(SwarmState {
            info_hash,
            http: Swarm::new(limits),
            ws: Swarm::new(limits),
            rng: SmallRng::from_entropy(),
            gauges: GaugeGuard { shared, http_peers: 0, ws_peers: 0 },
            ticker,
            chosen_http: Vec::new(),
            chosen_ws: Vec::new(),
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<SwarmMsg>,
        message: SwarmMsg,
        state: &mut SwarmState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SwarmMsg::Http { announce, reply } => {
                state.check_fault(&announce.peer_id)?;
                let _ = reply.send(state.http_announce(announce));
            }
            SwarmMsg::Ws { announce, offers } => {
                state.check_fault(&announce.peer_id)?;
                state.ws_announce(announce, offers);
            }
            SwarmMsg::Answer { to, frame, from } => match state.ws.get(&to) {
                Some(peer) => {
                    let tx = peer.addr.tx.clone();
                    if state.send(&tx, frame) {
                        state.shared().metrics.answer_relayed();
                    }
                }
                None => {
                    state.shared().metrics.refused("peer_gone");
                    let failure =
                        outgoing::failure(Some("announce"), Some(&state.info_hash), "the offering peer has left");
                    state.send(&from, failure);
                }
            },
            SwarmMsg::Leave { peer_id, conn } => {
                if state.ws.get(&peer_id).is_some_and(|p| p.addr.conn == conn) {
                    state.ws.remove(&peer_id);
                    state.sync_gauges();
                }
            }
            SwarmMsg::Scrape(reply) => {
                let _ = reply.send(state.counts());
            }
            SwarmMsg::Tick => {
                let now = state.shared().now_secs();
                state.http.expire(now);
                state.ws.expire(now);
                state.sync_gauges();
                if state.http.is_empty() && state.ws.is_empty() {
                    // Leave the registry first, so new announces spawn a fresh swarm,
                    // then finish what is already queued and stop.
                    state.shared().deregister(&state.info_hash, myself.get_id());
                    let _ = myself.drain();
                }
            }
        }
        Ok(())
    }
}
