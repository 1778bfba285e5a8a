//! `NodeSupervisor`: the root of the actor tree. It runs the `VideoSupervisor`, the
//! `TranscodeSupervisor`, the `TrackerSupervisor` and the `FederationSupervisor` linked to itself and restarts them
//! "rest for one": when the video supervisor stops unexpectedly (an error, a panic, a
//! kill) it and the transcoder restart, because the transcoder and its jobs hold the
//! video supervisor's address; when the transcode, tracker or federation supervisor
//! stops, only it restarts (swarms are soft state: peers re-announce; the delivery queue
//! is in sled). Video state and queued jobs live in sled, so the new
//! supervisors carry on where the old ones stopped (a cancelled encode stays queued).
//!
//! The current addresses are published in a shared [`Supervisors`] cell that the `Shoal`
//! handle reads on each call, so callers never hold a stale address for long.
//! Restarts are limited by a [`RestartBudget`]; past it the node supervisor fails, the
//! error is logged, and API calls that need the actors answer 503.

use crate::config::ShoalConfig;
use crate::federation::{FederationMsg, FederationShared, FederationSupervisor};
use crate::metrics::ActorMetrics;
use crate::replication::{CopyEvent, MemberMirrors, ReplicationActor, ReplicationArgs, ReplicationMsg};
use crate::restart_budget::{RestartBudget, MAX_RESTARTS, RESTART_WINDOW};
use crate::store::Store;
use crate::tracker::{TrackerMsg, TrackerShared, TrackerSupervisor, TrackerSupervisorArgs};
use crate::transcode::{TranscodeMsg, TranscodeSupervisor, TranscodeSupervisorArgs};
use crate::videos::supervisor::{VideoSupervisor, VideoSupervisorMsg};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How long a stopping child may take.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// The addresses of the running child supervisors.
#[derive(Clone)]
pub struct SupervisorRefs {
    pub videos: ActorRef<VideoSupervisorMsg>,
    pub transcoder: ActorRef<TranscodeMsg>,
    pub tracker: ActorRef<TrackerMsg>,
    pub federation: ActorRef<FederationMsg>,
    pub replication: ActorRef<ReplicationMsg>,
}

/// The shared cell holding the current [`SupervisorRefs`]; the node supervisor writes it
/// when it restarts a child.
#[derive(Clone)]
pub struct Supervisors(Arc<RwLock<SupervisorRefs>>);

