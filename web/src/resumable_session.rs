//! Durable sessions of PeerTube's resumable upload. A session is two files in
//! `uploads_dir()`: `resumable-{id}.json` (who uploads, the validated metadata,
//! the announced size, and once finished the created video) and
//! `resumable-{id}.part` (the bytes received so far; its length is the
//! progress). Both survive a node restart, so a client can resume after one.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::json::video::UploadedVideo;
use shoal_actors::videos::VideoDetails;

/// Sessions untouched for this long are deleted (PeerTube keeps them a day).
pub const SESSION_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// The on-disk record of a session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UploadSession {
    pub id: String,
    pub account_id: u64,
    pub meta: VideoDetails,
    /// Client's file name.
    pub filename: String,
    /// `X-Upload-Content-Length`.
    pub size: u64,
    /// `X-Upload-Content-Type`.
    pub content_type: Option<String>,
    pub created_at_unix: u64,
    /// Set once the video was created; a repeated final `PUT` answers it again.
    pub completed: Option<UploadedVideo>,
}

impl UploadSession {
    pub fn meta_path(dir: &Path, id: &str) -> PathBuf {
        dir.join(format!("resumable-{id}.json"))
    }

    pub fn data_path(dir: &Path, id: &str) -> PathBuf {
        dir.join(format!("resumable-{id}.part"))
    }

    /// Writes the record atomically (temp file + rename).
    pub async fn save(&self, dir: &Path) -> Result<(), ApiError> {
        let json = serde_json::to_vec(self).map_err(|err| ApiError::internal("encoding an upload session", &err))?;
        let tmp = dir.join(format!("resumable-{}.json.tmp", self.id));
        tokio::fs::write(&tmp, json).await?;
        tokio::fs::rename(&tmp, Self::meta_path(dir, &self.id)).await?;
        Ok(())
    }

    /// The session `id`, `None` when unknown (or its record is unreadable).
    pub async fn load(dir: &Path, id: &str) -> Result<Option<UploadSession>, ApiError> {
        match tokio::fs::read(Self::meta_path(dir, id)).await {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(session) => Ok(Some(session)),
                Err(err) => {
                    tracing::warn!(id, %err, "unreadable upload session record; treating it as unknown");
                    Ok(None)
                }
            },
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Bytes received so far.
    pub async fn received(dir: &Path, id: &str) -> Result<u64, ApiError> {
        match tokio::fs::metadata(Self::data_path(dir, id)).await {
            Ok(meta) => Ok(meta.len()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(err) => Err(err.into()),
        }
    }

    /// Deletes the session's files (those that exist).
    pub async fn remove(dir: &Path, id: &str) {
        for path in [Self::data_path(dir, id), Self::meta_path(dir, id)] {
            if let Err(err) = tokio::fs::remove_file(&path).await {
                if err.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), %err, "could not delete upload session file");
                }
            }
        }
    }
}

/// A new session id: 32 lowercase hex digits (random).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Whether `id` looks like one of ours (so it is safe inside a file name).
pub fn is_valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A `PUT`'s `Content-Range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentRange {
    /// `bytes */total`: "how far are you?"
    Query { total: u64 },
    /// `bytes start-end/total` (end inclusive).
    Chunk { start: u64, end: u64, total: u64 },
}

/// Parses `bytes a-b/total` or `bytes */total`.
pub fn parse_content_range(value: &str) -> Option<ContentRange> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total: u64 = total.trim().parse().ok()?;
    if range.trim() == "*" {
        return Some(ContentRange::Query { total });
    }
    let (start, end) = range.trim().split_once('-')?;
    let (start, end): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
    (start <= end && end < total).then_some(ContentRange::Chunk { start, end, total })
}

/// Seconds since the epoch now.
pub fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Deletes resumable sessions and abandoned multipart temp files older than
/// [`SESSION_MAX_AGE`] (by modification time). Best effort; logs failures.
pub async fn remove_stale(dir: PathBuf) {
    let Ok(mut entries) = tokio::fs::read_dir(&dir).await else {
        return;
    };
    let cutoff = SystemTime::now().checked_sub(SESSION_MAX_AGE).unwrap_or(UNIX_EPOCH);
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with("resumable-") || name.starts_with("upload-")) {
            continue;
        }
        let stale = entry.metadata().await.ok().and_then(|m| m.modified().ok()).is_some_and(|m| m < cutoff);
        if stale {
            tracing::info!(file = name, "deleting an abandoned upload");
            if let Err(err) = tokio::fs::remove_file(entry.path()).await {
                tracing::warn!(file = name, %err, "could not delete an abandoned upload");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse() {
        assert_eq!(parse_content_range("bytes 0-9/100"), Some(ContentRange::Chunk { start: 0, end: 9, total: 100 }));
        assert_eq!(parse_content_range("bytes */100"), Some(ContentRange::Query { total: 100 }));
        assert_eq!(parse_content_range("bytes 5-4/100"), None);
        assert_eq!(parse_content_range("bytes 0-100/100"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
        assert_eq!(parse_content_range("bytes 0-1"), None);
    }

    #[test]
    fn ids_are_checked() {
        assert!(is_valid_id(&new_id()));
        assert!(!is_valid_id("../../etc/passwd"));
        assert!(!is_valid_id(&"A".repeat(32)));
    }
}
