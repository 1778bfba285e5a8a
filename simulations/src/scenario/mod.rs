//! A scenario: what is simulated (video, viewers, arrivals, network, servers, P2P behaviour),
//! read from TOML; or, with `kind = "placement"`, a federation of redundancy nodes
//! ([`placement`]). Every key is documented here and in `simulations/scenarios/*.toml`; unknown
//! keys and out-of-range values are errors that name the key and its line.

mod load;
pub mod placement;
mod validate;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::dist::Dist;

pub use load::{
    kind_of, load, load_placement, load_placement_str, load_str, load_with_overrides, parse_trace, sha256_hex, Kind,
    ScenarioError,
};
pub use placement::PlacementScenario;

/// The whole scenario file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A human-readable name, copied into `summary.json`.
    #[serde(default)]
    pub name: String,
    /// Simulated seconds; the run stops then, whoever is still watching.
    pub duration_secs: f64,
    /// Length of one bandwidth-sharing step in simulated milliseconds (rates are max-min fair
    /// within a step; smaller is finer and slower).
    #[serde(default = "defaults::tick_ms")]
    pub tick_ms: u32,
    pub video: Video,
    pub arrivals: Arrivals,
    pub viewers: Viewers,
    #[serde(default)]
    pub p2p: P2p,
    #[serde(default)]
    pub network: Network,
    pub origin: Server,
    /// Redundancy mirrors (PeerTube's "redundancy"): more web seeds in the torrent's `url-list`.
    #[serde(default)]
    pub mirrors: Vec<Server>,
}

/// The video every viewer watches (one swarm).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Video {
    /// Length of the video in seconds.
    pub duration_secs: f64,
    /// Average bitrate in kbit/s; the file size is `duration * bitrate`.
    pub bitrate_kbps: f64,
    /// Piece size; by default the node's own choice for the file size
    /// (`shoal_protocol::torrent::piece_length_for`).
    #[serde(default)]
    pub piece_bytes: Option<u32>,
}

/// How viewers arrive.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Arrivals {
    /// A Poisson process of `rate_per_sec` arrivals per second from `start_secs` to `until_secs`
    /// (default: the end of the run).
    Poisson {
        rate_per_sec: f64,
        #[serde(default)]
        start_secs: f64,
        #[serde(default)]
        until_secs: Option<f64>,
    },
    /// `viewers` arrivals after `start_secs`: all at once (`ramp_secs = 0`), spread uniformly over
    /// `ramp_secs` (`shape = "uniform"`), or decaying exponentially with mean `ramp_secs`
    /// (`shape = "exponential"`, the usual shape of a link going viral).
    FlashCrowd {
        viewers: u64,
        #[serde(default)]
        start_secs: f64,
        #[serde(default)]
        ramp_secs: f64,
        #[serde(default)]
        shape: CrowdShape,
    },
    /// Arrival times from a CSV file (path relative to the scenario) with a header line and a
    /// `join_secs` column, optionally a `watch_secs` column overriding `viewers.watch_secs`.
    Trace { file: PathBuf },
}

/// The shape of a flash crowd.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrowdShape {
    #[default]
    Uniform,
    Exponential,
}

/// What viewers do and what their connections are like.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Viewers {
    /// `watch`: play the video from the start (streaming window, stalls, startup delay);
    /// `download`: fetch the whole file as fast as possible, then seed (file-distribution studies).
    #[serde(default)]
    pub behaviour: Behaviour,
    /// Seconds of video a viewer watches before closing the player (capped at the video's length).
    #[serde(default = "defaults::watch_secs")]
    pub watch_secs: Dist,
    /// Seconds the page stays open (seeding) after watching, or after the download in `download`
    /// behaviour.
    #[serde(default = "defaults::linger_secs")]
    pub linger_secs: Dist,
    /// A viewer whose playback has not started after this many seconds abandons.
    #[serde(default = "defaults::patience_secs")]
    pub patience_secs: Dist,
    /// Seconds of video buffered before playback starts.
    #[serde(default = "defaults::startup_buffer_secs")]
    pub startup_buffer_secs: f64,
    /// Seconds of video buffered before playback resumes after a stall.
    #[serde(default = "defaults::rebuffer_secs")]
    pub rebuffer_secs: f64,
    /// Download at most this many seconds ahead of the playhead; absent = the whole file, as
    /// the webtorrent library does.
    #[serde(default)]
    pub prefetch_secs: Option<f64>,
    /// Upload capacity in Mbit/s.
    pub upload_mbps: Dist,
    /// Download capacity in Mbit/s.
    pub download_mbps: Dist,
    /// Share of viewers (0..=1) whose browser cannot make WebRTC connections: they only use web seeds.
    #[serde(default)]
    pub no_webrtc_share: f64,
    /// Share of viewers (0..=1) that vanish without a `stopped` announce (the tracker expires them).
    #[serde(default)]
    pub crash_share: f64,
}

