//! `TrackerSupervisor`: starts a `SwarmActor` for an info-hash the node serves,
//! when the first peer announces it, and restarts one that fails (its peers
//! re-announce within an interval) without touching the other swarms.

use std::collections::HashMap;
use std::sync::Arc;

use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use super::shared::TrackerShared;
use super::swarm_actor::{SwarmActor, SwarmArgs, SwarmMsg};
use super::TrackerError;
use crate::config::TrackerAllow;
use crate::store::Store;
use crate::videos::repo;

pub enum TrackerMsg {
    /// The swarm actor of `info_hash`, started if needed and allowed.
    Swarm { info_hash: [u8; 20], reply: RpcReplyPort<Result<ActorRef<SwarmMsg>, TrackerError>> },
}

pub struct TrackerSupervisor;

pub struct TrackerSupervisorArgs {
    pub shared: Arc<TrackerShared>,
    pub store: Store,
}

pub struct TrackerSupervisorState {
    shared: Arc<TrackerShared>,
    store: Store,
    children: HashMap<ActorId, [u8; 20]>,
}

impl TrackerSupervisorState {
    async fn spawn(
        &mut self,
        myself: &ActorRef<TrackerMsg>,
        info_hash: [u8; 20],
    ) -> Result<ActorRef<SwarmMsg>, TrackerError> {
        let args = SwarmArgs { info_hash, shared: self.shared.clone() };
        let (swarm, _) = Actor::spawn_linked(None, SwarmActor, args, myself.get_cell())
            .await
            .map_err(|e| TrackerError::Unavailable(format!("starting a swarm: {e}")))?;
        self.children.insert(swarm.get_id(), info_hash);
        self.shared.register(info_hash, swarm.clone());
        Ok(swarm)
    }

    fn allowed(&self, info_hash: &[u8; 20]) -> Result<(), TrackerError> {
        match self.shared.config.allow {
            TrackerAllow::Any => Ok(()),
            TrackerAllow::Hosted => match repo::video_for_info_hash(&self.store, info_hash) {
                Ok(Some(_)) => Ok(()),
                Ok(None) => Err(TrackerError::NotServed),
                Err(e) => Err(TrackerError::Unavailable(format!("reading the info-hash index: {e}"))),
            },
        }
    }
}

impl Actor for TrackerSupervisor {
    type Msg = TrackerMsg;
    type State = TrackerSupervisorState;
    type Arguments = TrackerSupervisorArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<TrackerMsg>,
        args: TrackerSupervisorArgs,
    ) -> Result<TrackerSupervisorState, ActorProcessingErr> {
        // A previous supervisor that failed may have left swarms behind.
        for stale in args.shared.take_all() {
            stale.stop(Some("tracker supervisor restarted".into()));
        }
        Ok(TrackerSupervisorState { shared: args.shared, store: args.store, children: HashMap::new() })
    }

    async fn handle(
        &self,
        myself: ActorRef<TrackerMsg>,
        message: TrackerMsg,
        state: &mut TrackerSupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            TrackerMsg::Swarm { info_hash, reply } => {
                let result = match state.shared.lookup(&info_hash) {
                    Some(swarm) if swarm.get_status() == ractor::ActorStatus::Running => Ok(swarm),
                    _ => match state.allowed(&info_hash) {
                        Err(e) => Err(e),
                        Ok(()) if state.shared.swarm_count() >= state.shared.config.max_swarms => {
                            Err(TrackerError::TooManySwarms)
                        }
                        Ok(()) => state.spawn(&myself, info_hash).await,
                    },
                };
                let _ = reply.send(result);
            }
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<TrackerMsg>,
        state: &mut TrackerSupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        for swarm in state.shared.take_all() {
            swarm.stop(Some("tracker stopping".into()));
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<TrackerMsg>,
        event: SupervisionEvent,
        state: &mut TrackerSupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorFailed(cell, error) => {
                let Some(info_hash) = state.children.remove(&cell.get_id()) else { return Ok(()) };
                state.shared.deregister(&info_hash, cell.get_id());
                state.shared.metrics.swarm_restarted();
                tracing::warn!(info_hash = %hex::encode(info_hash), %error, "swarm actor failed; restarting it");
                if let Err(e) = state.spawn(&myself, info_hash).await {
                    tracing::error!(info_hash = %hex::encode(info_hash), error = %e, "could not restart a swarm");
                }
            }
            SupervisionEvent::ActorTerminated(cell, _, _) => {
                if let Some(info_hash) = state.children.remove(&cell.get_id()) {
                    state.shared.deregister(&info_hash, cell.get_id());
                }
            }
            _ => {}
        }
        Ok(())
    }
}
