//! Where raw frames come from: a Y4M file read natively (scaled here when the rung's size
//! differs), or ffmpeg decoding and scaling anything else into a Y4M pipe. A reader thread
//! fills rav1e frames and hands them over a small bounded channel, so reading and scaling
//! overlap with encoding.

use super::command::{ChildGuard, StderrTail};
use super::scale::{copy_into_plane, rung_layout, I420Layout, I420Scaler};
use super::y4m_reader::{require_8bit_420, Y4mReader};
use super::{MediaError, Probe};
use crate::config::TranscodingConfig;
use rav1e::prelude::{ChromaSampling, Frame};
use shoal_protocol::y4m::Y4mHeader;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::{ChildStdout, Command};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

/// Frames decoded ahead of the encoder.
const QUEUE_DEPTH: usize = 4;

enum Input {
    File(Y4mReader<File>),
    Pipe(Y4mReader<ChildStdout>),
}

/// An opened source: its output size is known; call [`FrameSource::start`] to read frames.
pub(crate) struct FrameSource {
    input: Option<Input>,
    ffmpeg: Option<(ChildGuard, StderrTail)>,
    header: Y4mHeader,
    src: I420Layout,
    dst: I420Layout,
    rx: Option<Receiver<Result<Frame<u8>, MediaError>>>,
    thread: Option<JoinHandle<()>>,
}

/// ffmpeg's `scale` filter setting the short side of the (already rotated) picture to
/// `resolution` and the long side to the even size that keeps the aspect ratio. The quotes
/// keep the commas inside the expressions from splitting the filter graph.
fn short_side_scale(resolution: u32) -> String {
    let short = (resolution & !1).max(2);
    format!("scale='if(gte(iw,ih),-2,{short})':'if(gte(iw,ih),{short},-2)'")
}

impl FrameSource {
    /// Opens `source` for a rung at `resolution` (the short side of the output, see
    /// [`rung_layout`]). Y4M (by content) is read natively and scaled here; other files go
    /// through ffmpeg, which decodes, applies the rotation of phone videos, and scales the
    /// short side of the rotated picture to `resolution`.
    pub(crate) fn open(
        cfg: &TranscodingConfig,
        source: &Path,
        probe: &Probe,
        resolution: u32,
    ) -> Result<Self, MediaError> {
        if probe.is_y4m() {
            let reader = Y4mReader::new(File::open(source)?)?;
            require_8bit_420(reader.header())?;
            let header = reader.header().clone();
            let src = I420Layout { width: header.width, height: header.height };
            let dst = rung_layout(header.width, header.height, resolution);
            return Ok(Self::new(Input::File(reader), None, header, src, dst));
        }
        let mut cmd = Command::new(&cfg.ffmpeg);
        cmd.args(["-v", "error", "-nostdin", "-i"])
            .arg(super::ffmpeg_input(source))
            .args(["-map", "0:v:0", "-vf"])
            .arg(short_side_scale(resolution))
            .args(["-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "-"]);
        let mut child = ChildGuard::spawn(cmd)?;
        let stderr = StderrTail::collect(child.take_stderr());
        let stdout =
            child.take_stdout().ok_or_else(|| MediaError::Io(std::io::Error::other("ffmpeg stdout missing")))?;
        let reader = match Y4mReader::new(stdout) {
            Ok(reader) => reader,
            Err(e) => {
                // ffmpeg died before writing a header: its stderr says why.
                let status = child.wait()?;
                let tail = stderr.finish();
                return Err(if status.success() { e } else { super::command::failed(child.program(), status, tail) });
            }
        };
        require_8bit_420(reader.header())?;
        let header = reader.header().clone();
        let layout = I420Layout { width: header.width, height: header.height };
        Ok(Self::new(Input::Pipe(reader), Some((child, stderr)), header, layout, layout))
    }

    fn new(
        input: Input,
        ffmpeg: Option<(ChildGuard, StderrTail)>,
        header: Y4mHeader,
        src: I420Layout,
        dst: I420Layout,
    ) -> Self {
        FrameSource { input: Some(input), ffmpeg, header, src, dst, rx: None, thread: None }
    }

    /// Header of the Y4M stream read (the file's, or ffmpeg's output).
    pub(crate) fn header(&self) -> &Y4mHeader {
        &self.header
    }

    /// Size of the frames this source produces.
    pub(crate) fn output(&self) -> I420Layout {
        self.dst
    }

    /// Starts the reader thread; frames are allocated with rav1e's `luma_padding`.
    pub(crate) fn start(&mut self, luma_padding: usize) {
        let Some(input) = self.input.take() else { return };
        let (tx, rx) = sync_channel(QUEUE_DEPTH);
        let (src, dst) = (self.src, self.dst);
        let thread = std::thread::Builder::new().name("shoal-frame-reader".into()).spawn(move || {
            let result = match input {
                Input::File(reader) => pump(reader, src, dst, luma_padding, &tx),
                Input::Pipe(reader) => pump(reader, src, dst, luma_padding, &tx),
            };
            if let Err(e) = result {
                let _ = tx.send(Err(e));
            }
        });
        match thread {
            Ok(thread) => {
                self.thread = Some(thread);
                self.rx = Some(rx);
            }
            Err(e) => {
                let (tx, rx) = sync_channel(1);
                let _ = tx.send(Err(MediaError::Io(e)));
                self.rx = Some(rx);
            }
        }
    }

    /// The next frame, or `None` at the end of the source.
    pub(crate) fn next_frame(&mut self) -> Option<Result<Frame<u8>, MediaError>> {
        self.rx.as_ref()?.recv().ok()
    }

    /// After the last frame: joins the reader and checks ffmpeg's exit status.
    pub(crate) fn finish(mut self) -> Result<(), MediaError> {
        self.rx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some((mut child, stderr)) = self.ffmpeg.take() {
            let status = child.wait()?;
            let tail = stderr.finish();
            if !status.success() {
                return Err(super::command::failed(child.program(), status, tail));
            }
        }
        Ok(())
    }

    /// Stops early (cancel or error): kills ffmpeg and joins the reader.
    pub(crate) fn abort(mut self) {
        self.rx = None;
        if let Some((child, _)) = self.ffmpeg.as_mut() {
            child.kill();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads every frame, converts it into a rav1e frame and sends it; stops when the
/// encoder side hangs up.
fn pump<R: Read>(
    mut reader: Y4mReader<R>,
    src: I420Layout,
    dst: I420Layout,
    luma_padding: usize,
    tx: &std::sync::mpsc::SyncSender<Result<Frame<u8>, MediaError>>,
) -> Result<(), MediaError> {
    let mut scaler = (src != dst).then(|| I420Scaler::new(src, dst));
    let mut buf = Vec::with_capacity(reader.frame_len());
    while reader.read_frame(&mut buf)? {
        let mut frame =
            Frame::<u8>::new_with_padding(dst.width as usize, dst.height as usize, ChromaSampling::Cs420, luma_padding);
        match scaler.as_mut() {
            Some(scaler) => scaler.scale_into(&buf, &mut frame.planes)?,
            None => {
                let planes = src
                    .planes(&buf)
                    .ok_or_else(|| MediaError::Unreadable("frame shorter than its declared size".into()))?;
                for (i, (plane, data)) in frame.planes.iter_mut().zip(planes).enumerate() {
                    copy_into_plane(plane, data, src.plane_size(i).0);
                }
            }
        }
        if tx.send(Ok(frame)).is_err() {
            break;
        }
    }
    Ok(())
}
