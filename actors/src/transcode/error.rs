//! Why a transcode attempt failed.

use crate::media::MediaError;
use crate::torrent_file::TorrentFileError;
use thiserror::Error;

/// Failures of one attempt at one rung. Every one is retried with backoff up to
/// `transcoding.max_attempts`; the message of the last is shown on the video.
#[derive(Debug, Error)]
pub enum JobError {
    /// Probing, decoding, encoding or muxing failed (see the inner error).
    #[error(transparent)]
    Media(#[from] MediaError),
    /// The `.torrent` could not be written.
    #[error(transparent)]
    Torrent(#[from] TorrentFileError),
    /// Moving the finished file into the media folder failed (disk full, permissions).
    #[error("{action} {path}: {source}")]
    Io { action: &'static str, path: String, source: std::io::Error },
    /// The encoding thread could not be started, or panicked.
    #[error("transcode thread: {0}")]
    Thread(String),
    /// The video did not take the finished rung (its actor is unavailable); the output was kept
    /// and the attempt is retried.
    #[error("recording the rung on the video: {0}")]
    Record(String),
}
