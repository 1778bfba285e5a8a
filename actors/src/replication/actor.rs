//! `ReplicationActor`: this node's part in a federation of cooperating redundancy nodes. It
//! owns the libp2p transport ([`ReplicationNet`]) and the `MirrorSupervisor`, announces this
//! node (catalogue, copies held, capacity) every heartbeat, keeps the membership table from
//! the members' announcements, and once a second runs a placement round: the files placement
//! names this node fetch, surplus placement copies are dropped (after `min_lifetime`), lost
//! members are repaired after `repair_delay`.
//!
//! When `[redundancy]` is disabled, or its settings do not parse, the actor runs without a
//! network and its status says why; the rest of the node is unaffected. Completed and dropped
//! copies are reported on the [`CopyEvent`] channel (the `Shoal` handle announces them to
//! origins as ActivityPub `CacheFile`s).

use super::copies::{self, CopyRecord};
use super::local_files::{own_catalogue, NodeFiles};
use super::member_mirrors::{self, MemberMirrors};
use super::member_sources::{Holdings, MemberSources};
use super::metrics::ReplicationMetrics;
use super::mirror::{MirrorArgs, MirrorEvent, MirrorHttp, MirrorMsg, MirrorProgress, MirrorRequest, MirrorSupervisor};
use super::net::{load_or_create_identity, Multiaddr, NetConfig, NetEvent, NetOptions, PeerId, ReplicationNet};
use super::placement_round::{run_round, LocalState};
use super::status::RedundancyStatus;
use super::strategies;
use crate::config::ShoalConfig;
use crate::restart_budget::RestartBudget;
use crate::store::Store;
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use shoal_protocol::placement::{Liveness, Policy};
use shoal_protocol::replication::{Announcement, CatalogueVideo, HeldCopy, InfoHash, Membership, MembershipEvent};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tracing::{error, info, warn};

/// How often a placement round runs (announcements follow `heartbeat_secs`).
const ROUND_INTERVAL: Duration = Duration::from_secs(1);
/// How long a status call to the mirror supervisor may take.
const MIRROR_CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// How often PeerTube's strategies (and manual requests) are looked at, in seconds.
const STRATEGY_INTERVAL_SECS: u64 = 5;
/// Pieces a member may send that fail verification before it is no longer used as a source.
const BAD_PIECES_BEFORE_DISTRUST: u64 = 1;

/// A copy's life, for the ActivityPub side.
#[derive(Debug, Clone)]
pub enum CopyEvent {
    /// A copy is held (new, or refreshed at half its lifetime): announce it to its origin
    /// until `expires_at` (Unix seconds) — `Create CacheFile` the first time, `Update` after.
    Held { copy: CopyRecord, resolution: u32, expires_at: i64 },
    /// A copy was removed: withdraw it (`Undo CacheFile`).
    Dropped(CopyRecord),
}

/// How long a CacheFile announcement is valid: twice `min_lifetime`, at least an hour; the
/// copy is re-announced when half of it has passed.
fn announcement_lifetime(min_lifetime_secs: u64) -> u64 {
    min_lifetime_secs.max(1_800) * 2
}

/// What the actor is started with.
pub struct ReplicationArgs {
    pub store: Store,
    pub config: Arc<ShoalConfig>,
    pub metrics: ReplicationMetrics,
    pub copy_events: mpsc::UnboundedSender<CopyEvent>,
    /// Where each round's web seeds of the federation's copies are published.
    pub member_mirrors: MemberMirrors,
}

/// Messages of the `ReplicationActor`.
pub enum ReplicationMsg {
    /// Once a second: announce when due, update membership, run a placement round.
    Tick,
    /// From the transport.
    Net(NetEvent),
    /// From the mirror supervisor.
    Mirror(MirrorEvent),
    /// Mirror a file outside placement (a strategy, an administrator).
    Request(MirrorRequest),
    /// Remove a copy (or cancel its transfer) outside placement.
    DropCopy(InfoHash),
    Status(RpcReplyPort<RedundancyStatus>),
    /// The `.torrent` of a file from a live trusted member holding it (for a remote video
    /// whose origin does not answer); `None` when no member gives it. Answered from a task,
    /// so a slow member never holds up a round.
    Torrent(InfoHash, RpcReplyPort<Option<Vec<u8>>>),
}

/// The actor.
pub struct ReplicationActor;

