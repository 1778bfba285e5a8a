//! Federations of redundancy nodes for the tests: N Shoal nodes on loopback, each with its
//! libp2p identity made beforehand (`shoal redundancy peer-id`), fixed QUIC ports, every node
//! bootstrapping from and trusting the others; the status route; and placement computed on
//! the test side with `shoal_protocol::placement` from the peer ids, to check what the nodes
//! did against what the placement function names.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use shoal_actors::replication::net::PeerId;
use shoal_protocol::placement::{Liveness, MemberId, MemberView, Policy, PreparedMembers};
use std::process::Command;
use std::time::Duration;

use crate::client::json_ok;
use crate::node::{NodeBuilder, TestNode};
use crate::tools::{run_ok, shoal_bin};

/// What every member of a test federation shares.
#[derive(Debug, Clone)]
pub struct FederationSettings {
    pub replicas: usize,
    pub replicas_max: usize,
    pub heartbeat_secs: u64,
    pub member_timeout_secs: u64,
    pub repair_delay_secs: u64,
    pub min_lifetime_secs: u64,
    pub capacity_bytes: u64,
}

impl Default for FederationSettings {
    fn default() -> Self {
        FederationSettings {
            replicas: 2,
            replicas_max: 2,
            heartbeat_secs: 1,
            member_timeout_secs: 3,
            repair_delay_secs: 2,
            min_lifetime_secs: 4,
            capacity_bytes: 1 << 30,
        }
    }
}

/// A started federation: the nodes, their peer ids and QUIC ports, in the same order.
pub struct RedundancyFederation {
    pub nodes: Vec<TestNode>,
    pub peer_ids: Vec<String>,
    pub quic_ports: Vec<u16>,
    pub settings: FederationSettings,
}

/// A UDP port free on 127.0.0.1 now.
pub fn free_udp_port() -> Result<u16> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").context("binding a UDP socket")?;
    Ok(socket.local_addr()?.port())
}

/// `shoal redundancy peer-id --config <node's config>`: makes the identity, prints the id.
pub fn peer_id(node: &TestNode) -> Result<String> {
    let out = run_ok(
        Command::new(shoal_bin()?).args(["redundancy", "peer-id", "--config"]).arg(node.config_path()),
        Duration::from_secs(30),
    )?;
    let id = out.stdout.trim().to_string();
    if id.is_empty() {
        bail!("shoal redundancy peer-id printed nothing");
    }
    Ok(id)
}

fn quic_addr(port: u16) -> String {
    format!("/ip4/127.0.0.1/udp/{port}/quic-v1")
}

/// Starts `n` nodes made by `builder(i)`, every one trusting and bootstrapping from the
/// others. `trusted_override(i)` may replace node i's trusted list (strangers).
pub fn start_federation(
    n: usize,
    settings: FederationSettings,
    builder: impl Fn(usize) -> NodeBuilder,
) -> Result<RedundancyFederation> {
    let mut nodes = Vec::new();
    let mut peer_ids = Vec::new();
    let mut quic_ports = Vec::new();
    for i in 0..n {
        let node = builder(i).prepare()?;
        peer_ids.push(peer_id(&node)?);
        quic_ports.push(free_udp_port()?);
        nodes.push(node);
    }
    for (i, node) in nodes.iter().enumerate() {
        let others: Vec<usize> = (0..n).filter(|j| *j != i).collect();
        let peers: Vec<toml::Value> =
            others.iter().map(|j| format!("{}/p2p/{}", quic_addr(quic_ports[*j]), peer_ids[*j]).into()).collect();
        let trusted: Vec<toml::Value> = others.iter().map(|j| peer_ids[*j].clone().into()).collect();
        node.set_config("redundancy.enabled", true)?;
        node.set_config("redundancy.listen", quic_addr(quic_ports[i]))?;
        node.set_config("redundancy.peers", toml::Value::Array(peers))?;
        node.set_config("redundancy.trusted_peers", toml::Value::Array(trusted))?;
        node.set_config("redundancy.replicas", settings.replicas as i64)?;
        node.set_config("redundancy.replicas_max", settings.replicas_max as i64)?;
        node.set_config("redundancy.heartbeat_secs", settings.heartbeat_secs as i64)?;
        node.set_config("redundancy.member_timeout_secs", settings.member_timeout_secs as i64)?;
        node.set_config("redundancy.repair_delay_secs", settings.repair_delay_secs as i64)?;
        node.set_config("redundancy.min_lifetime_secs", settings.min_lifetime_secs as i64)?;
        node.set_config("redundancy.capacity_bytes", settings.capacity_bytes as i64)?;
        node.set_config("redundancy.accept_from", "anybody")?;
        node.set_config("redundancy.retry_backoff_ms", 300)?;
    }
    for node in &mut nodes {
        node.launch()?;
    }
    Ok(RedundancyFederation { nodes, peer_ids, quic_ports, settings })
}

