//! `TranscodeSupervisor`: runs queued jobs (from sled) as linked `TranscodeJob` actors,
//! at most `transcoding.concurrency` at once, lowest rung first across every video.
//!
//! Restart policy, matched by child id in `handle_supervisor_evt`:
//! - `ActorFailed` (an error or a panic): the job's failure count goes up in sled; below
//!   `max_attempts` it waits `retry_backoff_ms * 2^(failures-1)` and runs again; at
//!   `max_attempts` the video is told `RungFailed` with the reason (and stores it), then the
//!   job leaves the queue; if that left the video failed, its other jobs go too.
//! - `ActorTerminated`: see the exit reasons in [`super::job`].

use super::job::{TranscodeJob, TranscodeJobArgs, EXIT_CANCELLED, EXIT_DONE, EXIT_GONE};
use super::queue::{self, JobRecord};
use crate::clock::unix_millis;
use crate::config::ShoalConfig;
use crate::metrics::{ActorMetrics, AttemptOutcome};
use crate::store::Store;
use crate::videos::{VideoMsg, VideoState, VideoSupervisorMsg};
use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How long the video may take to record a failure.
const FAIL_TIMEOUT: Duration = Duration::from_secs(30);

/// The supervisor of transcode jobs.
pub struct TranscodeSupervisor;

/// What the supervisor is started with.
pub struct TranscodeSupervisorArgs {
    pub store: Store,
    pub config: Arc<ShoalConfig>,
    pub videos: ActorRef<VideoSupervisorMsg>,
    pub metrics: ActorMetrics,
}

/// Messages of the `TranscodeSupervisor`.
pub enum TranscodeMsg {
    /// Look at the queue and start what fits (after an enqueue, a finished job or a backoff).
    Poll,
    /// Drops a video's queued jobs and cancels its running ones (deletion). Answers when the
    /// queue no longer holds them.
    CancelVideo { video_id: u64, uuid: Uuid, reply: RpcReplyPort<()> },
    /// Stops starting jobs and cancels the running ones; they stay queued for the next start.
    Shutdown(RpcReplyPort<()>),
    /// How many jobs are running.
    Running(RpcReplyPort<usize>),
    /// Makes the supervisor fail with this reason: a fault drill for the node supervisor.
    /// Its running encodes are cancelled and stay queued.
    InjectFault(String),
}

/// One running job.
struct RunningJob {
    job: JobRecord,
    attempt: u32,
    cancel: Arc<AtomicBool>,
}

/// Running jobs by actor id.
pub struct TranscodeSupervisorState {
    store: Store,
    config: Arc<ShoalConfig>,
    videos: ActorRef<VideoSupervisorMsg>,
    metrics: ActorMetrics,
    running: HashMap<ActorId, RunningJob>,
    shutting_down: bool,
}

impl Actor for TranscodeSupervisor {
    type Msg = TranscodeMsg;
    type State = TranscodeSupervisorState;
    type Arguments = TranscodeSupervisorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: TranscodeSupervisorArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.cast(TranscodeMsg::Poll)?;
        Ok(TranscodeSupervisorState {
            store: args.store,
            config: args.config,
            videos: args.videos,
            metrics: args.metrics,
            running: HashMap::new(),
            shutting_down: false,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            TranscodeMsg::Poll => state.poll(&myself).await?,
            TranscodeMsg::CancelVideo { video_id, uuid, reply } => {
                let removed = queue::remove_video(&state.store, video_id)?;
                state.cancel_running(uuid);
                tracing::info!(video = %uuid, removed, "transcode jobs cancelled");
                let _ = reply.send(());
            }
            TranscodeMsg::Shutdown(reply) => {
                state.shutting_down = true;
                for running in state.running.values() {
                    running.cancel.store(true, Ordering::Relaxed);
                }
                let _ = reply.send(());
            }
            TranscodeMsg::Running(reply) => {
                let _ = reply.send(state.running.len());
            }
            TranscodeMsg::InjectFault(reason) => {
                tracing::warn!(%reason, "fault injected into the transcode supervisor");
                return Err(format!("injected fault: {reason}").into());
            }
        }
        Ok(())
    }

