//! `MirrorSupervisor`: runs unfinished mirror jobs (the `mirror_progress` tree) as linked
//! `MirrorJob` actors, at most `redundancy.concurrency` at once. At start it re-queues
//! every record left in sled, so a transfer cut by `kill -9` resumes where it stopped,
//! and deletes `.part` files no record names.
//!
//! Restart policy, matched by child id in `handle_supervisor_evt`:
//! - a failed attempt (stop with `EXIT_FAILED` and a typed error, or a panic): a
//!   permanent error ([`MirrorError::is_permanent`]) or the `redundancy.max_attempts`-th
//!   failure gives the job up (progress and partial file removed, [`MirrorEvent::Failed`]);
//!   otherwise it runs again after `retry_backoff_ms * 2^(failures-1)`;
//! - `EXIT_DONE`: [`MirrorEvent::Completed`] with the recorded copy;
//! - anything else (cancelled, killed): the record stays for the next start.

use super::error::MirrorError;
use super::http::MirrorHttp;
use super::job::{MirrorJob, MirrorJobArgs, MirrorJobMsg, EXIT_CANCELLED, EXIT_DONE, EXIT_FAILED};
use super::metrics::MirrorMetrics;
use super::progress::{self, ProgressRecord};
use super::request::{MirrorEvent, MirrorProgress, MirrorRequest};
use super::source::SourceProvider;
use crate::clock::unix_millis;
use crate::config::ShoalConfig;
use crate::replication::copies;
use crate::store::Store;
use crate::transcode::queue::backoff_ms;
use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// The supervisor of mirror jobs.
pub struct MirrorSupervisor;

/// What the supervisor is started with.
pub struct MirrorArgs {
    pub store: Store,
    pub config: Arc<ShoalConfig>,
    pub metrics: MirrorMetrics,
    pub http: MirrorHttp,
    pub sources: Arc<dyn SourceProvider>,
    /// Where completions, failures, misbehaving sources and drops are reported.
    pub events: UnboundedSender<MirrorEvent>,
}

/// Messages of the `MirrorSupervisor`.
pub enum MirrorMsg {
    /// Mirror a file: recorded in sled, then run when a slot is free. Ignored when the
    /// copy exists or a job for it is already queued.
    Mirror(MirrorRequest),
    /// Cancels the job of `info_hash` and/or deletes its copy (file, torrent, record);
    /// reported as [`MirrorEvent::Dropped`].
    Drop { info_hash: [u8; 20] },
    /// Every unfinished job with its progress.
    Status(RpcReplyPort<Vec<MirrorProgress>>),
    /// Look at the queue and start what fits (after a request, a finished job or a backoff).
    Poll,
}

struct RunningJob {
    info_hash: [u8; 20],
    actor: ActorRef<MirrorJobMsg>,
    cancel: Arc<AtomicBool>,
    outcome: Arc<Mutex<Option<MirrorError>>>,
    /// `Drop` asked for it: whatever it ends with, nothing of it is kept.
    dropped: bool,
}

/// Running jobs by actor id.
pub struct MirrorState {
    args: MirrorArgs,
    media_dir: PathBuf,
    running: HashMap<ActorId, RunningJob>,
}

impl Actor for MirrorSupervisor {
    type Msg = MirrorMsg;
    type State = MirrorState;
    type Arguments = MirrorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: MirrorArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let media_dir = args.config.media_dir();
        let queued = progress::all(&args.store)?;
        remove_orphan_parts(&media_dir, &queued);
        if !queued.is_empty() {
            tracing::info!(jobs = queued.len(), "resuming unfinished mirror jobs");
        }
        myself.cast(MirrorMsg::Poll)?;
        Ok(MirrorState { args, media_dir, running: HashMap::new() })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            MirrorMsg::Mirror(request) => {
                let store = &state.args.store;
                if !copies::is_safe_filename(&request.filename) {
                    tracing::warn!(info_hash = %request.info_hash_hex(), file = %request.filename,
                        "mirror refused: unsafe file name");
                    let error = MirrorError::UnsafeFilename(request.filename.clone());
                    let _ = state.args.events.send(MirrorEvent::Failed { request, error });
                } else if copies::get(store, &request.info_hash)?.is_some() {
                    tracing::debug!(info_hash = %request.info_hash_hex(), "copy already held; mirror ignored");
                } else if progress::get(store, &request.info_hash)?.is_some() {
                    tracing::debug!(info_hash = %request.info_hash_hex(), "mirror already queued");
                } else if progress::all(store)?.iter().any(|r| r.request.filename == request.filename) {
                    tracing::warn!(info_hash = %request.info_hash_hex(), file = %request.filename,
                        "another unfinished mirror has this file name; refused");
                    let error = MirrorError::FilenameTaken(request.filename.clone());
                    let _ = state.args.events.send(MirrorEvent::Failed { request, error });
                } else {
                    tracing::info!(info_hash = %request.info_hash_hex(), file = %request.filename,
                        origin = %request.origin_host, "mirror queued");
                    progress::put(store, &ProgressRecord::new(request))?;
                    state.poll(&myself).await?;
                }
            }
            MirrorMsg::Drop { info_hash } => {
                state.drop_copy(info_hash)?;
                state.poll(&myself).await?;
            }
            MirrorMsg::Status(reply) => {
                let running: HashSet<[u8; 20]> = state.running.values().map(|r| r.info_hash).collect();
                let all = progress::all(&state.args.store)?;
                let _ = reply.send(all.iter().map(|r| r.status(running.contains(&r.request.info_hash))).collect());
            }
            MirrorMsg::Poll => state.poll(&myself).await?,
        }
        Ok(())
    }

    /// Whatever stopped the supervisor, running transfers stop; their records stay.
    async fn post_stop(&self, _myself: ActorRef<Self::Msg>, state: &mut Self::State) -> Result<(), ActorProcessingErr> {
        for running in state.running.values() {
            running.cancel.store(true, Ordering::Relaxed);
            running.actor.kill();
        }
        state.args.metrics.set_jobs(0, state.args.store.mirror_progress.len());
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
                state.ended(running, reason.as_deref())?;
                state.poll(&myself).await?;
            }
            SupervisionEvent::ActorFailed(cell, error) => {
                let Some(running) = state.running.remove(&cell.get_id()) else { return Ok(()) };
                if running.dropped {
                    state.forget(running.info_hash)?;
                } else {
                    state.failed(running.info_hash, MirrorError::Panicked(error.to_string()))?;
                }
                state.poll(&myself).await?;
            }
            _ => {}
        }
        Ok(())
    }
}

