//! The video's miniature: one JPEG frame from about a third of the way in, 280 pixels wide
//! (PeerTube's miniature width), made by ffmpeg under a time limit.

use super::command::run_capped;
use super::{MediaError, Probe};
use crate::config::TranscodingConfig;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Width of thumbnails in pixels (height follows the aspect ratio, even).
pub const THUMBNAIL_WIDTH: u32 = 280;
/// ffmpeg is killed after this long.
pub const THUMBNAIL_TIMEOUT: Duration = Duration::from_secs(60);

/// Writes a JPEG thumbnail of `source_path` to `out_path`.
pub fn thumbnail(
    cfg: &TranscodingConfig,
    source_path: &Path,
    probe: &Probe,
    out_path: &Path,
) -> Result<(), MediaError> {
    let at = if probe.duration_secs.is_finite() && probe.duration_secs > 0.0 { probe.duration_secs / 3.0 } else { 0.0 };
    let mut cmd = Command::new(&cfg.ffmpeg);
    cmd.args(["-v", "error", "-nostdin", "-y", "-ss"])
        .arg(format!("{at:.3}"))
        .arg("-i")
        .arg(super::ffmpeg_input(source_path))
        .args(["-map", "0:v:0", "-frames:v", "1", "-vf"])
        .arg(format!("scale={THUMBNAIL_WIDTH}:-2,format=yuvj420p"))
        .args(["-q:v", "3", "-f", "image2", "-update", "1", "-c:v", "mjpeg"])
        .arg(super::ffmpeg_input(out_path));
    run_capped(cmd, THUMBNAIL_TIMEOUT, 64 * 1024)?;
    match std::fs::metadata(out_path) {
        Ok(m) if m.len() > 0 => Ok(()),
        _ => Err(MediaError::Unreadable("ffmpeg produced no thumbnail frame".into())),
    }
}
