//! The task that owns the libp2p `Swarm`: it drives the connections, answers control
//! requests, forwards trusted announcements as [`NetEvent`]s, runs the handle's commands, and
//! keeps the bootstrap members connected (redialled with exponential backoff).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::SwarmEvent;
use libp2p::{identify, Multiaddr, PeerId, Swarm};
use shoal_protocol::replication::{Announcement, ControlRequest, ControlResponse, InfoHash};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::behaviour::{Behaviour, BehaviourEvent};
use super::transfer::is_trusted;
use super::{FileResolver, NetError, NetEvent, NetMetrics};

/// What the handle asks of the task.
pub(crate) enum Command {
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    Announce(Announcement),
    GetTorrent { peer: PeerId, info_hash: InfoHash, reply: oneshot::Sender<Result<Vec<u8>, NetError>> },
    ConnectedPeers(oneshot::Sender<Vec<PeerId>>),
    Dial(Multiaddr, oneshot::Sender<Result<(), NetError>>),
    Shutdown(oneshot::Sender<()>),
}

/// A bootstrap member and its redial schedule.
struct Bootstrap {
    peer: PeerId,
    addr: Multiaddr,
    next_attempt: Instant,
    backoff: Duration,
    dialing_since: Option<Instant>,
}

/// Redial backoff bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Redial {
    pub initial: Duration,
    pub max: Duration,
}

pub(crate) struct SwarmTask {
    pub swarm: Swarm<Behaviour>,
    pub commands: mpsc::Receiver<Command>,
    pub events: mpsc::Sender<NetEvent>,
    pub trusted: Arc<RwLock<HashSet<PeerId>>>,
    pub files: Arc<dyn FileResolver>,
    pub metrics: NetMetrics,
    pub listen_addrs: Vec<Multiaddr>,
    pub redial: Redial,
    /// The range server's accept loop, stopped with the task.
    pub serve_loop: JoinHandle<()>,
    bootstrap: Vec<Bootstrap>,
    connected: HashSet<PeerId>,
    pending_torrents: HashMap<OutboundRequestId, oneshot::Sender<Result<Vec<u8>, NetError>>>,
    last_announcement: Option<Announcement>,
    lookups_tx: mpsc::UnboundedSender<(ResponseChannel<ControlResponse>, ControlResponse)>,
    lookups_rx: mpsc::UnboundedReceiver<(ResponseChannel<ControlResponse>, ControlResponse)>,
}

