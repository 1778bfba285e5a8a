//! `.torrent` files and magnet URIs for transcoded videos (BEP 3 single-file torrents,
//! BEP 12 announce lists, BEP 19 web seeds).
//!
//! Blocking: call it on the transcode job's thread. The file is hashed in chunks (never
//! whole in memory) and the torrent is written to a temporary name and renamed, so the
//! media folder never holds a partial `.torrent`.

use crate::staging::staging_path;
use shoal_protocol::magnet::MagnetLink;
use shoal_protocol::media_layout::MediaUrls;
use shoal_protocol::torrent::{piece_length_for, Info, Metainfo, PieceHasher};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Read size while hashing.
const CHUNK: usize = 1 << 20;

/// Why a torrent could not be made.
#[derive(Debug, Error)]
pub enum TorrentFileError {
    /// Reading the video file or writing the torrent failed (disk full, file removed).
    /// The transcode job is retried.
    #[error("{action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    /// The file changed size while it was hashed: something else is writing it.
    #[error("{path} changed while hashing ({expected} bytes expected, {hashed} hashed)")]
    Changed { path: PathBuf, expected: u64, hashed: u64 },
}

/// What to put in the torrent.
#[derive(Debug, Clone)]
pub struct TorrentRequest<'a> {
    /// The finished video file (already in the media folder).
    pub file_path: &'a Path,
    /// Its name under `media/`, e.g. `{uuid}-360.mp4`.
    pub filename: &'a str,
    /// Name of the `.torrent` under `media/`, e.g. `{uuid}-360.torrent`.
    pub torrent_filename: &'a str,
    /// Where the torrent is written.
    pub media_dir: &'a Path,
    /// Where the torrent is staged before the rename (same filesystem).
    pub tmp_dir: &'a Path,
    /// The node's public URL without trailing slash.
    pub public_url: &'a str,
    /// Display name in the magnet URI (PeerTube uses the video's name).
    pub display_name: &'a str,
    /// Unix seconds for `creation date`.
    pub creation_date: i64,
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct TorrentArtifacts {
    pub metainfo: Metainfo,
    /// Lowercase hex SHA-1 info-hash.
    pub info_hash_hex: String,
    pub magnet_uri: String,
}

/// The node's HTTP announce URL.
pub fn http_announce_url(public_url: &str) -> String {
    format!("{}/tracker/announce", public_url.trim_end_matches('/'))
}

/// The node's WebSocket tracker URL: `ws://` for `http://`, `wss://` for `https://`.
pub fn ws_tracker_url(public_url: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let ws = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        format!("ws://{base}")
    };
    format!("{ws}/tracker/socket")
}

/// The web seed (and `fileUrl`) of a media file.
pub fn web_seed_url(public_url: &str, filename: &str) -> String {
    MediaUrls::new(public_url).web_video(filename)
}

/// Where a file's `.torrent` is served (the magnet's `xs`, the Video object's torrent link).
pub fn torrent_url(public_url: &str, torrent_filename: &str) -> String {
    MediaUrls::new(public_url).torrent(torrent_filename)
}

/// Hashes the file, writes `{media_dir}/{torrent_filename}` atomically and builds the magnet.
pub fn write_torrent(req: &TorrentRequest) -> Result<TorrentArtifacts, TorrentFileError> {
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| TorrentFileError::Io { action, path, source }
    };
    let mut file = File::open(req.file_path).map_err(io("opening", req.file_path))?;
    let length = file.metadata().map_err(io("reading metadata of", req.file_path))?.len();
    let piece_length = piece_length_for(length);
    let mut hasher = PieceHasher::new(piece_length);
    let mut buf = vec![0u8; CHUNK];
    let mut hashed = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io("reading", req.file_path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        hashed += n as u64;
    }
    if hashed != length {
        return Err(TorrentFileError::Changed { path: req.file_path.to_path_buf(), expected: length, hashed });
    }

    let announce = http_announce_url(req.public_url);
    let ws = ws_tracker_url(req.public_url);
    let seed = web_seed_url(req.public_url, req.filename);
    let metainfo = Metainfo {
        announce: Some(announce.clone()),
        announce_list: vec![vec![announce.clone()], vec![ws.clone()]],
        url_list: vec![seed.clone()],
        comment: None,
        created_by: Some("Shoal".into()),
        creation_date: Some(req.creation_date),
        info: Info { name: req.filename.to_string(), piece_length, pieces: hasher.finish(), length },
    };
    let bytes = metainfo.to_bytes();

    let staged = staging_path(req.tmp_dir, req.torrent_filename);
    let target = req.media_dir.join(req.torrent_filename);
    let write = || -> Result<(), TorrentFileError> {
        let mut out = File::create(&staged).map_err(io("creating", &staged))?;
        out.write_all(&bytes).map_err(io("writing", &staged))?;
        out.sync_all().map_err(io("syncing", &staged))?;
        std::fs::rename(&staged, &target).map_err(io("renaming into place", &target))
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&staged);
        return Err(e);
    }

    let info_hash = metainfo.info_hash();
    let magnet = MagnetLink {
        info_hash,
        display_name: Some(req.display_name.to_string()),
        trackers: vec![announce, ws],
        web_seeds: vec![seed],
        exact_sources: vec![torrent_url(req.public_url, req.torrent_filename)],
    };
    Ok(TorrentArtifacts { info_hash_hex: hex::encode(info_hash), magnet_uri: magnet.to_uri(), metainfo })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_urls_follow_the_public_url() {
        assert_eq!(http_announce_url("http://a:9000/"), "http://a:9000/tracker/announce");
        assert_eq!(ws_tracker_url("http://a:9000"), "ws://a:9000/tracker/socket");
        assert_eq!(ws_tracker_url("https://v.example"), "wss://v.example/tracker/socket");
        assert_eq!(web_seed_url("https://v.example", "x-360.mp4"), "https://v.example/static/web-videos/x-360.mp4");
    }
}
