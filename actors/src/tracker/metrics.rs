//! The tracker's Prometheus metrics: swarms, peers, WebSocket connections,
//! announces by transport, offers and answers relayed, refusals by reason, frames
//! dropped because a client's socket queue was full.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The transport of an announce or a peer.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Transport {
    Http,
    WebSocket,
}

impl Transport {
    fn label(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::WebSocket => "websocket",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransportLabels {
    transport: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The tracker's metric handles. Cheap to clone; clones share the values.
#[derive(Clone, Debug, Default)]
pub struct TrackerMetrics {
    swarms: Gauge,
    peers: Family<TransportLabels, Gauge>,
    connections: Gauge,
    announces: Family<TransportLabels, Counter>,
    offers_relayed: Counter,
    answers_relayed: Counter,
    refusals: Family<ReasonLabels, Counter>,
    frames_dropped: Counter,
    swarm_restarts: Counter,
}

impl TrackerMetrics {
    /// Adds every metric to `registry` (which should carry the `shoal` prefix).
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("tracker");
        r.register("swarms", "Swarms (info-hashes) with at least one peer", self.swarms.clone());
        r.register("peers", "Peers in all swarms, by transport", self.peers.clone());
        r.register("websocket_connections", "Open WebSocket tracker connections", self.connections.clone());
        r.register("announces", "Announces accepted, by transport", self.announces.clone());
        r.register("offers_relayed", "WebRTC offers relayed to a peer", self.offers_relayed.clone());
        r.register("answers_relayed", "WebRTC answers relayed to the offering peer", self.answers_relayed.clone());
        r.register("refusals", "Requests answered with a failure reason, by reason", self.refusals.clone());
        r.register(
            "frames_dropped",
            "Frames dropped because a client's socket queue was full",
            self.frames_dropped.clone(),
        );
        r.register("swarm_restarts", "Swarm actors restarted after a failure", self.swarm_restarts.clone());
    }

    pub(crate) fn swarm_started(&self) {
        self.swarms.inc();
    }
    pub(crate) fn swarm_stopped(&self) {
        self.swarms.dec();
    }
    pub(crate) fn peers_changed(&self, transport: Transport, delta: i64) {
        if delta != 0 {
            self.peers.get_or_create(&TransportLabels { transport: transport.label() }).inc_by(delta);
        }
    }
    pub(crate) fn connection_opened(&self) {
        self.connections.inc();
    }
    pub(crate) fn connection_closed(&self) {
        self.connections.dec();
    }
    pub(crate) fn announced(&self, transport: Transport) {
        self.announces.get_or_create(&TransportLabels { transport: transport.label() }).inc();
    }
    pub(crate) fn offers_relayed(&self, n: u64) {
        self.offers_relayed.inc_by(n);
    }
    pub(crate) fn answer_relayed(&self) {
        self.answers_relayed.inc();
    }
    pub(crate) fn refused(&self, reason: &'static str) {
        self.refusals.get_or_create(&ReasonLabels { reason }).inc();
    }
    pub(crate) fn frame_dropped(&self) {
        self.frames_dropped.inc();
    }
    pub(crate) fn swarm_restarted(&self) {
        self.swarm_restarts.inc();
    }
}
