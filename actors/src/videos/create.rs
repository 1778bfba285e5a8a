//! The checks and bookkeeping of a new upload: field validation, where the original goes,
//! quota accounting and the initial record.

use super::record::{NewVideo, SourceInfo, VideoDetails, VideoRecord, VideoState};
use super::repo;
use crate::clock::{format_timestamp, now_rfc3339};
use crate::error::VideoError;
use crate::media::Probe;
use crate::store::Store;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// PeerTube's bounds on a video name.
const NAME_CHARS: std::ops::RangeInclusive<usize> = 3..=120;
/// PeerTube's bound on a description.
const DESCRIPTION_MAX_CHARS: usize = 10_000;

/// Checks the fields PeerTube validates on upload.
pub fn validate(details: &VideoDetails) -> Result<(), VideoError> {
    if !NAME_CHARS.contains(&details.name.trim().chars().count()) {
        return Err(VideoError::Invalid { field: "name", reason: "must be 3 to 120 characters".into() });
    }
    if details.description.as_deref().is_some_and(|d| d.chars().count() > DESCRIPTION_MAX_CHARS) {
        return Err(VideoError::Invalid { field: "description", reason: "must be at most 10000 characters".into() });
    }
    Ok(())
}

/// Whether `path` is a file directly or indirectly inside `dir` (both canonicalised, so
/// `..` and symlinks cannot point elsewhere).
pub fn is_inside(path: &Path, dir: &Path) -> bool {
    match (path.canonicalize(), dir.canonicalize()) {
        (Ok(p), Ok(d)) => p.starts_with(&d) && p != d,
        _ => false,
    }
}

/// `{originals_dir}/{uuid}.{ext}` with the client's extension when it is short and
/// alphanumeric, else `.bin`.
pub fn original_path(originals_dir: &Path, uuid: Uuid, original_filename: &str) -> PathBuf {
    let ext = Path::new(original_filename)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "bin".into());
    originals_dir.join(format!("{uuid}.{ext}"))
}

/// Bytes an account uses: its videos' originals and transcoded files.
pub fn used_quota(store: &Store, account_id: u64) -> Result<u64, VideoError> {
    used_since(store, account_id, None)
}

/// Bytes an account used for videos created in the last 24 hours.
pub fn used_quota_daily(store: &Store, account_id: u64) -> Result<u64, VideoError> {
    let cutoff = format_timestamp(time::OffsetDateTime::now_utc() - time::Duration::days(1));
    used_since(store, account_id, Some(&cutoff))
}

fn used_since(store: &Store, account_id: u64, created_after: Option<&str>) -> Result<u64, VideoError> {
    let mut used = 0u64;
    for video in repo::all(store) {
        let video = video?;
        if video.account_id != account_id || created_after.is_some_and(|c| video.created_at.as_str() < c) {
            continue;
        }
        used = used.saturating_add(video_bytes(&video));
    }
    Ok(used)
}

/// Bytes of one video on disk: original and files.
pub fn video_bytes(video: &VideoRecord) -> u64 {
    video.files.iter().fold(video.source.size, |acc, f| acc.saturating_add(f.size))
}

/// Rejects an upload of `size` bytes that would go over `quota` (-1 = unlimited).
pub fn check_quota(used: u64, size: u64, quota: i64) -> Result<(), VideoError> {
    match u64::try_from(quota) {
        Ok(limit) if used.saturating_add(size) > limit => Err(VideoError::QuotaExceeded { used, size, quota }),
        _ => Ok(()),
    }
}

/// The record of a new video, state `ToTranscode`, with the rungs still to make.
pub fn new_record(
    id: u64,
    uuid: Uuid,
    new: &NewVideo,
    probe: &Probe,
    source_path: PathBuf,
    size: u64,
    rungs: Vec<u32>,
) -> VideoRecord {
    let now = now_rfc3339();
    let details = new.details.clone();
    VideoRecord {
        id,
        uuid,
        short_uuid: shoal_protocol::short_uuid::encode(uuid),
        name: details.name.trim().to_string(),
        description: details.description,
        privacy: details.privacy,
        channel_id: details.channel_id,
        account_id: new.account_id,
        category: details.category,
        licence: details.licence,
        language: details.language,
        nsfw: details.nsfw,
        tags: details.tags,
        comments_enabled: details.comments_enabled,
        download_enabled: details.download_enabled,
        wait_transcoding: details.wait_transcoding,
        created_at: now.clone(),
        updated_at: now,
        published_at: None,
        state: VideoState::ToTranscode,
        state_error: None,
        source: SourceInfo {
            path: source_path,
            original_filename: new.original_filename.clone(),
            width: probe.width,
            height: probe.height,
            fps: probe.fps,
            frames: probe.frames,
            duration_secs: probe.duration_secs,
            has_audio: probe.has_audio,
            size,
            format: probe.format.clone(),
        },
        files: Vec::new(),
        pending_resolutions: rungs,
        thumbnail: None,
        views: 0,
        likes: 0,
        dislikes: 0,
        remote: None,
        hls_swarms: Vec::new(),
    }
}

/// A record of a small uploaded Y4M (64×48, 4 frames), as unit tests of the video
/// modules start from: `name`, transcode `rungs` pending.
#[cfg(test)]
pub(crate) fn sample_record(name: &str, rungs: Vec<u32>) -> VideoRecord {
    use crate::videos::record::Privacy;
    let probe = Probe {
        width: 64,
        height: 48,
        fps: 25.0,
        fps_num: 25,
        fps_den: 1,
        frames: 4,
        duration_secs: 0.16,
        has_audio: false,
        format: "yuv4mpegpipe".into(),
    };
    let new = NewVideo {
        account_id: 1,
        details: VideoDetails {
            channel_id: 1,
            name: name.into(),
            description: None,
            privacy: Privacy::Public,
            category: None,
            licence: None,
            language: None,
            nsfw: false,
            tags: vec![],
            comments_enabled: true,
            download_enabled: true,
            wait_transcoding: false,
        },
        upload_path: "/u/x.y4m".into(),
        original_filename: "x.y4m".into(),
    };
    new_record(1, Uuid::nil(), &new, &probe, "/o/x.y4m".into(), 10, rungs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_rules() {
        assert!(check_quota(10, 5, -1).is_ok());
        assert!(check_quota(10, 5, 15).is_ok());
        assert!(matches!(check_quota(10, 6, 15), Err(VideoError::QuotaExceeded { used: 10, size: 6, quota: 15 })));
    }

    #[test]
    fn originals_keep_safe_extensions_only() {
        let u = Uuid::nil();
        let dir = Path::new("/d");
        assert_eq!(original_path(dir, u, "clip.MP4"), dir.join(format!("{u}.mp4")));
        assert_eq!(original_path(dir, u, "clip.y4m"), dir.join(format!("{u}.y4m")));
        assert_eq!(original_path(dir, u, "../../etc/passwd"), dir.join(format!("{u}.bin")));
        assert_eq!(original_path(dir, u, "x.a/b"), dir.join(format!("{u}.bin")));
    }
}
