//! The media pipeline: probe an upload, plan its resolution ladder, transcode each rung to
//! AV1 (rav1e) + Opus in a fragmented MP4
//! (played progressively and as HLS from the same bytes, see [`mux`]), and make its thumbnail. Everything here is
//! blocking; callers run it on dedicated threads, never on the async runtime.
//!
//! Y4M is read natively (`shoal_protocol::y4m`); every other input is probed by ffprobe and
//! decoded by ffmpeg. Child processes run under time limits (probe, thumbnail) or the
//! caller's cancel flag (transcode), and are killed if the operation fails.

mod audio;
mod command;
pub mod encode;
mod error;
mod frame_source;
mod ladder;
pub mod mux;
mod probe;
pub mod scale;
mod thumbnail;
mod transcode;
pub mod y4m_reader;

pub use audio::{demux_opus, opus_packet_samples, OpusPacket, OpusStream};
pub use error::MediaError;
pub use ladder::plan_ladder;
pub use probe::{probe, PROBE_TIMEOUT, Y4M_FORMAT};
pub use thumbnail::{thumbnail, THUMBNAIL_TIMEOUT, THUMBNAIL_WIDTH};
pub use transcode::transcode_rung;

use crate::config::TranscodingConfig;
use std::ffi::OsString;
use std::path::Path;

/// What a source file is.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub width: u32,
    pub height: u32,
    /// Frames per second (`fps_num / fps_den`).
    pub fps: f64,
    pub fps_num: u32,
    pub fps_den: u32,
    /// Exact for Y4M; from the container (or duration x fps) otherwise.
    pub frames: u64,
    pub duration_secs: f64,
    pub has_audio: bool,
    /// `yuv4mpegpipe` for Y4M, ffprobe's `format_name` otherwise.
    pub format: String,
}

impl Probe {
    /// Whether the source is read natively as Y4M.
    pub fn is_y4m(&self) -> bool {
        self.format == Y4M_FORMAT
    }

    /// PeerTube's resolution of the source: its short side (the same whether or not a
    /// phone video's rotation is applied).
    pub fn resolution(&self) -> u32 {
        self.width.min(self.height)
    }
}

/// One rung to produce.
#[derive(Debug, Clone)]
pub struct RungRequest<'a> {
    pub source_path: &'a Path,
    pub probe: &'a Probe,
    /// The output's short side (rounded down to even), PeerTube's "resolution"; the other
    /// side follows the aspect ratio.
    pub resolution: u32,
    /// Target video bitrate in kbit/s.
    pub bitrate_kbps: u32,
    pub cfg: &'a TranscodingConfig,
    /// Temporary output file; the caller renames it once the call succeeds.
    pub out_path: &'a Path,
}

/// What a rung produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RungOutput {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub frames: u64,
    /// File size in bytes.
    pub size: u64,
    /// Where its init segment and fragments lie (the HLS playlists' byte ranges).
    pub index: shoal_protocol::hls::FragmentIndex,
}

/// A path as an ffmpeg input/output URL: `file:` keeps names like `http:x` or `-x` from
/// being read as protocols or options.
pub(crate) fn ffmpeg_input(path: &Path) -> OsString {
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    url
}
