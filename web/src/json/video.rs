//! PeerTube's `Video` (list item), `VideoDetails` and `VideoFile` shapes, built
//! from a [`VideoRecord`], plus the upload answer `{"video": {id, shortUUID, uuid}}`.
//!
//! Shoal extensions (absent from PeerTube, ignored by its clients):
//! `transcodingProgress` (frames done/total of the running rung, pending
//! rungs) and `stateError` (why transcoding failed, when `state.id` is 7).

use serde::Serialize;
use shoal_actors::accounts::{ChannelRecord, UserRecord};
use shoal_actors::remote_torrents::remote_torrent_filename;
use shoal_actors::torrent_file::{http_announce_url, ws_tracker_url};
use shoal_actors::videos::record::{
    RemoteFile, RemoteHls, TranscodeProgress, VideoFileRecord, VideoRecord, VideoState,
};
use shoal_protocol::media_layout::{HlsFile, MediaUrls};
use uuid::Uuid;

use super::actors::ActorSummary;
use super::{labels, Labelled};

/// The records a video's JSON refers to.
pub struct VideoOwner<'a> {
    pub account: Option<&'a UserRecord>,
    pub channel: Option<&'a ChannelRecord>,
}

/// PeerTube's `Video`, as listed by `GET /api/v1/videos`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoJson {
    pub id: u64,
    pub uuid: Uuid,
    #[serde(rename = "shortUUID")]
    pub short_uuid: String,
    pub url: String,
    pub name: String,
    pub description: Option<String>,
    pub truncated_description: Option<String>,
    pub category: Labelled<Option<u32>>,
    pub licence: Labelled<Option<u32>>,
    pub language: Labelled<Option<String>>,
    pub privacy: Labelled<u8>,
    pub state: Labelled<u8>,
    pub nsfw: bool,
    pub is_local: bool,
    pub is_live: bool,
    /// Seconds.
    pub duration: u64,
    pub aspect_ratio: Option<f64>,
    pub views: u64,
    pub viewers: u64,
    pub likes: u64,
    pub dislikes: u64,
    pub thumbnail_path: Option<String>,
    pub preview_path: Option<String>,
    pub embed_path: String,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: String,
    pub originally_published_at: Option<String>,
    pub wait_transcoding: bool,
    pub account: ActorSummary,
    pub channel: ActorSummary,
    /// Shoal extension: why transcoding failed (state 7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_error: Option<String>,
}

/// PeerTube's `VideoDetails` (`GET /api/v1/videos/{id}`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoDetailsJson {
    #[serde(flatten)]
    pub video: VideoJson,
    pub support: Option<String>,
    pub tags: Vec<String>,
    pub comments_enabled: bool,
    pub comments_policy: Labelled<u8>,
    pub download_enabled: bool,
    pub tracker_urls: Vec<String>,
    pub files: Vec<VideoFileJson>,
    pub streaming_playlists: Vec<StreamingPlaylistJson>,
    /// Shoal extension: live progress of the running transcode, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcoding_progress: Option<TranscodingProgressJson>,
}

/// PeerTube's `VideoFile`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoFileJson {
    /// PeerTube's file id; Shoal numbers a video's files by resolution.
    pub id: u64,
    pub resolution: Labelled<u32>,
    pub size: u64,
    pub fps: f64,
    pub width: u32,
    pub height: u32,
    pub has_audio: bool,
    pub has_video: bool,
    pub storage: u8,
    pub file_url: String,
    pub file_download_url: String,
    pub torrent_url: String,
    pub torrent_download_url: String,
    pub magnet_uri: String,
    /// Shoal extension: BEP 3 info-hash (hex); empty for a not yet transcoded upload.
    pub info_hash: String,
    /// The mirrors other instances announced of this file (ActivityPub `CacheFile`s), in
    /// the shape PeerTube gives `streamingPlaylists[].redundancies`: `[{ "baseUrl" }]`.
    pub redundancies: Vec<RedundancyJson>,
    /// In `streamingPlaylists[].files[]` only: this resolution's media playlist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playlist_url: Option<String>,
}

/// PeerTube's `VideoStreamingPlaylist` (type 1, HLS): the master playlist, the segment
/// hashes and the fragmented MP4 of each resolution. Shoal's fragmented MP4s are the web-video
/// files themselves, so `files[]` here has the same sizes, torrents and info hashes as the
/// video's `files[]`, under the HLS URLs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamingPlaylistJson {
    /// PeerTube's playlist id; Shoal has one playlist per video and gives the video's id.
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: u8,
    pub playlist_url: String,
    pub segments_sha256_url: String,
    /// Mirrors of the playlist's folder (`{baseUrl}/{file name}` holds each fragmented MP4):
    /// PeerTube's HLS mirrors. Shoal's redundancy members copy single files under other names
    /// and are listed under each file only.
    pub redundancies: Vec<RedundancyJson>,
    pub files: Vec<VideoFileJson>,
}

