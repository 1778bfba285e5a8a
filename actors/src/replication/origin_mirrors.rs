//! The mirrors other instances announced with ActivityPub `CacheFile`s: of this node's
//! videos (so the origin lists them in `redundancies`, the torrents' `url-list` and the
//! watch page), and of remote videos this node knows (PeerTube stores those too).
//!
//! sled tree `redundancy_mirrors`: `info hash (20 bytes) ++ CacheFile id -> MirrorRecord`
//! (a file's mirrors are one prefix scan), and `redundancy_mirrors_by_id`:
//! `CacheFile id -> info hash` (Update and Undo name the CacheFile). Only the actor that
//! announced a mirror may update or remove it. Expired entries are never listed.

use crate::store::{self, tree, Store, StoreError};
use serde::{Deserialize, Serialize};

/// One announced mirror of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorRecord {
    /// SHA-1 info hash of the file's torrent.
    pub info_hash: [u8; 20],
    /// The video's ActivityPub id.
    pub video_url: String,
    /// The `CacheFile` id (`{mirror}/redundancy/videos/...`).
    pub cache_file_id: String,
    /// Where the mirror serves the file (`{mirror}/static/redundancy/{filename}`).
    pub file_url: String,
    /// The actor that announced it (the mirror's instance actor).
    pub mirror_actor: String,
    /// `host[:port]` of the mirror.
    pub mirror_host: String,
    /// Unix seconds after which the copy is not listed; `None`: no expiry.
    pub expires_at: Option<i64>,
    /// Unix seconds of the first announcement.
    pub created_at: u64,
    /// Unix seconds of the last Create or Update.
    pub updated_at: u64,
}

