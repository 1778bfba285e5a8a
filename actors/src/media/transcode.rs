//! One rung of a transcode, end to end and blocking: frames from the source (native Y4M or
//! ffmpeg), AV1 by rav1e, Opus by ffmpeg beside it, fragmented MP4 by muxide. The caller runs it on a
//! dedicated thread and renames `out_path` when it succeeds; on failure the partial file is
//! removed.

use super::audio::AudioJob;
use super::encode::{encode_all, new_context, EncodeParams};
use super::frame_source::FrameSource;
use super::mux::Mp4Output;
use super::{MediaError, RungOutput, RungRequest};
use shoal_protocol::y4m::Chroma;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// Progress is reported every this many frames (and at the end).
const PROGRESS_EVERY: u64 = 5;

/// Transcodes one rung; see [`super::transcode_rung`].
pub fn transcode_rung(
    req: &RungRequest,
    progress: &mut dyn FnMut(u64, u64),
    cancel: &AtomicBool,
) -> Result<RungOutput, MediaError> {
    let result = run(req, progress, cancel);
    if result.is_err() {
        let _ = std::fs::remove_file(req.out_path);
    }
    result
}

/// Where the audio track is staged: beside the output, removed afterwards.
fn audio_temp_path(req: &RungRequest) -> PathBuf {
    let mut name = req.out_path.file_name().map(OsString::from).unwrap_or_default();
    name.push(".opus.ogg");
    req.out_path.with_file_name(name)
}

fn run(req: &RungRequest, progress: &mut dyn FnMut(u64, u64), cancel: &AtomicBool) -> Result<RungOutput, MediaError> {
    let mut source = FrameSource::open(req.cfg, req.source_path, req.probe, req.resolution)?;
    let header = source.header().clone();
    let out = source.output();
    let params = EncodeParams {
        width: out.width,
        height: out.height,
        fps_num: header.fps_num,
        fps_den: header.fps_den,
        bitrate_kbps: req.bitrate_kbps,
        chroma_vertical: header.chroma == Chroma::C420Mpeg2,
        full_range: header.full_range,
    };
    let mut ctx = new_context(&params, req.cfg)?;
    source.start(ctx.new_frame().planes[0].cfg.xpad);
    let audio =
        if req.probe.has_audio { Some(AudioJob::start(req.cfg, req.source_path, audio_temp_path(req))?) } else { None };
    tracing::info!(
        source = %req.source_path.display(), width = out.width, height = out.height,
        bitrate_kbps = req.bitrate_kbps, audio = audio.is_some(), "transcoding rung"
    );
    let mut mp4 =
        Mp4Output::create(req.out_path, out.width, out.height, header.fps_num, header.fps_den, audio.is_some())?;
    let total = req.probe.frames;
    let mut done = 0u64;
    let encoded = encode_all(
        &mut ctx,
        || source.next_frame(),
        |packet| {
            mp4.write_video(packet.frame_no, &packet.data, packet.keyframe)?;
            done += 1;
            if done.is_multiple_of(PROGRESS_EVERY) {
                progress(done, total.max(done));
            }
            Ok(())
        },
        cancel,
    );
    if let Err(e) = encoded {
        source.abort();
        return Err(e);
    }
    source.finish()?;
    if mp4.video_frames() == 0 {
        return Err(MediaError::Unreadable("the source has no video frames".into()));
    }
    if let Some(audio) = audio {
        let stream = audio.finish(cancel)?;
        mp4.write_audio(&stream)?;
    }
    let frames = mp4.video_frames();
    let (size, index) = mp4.finish()?;
    progress(frames, frames);
    Ok(RungOutput {
        width: out.width,
        height: out.height,
        fps: f64::from(header.fps_num) / f64::from(header.fps_den),
        frames,
        size,
        index,
    })
}
