//! Tiny test media: synthetic Y4M written here (moving gradients, so the
//! encoder has real work), MP4s made by ffmpeg's lavfi sources (with a sine
//! audio track when asked) or under noise (to reach a file size), broken inputs,
//! and ffprobe's view of a file.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::tools::run_ok;

/// Writes a 4:2:0 8-bit Y4M of `frames` frames; returns its size in bytes.
pub fn write_y4m(path: &Path, width: u32, height: u32, fps: u32, frames: u32) -> Result<u64> {
    if (width | height) & 1 != 0 {
        bail!("Y4M 4:2:0 needs even dimensions, got {width}x{height}");
    }
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::new(file);
    writeln!(out, "YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg")?;
    let (w, h) = (width as usize, height as usize);
    let mut luma = vec![0u8; w * h];
    let mut chroma = vec![0u8; (w / 2) * (h / 2)];
    for f in 0..frames as usize {
        out.write_all(b"FRAME\n")?;
        for y in 0..h {
            for x in 0..w {
                // A diagonal gradient sliding with time, plus a moving square.
                let mut v = ((x + y + f * 4) % 256) as u8;
                let (sx, sy) = ((f * 6) % w.max(1), (f * 3) % h.max(1));
                if x.wrapping_sub(sx) < w / 8 && y.wrapping_sub(sy) < h / 8 {
                    v = 235;
                }
                luma[y * w + x] = v;
            }
        }
        out.write_all(&luma)?;
        for plane in 0..2 {
            for y in 0..h / 2 {
                for x in 0..w / 2 {
                    chroma[y * (w / 2) + x] = (128 + ((x * (plane + 1) + y + f) % 64) as i32 - 32) as u8;
                }
            }
            out.write_all(&chroma)?;
        }
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Writes a Y4M whose last frame is cut in half (a truncated upload).
pub fn write_truncated_y4m(path: &Path) -> Result<()> {
    write_y4m(path, 320, 240, 10, 3)?;
    let len = std::fs::metadata(path)?.len();
    let frame = 6 + 320 * 240 * 3 / 2;
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.set_len(len - frame as u64 / 2)?;
    Ok(())
}

/// The H.264 encoder to use for test MP4s: libx264 when this ffmpeg has it,
/// else the built-in MPEG-4 part 2 encoder.
fn video_encoder() -> Result<&'static str> {
    let out = run_ok(Command::new("ffmpeg").args(["-hide_banner", "-encoders"]), Duration::from_secs(30))
        .context("ffmpeg is needed by the tests: run `bash scripts/setup.sh`")?;
    Ok(if out.stdout.contains(" libx264 ") { "libx264" } else { "mpeg4" })
}

/// Makes an MP4 (`testsrc2` video, optional 440 Hz AAC audio) with ffmpeg.
pub fn ffmpeg_mp4(path: &Path, width: u32, height: u32, fps: u32, secs: f64, audio: bool) -> Result<()> {
    let encoder = video_encoder()?;
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={width}x{height}:rate={fps}:duration={secs}"));
    if audio {
        cmd.args(["-f", "lavfi", "-i"]).arg(format!("sine=frequency=440:sample_rate=48000:duration={secs}"));
    }
    cmd.args(["-c:v", encoder, "-pix_fmt", "yuv420p"]);
    if encoder == "libx264" {
        cmd.args(["-preset", "ultrafast"]);
    }
    if audio {
        cmd.args(["-c:a", "aac", "-b:a", "64k", "-shortest"]);
    }
    cmd.args(["-movflags", "+faststart"]).arg(path);
    run_ok(&mut cmd, Duration::from_secs(120))?;
    Ok(())
}

/// Makes an MP4 whose picture is `testsrc2` under moving noise of strength `noise`
/// (0–100), so the AV1 transcode is as big as a test needs: rav1e at speed 10 spends
/// bits on noise well beyond a low ladder bitrate. No audio.
pub fn ffmpeg_noisy_mp4(path: &Path, width: u32, height: u32, fps: u32, secs: f64, noise: u32) -> Result<()> {
    let encoder = video_encoder()?;
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={width}x{height}:rate={fps}:duration={secs},noise=alls={noise}:allf=t+u"))
        .args(["-c:v", encoder, "-pix_fmt", "yuv420p"]);
    if encoder == "libx264" {
        cmd.args(["-preset", "ultrafast", "-crf", "18"]);
    } else {
        cmd.args(["-q:v", "3"]);
    }
    cmd.args(["-movflags", "+faststart"]).arg(path);
    run_ok(&mut cmd, Duration::from_secs(120))?;
    Ok(())
}

/// One stream as ffprobe sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    pub codec_type: String,
    pub codec_name: String,
    pub width: Option<u64>,
    pub height: Option<u64>,
}

/// The streams of a media file, per ffprobe.
pub fn ffprobe_streams(path: &Path) -> Result<Vec<StreamInfo>> {
    let out = run_ok(
        Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height", "-of", "json"])
            .arg(path),
        Duration::from_secs(60),
    )?;
    let json: Value = serde_json::from_str(&out.stdout).context("ffprobe JSON")?;
    let streams = json["streams"].as_array().ok_or_else(|| anyhow!("ffprobe: no streams in {json}"))?;
    Ok(streams
        .iter()
        .map(|s| StreamInfo {
            codec_type: s["codec_type"].as_str().unwrap_or_default().to_string(),
            codec_name: s["codec_name"].as_str().unwrap_or_default().to_string(),
            width: s["width"].as_u64(),
            height: s["height"].as_u64(),
        })
        .collect())
}
