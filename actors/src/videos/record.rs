//! The durable record of a video, as stored in sled and read by the web edge.
//!
//! Field names follow PeerTube's concepts so the REST layer maps them directly.

use serde::{Deserialize, Serialize};
use shoal_protocol::hls::{swarm_ids, FragmentIndex};
use shoal_protocol::media_layout::{HlsFile, MediaUrls};
use std::path::PathBuf;
use uuid::Uuid;

/// PeerTube's video state ids (`VideoState` in PeerTube's models).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VideoState {
    /// 1 "Published": at least the lowest resolution is playable.
    Published,
    /// 2 "To transcode": uploaded, no playable file yet.
    ToTranscode,
    /// 7 "Transcoding failed": every attempt failed; see `state_error`.
    TranscodingFailed,
}

impl VideoState {
    /// PeerTube's numeric id.
    pub fn id(self) -> u8 {
        match self {
            VideoState::Published => 1,
            VideoState::ToTranscode => 2,
            VideoState::TranscodingFailed => 7,
        }
    }
    /// PeerTube's English label.
    pub fn label(self) -> &'static str {
        match self {
            VideoState::Published => "Published",
            VideoState::ToTranscode => "To transcode",
            VideoState::TranscodingFailed => "Transcoding failed",
        }
    }
}

/// PeerTube's privacy ids: 1 public, 2 unlisted, 3 private, 4 internal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Privacy {
    Public,
    Unlisted,
    Private,
    Internal,
}

impl Privacy {
    pub fn id(self) -> u8 {
        match self {
            Privacy::Public => 1,
            Privacy::Unlisted => 2,
            Privacy::Private => 3,
            Privacy::Internal => 4,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Privacy::Public => "Public",
            Privacy::Unlisted => "Unlisted",
            Privacy::Private => "Private",
            Privacy::Internal => "Internal",
        }
    }
    pub fn from_id(id: u8) -> Option<Privacy> {
        match id {
            1 => Some(Privacy::Public),
            2 => Some(Privacy::Unlisted),
            3 => Some(Privacy::Private),
            4 => Some(Privacy::Internal),
            _ => None,
        }
    }
}

/// What probing the upload found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Original upload, kept under the data folder (`originals/`, never served) and
    /// counted in the quota.
    pub path: PathBuf,
    /// Original client file name.
    pub original_filename: String,
    pub width: u32,
    pub height: u32,
    /// Frames per second (rounded like PeerTube's `fps`).
    pub fps: f64,
    /// Total frames, when known (Y4M: exact; others: duration × fps).
    pub frames: u64,
    /// Duration in seconds.
    pub duration_secs: f64,
    pub has_audio: bool,
    pub size: u64,
    /// "y4m" for natively read inputs, otherwise ffprobe's format name.
    pub format: String,
}

/// One transcoded file of a video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoFileRecord {
    /// PeerTube's `resolution.id`: the short side of the picture (360 for both 640x360
    /// and 360x640).
    pub resolution: u32,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub fps: f64,
    /// File name under `media/` (e.g. `{uuid}-360.mp4`); the web seed URL is
    /// `{public_url}/static/web-videos/{filename}`.
    pub filename: String,
    /// Torrent file name under `media/` (e.g. `{uuid}-360.torrent`); served at
    /// `{public_url}/lazy-static/torrents/{torrent_filename}`.
    pub torrent_filename: String,
    /// Lowercase hex SHA-1 info-hash (BEP 3).
    pub info_hash: String,
    /// Magnet URI with `xt`, `dn`, `tr` and `ws` parameters.
    pub magnet_uri: String,
    /// The file's fragments when it is a fragmented MP4 (every file transcoded since HLS
    /// landed): the same file is then also served as this resolution's HLS stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hls: Option<FragmentIndex>,
}

/// Live progress of a video's transcoding, reported by its actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TranscodeProgress {
    /// Resolution currently encoding, if any.
    pub resolution: Option<u32>,
    pub frames_done: u64,
    pub frames_total: u64,
    /// Resolutions still waiting.
    pub pending: Vec<u32>,
    /// Attempt number of the running job (1-based).
    pub attempt: u32,
}

