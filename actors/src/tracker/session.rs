//! One WebSocket tracker connection: parses each frame, enforces the per-IP and
//! per-connection limits, hands announces, answers and scrapes to the swarm
//! actors, and on close takes the connection's peers out of their swarms.
//! Frames for the client (replies, relayed offers and answers, failures) go
//! through one bounded queue that the web edge writes to the socket.

use std::collections::BTreeMap;
use std::net::IpAddr;

use shoal_protocol::tracker::ws::incoming::{self, InMessage, WsAnnounce, WsAnswer, WsScrape};
use shoal_protocol::tracker::ws::outgoing;
use shoal_protocol::tracker::{Announce, AnnounceEvent, PeerId, SwarmCounts};
use tokio::sync::mpsc;

use super::metrics::Transport;
use super::swarm_actor::{ConnId, SwarmMsg, WsOfferOwned, WsPeer};
use super::{Tracker, TrackerError};

/// The tracker side of one WebSocket connection.
pub struct WsSession {
    tracker: Tracker,
    conn: ConnId,
    ip: IpAddr,
    tx: mpsc::Sender<String>,
    /// Swarms this connection announced in, with the peer id it used there.
    joined: BTreeMap<[u8; 20], PeerId>,
}

impl WsSession {
    pub(super) fn new(tracker: Tracker, ip: IpAddr, tx: mpsc::Sender<String>) -> Self {
        let conn = tracker.shared.next_conn();
        tracker.shared.metrics.connection_opened();
        Self { tracker, conn, ip, tx, joined: BTreeMap::new() }
    }

    /// Handles one text frame from the client.
    pub async fn handle_text(&mut self, text: &str) {
        match incoming::parse(text) {
            Ok(InMessage::Announce(announce)) => self.announce(announce).await,
            Ok(InMessage::Answer(answer)) => self.answer(answer),
            Ok(InMessage::Scrape(scrape)) => self.scrape(scrape).await,
            Err(e) => {
                let action = if text.contains("\"scrape\"") { "scrape" } else { "announce" };
                self.refuse("malformed", Some(action), incoming::info_hash_of(text).as_ref(), &e.to_string());
            }
        }
    }

    /// Tells the client a frame could not be handled (binary frames, oversized ones).
    pub fn refuse_frame(&self, reason: &str) {
        self.refuse("malformed", None, None, reason);
    }

    fn refuse(&self, metric: &'static str, action: Option<&str>, info_hash: Option<&[u8; 20]>, reason: &str) {
        self.tracker.shared.metrics.refused(metric);
        self.push(outgoing::failure(action, info_hash, reason));
    }

    fn push(&self, frame: String) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(frame) {
            self.tracker.shared.metrics.frame_dropped();
        }
    }

    async fn announce(&mut self, a: WsAnnounce<'_>) {
        let shared = &self.tracker.shared;
        let hash = a.info_hash;
        if !shared.limiter.allow(self.ip, shared.now_secs()) {
            return self.refuse("rate_limited", Some("announce"), Some(&hash), "too many announces from this address");
        }
        let max_swarms = shared.config.max_swarms_per_connection;
        if !self.joined.contains_key(&hash) && self.joined.len() >= max_swarms {
            let reason = format!("one connection may join at most {max_swarms} swarms");
            return self.refuse("too_many_swarms", Some("announce"), Some(&hash), &reason);
        }
        let offers: Vec<WsOfferOwned> = a
            .offers
            .iter()
            .take(shared.config.max_numwant)
            .map(|o| WsOfferOwned { offer_id: o.offer_id.clone().into_owned(), offer: o.offer.to_owned() })
            .collect();
        let announce = Announce {
            peer_id: a.peer_id,
            addr: WsPeer { conn: self.conn, tx: self.tx.clone() },
            seeder: a.seeder,
            event: a.event,
            numwant: offers.len(),
        };
        match self.tracker.send(hash, SwarmMsg::Ws { announce, offers }).await {
            Ok(()) => {
                shared.metrics.announced(Transport::WebSocket);
                if a.event == AnnounceEvent::Stopped {
                    self.joined.remove(&hash);
                } else {
                    self.joined.insert(hash, a.peer_id);
                }
            }
            Err(e) => self.refuse(e.metric(), Some("announce"), Some(&hash), &e.to_string()),
        }
    }

    fn answer(&self, a: WsAnswer<'_>) {
        let hash = a.info_hash;
        let Some(swarm) = self.tracker.shared.lookup(&hash) else {
            return self.refuse("peer_gone", Some("announce"), Some(&hash), "no such swarm");
        };
        let frame = outgoing::answer(&hash, &a.peer_id, &a.offer_id, a.answer);
        if swarm.cast(SwarmMsg::Answer { to: a.to_peer_id, frame, from: self.tx.clone() }).is_err() {
            self.refuse("peer_gone", Some("announce"), Some(&hash), "the offering peer has left");
        }
    }

    async fn scrape(&self, s: WsScrape) {
        let mut files = Vec::with_capacity(s.info_hashes.len());
        for hash in s.info_hashes {
            let counts = self.tracker.counts_of(&hash).await.unwrap_or(SwarmCounts::default());
            files.push((hash, counts));
        }
        self.push(outgoing::scrape_reply(&files));
    }

    /// The connection closed: its peers leave their swarms at once.
    pub fn close(self) {
        for (hash, peer_id) in &self.joined {
            if let Some(swarm) = self.tracker.shared.lookup(hash) {
                let _ = swarm.cast(SwarmMsg::Leave { peer_id: *peer_id, conn: self.conn });
            }
        }
    }
}

impl Drop for WsSession {
    fn drop(&mut self) {
        self.tracker.shared.metrics.connection_closed();
    }
}

impl TrackerError {
    /// The refusal metric's `reason` label.
    pub(super) fn metric(&self) -> &'static str {
        match self {
            TrackerError::NotServed => "not_served",
            TrackerError::TooManySwarms => "too_many_swarms",
            TrackerError::Unavailable(_) => "unavailable",
        }
    }
}
