//! The blocking part of a transcode job, run on a dedicated thread (never on the async
//! workers): probe the source, encode the rung into `tmp/`, sync and rename it into
//! `media/`, write its torrent, and make the video's thumbnail if it has none yet.

use super::error::JobError;
use crate::config::ShoalConfig;
use crate::media::{self, MediaError, RungRequest};
use crate::staging::staging_path;
use crate::torrent_file::{self, TorrentRequest};
use crate::videos::VideoFileRecord;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// Everything the thread needs, owned.
pub struct RungWork {
    pub config: Arc<ShoalConfig>,
    pub uuid: Uuid,
    pub video_name: String,
    pub source_path: PathBuf,
    /// The rung's resolution (short side of the output).
    pub resolution: u32,
    pub bitrate_kbps: u32,
    /// Make `{uuid}.jpg` after the rung (the video has no thumbnail yet).
    pub make_thumbnail: bool,
    pub cancel: Arc<AtomicBool>,
}

/// What the thread produced.
#[derive(Debug)]
pub struct RungResult {
    pub file: VideoFileRecord,
    /// Thumbnail file name under `media/`, if one was made.
    pub thumbnail: Option<String>,
    /// Frames encoded, and the wall-clock time the encode took.
    pub frames: u64,
    pub encode_secs: f64,
}

/// The media file name of a rung.
pub fn rung_filename(uuid: Uuid, height: u32) -> String {
    format!("{uuid}-{height}.mp4")
}

/// The torrent file name of a rung.
pub fn torrent_filename(uuid: Uuid, height: u32) -> String {
    format!("{uuid}-{height}.torrent")
}

/// The thumbnail file name of a video.
pub fn thumbnail_filename(uuid: Uuid) -> String {
    format!("{uuid}.jpg")
}

/// Runs the rung. `progress(frames_done, frames_total)` is called from this thread.
pub fn run(work: &RungWork, progress: &mut dyn FnMut(u64, u64)) -> Result<RungResult, JobError> {
    let cfg = &work.config;
    let media_dir = cfg.media_dir();
    let tmp_dir = cfg.tmp_dir();
    let probe = media::probe(&cfg.transcoding, &work.source_path)?;

    let filename = rung_filename(work.uuid, work.resolution);
    let staged = staging_path(&tmp_dir, &filename);
    let target = media_dir.join(&filename);
    let request = RungRequest {
        source_path: &work.source_path,
        probe: &probe,
        resolution: work.resolution,
        bitrate_kbps: work.bitrate_kbps,
        cfg: &cfg.transcoding,
        out_path: &staged,
    };
    let encode_started = std::time::Instant::now();
    let output = media::transcode_rung(&request, progress, &work.cancel)?;
    let encode_secs = encode_started.elapsed().as_secs_f64();
    if work.cancel.load(Ordering::Relaxed) {
        let _ = std::fs::remove_file(&staged);
        return Err(MediaError::Cancelled.into());
    }
    publish_file(&staged, &target)?;

    let torrent_name = torrent_filename(work.uuid, work.resolution);
    let artifacts = torrent_file::write_torrent(&TorrentRequest {
        file_path: &target,
        filename: &filename,
        torrent_filename: &torrent_name,
        media_dir: &media_dir,
        tmp_dir: &tmp_dir,
        public_url: cfg.public_url(),
        display_name: &work.video_name,
        creation_date: i64::try_from(crate::clock::unix_secs()).unwrap_or(i64::MAX),
    })?;

    let thumbnail = if work.make_thumbnail { make_thumbnail(work, &probe, &media_dir, &tmp_dir) } else { None };

    Ok(RungResult {
        file: VideoFileRecord {
            resolution: work.resolution,
            width: output.width,
            height: output.height,
            size: artifacts.metainfo.info.length,
            fps: output.fps,
            filename,
            torrent_filename: torrent_name,
            info_hash: artifacts.info_hash_hex,
            magnet_uri: artifacts.magnet_uri,
            hls: Some(output.index),
        },
        thumbnail,
        frames: output.frames,
        encode_secs,
    })
}

/// Makes sure the staged file is on disk, then renames it into place.
fn publish_file(staged: &Path, target: &Path) -> Result<(), JobError> {
    let io = |action: &'static str, path: &Path| {
        let path = path.display().to_string();
        move |source| JobError::Io { action, path, source }
    };
    File::open(staged).and_then(|f| f.sync_all()).map_err(io("syncing", staged))?;
    std::fs::rename(staged, target).map_err(io("renaming into place", target))
}

/// The thumbnail, or `None` (logged) when ffmpeg cannot make one: a video without a
/// thumbnail still plays.
fn make_thumbnail(work: &RungWork, probe: &media::Probe, media_dir: &Path, tmp_dir: &Path) -> Option<String> {
    let name = thumbnail_filename(work.uuid);
    let staged = staging_path(tmp_dir, &format!("{name}.jpg"));
    let result = media::thumbnail(&work.config.transcoding, &work.source_path, probe, &staged)
        .map_err(|e| e.to_string())
        .and_then(|()| std::fs::rename(&staged, media_dir.join(&name)).map_err(|e| e.to_string()));
    match result {
        Ok(()) => Some(name),
        Err(reason) => {
            let _ = std::fs::remove_file(&staged);
            tracing::warn!(video = %work.uuid, %reason, "thumbnail not made");
            None
        }
    }
}
