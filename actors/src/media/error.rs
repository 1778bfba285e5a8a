//! Why a media operation (probe, transcode, thumbnail) failed.

use thiserror::Error;

/// Failures of the media pipeline. The transcode supervisor retries the transient ones
/// (I/O, ffmpeg crashes) and reports the message of the last one on the video.
#[derive(Debug, Error)]
pub enum MediaError {
    /// The file is not a video we can read: not a Y4M/container ffprobe understands, no video
    /// stream, a truncated Y4M, an unsupported Y4M colour space. Tell the uploader; retrying
    /// will not help.
    #[error("unreadable video: {0}")]
    Unreadable(String),
    /// ffmpeg or ffprobe could not be started (not installed, or the configured path is
    /// wrong). Install ffmpeg or fix `transcoding.ffmpeg` / `transcoding.ffprobe`.
    #[error("cannot run {program}: {source}")]
    Spawn { program: String, source: std::io::Error },
    /// ffmpeg or ffprobe exited unsuccessfully; `stderr` holds the last lines it printed.
    /// Usually the input is damaged in a way probing did not notice.
    #[error("{program} failed ({status}): {stderr}")]
    Ffmpeg { program: String, status: String, stderr: String },
    /// ffmpeg or ffprobe ran longer than its time limit and was killed. The file may be
    /// hostile (e.g. a decompression bomb) or the machine overloaded.
    #[error("{program} timed out after {secs} s")]
    Timeout { program: String, secs: u64 },
    /// ffprobe or ffmpeg printed more output than the cap allows: treated as hostile input.
    #[error("{program} printed more than {limit} bytes")]
    OutputTooLarge { program: String, limit: usize },
    /// rav1e rejected the configuration or failed while encoding. A configuration error
    /// (speed, tiles, dimensions) needs the config fixed; otherwise retry.
    #[error("AV1 encoder: {0}")]
    Encoder(String),
    /// The Opus audio from ffmpeg could not be demuxed (bad Ogg framing or Opus packets).
    #[error("audio: {0}")]
    Audio(String),
    /// The MP4 muxer rejected the stream (timestamps, missing sequence header, size limits).
    #[error("MP4 mux: {0}")]
    Mux(String),
    /// Reading the source or writing the output failed (disk full, permissions, file gone).
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The caller asked to stop (shutdown or video deleted); the partial output was removed.
    #[error("cancelled")]
    Cancelled,
}
