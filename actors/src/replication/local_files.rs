//! What this node offers the other members: its own published public videos as a catalogue
//! (it is their origin, so `mirror_members` places copies of them elsewhere), and the files
//! it can serve over libp2p (its own files and its complete copies) for the transport's
//! [`FileResolver`].

use super::copies;
use super::net::FileResolver;
use crate::activitypub::LocalUrls;
use crate::store::{Store, StoreError};
use crate::torrent_file::{torrent_url, web_seed_url};
use crate::videos::list::is_listed;
use crate::videos::repo;
use shoal_protocol::replication::{CatalogueFile, CatalogueVideo, InfoHash};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// One of this node's own files.
#[derive(Debug, Clone)]
struct OwnFile {
    path: PathBuf,
    size: u64,
    torrent_path: PathBuf,
}

/// This node's files by info hash: `(file path, size, torrent path)`.
pub type OwnFiles = HashMap<InfoHash, (PathBuf, u64, PathBuf)>;

/// The catalogue of this node's published public local videos, oldest first, and the table
/// of their files by info hash.
pub fn own_catalogue(
    store: &Store,
    public_url: &str,
    media_dir: &Path,
) -> Result<(Vec<CatalogueVideo>, OwnFiles), StoreError> {
    let urls = LocalUrls::new(public_url);
    let mut videos = Vec::new();
    let mut table = HashMap::new();
    for video in repo::all(store) {
        let video = video?;
        if !video.is_local() || !is_listed(&video, None) || video.files.is_empty() {
            continue;
        }
        let mut files = Vec::new();
        for file in &video.files {
            let Some(info_hash) = parse_info_hash(&file.info_hash) else { continue };
            table
                .insert(info_hash, (media_dir.join(&file.filename), file.size, media_dir.join(&file.torrent_filename)));
            files.push(CatalogueFile {
                info_hash,
                size: file.size,
                resolution: file.resolution,
                filename: file.filename.clone(),
                web_seed_url: web_seed_url(public_url, &file.filename),
                torrent_url: torrent_url(public_url, &file.torrent_filename),
            });
        }
        if files.is_empty() {
            continue;
        }
        videos.push((
            video.created_at.clone(),
            CatalogueVideo {
                uuid: video.uuid.to_string(),
                url: urls.video(video.uuid),
                name: video.name.clone(),
                files,
            },
        ));
    }
    videos.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.uuid.cmp(&b.1.uuid)));
    Ok((videos.into_iter().map(|(_, v)| v).collect(), table))
}

/// 40 hex digits as an info hash.
pub fn parse_info_hash(hex_digits: &str) -> Option<InfoHash> {
    let bytes = hex::decode(hex_digits).ok()?;
    bytes.try_into().ok()
}

/// The [`FileResolver`] the transport serves from: own files from the table the
/// `ReplicationActor` refreshes with each announcement, copies from the `redundancy_copies`
/// tree (only complete copies have a record).
#[derive(Clone)]
pub struct NodeFiles {
    store: Store,
    media_dir: PathBuf,
    own: Arc<RwLock<HashMap<InfoHash, OwnFile>>>,
}

impl NodeFiles {
    pub fn new(store: Store, media_dir: PathBuf) -> Self {
        NodeFiles { store, media_dir, own: Arc::default() }
    }

    /// Replaces the table of own files (from [`own_catalogue`]).
    pub fn set_own(&self, table: HashMap<InfoHash, (PathBuf, u64, PathBuf)>) {
        let table: HashMap<InfoHash, OwnFile> = table
            .into_iter()
            .map(|(h, (path, size, torrent_path))| (h, OwnFile { path, size, torrent_path }))
            .collect();
        match self.own.write() {
            Ok(mut own) => *own = table,
            Err(poisoned) => *poisoned.into_inner() = table,
        }
    }

    fn own_file(&self, info_hash: &InfoHash) -> Option<OwnFile> {
        match self.own.read() {
            Ok(own) => own.get(info_hash).cloned(),
            Err(poisoned) => poisoned.into_inner().get(info_hash).cloned(),
        }
    }
}

impl FileResolver for NodeFiles {
    fn complete_file(&self, info_hash: &InfoHash) -> Option<(PathBuf, u64)> {
        if let Some(own) = self.own_file(info_hash) {
            return Some((own.path, own.size));
        }
        let copy = copies::get(&self.store, info_hash).ok()??;
        Some((copies::copy_path(&self.media_dir, &copy.filename), copy.size))
    }

    fn torrent(&self, info_hash: &InfoHash) -> Option<Vec<u8>> {
        let path = match self.own_file(info_hash) {
            Some(own) => own.torrent_path,
            None => {
                let copy = copies::get(&self.store, info_hash).ok()??;
                copies::torrent_path(&self.media_dir, &copy.filename)
            }
        };
        std::fs::read(path).ok()
    }
}
