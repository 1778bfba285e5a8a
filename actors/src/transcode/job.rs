//! `TranscodeJob`: one actor per running attempt at one rung, spawned linked to the
//! `TranscodeSupervisor`. It hands the blocking work to a dedicated OS thread, relays
//! progress to the video, and reports the finished rung to the video (which stores it
//! before answering).
//!
//! How it ends tells the supervisor what to do with the queued job:
//! - stop with [`EXIT_DONE`]: the rung is recorded (or was already): drop the job;
//! - stop with [`EXIT_GONE`]: the video was deleted or failed: drop the job;
//! - stop with [`EXIT_CANCELLED`]: cancelled (shutdown or deletion): leave the queue as is;
//! - fail (error or panic): count a failure, retry with backoff or give up.

use super::error::JobError;
use super::queue::JobRecord;
use super::work::{self, RungWork};
use crate::config::ShoalConfig;
use crate::media::MediaError;
use crate::metrics::ActorMetrics;
use crate::store::Store;
use crate::videos::actor::RecordRungError;
use crate::videos::{repo, VideoMsg, VideoState, VideoSupervisorMsg};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Exit reason: the rung is on the video.
pub const EXIT_DONE: &str = "done";
/// Exit reason: nothing to do any more (video deleted, failed, or the rung exists).
pub const EXIT_GONE: &str = "gone";
/// Exit reason: cancelled; the queue entry is left alone.
pub const EXIT_CANCELLED: &str = "cancelled";

/// How long the video may take to store a finished rung.
const RECORD_TIMEOUT: Duration = Duration::from_secs(30);

/// One attempt at one rung.
pub struct TranscodeJob;

/// What a job is started with.
pub struct TranscodeJobArgs {
    pub job: JobRecord,
    /// 1-based attempt number.
    pub attempt: u32,
    pub store: Store,
    pub config: Arc<ShoalConfig>,
    pub videos: ActorRef<VideoSupervisorMsg>,
    pub cancel: Arc<AtomicBool>,
    pub metrics: ActorMetrics,
}

/// Messages of a job.
pub enum TranscodeJobMsg {
    /// Do the work (sent to itself once started).
    Run,
}

impl Actor for TranscodeJob {
    type Msg = TranscodeJobMsg;
    type State = TranscodeJobArgs;
    type Arguments = TranscodeJobArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: TranscodeJobArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.cast(TranscodeJobMsg::Run)?;
        Ok(args)
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            TranscodeJobMsg::Run => run(&myself, state).await,
        }
    }
}

async fn run(myself: &ActorRef<TranscodeJobMsg>, s: &mut TranscodeJobArgs) -> Result<(), ActorProcessingErr> {
    let job = &s.job;
    let uuid = job.video_uuid;
    let Some(video) = repo::load(&s.store, job.video_id)?.filter(|v| v.uuid == uuid) else {
        tracing::info!(video = %uuid, rung = job.height, "video gone; job dropped");
        myself.stop(Some(EXIT_GONE.into()));
        return Ok(());
    };
    if video.state == VideoState::TranscodingFailed || video.files.iter().any(|f| f.resolution == job.height) {
        tracing::info!(video = %uuid, rung = job.height, "rung already settled; job dropped");
        myself.stop(Some(EXIT_GONE.into()));
        return Ok(());
    }
    if let Some(marker) = s.config.transcoding.fault_injection_marker.as_deref() {
        if !marker.is_empty() && video.name.contains(marker) {
            panic!(
                "fault injection: video {uuid} name contains {marker:?} (rung {}p, attempt {})",
                job.height, s.attempt
            );
        }
    }

    tracing::info!(video = %uuid, rung = job.height, attempt = s.attempt, "transcode attempt starting");
    let _ = s.videos.cast(VideoSupervisorMsg::ToVideo(
        uuid,
        VideoMsg::RungStarted { height: job.height, attempt: s.attempt, frames_total: video.source.frames },
    ));

    let work = RungWork {
        config: s.config.clone(),
        uuid,
        video_name: video.name.clone(),
        source_path: video.source.path.clone(),
        resolution: job.height,
        bitrate_kbps: job.bitrate_kbps,
        make_thumbnail: video.thumbnail.is_none(),
        cancel: s.cancel.clone(),
    };
    let videos = s.videos.clone();
    let height = job.height;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("transcode-{height}p"))
        .spawn(move || {
            let mut progress = |frames_done: u64, frames_total: u64| {
                let _ = videos
                    .cast(VideoSupervisorMsg::ToVideo(uuid, VideoMsg::Progress { height, frames_done, frames_total }));
            };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work::run(&work, &mut progress)))
                .unwrap_or_else(|panic| Err(JobError::Thread(panic_message(panic))));
            let _ = tx.send(outcome);
        })
        .map_err(|e| JobError::Thread(e.to_string()))?;
    // If this actor is killed while waiting (its supervisor went down), the encoder thread
    // must not run on unsupervised: dropping the guard cancels it.
    let cancel_on_drop = CancelOnDrop(Some(s.cancel.clone()));
    let outcome = rx.await.map_err(|_| JobError::Thread("the transcode thread vanished".into()))?;
    cancel_on_drop.disarm();

    let result = match outcome {
        Ok(result) => result,
        Err(JobError::Media(MediaError::Cancelled)) => {
            tracing::info!(video = %uuid, rung = height, "transcode cancelled");
            myself.stop(Some(EXIT_CANCELLED.into()));
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };

    let file = Box::new(result.file.clone());
    let recorded = s
        .videos
        .call(
            |reply| {
                VideoSupervisorMsg::ToVideo(
                    uuid,
                    VideoMsg::RungDone { file, thumbnail: result.thumbnail.clone(), reply },
                )
            },
            Some(RECORD_TIMEOUT),
        )
        .await;
    match recorded {
        Ok(ractor::rpc::CallResult::Success(Ok(_))) => {
            s.metrics.rung_encoded(result.frames, result.encode_secs);
            myself.stop(Some(EXIT_DONE.into()));
            Ok(())
        }
        Ok(ractor::rpc::CallResult::Success(Err(RecordRungError::VideoGone))) => {
            remove_outputs(&s.config, &result);
            myself.stop(Some(EXIT_GONE.into()));
            Ok(())
        }
        Ok(ractor::rpc::CallResult::Success(Err(e))) => Err(JobError::Record(e.to_string()).into()),
        Ok(ractor::rpc::CallResult::SenderError) => {
            // The supervisor dropped the message: the video no longer exists.
            if repo::load(&s.store, s.job.video_id)?.is_none() {
                remove_outputs(&s.config, &result);
                myself.stop(Some(EXIT_GONE.into()));
                Ok(())
            } else {
                Err(JobError::Record("video actor unavailable".into()).into())
            }
        }
        Ok(ractor::rpc::CallResult::Timeout) => Err(JobError::Record("video actor timed out".into()).into()),
        Err(e) => Err(JobError::Record(e.to_string()).into()),
    }
}

/// Sets the cancel flag when dropped, unless disarmed.
struct CancelOnDrop(Option<Arc<AtomicBool>>);

impl CancelOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancel) = &self.0 {
            cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Deletes a rung's outputs whose video went away.
fn remove_outputs(config: &ShoalConfig, result: &work::RungResult) {
    let media = config.media_dir();
    let _ = std::fs::remove_file(media.join(&result.file.filename));
    let _ = std::fs::remove_file(media.join(&result.file.torrent_filename));
    if let Some(thumbnail) = &result.thumbnail {
        let _ = std::fs::remove_file(media.join(thumbnail));
    }
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked".into()
    }
}