impl RedundancyFederation {
    /// `GET /api/v1/server/redundancy/status` of node `i`, as its admin.
    pub fn status(&self, i: usize) -> Result<Value> {
        json_ok(self.nodes[i].admin()?.get("/api/v1/server/redundancy/status")?, "redundancy status")
    }

    /// The node index of a peer id.
    pub fn index_of(&self, peer_id: &str) -> Option<usize> {
        self.peer_ids.iter().position(|p| p == peer_id)
    }

    /// The members placement names for `video_url` (origin excluded) among `alive`, computed
    /// here with the protocol's placement function, as node indices, best first.
    pub fn placed(&self, video_url: &str, origin: usize, alive: &[usize]) -> Result<Vec<usize>> {
        let ids: Vec<MemberId> = self
            .peer_ids
            .iter()
            .map(|p| p.parse::<PeerId>().map(|p| MemberId::from(p.to_bytes())))
            .collect::<Result<_, _>>()?;
        let members: Vec<MemberView> = alive
            .iter()
            .map(|i| MemberView { id: ids[*i].clone(), weight: self.settings.capacity_bytes, liveness: Liveness::Live })
            .collect();
        let policy = Policy::new(self.settings.replicas, self.settings.replicas_max, 0, 0)?;
        let prepared = PreparedMembers::new(&members, &policy, 0)?;
        let placed = prepared.placed(video_url.as_bytes(), &ids[origin], self.settings.replicas);
        Ok(placed.iter().filter_map(|(id, _)| ids.iter().position(|m| m == id)).collect())
    }

    /// The info hashes (hex) of the complete copies node `i` holds.
    pub fn held(&self, i: usize) -> Result<Vec<String>> {
        let status = self.status(i)?;
        Ok(status["held"]
            .as_array()
            .map(|h| h.iter().filter_map(|c| c["infoHash"].as_str().map(str::to_string)).collect())
            .unwrap_or_default())
    }
}

/// Starts a node nobody trusts: it trusts every member, bootstraps from member `via` and
/// announces `capacity_bytes` (a weight that would win placement if it counted).
pub fn start_stranger(
    fed: &RedundancyFederation,
    via: usize,
    capacity_bytes: u64,
    builder: NodeBuilder,
) -> Result<TestNode> {
    let mut node = builder.prepare()?;
    peer_id(&node)?;
    let port = free_udp_port()?;
    let bootstrap = format!("{}/p2p/{}", quic_addr(fed.quic_ports[via]), fed.peer_ids[via]);
    let trusted: Vec<toml::Value> = fed.peer_ids.iter().map(|p| p.clone().into()).collect();
    node.set_config("redundancy.enabled", true)?;
    node.set_config("redundancy.listen", quic_addr(port))?;
    node.set_config("redundancy.peers", toml::Value::Array(vec![bootstrap.into()]))?;
    node.set_config("redundancy.trusted_peers", toml::Value::Array(trusted))?;
    node.set_config("redundancy.heartbeat_secs", fed.settings.heartbeat_secs as i64)?;
    node.set_config("redundancy.member_timeout_secs", fed.settings.member_timeout_secs as i64)?;
    node.set_config("redundancy.capacity_bytes", capacity_bytes as i64)?;
    node.launch()?;
    Ok(node)
}
