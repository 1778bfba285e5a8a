//! The MP4 writer of the ladder: AV1 (and Opus) into one fragmented MP4 per rung, laid out
//! `ftyp`, `moov`, `sidx`, then `moof`+`mdat` fragments that each start at a keyframe and
//! last [`FRAGMENT_TARGET_SECS`] or more. The same file is the web video (browsers and
//! webtorrent play it progressively; the `sidx` gives them the duration and the seek points),
//! the torrent's payload, and every HLS segment (the playlists address it by byte ranges), so
//! the bytes are stored once. `muxide` builds the init segment and the fragments; it and this
//! writer keep the encoded samples in memory until `finish` (a 60 s 720p rung is ~10 MB).

use super::audio::{OpusStream, OPUS_RATE};
use super::MediaError;
use muxide::api::AudioCodec;
use muxide::codec::av1::extract_av1_config;
use muxide::fragmented::{FragmentAudioConfig, FragmentConfig, FragmentedMuxer};
use sha2::{Digest, Sha256};
use shoal_protocol::hls::codecs::{self, Av1Params};
use shoal_protocol::hls::sidx::{self, Reference};
use shoal_protocol::hls::{FragmentIndex, Segment};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A fragment is closed at the first keyframe after it has played this long.
pub const FRAGMENT_TARGET_SECS: f64 = 2.0;

/// Video ticks per second are a multiple of the frame rate's numerator near this value, so
/// every frame lasts a whole number of ticks.
const VIDEO_TIMESCALE_TARGET: u32 = 90_000;

/// One encoded video frame, kept until `finish`.
struct VideoSample {
    frame_no: u64,
    data: Vec<u8>,
    keyframe: bool,
}

/// An MP4 file being written.
pub(crate) struct Mp4Output {
    file: BufWriter<File>,
    width: u32,
    height: u32,
    /// Ticks per second of the video track, and ticks per frame.
    timescale: u32,
    frame_ticks: u64,
    audio: bool,
    video: Vec<VideoSample>,
    opus: Vec<(u64, Vec<u8>)>,
}

