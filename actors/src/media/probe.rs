//! What an upload is: Y4M files are measured natively (header + file size), anything else
//! is asked of `ffprobe` (JSON), with a time limit and an output cap.

use super::command::run_capped;
use super::y4m_reader::require_8bit_420;
use super::{MediaError, Probe};
use crate::config::TranscodingConfig;
use serde::Deserialize;
use shoal_protocol::y4m::{self, Y4mError};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// ffprobe is killed after this long.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest ffprobe JSON accepted.
const PROBE_MAX_OUTPUT: usize = 1 << 20;
/// Format name reported for natively read Y4M (ffprobe's name for it).
pub const Y4M_FORMAT: &str = "yuv4mpegpipe";
/// Largest picture side accepted (the MP4 header stores 16-bit sizes; AV1 levels stop lower).
const MAX_SIDE: u32 = 8192;

/// Probes `path`: Y4M (recognised by its magic) natively, anything else through ffprobe.
pub fn probe(cfg: &TranscodingConfig, path: &Path) -> Result<Probe, MediaError> {
    let mut file = File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut head = Vec::with_capacity(y4m::MAX_HEADER_LEN + y4m::MAX_FRAME_HEADER_LEN);
    (&mut file).take((y4m::MAX_HEADER_LEN + y4m::MAX_FRAME_HEADER_LEN) as u64).read_to_end(&mut head)?;
    let probe = if head.starts_with(y4m::MAGIC) { probe_y4m(&head, file_len)? } else { probe_ffprobe(cfg, path)? };
    if probe.width > MAX_SIDE || probe.height > MAX_SIDE {
        return Err(MediaError::Unreadable(format!(
            "{}x{} is larger than the {MAX_SIDE} pixel limit",
            probe.width, probe.height
        )));
    }
    Ok(probe)
}

/// Y4M: frames = (file size - header) / (frame header + payload); a remainder or zero
/// frames means the file was cut short.
pub(crate) fn probe_y4m(head: &[u8], file_len: u64) -> Result<Probe, MediaError> {
    let (header, header_len) = y4m::parse_header(head).map_err(|e| match e {
        Y4mError::Incomplete => MediaError::Unreadable("truncated Y4M: header cut short".into()),
        other => MediaError::Unreadable(other.to_string()),
    })?;
    require_8bit_420(&header)?;
    let frame_len = header.frame_len().ok_or_else(|| MediaError::Unreadable("Y4M frame size overflows".into()))?;
    let frame_header_len = match y4m::parse_frame_header(&head[header_len..]) {
        Ok(len) => len,
        Err(Y4mError::Incomplete) => {
            return Err(MediaError::Unreadable("truncated Y4M: no complete frame".into()));
        }
        Err(e) => return Err(MediaError::Unreadable(format!("Y4M first frame: {e}"))),
    };
    let per_frame = (frame_header_len + frame_len) as u64;
    let body = file_len - header_len as u64;
    let frames = body / per_frame;
    if frames == 0 {
        return Err(MediaError::Unreadable(format!(
            "truncated Y4M: no complete frame ({body} bytes after the header, a frame takes {per_frame})"
        )));
    }
    if !body.is_multiple_of(per_frame) {
        return Err(MediaError::Unreadable(format!(
            "truncated Y4M: {frames} complete frames then {} stray bytes (a frame takes {per_frame})",
            body % per_frame
        )));
    }
    let fps = header.fps();
    Ok(Probe {
        width: header.width,
        height: header.height,
        fps,
        fps_num: header.fps_num,
        fps_den: header.fps_den,
        frames,
        duration_secs: frames as f64 / fps,
        has_audio: false,
        format: Y4M_FORMAT.to_string(),
    })
}

#[derive(Debug, Deserialize)]
struct FfprobeOutput {
    #[serde(default)]
    streams: Vec<FfprobeStream>,
    format: Option<FfprobeFormat>,
}

#[derive(Debug, Deserialize)]
struct FfprobeStream {
    codec_type: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    duration: Option<String>,
    nb_frames: Option<String>,
    #[serde(default)]
    disposition: FfprobeDisposition,
}

