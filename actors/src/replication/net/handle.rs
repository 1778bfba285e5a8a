//! [`ReplicationNet`]: the cloneable handle the replication actor (and mirror sources) use.
//! Control operations go to the swarm task over a channel; bulk ranges open libp2p streams
//! directly through a `libp2p_stream::Control`, so a transfer never waits behind the task.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use shoal_protocol::replication::{Announcement, InfoHash, RangeRequest};
use tokio::sync::{mpsc, oneshot, Semaphore};

use super::behaviour::Behaviour;
use super::codec::RANGE_PROTOCOL;
use super::swarm_task::{Command, Redial, SwarmTask};
use super::throttle::Throttle;
use super::transfer::{self, RangeStream, ServeContext};
use super::{NetConfig, NetError, NetEvent, NetMetrics, NetOptions};

/// The replication network of this node. Cheap to clone; the network stops when
/// [`ReplicationNet::shutdown`] is called or the last clone is dropped.
#[derive(Clone)]
pub struct ReplicationNet {
    inner: Arc<Inner>,
}

struct Inner {
    local_peer_id: PeerId,
    commands: mpsc::Sender<Command>,
    control: libp2p_stream::Control,
    trusted: Arc<RwLock<HashSet<PeerId>>>,
    metrics: NetMetrics,
    options: NetOptions,
}

impl ReplicationNet {
    /// Starts with default [`NetOptions`].
    pub async fn start(config: NetConfig) -> Result<(ReplicationNet, mpsc::Receiver<NetEvent>), NetError> {
        Self::start_with(config, NetOptions::default()).await
    }

