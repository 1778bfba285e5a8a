//! Receiving upload bytes onto disk: a temp file inside `uploads_dir()` written
//! chunk by chunk (never the whole upload in memory), counted against the
//! instance's size limit and the uploader's remaining quota, and deleted when
//! dropped unless handed over to the actors.

use std::path::{Path, PathBuf};

use axum::http::{header, HeaderMap};
use shoal_actors::accounts::UserRecord;
use shoal_actors::videos::create::video_bytes;
use shoal_actors::{Shoal, VideoListQuery, VideoSort};
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

use crate::error::ApiError;

/// Write buffer: disk writes happen in blocks this big.
const WRITE_BUFFER_BYTES: usize = 1 << 20;

/// Room allowed for form fields and multipart framing on top of the file size.
pub const FORM_OVERHEAD_BYTES: u64 = 1 << 20;

/// What an upload may weigh.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// `limits.max_upload_bytes`.
    pub max_bytes: u64,
    /// Bytes left in the uploader's quota; `None` when unlimited.
    pub quota_left: Option<u64>,
}

impl UploadLimits {
    /// The limits for `user` now.
    pub fn for_user(shoal: &Shoal, user: &UserRecord) -> Result<Self, ApiError> {
        let total_left = match u64::try_from(user.video_quota) {
            Ok(quota) => Some(quota.saturating_sub(shoal.used_quota(user.id)?)),
            Err(_) => None,
        };
        let daily_left = match u64::try_from(user.video_quota_daily) {
            Ok(quota) => Some(quota.saturating_sub(used_quota_daily(shoal, user.id)?)),
            Err(_) => None,
        };
        let quota_left = match (total_left, daily_left) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Self { max_bytes: shoal.config().limits.max_upload_bytes, quota_left })
    }

    /// Refuses a file of `size` bytes: 413 above the size limit, 403 `quota_reached` above the quota.
    pub fn check(&self, size: u64) -> Result<(), ApiError> {
        if size > self.max_bytes {
            return Err(ApiError::too_large(self.max_bytes));
        }
        if self.quota_left.is_some_and(|left| size > left) {
            return Err(ApiError::quota_reached());
        }
        Ok(())
    }

    /// Early refusal from a request's `Content-Length` (which includes `overhead` bytes of framing).
    pub fn check_content_length(&self, headers: &HeaderMap, overhead: u64) -> Result<(), ApiError> {
        let Some(length) = content_length(headers) else {
            return Ok(());
        };
        self.check(length.saturating_sub(overhead))
    }
}

/// Bytes of the account's videos created in the last 24 hours (PeerTube's daily
/// quota), counted like `Shoal::used_quota` (original plus transcoded files).
pub fn used_quota_daily(shoal: &Shoal, account_id: u64) -> Result<u64, ApiError> {
    let cutoff = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let query = VideoListQuery {
        start: 0,
        count: usize::MAX,
        sort: VideoSort::CreatedAtDesc,
        viewer_account: Some(account_id),
    };
    let (_, videos) = shoal.list_videos(&query)?;
    let mut used = 0u64;
    for video in videos.iter().filter(|v| v.account_id == account_id) {
        let created = time::OffsetDateTime::parse(&video.created_at, &time::format_description::well_known::Rfc3339);
        if created.is_ok_and(|created| created < cutoff) {
            continue;
        }
        used = used.saturating_add(video_bytes(video));
    }
    Ok(used)
}

/// The request's `Content-Length`, when present and numeric.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// A file being received. Deleted on drop unless [`UploadFile::keep`] was called.
pub struct UploadFile {
    path: PathBuf,
    writer: BufWriter<tokio::fs::File>,
    /// Bytes of the file (from offset 0) once everything written so far lands.
    len: u64,
    delete_on_drop: bool,
}

impl UploadFile {
    /// Creates a new empty file at `path` (fails if it exists).
    pub async fn create(path: PathBuf) -> Result<Self, ApiError> {
        let file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&path).await?;
        Ok(Self { path, writer: BufWriter::with_capacity(WRITE_BUFFER_BYTES, file), len: 0, delete_on_drop: true })
    }

    /// Opens an existing file to write from `offset` (resumable uploads). Kept on drop.
    pub async fn open_at(path: PathBuf, offset: u64) -> Result<Self, ApiError> {
        let mut file = tokio::fs::OpenOptions::new().write(true).open(&path).await?;
        file.seek(std::io::SeekFrom::Start(offset)).await?;
        Ok(Self {
            path,
            writer: BufWriter::with_capacity(WRITE_BUFFER_BYTES, file),
            len: offset,
            delete_on_drop: false,
        })
    }

    /// Appends `chunk`, refusing it when the file would exceed `limits`.
    pub async fn write(&mut self, chunk: &[u8], limits: &UploadLimits) -> Result<(), ApiError> {
        let new_len = self.len.saturating_add(chunk.len() as u64);
        limits.check(new_len)?;
        self.writer.write_all(chunk).await?;
        self.len = new_len;
        Ok(())
    }

    /// Bytes written so far (including the starting offset).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes buffered bytes to the file.
    pub async fn flush(&mut self) -> Result<(), ApiError> {
        self.writer.flush().await?;
        Ok(())
    }

    /// Flushes and hands the file over: it is no longer deleted on drop.
    pub async fn keep(mut self) -> Result<PathBuf, ApiError> {
        self.writer.flush().await?;
        self.delete_on_drop = false;
        Ok(self.path.clone())
    }
}

impl Drop for UploadFile {
    fn drop(&mut self) {
        if self.delete_on_drop {
            if let Err(err) = std::fs::remove_file(&self.path) {
                if err.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %self.path.display(), %err, "could not delete an abandoned upload");
                }
            }
        }
    }
}

/// A client-supplied file name reduced to a safe, short display name.
pub fn sanitize_filename(name: Option<&str>) -> String {
    let base = name.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        "upload".to_owned()
    } else {
        cleaned
    }
}

/// Deletes `path` if it still exists after the actors refused an upload.
pub async fn remove_leftover(path: &Path) {
    match tokio::fs::remove_file(path).await {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => tracing::warn!(path = %path.display(), %err, "could not delete a refused upload"),
    }
}
