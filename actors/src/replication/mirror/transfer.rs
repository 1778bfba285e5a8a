//! One attempt at one file: get the torrent (from a member if one offers it, else over
//! HTTP, capped) and check it is the asked one; open `media/redundancy/.part/{filename}`;
//! when resuming, check the pieces marked done against their hashes again; fetch the
//! missing pieces a few at a time (members first, web seeds as the fallback), verify each
//! against the torrent, write it at its offset and only then record its bit in sled; when
//! every piece is in, sync, rename into `media/redundancy/{filename}`, record the copy and
//! drop the progress.
//!
//! A piece that does not match its hash is thrown away, counted
//! (`shoal_redundancy_pieces_rejected_total{source_kind}`), its source is dropped for the
//! rest of the attempt and reported ([`MirrorEvent::Misbehaving`]), and the piece is
//! fetched from another source. A source that fails [`SOURCE_ERRORS_IN_ROW`] times in a
//! row is dropped too (without blame).

use super::error::{MirrorError, SourceError};
use super::http::MirrorHttp;
use super::metrics::MirrorMetrics;
use super::progress::{self, ProgressRecord};
use super::request::{MirrorEvent, MirrorRequest};
use super::source::{PieceSource, SourceProvider};
use super::web_seed::WebSeedSource;
use crate::clock::unix_secs;
use crate::replication::copies::{self, CopyRecord};
use crate::store::Store;
use futures::stream::{FuturesUnordered, StreamExt};
use shoal_protocol::torrent::{info_hash_of, Info, Metainfo};
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// Pieces requested at once.
pub const IN_FLIGHT: usize = 4;
/// Consecutive failures after which a source is dropped for the attempt.
pub const SOURCE_ERRORS_IN_ROW: u32 = 3;
/// Times a piece may fail from every remaining source before the attempt fails.
pub const PIECE_ROUNDS: u32 = 3;
/// The `.part` file is synced to disk after this many new bytes (and at the end).
pub const SYNC_EVERY_BYTES: u64 = 16 << 20;
/// How long a member may take to hand over a torrent.
pub const MEMBER_TORRENT_TIMEOUT: Duration = Duration::from_secs(20);

/// What an attempt works with.
pub struct Transfer<'a> {
    pub store: &'a Store,
    pub media_dir: &'a Path,
    pub http: &'a MirrorHttp,
    pub sources: &'a dyn SourceProvider,
    pub metrics: &'a MirrorMetrics,
    pub events: &'a UnboundedSender<MirrorEvent>,
    /// Set by the supervisor to stop the attempt (checked between pieces).
    pub cancel: &'a AtomicBool,
}

/// One source during one attempt.
struct Slot {
    source: Arc<dyn PieceSource>,
    /// 0 for members, 1 for web seeds: lower is asked first.
    tier: u8,
    dropped: bool,
    errors_in_row: u32,
    in_flight: usize,
}

