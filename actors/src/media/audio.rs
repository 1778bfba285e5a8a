//! The audio track: ffmpeg encodes the source's first audio stream to Opus in an Ogg file
//! (running beside the video encode), then the Ogg pages are demuxed with the `ogg` crate
//! into raw Opus packets timed from the pages' granule positions, ready for the MP4 muxer.

use super::command::{failed, ChildGuard, StderrTail};
use super::MediaError;
use crate::config::TranscodingConfig;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Opus always runs at 48 kHz; granule positions count samples at that rate.
pub const OPUS_RATE: u32 = 48_000;
/// Largest Opus packet duration (120 ms).
const MAX_PACKET_SAMPLES: u32 = 5_760;

/// One Opus packet and its start, in 48 kHz samples from the start of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusPacket {
    pub pts_samples: u64,
    pub data: Vec<u8>,
}

/// The demuxed Opus stream.
#[derive(Debug, Default)]
pub struct OpusStream {
    pub channels: u8,
    /// Samples to drop at the start (OpusHead pre-skip).
    pub pre_skip: u16,
    pub packets: Vec<OpusPacket>,
}

/// An ffmpeg process writing the Opus track to a temporary Ogg file.
pub(crate) struct AudioJob {
    child: ChildGuard,
    stderr: StderrTail,
    ogg_path: PathBuf,
}

impl AudioJob {
    /// Starts `ffmpeg -i SRC -map 0:a:0 -vn -c:a libopus -b:a Nk -ac 2 -ar 48000 -f ogg OGG`.
    pub(crate) fn start(cfg: &TranscodingConfig, source: &Path, ogg_path: PathBuf) -> Result<AudioJob, MediaError> {
        let mut cmd = Command::new(&cfg.ffmpeg);
        cmd.args(["-v", "error", "-nostdin", "-y", "-i"])
            .arg(super::ffmpeg_input(source))
            .args(["-map", "0:a:0", "-vn", "-c:a", "libopus", "-b:a"])
            .arg(format!("{}k", cfg.audio_bitrate_kbps.max(6)))
            .args(["-ac", "2", "-ar", "48000", "-f", "ogg"])
            .arg(super::ffmpeg_input(&ogg_path));
        let mut child = ChildGuard::spawn(cmd)?;
        let stderr = StderrTail::collect(child.take_stderr());
        Ok(AudioJob { child, stderr, ogg_path })
    }

    /// Waits for ffmpeg (checking `cancel`), then demuxes the Ogg file and removes it.
    pub(crate) fn finish(mut self, cancel: &AtomicBool) -> Result<OpusStream, MediaError> {
        let result = self.wait_and_demux(cancel);
        let _ = std::fs::remove_file(&self.ogg_path);
        result
    }

    fn wait_and_demux(&mut self, cancel: &AtomicBool) -> Result<OpusStream, MediaError> {
        let status = loop {
            if cancel.load(Ordering::Relaxed) {
                self.child.kill();
                return Err(MediaError::Cancelled);
            }
            if let Some(status) = self.child.try_wait()? {
                break status;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let tail = std::mem::replace(&mut self.stderr, StderrTail::collect(None)).finish();
        if !status.success() {
            return Err(failed(self.child.program(), status, tail));
        }
        demux_opus(BufReader::new(File::open(&self.ogg_path)?))
    }
}

impl Drop for AudioJob {
    fn drop(&mut self) {
        self.child.kill();
        let _ = std::fs::remove_file(&self.ogg_path);
    }
}

/// Samples in an Opus packet, from its TOC byte (RFC 6716 §3.1). `None` if malformed.
pub fn opus_packet_samples(packet: &[u8]) -> Option<u32> {
    let toc = *packet.first()?;
    let config = usize::from(toc >> 3);
    let per_frame = match config {
        0..=11 => [480, 960, 1920, 2880][config % 4],
        12..=15 => [480, 960][config % 2],
        _ => [120, 240, 480, 960][config % 4],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u32::from(*packet.get(1)? & 0x3f),
    };
    let samples = per_frame * frames;
    (frames > 0 && samples <= MAX_PACKET_SAMPLES).then_some(samples)
}

/// Reads an Ogg Opus stream: checks OpusHead, skips OpusTags, and times every audio packet.
/// A page's packets start at `granule - (samples in the page)` (so a stream that starts
/// late keeps its offset); the last page (whose granule may trim the end) and any page that
/// would overlap the previous one continue from the running position instead.
pub fn demux_opus<R: Read + Seek>(reader: R) -> Result<OpusStream, MediaError> {
    let bad = |m: String| MediaError::Audio(m);
    let mut packets = ogg::PacketReader::new(reader);
    let mut stream = OpusStream::default();
    let mut serial = None;
    let mut headers_seen = 0;
    let mut page: Vec<(Vec<u8>, u32)> = Vec::new();
    let mut position = 0u64;
    while let Some(packet) = packets.read_packet().map_err(|e| bad(format!("ogg: {e}")))? {
        if *serial.get_or_insert(packet.stream_serial()) != packet.stream_serial() {
            continue; // Only the first logical stream (ffmpeg writes one).
        }
        if headers_seen == 0 {
            let head = &packet.data;
            if head.len() < 19 || &head[..8] != b"OpusHead" {
                return Err(bad("first Ogg packet is not OpusHead".into()));
            }
            stream.channels = head[9];
            stream.pre_skip = u16::from_le_bytes([head[10], head[11]]);
            headers_seen = 1;
            continue;
        }
        if headers_seen == 1 {
            if !packet.data.starts_with(b"OpusTags") {
                return Err(bad("second Ogg packet is not OpusTags".into()));
            }
            headers_seen = 2;
            continue;
        }
        let samples = opus_packet_samples(&packet.data)
            .ok_or_else(|| bad(format!("malformed Opus packet #{}", stream.packets.len())))?;
        let (last_in_page, last_in_stream, granule) =
            (packet.last_in_page(), packet.last_in_stream(), packet.absgp_page());
        page.push((packet.data, samples));
        if last_in_page || last_in_stream {
            let total: u64 = page.iter().map(|(_, s)| u64::from(*s)).sum();
            let from_granule = granule.checked_sub(total).filter(|_| granule != u64::MAX && !last_in_stream);
            let mut pts = from_granule.map_or(position, |start| start.max(position));
            for (data, samples) in page.drain(..) {
                stream.packets.push(OpusPacket { pts_samples: pts, data });
                pts += u64::from(samples);
            }
            position = pts;
        }
    }
    for (data, samples) in page.drain(..) {
        stream.packets.push(OpusPacket { pts_samples: position, data });
        position += u64::from(samples);
    }
    if headers_seen < 2 {
        return Err(bad("Ogg stream has no Opus headers".into()));
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toc_durations() {
        assert_eq!(opus_packet_samples(&[0xFC]), Some(960)); // CELT FB 20 ms, one frame
        assert_eq!(opus_packet_samples(&[0xF8 | 1]), Some(1920)); // two 20 ms frames
        assert_eq!(opus_packet_samples(&[0x0B, 0x03]), Some(2880)); // SILK 20 ms, three frames
        assert_eq!(opus_packet_samples(&[0x1B, 0x03]), None); // 3 x 60 ms > 120 ms
        assert_eq!(opus_packet_samples(&[0x03, 0x00]), None); // zero frames
        assert_eq!(opus_packet_samples(&[]), None);
    }

    #[test]
    fn rejects_non_opus_ogg() {
        assert!(demux_opus(std::io::Cursor::new(b"not ogg at all".to_vec())).is_err());
    }
}
