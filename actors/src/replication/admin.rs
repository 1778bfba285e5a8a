//! The operations behind PeerTube's redundancy admin routes (`/api/v1/server/redundancy`):
//! allow or forbid mirroring a followed host, list the copies this node holds of remote
//! videos (`remote-videos`, from [`copies`]) and the mirrors other nodes announced of this
//! node's videos (`my-videos`, from [`origin_mirrors`]), request a copy by hand, remove one.
//!
//! Redundancy ids: PeerTube numbers its `videoRedundancy` rows. Shoal's copies are keyed by
//! info hash and the announced mirrors by CacheFile id, so an entry's id is derived from
//! that key (48 bits of its SHA-1, never 0, within JavaScript's safe integers): stable across
//! restarts and the same on every listing, with no counter to keep in step.

use crate::activitypub::follows;
use crate::activitypub::ApServiceError;
use crate::clock;
use crate::replication::copies::{self, CopyRecord};
use crate::replication::origin_mirrors::{self, MirrorRecord, MirrorsError};
use crate::replication::strategies::{self, ManualError, WantedFile};
use crate::store::{Store, StoreError};
use crate::videos::record::{VideoKey, VideoRecord};
use crate::videos::repo;
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use std::path::PathBuf;
use uuid::Uuid;

/// `?target=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Mirrors other nodes hold of this node's videos.
    MyVideos,
    /// Copies this node holds of other nodes' videos.
    RemoteVideos,
}

impl Target {
    /// PeerTube's `VideoRedundanciesTarget`.
    pub fn parse(s: &str) -> Option<Target> {
        match s {
            "my-videos" => Some(Target::MyVideos),
            "remote-videos" => Some(Target::RemoteVideos),
            _ => None,
        }
    }
}

/// One copy (PeerTube's `RedundancyInformation`). Times are RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedundancyEntry {
    pub id: u64,
    pub file_url: String,
    /// The strategy that made it (`manual`, `most-views`, ..., `placement`); `None` for a
    /// mirror another node announced (PeerTube keeps no strategy for those).
    pub strategy: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub expires_on: Option<String>,
    pub size: u64,
}

/// A video and its copies (PeerTube's `VideoRedundancy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoRedundancies {
    /// The local video id (0 when the copy's video is no longer known here).
    pub video_id: u64,
    pub name: String,
    /// The video's ActivityPub id.
    pub url: String,
    pub uuid: Uuid,
    pub entries: Vec<RedundancyEntry>,
}

/// What [`RedundancyAdmin::list`] returns.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub target: Target,
    pub strategy: Option<String>,
    pub start: usize,
    pub count: usize,
    /// `-name` rather than `name`.
    pub descending: bool,
}

/// What a removal removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// A copy this node held (its record and files are gone; its CacheFile should be undone).
    Copy(CopyRecord),
    /// A mirror another node announced of one of this node's files.
    Mirror(MirrorRecord),
}

/// Failures of the admin operations.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("Video not found")]
    VideoNotFound,
    #[error(transparent)]
    Manual(#[from] ManualError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<ApServiceError> for AdminError {
    fn from(err: ApServiceError) -> Self {
        match err {
            ApServiceError::Store(e) => AdminError::Store(e),
            other => AdminError::Internal(other.to_string()),
        }
    }
}

impl From<MirrorsError> for AdminError {
    fn from(err: MirrorsError) -> Self {
        match err {
            MirrorsError::Store(e) => AdminError::Store(e),
            other => AdminError::Internal(other.to_string()),
        }
    }
}

/// 48 bits of SHA-1(`kind` ++ `key`), never 0.
fn entry_id(kind: &[u8], key: &[u8]) -> u64 {
    let digest = Sha1::new().chain_update(kind).chain_update(key).finalize();
    let mut bytes = [0u8; 8];
    bytes[2..].copy_from_slice(&digest[..6]);
    u64::from_be_bytes(bytes).max(1)
}

/// The id of a copy this node holds.
pub fn copy_id(copy: &CopyRecord) -> u64 {
    entry_id(b"copy", &copy.info_hash)
}

