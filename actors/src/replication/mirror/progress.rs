//! Per-file progress of mirror jobs in the sled tree `mirror_progress`
//! (`info hash -> ProgressRecord`): the request, which pieces are verified and on disk in
//! the `.part` file (a bitfield, BitTorrent order: piece 0 is the high bit of byte 0),
//! bytes fetched by source kind, and the retry state. A record exists from the moment a
//! mirror is asked until the copy is recorded, the job is given up, or it is dropped, so
//! the supervisor resumes every unfinished transfer at start.
//!
//! A bit is set only after its piece was verified and written. The job checks the marked
//! pieces against their hashes again when it resumes, so a bit whose data did not reach
//! the disk (power loss before the periodic sync) is refetched rather than trusted.

use super::request::{MirrorProgress, MirrorRequest};
use crate::store::{self, codec, tree, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One unfinished mirror job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressRecord {
    pub request: MirrorRequest,
    /// Pieces in the torrent (0 until the torrent was fetched once).
    pub piece_count: u32,
    /// Bytes per piece (0 until known).
    pub piece_length: u32,
    /// The file's length from the torrent (0 until known).
    pub length: u64,
    /// Verified pieces on disk.
    pub verified: Vec<u8>,
    /// Bytes fetched and verified, by source kind (`member`, `web_seed`), over every attempt.
    pub fetched: BTreeMap<String, u64>,
    /// Attempts that failed so far.
    pub failures: u32,
    /// Unix milliseconds before which the job must not start (retry backoff).
    pub not_before_ms: u64,
    pub last_error: Option<String>,
    /// Sources ([`super::PieceSource::id`]) that sent a corrupt piece: never asked again
    /// by this job, whatever the attempt.
    #[serde(default)]
    pub banned_sources: Vec<String>,
}

impl ProgressRecord {
    /// A fresh record: nothing known, nothing fetched.
    pub fn new(request: MirrorRequest) -> ProgressRecord {
        ProgressRecord {
            request,
            piece_count: 0,
            piece_length: 0,
            length: 0,
            verified: Vec::new(),
            fetched: BTreeMap::new(),
            failures: 0,
            not_before_ms: 0,
            last_error: None,
            banned_sources: Vec::new(),
        }
    }

    /// Forgets every verified piece and sets the torrent's geometry.
    pub fn reset(&mut self, piece_count: u32, piece_length: u32, length: u64) {
        self.piece_count = piece_count;
        self.piece_length = piece_length;
        self.length = length;
        self.verified = vec![0; (piece_count as usize).div_ceil(8)];
    }

    /// Whether the geometry is this torrent's.
    pub fn matches(&self, piece_count: u32, piece_length: u32, length: u64) -> bool {
        self.piece_count == piece_count
            && self.piece_length == piece_length
            && self.length == length
            && self.verified.len() == (piece_count as usize).div_ceil(8)
    }

    /// Whether piece `index` is verified.
    pub fn has(&self, index: u32) -> bool {
        self.verified.get(index as usize / 8).is_some_and(|byte| byte & (0x80 >> (index % 8)) != 0)
    }

    /// Marks piece `index` verified (or not).
    pub fn set(&mut self, index: u32, verified: bool) {
        if let Some(byte) = self.verified.get_mut(index as usize / 8) {
            let bit = 0x80 >> (index % 8);
            if verified {
                *byte |= bit;
            } else {
                *byte &= !bit;
            }
        }
    }

    /// Verified pieces.
    pub fn pieces_done(&self) -> u32 {
        (0..self.piece_count).filter(|&i| self.has(i)).count() as u32
    }

    /// Pieces not verified yet, in order.
    pub fn missing(&self) -> Vec<u32> {
        (0..self.piece_count).filter(|&i| !self.has(i)).collect()
    }

    /// Whether every piece is verified (false while the torrent is unknown).
    pub fn is_complete(&self) -> bool {
        self.piece_count > 0 && self.pieces_done() == self.piece_count
    }

    /// Bytes of the verified pieces.
    pub fn bytes_done(&self) -> u64 {
        let piece_length = u64::from(self.piece_length);
        (0..self.piece_count)
            .filter(|&i| self.has(i))
            .map(|i| piece_length.min(self.length.saturating_sub(u64::from(i) * piece_length)))
            .sum()
    }

    /// Adds verified bytes from a source kind.
    pub fn count_fetched(&mut self, kind: &str, bytes: u64) {
        *self.fetched.entry(kind.to_string()).or_insert(0) += bytes;
    }

    /// The status view of this record.
    pub fn status(&self, running: bool) -> MirrorProgress {
        MirrorProgress {
            info_hash: self.request.info_hash_hex(),
            video_uuid: self.request.video_uuid,
            filename: self.request.filename.clone(),
            size: if self.length > 0 { self.length } else { self.request.size },
            pieces_done: self.pieces_done(),
            pieces_total: self.piece_count,
            bytes_done: self.bytes_done(),
            fetched_by_kind: self.fetched.clone(),
            running,
            failures: self.failures,
            last_error: self.last_error.clone(),
        }
    }
}

/// The record of `info_hash`, if a job is unfinished.
pub fn get(store: &Store, info_hash: &[u8; 20]) -> Result<Option<ProgressRecord>, StoreError> {
    store::get(&store.mirror_progress, tree::MIRROR_PROGRESS, info_hash)
}

/// Writes (or rewrites) a record.
pub fn put(store: &Store, record: &ProgressRecord) -> Result<(), StoreError> {
    store::put(&store.mirror_progress, record.request.info_hash, record)
}

/// Removes a record; returns it if there was one.
pub fn remove(store: &Store, info_hash: &[u8; 20]) -> Result<Option<ProgressRecord>, StoreError> {
    let old = get(store, info_hash)?;
    store.mirror_progress.remove(info_hash)?;
    Ok(old)
}

/// Every unfinished job, by info hash.
pub fn all(store: &Store) -> Result<Vec<ProgressRecord>, StoreError> {
    let mut records = Vec::new();
    for entry in store.mirror_progress.iter() {
        let (_, bytes) = entry?;
        records.push(codec::decode(tree::MIRROR_PROGRESS, &bytes)?);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replication::copies::CopyReason;

    fn request() -> MirrorRequest {
        MirrorRequest {
            info_hash: [7; 20],
            video_uuid: uuid::Uuid::from_u128(7),
            video_url: "https://o.example/videos/watch/7".into(),
            origin_host: "o.example".into(),
            filename: "x-360.mp4".into(),
            size: 2_500,
            torrent_url: "https://o.example/lazy-static/torrents/x-360.torrent".into(),
            web_seed_url: "https://o.example/static/web-videos/x-360.mp4".into(),
            reason: CopyReason::Placement,
            repair: false,
        }
    }

    #[test]
    fn bitfield_counts_and_bytes() {
        let mut r = ProgressRecord::new(request());
        assert!(!r.is_complete());
        r.reset(10, 256, 2_500);
        assert_eq!(r.verified.len(), 2);
        r.set(0, true);
        r.set(9, true);
        assert!(r.has(0) && r.has(9) && !r.has(1));
        assert_eq!(r.verified, vec![0x80, 0x40]);
        assert_eq!(r.pieces_done(), 2);
        // Piece 9 is the short last one: 2_500 - 9 * 256 = 196 bytes.
        assert_eq!(r.bytes_done(), 256 + 196);
        r.set(0, false);
        assert_eq!(r.missing(), (0..9).collect::<Vec<_>>());
        for i in 0..10 {
            r.set(i, true);
        }
        assert!(r.is_complete());
        assert_eq!(r.bytes_done(), 2_500);
        r.set(42, true); // past the end: ignored
        assert!(!r.has(42));
        assert!(r.matches(10, 256, 2_500));
        assert!(!r.matches(10, 512, 2_500));
    }

    #[test]
    fn records_round_trip_through_sled() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut r = ProgressRecord::new(request());
        r.reset(3, 1024, 3_000);
        r.set(1, true);
        r.count_fetched("web_seed", 1024);
        put(&store, &r).unwrap();
        assert_eq!(get(&store, &[7; 20]).unwrap(), Some(r.clone()));
        assert_eq!(all(&store).unwrap(), vec![r.clone()]);
        assert_eq!(remove(&store, &[7; 20]).unwrap(), Some(r));
        assert!(all(&store).unwrap().is_empty());
    }
}