impl MirrorRecord {
    /// Whether the copy has expired at unix second `now`.
    pub fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// What [`upsert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

/// Failures of the mirror table.
#[derive(Debug, thiserror::Error)]
pub enum MirrorsError {
    /// Another actor than the one that announced the CacheFile tried to change it
    /// (PeerTube: "Cannot update redundancy ... of another actor").
    #[error("CacheFile {id} was announced by {owner}, not {actor}")]
    NotOwner { id: String, owner: String, actor: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sled::Error> for MirrorsError {
    fn from(err: sled::Error) -> Self {
        MirrorsError::Store(StoreError::Sled(err))
    }
}

fn key(info_hash: &[u8; 20], cache_file_id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(20 + cache_file_id.len());
    key.extend_from_slice(info_hash);
    key.extend_from_slice(cache_file_id.as_bytes());
    key
}

/// The record of CacheFile `id`, if known.
pub fn by_id(store: &Store, id: &str) -> Result<Option<MirrorRecord>, StoreError> {
    let Some(hash) = store.redundancy_mirrors_by_id.get(id.as_bytes())? else {
        return Ok(None);
    };
    let Ok(hash) = <[u8; 20]>::try_from(hash.as_ref()) else {
        return Err(StoreError::Decode {
            tree: tree::REDUNDANCY_MIRRORS_BY_ID,
            reason: "info hash of a wrong length".into(),
        });
    };
    store::get(&store.redundancy_mirrors, tree::REDUNDANCY_MIRRORS, key(&hash, id))
}

/// Creates the mirror, or updates it (new `expires`, file URL, even file) when its
/// CacheFile id is known; only its announcer may update it. Keeps `created_at`.
pub fn upsert(store: &Store, mut record: MirrorRecord) -> Result<Upserted, MirrorsError> {
    let outcome = match by_id(store, &record.cache_file_id)? {
        Some(old) => {
            if old.mirror_actor != record.mirror_actor {
                return Err(MirrorsError::NotOwner {
                    id: record.cache_file_id,
                    owner: old.mirror_actor,
                    actor: record.mirror_actor,
                });
            }
            if old.info_hash != record.info_hash {
                store.redundancy_mirrors.remove(key(&old.info_hash, &old.cache_file_id))?;
            }
            record.created_at = old.created_at;
            Upserted::Updated
        }
        None => Upserted::Created,
    };
    store::put(&store.redundancy_mirrors, key(&record.info_hash, &record.cache_file_id), &record)?;
    store.redundancy_mirrors_by_id.insert(record.cache_file_id.as_bytes(), &record.info_hash[..])?;
    Ok(outcome)
}

/// Removes CacheFile `id` announced by `actor`; `None` when unknown.
pub fn remove(store: &Store, id: &str, actor: &str) -> Result<Option<MirrorRecord>, MirrorsError> {
    let Some(old) = by_id(store, id)? else {
        return Ok(None);
    };
    if old.mirror_actor != actor {
        return Err(MirrorsError::NotOwner { id: id.to_string(), owner: old.mirror_actor, actor: actor.to_string() });
    }
    store.redundancy_mirrors.remove(key(&old.info_hash, id))?;
    store.redundancy_mirrors_by_id.remove(id.as_bytes())?;
    Ok(Some(old))
}

/// The record id of one fragmented MP4 of an HLS playlist CacheFile `id` (PeerTube's
/// `/redundancy/streaming-playlists/hls/{uuid}` covers every resolution): `{id}#{res}`.
pub fn playlist_file_id(id: &str, resolution: u32) -> String {
    format!("{id}#{resolution}")
}

/// Removes every file record of playlist CacheFile `id` announced by `actor`; how many.
pub fn remove_playlist(store: &Store, id: &str, actor: &str) -> Result<usize, MirrorsError> {
    let prefix = format!("{id}#");
    let ids: Vec<String> = store
        .redundancy_mirrors_by_id
        .scan_prefix(prefix.as_bytes())
        .keys()
        .filter_map(|k| k.ok().and_then(|k| String::from_utf8(k.to_vec()).ok()))
        .collect();
    let mut removed = 0;
    for file_id in ids {
        if remove(store, &file_id, actor)?.is_some() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// The live (not expired at unix second `now`) mirrors of a file, oldest first.
pub fn mirrors_of(store: &Store, info_hash: &[u8; 20], now: i64) -> Result<Vec<MirrorRecord>, StoreError> {
    let mut out = Vec::new();
    for entry in store.redundancy_mirrors.scan_prefix(info_hash) {
        let (_, value) = entry?;
        let record: MirrorRecord = store::codec::decode(tree::REDUNDANCY_MIRRORS, &value)?;
        if !record.expired(now) {
            out.push(record);
        }
    }
    out.sort_by(|a, b| (a.created_at, &a.file_url).cmp(&(b.created_at, &b.file_url)));
    Ok(out)
}

/// The URLs of the live mirrors of the file with hex info hash `info_hash_hex`, without
/// duplicates; empty for a malformed hash or on a store error (logged): listing mirrors
/// never fails a page.
pub fn mirror_urls(store: &Store, info_hash_hex: &str, now: i64) -> Vec<String> {
    let Some(hash) = parse_info_hash(info_hash_hex) else {
        return Vec::new();
    };
    match mirrors_of(store, &hash, now) {
        Ok(records) => {
            let mut urls: Vec<String> = Vec::with_capacity(records.len());
            for record in records {
                if !urls.contains(&record.file_url) {
                    urls.push(record.file_url);
                }
            }
            urls
        }
        Err(err) => {
            tracing::warn!(error = %err, info_hash = info_hash_hex, "reading the mirrors of a file failed");
            Vec::new()
        }
    }
}

/// 40 hex digits as 20 bytes.
pub fn parse_info_hash(hex_text: &str) -> Option<[u8; 20]> {
    let bytes = hex::decode(hex_text).ok()?;
    <[u8; 20]>::try_from(bytes.as_slice()).ok()
}

/// Removes every expired mirror; returns how many.
pub fn purge_expired(store: &Store, now: i64) -> Result<usize, StoreError> {
    let mut removed = 0;
    for entry in store.redundancy_mirrors.iter() {
        let (key, value) = entry?;
        let record: MirrorRecord = store::codec::decode(tree::REDUNDANCY_MIRRORS, &value)?;
        if record.expired(now) {
            store.redundancy_mirrors.remove(key)?;
            store.redundancy_mirrors_by_id.remove(record.cache_file_id.as_bytes())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(hash: u8, id: &str, actor: &str, expires_at: Option<i64>) -> MirrorRecord {
        MirrorRecord {
            info_hash: [hash; 20],
            video_url: "https://o.example/videos/watch/u".into(),
            cache_file_id: id.into(),
            file_url: format!("{id}.mp4"),
            mirror_actor: actor.into(),
            mirror_host: "m.example".into(),
            expires_at,
            created_at: 1,
            updated_at: 1,
        }
    }

    #[test]
    fn create_update_undo_and_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = "https://m.example/accounts/peertube";
        assert_eq!(upsert(&store, record(1, "https://m.example/r/1", a, Some(100))).unwrap(), Upserted::Created);
        assert_eq!(
            upsert(&store, record(1, "https://n.example/r/2", "https://n.example/a", None)).unwrap(),
            Upserted::Created
        );
        assert_eq!(upsert(&store, record(2, "https://m.example/r/3", a, None)).unwrap(), Upserted::Created);
        assert_eq!(mirrors_of(&store, &[1; 20], 50).unwrap().len(), 2);
        // expired: not listed
        assert_eq!(mirrors_of(&store, &[1; 20], 100).unwrap().len(), 1);
        // an update extends it, and keeps created_at
        let mut extended = record(1, "https://m.example/r/1", a, Some(1_000));
        extended.created_at = 99;
        assert_eq!(upsert(&store, extended).unwrap(), Upserted::Updated);
        let listed = mirrors_of(&store, &[1; 20], 500).unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().all(|r| r.created_at == 1));
        // another actor may neither update nor remove it
        assert!(matches!(
            upsert(&store, record(1, "https://m.example/r/1", "https://x/a", None)),
            Err(MirrorsError::NotOwner { .. })
        ));
        assert!(matches!(remove(&store, "https://m.example/r/1", "https://x/a"), Err(MirrorsError::NotOwner { .. })));
        assert!(remove(&store, "https://m.example/r/1", a).unwrap().is_some());
        assert!(remove(&store, "https://m.example/r/1", a).unwrap().is_none());
        assert_eq!(mirror_urls(&store, &hex::encode([1u8; 20]), 500), vec!["https://n.example/r/2.mp4".to_string()]);
        assert!(mirror_urls(&store, "zz", 500).is_empty());
        // purge
        upsert(&store, record(3, "https://m.example/r/4", a, Some(10))).unwrap();
        assert_eq!(purge_expired(&store, 20).unwrap(), 1);
        assert!(by_id(&store, "https://m.example/r/4").unwrap().is_none());
    }
}