impl MirrorState {
    /// Starts ready jobs while slots are free; schedules another poll for the earliest backoff.
    async fn poll(&mut self, myself: &ActorRef<MirrorMsg>) -> Result<(), ActorProcessingErr> {
        let limit = self.args.config.redundancy.concurrency.max(1);
        let now = unix_millis();
        let mut next_wake: Option<u64> = None;
        for record in start_order(progress::all(&self.args.store)?) {
            if self.running.len() >= limit {
                break;
            }
            let info_hash = record.request.info_hash;
            if self.running.values().any(|r| r.info_hash == info_hash) {
                continue;
            }
            if record.not_before_ms > now {
                next_wake = Some(next_wake.map_or(record.not_before_ms, |w| w.min(record.not_before_ms)));
                continue;
            }
            self.start(myself, info_hash).await?;
        }
        self.args.metrics.set_jobs(self.running.len(), self.args.store.mirror_progress.len());
        if let Some(wake) = next_wake {
            let delay = Duration::from_millis(wake.saturating_sub(now).max(1));
            myself.send_after(delay, || MirrorMsg::Poll);
        }
        Ok(())
    }

    async fn start(&mut self, myself: &ActorRef<MirrorMsg>, info_hash: [u8; 20]) -> Result<(), ActorProcessingErr> {
        let cancel = Arc::new(AtomicBool::new(false));
        let outcome = Arc::new(Mutex::new(None));
        let args = MirrorJobArgs {
            info_hash,
            store: self.args.store.clone(),
            media_dir: self.media_dir.clone(),
            http: self.args.http.clone(),
            sources: self.args.sources.clone(),
            metrics: self.args.metrics.clone(),
            events: self.args.events.clone(),
            cancel: cancel.clone(),
            outcome: outcome.clone(),
        };
        match Actor::spawn_linked(None, MirrorJob, args, myself.get_cell()).await {
            Ok((actor, _)) => {
                self.running.insert(actor.get_id(), RunningJob { info_hash, actor, cancel, outcome, dropped: false });
            }
            Err(e) => self.failed(info_hash, MirrorError::Panicked(format!("spawning the job: {e}")))?,
        }
        Ok(())
    }

    /// A job stopped with `reason`.
    fn ended(&mut self, running: RunningJob, reason: Option<&str>) -> Result<(), ActorProcessingErr> {
        if running.dropped {
            return self.forget(running.info_hash);
        }
        match reason {
            Some(EXIT_DONE) => {
                if let Some(copy) = copies::get(&self.args.store, &running.info_hash)? {
                    self.args.metrics.job_ended("completed");
                    let _ = self.args.events.send(MirrorEvent::Completed(copy));
                }
            }
            Some(EXIT_FAILED) => {
                let error = running
                    .outcome
                    .lock()
                    .ok()
                    .and_then(|mut slot| slot.take())
                    .unwrap_or_else(|| MirrorError::Panicked("the job recorded no error".into()));
                self.failed(running.info_hash, error)?;
            }
            Some(EXIT_CANCELLED) => {}
            other => tracing::warn!(info_hash = %hex::encode(running.info_hash), reason = ?other,
                "mirror job stopped unexpectedly; it stays queued"),
        }
        Ok(())
    }