impl Transfer<'_> {
    /// Runs the attempt for the progress record of `info_hash`.
    pub async fn run(&self, info_hash: [u8; 20]) -> Result<CopyRecord, MirrorError> {
        let Some(mut record) = progress::get(self.store, &info_hash)? else {
            return Err(MirrorError::Cancelled);
        };
        let request = record.request.clone();
        if !copies::is_safe_filename(&request.filename) {
            return Err(MirrorError::UnsafeFilename(request.filename.clone()));
        }
        if copies::by_filename(self.store, &request.filename)?.is_some_and(|c| c.info_hash != info_hash) {
            return Err(MirrorError::FilenameTaken(request.filename.clone()));
        }
        let (torrent, metainfo) = self.torrent(&request).await?;
        let info = Arc::new(metainfo.info.clone());
        let piece_count =
            u32::try_from(info.piece_count()).map_err(|_| MirrorError::BadTorrent("too many pieces".into()))?;
        if !record.matches(piece_count, info.piece_length, info.length) {
            record.reset(piece_count, info.piece_length, info.length);
            progress::put(self.store, &record)?;
        }

        let part = copies::part_path(self.media_dir, &request.filename);
        let file = Arc::new(open_part(&part, info.length)?);
        if record.pieces_done() > 0 {
            self.recheck(&file, &info, &part, &mut record).await?;
        }
        let mut slots = self.sources_for(&request, &metainfo);
        self.fetch_missing(&file, &info, &part, &mut record, &mut slots).await?;
        self.finish(file, &torrent, &part, &record).await
    }

    /// The torrent and its parsed form, checked against the request.
    async fn torrent(&self, request: &MirrorRequest) -> Result<(Vec<u8>, Metainfo), MirrorError> {
        let limit = self.http.max_torrent_bytes;
        let offered =
            tokio::time::timeout(MEMBER_TORRENT_TIMEOUT, self.sources.torrent(&request.info_hash)).await.ok().flatten();
        if let Some(bytes) = offered {
            match check_torrent(&bytes, request, limit) {
                Ok(metainfo) => return Ok((bytes, metainfo)),
                Err(e) => tracing::warn!(info_hash = %request.info_hash_hex(), error = %e,
                    "a member offered a torrent that does not fit; fetching it over HTTP"),
            }
        }
        let bytes = self.http.get_capped(&request.torrent_url, limit).await.map_err(|e| match e {
            SourceError::TooLarge { limit } => MirrorError::TorrentTooLarge { limit },
            other => MirrorError::TorrentFetch(other),
        })?;
        let metainfo = check_torrent(&bytes, request, limit)?;
        Ok((bytes.to_vec(), metainfo))
    }

    /// Members first (in the provider's order), then the request's web seed and the
    /// torrent's other `url-list` entries.
    fn sources_for(&self, request: &MirrorRequest, metainfo: &Metainfo) -> Vec<Slot> {
        let slot =
            |source: Arc<dyn PieceSource>, tier| Slot { source, tier, dropped: false, errors_in_row: 0, in_flight: 0 };
        let mut slots: Vec<Slot> =
            self.sources.members_holding(&request.info_hash).into_iter().map(|m| slot(m, 0)).collect();
        let mut urls: Vec<&str> = Vec::new();
        let listed = std::iter::once(request.web_seed_url.as_str()).chain(metainfo.url_list.iter().map(String::as_str));
        for url in listed {
            // A url-list entry ending in `/` names a folder (BEP 19); single-file seeds only.
            if !url.is_empty() && !url.ends_with('/') && !urls.contains(&url) {
                urls.push(url);
            }
        }
        for url in urls {
            let seed = WebSeedSource::new(self.http.clone(), url, metainfo.info.length);
            slots.push(slot(Arc::new(seed), 1));
        }
        slots
    }

    /// Checks the pieces marked done against their hashes; clears those that do not match.
    async fn recheck(
        &self,
        file: &Arc<File>,
        info: &Arc<Info>,
        part: &Path,
        record: &mut ProgressRecord,
    ) -> Result<(), MirrorError> {
        let (file, info, mut checked) = (file.clone(), info.clone(), record.clone());
        let (checked, cleared) = tokio::task::spawn_blocking(move || -> Result<_, MirrorError> {
            let mut cleared = 0u32;
            let mut buf = Vec::new();
            for index in 0..checked.piece_count {
                if !checked.has(index) {
                    continue;
                }
                let size = info.piece_size(index as usize).unwrap_or(0);
                buf.resize(usize::try_from(size).unwrap_or(0), 0);
                let offset = u64::from(index) * u64::from(info.piece_length);
                let ok = file.read_exact_at(&mut buf, offset).is_ok() && info.verify_piece(index as usize, &buf);
                if !ok {
                    checked.set(index, false);
                    cleared += 1;
                }
            }
            Ok((checked, cleared))
        })
        .await
        .map_err(|e| MirrorError::Io {
            action: "rechecking",
            path: part.display().to_string(),
            reason: e.to_string(),
        })??;
        if cleared > 0 {
            tracing::warn!(file = %record.request.filename, cleared, "pieces marked done did not match on disk; refetching them");
        }
        tracing::info!(file = %record.request.filename, pieces_done = checked.pieces_done(),
            pieces = checked.piece_count, "resuming a mirror transfer");
        *record = checked;
        progress::put(self.store, record)?;
        Ok(())
    }

    async fn fetch_missing(
        &self,
        file: &Arc<File>,
        info: &Arc<Info>,
        part: &Path,
        record: &mut ProgressRecord,
        slots: &mut [Slot],
    ) -> Result<(), MirrorError> {
        let info_hash = record.request.info_hash;
        let piece_length = u64::from(info.piece_length);
        let timeout = self.http.request_timeout;
        let mut queue: VecDeque<u32> = record.missing().into();
        // Sources already asked for a piece in this round, and rounds used.
        let mut tried: HashMap<u32, (HashSet<usize>, u32)> = HashMap::new();
        let mut in_flight = FuturesUnordered::new();
        let mut last_error: Option<SourceError> = None;
        let mut unsynced = 0u64;
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(MirrorError::Cancelled);
            }
            while in_flight.len() < IN_FLIGHT {
                let Some(piece) = queue.pop_front() else { break };
                let entry = tried.entry(piece).or_default();
                let index = pick(slots, entry, piece, &last_error)?;
                let slot = &mut slots[index];
                slot.in_flight += 1;
                let source = slot.source.clone();
                let offset = u64::from(piece) * piece_length;
                let len = info.piece_size(piece as usize).unwrap_or(0);
                in_flight.push(async move {
                    let result = match tokio::time::timeout(timeout, source.fetch(offset, len)).await {
                        Ok(result) => result,
                        Err(_) => Err(SourceError::Timeout),
                    };
                    (piece, index, offset, result)
                });
            }
            let Some((piece, index, offset, result)) = in_flight.next().await else { break };
            let slot = &mut slots[index];
            slot.in_flight = slot.in_flight.saturating_sub(1);
            tried.entry(piece).or_default().0.insert(index);
            let kind = slot.source.kind();
            match result {
                Err(e) => {
                    slot.errors_in_row += 1;
                    if slot.errors_in_row >= SOURCE_ERRORS_IN_ROW && !slot.dropped {
                        slot.dropped = true;
                        tracing::warn!(source = %slot.source.id(), kind, error = %e,
                            "mirror source failing; dropped for this attempt");
                    }
                    last_error = Some(e);
                    queue.push_front(piece);
                }
                Ok(bytes) if !info.verify_piece(piece as usize, &bytes) => {
                    self.metrics.piece_rejected(kind);
                    let source_id = slot.source.id();
                    tracing::warn!(source = %source_id, kind, piece, file = %record.request.filename,
                        "piece does not match the torrent's hash: discarded, source dropped");
                    slot.dropped = true;
                    let _ =
                        self.events.send(MirrorEvent::Misbehaving { info_hash, source_id, source_kind: kind, piece });
                    last_error = Some(SourceError::Unavailable(format!("{} sent a corrupt piece", slot.source.id())));
                    queue.push_front(piece);
                }
                Ok(bytes) => {
                    slot.errors_in_row = 0;
                    let len = bytes.len() as u64;
                    let writer = file.clone();
                    tokio::task::spawn_blocking(move || writer.write_all_at(&bytes, offset))
                        .await
                        .map_err(|e| MirrorError::Io {
                            action: "writing",
                            path: part.display().to_string(),
                            reason: e.to_string(),
                        })?
                        .map_err(|e| MirrorError::io("writing", part, &e))?;
                    unsynced += len;
                    if unsynced >= SYNC_EVERY_BYTES {
                        sync_data(file, part).await?;
                        unsynced = 0;
                    }
                    record.set(piece, true);
                    record.count_fetched(kind, len);
                    progress::put(self.store, record)?;
                    self.metrics.piece_fetched(kind, len);
                    tried.remove(&piece);
                }
            }
        }
        if record.is_complete() {
            Ok(())
        } else {
            Err(MirrorError::NoSourceLeft { last_error })
        }
    }

    /// Syncs, keeps the torrent, renames the file into place, records the copy.
    async fn finish(
        &self,
        file: Arc<File>,
        torrent: &[u8],
        part: &Path,
        record: &ProgressRecord,
    ) -> Result<CopyRecord, MirrorError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(MirrorError::Cancelled);
        }
        let request = &record.request;
        let target = copies::copy_path(self.media_dir, &request.filename);
        let torrent_target = copies::torrent_path(self.media_dir, &request.filename);
        let torrent_staged: PathBuf = copies::staged_torrent_path(self.media_dir, &request.filename);
        let (part_owned, torrent_bytes) = (part.to_path_buf(), torrent.to_vec());
        let dir = copies::redundancy_dir(self.media_dir);
        tokio::task::spawn_blocking(move || -> Result<(), MirrorError> {
            file.sync_all().map_err(|e| MirrorError::io("syncing", &part_owned, &e))?;
            drop(file);
            let mut out =
                File::create(&torrent_staged).map_err(|e| MirrorError::io("creating", &torrent_staged, &e))?;
            out.write_all(&torrent_bytes).map_err(|e| MirrorError::io("writing", &torrent_staged, &e))?;
            out.sync_all().map_err(|e| MirrorError::io("syncing", &torrent_staged, &e))?;
            std::fs::rename(&torrent_staged, &torrent_target)
                .map_err(|e| MirrorError::io("renaming into place", &torrent_target, &e))?;
            std::fs::rename(&part_owned, &target).map_err(|e| MirrorError::io("renaming into place", &target, &e))?;
            File::open(&dir).and_then(|d| d.sync_all()).map_err(|e| MirrorError::io("syncing", &dir, &e))?;
            Ok(())
        })
        .await
        .map_err(|e| MirrorError::Io {
            action: "finishing",
            path: part.display().to_string(),
            reason: e.to_string(),
        })??;

        let copy = CopyRecord {
            info_hash: request.info_hash,
            video_uuid: request.video_uuid,
            video_url: request.video_url.clone(),
            origin_host: request.origin_host.clone(),
            filename: request.filename.clone(),
            size: record.length,
            created_at: unix_secs(),
            reason: request.reason,
        };
        copies::put(self.store, &copy)?;
        progress::remove(self.store, &request.info_hash)?;
        self.store.flush().await?;
        tracing::info!(file = %copy.filename, info_hash = %copy.info_hash_hex(), size = copy.size,
            fetched = ?record.fetched, "mirror copy complete");
        Ok(copy)
    }
}