#[derive(Debug, Default, Deserialize)]
struct FfprobeDisposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Debug, Deserialize)]
struct FfprobeFormat {
    format_name: Option<String>,
    duration: Option<String>,
}

fn probe_ffprobe(cfg: &TranscodingConfig, path: &Path) -> Result<Probe, MediaError> {
    let mut cmd = Command::new(&cfg.ffprobe);
    cmd.args(["-v", "error", "-print_format", "json", "-show_format", "-show_streams"]).arg(super::ffmpeg_input(path));
    let json = match run_capped(cmd, PROBE_TIMEOUT, PROBE_MAX_OUTPUT) {
        Ok(json) => json,
        Err(MediaError::Ffmpeg { stderr, .. }) => {
            return Err(MediaError::Unreadable(format!("not a video ffprobe can read: {stderr}")));
        }
        Err(e) => return Err(e),
    };
    parse_ffprobe_json(&json)
}

/// Turns ffprobe's JSON into a [`Probe`]: the first video stream that is not cover art.
pub(crate) fn parse_ffprobe_json(json: &[u8]) -> Result<Probe, MediaError> {
    let out: FfprobeOutput =
        serde_json::from_slice(json).map_err(|e| MediaError::Unreadable(format!("unexpected ffprobe output: {e}")))?;
    let video = out
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video") && s.disposition.attached_pic == 0)
        .ok_or_else(|| MediaError::Unreadable("no video stream".into()))?;
    let (width, height) = match (video.width, video.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
        _ => return Err(MediaError::Unreadable("video stream has no picture size".into())),
    };
    let (fps_num, fps_den) = [&video.avg_frame_rate, &video.r_frame_rate]
        .into_iter()
        .flatten()
        .find_map(|r| parse_rate(r))
        .ok_or_else(|| MediaError::Unreadable("video stream has no frame rate".into()))?;
    let fps = f64::from(fps_num) / f64::from(fps_den);
    let duration_secs = [video.duration.as_deref(), out.format.as_ref().and_then(|f| f.duration.as_deref())]
        .into_iter()
        .flatten()
        .filter_map(|d| d.parse::<f64>().ok())
        .find(|d| d.is_finite() && *d > 0.0)
        .unwrap_or(0.0);
    let frames = video
        .nb_frames
        .as_deref()
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or((duration_secs * fps).round() as u64);
    Ok(Probe {
        width,
        height,
        fps,
        fps_num,
        fps_den,
        frames,
        duration_secs,
        has_audio: out.streams.iter().any(|s| s.codec_type.as_deref() == Some("audio")),
        format: out.format.and_then(|f| f.format_name).unwrap_or_default(),
    })
}

