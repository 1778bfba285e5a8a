//! Comment records in sled: the record by id, a per-video index in creation order and a
//! url index. New comments are written to all three in one transaction, which also
//! refuses a url that is already known (so remote deliveries are idempotent).

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::comment::CommentRecord;
use crate::store::{self, codec, keys, tree, Store, StoreError};

/// Result of [`insert_new`].
pub enum Inserted {
    Stored,
    /// Another comment already has this url.
    UrlTaken,
}

/// Stores a new comment and its indexes, unless its url is already taken.
pub fn insert_new(store: &Store, record: &CommentRecord) -> Result<Inserted, StoreError> {
    let bytes = codec::encode(record)?;
    let id = keys::id_key(record.id);
    let by_video = keys::video_comment_key(record.video_id, record.id);
    let result =
        (&store.comments, &store.comments_by_video, &store.comments_by_url).transaction(|(comments, index, urls)| {
            if urls.get(record.url.as_bytes())?.is_some() {
                return Err(ConflictableTransactionError::Abort(()));
            }
            comments.insert(&id, bytes.as_slice())?;
            index.insert(&by_video, &[])?;
            urls.insert(record.url.as_bytes(), &id)?;
            Ok(())
        });
    match result {
        Ok(()) => Ok(Inserted::Stored),
        Err(TransactionError::Abort(())) => Ok(Inserted::UrlTaken),
        Err(TransactionError::Storage(e)) => Err(e.into()),
    }
}

/// Overwrites an existing comment (edits and soft deletes; indexes do not change).
pub fn save(store: &Store, record: &CommentRecord) -> Result<(), StoreError> {
    store::put(&store.comments, keys::id_key(record.id), record)
}

/// The comment with this id.
pub fn load(store: &Store, id: u64) -> Result<Option<CommentRecord>, StoreError> {
    store::get(&store.comments, tree::COMMENTS, keys::id_key(id))
}

/// The comment with this ActivityPub id.
pub fn load_by_url(store: &Store, url: &str) -> Result<Option<CommentRecord>, StoreError> {
    match store.comments_by_url.get(url.as_bytes())? {
        Some(id) => load(store, keys::read_id(tree::COMMENTS_BY_URL, &id)?),
        None => Ok(None),
    }
}

/// Every comment of a video, oldest first. Index entries whose record is missing (a crash
/// cannot leave one, the transaction writes both, but a damaged store might) are skipped.
pub fn of_video(store: &Store, video_id: u64) -> Result<Vec<CommentRecord>, StoreError> {
    let mut out = Vec::new();
    for entry in store.comments_by_video.scan_prefix(video_id.to_be_bytes()) {
        let (key, _) = entry?;
        let id = keys::read_id(tree::COMMENTS_BY_VIDEO, key.get(8..).unwrap_or_default())?;
        if let Some(record) = load(store, id)? {
            out.push(record);
        }
    }
    Ok(out)
}

/// The number of comments stored for a video (tests and diagnostics).
pub fn count_of_video(store: &Store, video_id: u64) -> usize {
    store.comments_by_video.scan_prefix(video_id.to_be_bytes()).count()
}

/// Removes every comment of a video with its index entries (the video is being deleted).
/// Returns how many were removed.
pub fn remove_of_video(store: &Store, video_id: u64) -> Result<usize, StoreError> {
    let comments = of_video(store, video_id)?;
    for comment in &comments {
        store.comments_by_url.remove(comment.url.as_bytes())?;
        store.comments.remove(keys::id_key(comment.id))?;
        store.comments_by_video.remove(keys::video_comment_key(video_id, comment.id))?;
    }
    // Index entries whose record was already gone.
    for entry in store.comments_by_video.scan_prefix(video_id.to_be_bytes()) {
        let (key, _) = entry?;
        store.comments_by_video.remove(key)?;
    }
    Ok(comments.len())
}
