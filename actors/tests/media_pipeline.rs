//! The media pipeline against real files made by ffmpeg: probing (Y4M, truncated Y4M, a
//! text file, MP4 with audio), transcoding to AV1 (+ Opus) MP4 checked with ffprobe
//! (codecs, size, frame count, moov before mdat, decodable), thumbnails and cancellation.
//! Needs `ffmpeg` and `ffprobe` on PATH (the README's set-up installs them).

use serde_json::Value;
use sha2::Digest;
use shoal_actors::config::TranscodingConfig;
use shoal_actors::media::{self, mux::top_level_boxes, MediaError, Probe, RungRequest};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg").args(["-v", "error", "-nostdin", "-y"]).args(args).output().expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn has_encoder(name: &str) -> bool {
    let out = Command::new("ffmpeg").args(["-hide_banner", "-encoders"]).output().expect("run ffmpeg");
    String::from_utf8_lossy(&out.stdout).lines().any(|l| l.split_whitespace().nth(1) == Some(name))
}

/// 15 frames of 320x240 at 10 fps, 4:2:0.
fn make_y4m(dir: &Path) -> PathBuf {
    let path = dir.join("clip.y4m");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=10",
        "-frames:v",
        "15",
        "-pix_fmt",
        "yuv420p",
        path.to_str().unwrap(),
    ]);
    path
}

/// 2 s of 320x240 at 10 fps (H.264, or MPEG-4 part 2 without libx264) with a 440 Hz AAC tone.
fn make_mp4_with_audio(dir: &Path) -> PathBuf {
    let path = dir.join("clip.mp4");
    let vcodec = if has_encoder("libx264") { "libx264" } else { "mpeg4" };
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=10",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440",
        "-t",
        "2",
        "-c:v",
        vcodec,
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        path.to_str().unwrap(),
    ]);
    path
}

fn cfg() -> TranscodingConfig {
    TranscodingConfig { speed: 10, ..TranscodingConfig::default() }
}

/// ffprobe's streams of `path`, with packets counted.
fn streams(path: &Path) -> Vec<Value> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_packets",
            "-show_entries",
            "stream=codec_type,codec_name,width,height,nb_read_packets",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["streams"].as_array().cloned().unwrap_or_default()
}

fn stream_of<'a>(streams: &'a [Value], kind: &str) -> Option<&'a Value> {
    streams.iter().find(|s| s["codec_type"] == kind)
}

/// The layout the ladder writes: `ftyp`, `moov`, `sidx`, then `moof`+`mdat` fragments, each
/// described by the returned index (offsets, sizes, hashes), each starting with a keyframe,
/// together playing as long as the file.
fn assert_fragmented(path: &Path, output: &media::RungOutput) {
    let bytes = std::fs::read(path).unwrap();
    let boxes = top_level_boxes(&bytes);
    let kinds: Vec<String> = boxes.iter().map(|(k, _)| String::from_utf8_lossy(k).into_owned()).collect();
    assert_eq!(kinds[..3], ["ftyp", "moov", "sidx"], "{kinds:?}");
    assert!(kinds[3..].chunks(2).all(|pair| pair == ["moof", "mdat"]), "{kinds:?}");
    let index = &output.index;
    assert_eq!(index.init_length, boxes[0].1 + boxes[1].1, "init = ftyp + moov");
    assert_eq!(index.segments.len(), (kinds.len() - 3) / 2);
    let mut at = index.init_length + boxes[2].1;
    for (seg, pair) in index.segments.iter().zip(boxes[3..].chunks(2)) {
        assert_eq!((seg.offset, seg.length), (at, pair[0].1 + pair[1].1));
        let range = &bytes[seg.offset as usize..(seg.offset + seg.length) as usize];
        assert_eq!(seg.sha256, hex::encode(sha2::Sha256::digest(range)));
        at += seg.length;
    }
    assert_eq!(at, bytes.len() as u64);
    let played: f64 = index.segments.iter().map(|s| s.duration_secs).sum();
    assert!((played - output.frames as f64 / output.fps).abs() < 1e-6, "{played} s");
    assert!(index.codecs.starts_with("av01.0."), "{}", index.codecs);
    // Every fragment's first video packet is a keyframe.
    let listing = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v", "-show_entries", "packet=pos,flags", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    let packets: Vec<(u64, bool)> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter_map(|l| {
            let (pos, flags) = l.split_once(',')?;
            Some((pos.parse().ok()?, flags.contains('K')))
        })
        .collect();
    for seg in &index.segments {
        let first = packets.iter().find(|(pos, _)| (seg.offset..seg.offset + seg.length).contains(pos));
        assert_eq!(first.map(|p| p.1), Some(true), "fragment at {} starts with a keyframe", seg.offset);
    }
}

