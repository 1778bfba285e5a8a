//! Figure: rav1e throughput inside Shoal's pipeline versus rav1e alone, same frames, same
//! configuration (issue 2: overhead at most 10%, ratio >= 0.90, at 360p and 720p).
//!
//! For each row a synthetic Y4M (ffmpeg `testsrc2`) is made, then A/B runs are interleaved:
//! (a) rav1e alone: all frames decoded into rav1e frames in memory first (scaled first for
//!     the scaled row), then only the send/receive loop is timed;
//! (b) `media::transcode_rung` on the Y4M file: read, (scale,) encode, mux, write the MP4.
//! Each run reports wall-clock fps and frames per CPU-second (getrusage, this process only).
//!
//! Run: `cargo bench -p shoal-actors --bench transcode_overhead`
//! Knobs: SHOAL_BENCH_FRAMES (default 90), SHOAL_BENCH_ROUNDS (A/B pairs, default 3),
//! SHOAL_BENCH_SPEED (default 10), SHOAL_BENCH_THREADS (default 0 = all cores),
//! SHOAL_BENCH_TILES (default 0 = rav1e chooses), SHOAL_BENCH_ROWS (default "360,720,720>360").
//! The default run takes about 2 minutes on 2 cores.

use rav1e::prelude::{Context, EncoderStatus, Frame};
use shoal_actors::config::TranscodingConfig;
use shoal_actors::media::encode::{rav1e_config, EncodeParams};
use shoal_actors::media::scale::{copy_into_plane, even_scaled_side, rung_layout, I420Layout, I420Scaler};
use shoal_actors::media::y4m_reader::Y4mReader;
use shoal_actors::media::{self, RungRequest};
use shoal_protocol::y4m::Chroma;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[derive(Default, Clone, Copy)]
struct Totals {
    frames: u64,
    wall: f64,
    cpu: f64,
}

impl Totals {
    fn add(&mut self, frames: u64, wall: f64, cpu: f64) {
        self.frames += frames;
        self.wall += wall;
        self.cpu += cpu;
    }
    fn fps(&self) -> f64 {
        self.frames as f64 / self.wall
    }
    fn per_cpu(&self) -> f64 {
        self.frames as f64 / self.cpu
    }
}

fn make_y4m(dir: &Path, width: u32, height: u32, frames: u64) -> PathBuf {
    let path = dir.join(format!("src-{height}p.y4m"));
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={width}x{height}:rate=30"))
        .args(["-frames:v", &frames.to_string(), "-pix_fmt", "yuv420p"])
        .arg(&path)
        .status()
        .expect("ffmpeg is needed to generate the benchmark's source (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg failed to generate {}", path.display());
    path
}

/// The same parameters the pipeline derives from the Y4M header.
fn params_for(source: &Path, height: u32, bitrate_kbps: u32) -> (EncodeParams, I420Layout, I420Layout) {
    let reader = Y4mReader::new(std::fs::File::open(source).unwrap()).unwrap();
    let h = reader.header();
    let src = I420Layout { width: h.width, height: h.height };
    let dst = rung_layout(h.width, h.height, height);
    let params = EncodeParams {
        width: dst.width,
        height: dst.height,
        fps_num: h.fps_num,
        fps_den: h.fps_den,
        bitrate_kbps,
        chroma_vertical: h.chroma == Chroma::C420Mpeg2,
        full_range: h.full_range,
    };
    (params, src, dst)
}

