//! What a run measures: one [`Row`] per simulated second, one [`Session`] per viewer, and the
//! headline [`Summary`] computed from them.

use serde::Serialize;

use super::config::Config;
use super::peer::{Peer, NEVER};

/// One simulated second.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    pub second: u32,
    /// Bytes the origin's web seed sent.
    pub origin_bytes: u64,
    /// Bytes the mirrors sent.
    pub mirror_bytes: u64,
    /// Bytes peers sent each other.
    pub p2p_bytes: u64,
    /// Viewers with the page open.
    pub online: u32,
    /// Viewers still fetching pieces.
    pub downloading: u32,
    /// The tracker's counts for the swarm.
    pub seeders: u32,
    pub leechers: u32,
    /// Viewers whose playback is stalled.
    pub stalled: u32,
    pub arrivals: u32,
}

/// One viewer's session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    pub viewer: u32,
    pub join_secs: f64,
    pub region: u8,
    pub p2p: bool,
    /// Capacities, bytes/s.
    pub upload_bytes_per_sec: u32,
    pub download_bytes_per_sec: u32,
    /// Seconds from arrival to playback start (None: never started).
    pub startup_secs: Option<f64>,
    pub stalls: u32,
    pub stall_secs: f64,
    pub abandoned: bool,
    /// Seconds from arrival to the whole file (None: never complete).
    pub download_secs: Option<f64>,
    pub left_secs: Option<f64>,
    /// Bytes of video the viewer played.
    pub bytes_watched: u64,
    pub from_origin: u64,
    pub from_mirrors: u64,
    pub from_peers: u64,
    pub uploaded: u64,
}

impl Session {
    pub fn of(index: u32, p: &Peer, cfg: &Config) -> Self {
        let secs = |ms: u64| (ms != NEVER).then_some(ms as f64 / 1000.0);
        let watched = if cfg.watch { ((p.playhead * cfg.bytes_per_sec).round() as u64).min(cfg.size) } else { 0 };
        Session {
            viewer: index,
            join_secs: p.join_ms as f64 / 1000.0,
            region: p.region,
            p2p: p.p2p,
            upload_bytes_per_sec: p.up,
            download_bytes_per_sec: p.down,
            startup_secs: if p.started { secs(p.startup_ms) } else { None },
            stalls: p.stalls,
            stall_secs: p.stall_ms as f64 / 1000.0,
            abandoned: p.abandoned,
            download_secs: secs(p.completed_ms).map(|c| c - p.join_ms as f64 / 1000.0),
            left_secs: secs(p.left_ms),
            bytes_watched: watched,
            from_origin: p.from_origin,
            from_mirrors: p.from_mirrors,
            from_peers: p.from_peers,
            uploaded: p.uploaded,
        }
    }
}

/// Headline figures of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub viewers: u64,
    pub file_bytes: u64,
    pub pieces: u32,
    pub piece_bytes: u32,
    pub origin_bytes: u64,
    pub mirror_bytes: u64,
    pub p2p_bytes: u64,
    /// Share of all bytes viewers received that came from other viewers.
    pub p2p_ratio: f64,
    pub bytes_watched: u64,
    pub peak_server_mbps: f64,
    pub mean_server_mbps: f64,
    pub startup_mean_secs: Option<f64>,
    pub startup_p50_secs: Option<f64>,
    pub startup_p95_secs: Option<f64>,
    pub stalls_per_viewer: f64,
    /// Stalled time over (stalled + played) time.
    pub stall_ratio: f64,
    pub abandoned: u64,
    pub completed_downloads: u64,
    pub download_mean_secs: Option<f64>,
    /// Time from the first arrival to the last completed download.
    pub last_completion_secs: Option<f64>,
    pub mean_online: f64,
    pub peak_online: u32,
    /// Events processed for peers: arrivals, announces, connections, piece requests, pieces
    /// received, requests moved to a web seed, playback starts, stalls and resumes, players
    /// closed, departures.
    pub peer_events: u64,
}

fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let k = ((sorted.len() - 1) as f64 * q).round() as usize;
    Some(sorted[k])
}

impl Summary {
    pub fn compute(rows: &[Row], sessions: &[Session], cfg: &Config, events: u64) -> Self {
        let origin: u64 = rows.iter().map(|r| r.origin_bytes).sum();
        let mirrors: u64 = rows.iter().map(|r| r.mirror_bytes).sum();
        let p2p: u64 = rows.iter().map(|r| r.p2p_bytes).sum();
        let total = origin + mirrors + p2p;
        let server_mbps = |r: &Row| (r.origin_bytes + r.mirror_bytes) as f64 * 8.0 / 1e6;
        let mut startups: Vec<f64> = sessions.iter().filter_map(|s| s.startup_secs).collect();
        startups.sort_by(f64::total_cmp);
        let downloads: Vec<f64> = sessions.iter().filter_map(|s| s.download_secs).collect();
        let stall_secs: f64 = sessions.iter().map(|s| s.stall_secs).sum();
        let played: f64 = sessions.iter().map(|s| s.bytes_watched as f64 / cfg.bytes_per_sec).sum();
        let n = sessions.len().max(1) as f64;
        let last = sessions
            .iter()
            .filter_map(|s| s.download_secs.map(|d| s.join_secs + d))
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))));
        let first_join = sessions.first().map_or(0.0, |s| s.join_secs);
        Summary {
            viewers: sessions.len() as u64,
            file_bytes: cfg.size,
            pieces: cfg.pieces,
            piece_bytes: cfg.piece_bytes,
            origin_bytes: origin,
            mirror_bytes: mirrors,
            p2p_bytes: p2p,
            p2p_ratio: if total > 0 { p2p as f64 / total as f64 } else { 0.0 },
            bytes_watched: sessions.iter().map(|s| s.bytes_watched).sum(),
            peak_server_mbps: rows.iter().map(server_mbps).fold(0.0, f64::max),
            mean_server_mbps: rows.iter().map(server_mbps).sum::<f64>() / rows.len().max(1) as f64,
            startup_mean_secs: (!startups.is_empty()).then(|| startups.iter().sum::<f64>() / startups.len() as f64),
            startup_p50_secs: quantile(&startups, 0.5),
            startup_p95_secs: quantile(&startups, 0.95),
            stalls_per_viewer: sessions.iter().map(|s| f64::from(s.stalls)).sum::<f64>() / n,
            stall_ratio: if stall_secs + played > 0.0 { stall_secs / (stall_secs + played) } else { 0.0 },
            abandoned: sessions.iter().filter(|s| s.abandoned).count() as u64,
            completed_downloads: downloads.len() as u64,
            download_mean_secs: (!downloads.is_empty()).then(|| downloads.iter().sum::<f64>() / downloads.len() as f64),
            last_completion_secs: last.map(|l| l - first_join),
            mean_online: rows.iter().map(|r| f64::from(r.online)).sum::<f64>() / rows.len().max(1) as f64,
            peak_online: rows.iter().map(|r| r.online).max().unwrap_or(0),
            peer_events: events,
        }
    }
}
