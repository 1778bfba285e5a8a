//! The sled store: one tree per kind of record, versioned CBOR values ([`codec`]) and keys
//! laid out for the scans the code does ([`keys`]). Everything durable in Shoal goes through
//! [`Store`]; big bytes (media) never do.

pub mod codec;
pub mod keys;

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;
use thiserror::Error;

/// Failures of the embedded store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// sled failed (I/O error or corruption). Check disk space and the data folder.
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    /// A stored record could not be decoded (written by an incompatible version).
    #[error("decoding record in {tree}: {reason}")]
    Decode { tree: &'static str, reason: String },
    /// A record could not be encoded.
    #[error("encoding record: {0}")]
    Encode(String),
}

/// Names of the trees, also used in decode errors.
pub mod tree {
    pub const USERS: &str = "users";
    pub const USERS_BY_NAME: &str = "users_by_name";
    pub const CHANNELS: &str = "channels";
    pub const CHANNELS_BY_NAME: &str = "channels_by_name";
    pub const TOKENS: &str = "tokens";
    pub const REFRESH_TOKENS: &str = "refresh_tokens";
    pub const OAUTH: &str = "oauth";
    pub const VIDEOS: &str = "videos";
    pub const VIDEOS_BY_UUID: &str = "videos_by_uuid";
    pub const VIDEOS_BY_SHORT: &str = "videos_by_short";
    pub const VIDEOS_BY_INFO_HASH: &str = "videos_by_info_hash";
    pub const JOBS: &str = "jobs";
    pub const DELIVERIES: &str = "deliveries";
    pub const COMMENTS: &str = "comments";
    pub const COMMENTS_BY_VIDEO: &str = "comments_by_video";
    pub const COMMENTS_BY_URL: &str = "comments_by_url";
    pub const RATINGS: &str = "ratings";
    pub const META: &str = "meta";
    pub const ACTOR_KEYS: &str = "actor_keys";
    pub const REMOTE_ACTORS: &str = "remote_actors";
    pub const REMOTE_ACTOR_KEYS: &str = "remote_actor_keys";
    pub const FOLLOWERS: &str = "followers";
    pub const FOLLOWING: &str = "following";
    pub const VIDEOS_BY_URL: &str = "videos_by_url";
    pub const FEDERATED_VIDEOS: &str = "federated_videos";
    pub const HOST_SIGNATURES: &str = "host_signatures";
    pub const REDUNDANCY_COPIES: &str = "redundancy_copies";
    pub const REDUNDANCY_COPIES_BY_NAME: &str = "redundancy_copies_by_name";
    pub const REDUNDANCY_MIRRORS: &str = "redundancy_mirrors";
    pub const REDUNDANCY_MIRRORS_BY_ID: &str = "redundancy_mirrors_by_id";
    pub const REDUNDANCY_MANUAL: &str = "redundancy_manual";
    pub const REDUNDANCY_HOLDS: &str = "redundancy_holds";
    pub const REDUNDANCY_VIEW_SAMPLES: &str = "redundancy_view_samples";
    pub const REDUNDANCY_ANNOUNCED: &str = "redundancy_announced";
    pub const MIRROR_PROGRESS: &str = "mirror_progress";
}

/// Counters kept in the `meta` tree.
pub mod counter {
    pub const USER_ID: &str = "counter/user_id";
    pub const CHANNEL_ID: &str = "counter/channel_id";
    pub const VIDEO_ID: &str = "counter/video_id";
    pub const DELIVERY_SEQ: &str = "counter/delivery_seq";
    pub const COMMENT_ID: &str = "counter/comment_id";
}