impl SwarmTask {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        swarm: Swarm<Behaviour>,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<NetEvent>,
        trusted: Arc<RwLock<HashSet<PeerId>>>,
        files: Arc<dyn FileResolver>,
        metrics: NetMetrics,
        listen_addrs: Vec<Multiaddr>,
        bootstrap: Vec<(PeerId, Multiaddr)>,
        redial: Redial,
        serve_loop: JoinHandle<()>,
    ) -> Self {
        let (lookups_tx, lookups_rx) = mpsc::unbounded_channel();
        let now = Instant::now();
        let bootstrap = bootstrap
            .into_iter()
            .map(|(peer, addr)| Bootstrap {
                peer,
                addr,
                next_attempt: now,
                backoff: redial.initial,
                dialing_since: None,
            })
            .collect();
        SwarmTask {
            swarm,
            commands,
            events,
            trusted,
            files,
            metrics,
            listen_addrs,
            redial,
            serve_loop,
            bootstrap,
            connected: HashSet::new(),
            pending_torrents: HashMap::new(),
            last_announcement: None,
            lookups_tx,
            lookups_rx,
        }
    }

    /// Runs until shut down or every handle is dropped.
    pub(crate) async fn run(mut self) {
        let mut redial_timer = tokio::time::interval(Duration::from_millis(200));
        redial_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    None => break,
                    Some(Command::Shutdown(done)) => {
                        let _ = done.send(());
                        break;
                    }
                    Some(command) => self.on_command(command),
                },
                Some((channel, response)) = self.lookups_rx.recv() => {
                    let _ = self.swarm.behaviour_mut().control.send_response(channel, response);
                }
                _ = redial_timer.tick() => self.redial_bootstrap(Instant::now()),
            }
        }
        self.serve_loop.abort();
        info!(peer_id = %self.swarm.local_peer_id(), "replication network stopped");
    }

    fn emit(&self, event: NetEvent) {
        if let Err(e) = self.events.try_send(event) {
            warn!(error = %e, "replication event dropped: the consumer is not keeping up");
        }
    }

    fn trusted(&self, peer: &PeerId) -> bool {
        is_trusted(&self.trusted, peer)
    }

    fn connected_trusted(&self) -> Vec<PeerId> {
        self.connected.iter().filter(|p| self.trusted(p)).copied().collect()
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.listen_addrs.clone());
            }
            Command::ConnectedPeers(reply) => {
                let _ = reply.send(self.connected.iter().copied().collect());
            }
            Command::Announce(announcement) => {
                for peer in self.connected_trusted() {
                    self.swarm
                        .behaviour_mut()
                        .control
                        .send_request(&peer, ControlRequest::Announce(announcement.clone()));
                }
                self.last_announcement = Some(announcement);
            }
            Command::GetTorrent { peer, info_hash, reply } => {
                let id =
                    self.swarm.behaviour_mut().control.send_request(&peer, ControlRequest::GetTorrent { info_hash });
                self.pending_torrents.insert(id, reply);
            }
            Command::Dial(addr, reply) => {
                let result = self.swarm.dial(addr.clone()).map_err(|e| NetError::Request(format!("dial {addr}: {e}")));
                let _ = reply.send(result);
            }
            Command::Shutdown(_) => {}
        }
    }

    fn redial_bootstrap(&mut self, now: Instant) {
        for i in 0..self.bootstrap.len() {
            let b = &mut self.bootstrap[i];
            if self.connected.contains(&b.peer) || now < b.next_attempt {
                continue;
            }
            // A dial gives an outcome event; one that went silent for long is tried again.
            if b.dialing_since.is_some_and(|t| now.duration_since(t) < Duration::from_secs(30)) {
                continue;
            }
            let opts = DialOpts::peer_id(b.peer)
                .addresses(vec![b.addr.clone()])
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            let (peer, addr) = (b.peer, b.addr.clone());
            match self.swarm.dial(opts) {
                Ok(()) => {
                    debug!(%peer, %addr, "dialling a bootstrap member");
                    self.bootstrap[i].dialing_since = Some(now);
                }
                Err(e) => {
                    debug!(%peer, %addr, error = %e, "cannot dial a bootstrap member now");
                    self.schedule_redial(&peer, now);
                }
            }
        }
    }

    fn schedule_redial(&mut self, peer: &PeerId, now: Instant) {
        let max = self.redial.max;
        for b in self.bootstrap.iter_mut().filter(|b| b.peer == *peer) {
            b.dialing_since = None;
            b.next_attempt = now + b.backoff;
            b.backoff = (b.backoff * 2).min(max);
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(%address, "replication network listening");
                if !self.listen_addrs.contains(&address) {
                    self.listen_addrs.push(address.clone());
                }
                self.emit(NetEvent::Listening(address));
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => self.listen_addrs.retain(|a| *a != address),
            SwarmEvent::ConnectionEstablished { peer_id, num_established, endpoint, .. } => {
                let initial = self.redial.initial;
                for b in self.bootstrap.iter_mut().filter(|b| b.peer == peer_id) {
                    b.dialing_since = None;
                    b.backoff = initial;
                }
                if num_established.get() == 1 {
                    self.connected.insert(peer_id);
                    if self.trusted(&peer_id) {
                        info!(peer = %peer_id, addr = %endpoint.get_remote_address(), "member connected");
                        self.metrics.set_connected(self.connected_trusted().len());
                        self.emit(NetEvent::Connected(peer_id));
                        if let Some(a) = self.last_announcement.clone() {
                            self.swarm.behaviour_mut().control.send_request(&peer_id, ControlRequest::Announce(a));
                        }
                    } else {
                        info!(peer = %peer_id, addr = %endpoint.get_remote_address(), "a peer not in trusted_peers connected; it will be given nothing");
                    }
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, cause, .. } => {
                self.connected.remove(&peer_id);
                if self.trusted(&peer_id) {
                    info!(peer = %peer_id, cause = ?cause, "member disconnected");
                    self.metrics.set_connected(self.connected_trusted().len());
                    self.emit(NetEvent::Disconnected(peer_id));
                }
                self.schedule_redial(&peer_id, Instant::now());
            }
            SwarmEvent::OutgoingConnectionError { peer_id: Some(peer), error, .. } => {
                debug!(%peer, %error, "dial failed");
                if !self.connected.contains(&peer) {
                    self.schedule_redial(&peer, Instant::now());
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Control(event)) => self.on_control(event),
            // Learn the addresses members listen on, so streams can reach them again.
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }))
                if self.trusted(&peer_id) =>
            {
                for addr in info.listen_addrs {
                    self.swarm.add_peer_address(peer_id, addr);
                }
            }
            _ => {}
        }
    }

    fn on_control(&mut self, event: request_response::Event<ControlRequest, ControlResponse>) {
        use request_response::{Event, Message};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                self.on_request(peer, request, channel)
            }
            Event::Message { peer, message: Message::Response { request_id, response }, .. } => {
                match self.pending_torrents.remove(&request_id) {
                    Some(reply) => {
                        let result = match response {
                            ControlResponse::Torrent(bytes) => Ok(bytes),
                            ControlResponse::NotFound => Err(NetError::NotFound),
                            ControlResponse::Refused { reason } => Err(NetError::Refused(reason)),
                            ControlResponse::Ack => Err(NetError::UnexpectedResponse),
                        };
                        let _ = reply.send(result);
                    }
                    None => {
                        if let ControlResponse::Refused { reason } = response {
                            warn!(%peer, %reason, "a member refused our announcement (are we in its trusted_peers?)");
                        }
                    }
                }
            }
            Event::OutboundFailure { peer, request_id, error, .. } => {
                debug!(%peer, %error, "control request failed");
                if let Some(reply) = self.pending_torrents.remove(&request_id) {
                    let _ = reply.send(Err(NetError::Request(error.to_string())));
                }
            }
            Event::InboundFailure { peer, error, .. } => debug!(%peer, %error, "inbound control request failed"),
            Event::ResponseSent { .. } => {}
        }
    }

    fn on_request(&mut self, peer: PeerId, request: ControlRequest, channel: ResponseChannel<ControlResponse>) {
        if !self.trusted(&peer) {
            let kind = match request {
                ControlRequest::Announce(_) => "announce",
                ControlRequest::GetTorrent { .. } => "torrent",
            };
            self.metrics.stranger_refused(kind);
            warn!(%peer, kind, "refused a control request from a peer not in trusted_peers");
            self.emit(NetEvent::StrangerRefused(peer));
            let refused = ControlResponse::Refused { reason: "not trusted".into() };
            let _ = self.swarm.behaviour_mut().control.send_response(channel, refused);
            return;
        }
        match request {
            ControlRequest::Announce(announcement) => {
                self.emit(NetEvent::Announcement { from: peer, announcement });
                let _ = self.swarm.behaviour_mut().control.send_response(channel, ControlResponse::Ack);
            }
            ControlRequest::GetTorrent { info_hash } => {
                // The resolver may read the disk: off the swarm task.
                let files = self.files.clone();
                let done = self.lookups_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let response = match files.torrent(&info_hash) {
                        Some(bytes) => ControlResponse::Torrent(bytes),
                        None => ControlResponse::NotFound,
                    };
                    let _ = done.send((channel, response));
                });
            }
        }
    }
}
