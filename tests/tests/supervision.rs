//! Supervision: a transcode job made to fail (the `fault_injection_marker`
//! test hook) is retried and then reported failed with a reason, while other
//! jobs and the node keep working; `kill -9` during a transcode, then a
//! restart on the same data folder: the job resumes and the video publishes
//! with files that verify against their torrents. SIGTERM during a transcode
//! stops the node promptly (the encoder does not hold shutdown) and the job
//! resumes the same way.

use serde_json::Value;
use shoal_tests::media::{ffmpeg_mp4, write_y4m};
use shoal_tests::verify::verify_file;
use shoal_tests::{NodeBuilder, Result, TestNode};
use std::time::{Duration, Instant};

/// The failure reason a video shows once transcoding failed (Shoal's
/// `stateError` extension; PeerTube has no such field).
fn failure_reason(video: &Value) -> Option<String> {
    video["stateError"].as_str().filter(|s| !s.trim().is_empty()).map(str::to_string)
}

/// Frames done and total of a running transcode (Shoal's `transcodingProgress`).
fn progress(video: &Value) -> Option<(u64, u64)> {
    let p = &video["transcodingProgress"];
    Some((p["framesDone"].as_u64()?, p["framesTotal"].as_u64()?))
}

#[test]
fn a_failing_job_is_retried_then_reported_while_others_publish() -> Result<()> {
    let mut node = NodeBuilder::new()
        .ladder(&[120])
        .set("transcoding.fault_injection_marker", "FAILME")
        .set("transcoding.max_attempts", 3)
        .set("transcoding.retry_backoff_ms", 200)
        .start()?;
    let admin = node.admin()?;
    let clip = node.scratch().join("clip.y4m");
    write_y4m(&clip, 160, 120, 10, 10)?;

    let started = Instant::now();
    let doomed = admin.upload(&clip, "FAILME clip")?;
    let fine = admin.upload(&clip, "a normal clip")?;

    let failed = admin
        .wait_video(&doomed.uuid, Duration::from_secs(120), "failed", |v| Ok(v["state"]["id"].as_u64() == Some(7)))?;
    // Three attempts with 200 ms then 400 ms between them.
    assert!(started.elapsed() >= Duration::from_millis(600), "failed too fast for 3 attempts with backoff");
    assert_eq!(failed["state"]["label"], "Transcoding failed");
    let reason = failure_reason(&failed);
    assert!(reason.is_some(), "the failure reason is visible in the API: {failed:#}");
    assert!(failed["files"].as_array().is_none_or(Vec::is_empty), "{failed:#}");
    let logs = node.logs();
    let attempts = logs.lines().filter(|l| l.contains(&doomed.uuid) && l.to_lowercase().contains("attempt")).count();
    assert!(attempts >= 3, "the node logs each of the 3 attempts ({attempts} lines)");

    let published = admin.wait_published(&fine.uuid, 1, Duration::from_secs(300))?;
    assert_eq!(published["state"]["id"], 1);
    node.assert_alive()?;
    // The failure is durable.
    assert_eq!(admin.video(&doomed.uuid)?["state"]["id"], 7);
    Ok(())
}

/// Starts a node with a 240p+480p ladder, uploads an 8 s 640x480 clip and
/// waits until its first rung is visibly encoding (not yet published).
fn node_with_running_transcode() -> Result<(TestNode, String, (u64, u64))> {
    let node = NodeBuilder::new().ladder(&[240, 480]).set("transcoding.threads", 1).start()?;
    let admin = node.admin()?;
    let source = node.scratch().join("long.mp4");
    ffmpeg_mp4(&source, 640, 480, 25, 8.0, false)?;
    let upload = admin.upload(&source, "interrupted clip")?;
    let running = admin.wait_video(&upload.uuid, Duration::from_secs(120), "transcoding", |v| {
        if v["state"]["id"].as_u64() == Some(1) {
            anyhow::bail!("published before the test could interrupt it; make the source longer: {v:#}");
        }
        Ok(progress(v).is_some_and(|(done, total)| done > 0 && done < total))
    })?;
    let at = progress(&running).unwrap_or_default();
    Ok((node, upload.uuid, at))
}

/// After a restart: the video publishes with both rungs, each verified against its torrent.
fn assert_resumed_and_published(node: &mut TestNode, uuid: &str, interrupted_at: (u64, u64)) -> Result<()> {
    assert!(
        node.logs().contains("resumed_videos=1"),
        "the restarted node reports resuming the interrupted video\n{}",
        node.log_tail(30)
    );
    let admin = node.admin()?;
    let video = admin.wait_published(uuid, 2, Duration::from_secs(600))?;
    let http = reqwest::blocking::Client::new();
    let files = video["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), 2, "both rungs after resuming (interrupted at {interrupted_at:?}): {video:#}");
    for file in &files {
        verify_file(&http, file)?;
    }
    node.assert_alive()
}

#[test]
fn kill_9_during_a_transcode_then_restart_resumes_and_publishes() -> Result<()> {
    let (mut node, uuid, at) = node_with_running_transcode()?;
    node.kill9()?;
    node.restart()?;
    assert_resumed_and_published(&mut node, &uuid, at)
}

#[test]
fn sigterm_during_a_transcode_stops_promptly_and_the_job_resumes() -> Result<()> {
    let (mut node, uuid, at) = node_with_running_transcode()?;
    let asked = Instant::now();
    let status = node.terminate(Duration::from_secs(30))?;
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert!(asked.elapsed() < Duration::from_secs(15), "shutdown waited {:?} for the encoder", asked.elapsed());
    node.restart()?;
    assert_resumed_and_published(&mut node, &uuid, at)
}