/// The source to ask for `piece`: the least busy of the lowest tier not dropped and not
/// yet asked this round; a new round when every remaining source was asked.
fn pick(
    slots: &[Slot],
    (asked, rounds): &mut (HashSet<usize>, u32),
    piece: u32,
    last_error: &Option<SourceError>,
) -> Result<usize, MirrorError> {
    let best = |asked: &HashSet<usize>| {
        slots
            .iter()
            .enumerate()
            .filter(|(i, s)| !s.dropped && !asked.contains(i))
            .min_by_key(|(_, s)| (s.tier, s.in_flight))
            .map(|(i, _)| i)
    };
    if let Some(index) = best(asked) {
        return Ok(index);
    }
    if slots.iter().all(|s| s.dropped) {
        return Err(MirrorError::NoSourceLeft { last_error: last_error.clone() });
    }
    *rounds += 1;
    if *rounds >= PIECE_ROUNDS {
        return Err(MirrorError::PieceFailed { piece, rounds: *rounds });
    }
    asked.clear();
    best(asked).ok_or(MirrorError::NoSourceLeft { last_error: last_error.clone() })
}

/// Checks a torrent's size, info hash, form and file size against the request.
fn check_torrent(bytes: &[u8], request: &MirrorRequest, limit: u64) -> Result<Metainfo, MirrorError> {
    if bytes.len() as u64 > limit {
        return Err(MirrorError::TorrentTooLarge { limit });
    }
    let found = info_hash_of(bytes).map_err(|e| MirrorError::BadTorrent(e.to_string()))?;
    if found != request.info_hash {
        return Err(MirrorError::WrongInfoHash { expected: request.info_hash_hex(), found: hex::encode(found) });
    }
    let metainfo = Metainfo::from_bytes(bytes).map_err(|e| MirrorError::BadTorrent(e.to_string()))?;
    if metainfo.info_hash() != request.info_hash {
        return Err(MirrorError::BadTorrent("info dictionary is not canonically encoded".into()));
    }
    if metainfo.info.length == 0 || metainfo.info.pieces.is_empty() {
        return Err(MirrorError::BadTorrent("empty file".into()));
    }
    if request.size != 0 && metainfo.info.length != request.size {
        return Err(MirrorError::SizeMismatch { expected: request.size, found: metainfo.info.length });
    }
    Ok(metainfo)
}

/// Opens (or creates) the `.part` file at the file's length.
fn open_part(part: &Path, length: u64) -> Result<File, MirrorError> {
    if let Some(dir) = part.parent() {
        std::fs::create_dir_all(dir).map_err(|e| MirrorError::io("creating", dir, &e))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(part)
        .map_err(|e| MirrorError::io("opening", part, &e))?;
    let len = file.metadata().map_err(|e| MirrorError::io("reading metadata of", part, &e))?.len();
    if len != length {
        file.set_len(length).map_err(|e| MirrorError::io("sizing", part, &e))?;
    }
    Ok(file)
}

async fn sync_data(file: &Arc<File>, part: &Path) -> Result<(), MirrorError> {
    let file = file.clone();
    tokio::task::spawn_blocking(move || file.sync_data())
        .await
        .map_err(|e| MirrorError::Io { action: "syncing", path: part.display().to_string(), reason: e.to_string() })?
        .map_err(|e| MirrorError::io("syncing", part, &e))
}
