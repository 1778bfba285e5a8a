//! The rav1e configuration for one rung, and the send/receive loop that drives rav1e:
//! frames are pulled from a source only when rav1e asks for more, and each packet is
//! handed on as soon as it comes out, so decoding, encoding and muxing interleave.

use super::MediaError;
use crate::config::TranscodingConfig;
use rav1e::prelude::{
    ChromaSamplePosition, ChromaSampling, Config, Context, EncoderConfig, EncoderStatus, Frame, FrameType, PixelRange,
    Rational,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Longest distance between keyframes, in seconds: players seek to keyframes.
pub const KEYFRAME_INTERVAL_SECS: f64 = 3.0;

/// What rav1e needs to know about the frames of one rung.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeParams {
    pub width: u32,
    pub height: u32,
    pub fps_num: u32,
    pub fps_den: u32,
    /// Target bitrate in kbit/s.
    pub bitrate_kbps: u32,
    /// MPEG-2 chroma siting (Y4M `C420mpeg2`) rather than centred.
    pub chroma_vertical: bool,
    /// Full-range samples (Y4M `XCOLORRANGE=FULL`).
    pub full_range: bool,
}

/// The rav1e configuration used by the pipeline (and by the benchmark's baseline):
/// 8-bit 4:2:0, speed/tiles/threads from the config, one-pass rate control at the rung's
/// bitrate, keyframes at most [`KEYFRAME_INTERVAL_SECS`] apart, lookahead on (not low latency).
pub fn rav1e_config(params: &EncodeParams, cfg: &TranscodingConfig) -> Config {
    let mut enc = EncoderConfig::with_speed_preset(cfg.speed.min(10));
    enc.width = params.width as usize;
    enc.height = params.height as usize;
    enc.time_base = Rational::new(u64::from(params.fps_den), u64::from(params.fps_num.max(1)));
    enc.bit_depth = 8;
    enc.chroma_sampling = ChromaSampling::Cs420;
    enc.chroma_sample_position =
        if params.chroma_vertical { ChromaSamplePosition::Vertical } else { ChromaSamplePosition::Unknown };
    enc.pixel_range = if params.full_range { PixelRange::Full } else { PixelRange::Limited };
    enc.bitrate = i32::try_from(u64::from(params.bitrate_kbps) * 1000).unwrap_or(i32::MAX);
    enc.tiles = effective_tiles(cfg);
    enc.low_latency = false;
    let fps = f64::from(params.fps_num) / f64::from(params.fps_den.max(1));
    let max_interval = ((fps * KEYFRAME_INTERVAL_SECS).round() as u64).max(1);
    enc.max_key_frame_interval = max_interval;
    enc.min_key_frame_interval = max_interval.min(12);
    Config::new().with_encoder_config(enc).with_threads(cfg.threads)
}

/// Tile count for the encoder: the configured one, or with `tiles = 0` one tile
/// per encoding thread. rav1e parallelises a frame only across tiles, so one tile
/// keeps a 720p encode on about one core however many threads it has.
pub fn effective_tiles(cfg: &TranscodingConfig) -> usize {
    if cfg.tiles > 0 {
        return cfg.tiles;
    }
    let threads =
        if cfg.threads > 0 { cfg.threads } else { std::thread::available_parallelism().map_or(1, usize::from) };
    threads.clamp(1, 16)
}

/// Builds the rav1e context for `params`.
pub fn new_context(params: &EncodeParams, cfg: &TranscodingConfig) -> Result<Context<u8>, MediaError> {
    rav1e_config(params, cfg).new_context().map_err(|e| MediaError::Encoder(format!("invalid configuration: {e}")))
}

/// One encoded temporal unit, in presentation order.
pub struct EncodedPacket {
    /// Index of the input frame it shows (0-based).
    pub frame_no: u64,
    pub data: Vec<u8>,
    pub keyframe: bool,
}

/// Runs rav1e to the end of the source: `next_frame` is called when rav1e wants input
/// (`None` = end of source), `on_packet` for every packet. Returns the packets produced.
/// Stops with [`MediaError::Cancelled`] soon after `cancel` is set.
pub fn encode_all(
    ctx: &mut Context<u8>,
    mut next_frame: impl FnMut() -> Option<Result<Frame<u8>, MediaError>>,
    mut on_packet: impl FnMut(EncodedPacket) -> Result<(), MediaError>,
    cancel: &AtomicBool,
) -> Result<u64, MediaError> {
    let mut packets = 0u64;
    let mut flushing = false;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(MediaError::Cancelled);
        }
        match ctx.receive_packet() {
            Ok(packet) => {
                packets += 1;
                on_packet(EncodedPacket {
                    frame_no: packet.input_frameno,
                    keyframe: packet.frame_type == FrameType::KEY,
                    data: packet.data,
                })?;
            }
            Err(EncoderStatus::Encoded) => {}
            Err(EncoderStatus::NeedMoreData) if !flushing => match next_frame() {
                Some(Ok(frame)) => ctx.send_frame(frame).map_err(|e| MediaError::Encoder(e.to_string()))?,
                Some(Err(e)) => return Err(e),
                None => {
                    flushing = true;
                    ctx.send_frame(None::<Arc<Frame<u8>>>).map_err(|e| MediaError::Encoder(e.to_string()))?;
                }
            },
            Err(EncoderStatus::LimitReached) => return Ok(packets),
            Err(e) => return Err(MediaError::Encoder(e.to_string())),
        }
    }
}