    /// Builds the swarm (QUIC only), listens on `config.listen` (waiting until the first
    /// address is bound), starts serving ranges and dialling the bootstrap members.
    pub async fn start_with(
        config: NetConfig,
        options: NetOptions,
    ) -> Result<(ReplicationNet, mpsc::Receiver<NetEvent>), NetError> {
        let NetConfig { listen, bootstrap, trusted, keypair, max_bytes_per_second, files } = config;
        let bootstrap = bootstrap
            .into_iter()
            .map(|addr| match addr.iter().last() {
                Some(Protocol::P2p(peer)) => Ok((peer, addr)),
                _ => Err(NetError::BootstrapWithoutPeerId(addr.to_string())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let local_peer_id = keypair.public().to_peer_id();
        let (max_stream_data, max_connection_data) = (options.max_stream_data, options.max_connection_data);
        let request_timeout = options.request_timeout;
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_quic_config(|mut quic| {
                quic.max_stream_data = max_stream_data;
                quic.max_connection_data = max_connection_data;
                quic
            })
            .with_behaviour(|key| Behaviour::new(key, request_timeout))
            .map_err(|e| NetError::Build(e.to_string()))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
            .build();
        for (peer, addr) in &bootstrap {
            swarm.add_peer_address(*peer, addr.clone());
        }
        swarm
            .listen_on(listen.clone())
            .map_err(|e| NetError::Listen { addr: listen.to_string(), reason: e.to_string() })?;
        let first = first_listen_addr(&mut swarm, &listen).await?;

        let (events_tx, events_rx) = mpsc::channel(options.event_buffer.max(1));
        let _ = events_tx.try_send(NetEvent::Listening(first.clone()));
        let trusted = Arc::new(RwLock::new(trusted));
        let mut control = swarm.behaviour().stream.new_control();
        let incoming = control.accept(RANGE_PROTOCOL).map_err(|e| NetError::Build(e.to_string()))?;
        let serve = Arc::new(ServeContext {
            files: files.clone(),
            trusted: trusted.clone(),
            throttle: Throttle::new(max_bytes_per_second),
            metrics: options.metrics.clone(),
            events: events_tx.clone(),
            chunk_size: options.chunk_size.max(1),
            io_timeout: options.io_timeout,
            slots: Arc::new(Semaphore::new(options.serve_concurrency.max(1))),
        });
        let serve_loop = tokio::spawn(transfer::accept_loop(incoming, serve));
        let (commands_tx, commands_rx) = mpsc::channel(256);
        let task = SwarmTask::new(
            swarm,
            commands_rx,
            events_tx,
            trusted.clone(),
            files,
            options.metrics.clone(),
            vec![first],
            bootstrap,
            Redial { initial: options.redial_initial, max: options.redial_max },
            serve_loop,
        );
        tokio::spawn(task.run());
        let inner =
            Inner { local_peer_id, commands: commands_tx, control, trusted, metrics: options.metrics.clone(), options };
        Ok((ReplicationNet { inner: Arc::new(inner) }, events_rx))
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.inner.local_peer_id
    }

    /// The transport's metrics (to register, or read in tests).
    pub fn metrics(&self) -> &NetMetrics {
        &self.inner.metrics
    }

    /// The addresses the node listens on, each with `/p2p/<local peer id>` appended (ready to be
    /// given to another node as a bootstrap address).
    pub async fn listen_addrs(&self) -> Vec<Multiaddr> {
        let (tx, rx) = oneshot::channel();
        if self.inner.commands.send(Command::ListenAddrs(tx)).await.is_err() {
            return Vec::new();
        }
        let peer = self.inner.local_peer_id;
        rx.await.unwrap_or_default().into_iter().map(|a| a.with_p2p(peer).unwrap_or_else(|a| a)).collect()
    }

    /// Sends `announcement` to every connected trusted member, and to each member that
    /// connects later (until the next announcement).
    pub async fn announce(&self, announcement: Announcement) -> Result<(), NetError> {
        self.inner.commands.send(Command::Announce(announcement)).await.map_err(|_| NetError::Stopped)
    }

    /// `len` bytes of the file `info_hash` from `offset`, from `peer`, as a stream of chunks that
    /// ends after exactly `len` bytes.
    pub async fn fetch_range(
        &self,
        peer: PeerId,
        info_hash: InfoHash,
        offset: u64,
        len: u64,
    ) -> Result<RangeStream, NetError> {
        let request = RangeRequest { info_hash, offset, len };
        shoal_protocol::replication::Frame::validate(&request)?;
        let o = &self.inner.options;
        transfer::open_range(
            self.inner.control.clone(),
            peer,
            request,
            o.chunk_size.max(1),
            o.io_timeout,
            self.inner.metrics.clone(),
        )
        .await
    }

    /// Like [`ReplicationNet::fetch_range`], collected into one buffer (a piece); `len` may be
    /// at most [`NetOptions::max_buffered_range`].
    pub async fn fetch_range_bytes(
        &self,
        peer: PeerId,
        info_hash: InfoHash,
        offset: u64,
        len: u64,
    ) -> Result<Bytes, NetError> {
        let cap = self.inner.options.max_buffered_range;
        if len > cap {
            return Err(NetError::RangeTooLarge { len, cap });
        }
        let mut stream = self.fetch_range(peer, info_hash, offset, len).await?;
        let mut out = BytesMut::with_capacity(len as usize);
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.freeze())
    }

    /// The `.torrent` of `info_hash` from `peer`.
    pub async fn fetch_torrent(&self, peer: PeerId, info_hash: InfoHash) -> Result<Vec<u8>, NetError> {
        let (tx, rx) = oneshot::channel();
        self.inner
            .commands
            .send(Command::GetTorrent { peer, info_hash, reply: tx })
            .await
            .map_err(|_| NetError::Stopped)?;
        rx.await.map_err(|_| NetError::Stopped)?
    }

    /// Every peer connected now (trusted or not).
    pub async fn connected_peers(&self) -> Vec<PeerId> {
        let (tx, rx) = oneshot::channel();
        if self.inner.commands.send(Command::ConnectedPeers(tx)).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Dials `addr` once (no redial; bootstrap members are redialled by themselves).
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        let (tx, rx) = oneshot::channel();
        self.inner.commands.send(Command::Dial(addr, tx)).await.map_err(|_| NetError::Stopped)?;
        rx.await.map_err(|_| NetError::Stopped)?
    }

    /// Replaces the trusted set (effective for the next request of each peer).
    pub fn set_trusted(&self, trusted: HashSet<PeerId>) {
        match self.inner.trusted.write() {
            Ok(mut set) => *set = trusted,
            Err(poisoned) => *poisoned.into_inner() = trusted,
        }
    }

    /// Stops the network task (connections close, serving stops) and waits for it.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.inner.commands.send(Command::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// Drives the swarm until the listener has bound its first address.
async fn first_listen_addr(swarm: &mut libp2p::Swarm<Behaviour>, listen: &Multiaddr) -> Result<Multiaddr, NetError> {
    use libp2p::swarm::SwarmEvent;
    let failed = |reason: String| NetError::Listen { addr: listen.to_string(), reason };
    let wait = async {
        loop {
            match swarm.select_next_some().await {
                SwarmEvent::NewListenAddr { address, .. } => return Ok(address),
                SwarmEvent::ListenerError { error, .. } => return Err(failed(error.to_string())),
                SwarmEvent::ListenerClosed { reason, .. } => {
                    return Err(failed(reason.err().map(|e| e.to_string()).unwrap_or_else(|| "closed".into())))
                }
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.map_err(|_| failed("timed out".into()))?
}
