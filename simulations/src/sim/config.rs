//! The numbers the engine runs on, derived once from a [`Scenario`]: sizes in bytes, rates in
//! bytes per second, times in milliseconds, regions as indices.

use shoal_protocol::torrent::{piece_length_for, pieces_for};

use crate::dist::Dist;
use crate::scenario::{Behaviour, Scenario, Scheduler};

/// A web seed as the engine sees it.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub name: String,
    pub origin: bool,
    /// Upload capacity, bytes/s.
    pub up: u64,
    pub region: u8,
    pub up_ms: u64,
    pub down_ms: Option<u64>,
}

/// Derived parameters of a run.
#[derive(Debug, Clone)]
pub struct Config {
    pub end_ms: u64,
    pub dt_ms: u64,
    pub size: u64,
    pub piece_bytes: u32,
    pub pieces: u32,
    /// Bytes of file per second of video.
    pub bytes_per_sec: f64,
    pub video_secs: f64,
    pub watch: bool,
    pub prefetch_secs: Option<f64>,
    pub startup_buffer_secs: f64,
    pub rebuffer_secs: f64,
    pub p2p: bool,
    pub ideal: bool,
    pub max_conns: usize,
    pub numwant: usize,
    pub announce_ms: u64,
    pub max_inflight: usize,
    pub per_peer_inflight: usize,
    pub webseed_inflight: usize,
    pub window_secs: f64,
    pub tracker_max_peers: usize,
    pub tracker_timeout_secs: u32,
    pub region_cdf: Vec<f64>,
    pub rtt_ms: Vec<Vec<u64>>,
    pub servers: Vec<ServerSpec>,
    pub upload_mbps: Dist,
    pub download_mbps: Dist,
    pub watch_secs: Dist,
    pub linger_secs: Dist,
    pub patience_secs: Dist,
    pub no_webrtc_share: f64,
    pub crash_share: f64,
}

/// Mbit/s to bytes/s.
pub fn mbps_to_bytes(mbps: f64) -> u64 {
    (mbps * 125_000.0).round().max(0.0) as u64
}

fn ms(secs: f64) -> u64 {
    (secs * 1000.0).round().max(0.0) as u64
}

impl Config {
    /// Derives the run's parameters (the scenario is already validated).
    pub fn new(s: &Scenario) -> Self {
        let size = (s.video.duration_secs * s.video.bitrate_kbps * 125.0).round().max(1.0) as u64;
        let piece_bytes = s.video.piece_bytes.unwrap_or_else(|| piece_length_for(size));
        let pieces = pieces_for(size, piece_bytes) as u32;
        let region = |name: &Option<String>| -> u8 {
            name.as_ref().and_then(|n| s.network.regions.iter().position(|r| r == n)).unwrap_or(0) as u8
        };
        let server = |name: String, origin: bool, m: &crate::scenario::Server| ServerSpec {
            name: m.name.clone().unwrap_or(name),
            origin,
            up: mbps_to_bytes(m.upload_mbps),
            region: region(&m.region),
            up_ms: ms(m.up_at_secs),
            down_ms: m.down_at_secs.map(ms),
        };
        let mut servers = vec![server("origin".into(), true, &s.origin)];
        for (i, m) in s.mirrors.iter().enumerate() {
            servers.push(server(format!("mirror-{}", i + 1), false, m));
        }
        let total: f64 = s.network.region_weights.iter().sum();
        let mut acc = 0.0;
        let region_cdf = s
            .network
            .region_weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        Config {
            end_ms: ms(s.duration_secs),
            dt_ms: u64::from(s.tick_ms),
            size,
            piece_bytes,
            pieces,
            bytes_per_sec: s.video.bitrate_kbps * 125.0,
            video_secs: s.video.duration_secs,
            watch: s.viewers.behaviour == Behaviour::Watch,
            prefetch_secs: s.viewers.prefetch_secs,
            startup_buffer_secs: s.viewers.startup_buffer_secs,
            rebuffer_secs: s.viewers.rebuffer_secs,
            p2p: s.p2p.enabled,
            ideal: s.p2p.scheduler == Scheduler::Ideal,
            max_conns: s.p2p.max_conns as usize,
            numwant: s.p2p.numwant as usize,
            announce_ms: u64::from(s.p2p.announce_interval_secs) * 1000,
            max_inflight: s.p2p.max_inflight as usize,
            per_peer_inflight: s.p2p.per_peer_inflight as usize,
            webseed_inflight: s.p2p.webseed_inflight as usize,
            window_secs: s.p2p.window_secs,
            tracker_max_peers: s.p2p.tracker_max_peers as usize,
            tracker_timeout_secs: s.p2p.tracker_peer_timeout_secs,
            region_cdf,
            rtt_ms: s.network.rtt_ms.iter().map(|row| row.iter().map(|v| v.round() as u64).collect()).collect(),
            servers,
            upload_mbps: s.viewers.upload_mbps.clone(),
            download_mbps: s.viewers.download_mbps.clone(),
            watch_secs: s.viewers.watch_secs.clone(),
            linger_secs: s.viewers.linger_secs.clone(),
            patience_secs: s.viewers.patience_secs.clone(),
            no_webrtc_share: s.viewers.no_webrtc_share,
            crash_share: s.viewers.crash_share,
        }
    }

    /// Length of piece `p` (the last one may be short).
    pub fn piece_len(&self, p: u32) -> u32 {
        let start = u64::from(p) * u64::from(self.piece_bytes);
        (self.size - start).min(u64::from(self.piece_bytes)) as u32
    }

    /// The piece holding second `secs` of the video (clamped to the last piece).
    pub fn piece_at(&self, secs: f64) -> u32 {
        let byte = (secs.max(0.0) * self.bytes_per_sec) as u64;
        ((byte / u64::from(self.piece_bytes)) as u32).min(self.pieces.saturating_sub(1))
    }

    /// Seconds of video in the first `pieces` pieces.
    pub fn secs_in(&self, pieces: u32) -> f64 {
        let bytes = (u64::from(pieces) * u64::from(self.piece_bytes)).min(self.size);
        if bytes == self.size {
            self.video_secs
        } else {
            bytes as f64 / self.bytes_per_sec
        }
    }
}