/// A running replication: the network, the mirror jobs and what the members said.
pub struct Running {
    pub(super) net: ReplicationNet,
    mirror: ActorRef<MirrorMsg>,
    mirror_restarts: RestartBudget,
    mirror_events: mpsc::UnboundedSender<MirrorEvent>,
    sources: Arc<MemberSources>,
    pub(super) membership: Membership<PeerId>,
    trusted: HashSet<PeerId>,
    files: NodeFiles,
    holdings: Holdings,
    member_mirrors: MemberMirrors,
    policy: Policy,
    catalogue: Vec<CatalogueVideo>,
    last_announcement: Option<Announcement>,
    last_announced_at: u64,
    /// Transfers in progress (from the supervisor's status), with when first seen.
    fetching: HashMap<InfoHash, u64>,
    pub(super) progress: Vec<MirrorProgress>,
    pub(super) bad_pieces: HashMap<PeerId, u64>,
    /// When each held copy was last announced to its origin (Unix seconds).
    announced_at: HashMap<InfoHash, u64>,
    /// File resolutions from the catalogues, for CacheFiles.
    resolutions: HashMap<InfoHash, u32>,
    pub(super) strangers: HashMap<PeerId, u64>,
    pub(super) below_k: usize,
    pub(super) without_copy: usize,
    pub(super) placed_files: usize,
    forwarders: Vec<tokio::task::JoinHandle<()>>,
    /// Unix seconds when replication started.
    started_at: u64,
    /// Unix seconds of the last strategies run.
    last_strategy_run: u64,
}