/// The id of a mirror another node announced.
pub fn mirror_id(mirror: &MirrorRecord) -> u64 {
    entry_id(b"mirror", mirror.cache_file_id.as_bytes())
}

fn timestamp(unix: u64) -> String {
    let at = i64::try_from(unix).ok().and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok());
    at.map_or_else(|| "1970-01-01T00:00:00.000Z".to_string(), clock::format_timestamp)
}

/// The redundancy admin API over the store. Cheap to clone.
#[derive(Clone)]
pub struct RedundancyAdmin {
    store: Store,
    public_url: String,
    media_dir: PathBuf,
}

impl RedundancyAdmin {
    pub fn new(store: Store, public_url: impl Into<String>, media_dir: PathBuf) -> Self {
        Self { store, public_url: public_url.into(), media_dir }
    }

    /// `PUT /api/v1/server/redundancy/{host}`: false when `host` is not followed. Forbidding
    /// a host also forgets the manual requests of its videos not yet complete; the
    /// strategies drop their copies of it at their next run.
    pub fn set_host_redundancy(&self, host: &str, allowed: bool) -> Result<bool, AdminError> {
        if !follows::set_host_redundancy(&self.store, host, allowed)? {
            return Ok(false);
        }
        if !allowed {
            strategies::remove_manual_requests_of_host(&self.store, host)?;
        }
        tracing::info!(host, allowed, "redundancy of a followed host set");
        Ok(true)
    }

    /// `GET /api/v1/server/redundancy/videos`: the videos with copies of the target, sorted
    /// by name, and their total.
    pub fn list(&self, query: &ListQuery) -> Result<(u64, Vec<VideoRedundancies>), AdminError> {
        let mut all = match query.target {
            Target::RemoteVideos => self.remote_videos()?,
            Target::MyVideos => self.my_videos()?,
        };
        if let Some(strategy) = query.strategy.as_deref().filter(|s| !s.is_empty()) {
            for video in &mut all {
                video.entries.retain(|e| e.strategy.as_deref() == Some(strategy));
            }
            all.retain(|v| !v.entries.is_empty());
        }
        all.sort_by(|a, b| (a.name.as_str(), a.video_id).cmp(&(b.name.as_str(), b.video_id)));
        if query.descending {
            all.reverse();
        }
        let total = all.len() as u64;
        Ok((total, all.into_iter().skip(query.start).take(query.count).collect()))
    }

    fn video_of(&self, uuid: Uuid, url: &str, fallback_name: &str) -> Result<(u64, String, String), AdminError> {
        Ok(match repo::load_by_uuid(&self.store, uuid)? {
            Some(video) => {
                let url = video.remote.as_ref().map_or_else(|| url.to_string(), |o| o.url.clone());
                (video.id, video.name, url)
            }
            None => (0, fallback_name.to_string(), url.to_string()),
        })
    }

    fn remote_videos(&self) -> Result<Vec<VideoRedundancies>, AdminError> {
        let mut by_video: BTreeMap<Uuid, Vec<CopyRecord>> = BTreeMap::new();
        for copy in copies::list(&self.store)? {
            by_video.entry(copy.video_uuid).or_default().push(copy);
        }
        let mut out = Vec::with_capacity(by_video.len());
        for (uuid, mut files) in by_video {
            files.sort_by_key(|c| (c.size, c.info_hash));
            let first = &files[0];
            let (video_id, name, url) = self.video_of(uuid, &first.video_url, &first.filename)?;
            let hold = strategies::hold(&self.store, uuid)?;
            let entries = files
                .iter()
                .map(|copy| {
                    let hold = hold.as_ref().filter(|_| matches!(copy.reason, copies::CopyReason::Strategy(_)));
                    RedundancyEntry {
                        id: copy_id(copy),
                        file_url: copies::copy_url(&self.public_url, &copy.filename),
                        strategy: Some(strategies::reason_label(copy.reason).to_string()),
                        created_at: timestamp(copy.created_at),
                        updated_at: timestamp(hold.map_or(copy.created_at, |h| h.updated_at.max(copy.created_at))),
                        expires_on: hold.map(|h| timestamp(h.expires_at)),
                        size: copy.size,
                    }
                })
                .collect();
            out.push(VideoRedundancies { video_id, name, url, uuid, entries });
        }
        Ok(out)
    }

