//! `MirrorJob`: one actor per running attempt at one file, spawned linked to the
//! `MirrorSupervisor`. It runs a [`Transfer`] and tells the supervisor how it went by the
//! way it ends:
//! - stop with [`EXIT_DONE`]: the copy is recorded and the progress gone;
//! - stop with [`EXIT_CANCELLED`]: cancelled (drop, shutdown) or the progress record is
//!   gone; nothing to count;
//! - stop with [`EXIT_FAILED`] after putting the typed error in the shared outcome slot,
//!   or fail (a panic): count a failure, retry with backoff or give up.
//!
//! The supervisor cancels a job by setting its flag (checked between pieces) and killing
//! the actor, which drops the transfer's in-flight requests at once.

use super::error::MirrorError;
use super::http::MirrorHttp;
use super::metrics::MirrorMetrics;
use super::request::MirrorEvent;
use super::source::SourceProvider;
use super::transfer::Transfer;
use crate::store::Store;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;

/// Exit reason: the copy is recorded.
pub const EXIT_DONE: &str = "done";
/// Exit reason: cancelled, or nothing to do.
pub const EXIT_CANCELLED: &str = "cancelled";
/// Exit reason: the attempt failed; the error is in [`MirrorJobArgs::outcome`].
pub const EXIT_FAILED: &str = "failed";

/// One attempt at one file.
pub struct MirrorJob;

/// What a job is started with.
pub struct MirrorJobArgs {
    pub info_hash: [u8; 20],
    pub store: Store,
    pub media_dir: PathBuf,
    pub http: MirrorHttp,
    pub sources: Arc<dyn SourceProvider>,
    pub metrics: MirrorMetrics,
    pub events: UnboundedSender<MirrorEvent>,
    pub cancel: Arc<AtomicBool>,
    /// Where a failed attempt leaves its typed error for the supervisor.
    pub outcome: Arc<Mutex<Option<MirrorError>>>,
}

/// Messages of a job.
pub enum MirrorJobMsg {
    /// Do the work (sent to itself once started).
    Run,
}

impl Actor for MirrorJob {
    type Msg = MirrorJobMsg;
    type State = MirrorJobArgs;
    type Arguments = MirrorJobArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: MirrorJobArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.cast(MirrorJobMsg::Run)?;
        Ok(args)
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        s: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            MirrorJobMsg::Run => {
                let transfer = Transfer {
                    store: &s.store,
                    media_dir: &s.media_dir,
                    http: &s.http,
                    sources: s.sources.as_ref(),
                    metrics: &s.metrics,
                    events: &s.events,
                    cancel: &s.cancel,
                };
                match transfer.run(s.info_hash).await {
                    Ok(_) => myself.stop(Some(EXIT_DONE.into())),
                    Err(MirrorError::Cancelled) => myself.stop(Some(EXIT_CANCELLED.into())),
                    Err(e) => {
                        if let Ok(mut slot) = s.outcome.lock() {
                            *slot = Some(e);
                        }
                        myself.stop(Some(EXIT_FAILED.into()));
                    }
                }
            }
        }
        Ok(())
    }
}
