//! `VideoActor`: one per video with transcoding work, the single writer of its state
//! machine:
//!
//! ```text
//! ToTranscode --first rung done--> Published --more rungs--> Published (+ files)
//!      \--a rung exhausts its attempts before anything is published--> TranscodingFailed
//! ```
//!
//! A rung failing after publication leaves the video Published: the rung leaves
//! `pending_resolutions` and the reason goes to `state_error`. Every change is written to
//! sled before the actor acknowledges it, so a restarted actor (or node) reads it back.

use super::record::{TranscodeProgress, VideoFileRecord, VideoRecord, VideoState};
use super::repo;
use crate::clock::now_rfc3339;
use crate::store::Store;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::sync::Arc;
use uuid::Uuid;

/// The per-video actor (state in [`VideoActorState`]).
pub struct VideoActor;

/// What a `VideoActor` is started with.
pub struct VideoActorArgs {
    pub video_id: u64,
    pub store: Store,
    /// The node's public URL (the HLS swarm ids are made from it).
    pub public_url: Arc<str>,
}

/// Why a rung's result could not be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordRungError {
    /// The video was deleted meanwhile: the caller should delete its output.
    #[error("video deleted")]
    VideoGone,
    /// The store failed; the job stays queued and is retried.
    #[error("store: {0}")]
    Store(String),
}

/// Messages of a `VideoActor`.
pub enum VideoMsg {
    /// A transcode job started an attempt at a rung.
    RungStarted { height: u32, attempt: u32, frames_total: u64 },
    /// Frames encoded so far in the running rung.
    Progress { height: u32, frames_done: u64, frames_total: u64 },
    /// A rung's file (and torrent) is in the media folder; add it, publish if it is the
    /// first, and record the thumbnail if one was made. Answers once stored.
    RungDone {
        /// Boxed: with its fragment index it is the largest message by far.
        file: Box<VideoFileRecord>,
        thumbnail: Option<String>,
        reply: RpcReplyPort<Result<VideoState, RecordRungError>>,
    },
    /// A rung exhausted its attempts. Answers the resulting state once stored.
    RungFailed { height: u32, reason: String, reply: RpcReplyPort<Result<VideoState, RecordRungError>> },
    /// Live progress, `None` when nothing is pending.
    GetProgress(RpcReplyPort<Option<TranscodeProgress>>),
    /// Makes the actor fail with this reason: a fault drill for the supervisor (tests and
    /// operators). The state in sled is untouched; the restarted actor reads it back.
    InjectFault(String),
}

/// In-memory state: the uuid, the durable part's cache and live progress.
pub struct VideoActorState {
    video_id: u64,
    uuid: Uuid,
    store: Store,
    public_url: Arc<str>,
    state: VideoState,
    pending: Vec<u32>,
    running: Option<RunningRung>,
}

/// The rung being encoded, as last reported.
struct RunningRung {
    height: u32,
    attempt: u32,
    frames_done: u64,
    frames_total: u64,
}

impl Actor for VideoActor {
    type Msg = VideoMsg;
    type State = VideoActorState;
    type Arguments = VideoActorArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: VideoActorArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let record = repo::load(&args.store, args.video_id)?
            .ok_or_else(|| format!("video {} is not in the store", args.video_id))?;
        tracing::debug!(video = %record.uuid, state = record.state.label(), "video actor started");
        Ok(VideoActorState {
            video_id: record.id,
            uuid: record.uuid,
            store: args.store,
            public_url: args.public_url,
            state: record.state,
            pending: record.pending_resolutions,
            running: None,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            VideoMsg::RungStarted { height, attempt, frames_total } => {
                tracing::info!(video = %state.uuid, rung = height, attempt, "rung started");
                state.running = Some(RunningRung { height, attempt, frames_done: 0, frames_total });
            }
            VideoMsg::Progress { height, frames_done, frames_total } => match &mut state.running {
                Some(running) if running.height == height => {
                    running.frames_done = frames_done;
                    running.frames_total = frames_total;
                }
                _ => {
                    state.running = Some(RunningRung { height, attempt: 1, frames_done, frames_total });
                }
            },
            VideoMsg::RungDone { file, thumbnail, reply } => {
                let public_url = state.public_url.clone();
                let result =
                    state.record(|record| add_file(record, (*file).clone(), thumbnail.clone(), &public_url)).await;
                if let Ok(new_state) = &result {
                    tracing::info!(video = %state.uuid, rung = file.resolution, state = new_state.label(),
                        size = file.size, "rung recorded");
                }
                state.clear_running(file.resolution);
                let _ = reply.send(result);
            }
            VideoMsg::RungFailed { height, reason, reply } => {
                let result = state.record(|record| fail_rung(record, height, &reason)).await;
                tracing::warn!(video = %state.uuid, rung = height, %reason, outcome = ?result, "rung failed");
                state.clear_running(height);
                let _ = reply.send(result);
            }
            VideoMsg::GetProgress(reply) => {
                let _ = reply.send(state.progress());
            }
            VideoMsg::InjectFault(reason) => {
                tracing::warn!(video = %state.uuid, %reason, "fault injected into video actor");
                return Err(format!("injected fault: {reason}").into());
            }
        }
        Ok(())
    }
}