/// See [`Viewers::behaviour`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    #[default]
    Watch,
    Download,
}

/// Peer-to-peer behaviour (modelled on the webtorrent library) and the tracker's limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct P2p {
    /// `false`: viewers use web seeds only (P2P disabled in the player).
    pub enabled: bool,
    /// `webtorrent`: bounded connections, streaming window, rarest-first outside it, web seeds
    /// when peers cannot deliver in time. `ideal`: global knowledge, rarest-first everywhere,
    /// sources chosen by least load, no request limit per source (for bounds studies).
    pub scheduler: Scheduler,
    /// Connections a peer keeps at most (webtorrent's `maxConns`).
    pub max_conns: u32,
    /// Peers asked of the tracker per announce.
    pub numwant: u32,
    /// Seconds between a peer's announces.
    pub announce_interval_secs: u32,
    /// Pieces a peer has in flight at once, over all sources.
    pub max_inflight: u32,
    /// Pieces in flight from one other peer at once.
    pub per_peer_inflight: u32,
    /// Pieces in flight from web seeds at once.
    pub webseed_inflight: u32,
    /// Seconds ahead of the playhead that count as the streaming (critical) window.
    pub window_secs: f64,
    /// Peers a swarm holds at most (the tracker's `SwarmLimits::max_peers`).
    pub tracker_max_peers: u32,
    /// Seconds after which the tracker drops a silent peer.
    pub tracker_peer_timeout_secs: u32,
}

impl Default for P2p {
    fn default() -> Self {
        P2p {
            enabled: true,
            scheduler: Scheduler::Webtorrent,
            max_conns: 55,
            numwant: 50,
            announce_interval_secs: 120,
            max_inflight: 8,
            per_peer_inflight: 2,
            webseed_inflight: 2,
            window_secs: 10.0,
            tracker_max_peers: 1_000_000,
            tracker_peer_timeout_secs: 360,
        }
    }
}

/// See [`P2p::scheduler`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheduler {
    #[default]
    Webtorrent,
    Ideal,
}

/// Regions and round-trip times between them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Network {
    /// Region names.
    pub regions: Vec<String>,
    /// Share of viewers in each region (same length as `regions`).
    pub region_weights: Vec<f64>,
    /// Round-trip time in ms between each pair of regions (a square matrix).
    pub rtt_ms: Vec<Vec<f64>>,
}

impl Default for Network {
    fn default() -> Self {
        Network { regions: vec!["default".into()], region_weights: vec![1.0], rtt_ms: vec![vec![0.0]] }
    }
}

/// A web seed: the origin or a mirror.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Name in reports (default: `origin`, `mirror-1`, ...).
    #[serde(default)]
    pub name: Option<String>,
    /// Upload capacity in Mbit/s.
    pub upload_mbps: f64,
    /// Region name (default: the first region).
    #[serde(default)]
    pub region: Option<String>,
    /// Simulated second the server starts serving.
    #[serde(default)]
    pub up_at_secs: f64,
    /// Simulated second the server fails (absent: never).
    #[serde(default)]
    pub down_at_secs: Option<f64>,
}

mod defaults {
    use crate::dist::Dist;

    pub fn tick_ms() -> u32 {
        200
    }
    pub fn watch_secs() -> Dist {
        Dist::constant(f64::INFINITY)
    }
    pub fn linger_secs() -> Dist {
        Dist::constant(0.0)
    }
    pub fn patience_secs() -> Dist {
        Dist::constant(f64::INFINITY)
    }
    pub fn startup_buffer_secs() -> f64 {
        2.0
    }
    pub fn rebuffer_secs() -> f64 {
        1.0
    }
}

/// A scenario ready to run: the parsed file, its hash and the trace it refers to.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    /// SHA-256 of the scenario as run (the file's bytes, or the canonical TOML after overrides).
    pub hash: String,
    /// The trace's rows `(join_secs, watch_secs)` for `kind = "trace"`.
    pub trace: Vec<(f64, Option<f64>)>,
}

/// A placement scenario ready to run: the parsed file and its hash.
#[derive(Debug, Clone)]
pub struct LoadedPlacement {
    pub scenario: PlacementScenario,
    /// SHA-256 of the file's bytes.
    pub hash: String,
}
