//! Helpers shared by the actors' integration tests: a small Y4M writer, a test
//! configuration over a temporary data folder, uploads and polling.
#![allow(dead_code)]

use shoal_actors::config::{Rung, ShoalConfig};
use shoal_actors::videos::{NewVideo, Privacy, VideoDetails, VideoKey, VideoRecord};
use shoal_actors::Shoal;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub const ADMIN_PASSWORD: &str = "admin-password";

/// Writes a 4:2:0 8-bit Y4M of `frames` frames with a moving gradient (so the encoder has
/// something to do and frames differ).
pub fn write_y4m(path: &Path, width: u32, height: u32, frames: u32) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create y4m"));
    writeln!(out, "YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg").expect("header");
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    for f in 0..frames as usize {
        out.write_all(b"FRAME\n").expect("frame header");
        let mut y = Vec::with_capacity(w * h);
        for row in 0..h {
            for col in 0..w {
                y.push(((row * 3 + col * 2 + f * 7) % 256) as u8);
            }
        }
        out.write_all(&y).expect("luma");
        let u: Vec<u8> = (0..cw * ch).map(|i| ((i + f * 5) % 256) as u8).collect();
        let v: Vec<u8> = (0..cw * ch).map(|i| ((i * 3 + f) % 256) as u8).collect();
        out.write_all(&u).expect("cb");
        out.write_all(&v).expect("cr");
    }
    out.flush().expect("flush y4m");
}

/// A configuration for tests: data under `dir`, a two-rung ladder fit for tiny sources,
/// fast retries, a fixed admin password.
pub fn test_config(dir: &Path) -> ShoalConfig {
    let mut config = ShoalConfig::default();
    config.storage.data_dir = dir.to_path_buf();
    config.instance.public_url = "http://127.0.0.1:9999".into();
    config.admin.password = ADMIN_PASSWORD.into();
    config.transcoding.ladder = vec![Rung { height: 24, bitrate_kbps: 100 }, Rung { height: 48, bitrate_kbps: 200 }];
    config.transcoding.threads = 1;
    config.transcoding.max_attempts = 3;
    config.transcoding.retry_backoff_ms = 50;
    config
}

/// The admin's account id and default channel id.
pub fn admin_ids(shoal: &Shoal) -> (u64, u64) {
    let admin = shoal.accounts().user_by_name("root").expect("store").expect("admin exists");
    (admin.id, admin.default_channel_id)
}

/// A NewVideo for a file already in the uploads folder.
pub fn new_video(account_id: u64, channel_id: u64, name: &str, upload_path: &Path) -> NewVideo {
    NewVideo {
        account_id,
        details: VideoDetails {
            channel_id,
            name: name.into(),
            description: Some("a test video".into()),
            privacy: Privacy::Public,
            category: None,
            licence: None,
            language: None,
            nsfw: false,
            tags: vec![],
            comments_enabled: true,
            download_enabled: true,
            wait_transcoding: false,
        },
        upload_path: upload_path.to_path_buf(),
        original_filename: "clip.y4m".into(),
    }
}

/// Writes a Y4M into the uploads folder and returns its path.
pub fn stage_y4m(shoal: &Shoal, width: u32, height: u32, frames: u32) -> std::path::PathBuf {
    let path = shoal.uploads_dir().join(format!("{}.y4m", Uuid::new_v4()));
    write_y4m(&path, width, height, frames);
    path
}

/// Uploads a generated Y4M as the admin.
pub async fn upload_y4m(shoal: &Shoal, name: &str, width: u32, height: u32, frames: u32) -> VideoRecord {
    let (account, channel) = admin_ids(shoal);
    let path = stage_y4m(shoal, width, height, frames);
    shoal.create_video(new_video(account, channel, name, &path)).await.expect("create_video")
}

/// Polls the stored record until `done` holds, or panics after `timeout`.
pub async fn wait_for(
    shoal: &Shoal,
    uuid: Uuid,
    timeout: Duration,
    what: &str,
    done: impl Fn(&VideoRecord) -> bool,
) -> VideoRecord {
    let deadline = Instant::now() + timeout;
    loop {
        let record = shoal.get_video(&VideoKey::Uuid(uuid)).expect("store read").expect("video exists");
        if done(&record) {
            return record;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {record:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
