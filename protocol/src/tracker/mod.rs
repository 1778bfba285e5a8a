//! BitTorrent tracker logic: the swarm peer table, shared by the node's
//! `SwarmActor` and the simulator, and the wire formats of the HTTP (BEP 3/23/7/48)
//! and WebTorrent (WebSocket JSON) trackers.

pub mod http;
pub mod swarm;
pub mod ws;

pub use swarm::{Announce, AnnounceEvent, Peer, PeerId, Swarm, SwarmCounts, SwarmError, SwarmLimits};
