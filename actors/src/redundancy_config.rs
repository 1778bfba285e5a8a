//! `[redundancy]`: cooperating redundancy nodes — the libp2p/QUIC membership, how many
//! copies of each video the members keep, what this node mirrors, and whose `CacheFile`s
//! it accepts (PeerTube's `redundancy` and `remote_redundancy` settings, plus Shoal's
//! placement among trusted members).

use serde::{Deserialize, Serialize};

/// Redundancy: mirroring other instances' videos and replicating between trusted members.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RedundancyConfig {
    /// Join a federation of redundancy nodes over libp2p (QUIC). Off by default.
    pub enabled: bool,
    /// QUIC multiaddr the libp2p endpoint listens on; port 0 picks a free one.
    pub listen: String,
    /// Bootstrap members: multiaddrs ending in `/p2p/<peer id>`.
    pub peers: Vec<String>,
    /// Peer ids (base58) allowed in: only they get files and a say in placement. A stranger
    /// may connect, but is given nothing and its announcements are ignored.
    pub trusted_peers: Vec<String>,
    /// Copies of each video kept among the live trusted members (k).
    pub replicas: usize,
    /// Copies tolerated before surplus ones are dropped (hysteresis; at least `replicas`).
    pub replicas_max: usize,
    /// Storage budget for mirrored copies in bytes; also this node's placement weight.
    pub capacity_bytes: u64,
    /// Replication traffic this node serves, in bytes per second (0 = unlimited).
    pub max_bytes_per_second: u64,
    /// Interval of membership announcements, in seconds.
    pub heartbeat_secs: u64,
    /// A member silent this long is lost and its copies are repaired elsewhere, in seconds.
    pub member_timeout_secs: u64,
    /// Wait after a loss is detected before copying, in seconds (a short absence costs nothing).
    pub repair_delay_secs: u64,
    /// A copy is kept at least this long before it may be dropped as surplus, in seconds.
    pub min_lifetime_secs: u64,
    /// Mirror every video of every trusted member that is an origin.
    pub mirror_members: bool,
    /// Whose `CacheFile` announcements of copies of this node's videos are accepted.
    pub accept_from: AcceptFrom,
    /// PeerTube's strategies over the videos of followed instances.
    pub strategies: Vec<StrategyConfig>,
    /// Mirror jobs running at once.
    pub concurrency: usize,
    /// Attempts per mirror job before it is given up.
    pub max_attempts: u32,
    /// First retry delay of a mirror job in milliseconds; doubles on each further attempt.
    pub retry_backoff_ms: u64,
}

impl Default for RedundancyConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            listen: "/ip4/0.0.0.0/udp/4001/quic-v1".to_string(),
            peers: Vec::new(),
            trusted_peers: Vec::new(),
            replicas: 2,
            replicas_max: 3,
            capacity_bytes: 10 << 30,
            max_bytes_per_second: 0,
            heartbeat_secs: 5,
            member_timeout_secs: 30,
            repair_delay_secs: 10,
            min_lifetime_secs: 3_600,
            mirror_members: true,
            accept_from: AcceptFrom::Followings,
            strategies: Vec::new(),
            concurrency: 2,
            max_attempts: 5,
            retry_backoff_ms: 2_000,
        }
    }
}

/// `redundancy.accept_from` (PeerTube's `remote_redundancy.videos.accept_from`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum AcceptFrom {
    /// No other instance may announce copies of this node's videos.
    Nobody,
    /// Only instances this node follows.
    #[default]
    Followings,
    /// Any instance.
    Anybody,
}

/// One of PeerTube's redundancy strategies.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StrategyConfig {
    /// `most-views`, `trending` or `recently-added`.
    pub strategy: StrategyKind,
    /// Bytes this strategy may fill.
    pub size_bytes: u64,
    /// A copy made by this strategy is kept at least this long, in seconds.
    #[serde(default = "default_strategy_lifetime")]
    pub min_lifetime_secs: u64,
    /// `recently-added` only: views a video needs before it is mirrored.
    #[serde(default)]
    pub min_views: u64,
}

fn default_strategy_lifetime() -> u64 {
    48 * 3_600
}

/// PeerTube's strategy names.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyKind {
    MostViews,
    Trending,
    RecentlyAdded,
}