/// The opened database and its trees. Cheap to clone (sled handles are reference counted).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// `u64 BE user id -> UserRecord`
    pub users: sled::Tree,
    /// `lowercase username -> u64 BE user id`
    pub users_by_name: sled::Tree,
    /// `u64 BE channel id -> ChannelRecord`
    pub channels: sled::Tree,
    /// `channel name -> u64 BE channel id`
    pub channels_by_name: sled::Tree,
    /// `SHA-256(access token) -> AccessTokenRecord`
    pub tokens: sled::Tree,
    /// `SHA-256(refresh token) -> RefreshTokenRecord`
    pub refresh_tokens: sled::Tree,
    /// `"local" -> OAuthClient`
    pub oauth: sled::Tree,
    /// `u64 BE video id -> VideoRecord`
    pub videos: sled::Tree,
    /// `uuid bytes -> u64 BE video id`
    pub videos_by_uuid: sled::Tree,
    /// `shortUUID -> u64 BE video id`
    pub videos_by_short: sled::Tree,
    /// 20-byte SHA-1 info-hash of each file -> video id (which swarms the tracker serves).
    pub videos_by_info_hash: sled::Tree,
    /// `height BE ++ video id BE -> JobRecord` (the durable transcode queue)
    pub jobs: sled::Tree,
    /// `host ++ 0x00 ++ u64 BE sequence -> DeliveryRecord` (the federation delivery queue)
    pub deliveries: sled::Tree,
    /// `u64 BE comment id -> CommentRecord`
    pub comments: sled::Tree,
    /// `video id BE ++ comment id BE -> ()` (a video's comments in creation order)
    pub comments_by_video: sled::Tree,
    /// `ActivityPub id (url) -> u64 BE comment id` (idempotent remote comments)
    pub comments_by_url: sled::Tree,
    /// `video id BE ++ rater key -> Rating` (see `social::ratings`)
    pub ratings: sled::Tree,
    /// counters and flags
    pub meta: sled::Tree,
    /// `local actor path ("accounts/root") -> PKCS#8 PEM` of its RSA key
    pub actor_keys: sled::Tree,
    /// `remote actor id -> RemoteActorRecord` (fetched actors, refreshed when stale)
    pub remote_actors: sled::Tree,
    /// `remote key id -> remote actor id`
    pub remote_actor_keys: sled::Tree,
    /// `local actor path ++ 0x00 ++ remote actor id -> FollowerRecord`
    pub followers: sled::Tree,
    /// `remote actor id -> FollowingRecord` (what this instance follows)
    pub following: sled::Tree,
    /// `remote video ActivityPub id -> u64 BE video id`
    pub videos_by_url: sled::Tree,
    /// `u64 BE local video id -> FederatedVideo` (what was last sent about it)
    pub federated_videos: sled::Tree,
    /// `remote host[:port] -> HostSignatureRecord` (what a host showed about the
    /// signatures it verifies; see `federation::host_schemes`)
    pub host_signatures: sled::Tree,
    /// `info hash (20 bytes) -> CopyRecord` (complete copies this node holds; see
    /// `replication::copies`)
    pub redundancy_copies: sled::Tree,
    /// `file name -> info hash` (the copy served at `/static/redundancy/{file name}`)
    pub redundancy_copies_by_name: sled::Tree,
    /// `info hash (20 bytes) ++ CacheFile id -> MirrorRecord` (mirrors other instances
    /// announced of files, see `replication::origin_mirrors`)
    pub redundancy_mirrors: sled::Tree,
    /// `CacheFile id -> info hash (20 bytes)`
    pub redundancy_mirrors_by_id: sled::Tree,
    /// `info hash (20 bytes) -> ManualRequest` (copies an administrator asked for, not
    /// complete yet; see `replication::strategies`)
    pub redundancy_manual: sled::Tree,
    /// `video uuid (16 bytes) -> HoldRecord` (a redundancy strategy's claim on a video and
    /// its expiry; see `replication::strategies`)
    pub redundancy_holds: sled::Tree,
    /// `u64 BE video id -> [(unix secs, views)]` (for the trending strategy)
    pub redundancy_view_samples: sled::Tree,
    /// `info hash (20 bytes) -> AnnouncedCopy` (the CacheFiles this node sent about its
    /// own copies, see `activitypub::cache_files`)
    pub redundancy_announced: sled::Tree,
    /// `info hash (20 bytes) -> ProgressRecord` (unfinished mirror jobs and their verified
    /// pieces; see `replication::mirror::progress`)
    pub mirror_progress: sled::Tree,
}