/// PeerTube's `VideoStreamingPlaylistType.HLS`.
const HLS_PLAYLIST_TYPE: u8 = 1;

/// The HLS playlist of a local video whose files are fragmented MP4s (highest resolution
/// first, as PeerTube lists them); none for older files or remote videos.
fn streaming_playlists(public_url: &str, v: &VideoRecord) -> Vec<StreamingPlaylistJson> {
    if let Some(remote) = &v.remote {
        return remote.hls.iter().map(|hls| remote_playlist(public_url, v, hls)).collect();
    }
    if v.files.iter().all(|f| f.hls.is_none()) {
        return Vec::new();
    }
    let media = MediaUrls::new(public_url);
    let uuid = v.uuid.to_string();
    let files = v
        .files
        .iter()
        .rev()
        .filter(|f| f.hls.is_some())
        .map(|f| VideoFileJson {
            file_url: media.hls(&uuid, HlsFile::Fragmented(f.resolution)),
            file_download_url: media.hls_download(&uuid, f.resolution),
            playlist_url: Some(media.hls(&uuid, HlsFile::Playlist(f.resolution))),
            ..file_json(public_url, v, f)
        })
        .collect();
    vec![StreamingPlaylistJson {
        id: v.id,
        kind: HLS_PLAYLIST_TYPE,
        playlist_url: media.hls(&uuid, HlsFile::Master),
        segments_sha256_url: media.hls(&uuid, HlsFile::SegmentsSha256),
        redundancies: Vec::new(),
        files,
    }]
}

/// One mirror of a file (PeerTube's `VideoStreamingPlaylist.redundancies[]` entry).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedundancyJson {
    pub base_url: String,
}

/// Shoal extension: `transcodingProgress`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscodingProgressJson {
    pub resolution: Option<u32>,
    pub frames_done: u64,
    pub frames_total: u64,
    /// 0..=100, of the running rung.
    pub percent: f64,
    pub pending: Vec<u32>,
    pub attempt: u32,
}

impl From<TranscodeProgress> for TranscodingProgressJson {
    fn from(p: TranscodeProgress) -> Self {
        let percent = if p.frames_total == 0 {
            0.0
        } else {
            ((p.frames_done as f64 / p.frames_total as f64) * 1000.0).round() / 10.0
        };
        Self {
            resolution: p.resolution,
            frames_done: p.frames_done,
            frames_total: p.frames_total,
            percent,
            pending: p.pending,
            attempt: p.attempt,
        }
    }
}