    fn my_videos(&self) -> Result<Vec<VideoRedundancies>, AdminError> {
        let now = i64::try_from(clock::unix_secs()).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        for video in repo::all(&self.store) {
            let video: VideoRecord = video?;
            if !video.is_local() {
                continue;
            }
            let mut entries = Vec::new();
            for file in &video.files {
                let Some(hash) = origin_mirrors::parse_info_hash(&file.info_hash) else { continue };
                for mirror in origin_mirrors::mirrors_of(&self.store, &hash, now)? {
                    entries.push(RedundancyEntry {
                        id: mirror_id(&mirror),
                        file_url: mirror.file_url.clone(),
                        strategy: None,
                        created_at: timestamp(mirror.created_at),
                        updated_at: timestamp(mirror.updated_at),
                        expires_on: mirror.expires_at.and_then(|at| u64::try_from(at).ok()).map(timestamp),
                        size: file.size,
                    });
                }
            }
            if !entries.is_empty() {
                let url = format!("{}/videos/watch/{}", self.public_url.trim_end_matches('/'), video.uuid);
                out.push(VideoRedundancies { video_id: video.id, name: video.name, url, uuid: video.uuid, entries });
            }
        }
        Ok(out)
    }

    /// `POST /api/v1/server/redundancy/videos {videoId}`: records a manual request for the
    /// files of a remote video and returns them (for the mirror jobs).
    pub fn add_manual(&self, key: &VideoKey) -> Result<Vec<WantedFile>, AdminError> {
        let video = repo::load_by_key(&self.store, key)?.ok_or(AdminError::VideoNotFound)?;
        let files = strategies::request_manual(&self.store, &video, clock::unix_secs())?;
        tracing::info!(video = %video.uuid, files = files.len(), "manual redundancy requested");
        Ok(files)
    }

    /// `DELETE /api/v1/server/redundancy/videos/{redundancyId}`: removes the copy (record
    /// and files, and the strategy's hold when it was the video's last copy) or forgets the
    /// announced mirror with this id; `None` when no entry has it.
    pub fn remove(&self, id: u64) -> Result<Option<Removed>, AdminError> {
        let all = copies::list(&self.store)?;
        if let Some(copy) = all.iter().find(|c| copy_id(c) == id) {
            copies::remove(&self.store, &copy.info_hash)?;
            copies::remove_files(&self.media_dir, &copy.filename);
            strategies::remove_manual_request(&self.store, &copy.info_hash)?;
            if !all.iter().any(|c| c.video_uuid == copy.video_uuid && c.info_hash != copy.info_hash) {
                strategies::remove_hold(&self.store, copy.video_uuid)?;
            }
            tracing::info!(video = %copy.video_uuid, file = %copy.filename, "redundancy copy removed by an administrator");
            return Ok(Some(Removed::Copy(copy.clone())));
        }
        for video in self.my_videos()? {
            if video.entries.iter().any(|e| e.id == id) {
                let now = i64::try_from(clock::unix_secs()).unwrap_or(i64::MAX);
                let local = repo::load_by_uuid(&self.store, video.uuid)?;
                for file in local.iter().flat_map(|v| v.files.iter()) {
                    let Some(hash) = origin_mirrors::parse_info_hash(&file.info_hash) else { continue };
                    for mirror in origin_mirrors::mirrors_of(&self.store, &hash, now)? {
                        if mirror_id(&mirror) == id {
                            origin_mirrors::remove(&self.store, &mirror.cache_file_id, &mirror.mirror_actor)?;
                            return Ok(Some(Removed::Mirror(mirror)));
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    /// Writes every dirty buffer (after a change, before answering).
    pub async fn flush(&self) -> Result<(), AdminError> {
        Ok(self.store.flush().await?)
    }
}
