//! The actors' configuration: instance identity, storage, transcoding and limits.
//!
//! Every struct has `Default` with the documented defaults and is
//! `#[serde(default, deny_unknown_fields)]`, so the node's TOML file may set any
//! subset. The node crate embeds these sections in its file configuration and
//! applies `SHOAL_*` environment variables and CLI flags on top.

pub use crate::redundancy_config::{AcceptFrom, RedundancyConfig, StrategyConfig, StrategyKind};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Everything the actors need to run a node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ShoalConfig {
    pub instance: InstanceConfig,
    pub storage: StorageConfig,
    pub transcoding: TranscodingConfig,
    pub limits: LimitsConfig,
    pub admin: AdminConfig,
    pub ui: UiConfig,
    pub tracker: TrackerConfig,
    pub web_seed: WebSeedConfig,
    pub federation: FederationConfig,
    pub social: SocialConfig,
    pub redundancy: RedundancyConfig,
}

/// Who this instance is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct InstanceConfig {
    /// Name shown in `/api/v1/config` and pages.
    pub name: String,
    /// Short description shown in `/api/v1/config`.
    pub short_description: String,
    /// Public base URL, without trailing slash; used in file URLs, web seeds and torrents.
    pub public_url: String,
    /// Whether anyone may register (`POST /api/v1/users/register`). Off by default.
    pub signup_enabled: bool,
}

impl Default for InstanceConfig {
    fn default() -> Self {
        Self {
            name: "Shoal".into(),
            short_description: "A Shoal video instance".into(),
            public_url: "http://127.0.0.1:9000".into(),
            signup_enabled: false,
        }
    }
}

/// Where state lives.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Data folder: `db/` holds sled, `media/` the video files and torrents,
    /// `uploads/` incoming uploads, `tmp/` files being written, `originals/` the
    /// uploaded originals (never served).
    pub data_dir: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self { data_dir: PathBuf::from("data") }
    }
}

/// One rung of the transcoding ladder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// The output's short side in pixels, PeerTube's "resolution" (the height of a
    /// landscape video, the width of a portrait one); the other side follows the source's
    /// aspect ratio, rounded to even.
    pub height: u32,
    /// Target video bitrate in kbit/s.
    pub bitrate_kbps: u32,
}

/// How uploads become AV1.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TranscodingConfig {
    /// Resolutions to produce, never above the source's short side. Default 360p and 720p.
    pub ladder: Vec<Rung>,
    /// rav1e speed preset, 0 (slowest, best) to 10 (fastest). Default 10:
    /// rav1e is a few frames per CPU-second at 720p, and uploads must publish quickly.
    pub speed: u8,
    /// rav1e tiles per frame as a total count (0 = one per encoding thread, so a
    /// single encode uses every core; rav1e splits a frame's work only by tiles).
    pub tiles: usize,
    /// Threads per encode (0 = rav1e chooses, i.e. all cores).
    pub threads: usize,
    /// Transcode jobs running at once.
    pub concurrency: usize,
    /// Attempts per job before the video is marked failed.
    pub max_attempts: u32,
    /// First retry delay in milliseconds; doubles on each further attempt.
    pub retry_backoff_ms: u64,
    /// Opus bitrate in kbit/s when the source has audio.
    pub audio_bitrate_kbps: u32,
    /// Path of the ffmpeg binary used to decode non-Y4M inputs and encode audio.
    pub ffmpeg: PathBuf,
    /// Path of the ffprobe binary used to inspect uploads.
    pub ffprobe: PathBuf,
    /// Testing aid, leave unset in production: a transcode job whose video name
    /// contains this marker panics at the start of every attempt, to exercise
    /// the supervisor's retries and failure reporting.
    pub fault_injection_marker: Option<String>,
}

impl Default for TranscodingConfig {
    fn default() -> Self {
        Self {
            ladder: vec![Rung { height: 360, bitrate_kbps: 500 }, Rung { height: 720, bitrate_kbps: 1500 }],
            speed: 10,
            tiles: 0,
            threads: 0,
            concurrency: 1,
            max_attempts: 3,
            retry_backoff_ms: 2_000,
            audio_bitrate_kbps: 96,
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            fault_injection_marker: None,
        }
    }
}

/// Safe defaults for everything a user can make big.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest accepted upload in bytes. Default 8 GiB.
    pub max_upload_bytes: u64,
    /// Video quota of new users in bytes (-1 = unlimited). Default 10 GiB.
    pub default_video_quota: i64,
    /// Access token lifetime in seconds (PeerTube: 1 day).
    pub access_token_lifetime_secs: u64,
    /// Refresh token lifetime in seconds (PeerTube: 2 weeks).
    pub refresh_token_lifetime_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 8 << 30,
            default_video_quota: 10 << 30,
            access_token_lifetime_secs: 86_400,
            refresh_token_lifetime_secs: 1_209_600,
        }
    }
}

