//! The MP4 writer: AV1 (and Opus) into an MP4 whose `moov` precedes `mdat` ("fast start"),
//! so browsers play it progressively from a web seed. `muxide` builds the boxes; it keeps
//! the encoded samples in memory until `finish` (a 60 s 720p rung is ~10 MB), then writes
//! `ftyp`, `moov`, `mdat` in one pass.

use super::audio::{OpusStream, OPUS_RATE};
use super::MediaError;
use muxide::api::{AudioCodec, Muxer, MuxerBuilder, VideoCodec};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Pre-skip that muxide writes in the `dOps` box.
const MUXIDE_PRE_SKIP: u16 = 312;

/// An MP4 file being written.
pub(crate) struct Mp4Output {
    muxer: Muxer<BufWriter<File>>,
    fps_num: u32,
    fps_den: u32,
    video_frames: u64,
}

fn mux_err(e: muxide::api::MuxerError) -> MediaError {
    match e {
        muxide::api::MuxerError::Io(e) => MediaError::Io(e),
        other => MediaError::Mux(other.to_string()),
    }
}

impl Mp4Output {
    /// Creates `path` for a `width` x `height` AV1 track (plus a 48 kHz stereo Opus track).
    pub(crate) fn create(
        path: &Path,
        width: u32,
        height: u32,
        fps_num: u32,
        fps_den: u32,
        audio: bool,
    ) -> Result<Self, MediaError> {
        let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let fps = f64::from(fps_num) / f64::from(fps_den.max(1));
        let mut builder = MuxerBuilder::new(file).video(VideoCodec::Av1, width, height, fps).with_fast_start(true);
        if audio {
            builder = builder.audio(AudioCodec::Opus, OPUS_RATE, 2);
        }
        let muxer = builder.build().map_err(mux_err)?;
        Ok(Mp4Output { muxer, fps_num, fps_den, video_frames: 0 })
    }

    /// Adds the temporal unit showing input frame `frame_no` (rav1e emits them in order).
    pub(crate) fn write_video(&mut self, frame_no: u64, data: &[u8], keyframe: bool) -> Result<(), MediaError> {
        let pts = frame_no as f64 * f64::from(self.fps_den) / f64::from(self.fps_num);
        self.muxer.write_video(pts, data, keyframe).map_err(mux_err)?;
        self.video_frames += 1;
        Ok(())
    }

    /// Adds every Opus packet (after at least one video frame, as muxide requires).
    pub(crate) fn write_audio(&mut self, stream: &OpusStream) -> Result<(), MediaError> {
        if stream.pre_skip != MUXIDE_PRE_SKIP {
            tracing::debug!(pre_skip = stream.pre_skip, "Opus pre-skip differs from the muxer's dOps value");
        }
        for packet in &stream.packets {
            let pts = packet.pts_samples as f64 / f64::from(OPUS_RATE);
            self.muxer.write_audio(pts, &packet.data).map_err(mux_err)?;
        }
        Ok(())
    }

    pub(crate) fn video_frames(&self) -> u64 {
        self.video_frames
    }

    /// Writes `ftyp`, `moov`, `mdat` and flushes to the OS; returns the file size. No fsync:
    /// a killed process loses nothing the kernel has; a caller wanting power-loss
    /// durability syncs before its rename.
    pub(crate) fn finish(self) -> Result<u64, MediaError> {
        let mut muxer = self.muxer;
        let stats = muxer.finish_in_place_with_stats().map_err(mux_err)?;
        let mut writer = muxer.into_writer();
        writer.flush()?;
        Ok(stats.bytes_written)
    }
}

/// The top-level boxes of an MP4 file, in order (type and size); for checks and tests.
pub fn top_level_boxes(bytes: &[u8]) -> Vec<([u8; 4], u64)> {
    let mut boxes = Vec::new();
    let mut at = 0usize;
    while let Some(head) = bytes.get(at..at + 8) {
        let mut size = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let kind = [head[4], head[5], head[6], head[7]];
        if size == 1 {
            let Some(large) = bytes.get(at + 8..at + 16) else { break };
            size = u64::from_be_bytes(large.try_into().unwrap_or([0; 8]));
        } else if size == 0 {
            size = (bytes.len() - at) as u64;
        }
        boxes.push((kind, size));
        if size < 8 {
            break;
        }
        match usize::try_from(size).ok().and_then(|s| at.checked_add(s)) {
            Some(next) => at = next,
            None => break,
        }
    }
    boxes
}