    /// Counts a failed attempt: retry later, or give up.
    fn failed(&mut self, info_hash: [u8; 20], error: MirrorError) -> Result<(), ActorProcessingErr> {
        let store = &self.args.store;
        let Some(mut record) = progress::get(store, &info_hash)? else { return Ok(()) };
        let redundancy = &self.args.config.redundancy;
        let max_attempts = redundancy.max_attempts.max(1);
        record.failures = record.failures.saturating_add(1);
        if error.is_permanent() || record.failures >= max_attempts {
            tracing::error!(info_hash = %record.request.info_hash_hex(), file = %record.request.filename,
                attempts = record.failures, %error, "mirror job given up");
            progress::remove(store, &info_hash)?;
            copies::remove_partial_files(&self.media_dir, &record.request.filename);
            self.args.metrics.job_ended("failed");
            let _ = self.args.events.send(MirrorEvent::Failed { request: record.request, error });
            return Ok(());
        }
        let delay = backoff_ms(redundancy.retry_backoff_ms, record.failures);
        tracing::warn!(info_hash = %record.request.info_hash_hex(), file = %record.request.filename,
            attempt = record.failures, max_attempts, retry_in_ms = delay, %error, "mirror attempt failed; retrying");
        record.not_before_ms = unix_millis().saturating_add(delay);
        record.last_error = Some(error.to_string());
        progress::put(store, &record)?;
        Ok(())
    }

    /// `Drop`: cancels a running job, removes the record, the copy and their files.
    fn drop_copy(&mut self, info_hash: [u8; 20]) -> Result<(), ActorProcessingErr> {
        for running in self.running.values_mut().filter(|r| r.info_hash == info_hash) {
            running.dropped = true;
            running.cancel.store(true, Ordering::Relaxed);
            running.actor.kill();
        }
        let (queued, copy) = self.forget_records(info_hash)?;
        if queued || copy.is_some() {
            tracing::info!(info_hash = %hex::encode(info_hash), had_copy = copy.is_some(), "mirror dropped");
            self.args.metrics.job_ended("dropped");
        }
        let _ = self.args.events.send(MirrorEvent::Dropped { info_hash, copy });
        Ok(())
    }

    /// A dropped job ended: whatever it managed to record goes too.
    fn forget(&mut self, info_hash: [u8; 20]) -> Result<(), ActorProcessingErr> {
        let (_, copy) = self.forget_records(info_hash)?;
        if let Some(copy) = copy {
            tracing::info!(file = %copy.filename, "a dropped job completed as it was cancelled; copy removed");
            let _ = self.args.events.send(MirrorEvent::Dropped { info_hash, copy: Some(copy) });
        }
        Ok(())
    }

    /// Removes the progress and copy records of `info_hash` and their files.
    fn forget_records(
        &mut self,
        info_hash: [u8; 20],
    ) -> Result<(bool, Option<copies::CopyRecord>), ActorProcessingErr> {
        let store = &self.args.store;
        let queued = progress::remove(store, &info_hash)?;
        let copy = copies::remove(store, &info_hash)?;
        if let Some(record) = &queued {
            copies::remove_partial_files(&self.media_dir, &record.request.filename);
        }
        if let Some(copy) = &copy {
            copies::remove_files(&self.media_dir, &copy.filename);
        }
        Ok((queued.is_some(), copy))
    }
}

/// The queued jobs in the order they may start: repairs first, then the rest, each group in
/// the store's order.
fn start_order(mut records: Vec<ProgressRecord>) -> Vec<ProgressRecord> {
    records.sort_by_key(|r| !r.request.repair);
    records
}

/// Deletes `.part` files no unfinished job names (left by jobs given up or dropped while
/// the node was down).
fn remove_orphan_parts(media_dir: &std::path::Path, queued: &[ProgressRecord]) {
    let dir = copies::redundancy_dir(media_dir).join(copies::PART_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    let keep: HashSet<&str> = queued.iter().map(|r| r.request.filename.as_str()).collect();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !keep.contains(name.as_ref()) {
            tracing::info!(file = %name, "removing a partial mirror file no job names");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replication::copies::CopyReason;

    fn record(n: u8, repair: bool) -> ProgressRecord {
        ProgressRecord::new(MirrorRequest {
            info_hash: [n; 20],
            video_uuid: uuid::Uuid::from_u128(u128::from(n)),
            video_url: format!("https://o.example/videos/watch/{n}"),
            origin_host: "o.example".into(),
            filename: format!("{n}-240.mp4"),
            size: 1,
            torrent_url: String::new(),
            web_seed_url: String::new(),
            reason: CopyReason::Placement,
            repair,
        })
    }

    #[test]
    fn repairs_start_first_and_each_group_keeps_its_order() {
        let order: Vec<u8> = start_order(vec![record(1, false), record(2, true), record(3, false), record(4, true)])
            .iter()
            .map(|r| r.request.info_hash[0])
            .collect();
        assert_eq!(order, vec![2, 4, 1, 3]);
    }
}
