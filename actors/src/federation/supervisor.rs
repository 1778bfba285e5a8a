//! `FederationSupervisor`: at start, starts a `RemoteInstanceActor` for every host with
//! queued deliveries; afterwards starts one on a host's first delivery, and restarts one
//! that fails (its queue is in sled, so the new actor resumes at the head).

use std::collections::HashMap;
use std::sync::Arc;

use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use super::queue;
use super::remote_instance::{RemoteArgs, RemoteInstanceActor, RemoteMsg};
use super::shared::FederationShared;

/// Messages of the federation supervisor.
pub enum FederationMsg {
    /// The running actor of `host`, started if needed, and woken.
    Ensure { host: String, reply: RpcReplyPort<Result<ActorRef<RemoteMsg>, String>> },
}

pub struct FederationSupervisor;

pub struct FederationSupervisorState {
    shared: Arc<FederationShared>,
    children: HashMap<ActorId, String>,
}

impl FederationSupervisorState {
    async fn spawn(&mut self, myself: &ActorRef<FederationMsg>, host: &str) -> Result<ActorRef<RemoteMsg>, String> {
        let args = RemoteArgs { host: host.to_string(), shared: self.shared.clone() };
        let (actor, _) = Actor::spawn_linked(None, RemoteInstanceActor, args, myself.get_cell())
            .await
            .map_err(|e| format!("starting the actor of {host}: {e}"))?;
        self.children.insert(actor.get_id(), host.to_string());
        self.shared.register(host, actor.clone());
        Ok(actor)
    }
}

impl Actor for FederationSupervisor {
    type Msg = FederationMsg;
    type State = FederationSupervisorState;
    type Arguments = Arc<FederationShared>;

    async fn pre_start(
        &self,
        myself: ActorRef<FederationMsg>,
        shared: Arc<FederationShared>,
    ) -> Result<FederationSupervisorState, ActorProcessingErr> {
        // A previous supervisor that failed may have left actors behind.
        for stale in shared.take_all() {
            stale.stop(Some("federation supervisor restarted".into()));
        }
        let hosts = queue::hosts(&shared.store)?;
        let mut state = FederationSupervisorState { shared, children: HashMap::new() };
        for host in &hosts {
            state.spawn(&myself, host).await?;
        }
        if !hosts.is_empty() {
            tracing::info!(hosts = hosts.len(), "resuming queued deliveries");
        }
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<FederationMsg>,
        message: FederationMsg,
        state: &mut FederationSupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            FederationMsg::Ensure { host, reply } => {
                let result = match state.shared.lookup(&host) {
                    Some(actor) if actor.get_status() == ractor::ActorStatus::Running => Ok(actor),
                    _ => state.spawn(&myself, &host).await,
                };
                if let Ok(actor) = &result {
                    let _ = actor.cast(RemoteMsg::Wake);
                }
                let _ = reply.send(result);
            }
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<FederationMsg>,
        state: &mut FederationSupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        for actor in state.shared.take_all() {
            let _ =
                actor.stop_and_wait(Some("federation stopping".into()), Some(std::time::Duration::from_secs(15))).await;
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<FederationMsg>,
        event: SupervisionEvent,
        state: &mut FederationSupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorFailed(cell, error) => {
                let Some(host) = state.children.remove(&cell.get_id()) else { return Ok(()) };
                state.shared.deregister(&host, cell.get_id());
                tracing::warn!(%host, %error, "remote instance actor failed; restarting it");
                state.restart(&myself, &host).await;
            }
            // Actors never stop by themselves while the supervisor runs (its own shutdown
            // stops them in `post_stop`, after this handler's last event): one that was
            // stopped or killed from outside is replaced if its host still has records.
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                let Some(host) = state.children.remove(&cell.get_id()) else { return Ok(()) };
                state.shared.deregister(&host, cell.get_id());
                if matches!(queue::head(&state.shared.store, &host), Ok(Some(_))) {
                    tracing::warn!(%host, ?reason, "remote instance actor stopped with deliveries queued; restarting it");
                    state.restart(&myself, &host).await;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl FederationSupervisorState {
    async fn restart(&mut self, myself: &ActorRef<FederationMsg>, host: &str) {
        {
            // Give a failing store or host a moment instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            if let Err(e) = self.spawn(myself, host).await {
                tracing::error!(%host, error = %e, "could not restart a remote instance actor");
            }
        }
    }
}
