//! Why a piece could not be had from a source ([`SourceError`]) and why a mirror attempt
//! failed ([`MirrorError`]). Both are `Clone` so they can travel in events and status.

use thiserror::Error;

/// A source could not give the asked bytes.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SourceError {
    /// A Range GET was answered with a status other than 206 (a 200 means the server
    /// ignored the range and would send the whole file).
    #[error("HTTP {status} to a range request (206 expected)")]
    NotPartial { status: u16 },
    /// A non-success status.
    #[error("HTTP {status}")]
    Status { status: u16 },
    /// `Content-Range` missing or not the asked range of a file of the expected size.
    #[error("Content-Range {found:?} where {expected:?} was asked")]
    BadContentRange { expected: String, found: Option<String> },
    /// The body (or its declared length) is not the asked length.
    #[error("{found} bytes where {expected} were asked")]
    WrongLength { expected: u64, found: u64 },
    /// The body is over the cap (torrents).
    #[error("body over {limit} bytes")]
    TooLarge { limit: u64 },
    /// The request took longer than its bound.
    #[error("timed out")]
    Timeout,
    /// The address or scheme is refused by `federation.allow_private_addresses` policy.
    #[error("refused: {0}")]
    Refused(String),
    /// The URL does not parse or has no host.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// Connection, TLS or protocol failure.
    #[error("transport: {0}")]
    Transport(String),
    /// The source does not have it (a member that lost the file, a peer gone).
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// One mirror attempt failed.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum MirrorError {
    /// The file name is not a plain name (`[A-Za-z0-9._-]`, no `..`, no leading dot).
    #[error("unsafe file name {0:?}")]
    UnsafeFilename(String),
    /// Another copy this node holds already has this file name.
    #[error("file name {0:?} is taken by another copy")]
    FilenameTaken(String),
    /// The torrent could not be fetched.
    #[error("fetching the torrent: {0}")]
    TorrentFetch(SourceError),
    /// The torrent is bigger than the cap.
    #[error("torrent over {limit} bytes")]
    TorrentTooLarge { limit: u64 },
    /// The torrent does not parse as a single-file torrent.
    #[error("bad torrent: {0}")]
    BadTorrent(String),
    /// The torrent is not the one asked for.
    #[error("torrent has info hash {found}, {expected} was asked")]
    WrongInfoHash { expected: String, found: String },
    /// The torrent's file is not the announced size.
    #[error("torrent file is {found} bytes, {expected} were announced")]
    SizeMismatch { expected: u64, found: u64 },
    /// Every source failed or misbehaved.
    #[error("no source left (last error: {})", last_error.as_ref().map(ToString::to_string).unwrap_or_else(|| "none".into()))]
    NoSourceLeft { last_error: Option<SourceError> },
    /// One piece failed from every source several times over.
    #[error("piece {piece} failed from every source ({rounds} rounds)")]
    PieceFailed { piece: u32, rounds: u32 },
    /// Disk I/O failed (disk full, permissions).
    #[error("{action} {path}: {reason}")]
    Io { action: &'static str, path: String, reason: String },
    /// The store failed.
    #[error("store: {0}")]
    Store(String),
    /// The job was cancelled (dropped or shut down).
    #[error("cancelled")]
    Cancelled,
    /// The job panicked.
    #[error("job panicked: {0}")]
    Panicked(String),
}

impl MirrorError {
    /// Whether another attempt cannot help: the job is given up at once.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            MirrorError::UnsafeFilename(_)
                | MirrorError::FilenameTaken(_)
                | MirrorError::TorrentTooLarge { .. }
                | MirrorError::BadTorrent(_)
                | MirrorError::WrongInfoHash { .. }
                | MirrorError::SizeMismatch { .. }
        )
    }

    /// An I/O error with its context.
    pub fn io(action: &'static str, path: &std::path::Path, e: &std::io::Error) -> MirrorError {
        MirrorError::Io { action, path: path.display().to_string(), reason: e.to_string() }
    }
}

impl From<crate::store::StoreError> for MirrorError {
    fn from(e: crate::store::StoreError) -> Self {
        MirrorError::Store(e.to_string())
    }
}
