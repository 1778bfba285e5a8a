//! Video records in sled: look-ups by id, uuid or shortUUID, atomic creation (record,
//! indexes and transcode jobs in one transaction), read-modify-write updates that never
//! resurrect a deleted video, and deletion.

use super::record::{VideoKey, VideoRecord};
use crate::store::{self, codec, keys, tree, Store, StoreError};
use crate::transcode::queue::JobRecord;
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;
use uuid::Uuid;

/// The id a key names, if such a video exists.
pub fn resolve_id(store: &Store, key: &VideoKey) -> Result<Option<u64>, StoreError> {
    let index = match key {
        VideoKey::Id(id) => return Ok(Some(*id)),
        VideoKey::Uuid(uuid) => store.videos_by_uuid.get(uuid.as_bytes())?,
        VideoKey::ShortUuid(short) => store.videos_by_short.get(short.as_bytes())?,
    };
    match index {
        Some(bytes) => Ok(Some(keys::read_id(tree::VIDEOS_BY_UUID, &bytes)?)),
        None => Ok(None),
    }
}

/// The video with this id.
pub fn load(store: &Store, id: u64) -> Result<Option<VideoRecord>, StoreError> {
    store::get(&store.videos, tree::VIDEOS, keys::id_key(id))
}

/// The video a key names.
pub fn load_by_key(store: &Store, key: &VideoKey) -> Result<Option<VideoRecord>, StoreError> {
    match resolve_id(store, key)? {
        Some(id) => load(store, id),
        None => Ok(None),
    }
}

/// The video with this uuid.
pub fn load_by_uuid(store: &Store, uuid: Uuid) -> Result<Option<VideoRecord>, StoreError> {
    load_by_key(store, &VideoKey::Uuid(uuid))
}

/// Stores a new video with its indexes and its transcode jobs, all or nothing.
pub fn insert_with_jobs(store: &Store, record: &VideoRecord, jobs: &[JobRecord]) -> Result<(), StoreError> {
    let bytes = codec::encode(record)?;
    let mut job_entries = Vec::with_capacity(jobs.len());
    for job in jobs {
        job_entries.push((job.key(), codec::encode(job)?));
    }
    let id = keys::id_key(record.id);
    (&store.videos, &store.videos_by_uuid, &store.videos_by_short, &store.jobs)
        .transaction(|(videos, by_uuid, by_short, queue)| {
            videos.insert(&id, bytes.as_slice())?;
            by_uuid.insert(record.uuid.as_bytes(), &id)?;
            by_short.insert(record.short_uuid.as_bytes(), &id)?;
            for (key, value) in &job_entries {
                queue.insert(key, value.as_slice())?;
            }
            Ok::<(), ConflictableTransactionError<StoreError>>(())
        })
        .map_err(store::transaction_error)
}

/// Applies `change` to the stored record and writes it back with compare-and-swap,
/// retrying if another writer got in between. Returns the new record, or `None` when the
/// video no longer exists (it is never recreated).
pub fn update(
    store: &Store,
    id: u64,
    mut change: impl FnMut(&mut VideoRecord),
) -> Result<Option<VideoRecord>, StoreError> {
    let key = keys::id_key(id);
    loop {
        let Some(current) = store.videos.get(key)? else { return Ok(None) };
        let mut record: VideoRecord = codec::decode(tree::VIDEOS, &current)?;
        change(&mut record);
        let next = codec::encode(&record)?;
        match store.videos.compare_and_swap(key, Some(&current), Some(next))? {
            Ok(()) => {
                index_info_hashes(store, &record)?;
                return Ok(Some(record));
            }
            Err(_) => continue,
        }
    }
}

/// The 20-byte info-hashes of a video's files and of its HLS streams.
fn info_hashes(record: &VideoRecord) -> impl Iterator<Item = [u8; 20]> + '_ {
    let files = record.files.iter().map(|f| &f.info_hash);
    files.chain(&record.hls_swarms).filter_map(|hash| hex::decode(hash).ok()?.try_into().ok())
}

/// Records the video's file info-hashes in the tracker's index. Files are only ever
/// added to a live video, and removed with it, so adding is all an update needs; the
/// index is rebuilt at start-up ([`rebuild_info_hash_index`]) in case a crash fell
/// between the record and its index entries.
fn index_info_hashes(store: &Store, record: &VideoRecord) -> Result<(), StoreError> {
    let id = keys::id_key(record.id);
    for hash in info_hashes(record) {
        store.videos_by_info_hash.insert(hash, &id)?;
    }
    Ok(())
}

/// The id of the video that has a file with this info-hash.
pub fn video_for_info_hash(store: &Store, info_hash: &[u8; 20]) -> Result<Option<u64>, StoreError> {
    match store.videos_by_info_hash.get(info_hash)? {
        Some(bytes) => Ok(Some(keys::read_id(tree::VIDEOS_BY_INFO_HASH, &bytes)?)),
        None => Ok(None),
    }
}

/// Rebuilds the info-hash index from the video records; returns the number of entries.
pub fn rebuild_info_hash_index(store: &Store) -> Result<usize, StoreError> {
    store.videos_by_info_hash.clear()?;
    let mut entries = 0;
    for record in all(store) {
        let record = record?;
        index_info_hashes(store, &record)?;
        entries += record.files.len();
    }
    Ok(entries)
}

/// Removes a video's record and indexes.
pub fn remove(store: &Store, record: &VideoRecord) -> Result<(), StoreError> {
    for hash in info_hashes(record) {
        store.videos_by_info_hash.remove(hash)?;
    }
    let id = keys::id_key(record.id);
    (&store.videos, &store.videos_by_uuid, &store.videos_by_short)
        .transaction(|(videos, by_uuid, by_short)| {
            videos.remove(&id)?;
            by_uuid.remove(record.uuid.as_bytes())?;
            by_short.remove(record.short_uuid.as_bytes())?;
            Ok::<(), ConflictableTransactionError<StoreError>>(())
        })
        .map_err(store::transaction_error)
}

/// Every video, in id (creation) order.
pub fn all(store: &Store) -> impl Iterator<Item = Result<VideoRecord, StoreError>> + '_ {
    store.videos.iter().map(|entry| {
        let (_, bytes) = entry?;
        codec::decode(tree::VIDEOS, &bytes)
    })
}