/// (a) rav1e alone: frames in memory first, then the timed send/receive loop.
fn run_alone(source: &Path, height: u32, bitrate_kbps: u32, cfg: &TranscodingConfig) -> (u64, f64, f64) {
    let (params, src, dst) = params_for(source, height, bitrate_kbps);
    let mut ctx: Context<u8> = rav1e_config(&params, cfg).new_context().expect("rav1e config");
    let mut reader = Y4mReader::new(std::fs::File::open(source).unwrap()).unwrap();
    let mut scaler = (src != dst).then(|| I420Scaler::new(src, dst));
    let mut frames = Vec::new();
    let mut buf = Vec::new();
    while reader.read_frame(&mut buf).unwrap() {
        let mut frame = ctx.new_frame();
        match scaler.as_mut() {
            Some(s) => s.scale_into(&buf, &mut frame.planes).unwrap(),
            None => {
                for (i, (plane, data)) in frame.planes.iter_mut().zip(src.planes(&buf).unwrap()).enumerate() {
                    copy_into_plane(plane, data, src.plane_size(i).0);
                }
            }
        }
        frames.push(frame);
    }
    let mut input = frames.into_iter();
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let mut packets = 0u64;
    let mut bytes = 0usize;
    loop {
        match ctx.receive_packet() {
            Ok(p) => {
                packets += 1;
                bytes += p.data.len();
            }
            Err(EncoderStatus::Encoded) => {}
            Err(EncoderStatus::NeedMoreData) => match input.next() {
                Some(f) => ctx.send_frame(f).unwrap(),
                None => ctx.send_frame(None::<Arc<Frame<u8>>>).unwrap(),
            },
            Err(EncoderStatus::LimitReached) => break,
            Err(e) => panic!("rav1e: {e}"),
        }
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    assert!(bytes > 0);
    (packets, wall, cpu)
}

/// (b) the pipeline: transcode_rung from the Y4M file to an MP4.
fn run_pipeline(source: &Path, height: u32, bitrate_kbps: u32, cfg: &TranscodingConfig, out: &Path) -> (u64, f64, f64) {
    let probe = media::probe(cfg, source).expect("probe");
    let req = RungRequest { source_path: source, probe: &probe, resolution: height, bitrate_kbps, cfg, out_path: out };
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let output = media::transcode_rung(&req, &mut |_, _| {}, &AtomicBool::new(false)).expect("transcode");
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    (output.frames, wall, cpu)
}

fn main() {
    let frames: u64 = env_or("SHOAL_BENCH_FRAMES", 90);
    let rounds: u32 = env_or("SHOAL_BENCH_ROUNDS", 3);
    let rows: String = env_or("SHOAL_BENCH_ROWS", "360,720,720>360".to_string());
    let cfg = TranscodingConfig {
        speed: env_or("SHOAL_BENCH_SPEED", 10),
        threads: env_or("SHOAL_BENCH_THREADS", 0),
        tiles: env_or("SHOAL_BENCH_TILES", 0),
        ..TranscodingConfig::default()
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "transcode_overhead: rav1e speed {} threads {} tiles {} ({} CPUs), {frames} frames per run, {rounds} A/B rounds interleaved",
        cfg.speed, cfg.threads, cfg.tiles, cpus
    );
    println!(
        "{:<12} {:>10} {:>12} {:>7}   {:>13} {:>15} {:>7}",
        "row", "alone fps", "pipeline fps", "ratio", "alone f/CPU-s", "pipeline f/CPU-s", "ratio"
    );
    for row in rows.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let (src_h, dst_h) = match row.split_once('>') {
            Some((a, b)) => (a.parse::<u32>().expect("row"), b.parse::<u32>().expect("row")),
            None => {
                let h = row.parse::<u32>().expect("row: HEIGHT or SRC>DST");
                (h, h)
            }
        };
        let source = make_y4m(dir.path(), even_scaled_side(16, 9, src_h), src_h, frames);
        let bitrate =
            TranscodingConfig::default().ladder.iter().find(|r| r.height == dst_h).map_or(1000, |r| r.bitrate_kbps);
        let out = dir.path().join(format!("out-{src_h}-{dst_h}.mp4"));
        let (mut alone, mut pipeline) = (Totals::default(), Totals::default());
        let mut round_ratios = Vec::new();
        for round in 0..rounds {
            let a_first = round % 2 == 0;
            let (mut a, mut b) = (Totals::default(), Totals::default());
            for step in 0..2 {
                if (step == 0) == a_first {
                    let (f, w, c) = run_alone(&source, dst_h, bitrate, &cfg);
                    a.add(f, w, c);
                } else {
                    let (f, w, c) = run_pipeline(&source, dst_h, bitrate, &cfg, &out);
                    b.add(f, w, c);
                }
            }
            round_ratios.push(format!("{:.3}/{:.3}", b.fps() / a.fps(), b.per_cpu() / a.per_cpu()));
            alone.add(a.frames, a.wall, a.cpu);
            pipeline.add(b.frames, b.wall, b.cpu);
        }
        let label = if src_h == dst_h { format!("{dst_h}p") } else { format!("{src_h}p>{dst_h}p") };
        println!(
            "{:<12} {:>10.2} {:>12.2} {:>7.3}   {:>13.2} {:>15.2} {:>7.3}",
            label,
            alone.fps(),
            pipeline.fps(),
            pipeline.fps() / alone.fps(),
            alone.per_cpu(),
            pipeline.per_cpu(),
            pipeline.per_cpu() / alone.per_cpu()
        );
        println!("{:<12} per-round ratios (fps/CPU): {}", "", round_ratios.join("  "));
    }
}