impl VideoActorState {
    /// Applies `change` to the stored record and refreshes the cache. The change is on
    /// disk (sled flushed) before this returns, so an acknowledged rung survives `kill -9`.
    async fn record(&mut self, change: impl FnMut(&mut VideoRecord)) -> Result<VideoState, RecordRungError> {
        let updated = repo::update(&self.store, self.video_id, change);
        if let Ok(Some(_)) = &updated {
            if let Err(e) = self.store.flush().await {
                return Err(RecordRungError::Store(e.to_string()));
            }
        }
        match updated {
            Ok(Some(record)) => {
                self.state = record.state;
                self.pending = record.pending_resolutions;
                Ok(self.state)
            }
            Ok(None) => Err(RecordRungError::VideoGone),
            Err(e) => Err(RecordRungError::Store(e.to_string())),
        }
    }

    fn clear_running(&mut self, height: u32) {
        if self.running.as_ref().is_some_and(|r| r.height == height) {
            self.running = None;
        }
    }

    fn progress(&self) -> Option<TranscodeProgress> {
        if self.pending.is_empty() || self.state == VideoState::TranscodingFailed {
            return None;
        }
        let running = self.running.as_ref();
        Some(TranscodeProgress {
            resolution: running.map(|r| r.height),
            frames_done: running.map_or(0, |r| r.frames_done),
            frames_total: running.map_or(0, |r| r.frames_total),
            pending: self.pending.clone(),
            attempt: running.map_or(0, |r| r.attempt),
        })
    }
}

/// Adds a finished rung: files stay sorted lowest first; the first file publishes; the HLS
/// swarm ids follow the new master playlist.
pub(crate) fn add_file(record: &mut VideoRecord, file: VideoFileRecord, thumbnail: Option<String>, public_url: &str) {
    let now = now_rfc3339();
    record.pending_resolutions.retain(|h| *h != file.resolution);
    record.files.retain(|f| f.resolution != file.resolution);
    record.files.push(file);
    record.files.sort_by_key(|f| f.resolution);
    record.hls_swarms = record.hls_swarm_hashes(public_url);
    if record.thumbnail.is_none() {
        record.thumbnail = thumbnail;
    }
    if record.state == VideoState::ToTranscode {
        record.state = VideoState::Published;
        record.published_at = Some(now.clone());
    }
    record.updated_at = now;
}

/// Records a rung that exhausted its attempts.
pub(crate) fn fail_rung(record: &mut VideoRecord, height: u32, reason: &str) {
    record.pending_resolutions.retain(|h| *h != height);
    if record.files.is_empty() {
        record.state = VideoState::TranscodingFailed;
        record.state_error = Some(reason.to_string());
        record.pending_resolutions.clear();
    } else {
        record.state_error = Some(format!("{height}p: {reason}"));
    }
    record.updated_at = now_rfc3339();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(rungs: Vec<u32>) -> VideoRecord {
        crate::videos::create::sample_record("state machine", rungs)
    }

    fn file(resolution: u32) -> VideoFileRecord {
        VideoFileRecord {
            resolution,
            width: resolution * 4 / 3,
            height: resolution,
            size: 100,
            fps: 25.0,
            filename: format!("x-{resolution}.mp4"),
            torrent_filename: format!("x-{resolution}.torrent"),
            info_hash: "00".repeat(20),
            magnet_uri: String::new(),
            hls: None,
        }
    }

    #[test]
    fn first_rung_publishes_and_later_rungs_join() {
        let mut r = record(vec![360, 720]);
        add_file(&mut r, file(360), Some("x.jpg".into()), "http://n");
        assert_eq!(r.state, VideoState::Published);
        let published_at = r.published_at.clone();
        assert!(published_at.is_some());
        assert_eq!(r.pending_resolutions, vec![720]);
        assert_eq!(r.thumbnail.as_deref(), Some("x.jpg"));
        add_file(&mut r, file(720), Some("y.jpg".into()), "http://n");
        assert_eq!(r.files.iter().map(|f| f.resolution).collect::<Vec<_>>(), vec![360, 720]);
        assert!(r.pending_resolutions.is_empty());
        assert_eq!(r.published_at, published_at, "published once");
        assert_eq!(r.thumbnail.as_deref(), Some("x.jpg"), "the first thumbnail stays");
    }

    #[test]
    fn failure_before_publication_fails_the_video() {
        let mut r = record(vec![360, 720]);
        fail_rung(&mut r, 360, "boom");
        assert_eq!(r.state, VideoState::TranscodingFailed);
        assert_eq!(r.state_error.as_deref(), Some("boom"));
        assert!(r.pending_resolutions.is_empty());
    }

    #[test]
    fn failure_after_publication_keeps_the_video_published() {
        let mut r = record(vec![360, 720]);
        add_file(&mut r, file(360), None, "http://n");
        fail_rung(&mut r, 720, "encoder died");
        assert_eq!(r.state, VideoState::Published);
        assert_eq!(r.state_error.as_deref(), Some("720p: encoder died"));
        assert!(r.pending_resolutions.is_empty());
        assert_eq!(r.files.len(), 1);
    }
}
