//! A small cache of open media files for the web seed, so a burst of range
//! requests on one file (the usual webtorrent pattern) costs no `open`,
//! `statx` and `close` per request.
//!
//! Entries live [`FILE_CACHE_TTL`] at most: a file deleted or replaced (media
//! files are written under a temp name and renamed into place, never modified)
//! stops being served from its old handle within that time. A cached handle
//! always matches its own `ETag`/`Last-Modified`, since they were taken from the
//! same open file. Missing files are never cached.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use axum::http::HeaderValue;
use shoal_protocol::range;

use crate::error::ApiError;

/// How long an open handle is reused before the file is opened and checked again.
pub const FILE_CACHE_TTL: Duration = Duration::from_secs(2);
/// Most files kept open at once.
pub const FILE_CACHE_CAPACITY: usize = 256;

/// An open regular file and its validators.
pub struct OpenFile {
    pub file: File,
    pub len: u64,
    pub etag: Option<HeaderValue>,
    pub last_modified: Option<HeaderValue>,
    pub modified_secs: Option<u64>,
}

impl OpenFile {
    /// Opens `dir/name` (name already validated): 404 when absent or not a regular file.
    pub fn open(dir: &Path, name: &str) -> Result<OpenFile, ApiError> {
        let file = match File::open(dir.join(name)) {
            Ok(file) => file,
            Err(err) if matches!(err.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
                return Err(ApiError::not_found("File not found"))
            }
            Err(err) => return Err(err.into()),
        };
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(ApiError::not_found("File not found"));
        }
        let len = meta.len();
        let modified = meta.modified().ok().and_then(|m| m.duration_since(UNIX_EPOCH).ok());
        let etag = modified
            .map(|m| range::file_etag(len, m.as_secs(), m.subsec_nanos()))
            .and_then(|tag| HeaderValue::from_str(&tag).ok());
        let modified_secs = modified.map(|m| m.as_secs());
        let last_modified = modified_secs.and_then(|secs| HeaderValue::from_str(&range::http_date(secs)).ok());
        Ok(OpenFile { file, len, etag, last_modified, modified_secs })
    }
}

/// Open files by name, each reused for at most [`FILE_CACHE_TTL`].
#[derive(Default)]
pub struct FileCache {
    entries: Mutex<HashMap<String, (Instant, Arc<OpenFile>)>>,
}

impl FileCache {
    /// The open file `dir/name`, from the cache when fresh.
    pub fn get(&self, dir: &Path, name: &str) -> Result<Arc<OpenFile>, ApiError> {
        let now = Instant::now();
        if let Some(hit) = self.lock().get(name).filter(|(at, _)| now.duration_since(*at) < FILE_CACHE_TTL) {
            return Ok(Arc::clone(&hit.1));
        }
        let opened = Arc::new(OpenFile::open(dir, name)?);
        let mut entries = self.lock();
        if entries.len() >= FILE_CACHE_CAPACITY {
            entries.retain(|_, (at, _)| now.duration_since(*at) < FILE_CACHE_TTL);
            if entries.len() >= FILE_CACHE_CAPACITY {
                entries.clear();
            }
        }
        entries.insert(name.to_owned(), (now, Arc::clone(&opened)));
        Ok(opened)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Arc<OpenFile>)>> {
        match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}
