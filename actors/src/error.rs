//! Error types of the actors layer, one enum per area. The web edge maps each
//! variant to an HTTP status and a PeerTube-shaped JSON error.

use thiserror::Error;

/// Failure to start the node's actors and store.
#[derive(Debug, Error)]
pub enum StartError {
    /// The data folder could not be created or opened. Check permissions and the path.
    #[error("data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    /// sled refused to open the database (corrupt, or another process holds it).
    #[error("opening the store: {0}")]
    Store(#[from] crate::store::StoreError),
    /// An actor failed to spawn.
    #[error("spawning actor {0}")]
    Spawn(String),
    /// The configured admin account could not be created.
    #[error("creating the admin account: {0}")]
    Admin(#[from] AccountError),
}

/// Failures of account, channel and token operations.
#[derive(Debug, Error)]
pub enum AccountError {
    /// Username/password pair is wrong. Answer 400 `invalid_grant` like PeerTube.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The OAuth client id/secret pair is unknown. Answer 400 `invalid_client`.
    #[error("invalid client")]
    InvalidClient,
    /// Access or refresh token is unknown or expired. Answer 401.
    #[error("invalid or expired token")]
    InvalidToken,
    /// Username or channel name is taken. Answer 409.
    #[error("{0} already exists")]
    Conflict(String),
    /// A field fails validation (length, characters). Answer 400.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// No such user or channel. Answer 404.
    #[error("{0} not found")]
    NotFound(String),
    /// The store failed. Answer 500.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Failures of video operations.
#[derive(Debug, Error)]
pub enum VideoError {
    /// No video with that id, uuid or shortUUID. Answer 404.
    #[error("video not found")]
    NotFound,
    /// The uploaded file is not a video we can read (probe failed). Answer 422
    /// (PeerTube answers 422 for unreadable files).
    #[error("unreadable video file: {0}")]
    Unreadable(String),
    /// The video is another instance's: only its origin may edit it. Answer 403.
    #[error("video of another server")]
    NotLocal,
    /// The channel does not exist or is not the uploader's. Answer 400/403.
    #[error("channel {0} is not one of yours")]
    WrongChannel(u64),
    /// The user's quota would be exceeded. Answer 413 `quota_reached`, like PeerTube.
    #[error("video quota exceeded: used {used} + {size} > quota {quota}")]
    QuotaExceeded { used: u64, size: u64, quota: i64 },
    /// A field fails validation. Answer 400.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The video actor did not answer in time. Answer 503.
    #[error("video actor unavailable: {0}")]
    Unavailable(String),
    /// Disk I/O failed. Answer 500.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The store failed. Answer 500.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Failures of comment, rating and view operations.
#[derive(Debug, Error)]
pub enum SocialError {
    /// No video with that id. Answer 404.
    #[error("video not found")]
    VideoNotFound,
    /// No such comment on that video. Answer 404.
    #[error("video comment not found")]
    CommentNotFound,
    /// The video's owner turned comments off. Answer 409, as PeerTube does.
    #[error("video comments are disabled for this video")]
    CommentsDisabled,
    /// The comment text is empty or too long. Answer 400 naming `text`.
    #[error("invalid comment text: {0}")]
    InvalidText(String),
    /// The caller may not do this (e.g. delete another user's comment). Answer 403.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The comment is already deleted. Answer 409, as PeerTube does.
    #[error("this comment is already deleted")]
    AlreadyDeleted,
    /// Looking up the acting account failed. Answer 500.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The store failed. Answer 500.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}
