//! The copies of other nodes' video files this node holds: one [`CopyRecord`] per file in
//! the sled tree `redundancy_copies` (keyed by the 20-byte info hash), with an index
//! `redundancy_copies_by_name` (file name -> info hash) for the web seed at
//! `/static/redundancy/{filename}`. A record exists only for a complete, verified copy
//! at [`copy_path`]; the mirror job writes it after the file is renamed into place.

use crate::store::{self, codec, tree, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The folder under `media/` that holds mirrored copies.
pub const REDUNDANCY_DIR: &str = "redundancy";
/// The folder under [`REDUNDANCY_DIR`] where files are assembled before the rename.
pub const PART_DIR: &str = ".part";

/// Why this node holds a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopyReason {
    /// Placement among the trusted members named this node.
    Placement,
    /// One of PeerTube's strategies (`most-views`, `trending`, `recently-added`).
    Strategy(crate::config::StrategyKind),
    /// An administrator asked for it (`POST /api/v1/server/redundancy/videos`).
    Manual,
}

/// One complete, verified copy held by this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyRecord {
    /// SHA-1 info hash of the file's torrent.
    pub info_hash: [u8; 20],
    pub video_uuid: Uuid,
    /// The video's ActivityPub id on its origin.
    pub video_url: String,
    /// The origin's host (`host[:port]`).
    pub origin_host: String,
    /// File name under `media/redundancy/` (the origin's file name).
    pub filename: String,
    /// Bytes.
    pub size: u64,
    /// Unix seconds when the copy completed.
    pub created_at: u64,
    pub reason: CopyReason,
}

impl CopyRecord {
    /// The info hash as 40 lowercase hex digits.
    pub fn info_hash_hex(&self) -> String {
        hex::encode(self.info_hash)
    }
}

/// `media/redundancy`.
pub fn redundancy_dir(media_dir: &Path) -> PathBuf {
    media_dir.join(REDUNDANCY_DIR)
}

/// Where a complete copy lives: `media/redundancy/{filename}`.
pub fn copy_path(media_dir: &Path, filename: &str) -> PathBuf {
    redundancy_dir(media_dir).join(filename)
}

/// Where the copy's `.torrent` is kept (for members that fetch it from this node):
/// `media/redundancy/{filename}.torrent`. Never served by the web seed route, which only
/// serves video extensions.
pub fn torrent_path(media_dir: &Path, filename: &str) -> PathBuf {
    redundancy_dir(media_dir).join(format!("{filename}.torrent"))
}

/// Where a copy is assembled: `media/redundancy/.part/{filename}`.
pub fn part_path(media_dir: &Path, filename: &str) -> PathBuf {
    redundancy_dir(media_dir).join(PART_DIR).join(filename)
}

/// Where the copy's torrent is staged before its rename: `media/redundancy/.part/{filename}.torrent`.
pub fn staged_torrent_path(media_dir: &Path, filename: &str) -> PathBuf {
    redundancy_dir(media_dir).join(PART_DIR).join(format!("{filename}.torrent"))
}

/// The public URL of a copy: `{public_url}/static/redundancy/{filename}`.
pub fn copy_url(public_url: &str, filename: &str) -> String {
    shoal_protocol::media_layout::MediaUrls::new(public_url).redundancy_copy(filename)
}