/// The admin account created on first start.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Admin username. Default `root`, like PeerTube.
    pub username: String,
    /// Admin password; when empty, a random one is generated and printed once.
    pub password: String,
    /// Admin e-mail.
    pub email: String,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self { username: "root".into(), password: String::new(), email: "admin@localhost".into() }
    }
}

/// The watch pages' player assets.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// The `web/ui` folder, whose `node_modules` holds the `webtorrent` browser bundle
    /// (installed by `scripts/setup.sh`). Relative paths are relative to the working
    /// directory. With the default, when the bundle is not there, the node also looks
    /// in the `web/ui` folder of the source tree it was built from.
    pub dir: PathBuf,
    /// The watch page's player when the URL does not choose one (`?player=webtorrent|hls`).
    pub player: WatchPlayer,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self { dir: PathBuf::from("web/ui"), player: WatchPlayer::WebTorrent }
    }
}

/// The watch page's two players.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WatchPlayer {
    /// webtorrent over the video's torrents (pieces from peers over WebRTC, web seeds).
    WebTorrent,
    /// hls.js with p2p-media-loader over the HLS playlist (segments from peers, the server).
    Hls,
}

impl WatchPlayer {
    /// `webtorrent` or `hls` (the `?player=` values); `None` for anything else.
    pub fn parse(text: &str) -> Option<WatchPlayer> {
        match text {
            "webtorrent" => Some(WatchPlayer::WebTorrent),
            "hls" => Some(WatchPlayer::Hls),
            _ => None,
        }
    }
}

/// Comments, ratings and views.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SocialConfig {
    /// A client IP counts one view per video per this many seconds (PeerTube does similar).
    pub views_dedup_secs: u64,
    /// Seconds between writes of the buffered view counts to the store.
    pub view_flush_interval_secs: u64,
    /// (IP, video) pairs remembered for deduplication at most; the oldest are forgotten first.
    pub views_dedup_max_entries: usize,
}

impl Default for SocialConfig {
    fn default() -> Self {
        Self { views_dedup_secs: 3_600, view_flush_interval_secs: 10, views_dedup_max_entries: 100_000 }
    }
}

impl ShoalConfig {
    pub fn db_dir(&self) -> PathBuf {
        self.storage.data_dir.join("db")
    }
    pub fn media_dir(&self) -> PathBuf {
        self.storage.data_dir.join("media")
    }
    pub fn uploads_dir(&self) -> PathBuf {
        self.storage.data_dir.join("uploads")
    }
    pub fn tmp_dir(&self) -> PathBuf {
        self.storage.data_dir.join("tmp")
    }
    /// Original uploads, kept out of `media/` so they are never served.
    pub fn originals_dir(&self) -> PathBuf {
        self.storage.data_dir.join("originals")
    }
    /// Public base URL without a trailing slash.
    pub fn public_url(&self) -> &str {
        self.instance.public_url.trim_end_matches('/')
    }
}

/// Which info-hashes the tracker serves.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TrackerAllow {
    /// Only the files of videos this node hosts (PeerTube's behaviour).
    Hosted,
    /// Any info-hash (an open tracker).
    Any,
}

/// The BitTorrent tracker (HTTP `/tracker/announce`, WebSocket `/tracker/socket`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// Whether the tracker routes answer at all.
    pub enabled: bool,
    /// `hosted` (default) serves only info-hashes of videos on this node; `any` is an open tracker.
    pub allow: TrackerAllow,
    /// Seconds between a peer's announces, sent to clients as `interval`.
    pub announce_interval_secs: u32,
    /// A peer not heard from for this long is dropped (default: two intervals and a half).
    pub peer_timeout_secs: u32,
    /// Peers one swarm holds at most.
    pub max_peers_per_swarm: usize,
    /// Swarms the tracker holds at most.
    pub max_swarms: usize,
    /// Peers handed out per announce at most (and offers relayed per announce).
    pub max_numwant: usize,
    /// Peers handed out when the client does not say (`numwant` absent).
    pub default_numwant: usize,
    /// Swarms one WebSocket connection may join.
    pub max_swarms_per_connection: usize,
    /// Largest WebSocket message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Announces accepted per client IP per minute (HTTP and WebSocket together; 0 = unlimited).
    pub announces_per_ip_per_minute: u32,
    /// Frames waiting to be written to one WebSocket before new ones are dropped.
    pub socket_queue: usize,
    /// Testing aid, leave unset: an announce whose peer id starts with these bytes
    /// makes its swarm actor fail, to exercise the supervisor.
    pub fault_injection_peer_prefix: Option<String>,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            allow: TrackerAllow::Hosted,
            announce_interval_secs: 120,
            peer_timeout_secs: 300,
            max_peers_per_swarm: 5_000,
            max_swarms: 100_000,
            max_numwant: 50,
            default_numwant: 30,
            max_swarms_per_connection: 64,
            max_message_bytes: 64 << 10,
            announces_per_ip_per_minute: 600,
            socket_queue: 256,
            fault_injection_peer_prefix: None,
        }
    }
}