/// ffmpeg decodes every frame without an error.
fn assert_decodes(path: &Path) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "decode errors: {}", String::from_utf8_lossy(&out.stderr));
}

fn transcode(source: &Path, probe: &Probe, resolution: u32, out: &Path) -> Result<media::RungOutput, MediaError> {
    let cfg = cfg();
    let req = RungRequest { source_path: source, probe, resolution, bitrate_kbps: 200, cfg: &cfg, out_path: out };
    let mut calls = Vec::new();
    let result = media::transcode_rung(&req, &mut |done, total| calls.push((done, total)), &AtomicBool::new(false));
    if let Ok(output) = &result {
        assert_eq!(calls.last(), Some(&(output.frames, output.frames)), "final progress call");
        assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "progress goes forward: {calls:?}");
    }
    result
}

#[test]
fn probes_y4m_truncated_y4m_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let y4m = make_y4m(dir.path());
    let p = media::probe(&cfg(), &y4m).unwrap();
    assert_eq!((p.width, p.height, p.frames, p.fps_num, p.fps_den), (320, 240, 15, 10, 1));
    assert!((p.duration_secs - 1.5).abs() < 1e-9 && !p.has_audio && p.is_y4m());

    let bytes = std::fs::read(&y4m).unwrap();
    let cut = dir.path().join("cut.y4m");
    std::fs::write(&cut, &bytes[..bytes.len() - 1000]).unwrap();
    match media::probe(&cfg(), &cut) {
        Err(MediaError::Unreadable(m)) => assert!(m.starts_with("truncated Y4M"), "{m}"),
        other => panic!("truncated Y4M probed as {other:?}"),
    }
    let header_only = dir.path().join("empty.y4m");
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    std::fs::write(&header_only, &bytes[..header_end]).unwrap();
    assert!(
        matches!(media::probe(&cfg(), &header_only), Err(MediaError::Unreadable(m)) if m.starts_with("truncated Y4M"))
    );

    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "this is not a video, just some text\n".repeat(20)).unwrap();
    assert!(matches!(media::probe(&cfg(), &text), Err(MediaError::Unreadable(_))));
}

#[test]
fn probes_mp4_with_audio() {
    let dir = tempfile::tempdir().unwrap();
    let mp4 = make_mp4_with_audio(dir.path());
    let p = media::probe(&cfg(), &mp4).unwrap();
    assert_eq!((p.width, p.height, p.fps_num, p.fps_den), (320, 240, 10, 1));
    assert!(p.has_audio && !p.is_y4m());
    assert_eq!(p.frames, 20);
    assert!((p.duration_secs - 2.0).abs() < 0.2, "{}", p.duration_secs);
}

#[test]
fn transcodes_y4m_at_source_size_and_scaled() {
    let dir = tempfile::tempdir().unwrap();
    let y4m = make_y4m(dir.path());
    let probe = media::probe(&cfg(), &y4m).unwrap();
    for (height, width) in [(240, 320), (120, 160)] {
        let out = dir.path().join(format!("out-{height}.mp4.tmp"));
        let o = transcode(&y4m, &probe, height, &out).unwrap();
        assert_eq!((o.width, o.height, o.frames, o.fps), (width, height, 15, 10.0));
        assert_eq!(o.size, std::fs::metadata(&out).unwrap().len());
        let s = streams(&out);
        assert_eq!(s.len(), 1, "{s:?}");
        let v = stream_of(&s, "video").unwrap();
        assert_eq!(v["codec_name"], "av1");
        assert_eq!((v["width"].as_u64(), v["height"].as_u64()), (Some(u64::from(width)), Some(u64::from(height))));
        assert_eq!(v["nb_read_packets"], "15");
        assert_fragmented(&out, &o);
        assert_decodes(&out);
    }
}

