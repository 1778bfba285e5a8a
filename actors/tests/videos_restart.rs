//! Durability: jobs left in sled resume after a clean shutdown and after `kill -9` (a child
//! process running this test binary is killed mid-encode); temporary files are cleared and
//! published files survive.

mod common;

use common::*;
use shoal_actors::videos::{VideoKey, VideoState};
use shoal_actors::Shoal;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

const TIMEOUT: Duration = Duration::from_secs(180);
const CHILD_DIR_ENV: &str = "SHOAL_TEST_CRASH_DIR";

fn slow_config(dir: &std::path::Path) -> shoal_actors::ShoalConfig {
    let mut config = test_config(dir);
    config.transcoding.ladder = vec![
        shoal_actors::config::Rung { height: 120, bitrate_kbps: 200 },
        shoal_actors::config::Rung { height: 240, bitrate_kbps: 300 },
    ];
    config.transcoding.speed = 6;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_jobs_resume_after_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = test_config(dir.path());
    let shoal = Shoal::start(config.clone()).await.expect("start");
    let created = upload_y4m(&shoal, "resumable", 64, 48, 4).await;
    // Shut down at once: the running rung is cancelled and at least the second one never
    // started (concurrency 1), so work is left in the queue.
    shoal.shutdown().await;
    let left = shoal.get_video(&VideoKey::Uuid(created.uuid)).expect("read").expect("exists");
    assert!(!left.pending_resolutions.is_empty(), "work left for the restart: {left:?}");
    drop(shoal);

    // A stale temporary file, as a killed encode leaves behind.
    let stale = dir.path().join("tmp").join(format!("{}-stale.mp4.part", created.uuid));
    std::fs::write(&stale, b"partial").expect("write stale");

    let shoal = Shoal::start(config).await.expect("restart");
    assert!(!stale.exists(), "temporary files are cleared at start");
    let published = wait_for(&shoal, created.uuid, TIMEOUT, "every rung", |v| v.pending_resolutions.is_empty()).await;
    assert_eq!(published.state, VideoState::Published);
    assert_eq!(published.files.len(), 2);
    shoal.shutdown().await;
}

/// Runs in the child process only: starts a node on the given folder, uploads, prints the
/// uuid and `ENCODING` once frames are being encoded, then waits to be killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of kill_9_during_a_transcode_then_restart_publishes"]
async fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else { return };
    let shoal = Shoal::start(slow_config(std::path::Path::new(&dir))).await.expect("start");
    let created = upload_y4m(&shoal, "crash survivor", 320, 240, 40).await;
    println!("UUID {}", created.uuid);
    loop {
        if let Some(p) = shoal.progress(created.uuid).await {
            if p.frames_done > 0 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!("ENCODING");
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_transcode_then_restart_publishes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut uuid = None;
    let deadline = Instant::now() + TIMEOUT;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("child output");
        // libtest prints `test crash_child ... ` before the first line of output.
        if let Some((_, u)) = line.split_once("UUID ") {
            uuid = Uuid::parse_str(u.trim()).ok();
        }
        if line.contains("ENCODING") {
            break;
        }
        assert!(Instant::now() < deadline, "child never started encoding");
    }
    let uuid = uuid.expect("child printed the video uuid");
    child.kill().expect("SIGKILL the child");
    let _ = child.wait();

    // The crashed attempt left its partial file in tmp/; the resumed job reuses that
    // name at once, so a file of our own stands for "left over from the crash".
    let tmp = dir.path().join("tmp");
    assert!(std::fs::read_dir(&tmp).expect("tmp").count() > 0, "the killed encode left a partial file");
    let leftover = tmp.join("left-over-from-crash.part");
    std::fs::write(&leftover, b"partial").expect("plant a left-over file");

    let shoal = Shoal::start(slow_config(dir.path())).await.expect("restart after kill -9");
    let record = shoal.get_video(&VideoKey::Uuid(uuid)).expect("read").expect("the video survived the crash");
    assert_eq!(record.state, VideoState::ToTranscode);
    assert!(!leftover.exists(), "partial files removed at start");
    let published =
        wait_for(&shoal, uuid, TIMEOUT, "every rung after the crash", |v| v.pending_resolutions.is_empty()).await;
    assert_eq!(published.state, VideoState::Published);
    assert_eq!(published.files.iter().map(|f| f.resolution).collect::<Vec<_>>(), vec![120, 240]);
    for file in &published.files {
        let bytes = std::fs::read(shoal.media_dir().join(&file.filename)).expect("file");
        assert_eq!(bytes.len() as u64, file.size);
        let torrent = shoal_protocol::torrent::Metainfo::from_bytes(
            &std::fs::read(shoal.media_dir().join(&file.torrent_filename)).expect("torrent"),
        )
        .expect("torrent parses");
        for (i, piece) in bytes.chunks(torrent.info.piece_length as usize).enumerate() {
            assert!(torrent.info.verify_piece(i, piece));
        }
    }
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_handle_without_shutdown_releases_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = slow_config(dir.path());
    let shoal = Shoal::start(config.clone()).await.expect("start");
    let created = upload_y4m(&shoal, "dropped mid-encode", 320, 240, 20).await;
    drop(shoal);

    // The actors stop in the background; sled's lock is released once they are gone.
    let deadline = Instant::now() + Duration::from_secs(20);
    let shoal = loop {
        match Shoal::start(config.clone()).await {
            Ok(shoal) => break shoal,
            Err(e) => {
                assert!(Instant::now() < deadline, "store never released: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let published = wait_for(&shoal, created.uuid, TIMEOUT, "every rung", |v| v.pending_resolutions.is_empty()).await;
    assert_eq!(published.state, VideoState::Published);
    assert_eq!(published.files.len(), 2);
    shoal.shutdown().await;
}