impl Supervisors {
    /// The current addresses.
    pub fn current(&self) -> SupervisorRefs {
        match self.0.read() {
            Ok(refs) => refs.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace(&self, refs: SupervisorRefs) {
        match self.0.write() {
            Ok(mut current) => *current = refs,
            Err(poisoned) => *poisoned.into_inner() = refs,
        }
    }
}

/// The root supervisor.
pub struct NodeSupervisor;

/// What the node supervisor is started with.
pub struct NodeSupervisorArgs {
    pub store: Store,
    pub config: Arc<ShoalConfig>,
    pub metrics: ActorMetrics,
    pub tracker: Arc<TrackerShared>,
    pub federation: Arc<FederationShared>,
    /// Where the replication actor reports completed and dropped copies.
    pub copy_events: tokio::sync::mpsc::UnboundedSender<CopyEvent>,
    /// Where the replication actor publishes the federation's copies as web seeds.
    pub member_mirrors: MemberMirrors,
}

/// Messages of the node supervisor.
pub enum NodeMsg {
    /// The shared cell with the current child addresses.
    Supervisors(RpcReplyPort<Supervisors>),
}

/// The children, their shared addresses and recent restarts.
pub struct NodeSupervisorState {
    store: Store,
    config: Arc<ShoalConfig>,
    metrics: ActorMetrics,
    tracker: Arc<TrackerShared>,
    federation: Arc<FederationShared>,
    copy_events: tokio::sync::mpsc::UnboundedSender<CopyEvent>,
    member_mirrors: MemberMirrors,
    supervisors: Supervisors,
    restarts: RestartBudget,
    /// Replication restarts are counted apart: past its own budget replication stays down,
    /// and nothing else does.
    replication_restarts: RestartBudget,
}

impl Actor for NodeSupervisor {
    type Msg = NodeMsg;
    type State = NodeSupervisorState;
    type Arguments = NodeSupervisorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: NodeSupervisorArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let videos = spawn_videos(&myself, &args.store, &args.config).await?;
        let transcoder = match spawn_transcoder(&myself, &args.store, &args.config, &args.metrics, &videos).await {
            Ok(transcoder) => transcoder,
            Err(err) => {
                // Release the store (held by the video supervisor) so a retry can open it.
                let _ = videos.stop_and_wait(Some("start failed".into()), Some(STOP_TIMEOUT)).await;
                return Err(err);
            }
        };
        let tracker = match spawn_tracker(&myself, &args.store, &args.tracker).await {
            Ok(tracker) => tracker,
            Err(err) => {
                let _ = transcoder.stop_and_wait(Some("start failed".into()), Some(STOP_TIMEOUT)).await;
                let _ = videos.stop_and_wait(Some("start failed".into()), Some(STOP_TIMEOUT)).await;
                return Err(err);
            }
        };
        let federation = match spawn_federation(&myself, &args.federation).await {
            Ok(federation) => federation,
            Err(err) => {
                let _ = tracker.stop_and_wait(Some("start failed".into()), Some(STOP_TIMEOUT)).await;
                let _ = transcoder.stop_and_wait(Some("start failed".into()), Some(STOP_TIMEOUT)).await;
                let _ = videos.stop_and_wait(Some("start failed".into()), Some(STOP_TIMEOUT)).await;
                return Err(err);
            }
        };
        let replication = match spawn_replication(
            &myself,
            &args.store,
            &args.config,
            &args.metrics,
            &args.copy_events,
            &args.member_mirrors,
        )
        .await
        {
            Ok(replication) => replication,
            Err(err) => {
                let _ = federation.stop_and_wait(Some("start failed".into()), Some(STOP_TIMEOUT)).await;
                let _ = tracker.stop_and_wait(Some("start failed".into()), Some(STOP_TIMEOUT)).await;
                let _ = transcoder.stop_and_wait(Some("start failed".into()), Some(STOP_TIMEOUT)).await;
                let _ = videos.stop_and_wait(Some("start failed".into()), Some(STOP_TIMEOUT)).await;
                return Err(err);
            }
        };
        let supervisors =
            Supervisors(Arc::new(RwLock::new(SupervisorRefs { videos, transcoder, tracker, federation, replication })));
        Ok(NodeSupervisorState {
            store: args.store,
            config: args.config,
            metrics: args.metrics,
            tracker: args.tracker,
            federation: args.federation,
            copy_events: args.copy_events,
            member_mirrors: args.member_mirrors,
            supervisors,
            restarts: RestartBudget::default(),
            replication_restarts: RestartBudget::default(),
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            NodeMsg::Supervisors(reply) => {
                let _ = reply.send(state.supervisors.clone());
            }
        }
        Ok(())
    }

    /// A normal stop (shutdown, the handle dropped): the transcoder first (its running
    /// encodes are cancelled and stay queued), then the videos, each waited for.
    async fn post_stop(&self, _myself: ActorRef<Self::Msg>, state: &mut Self::State) -> Result<(), ActorProcessingErr> {
        let refs = state.supervisors.current();
        let _ = refs.replication.stop_and_wait(Some("shutdown".into()), Some(STOP_TIMEOUT)).await;
        let _ = refs.federation.stop_and_wait(Some("shutdown".into()), Some(STOP_TIMEOUT)).await;
        let _ = refs.tracker.stop_and_wait(Some("shutdown".into()), Some(STOP_TIMEOUT)).await;
        let _ = refs.transcoder.stop_and_wait(Some("shutdown".into()), Some(STOP_TIMEOUT)).await;
        let _ = refs.videos.stop_and_wait(Some("shutdown".into()), Some(STOP_TIMEOUT)).await;
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let (id, why) = match &event {
            SupervisionEvent::ActorFailed(cell, error) => (cell.get_id(), format!("failed: {error}")),
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                (cell.get_id(), format!("stopped: {}", reason.as_deref().unwrap_or("no reason")))
            }
            _ => return Ok(()),
        };
        let refs = state.supervisors.current();
        if id == refs.replication.get_id() {
            if !state.replication_restarts.allow() {
                tracing::error!(%why, "replication stopped too often; it stays down (serving, tracker and federation go on)");
                return Ok(());
            }
            tracing::error!(%why, "replication stopped unexpectedly; restarting it");
            let replication = spawn_replication(
                &myself,
                &state.store,
                &state.config,
                &state.metrics,
                &state.copy_events,
                &state.member_mirrors,
            )
            .await?;
            state.supervisors.replace(SupervisorRefs { replication, ..refs });
            return Ok(());
        }
        let child = if id == refs.videos.get_id() {
            "video supervisor"
        } else if id == refs.transcoder.get_id() {
            "transcode supervisor"
        } else if id == refs.tracker.get_id() {
            "tracker supervisor"
        } else if id == refs.federation.get_id() {
            "federation supervisor"
        } else {
            // A child we replaced ourselves.
            return Ok(());
        };
        tracing::error!(child, %why, "supervisor stopped unexpectedly; restarting it");
        if !state.restarts.allow() {
            return Err(format!("{child} {why}; {MAX_RESTARTS} restarts within {RESTART_WINDOW:?}, giving up").into());
        }
        if id == refs.federation.get_id() {
            let federation = spawn_federation(&myself, &state.federation).await?;
            state.supervisors.replace(SupervisorRefs { federation, ..refs });
            tracing::info!(child, "supervisor restarted");
            return Ok(());
        }
        if id == refs.tracker.get_id() {
            let tracker = spawn_tracker(&myself, &state.store, &state.tracker).await?;
            state.supervisors.replace(SupervisorRefs { tracker, ..refs });
            tracing::info!(child, "supervisor restarted");
            return Ok(());
        }
        let videos = if id == refs.videos.get_id() {
            // Rest for one: the transcoder and its jobs hold the old video supervisor.
            let _ = refs.transcoder.stop_and_wait(Some("video supervisor restarting".into()), Some(STOP_TIMEOUT)).await;
            spawn_videos(&myself, &state.store, &state.config).await?
        } else {
            refs.videos
        };
        let transcoder = spawn_transcoder(&myself, &state.store, &state.config, &state.metrics, &videos).await?;
        state.supervisors.replace(SupervisorRefs {
            videos,
            transcoder,
            tracker: refs.tracker,
            federation: refs.federation,
            replication: refs.replication,
        });
        tracing::info!(child, "supervisor restarted");
        Ok(())
    }
}

async fn spawn_videos(
    myself: &ActorRef<NodeMsg>,
    store: &Store,
    config: &ShoalConfig,
) -> Result<ActorRef<VideoSupervisorMsg>, ActorProcessingErr> {
    let args = (store.clone(), Arc::from(config.public_url()));
    let (videos, _) = Actor::spawn_linked(None, VideoSupervisor, args, myself.get_cell())
        .await
        .map_err(|e| format!("video supervisor: {e}"))?;
    Ok(videos)
}

async fn spawn_transcoder(
    myself: &ActorRef<NodeMsg>,
    store: &Store,
    config: &Arc<ShoalConfig>,
    metrics: &ActorMetrics,
    videos: &ActorRef<VideoSupervisorMsg>,
) -> Result<ActorRef<TranscodeMsg>, ActorProcessingErr> {
    let args = TranscodeSupervisorArgs {
        store: store.clone(),
        config: config.clone(),
        videos: videos.clone(),
        metrics: metrics.clone(),
    };
    let (transcoder, _) = Actor::spawn_linked(None, TranscodeSupervisor, args, myself.get_cell())
        .await
        .map_err(|e| format!("transcode supervisor: {e}"))?;
    Ok(transcoder)
}

async fn spawn_tracker(
    myself: &ActorRef<NodeMsg>,
    store: &Store,
    shared: &Arc<TrackerShared>,
) -> Result<ActorRef<TrackerMsg>, ActorProcessingErr> {
    let args = TrackerSupervisorArgs { shared: shared.clone(), store: store.clone() };
    let (tracker, _) = Actor::spawn_linked(None, TrackerSupervisor, args, myself.get_cell())
        .await
        .map_err(|e| format!("tracker supervisor: {e}"))?;
    Ok(tracker)
}

async fn spawn_federation(
    myself: &ActorRef<NodeMsg>,
    shared: &Arc<FederationShared>,
) -> Result<ActorRef<FederationMsg>, ActorProcessingErr> {
    let (federation, _) = Actor::spawn_linked(None, FederationSupervisor, shared.clone(), myself.get_cell())
        .await
        .map_err(|e| format!("federation supervisor: {e}"))?;
    Ok(federation)
}

async fn spawn_replication(
    myself: &ActorRef<NodeMsg>,
    store: &Store,
    config: &Arc<ShoalConfig>,
    metrics: &ActorMetrics,
    copy_events: &tokio::sync::mpsc::UnboundedSender<CopyEvent>,
    member_mirrors: &MemberMirrors,
) -> Result<ActorRef<ReplicationMsg>, ActorProcessingErr> {
    let args = ReplicationArgs {
        store: store.clone(),
        config: config.clone(),
        metrics: metrics.replication.clone(),
        copy_events: copy_events.clone(),
        member_mirrors: member_mirrors.clone(),
    };
    let (replication, _) = Actor::spawn_linked(None, ReplicationActor, args, myself.get_cell())
        .await
        .map_err(|e| format!("replication actor: {e}"))?;
    Ok(replication)
}