/// A video as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoRecord {
    /// PeerTube's numeric id, allocated from a sled counter.
    pub id: u64,
    pub uuid: Uuid,
    /// PeerTube's shortUUID: the uuid in flickr base58.
    pub short_uuid: String,
    pub name: String,
    pub description: Option<String>,
    pub privacy: Privacy,
    pub channel_id: u64,
    pub account_id: u64,
    pub category: Option<u32>,
    pub licence: Option<u32>,
    pub language: Option<String>,
    pub nsfw: bool,
    pub tags: Vec<String>,
    pub comments_enabled: bool,
    pub download_enabled: bool,
    pub wait_transcoding: bool,
    /// RFC 3339 timestamps.
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
    pub state: VideoState,
    /// Why transcoding failed, when `state` is `TranscodingFailed`.
    pub state_error: Option<String>,
    pub source: SourceInfo,
    /// Finished files, lowest resolution first.
    pub files: Vec<VideoFileRecord>,
    /// Resolutions still to produce.
    pub pending_resolutions: Vec<u32>,
    /// Thumbnail file name under `media/` (JPEG), once made.
    pub thumbnail: Option<String>,
    pub views: u64,
    pub likes: u64,
    pub dislikes: u64,
    /// Set for a video of another instance, known through federation: where it lives.
    /// Its `files` are empty (nothing is stored here), `account_id` and `channel_id` are 0.
    #[serde(default)]
    pub remote: Option<RemoteOrigin>,
    /// The tracker info hashes p2p-media-loader clients announce for this video's HLS
    /// streams (lowercase hex, every scheme of `shoal_protocol::hls::swarm_ids`), indexed for
    /// the tracker beside the files' own; set whenever a file is added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hls_swarms: Vec<String>,
}

impl VideoRecord {
    /// True for videos uploaded to this instance.
    pub fn is_local(&self) -> bool {
        self.remote.is_none()
    }

    /// The info hashes of the HLS streams of this video's fragmented files as served under
    /// `public_url`: stream `i` is the `i`-th resolution of the master playlist (lowest first).
    pub fn hls_swarm_hashes(&self, public_url: &str) -> Vec<String> {
        let master = MediaUrls::new(public_url).hls(&self.uuid.to_string(), HlsFile::Master);
        let streams = self.files.iter().filter(|f| f.hls.is_some()).count();
        (0..streams).flat_map(|i| swarm_ids::stream_info_hashes(&master, i)).map(hex::encode).collect()
    }
}

/// An actor of another instance, as a remote video names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteActorRef {
    /// The actor id (URL).
    pub url: String,
    /// `preferredUsername`.
    pub name: String,
    /// `host[:port]`.
    pub host: String,
    pub display_name: String,
}

/// A playable file of a remote video, served by its origin (and its peers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteFile {
    pub resolution: u32,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub fps: f64,
    pub url: String,
    pub torrent_url: String,
    pub magnet_uri: String,
    /// Lowercase hex, from the magnet link (empty when it has none).
    pub info_hash: String,
}

/// Where a remote video lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteOrigin {
    /// The video's ActivityPub id (`https://origin/videos/watch/{uuid}`).
    pub url: String,
    /// `host[:port]` of the origin.
    pub host: String,
    pub account: RemoteActorRef,
    pub channel: Option<RemoteActorRef>,
    /// Highest resolution last, like local files.
    pub files: Vec<RemoteFile>,
    pub thumbnail_url: Option<String>,
    pub trackers: Vec<String>,
    /// The origin holds replies until its owner approves them (PeerTube's comments
    /// policy 3): comments made here start held for review.
    #[serde(default)]
    pub replies_need_approval: bool,
    /// Its HLS playlist at the origin, when the origin publishes one.
    #[serde(default)]
    pub hls: Option<RemoteHls>,
}

/// A remote video's HLS playlist, as its `Video` object links it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteHls {
    pub playlist_url: String,
    /// Empty when the origin gives none (segments are then not checked).
    pub segments_sha256_url: String,
    /// The fragmented MP4s (`url`), lowest resolution first.
    pub files: Vec<RemoteFile>,
}

/// How a client names a video: numeric id, uuid or shortUUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoKey {
    Id(u64),
    Uuid(Uuid),
    ShortUuid(String),
}

impl VideoKey {
    /// Parses the `{id}` path segment of PeerTube routes.
    pub fn parse(s: &str) -> Option<VideoKey> {
        if let Ok(id) = s.parse::<u64>() {
            return Some(VideoKey::Id(id));
        }
        if let Ok(u) = Uuid::parse_str(s) {
            return Some(VideoKey::Uuid(u));
        }
        shoal_protocol::short_uuid::decode(s).map(VideoKey::Uuid)
    }
}

/// What the uploader says about a video: the fields of PeerTube's upload form,
/// checked by the web edge and again by the actors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoDetails {
    pub name: String,
    pub channel_id: u64,
    pub description: Option<String>,
    pub privacy: Privacy,
    pub category: Option<u32>,
    pub licence: Option<u32>,
    pub language: Option<String>,
    pub nsfw: bool,
    pub tags: Vec<String>,
    pub comments_enabled: bool,
    pub download_enabled: bool,
    pub wait_transcoding: bool,
}

/// What the web edge passes when an upload has been received to disk.
#[derive(Debug, Clone)]
pub struct NewVideo {
    pub account_id: u64,
    pub details: VideoDetails,
    /// The received upload, already on disk inside `uploads_dir()`; the
    /// actors take ownership (move it, or delete it on rejection).
    pub upload_path: PathBuf,
    pub original_filename: String,
}