/// Whether `name` is safe as a file name in the redundancy folder: 1..=200 of
/// `[A-Za-z0-9._-]`, no `..`, not starting with a dot (the web seed's rule).
pub fn is_safe_filename(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && !name.contains("..")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The copies store as a handle (what the web edge and the lead's actors hold). Cheap to
/// clone.
#[derive(Clone)]
pub struct Copies {
    store: Store,
}

impl Copies {
    pub fn new(store: Store) -> Copies {
        Copies { store }
    }

    /// See [`put`].
    pub fn put(&self, record: &CopyRecord) -> Result<(), StoreError> {
        put(&self.store, record)
    }

    /// See [`get`].
    pub fn get(&self, info_hash: &[u8; 20]) -> Result<Option<CopyRecord>, StoreError> {
        get(&self.store, info_hash)
    }

    /// See [`by_filename`].
    pub fn by_filename(&self, filename: &str) -> Result<Option<CopyRecord>, StoreError> {
        by_filename(&self.store, filename)
    }

    /// See [`list`].
    pub fn list(&self) -> Result<Vec<CopyRecord>, StoreError> {
        list(&self.store)
    }

    /// See [`remove`].
    pub fn remove(&self, info_hash: &[u8; 20]) -> Result<Option<CopyRecord>, StoreError> {
        remove(&self.store, info_hash)
    }

    /// The path and size of the complete copy of `info_hash`, when it is recorded and the
    /// file on disk has the recorded size (what members may be served; the transport's
    /// `FileResolver::complete_file`).
    pub fn complete_file(&self, media_dir: &Path, info_hash: &[u8; 20]) -> Option<(PathBuf, u64)> {
        let copy = self.get(info_hash).ok().flatten()?;
        let path = copy_path(media_dir, &copy.filename);
        let len = std::fs::metadata(&path).ok().filter(|m| m.is_file())?.len();
        (len == copy.size).then_some((path, len))
    }

    /// The kept `.torrent` of the copy of `info_hash` (`FileResolver::torrent`).
    pub fn torrent(&self, media_dir: &Path, info_hash: &[u8; 20]) -> Option<Vec<u8>> {
        let copy = self.get(info_hash).ok().flatten()?;
        std::fs::read(torrent_path(media_dir, &copy.filename)).ok()
    }
}

/// Writes (or replaces) a copy and its name index.
pub fn put(store: &Store, record: &CopyRecord) -> Result<(), StoreError> {
    if let Some(old) = get(store, &record.info_hash)? {
        if old.filename != record.filename {
            store.redundancy_copies_by_name.remove(old.filename.as_bytes())?;
        }
    }
    store::put(&store.redundancy_copies, record.info_hash, record)?;
    store.redundancy_copies_by_name.insert(record.filename.as_bytes(), &record.info_hash[..])?;
    Ok(())
}

/// The copy of `info_hash`, if this node holds one.
pub fn get(store: &Store, info_hash: &[u8; 20]) -> Result<Option<CopyRecord>, StoreError> {
    store::get(&store.redundancy_copies, tree::REDUNDANCY_COPIES, info_hash)
}

/// The copy served as `filename`, if this node holds one.
pub fn by_filename(store: &Store, filename: &str) -> Result<Option<CopyRecord>, StoreError> {
    let Some(hash) = store.redundancy_copies_by_name.get(filename.as_bytes())? else {
        return Ok(None);
    };
    let Ok(hash) = <[u8; 20]>::try_from(hash.as_ref()) else {
        return Err(StoreError::Decode {
            tree: tree::REDUNDANCY_COPIES_BY_NAME,
            reason: format!("info hash of {} bytes", hash.len()),
        });
    };
    Ok(get(store, &hash)?.filter(|c| c.filename == filename))
}

/// Every copy, by info hash.
pub fn list(store: &Store) -> Result<Vec<CopyRecord>, StoreError> {
    let mut all = Vec::new();
    for entry in store.redundancy_copies.iter() {
        let (_, bytes) = entry?;
        all.push(codec::decode(tree::REDUNDANCY_COPIES, &bytes)?);
    }
    Ok(all)
}

/// Removes a copy's record and index entry; returns it if there was one. The files are
/// the caller's (see [`remove_files`]).
pub fn remove(store: &Store, info_hash: &[u8; 20]) -> Result<Option<CopyRecord>, StoreError> {
    let old = get(store, info_hash)?;
    store.redundancy_copies.remove(info_hash)?;
    if let Some(old) = &old {
        let indexed = store.redundancy_copies_by_name.get(old.filename.as_bytes())?;
        if indexed.as_deref() == Some(&info_hash[..]) {
            store.redundancy_copies_by_name.remove(old.filename.as_bytes())?;
        }
    }
    Ok(old)
}

/// Deletes a copy's file and torrent, and any partial file (missing ones are fine). An
/// unsafe name (see [`is_safe_filename`]) deletes nothing.
pub fn remove_files(media_dir: &Path, filename: &str) {
    if !is_safe_filename(filename) {
        return;
    }
    remove_paths(&[copy_path(media_dir, filename), torrent_path(media_dir, filename)]);
    remove_partial_files(media_dir, filename);
}

/// Deletes an unfinished job's partial file and staged torrent (missing ones are fine).
pub fn remove_partial_files(media_dir: &Path, filename: &str) {
    if !is_safe_filename(filename) {
        return;
    }
    remove_paths(&[part_path(media_dir, filename), staged_torrent_path(media_dir, filename)]);
}

fn remove_paths(paths: &[PathBuf]) {
    for path in paths {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "removing a redundancy file failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(hash: u8, filename: &str) -> CopyRecord {
        CopyRecord {
            info_hash: [hash; 20],
            video_uuid: Uuid::from_u128(u128::from(hash)),
            video_url: format!("https://origin.example/videos/watch/{hash}"),
            origin_host: "origin.example".into(),
            filename: filename.into(),
            size: 1234,
            created_at: 1_700_000_000,
            reason: CopyReason::Placement,
        }
    }

    #[test]
    fn put_get_list_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = record(1, "a-360.mp4");
        let b = CopyRecord {
            reason: CopyReason::Strategy(crate::config::StrategyKind::Trending),
            ..record(2, "b-720.mp4")
        };
        put(&store, &a).unwrap();
        put(&store, &b).unwrap();
        assert_eq!(get(&store, &[1; 20]).unwrap(), Some(a.clone()));
        assert_eq!(by_filename(&store, "b-720.mp4").unwrap(), Some(b.clone()));
        assert_eq!(by_filename(&store, "c.mp4").unwrap(), None);
        assert_eq!(list(&store).unwrap(), vec![a.clone(), b.clone()]);
        assert_eq!(remove(&store, &[1; 20]).unwrap(), Some(a));
        assert_eq!(get(&store, &[1; 20]).unwrap(), None);
        assert_eq!(by_filename(&store, "a-360.mp4").unwrap(), None);
        assert_eq!(remove(&store, &[1; 20]).unwrap(), None);
        assert_eq!(list(&store).unwrap(), vec![b]);
    }

    #[test]
    fn complete_file_needs_the_record_and_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir_all(redundancy_dir(&media)).unwrap();
        let copies = Copies::new(store);
        let r = record(4, "d-360.mp4");
        std::fs::write(copy_path(&media, &r.filename), vec![1u8; 1234]).unwrap();
        assert_eq!(copies.complete_file(&media, &r.info_hash), None, "no record yet");
        copies.put(&r).unwrap();
        assert_eq!(copies.complete_file(&media, &r.info_hash), Some((copy_path(&media, &r.filename), 1234)));
        assert_eq!(copies.torrent(&media, &r.info_hash), None);
        std::fs::write(torrent_path(&media, &r.filename), b"d8:announce0:e").unwrap();
        assert_eq!(copies.torrent(&media, &r.info_hash).as_deref(), Some(&b"d8:announce0:e"[..]));
        std::fs::write(copy_path(&media, &r.filename), vec![1u8; 10]).unwrap();
        assert_eq!(copies.complete_file(&media, &r.info_hash), None, "truncated file");
    }

    #[test]
    fn renaming_a_copy_moves_its_index_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        put(&store, &record(3, "old.mp4")).unwrap();
        put(&store, &record(3, "new.mp4")).unwrap();
        assert_eq!(by_filename(&store, "old.mp4").unwrap(), None);
        assert_eq!(by_filename(&store, "new.mp4").unwrap().map(|c| c.info_hash), Some([3; 20]));
    }

    #[test]
    fn unsafe_names_are_refused() {
        for bad in ["", ".part", "../x.mp4", "a/b.mp4", "a..b.mp4", "a b.mp4"] {
            assert!(!is_safe_filename(bad), "{bad:?}");
        }
        assert!(is_safe_filename("0b1c-360.mp4"));
    }
}