/// `{"video": {"id", "shortUUID", "uuid"}}`, the answer to an upload.
#[derive(Debug, Serialize)]
pub struct UploadedJson {
    pub video: UploadedVideo,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct UploadedVideo {
    pub id: u64,
    #[serde(rename = "shortUUID")]
    pub short_uuid: String,
    pub uuid: Uuid,
}

impl UploadedVideo {
    pub fn new(video: &VideoRecord) -> Self {
        Self { id: video.id, short_uuid: video.short_uuid.clone(), uuid: video.uuid }
    }
}

/// PeerTube's resolution label: `360p`, `720p`...
pub fn resolution_label(height: u32) -> String {
    format!("{height}p")
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

impl VideoJson {
    pub fn new(public_url: &str, v: &VideoRecord, owner: &VideoOwner<'_>) -> Self {
        let thumbnail_path = v.thumbnail.as_ref().map(|t| MediaUrls::relative().thumbnail(t));
        let preview_path = v.thumbnail.as_ref().map(|t| MediaUrls::relative().preview(t));
        let (account, channel) = match &v.remote {
            Some(remote) => (
                ActorSummary::remote(&remote.account),
                ActorSummary::remote(remote.channel.as_ref().unwrap_or(&remote.account)),
            ),
            None => (
                match owner.account {
                    Some(user) => ActorSummary::account(public_url, user),
                    None => ActorSummary::missing_account(public_url, v.account_id),
                },
                match owner.channel {
                    Some(channel) => ActorSummary::channel(public_url, channel),
                    None => ActorSummary::missing_channel(public_url, v.channel_id),
                },
            ),
        };
        // From a transcoded file when there is one: a phone video's source sizes are before
        // its rotation, the files' after.
        let (width, height) = v.files.last().map_or((v.source.width, v.source.height), |f| (f.width, f.height));
        let aspect_ratio = (height > 0).then(|| ((f64::from(width) / f64::from(height)) * 10_000.0).round() / 10_000.0);
        Self {
            id: v.id,
            uuid: v.uuid,
            short_uuid: v.short_uuid.clone(),
            url: match &v.remote {
                Some(remote) => remote.url.clone(),
                None => format!("{public_url}/videos/watch/{}", v.uuid),
            },
            name: v.name.clone(),
            description: v.description.clone(),
            truncated_description: v.description.as_deref().map(|d| truncate_chars(d, 250)),
            category: labels::category(v.category),
            licence: labels::licence(v.licence),
            language: labels::language(v.language.as_deref()),
            privacy: Labelled::new(v.privacy.id(), v.privacy.label()),
            state: Labelled::new(v.state.id(), v.state.label()),
            nsfw: v.nsfw,
            is_local: v.is_local(),
            is_live: false,
            duration: v.source.duration_secs.max(0.0).round() as u64,
            aspect_ratio,
            views: v.views,
            viewers: 0,
            likes: v.likes,
            dislikes: v.dislikes,
            thumbnail_path,
            preview_path,
            embed_path: format!("/videos/embed/{}", v.uuid),
            created_at: v.created_at.clone(),
            updated_at: v.updated_at.clone(),
            published_at: v.published_at.clone().unwrap_or_else(|| v.created_at.clone()),
            originally_published_at: None,
            wait_transcoding: v.wait_transcoding,
            account,
            channel,
            state_error: match v.state {
                VideoState::TranscodingFailed => {
                    Some(v.state_error.clone().unwrap_or_else(|| "transcoding failed".to_owned()))
                }
                _ => None,
            },
        }
    }
}

impl VideoDetailsJson {
    pub fn new(public_url: &str, v: &VideoRecord, owner: &VideoOwner<'_>, progress: Option<TranscodeProgress>) -> Self {
        // PeerTube lists files highest resolution first; clients take files[0] as the best.
        let mut files: Vec<VideoFileJson> = match &v.remote {
            Some(remote) => remote.files.iter().rev().map(|f| remote_file_json(public_url, v, f)).collect(),
            None => v.files.iter().rev().map(|f| file_json(public_url, v, f)).collect(),
        };
        if files.is_empty() && v.state == VideoState::ToTranscode {
            files.push(source_placeholder(v));
        }
        Self {
            video: VideoJson::new(public_url, v, owner),
            support: None,
            tags: v.tags.clone(),
            comments_enabled: v.comments_enabled,
            comments_policy: labels::comments_policy(v.comments_enabled),
            download_enabled: v.download_enabled,
            // PeerTube's `getTrackerUrls()` for its own videos: HTTP announce, then WebSocket.
            tracker_urls: match &v.remote {
                Some(remote) => remote.trackers.clone(),
                None => vec![http_announce_url(public_url), ws_tracker_url(public_url)],
            },
            files,
            streaming_playlists: streaming_playlists(public_url, v),
            transcoding_progress: progress.map(TranscodingProgressJson::from),
        }
    }
}

impl VideoDetailsJson {
    /// Fills each file's `redundancies` with `mirrors(info_hash)`.
    pub fn with_mirrors(mut self, mirrors: impl Fn(&str) -> Vec<String>) -> Self {
        let playlist_files = self.streaming_playlists.iter_mut().flat_map(|p| p.files.iter_mut());
        for file in self.files.iter_mut().chain(playlist_files).filter(|f| !f.info_hash.is_empty()) {
            file.redundancies =
                mirrors(&file.info_hash).into_iter().map(|base_url| RedundancyJson { base_url }).collect();
        }
        // A mirror holding a fragmented MP4 under its own name is a mirror of the playlist's
        // folder too (PeerTube's `{baseUrl}/{file name}`): listed once at the playlist level.
        for playlist in &mut self.streaming_playlists {
            let mut bases: Vec<String> = Vec::new();
            for file in &playlist.files {
                let Some(name) = file.file_url.rsplit('/').next() else { continue };
                for mirror in &file.redundancies {
                    let base = mirror.base_url.strip_suffix(name).and_then(|b| b.strip_suffix('/'));
                    if let Some(base) = base.filter(|b| !bases.iter().any(|x| x == b)) {
                        bases.push(base.to_owned());
                    }
                }
            }
            playlist.redundancies = bases.into_iter().map(|base_url| RedundancyJson { base_url }).collect();
        }
        self
    }
}

fn file_json(public_url: &str, v: &VideoRecord, f: &VideoFileRecord) -> VideoFileJson {
    let media = MediaUrls::new(public_url);
    VideoFileJson {
        id: u64::from(f.resolution),
        resolution: Labelled::new(f.resolution, resolution_label(f.resolution)),
        size: f.size,
        fps: f.fps,
        width: f.width,
        height: f.height,
        has_audio: v.source.has_audio,
        has_video: true,
        storage: 0,
        file_url: media.web_video(&f.filename),
        file_download_url: media.web_video_download(&f.filename),
        torrent_url: media.torrent(&f.torrent_filename),
        torrent_download_url: media.torrent_download(&f.torrent_filename),
        magnet_uri: f.magnet_uri.clone(),
        info_hash: f.info_hash.clone(),
        redundancies: Vec::new(),
        playlist_url: None,
    }
}

/// A file of a remote video: the file is the origin's; its torrent is served here (kept from
/// the origin or a redundancy member, see `shoal_actors::remote_torrents`), as PeerTube does,
/// so it stays reachable while the origin is down. Without an info hash the torrent cannot be
/// checked and the origin's URL is given.
fn remote_file_json(public_url: &str, v: &VideoRecord, f: &RemoteFile) -> VideoFileJson {
    let (torrent_url, torrent_download_url) = remote_torrent_urls(public_url, v, f);
    VideoFileJson {
        id: u64::from(f.resolution),
        resolution: Labelled::new(f.resolution, resolution_label(f.resolution)),
        size: f.size,
        fps: f.fps,
        width: f.width,
        height: f.height,
        has_audio: true,
        has_video: true,
        storage: 0,
        file_url: f.url.clone(),
        file_download_url: f.url.clone(),
        torrent_url,
        torrent_download_url,
        magnet_uri: f.magnet_uri.clone(),
        info_hash: f.info_hash.clone(),
        redundancies: Vec::new(),
        playlist_url: None,
    }
}

/// The origin's playlist of a remote video; each file's resolution playlist is named as
/// PeerTube names it (the fragmented MP4's URL without `-fragmented.mp4`, plus `.m3u8`).
fn remote_playlist(public_url: &str, v: &VideoRecord, hls: &RemoteHls) -> StreamingPlaylistJson {
    let files = hls
        .files
        .iter()
        .rev()
        .map(|f| VideoFileJson {
            playlist_url: f.url.strip_suffix("-fragmented.mp4").map(|stem| format!("{stem}.m3u8")),
            ..remote_file_json(public_url, v, f)
        })
        .collect();
    StreamingPlaylistJson {
        id: v.id,
        kind: HLS_PLAYLIST_TYPE,
        playlist_url: hls.playlist_url.clone(),
        segments_sha256_url: hls.segments_sha256_url.clone(),
        redundancies: Vec::new(),
        files,
    }
}

/// Where this node serves a remote file's torrent (`/lazy-static/torrents/...`) and its
/// download (`/download/torrents/...`).
pub fn remote_torrent_urls(public_url: &str, v: &VideoRecord, f: &RemoteFile) -> (String, String) {
    if f.info_hash.is_empty() {
        return (f.torrent_url.clone(), f.torrent_url.clone());
    }
    let name = remote_torrent_filename(v.uuid, f.resolution);
    let media = MediaUrls::new(public_url);
    (media.torrent(&name), media.torrent_download(&name))
}

/// While a video waits for its first transcoded file, `files[]` describes the
/// received upload the way PeerTube lists an original file awaiting
/// transcoding: real resolution, size and fps, but no URL or torrent yet (empty
/// strings). PeerTube's own tooling (`peertube-cli upload`) polls
/// `files[0].torrentUrl` after uploading and needs this entry to exist.
fn source_placeholder(v: &VideoRecord) -> VideoFileJson {
    VideoFileJson {
        id: 0,
        resolution: Labelled::new(
            v.source.width.min(v.source.height),
            resolution_label(v.source.width.min(v.source.height)),
        ),
        size: v.source.size,
        fps: v.source.fps,
        width: v.source.width,
        height: v.source.height,
        has_audio: v.source.has_audio,
        has_video: true,
        storage: 0,
        file_url: String::new(),
        file_download_url: String::new(),
        torrent_url: String::new(),
        torrent_download_url: String::new(),
        magnet_uri: String::new(),
        info_hash: String::new(),
        redundancies: Vec::new(),
        playlist_url: None,
    }
}