/// PeerTube's convention: a rung names the short side. A portrait Y4M (read natively) and a
/// landscape MP4 tagged as rotated by 90° (how phones store portrait video; ffmpeg applies
/// the rotation when decoding) both come out 120 wide and 214 high at "120p".
#[test]
fn portrait_and_rotated_sources_keep_their_short_side() {
    let dir = tempfile::tempdir().unwrap();
    let portrait = dir.path().join("portrait.y4m");
    let size = "testsrc2=size=180x320:rate=10";
    ffmpeg(&["-f", "lavfi", "-i", size, "-frames:v", "5", "-pix_fmt", "yuv420p", portrait.to_str().unwrap()]);
    let landscape = dir.path().join("landscape.mp4");
    let vcodec = if has_encoder("libx264") { "libx264" } else { "mpeg4" };
    let size = "testsrc2=size=320x180:rate=10";
    ffmpeg(
        &["-f", "lavfi", "-i", size, "-frames:v", "5", "-c:v", vcodec, "-pix_fmt", "yuv420p"]
            .into_iter()
            .chain([landscape.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    let rotated = dir.path().join("rotated.mp4");
    let (from, to) = (landscape.to_str().unwrap(), rotated.to_str().unwrap());
    ffmpeg(&["-i", from, "-c", "copy", "-metadata:s:v:0", "rotate=90", to]);

    for source in [&portrait, &rotated] {
        let probe = media::probe(&cfg(), source).unwrap();
        assert_eq!(probe.resolution(), 180, "{}: the short side, rotation or not", source.display());
        // Below the default ladder: one rung at the source's own resolution.
        assert_eq!(media::plan_ladder(&cfg(), probe.resolution()).iter().map(|r| r.height).collect::<Vec<_>>(), [180]);
        let out = dir.path().join("portrait-out.mp4.tmp");
        let o = transcode(source, &probe, 120, &out).unwrap();
        assert_eq!((o.width, o.height), (120, 214), "{}", source.display());
        let s = streams(&out);
        let video = stream_of(&s, "video").unwrap();
        assert_eq!((video["width"].as_u64(), video["height"].as_u64()), (Some(120), Some(214)));
    }
}

#[test]
fn transcodes_mp4_with_audio_to_av1_and_opus() {
    let dir = tempfile::tempdir().unwrap();
    let mp4 = make_mp4_with_audio(dir.path());
    let probe = media::probe(&cfg(), &mp4).unwrap();
    let out = dir.path().join("out.mp4.tmp");
    let o = transcode(&mp4, &probe, 120, &out).unwrap();
    assert_eq!((o.width, o.height, o.frames), (160, 120, 20));
    let s = streams(&out);
    let v = stream_of(&s, "video").expect("video stream");
    assert_eq!((v["codec_name"].as_str(), v["height"].as_u64()), (Some("av1"), Some(120)));
    assert_eq!(v["nb_read_packets"], "20");
    let a = stream_of(&s, "audio").expect("audio stream");
    assert_eq!(a["codec_name"], "opus");
    // 2 s of 20 ms Opus packets.
    let packets: u64 = a["nb_read_packets"].as_str().unwrap().parse().unwrap();
    assert!((95..=110).contains(&packets), "{packets} audio packets");
    assert_fragmented(&out, &o);
    assert!(o.index.codecs.ends_with(",opus"), "{}", o.index.codecs);
    assert_decodes(&out);
    // The staged Ogg file is gone.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!left.iter().any(|n| n.to_string_lossy().ends_with(".ogg")), "{left:?}");
}

#[test]
fn keyframes_are_at_most_three_seconds_apart() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("long.y4m");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x120:rate=10",
        "-frames:v",
        "70",
        "-pix_fmt",
        "yuv420p",
        src.to_str().unwrap(),
    ]);
    let probe = media::probe(&cfg(), &src).unwrap();
    let out = dir.path().join("long.mp4.tmp");
    let o = transcode(&src, &probe, 120, &out).unwrap();
    // 7 s in fragments of 2 s or more, each starting at a keyframe.
    assert_fragmented(&out, &o);
    assert!(o.index.segments.len() >= 2, "{:?}", o.index.segments);
    assert!(o.index.segments.iter().rev().skip(1).all(|s| s.duration_secs >= 2.0 - 1e-9), "{:?}", o.index.segments);
    let listing = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0"])
        .arg(&out)
        .output()
        .unwrap();
    let keyframes: Vec<f64> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter(|l| l.contains('K'))
        .filter_map(|l| l.split(',').next()?.parse().ok())
        .collect();
    assert_eq!(keyframes.first(), Some(&0.0), "{keyframes:?}");
    let mut bounds = keyframes.clone();
    bounds.push(7.0);
    assert!(bounds.windows(2).all(|w| w[1] - w[0] <= 3.0 + 1e-6), "keyframes {keyframes:?}");
}

