//! Cooperating redundancy nodes: a federation of trusted Shoal nodes that keeps k copies of
//! every member's videos among themselves, over libp2p/QUIC.
//!
//! - [`net`]: the transport (QUIC, identify, ping, CBOR control requests, bulk range streams,
//!   trust) and the node's ed25519 identity.
//! - [`actor`]: the `ReplicationActor` (membership, announcements, placement rounds) and
//!   [`placement_round`], the pure step it runs each second over `shoal_protocol::placement`.
//! - [`mirror`]: `MirrorJob`s under a `MirrorSupervisor`, fetching files piece by piece, each
//!   verified against the torrent, resumable after `kill -9`; [`copies`]: what this node holds.
//! - [`member_sources`] and [`local_files`]: what members fetch from, and what this node offers;
//!   [`member_mirrors`]: the members' copies as web seeds of any video this node shows
//!   ([`by_file`] holds both tables).
//! - [`copy_announcer`]: completed and dropped copies announced to origins (`CacheFile`);
//!   [`origin_mirrors`]: the mirrors other instances announced of video files.
//! - [`strategies`]: PeerTube's strategies and manual requests; [`admin`]: the operations of
//!   PeerTube's redundancy admin API.
//! - [`status`] and [`metrics`]: what operators see.

pub mod actor;
pub mod admin;
pub mod by_file;
pub mod copies;
pub mod copy_announcer;
pub mod local_files;
pub mod member_mirrors;
pub mod member_sources;
pub mod metrics;
pub mod mirror;
pub mod net;
pub mod origin_mirrors;
pub mod placement_round;
pub mod status;
pub mod strategies;

pub use actor::{CopyEvent, ReplicationActor, ReplicationArgs, ReplicationMsg};
pub use copy_announcer::spawn_copy_announcer;
pub use member_mirrors::MemberMirrors;
pub use metrics::ReplicationMetrics;
pub use status::RedundancyStatus;
