//! `VideoSupervisor`: spawns `VideoActor`s linked to itself (lazily, when a video has
//! something to say), routes messages to them by uuid, and restarts a failed one from its
//! state in sled. Restarts are limited per video by a [`RestartBudget`]; past it the video
//! stays without an actor until the next message for it, and the failure is logged.
//!
//! Routing through the supervisor means transcode jobs never hold a stale reference to a
//! video actor that was restarted.

use super::actor::{VideoActor, VideoActorArgs, VideoMsg};
use super::repo;
use crate::restart_budget::{RestartBudget, MAX_RESTARTS, RESTART_WINDOW};
use crate::store::Store;
use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The supervisor of every `VideoActor`.
pub struct VideoSupervisor;

/// Messages of the `VideoSupervisor`.
pub enum VideoSupervisorMsg {
    /// Makes sure the video's actor runs (spawning it from sled if needed).
    Ensure { uuid: Uuid, reply: RpcReplyPort<Result<(), String>> },
    /// Delivers a message to the video's actor, spawning it if the video exists. Messages
    /// for unknown videos are dropped (their reply ports with them, so callers see an error).
    ToVideo(Uuid, VideoMsg),
    /// Live progress of a video, without spawning an actor for an idle video.
    Progress { uuid: Uuid, reply: RpcReplyPort<Option<crate::videos::TranscodeProgress>> },
    /// Stops the video's actor (deletion). Answers once it has stopped.
    Stop { uuid: Uuid, reply: RpcReplyPort<()> },
    /// The live actor of a video, if any (diagnostics and supervision tests).
    Lookup { uuid: Uuid, reply: RpcReplyPort<Option<ActorRef<VideoMsg>>> },
    /// Makes the supervisor fail with this reason: a fault drill for the node supervisor.
    InjectFault(String),
}

/// Children by uuid and by actor id, and recent restarts.
pub struct VideoSupervisorState {
    store: Store,
    public_url: Arc<str>,
    by_uuid: HashMap<Uuid, ActorRef<VideoMsg>>,
    by_actor: HashMap<ActorId, Uuid>,
    restarts: HashMap<Uuid, RestartBudget>,
}

impl Actor for VideoSupervisor {
    type Msg = VideoSupervisorMsg;
    type State = VideoSupervisorState;
    /// The store, and the node's public URL.
    type Arguments = (Store, Arc<str>);

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        (store, public_url): (Store, Arc<str>),
    ) -> Result<Self::State, ActorProcessingErr> {
        let (by_uuid, by_actor, restarts) = (HashMap::new(), HashMap::new(), HashMap::new());
        Ok(VideoSupervisorState { store, public_url, by_uuid, by_actor, restarts })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            VideoSupervisorMsg::Ensure { uuid, reply } => {
                let result = state.child(&myself, uuid).await.map(|_| ());
                let _ = reply.send(result);
            }
            VideoSupervisorMsg::ToVideo(uuid, msg) => match state.child(&myself, uuid).await {
                Ok(child) => {
                    if child.cast(msg).is_err() {
                        tracing::warn!(video = %uuid, "video actor stopped before taking a message");
                    }
                }
                Err(reason) => tracing::debug!(video = %uuid, %reason, "message for a video without actor dropped"),
            },
            VideoSupervisorMsg::Progress { uuid, reply } => match state.by_uuid.get(&uuid) {
                Some(child) => {
                    // The child answers directly; if it is gone the port drops and the caller sees None.
                    let _ = child.cast(VideoMsg::GetProgress(reply));
                }
                None => {
                    let _ = reply.send(None);
                }
            },
            VideoSupervisorMsg::Stop { uuid, reply } => {
                if let Some(child) = state.by_uuid.remove(&uuid) {
                    state.by_actor.remove(&child.get_id());
                    state.restarts.remove(&uuid);
                    let _ = child.stop_and_wait(Some("video deleted".into()), Some(Duration::from_secs(5))).await;
                }
                let _ = reply.send(());
            }
            VideoSupervisorMsg::Lookup { uuid, reply } => {
                let _ = reply.send(state.by_uuid.get(&uuid).cloned());
            }
            VideoSupervisorMsg::InjectFault(reason) => {
                tracing::warn!(%reason, "fault injected into the video supervisor");
                return Err(format!("injected fault: {reason}").into());
            }
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
            SupervisionEvent::ActorFailed(cell, error) => {
                let Some(uuid) = state.by_actor.remove(&cell.get_id()) else { return Ok(()) };
                state.by_uuid.remove(&uuid);
                tracing::warn!(video = %uuid, %error, "video actor failed");
                if !state.restarts.entry(uuid).or_default().allow() {
                    tracing::error!(video = %uuid, "video actor failed {MAX_RESTARTS} times within {RESTART_WINDOW:?}; not restarting it now");
                    return Ok(());
                }
                match state.child(&myself, uuid).await {
                    Ok(_) => tracing::info!(video = %uuid, "video actor restarted from the store"),
                    Err(reason) => tracing::warn!(video = %uuid, %reason, "video actor not restarted"),
                }
            }
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                if let Some(uuid) = state.by_actor.remove(&cell.get_id()) {
                    state.by_uuid.remove(&uuid);
                    tracing::debug!(video = %uuid, ?reason, "video actor stopped");
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl VideoSupervisorState {
    /// The running child for `uuid`, spawned (linked) from the store if there is none.
    async fn child(&mut self, myself: &ActorRef<VideoSupervisorMsg>, uuid: Uuid) -> Result<ActorRef<VideoMsg>, String> {
        if let Some(child) = self.by_uuid.get(&uuid) {
            return Ok(child.clone());
        }
        let record = repo::load_by_uuid(&self.store, uuid)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("video {uuid} does not exist"))?;
        let args =
            VideoActorArgs { video_id: record.id, store: self.store.clone(), public_url: self.public_url.clone() };
        let (child, _) = Actor::spawn_linked(None, VideoActor, args, myself.get_cell())
            .await
            .map_err(|e| format!("spawning the actor of video {uuid}: {e}"))?;
        self.by_actor.insert(child.get_id(), uuid);
        self.by_uuid.insert(uuid, child.clone());
        Ok(child)
    }
}