#[test]
fn thumbnail_is_a_280_wide_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    let y4m = make_y4m(dir.path());
    let probe = media::probe(&cfg(), &y4m).unwrap();
    let out = dir.path().join("thumb.jpg.tmp");
    media::thumbnail(&cfg(), &y4m, &probe, &out).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "JPEG magic");
    let s = streams(&out);
    let v = stream_of(&s, "video").unwrap();
    assert_eq!((v["width"].as_u64(), v["height"].as_u64()), (Some(280), Some(210)));
}

#[test]
fn cancel_stops_and_removes_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let y4m = make_y4m(dir.path());
    let probe = media::probe(&cfg(), &y4m).unwrap();
    let out = dir.path().join("cancelled.mp4.tmp");
    let cfg = cfg();
    let req =
        RungRequest { source_path: &y4m, probe: &probe, resolution: 240, bitrate_kbps: 200, cfg: &cfg, out_path: &out };
    let result = media::transcode_rung(&req, &mut |_, _| {}, &AtomicBool::new(true));
    assert!(matches!(result, Err(MediaError::Cancelled)), "{result:?}");
    assert!(!out.exists());
}

#[test]
fn cancel_mid_encode_of_an_ffmpeg_source_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let mp4 = make_mp4_with_audio(dir.path());
    let probe = media::probe(&cfg(), &mp4).unwrap();
    let out = dir.path().join("cancelled.mp4.tmp");
    let cfg = cfg();
    let req =
        RungRequest { source_path: &mp4, probe: &probe, resolution: 240, bitrate_kbps: 200, cfg: &cfg, out_path: &out };
    let cancel = AtomicBool::new(false);
    let mut calls = 0;
    let result = media::transcode_rung(
        &req,
        &mut |_, _| {
            calls += 1;
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        },
        &cancel,
    );
    assert!(matches!(result, Err(MediaError::Cancelled)), "{result:?}");
    assert_eq!(calls, 1, "stops right after the cancel");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("clip.mp4")], "only the source is left");
}

#[test]
fn unreadable_input_fails_cleanly_in_transcode() {
    let dir = tempfile::tempdir().unwrap();
    let y4m = make_y4m(dir.path());
    let probe = media::probe(&cfg(), &y4m).unwrap();
    // The file shrinks after probing: the reader reports the truncation.
    let bytes = std::fs::read(&y4m).unwrap();
    std::fs::write(&y4m, &bytes[..bytes.len() / 2]).unwrap();
    let out = dir.path().join("bad.mp4.tmp");
    match transcode(&y4m, &probe, 240, &out) {
        Err(MediaError::Unreadable(m)) => assert!(m.starts_with("truncated Y4M"), "{m}"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!out.exists());
}