/// `"30000/1001"` -> (30000, 1001); rejects 0/0 and rates outside (0, 1000] fps.
fn parse_rate(rate: &str) -> Option<(u32, u32)> {
    let (n, d) = rate.split_once('/')?;
    let (n, d) = (n.trim().parse::<u32>().ok()?, d.trim().parse::<u32>().ok()?);
    (n > 0 && d > 0 && f64::from(n) / f64::from(d) <= 1000.0).then_some((n, d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// ffprobe-shaped JSON with arbitrary values where ffprobe puts numbers and strings.
    fn ffprobe_like() -> impl Strategy<Value = String> {
        // Mostly plausible values (so the logic after deserialisation runs), some hostile.
        let text = prop_oneof![
            1 => Just("null".to_string()),
            6 => "[0-9]{1,6}/[0-9]{1,6}|[0-9]{1,5}(\\.[0-9]{1,3})?".prop_map(|s| serde_json::json!(s).to_string()),
            1 => "-?[0-9e.]{1,8}|.{0,12}".prop_map(|s| serde_json::json!(s).to_string()),
        ];
        let number = prop_oneof![
            1 => Just("null".to_string()),
            8 => (0i64..20_000).prop_map(|n| n.to_string()),
            1 => any::<i64>().prop_map(|n| n.to_string()),
        ];
        let stream = (
            prop_oneof![3 => Just("\"video\""), 1 => Just("\"audio\""), 1 => Just("null")],
            number.clone(),
            number,
            text.clone(),
            text.clone(),
            text.clone(),
            prop_oneof![4 => Just(0u8), 1 => 0u8..3],
        )
            .prop_map(|(kind, w, h, rate, nb, dur, pic)| {
                format!(
                    r#"{{"codec_type":{kind},"width":{w},"height":{h},"avg_frame_rate":{rate},"nb_frames":{nb},"duration":{dur},"disposition":{{"attached_pic":{pic}}}}}"#
                )
            });
        (proptest::collection::vec(stream, 0..4), text).prop_map(|(streams, dur)| {
            format!(r#"{{"streams":[{}],"format":{{"duration":{dur},"format_name":"x"}}}}"#, streams.join(","))
        })
    }

    proptest! {
        #[test]
        fn ffprobe_output_never_panics(json in ffprobe_like()) {
            if let Ok(probe) = parse_ffprobe_json(json.as_bytes()) {
                prop_assert!(probe.width > 0 && probe.height > 0 && probe.fps > 0.0 && probe.fps <= 1000.0);
            }
        }

        #[test]
        fn arbitrary_bytes_and_rates_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256), rate in ".{0,24}") {
            prop_assert!(parse_ffprobe_json(&bytes).is_err() || serde_json::from_slice::<serde_json::Value>(&bytes).is_ok());
            if let Some((n, d)) = parse_rate(&rate) {
                prop_assert!(n > 0 && d > 0);
            }
        }
    }

    fn y4m(frames: usize, extra: usize) -> Vec<u8> {
        let mut s = b"YUV4MPEG2 W4 H2 F30000:1001 C420mpeg2\n".to_vec();
        for _ in 0..frames {
            s.extend_from_slice(b"FRAME\n");
            s.extend_from_slice(&[16; 12]);
        }
        if extra > 0 {
            s.extend_from_slice(b"FRAME\n");
            s.extend(std::iter::repeat_n(0u8, extra));
        }
        s
    }

    #[test]
    fn y4m_frames_from_size() {
        let data = y4m(5, 0);
        let p = probe_y4m(&data, data.len() as u64).unwrap();
        assert_eq!((p.width, p.height, p.frames, p.fps_num, p.fps_den), (4, 2, 5, 30000, 1001));
        assert!((p.duration_secs - 5.0 * 1001.0 / 30000.0).abs() < 1e-9);
        assert!(!p.has_audio);
    }

    #[test]
    fn truncated_y4m_is_unreadable() {
        for (frames, extra) in [(0, 0), (0, 7), (3, 5)] {
            let data = y4m(frames, extra);
            match probe_y4m(&data, data.len() as u64) {
                Err(MediaError::Unreadable(m)) => assert!(m.starts_with("truncated Y4M"), "{m}"),
                other => panic!("unexpected {other:?}"),
            }
        }
        let data = b"YUV4MPEG2 W4 H2 F25:1 C444\nFRAME\n".to_vec();
        assert!(matches!(probe_y4m(&data, 1000), Err(MediaError::Unreadable(_))));
    }

    #[test]
    fn ffprobe_json() {
        let json = br#"{"streams":[
            {"codec_type":"video","width":1,"height":1,"avg_frame_rate":"0/0","disposition":{"attached_pic":1}},
            {"codec_type":"video","width":320,"height":240,"avg_frame_rate":"0/0","r_frame_rate":"10/1","duration":"2.000000"},
            {"codec_type":"audio"}],
            "format":{"format_name":"mov,mp4","duration":"2.1"}}"#;
        let p = parse_ffprobe_json(json).unwrap();
        assert_eq!((p.width, p.height, p.fps_num, p.fps_den, p.frames), (320, 240, 10, 1, 20));
        assert!(p.has_audio);
        assert_eq!(p.format, "mov,mp4");
        let audio_only = br#"{"streams":[{"codec_type":"audio"}],"format":{}}"#;
        assert!(matches!(parse_ffprobe_json(audio_only), Err(MediaError::Unreadable(_))));
        assert!(matches!(parse_ffprobe_json(b"{}"), Err(MediaError::Unreadable(_))));
        assert!(parse_rate("90000/0").is_none());
        assert_eq!(parse_rate("24000/1001"), Some((24000, 1001)));
    }
}