/// The HTTP web seeds (`/static/web-videos/...`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct WebSeedConfig {
    /// Total upload of all web-seed responses together, in bytes per second
    /// (one budget shared by every viewer; 0 = unlimited).
    pub max_upload_bytes_per_second: u64,
}

/// Outbound federation: the fetch client's limits and the delivery queue's retries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FederationConfig {
    /// Testing and development only: lets outbound requests reach private, loopback and
    /// link-local addresses, and use plain `http://`. Off by default.
    pub allow_private_addresses: bool,
    /// Largest body read from a remote server, in bytes. Default 1 MiB.
    pub fetch_max_bytes: usize,
    /// Time limit of a whole outbound request (redirects included), in seconds. Default 10.
    pub fetch_timeout_secs: u64,
    /// First retry delay of a failed delivery, in milliseconds; doubles per failure,
    /// with jitter. Default 1000.
    pub delivery_backoff_initial_ms: u64,
    /// Longest retry delay of a delivery, in seconds. Default 3600.
    pub delivery_backoff_max_secs: u64,
    /// A delivery still failing after this many seconds is dropped. Default 172800 (two days).
    pub delivery_max_age_secs: u64,
    /// Consecutive failures after which a host is considered dead (circuit open;
    /// 0 = never). Default 10.
    pub circuit_breaker_failures: u32,
    /// How long a dead host is left alone before one probe, in seconds. Default 600.
    pub circuit_breaker_open_secs: u64,
    /// Largest inbox POST body accepted, in bytes. Default 1 MiB.
    pub max_inbox_bytes: usize,
    /// Inbox POSTs accepted per sending host per minute (0 = unlimited). Default 1200.
    pub inbox_requests_per_host_per_minute: u32,
    /// Parents fetched at most to resolve a remote reply whose parent is unknown. Default 10.
    pub max_reply_depth: usize,
    /// How outgoing requests are signed: "cavage" (draft-cavage `rsa-sha256`, what
    /// Mastodon and PeerTube expect; default), "hs2019" or "rfc9421". The preference for
    /// hosts nothing is known about: a host that has shown it verifies draft-cavage only
    /// (a 401/403 to an RFC 9421 POST, or NodeInfo of PeerTube up to 8.x) is sent cavage
    /// (see `federation::host_schemes`).
    pub signature_scheme: SignatureScheme,
    /// Smallest RSA key of a remote actor whose signatures are verified, in bits: 1024
    /// (default: PeerTube in test mode makes 1024-bit keys; Mastodon and PeerTube accept
    /// them) or up to 4096 to refuse weaker keys.
    pub min_remote_key_bits: usize,
}

/// `federation.signature_scheme`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SignatureScheme {
    #[default]
    Cavage,
    Hs2019,
    Rfc9421,
}

impl SignatureScheme {
    /// The protocol's scheme.
    pub fn scheme(self) -> shoal_protocol::http_signatures::Scheme {
        use shoal_protocol::http_signatures::Scheme;
        match self {
            SignatureScheme::Cavage => Scheme::Cavage,
            SignatureScheme::Hs2019 => Scheme::CavageHs2019,
            SignatureScheme::Rfc9421 => Scheme::Rfc9421,
        }
    }
}

impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            allow_private_addresses: false,
            fetch_max_bytes: 1 << 20,
            fetch_timeout_secs: 10,
            delivery_backoff_initial_ms: 1_000,
            delivery_backoff_max_secs: 3_600,
            delivery_max_age_secs: 172_800,
            circuit_breaker_failures: 10,
            circuit_breaker_open_secs: 600,
            max_inbox_bytes: 1 << 20,
            inbox_requests_per_host_per_minute: 1200,
            max_reply_depth: 10,
            signature_scheme: SignatureScheme::Cavage,
            min_remote_key_bits: 1024,
        }
    }
}
