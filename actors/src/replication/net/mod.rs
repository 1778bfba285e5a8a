//! The libp2p/QUIC transport between cooperating redundancy nodes.
//!
//! [`ReplicationNet::start`] builds a swarm (QUIC only, ed25519 identity from
//! [`load_or_create_identity`]) with identify, ping, a request-response control protocol
//! (CBOR frames of `shoal_protocol::replication::frames`: announcements, torrents) and a
//! libp2p-stream bulk protocol (one stream per byte range of a complete file). A tokio task owns
//! the swarm ([`swarm_task`]); the handle talks to it over channels and opens range streams
//! itself.
//!
//! Trust: a peer not in `trusted` may connect, but every request from it is refused (counted
//! in [`NetMetrics`], logged, reported as [`NetEvent::StrangerRefused`]) and its
//! announcements never become [`NetEvent::Announcement`]. Bytes served are capped by
//! `max_bytes_per_second` (a token bucket shared by every stream, 0 = unlimited).
//! [`parse_listen`], [`parse_bootstrap`] and [`parse_trusted`] turn the `[redundancy]`
//! strings into the config's types.

mod addresses;
mod behaviour;
mod codec;
mod error;
mod handle;
mod identity;
mod metrics;
mod swarm_task;
mod throttle;
mod transfer;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use addresses::{parse_bootstrap, parse_listen, parse_trusted, AddressError};
pub use codec::{CONTROL_PROTOCOL, RANGE_PROTOCOL};
pub use error::NetError;
pub use handle::ReplicationNet;
pub use identity::{load_or_create_identity, IDENTITY_FILE};
pub use libp2p::identity::Keypair;
pub use libp2p::{Multiaddr, PeerId};
pub use metrics::NetMetrics;
pub use transfer::RangeStream;

use shoal_protocol::replication::{Announcement, InfoHash};

/// What [`ReplicationNet::start`] needs.
pub struct NetConfig {
    /// QUIC multiaddr to listen on (`/ip4/127.0.0.1/udp/0/quic-v1` in tests).
    pub listen: Multiaddr,
    /// Members to dial and keep dialled; each must end in `/p2p/<peer id>`.
    pub bootstrap: Vec<Multiaddr>,
    /// Peers that get files, torrents and a say (announcements); others get refusals.
    pub trusted: HashSet<PeerId>,
    pub keypair: Keypair,
    /// Cap on bytes this node serves per second (0 = unlimited).
    pub max_bytes_per_second: u64,
    pub files: Arc<dyn FileResolver>,
}

/// Where the files this node can serve are.
pub trait FileResolver: Send + Sync + 'static {
    /// The path and size of a complete, verified file with this info-hash (a local video file
    /// or a finished mirror copy); `None` when there is none. Called on a blocking thread.
    fn complete_file(&self, info_hash: &InfoHash) -> Option<(PathBuf, u64)>;
    /// The bencoded `.torrent` of that file. Called on a blocking thread.
    fn torrent(&self, info_hash: &InfoHash) -> Option<Vec<u8>>;
}

/// What the network reports.
#[derive(Debug, Clone)]
pub enum NetEvent {
    /// A listen address was bound.
    Listening(Multiaddr),
    /// A trusted member connected (first connection).
    Connected(PeerId),
    /// A trusted member's last connection closed.
    Disconnected(PeerId),
    /// A trusted member's announcement.
    Announcement { from: PeerId, announcement: Announcement },
    /// A request from a peer not in `trusted` was refused.
    StrangerRefused(PeerId),
}

/// Tuning of the transport; the defaults suit production.
#[derive(Debug, Clone)]
pub struct NetOptions {
    /// Metrics to update (register them with the node's registry).
    pub metrics: NetMetrics,
    /// QUIC per-stream receive window, bytes (libp2p's default is 10 MB).
    pub max_stream_data: u32,
    /// QUIC per-connection receive window, bytes (libp2p's default is 15 MB).
    pub max_connection_data: u32,
    /// Bytes read from disk and written to the stream at a time (and the fetch chunk size).
    pub chunk_size: usize,
    /// Ranges served at once; more are refused as busy.
    pub serve_concurrency: usize,
    /// Control request timeout.
    pub request_timeout: Duration,
    /// A stream that makes no progress this long fails.
    pub io_timeout: Duration,
    /// Largest range [`ReplicationNet::fetch_range_bytes`] buffers.
    pub max_buffered_range: u64,
    /// Events buffered for a slow consumer before they are dropped (and logged).
    pub event_buffer: usize,
    /// First and longest delay between redials of a bootstrap member.
    pub redial_initial: Duration,
    pub redial_max: Duration,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            metrics: NetMetrics::default(),
            max_stream_data: 10_000_000,
            max_connection_data: 15_000_000,
            chunk_size: 256 << 10,
            serve_concurrency: 32,
            request_timeout: Duration::from_secs(30),
            io_timeout: Duration::from_secs(30),
            max_buffered_range: 64 << 20,
            event_buffer: 1024,
            redial_initial: Duration::from_millis(500),
            redial_max: Duration::from_secs(30),
        }
    }
}