/// How long [`Store::open`] waits for another handle to release sled's lock.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// sled reports a held lock as an I/O error wrapping `WouldBlock`.
fn is_lock_held(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    ///
    /// sled holds an exclusive file lock while any handle is alive. A previous run in
    /// this process (actors finishing their last drop after shutdown) or a previous
    /// process still exiting can hold it for a moment, so a held lock is retried for up
    /// to [`LOCK_WAIT`] before giving up with sled's error.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let started = std::time::Instant::now();
        let db = loop {
            match sled::Config::new().path(dir).open() {
                Ok(db) => break db,
                Err(sled::Error::Io(e)) if is_lock_held(&e) && started.elapsed() < LOCK_WAIT => {
                    tracing::info!(path = %dir.display(), "database locked by another handle; waiting");
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(e.into()),
            }
        };
        Ok(Store {
            users: db.open_tree(tree::USERS)?,
            users_by_name: db.open_tree(tree::USERS_BY_NAME)?,
            channels: db.open_tree(tree::CHANNELS)?,
            channels_by_name: db.open_tree(tree::CHANNELS_BY_NAME)?,
            tokens: db.open_tree(tree::TOKENS)?,
            refresh_tokens: db.open_tree(tree::REFRESH_TOKENS)?,
            oauth: db.open_tree(tree::OAUTH)?,
            videos: db.open_tree(tree::VIDEOS)?,
            videos_by_uuid: db.open_tree(tree::VIDEOS_BY_UUID)?,
            videos_by_short: db.open_tree(tree::VIDEOS_BY_SHORT)?,
            videos_by_info_hash: db.open_tree(tree::VIDEOS_BY_INFO_HASH)?,
            jobs: db.open_tree(tree::JOBS)?,
            deliveries: db.open_tree(tree::DELIVERIES)?,
            comments: db.open_tree(tree::COMMENTS)?,
            comments_by_video: db.open_tree(tree::COMMENTS_BY_VIDEO)?,
            comments_by_url: db.open_tree(tree::COMMENTS_BY_URL)?,
            ratings: db.open_tree(tree::RATINGS)?,
            meta: db.open_tree(tree::META)?,
            actor_keys: db.open_tree(tree::ACTOR_KEYS)?,
            remote_actors: db.open_tree(tree::REMOTE_ACTORS)?,
            remote_actor_keys: db.open_tree(tree::REMOTE_ACTOR_KEYS)?,
            followers: db.open_tree(tree::FOLLOWERS)?,
            following: db.open_tree(tree::FOLLOWING)?,
            videos_by_url: db.open_tree(tree::VIDEOS_BY_URL)?,
            federated_videos: db.open_tree(tree::FEDERATED_VIDEOS)?,
            host_signatures: db.open_tree(tree::HOST_SIGNATURES)?,
            redundancy_copies: db.open_tree(tree::REDUNDANCY_COPIES)?,
            redundancy_copies_by_name: db.open_tree(tree::REDUNDANCY_COPIES_BY_NAME)?,
            redundancy_mirrors: db.open_tree(tree::REDUNDANCY_MIRRORS)?,
            redundancy_mirrors_by_id: db.open_tree(tree::REDUNDANCY_MIRRORS_BY_ID)?,
            redundancy_manual: db.open_tree(tree::REDUNDANCY_MANUAL)?,
            redundancy_holds: db.open_tree(tree::REDUNDANCY_HOLDS)?,
            redundancy_view_samples: db.open_tree(tree::REDUNDANCY_VIEW_SAMPLES)?,
            redundancy_announced: db.open_tree(tree::REDUNDANCY_ANNOUNCED)?,
            mirror_progress: db.open_tree(tree::MIRROR_PROGRESS)?,
            db,
        })
    }

    /// Allocates the next value of a counter (1, 2, 3, ...). Durable once sled flushes;
    /// a crash may skip numbers but never reuses one that was handed out and stored.
    pub fn next_id(&self, counter: &str) -> Result<u64, StoreError> {
        let updated = self.meta.update_and_fetch(counter, |old| {
            let current = old.and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes);
            Some(current.unwrap_or(0).saturating_add(1).to_be_bytes().to_vec())
        })?;
        match updated {
            Some(bytes) => keys::read_id(tree::META, &bytes),
            None => Err(StoreError::Decode { tree: tree::META, reason: format!("{counter} vanished") }),
        }
    }

    /// Writes every dirty buffer to disk.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        Ok(())
    }

    /// Writes every dirty buffer to disk, blocking.
    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

/// Reads and decodes one record.
pub fn get<T: DeserializeOwned>(
    t: &sled::Tree,
    name: &'static str,
    key: impl AsRef<[u8]>,
) -> Result<Option<T>, StoreError> {
    match t.get(key)? {
        Some(bytes) => codec::decode(name, &bytes).map(Some),
        None => Ok(None),
    }
}

/// Encodes and writes one record.
pub fn put<T: Serialize>(t: &sled::Tree, key: impl AsRef<[u8]>, value: &T) -> Result<(), StoreError> {
    t.insert(key.as_ref(), codec::encode(value)?)?;
    Ok(())
}

/// Maps a multi-tree transaction's error, where aborts carry `E`.
pub fn transaction_error<E: From<StoreError>>(err: sled::transaction::TransactionError<E>) -> E {
    match err {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => E::from(StoreError::Sled(e)),
    }
}
