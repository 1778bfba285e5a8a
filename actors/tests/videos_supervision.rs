//! Supervision: a transcode job that panics on every attempt is retried `max_attempts`
//! times, then its video is marked failed with the reason while another video publishes;
//! a failed VideoActor is restarted with its state from sled; failed supervisors are
//! restarted by the node supervisor and the transcode carries on.

mod common;

use common::*;
use shoal_actors::metrics::AttemptOutcome;
use shoal_actors::transcode::TranscodeMsg;
use shoal_actors::videos::{VideoKey, VideoMsg, VideoState, VideoSupervisorMsg};
use shoal_actors::Shoal;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_job_is_retried_then_reported_while_others_publish() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(dir.path());
    config.transcoding.fault_injection_marker = Some("[crash-me]".into());
    config.transcoding.max_attempts = 3;
    config.transcoding.retry_backoff_ms = 100;
    let shoal = Shoal::start(config).await.expect("start");

    let started = Instant::now();
    let doomed = upload_y4m(&shoal, "doomed [crash-me]", 64, 48, 4).await;
    let healthy = upload_y4m(&shoal, "healthy", 64, 48, 4).await;

    let failed = wait_for(&shoal, doomed.uuid, TIMEOUT, "failure", |v| v.state == VideoState::TranscodingFailed).await;
    let reason = failed.state_error.clone().expect("a reason is recorded");
    assert!(reason.contains("after 3 attempts"), "{reason}");
    assert!(reason.contains("fault injection"), "{reason}");
    assert!(failed.files.is_empty());
    assert!(failed.pending_resolutions.is_empty());
    assert!(failed.published_at.is_none());
    // Backoff: 100 ms then 200 ms between the three attempts.
    assert!(started.elapsed() >= Duration::from_millis(300), "retries waited: {:?}", started.elapsed());
    assert_eq!(shoal.progress(doomed.uuid).await, None);
    // Both rungs fail; the first to use up its attempts fails the video (its two retries
    // and the give-up are counted; the other rung may be anywhere in its own attempts).
    let metrics = shoal.metrics();
    assert!(metrics.attempts(AttemptOutcome::Retried) >= 2, "retries counted");
    assert!(metrics.attempts(AttemptOutcome::GaveUp) >= 1, "the give-up counted");

    let published = wait_for(&shoal, healthy.uuid, TIMEOUT, "publication", |v| {
        v.state == VideoState::Published && v.pending_resolutions.is_empty()
    })
    .await;
    assert_eq!(published.files.len(), 2);
    assert_eq!(shoal.metrics().attempts(AttemptOutcome::Done), 2, "only the healthy video's rungs succeeded");

    // The failed video's jobs are gone from the durable queue: a restart does not retry it.
    shoal.shutdown().await;
    drop(shoal);
    let mut config = test_config(dir.path());
    config.transcoding.fault_injection_marker = None;
    let shoal = Shoal::start(config).await.expect("restart");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let still = shoal.get_video(&VideoKey::Uuid(doomed.uuid)).expect("read").expect("exists");
    assert_eq!(still.state, VideoState::TranscodingFailed);
    assert_eq!(still.state_error.as_deref(), Some(reason.as_str()));
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_video_actor_is_restarted_from_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(dir.path());
    config.transcoding.ladder = vec![
        shoal_actors::config::Rung { height: 120, bitrate_kbps: 200 },
        shoal_actors::config::Rung { height: 240, bitrate_kbps: 300 },
    ];
    config.transcoding.speed = 8;
    let shoal = Shoal::start(config).await.expect("start");
    let created = upload_y4m(&shoal, "supervised", 320, 240, 30).await;

    let before = shoal.video_actor(created.uuid).await.expect("the video has an actor");
    before.cast(VideoMsg::InjectFault("drill".into())).expect("cast");

    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        if let Some(actor) = shoal.video_actor(created.uuid).await {
            if actor.get_id() != before.get_id() {
                break actor;
            }
        }
        assert!(Instant::now() < deadline, "the video actor was not restarted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_ne!(after.get_id(), before.get_id());

    // The restarted actor serves the state from sled and takes the job's reports.
    let published = wait_for(&shoal, created.uuid, TIMEOUT, "every rung", |v| v.pending_resolutions.is_empty()).await;
    assert_eq!(published.state, VideoState::Published);
    assert_eq!(published.files.iter().map(|f| f.resolution).collect::<Vec<_>>(), vec![120, 240]);
    assert_eq!(shoal.video_actor(created.uuid).await.map(|a| a.get_id()), Some(after.get_id()));
    shoal.shutdown().await;
}

/// Polls until `changed()` holds, or fails the test with `what`.
async fn eventually(what: &str, changed: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !changed() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_supervisors_are_restarted_and_transcoding_carries_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(dir.path());
    config.transcoding.ladder = vec![
        shoal_actors::config::Rung { height: 120, bitrate_kbps: 200 },
        shoal_actors::config::Rung { height: 240, bitrate_kbps: 300 },
    ];
    config.transcoding.speed = 8;
    let tmp_dir = config.tmp_dir();
    let shoal = Shoal::start(config).await.expect("start");
    let created = upload_y4m(&shoal, "outlives its supervisors", 320, 240, 60).await;
    wait_until_encoding(&shoal, created.uuid).await;

    // The transcode supervisor fails mid-encode: only it is replaced, and its job (cancelled
    // with it) runs again under the new one.
    let first = shoal.supervisors();
    first.transcoder.cast(TranscodeMsg::InjectFault("drill".into())).expect("cast");
    eventually("the transcode supervisor was not restarted", || {
        shoal.supervisors().transcoder.get_id() != first.transcoder.get_id()
    })
    .await;
    let second = shoal.supervisors();
    assert_eq!(second.videos.get_id(), first.videos.get_id(), "the video supervisor is left alone");

    // The video supervisor fails: it and the transcoder (which holds its address) restart.
    second.videos.cast(VideoSupervisorMsg::InjectFault("drill".into())).expect("cast");
    eventually("the video supervisor was not restarted", || {
        let now = shoal.supervisors();
        now.videos.get_id() != second.videos.get_id() && now.transcoder.get_id() != second.transcoder.get_id()
    })
    .await;

    let published = wait_for(&shoal, created.uuid, TIMEOUT, "every rung", |v| v.pending_resolutions.is_empty()).await;
    assert_eq!(published.state, VideoState::Published);
    assert_eq!(published.files.iter().map(|f| f.resolution).collect::<Vec<_>>(), vec![120, 240]);
    for file in &published.files {
        let bytes = std::fs::metadata(shoal.media_dir().join(&file.filename)).expect("file in media/").len();
        assert_eq!(bytes, file.size, "{} is whole", file.filename);
    }
    // The new supervisors take new work, and the cancelled attempts left nothing in tmp/.
    let later = upload_y4m(&shoal, "after the drills", 64, 48, 4).await;
    wait_for(&shoal, later.uuid, TIMEOUT, "publication", |v| v.state == VideoState::Published).await;
    eventually("cancelled attempts left staged files", || {
        std::fs::read_dir(&tmp_dir).map(|entries| entries.count() == 0).unwrap_or(false)
    })
    .await;
    shoal.shutdown().await;
}

/// Waits until the video's first rung is being encoded.
async fn wait_until_encoding(shoal: &Shoal, uuid: uuid::Uuid) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if shoal.progress(uuid).await.is_some_and(|p| p.resolution.is_some()) {
            return;
        }
        assert!(Instant::now() < deadline, "the transcode never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