/// The actor's state: running, or why not.
pub struct ReplicationState {
    pub(super) store: Store,
    pub(super) config: Arc<ShoalConfig>,
    metrics: ReplicationMetrics,
    copy_events: mpsc::UnboundedSender<CopyEvent>,
    pub(super) running: Result<Box<Running>, String>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Actor for ReplicationActor {
    type Msg = ReplicationMsg;
    type State = ReplicationState;
    type Arguments = ReplicationArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: ReplicationArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let running = if args.config.redundancy.enabled {
            match start(&myself, &args).await {
                Ok(running) => Ok(Box::new(running)),
                Err(why) => {
                    error!(error = %why, "redundancy is enabled but could not start; the node runs without it");
                    Err(why)
                }
            }
        } else {
            Err("redundancy is disabled ([redundancy] enabled = false)".to_string())
        };
        let ticker = running.is_ok().then(|| myself.send_interval(ROUND_INTERVAL, || ReplicationMsg::Tick));
        Ok(ReplicationState {
            store: args.store,
            config: args.config,
            metrics: args.metrics,
            copy_events: args.copy_events,
            running,
            ticker,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        if let ReplicationMsg::Status(reply) = message {
            let _ = reply.send(super::status::of(state).await);
            return Ok(());
        }
        let ReplicationState { store, config, metrics, copy_events, running, .. } = state;
        let Ok(running) = running else {
            if let ReplicationMsg::Torrent(_, reply) = message {
                let _ = reply.send(None);
            }
            return Ok(());
        };
        match message {
            ReplicationMsg::Tick => running.tick(store, config, metrics, copy_events).await,
            ReplicationMsg::Net(event) => running.on_net(event, metrics),
            ReplicationMsg::Mirror(event) => running.on_mirror(event, copy_events, config, metrics, &myself).await,
            ReplicationMsg::Request(request) => {
                let _ = running.mirror.cast(MirrorMsg::Mirror(request));
            }
            ReplicationMsg::DropCopy(info_hash) => {
                let _ = running.mirror.cast(MirrorMsg::Drop { info_hash });
            }
            ReplicationMsg::Torrent(info_hash, reply) => {
                let sources = running.sources.clone();
                tokio::spawn(async move {
                    let _ = reply.send(super::mirror::SourceProvider::torrent(sources.as_ref(), &info_hash).await);
                });
            }
            ReplicationMsg::Status(_) => {}
        }
        Ok(())
    }

    async fn post_stop(&self, _myself: ActorRef<Self::Msg>, state: &mut Self::State) -> Result<(), ActorProcessingErr> {
        if let Some(ticker) = state.ticker.take() {
            ticker.abort();
        }
        if let Ok(running) = &mut state.running {
            for forwarder in running.forwarders.drain(..) {
                forwarder.abort();
            }
            let _ =
                running.mirror.stop_and_wait(Some("replication stopping".into()), Some(Duration::from_secs(10))).await;
            running.net.shutdown().await;
        }
        Ok(())
    }

    /// The mirror supervisor stopped: restart it within a budget (its jobs resume from sled);
    /// past the budget replication stops, and only replication.
    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let why = match &event {
            SupervisionEvent::ActorFailed(_, error) => format!("failed: {error}"),
            SupervisionEvent::ActorTerminated(_, _, reason) => {
                format!("stopped: {}", reason.as_deref().unwrap_or("no reason"))
            }
            _ => return Ok(()),
        };
        let Ok(running) = &mut state.running else { return Ok(()) };
        if !running.mirror_restarts.allow() {
            return Err(format!("mirror supervisor {why}; too many restarts").into());
        }
        error!(%why, "mirror supervisor stopped unexpectedly; restarting it");
        running.mirror = spawn_mirror(
            &myself,
            &state.store,
            &state.config,
            &state.metrics,
            running.sources.clone(),
            running.mirror_events.clone(),
        )
        .await?;
        Ok(())
    }
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn unix_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Parses `[redundancy]`, loads the identity, starts the network and the mirror supervisor.
async fn start(myself: &ActorRef<ReplicationMsg>, args: &ReplicationArgs) -> Result<Running, String> {
    let cfg = &args.config.redundancy;
    let listen: Multiaddr = cfg.listen.parse().map_err(|e| format!("redundancy.listen {:?}: {e}", cfg.listen))?;
    let bootstrap = cfg
        .peers
        .iter()
        .map(|p| p.parse::<Multiaddr>().map_err(|e| format!("redundancy.peers {p:?}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let trusted = cfg
        .trusted_peers
        .iter()
        .map(|p| p.parse::<PeerId>().map_err(|e| format!("redundancy.trusted_peers {p:?}: {e}")))
        .collect::<Result<HashSet<_>, _>>()?;
    let policy = Policy::new(cfg.replicas, cfg.replicas_max, cfg.min_lifetime_secs, cfg.repair_delay_secs)
        .map_err(|e| e.to_string())?;
    let identity_dir = args.config.storage.data_dir.join("redundancy");
    let keypair = load_or_create_identity(&identity_dir).map_err(|e| e.to_string())?;
    let files = NodeFiles::new(args.store.clone(), args.config.media_dir());
    let options = NetOptions { metrics: args.metrics.net.clone(), ..NetOptions::default() };
    let net_config = NetConfig {
        listen,
        bootstrap,
        trusted: trusted.clone(),
        keypair,
        max_bytes_per_second: cfg.max_bytes_per_second,
        files: Arc::new(files.clone()),
    };
    let (net, mut net_events) = ReplicationNet::start_with(net_config, options).await.map_err(|e| e.to_string())?;
    let holdings = Holdings::default();
    let sources = Arc::new(MemberSources::new(net.clone(), holdings.clone()));
    let (mirror_events, mut mirror_rx) = mpsc::unbounded_channel();
    let mirror =
        match spawn_mirror(myself, &args.store, &args.config, &args.metrics, sources.clone(), mirror_events.clone())
            .await
        {
            Ok(mirror) => mirror,
            Err(e) => {
                net.shutdown().await;
                return Err(e.to_string());
            }
        };
    let me = myself.clone();
    let net_forwarder = tokio::spawn(async move {
        while let Some(event) = net_events.recv().await {
            if me.cast(ReplicationMsg::Net(event)).is_err() {
                break;
            }
        }
    });
    let me = myself.clone();
    let mirror_forwarder = tokio::spawn(async move {
        while let Some(event) = mirror_rx.recv().await {
            if me.cast(ReplicationMsg::Mirror(event)).is_err() {
                break;
            }
        }
    });
    let addresses: Vec<String> = net.listen_addrs().await.iter().map(|a| a.to_string()).collect();
    info!(peer_id = %net.local_peer_id(), ?addresses, trusted = trusted.len(),
        replicas = cfg.replicas, "redundancy started");
    Ok(Running {
        net,
        mirror,
        mirror_restarts: RestartBudget::default(),
        mirror_events,
        sources,
        membership: Membership::new(cfg.member_timeout_secs),
        trusted,
        files,
        holdings,
        member_mirrors: args.member_mirrors.clone(),
        policy,
        catalogue: Vec::new(),
        last_announcement: None,
        last_announced_at: 0,
        fetching: HashMap::new(),
        progress: Vec::new(),
        bad_pieces: HashMap::new(),
        announced_at: HashMap::new(),
        resolutions: HashMap::new(),
        strangers: HashMap::new(),
        below_k: 0,
        without_copy: 0,
        placed_files: 0,
        forwarders: vec![net_forwarder, mirror_forwarder],
        started_at: unix_now(),
        last_strategy_run: 0,
    })
}

async fn spawn_mirror(
    myself: &ActorRef<ReplicationMsg>,
    store: &Store,
    config: &Arc<ShoalConfig>,
    metrics: &ReplicationMetrics,
    sources: Arc<MemberSources>,
    events: mpsc::UnboundedSender<MirrorEvent>,
) -> Result<ActorRef<MirrorMsg>, ActorProcessingErr> {
    let http = MirrorHttp::new(&config.federation).map_err(|e| format!("mirror HTTP client: {e}"))?;
    let args = MirrorArgs {
        store: store.clone(),
        config: config.clone(),
        metrics: metrics.mirror.clone(),
        http,
        sources,
        events,
    };
    let (mirror, _) = Actor::spawn_linked(None, MirrorSupervisor, args, myself.get_cell())
        .await
        .map_err(|e| format!("mirror supervisor: {e}"))?;
    Ok(mirror)
}

impl Running {
    async fn tick(
        &mut self,
        store: &Store,
        config: &ShoalConfig,
        metrics: &ReplicationMetrics,
        copy_events: &mpsc::UnboundedSender<CopyEvent>,
    ) {
        let now = unix_now();
        let cfg = &config.redundancy;
        let copies = match copies::list(store) {
            Ok(copies) => copies,
            Err(e) => {
                error!(error = %e, "reading the copies held failed; round skipped");
                return;
            }
        };
        if now >= self.last_announced_at + cfg.heartbeat_secs || self.last_announcement.is_none() {
            self.announce(store, config, &copies, now).await;
        }
        for event in self.membership.tick(now) {
            match event {
                MembershipEvent::Joined(peer) => info!(%peer, "redundancy member joined"),
                MembershipEvent::Returned(peer) => info!(%peer, "redundancy member returned"),
                MembershipEvent::Lost(peer) => warn!(%peer, timeout_secs = cfg.member_timeout_secs,
                    repair_delay_secs = cfg.repair_delay_secs, "redundancy member lost; its copies are repaired after the repair delay"),
            }
        }
        self.refresh_progress(now).await;
        self.learn_resolutions();
        self.refresh_announcements(&copies, copy_events, config);
        let local = LocalState {
            peer: self.net.local_peer_id(),
            capacity_bytes: cfg.capacity_bytes,
            public_url: config.public_url(),
            catalogue: &self.catalogue,
            copies: &copies,
            fetching: &self.fetching,
        };
        let outcome = match run_round(&local, &self.membership, &self.policy, cfg.mirror_members, now) {
            Ok(outcome) => outcome,
            Err(e) => {
                error!(error = %e, "placement round failed");
                return;
            }
        };
        // Until every trusted member has been heard from (or member_timeout has passed since
        // start), placement is computed over a partial view: acting on it would copy files
        // that become surplus a moment later.
        let settling = now < self.started_at + cfg.member_timeout_secs
            && !self.trusted.iter().all(|p| self.membership.get(p).is_some());
        let mut holders = outcome.holders;
        for peers in holders.values_mut() {
            peers.retain(|p| self.bad_pieces.get(p).copied().unwrap_or(0) < BAD_PIECES_BEFORE_DISTRUST);
        }
        self.holdings.replace(holders);
        let distrusted = |p: &PeerId| self.bad_pieces.get(p).copied().unwrap_or(0) >= BAD_PIECES_BEFORE_DISTRUST;
        let members = self
            .membership
            .iter()
            .filter(|(p, m)| matches!(m.liveness, Liveness::Live) && self.trusted.contains(p) && !distrusted(p))
            .map(|(_, m)| &m.announcement);
        self.member_mirrors.replace(member_mirrors::table(config.public_url(), &copies, members));
        let (mirror, drop) = if settling { (Vec::new(), Vec::new()) } else { (outcome.mirror, outcome.drop) };
        for request in mirror {
            info!(video = %request.video_url, file = %request.filename, info_hash = %request.info_hash_hex(), repair = request.repair,
                origin = %request.origin_host, "placement: this node is placed a copy; fetching");
            metrics.placement_change("fetch");
            self.fetching.insert(request.info_hash, now);
            let _ = self.mirror.cast(MirrorMsg::Mirror(request));
        }
        for info_hash in drop {
            info!(info_hash = %hex::encode(info_hash), "placement: this node's copy is surplus; dropping it");
            metrics.placement_change("drop");
            self.fetching.remove(&info_hash);
            let _ = self.mirror.cast(MirrorMsg::Drop { info_hash });
        }
        if now >= self.last_strategy_run + STRATEGY_INTERVAL_SECS {
            self.last_strategy_run = now;
            self.run_strategies(store, config, &copies, now, metrics);
        }
        self.below_k = outcome.below_k;
        self.without_copy = outcome.without_copy;
        self.placed_files = outcome.files;
        let (live, lost) = self.membership.iter().fold((0, 0), |(live, lost), (_, m)| match m.liveness {
            Liveness::Live => (live + 1, lost),
            Liveness::Lost { .. } => (live, lost + 1),
        });
        metrics.set_round(live, lost, copies.len(), self.fetching.len(), outcome.below_k);
    }

    async fn announce(&mut self, store: &Store, config: &ShoalConfig, copies: &[CopyRecord], now: u64) {
        match own_catalogue(store, config.public_url(), &config.media_dir()) {
            Ok((catalogue, table)) => {
                self.files.set_own(table);
                self.catalogue = catalogue;
            }
            Err(e) => error!(error = %e, "reading this node's videos failed; the last catalogue is announced"),
        }
        let announcement = Announcement {
            seq: unix_millis(),
            capacity_bytes: config.redundancy.capacity_bytes,
            public_url: config.public_url().to_string(),
            catalogue: self.catalogue.clone(),
            holds: copies
                .iter()
                .map(|c| HeldCopy { info_hash: c.info_hash, since: c.created_at, filename: c.filename.clone() })
                .collect(),
        };
        if let Err(e) = self.net.announce(announcement.clone()).await {
            warn!(error = %e, "announcing to the members failed");
        }
        self.last_announcement = Some(announcement);
        self.last_announced_at = now;
    }

    /// The supervisor's jobs are the truth about transfers (they resume after a restart).
    async fn refresh_progress(&mut self, now: u64) {
        if let Ok(CallResult::Success(progress)) = self.mirror.call(MirrorMsg::Status, Some(MIRROR_CALL_TIMEOUT)).await
        {
            let mut fetching = HashMap::new();
            for job in &progress {
                let Some(info_hash) = super::local_files::parse_info_hash(&job.info_hash) else { continue };
                fetching.insert(info_hash, self.fetching.get(&info_hash).copied().unwrap_or(now));
            }
            self.fetching = fetching;
            self.progress = progress;
        }
    }

    /// The resolution of every file of every catalogue known (a CacheFile names it).
    fn learn_resolutions(&mut self) {
        for (_, member) in self.membership.iter() {
            for video in &member.announcement.catalogue {
                for file in &video.files {
                    self.resolutions.insert(file.info_hash, file.resolution);
                }
            }
        }
    }

    fn on_net(&mut self, event: NetEvent, metrics: &ReplicationMetrics) {
        match event {
            NetEvent::Announcement { from, announcement } => {
                if self.trusted.contains(&from) {
                    self.membership.observe(from, announcement, unix_now());
                }
            }
            NetEvent::StrangerRefused(peer) => {
                if self.strangers.insert(peer, unix_now()).is_none() {
                    warn!(%peer, "a peer not in redundancy.trusted_peers asked for files or placement; refused");
                }
            }
            NetEvent::Connected(peer) => info!(%peer, "redundancy member connected"),
            NetEvent::Disconnected(peer) => info!(%peer, "redundancy member disconnected"),
            NetEvent::Listening(addr) => info!(%addr, "redundancy listening"),
        }
        metrics.set_strangers(self.strangers.len());
    }

    /// PeerTube's strategies and the administrators' manual requests, over the videos of
    /// followed hosts with `redundancyAllowed` (`strategies::plan`).
    fn run_strategies(
        &mut self,
        store: &Store,
        config: &ShoalConfig,
        copies: &[CopyRecord],
        now: u64,
        metrics: &ReplicationMetrics,
    ) {
        let plan = match strategies::plan(store, &config.redundancy.strategies, now) {
            Ok(plan) => plan,
            Err(e) => {
                error!(error = %e, "redundancy strategies failed; skipped this round");
                return;
            }
        };
        for wanted in plan.mirror {
            if copies.iter().any(|c| c.info_hash == wanted.info_hash) || self.fetching.contains_key(&wanted.info_hash) {
                continue;
            }
            let request: MirrorRequest = wanted.into();
            info!(video = %request.video_url, file = %request.filename, reason = ?request.reason,
                "strategy: mirroring a followed instance's video");
            metrics.placement_change("fetch");
            self.fetching.insert(request.info_hash, now);
            let _ = self.mirror.cast(MirrorMsg::Mirror(request));
        }
        for dropped in plan.drop {
            info!(video = %dropped.video_uuid, info_hash = %hex::encode(dropped.info_hash), "strategy: copy no longer wanted; dropping it");
            metrics.placement_change("drop");
            self.fetching.remove(&dropped.info_hash);
            let _ = self.mirror.cast(MirrorMsg::Drop { info_hash: dropped.info_hash });
        }
    }

    /// Sends the copy's CacheFile (Create or Update) and notes when.
    fn announce_copy(
        &mut self,
        copy: CopyRecord,
        copy_events: &mpsc::UnboundedSender<CopyEvent>,
        config: &ShoalConfig,
    ) {
        let now = unix_now();
        let lifetime = announcement_lifetime(config.redundancy.min_lifetime_secs);
        let resolution = self.resolutions.get(&copy.info_hash).copied().unwrap_or(0);
        self.announced_at.insert(copy.info_hash, now);
        let expires_at = i64::try_from(now + lifetime).unwrap_or(i64::MAX);
        let _ = copy_events.send(CopyEvent::Held { copy, resolution, expires_at });
    }

    /// Re-announces copies whose announcement is past half its lifetime (and announces
    /// copies never announced by this run, e.g. after a restart).
    fn refresh_announcements(
        &mut self,
        copies: &[CopyRecord],
        copy_events: &mpsc::UnboundedSender<CopyEvent>,
        config: &ShoalConfig,
    ) {
        let now = unix_now();
        let half = announcement_lifetime(config.redundancy.min_lifetime_secs) / 2;
        self.announced_at.retain(|h, _| copies.iter().any(|c| &c.info_hash == h));
        for copy in copies {
            let due = self.announced_at.get(&copy.info_hash).is_none_or(|at| now >= at + half);
            if due && self.resolutions.contains_key(&copy.info_hash) {
                self.announce_copy(copy.clone(), copy_events, config);
            }
        }
    }

    async fn on_mirror(
        &mut self,
        event: MirrorEvent,
        copy_events: &mpsc::UnboundedSender<CopyEvent>,
        config: &ShoalConfig,
        metrics: &ReplicationMetrics,
        myself: &ActorRef<ReplicationMsg>,
    ) {
        match event {
            MirrorEvent::Completed(copy) => {
                info!(video = %copy.video_url, file = %copy.filename, size = copy.size, "copy complete and verified");
                self.fetching.remove(&copy.info_hash);
                self.announce_copy(copy, copy_events, config);
                // Tell the members now rather than at the next heartbeat.
                self.last_announced_at = 0;
                let _ = myself.cast(ReplicationMsg::Tick);
            }
            MirrorEvent::Failed { request, error } => {
                warn!(video = %request.video_url, file = %request.filename, %error, "mirror given up");
                self.fetching.remove(&request.info_hash);
            }
            MirrorEvent::Misbehaving { info_hash, source_id, source_kind, piece } => {
                warn!(source = %source_id, source_kind, piece, info_hash = %hex::encode(info_hash),
                    "a source sent a piece that failed verification; it is no longer used");
                if let Ok(peer) = source_id.parse::<PeerId>() {
                    *self.bad_pieces.entry(peer).or_default() += 1;
                    metrics.member_misbehaved();
                }
            }
            MirrorEvent::Dropped { info_hash, copy } => {
                self.fetching.remove(&info_hash);
                if let Some(copy) = copy {
                    info!(video = %copy.video_url, file = %copy.filename, "copy dropped");
                    let _ = copy_events.send(CopyEvent::Dropped(copy));
                    self.last_announced_at = 0;
                }
            }
        }
    }
}