fn mux_err(e: impl std::fmt::Display) -> MediaError {
    MediaError::Mux(e.to_string())
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
        let fps_num = fps_num.max(1);
        let per_num = (VIDEO_TIMESCALE_TARGET / fps_num).max(1);
        let timescale = fps_num.saturating_mul(per_num);
        let frame_ticks = u64::from(fps_den.max(1)) * u64::from(per_num);
        Ok(Mp4Output { file, width, height, timescale, frame_ticks, audio, video: Vec::new(), opus: Vec::new() })
    }

    /// Adds the temporal unit showing input frame `frame_no` (rav1e emits them in order).
    pub(crate) fn write_video(&mut self, frame_no: u64, data: &[u8], keyframe: bool) -> Result<(), MediaError> {
        if let Some(last) = self.video.last() {
            if frame_no <= last.frame_no {
                return Err(mux_err(format!("frame {frame_no} after frame {}", last.frame_no)));
            }
        }
        self.video.push(VideoSample { frame_no, data: data.to_vec(), keyframe });
        Ok(())
    }

    /// Adds every Opus packet.
    pub(crate) fn write_audio(&mut self, stream: &OpusStream) -> Result<(), MediaError> {
        self.opus.extend(stream.packets.iter().map(|p| (p.pts_samples, p.data.clone())));
        Ok(())
    }

    pub(crate) fn video_frames(&self) -> u64 {
        self.video.len() as u64
    }

    /// Writes the file and flushes it to the OS; returns its size and its fragment index.
    /// No fsync: a killed process loses nothing the kernel has; a caller wanting power-loss
    /// durability syncs before its rename.
    pub(crate) fn finish(self) -> Result<(u64, FragmentIndex), MediaError> {
        let Mp4Output { mut file, width, height, timescale, frame_ticks, audio, video, opus } = self;
        let first = video.first().ok_or_else(|| mux_err("no video frames"))?;
        if !first.keyframe {
            return Err(mux_err("the first frame is not a keyframe"));
        }
        let av1 =
            extract_av1_config(&first.data).ok_or_else(|| mux_err("no AV1 sequence header in the first frame"))?;
        let video_codec = codecs::av1(Av1Params {
            profile: av1.seq_profile,
            level_idx: av1.seq_level_idx,
            high_tier: av1.seq_tier == 1,
            bit_depth: if av1.twelve_bit {
                12
            } else if av1.high_bitdepth {
                10
            } else {
                8
            },
        });
        let mut config = FragmentConfig::new(width, height, timescale);
        config.av1_sequence_header = Some(av1.sequence_header.clone());
        let mut muxer = if audio {
            let audio = FragmentAudioConfig { codec: AudioCodec::Opus, sample_rate: OPUS_RATE, channels: 2 };
            FragmentedMuxer::new_with_audio(config, audio).map_err(mux_err)?
        } else {
            FragmentedMuxer::new(config).map_err(mux_err)?
        };
        let init = muxer.init_segment();

        let fragments = split_fragments(&video, f64::from(timescale) / frame_ticks as f64);
        let mut opus = opus.into_iter().peekable();
        let mut built = Vec::with_capacity(fragments.len());
        let frame_secs = frame_ticks as f64 / f64::from(timescale);
        for (i, range) in fragments.iter().enumerate() {
            for sample in &video[range.clone()] {
                let ticks = sample.frame_no * frame_ticks;
                muxer.write_video(ticks, ticks, &sample.data, sample.keyframe).map_err(mux_err)?;
            }
            // The audio that plays before the next fragment's first frame (the rest at the end).
            let end_secs = match fragments.get(i + 1) {
                Some(next) => video[next.start].frame_no as f64 * frame_secs,
                None => f64::INFINITY,
            };
            while let Some((pts, data)) = opus.next_if(|(pts, _)| (*pts as f64 / f64::from(OPUS_RATE)) < end_secs) {
                muxer.write_audio(pts, pts, &data).map_err(mux_err)?;
            }
            let bytes = muxer.flush_segment().ok_or_else(|| mux_err("an empty fragment"))?;
            let first_frame = video[range.start].frame_no;
            let end_frame = video.get(range.end).map_or(video[range.end - 1].frame_no + 1, |s| s.frame_no);
            built.push((bytes, (end_frame - first_frame) * frame_ticks));
        }

        let references: Vec<Reference> =
            built.iter().map(|(bytes, ticks)| Reference { size: bytes.len() as u64, duration: *ticks }).collect();
        let index_box = sidx::build(1, timescale, 0, &references).map_err(mux_err)?;
        file.write_all(&init)?;
        file.write_all(&index_box)?;
        let mut offset = (init.len() + index_box.len()) as u64;
        let mut segments = Vec::with_capacity(built.len());
        for (bytes, ticks) in &built {
            file.write_all(bytes)?;
            segments.push(Segment {
                offset,
                length: bytes.len() as u64,
                duration_secs: *ticks as f64 / f64::from(timescale),
                sha256: hex::encode(Sha256::digest(bytes)),
            });
            offset += bytes.len() as u64;
        }
        file.flush()?;
        let codecs = codecs::join(&video_codec, audio.then_some(codecs::OPUS));
        Ok((offset, FragmentIndex { init_length: init.len() as u64, segments, codecs }))
    }
}

/// Splits the frames into fragments: each starts at a keyframe, and a new one starts at the
/// first keyframe once the current one holds [`FRAGMENT_TARGET_SECS`] of frames.
fn split_fragments(video: &[VideoSample], fps: f64) -> Vec<std::ops::Range<usize>> {
    let target_frames = (FRAGMENT_TARGET_SECS * fps).round().max(1.0) as u64;
    let mut fragments = Vec::new();
    let mut start = 0usize;
    for (i, sample) in video.iter().enumerate().skip(1) {
        if sample.keyframe && sample.frame_no - video[start].frame_no >= target_frames {
            fragments.push(start..i);
            start = i;
        }
    }
    if !video.is_empty() {
        fragments.push(start..video.len());
    }
    fragments
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

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(keys: &[u64], total: u64) -> Vec<VideoSample> {
        (0..total).map(|n| VideoSample { frame_no: n, data: vec![], keyframe: keys.contains(&n) }).collect()
    }

    #[test]
    fn fragments_start_at_keyframes_after_the_target() {
        // 10 fps: target 20 frames; keyframes at 0, 5 (too early), 25, 30 (too early), 48.
        let video = frames(&[0, 5, 25, 30, 48], 60);
        assert_eq!(split_fragments(&video, 10.0), vec![0..25, 25..48, 48..60]);
        assert_eq!(split_fragments(&frames(&[0], 3), 10.0), vec![0..3]);
        assert!(split_fragments(&[], 10.0).is_empty());
    }
}