    /// Whatever stopped the supervisor (shutdown, the handle dropped), running encodes are
    /// cancelled; their jobs stay queued for the next start.
    async fn post_stop(&self, _myself: ActorRef<Self::Msg>, state: &mut Self::State) -> Result<(), ActorProcessingErr> {
        for running in state.running.values() {
            running.cancel.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                let Some(running) = state.running.remove(&cell.get_id()) else { return Ok(()) };
                let outcome = match reason.as_deref() {
                    Some(EXIT_DONE) => AttemptOutcome::Done,
                    Some(EXIT_GONE) => AttemptOutcome::Dropped,
                    Some(EXIT_CANCELLED) => AttemptOutcome::Cancelled,
                    other => {
                        tracing::warn!(video = %running.job.video_uuid, rung = running.job.height,
                            reason = ?other, "transcode job stopped unexpectedly; it stays queued");
                        AttemptOutcome::Cancelled
                    }
                };
                if matches!(outcome, AttemptOutcome::Done | AttemptOutcome::Dropped) {
                    queue::remove(&state.store, &running.job)?;
                }
                state.metrics.attempt_ended(outcome);
                if !state.shutting_down {
                    myself.cast(TranscodeMsg::Poll)?;
                }
            }
            SupervisionEvent::ActorFailed(cell, error) => {
                let Some(running) = state.running.remove(&cell.get_id()) else { return Ok(()) };
                state.job_failed(running, error.to_string()).await?;
                if !state.shutting_down {
                    myself.cast(TranscodeMsg::Poll)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl TranscodeSupervisorState {
    /// Starts ready jobs while slots are free; schedules another poll for the earliest backoff.
    async fn poll(&mut self, myself: &ActorRef<TranscodeMsg>) -> Result<(), ActorProcessingErr> {
        if self.shutting_down {
            return Ok(());
        }
        let limit = self.config.transcoding.concurrency.max(1);
        let now = unix_millis();
        let mut next_wake: Option<u64> = None;
        for job in queue::all(&self.store)? {
            if self.running.len() >= limit {
                break;
            }
            let key = job.key();
            if self.running.values().any(|r| r.job.key() == key) {
                continue;
            }
            if job.not_before_ms > now {
                next_wake = Some(next_wake.map_or(job.not_before_ms, |w| w.min(job.not_before_ms)));
                continue;
            }
            self.start(myself, job).await?;
        }
        self.metrics.set_jobs(self.running.len(), self.store.jobs.len());
        if let Some(wake) = next_wake {
            let delay = Duration::from_millis(wake.saturating_sub(now).max(1));
            myself.send_after(delay, || TranscodeMsg::Poll);
        }
        Ok(())
    }

    async fn start(&mut self, myself: &ActorRef<TranscodeMsg>, job: JobRecord) -> Result<(), ActorProcessingErr> {
        let attempt = job.failures + 1;
        let cancel = Arc::new(AtomicBool::new(false));
        let args = TranscodeJobArgs {
            job: job.clone(),
            attempt,
            store: self.store.clone(),
            config: self.config.clone(),
            videos: self.videos.clone(),
            cancel: cancel.clone(),
            metrics: self.metrics.clone(),
        };
        match Actor::spawn_linked(None, TranscodeJob, args, myself.get_cell()).await {
            Ok((child, _)) => {
                self.running.insert(child.get_id(), RunningJob { job, attempt, cancel });
            }
            Err(e) => {
                let running = RunningJob { job, attempt, cancel };
                self.job_failed(running, format!("spawning the job: {e}")).await?;
            }
        }
        Ok(())
    }

    /// Counts a failed attempt: retry later, or give up and tell the video.
    async fn job_failed(&mut self, running: RunningJob, reason: String) -> Result<(), ActorProcessingErr> {
        let mut job = running.job;
        let max_attempts = self.config.transcoding.max_attempts.max(1);
        job.failures = job.failures.saturating_add(1);
        if job.failures < max_attempts {
            let delay = queue::backoff_ms(self.config.transcoding.retry_backoff_ms, job.failures);
            tracing::warn!(video = %job.video_uuid, rung = job.height, attempt = running.attempt,
                max_attempts, retry_in_ms = delay, %reason, "transcode attempt failed; retrying");
            job.not_before_ms = unix_millis().saturating_add(delay);
            job.last_error = Some(reason);
            queue::put(&self.store, &job)?;
            self.metrics.attempt_ended(AttemptOutcome::Retried);
            return Ok(());
        }
        self.metrics.attempt_ended(AttemptOutcome::GaveUp);

        let message = format!("{}p failed after {} attempts: {reason}", job.height, job.failures);
        tracing::error!(video = %job.video_uuid, rung = job.height, attempts = job.failures, %reason,
            "transcode job gave up");
        let uuid = job.video_uuid;
        let height = job.height;
        let told = self
            .videos
            .call(
                |reply| VideoSupervisorMsg::ToVideo(uuid, VideoMsg::RungFailed { height, reason: message, reply }),
                Some(FAIL_TIMEOUT),
            )
            .await;
        match told {
            Ok(ractor::rpc::CallResult::Success(Ok(VideoState::TranscodingFailed))) => {
                queue::remove(&self.store, &job)?;
                queue::remove_video(&self.store, job.video_id)?;
                self.cancel_running(uuid);
            }
            Ok(ractor::rpc::CallResult::Success(Ok(_))) => queue::remove(&self.store, &job)?,
            Ok(ractor::rpc::CallResult::Success(Err(crate::videos::actor::RecordRungError::VideoGone))) => {
                queue::remove_video(&self.store, job.video_id)?;
            }
            other => {
                // The failure is not stored on the video yet: keep the job (failures counted)
                // so the next start or poll tells the video again.
                let outcome = match other {
                    Ok(ractor::rpc::CallResult::Success(Err(e))) => e.to_string(),
                    Ok(ractor::rpc::CallResult::Timeout) => "timeout".into(),
                    Ok(ractor::rpc::CallResult::SenderError) => "video actor unavailable".into(),
                    Err(e) => e.to_string(),
                    Ok(ractor::rpc::CallResult::Success(Ok(_))) => String::new(),
                };
                tracing::error!(video = %uuid, rung = height, %outcome, "could not record the failure on the video");
                job.failures = max_attempts.saturating_sub(1);
                job.not_before_ms = unix_millis().saturating_add(self.config.transcoding.retry_backoff_ms);
                queue::put(&self.store, &job)?;
            }
        }
        Ok(())
    }

    /// Sets the cancel flag of every running job of a video.
    fn cancel_running(&self, uuid: Uuid) {
        for running in self.running.values().filter(|r| r.job.video_uuid == uuid) {
            running.cancel.store(true, Ordering::Relaxed);
        }
    }
}
