//! Range checks serde cannot express (negative rates, empty distributions, mismatched matrix
//! sizes, unknown region names); each failure carries the path of the key at fault.

use std::fmt;

use super::{Arrivals, Scenario, Server};
use crate::dist::Dist;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// The path of a key in the scenario, e.g. `mirrors[1].upload_mbps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub(crate) fn of(parts: &[&str]) -> Self {
        KeyPath(parts.iter().map(|p| Seg::Key((*p).into())).collect())
    }

    pub(crate) fn index(mut self, i: usize) -> Self {
        self.0.push(Seg::Index(i));
        self
    }

    pub(crate) fn key(mut self, k: &str) -> Self {
        self.0.push(Seg::Key(k.into()));
        self
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A check's failure: the key at fault and why.
pub(crate) type Check = Result<(), (KeyPath, String)>;

/// Viewers a run may have (peer indices and link ids must fit in 32 bits).
pub const MAX_VIEWERS: u64 = 1_000_000_000;

fn positive(path: &[&str], v: f64) -> Check {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err((KeyPath::of(path), format!("must be a finite number > 0, got {v}")))
    }
}

fn non_negative(path: KeyPath, v: f64) -> Check {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err((path, format!("must be a finite number >= 0, got {v}")))
    }
}

fn share(path: &[&str], v: f64) -> Check {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err((KeyPath::of(path), format!("must be between 0 and 1, got {v}")))
    }
}

fn dist(path: &[&str], d: &Dist) -> Check {
    d.check().map_err(|(sub, message)| {
        let p = KeyPath::of(path);
        (if let Some(sub) = sub { p.key(sub) } else { p }, message)
    })
}

fn at_least_one(path: &[&str], v: u32) -> Check {
    if v >= 1 {
        Ok(())
    } else {
        Err((KeyPath::of(path), "must be at least 1".into()))
    }
}

/// Checks every range the types allow but the model does not.
pub fn validate(s: &Scenario) -> Check {
    positive(&["duration_secs"], s.duration_secs)?;
    if s.duration_secs > 100.0 * 86_400.0 {
        return Err((KeyPath::of(&["duration_secs"]), "must be at most 100 days".into()));
    }
    at_least_one(&["tick_ms"], s.tick_ms)?;
    positive(&["video", "duration_secs"], s.video.duration_secs)?;
    positive(&["video", "bitrate_kbps"], s.video.bitrate_kbps)?;
    if let Some(p) = s.video.piece_bytes {
        if p < 1024 {
            return Err((KeyPath::of(&["video", "piece_bytes"]), format!("must be at least 1024, got {p}")));
        }
    }
    let size = s.video.duration_secs * s.video.bitrate_kbps * 125.0;
    if size > 64.0 * 1024.0 * 1024.0 * 1024.0 {
        return Err((KeyPath::of(&["video", "bitrate_kbps"]), "the file would exceed 64 GiB".into()));
    }
    match &s.arrivals {
        Arrivals::Poisson { rate_per_sec, start_secs, until_secs } => {
            positive(&["arrivals", "rate_per_sec"], *rate_per_sec)?;
            if rate_per_sec * s.duration_secs > MAX_VIEWERS as f64 {
                return Err((
                    KeyPath::of(&["arrivals", "rate_per_sec"]),
                    format!("would bring more than {MAX_VIEWERS} viewers in duration_secs"),
                ));
            }
            non_negative(KeyPath::of(&["arrivals", "start_secs"]), *start_secs)?;
            if let Some(u) = until_secs {
                non_negative(KeyPath::of(&["arrivals", "until_secs"]), *u)?;
            }
        }
        Arrivals::FlashCrowd { viewers, start_secs, ramp_secs, .. } => {
            if *viewers == 0 || *viewers > MAX_VIEWERS {
                return Err((
                    KeyPath::of(&["arrivals", "viewers"]),
                    format!("must be in 1..={MAX_VIEWERS}, got {viewers}"),
                ));
            }
            non_negative(KeyPath::of(&["arrivals", "start_secs"]), *start_secs)?;
            non_negative(KeyPath::of(&["arrivals", "ramp_secs"]), *ramp_secs)?;
        }
        Arrivals::Trace { .. } => {}
    }
    let v = &s.viewers;
    dist(&["viewers", "watch_secs"], &v.watch_secs)?;
    dist(&["viewers", "linger_secs"], &v.linger_secs)?;
    dist(&["viewers", "patience_secs"], &v.patience_secs)?;
    dist(&["viewers", "upload_mbps"], &v.upload_mbps)?;
    dist(&["viewers", "download_mbps"], &v.download_mbps)?;
    if v.download_mbps.mean() <= 0.0 {
        return Err((KeyPath::of(&["viewers", "download_mbps"]), "viewers must be able to download".into()));
    }
    non_negative(KeyPath::of(&["viewers", "startup_buffer_secs"]), v.startup_buffer_secs)?;
    non_negative(KeyPath::of(&["viewers", "rebuffer_secs"]), v.rebuffer_secs)?;
    if let Some(p) = v.prefetch_secs {
        positive(&["viewers", "prefetch_secs"], p)?;
    }
    share(&["viewers", "no_webrtc_share"], v.no_webrtc_share)?;
    share(&["viewers", "crash_share"], v.crash_share)?;
    let p = &s.p2p;
    at_least_one(&["p2p", "max_conns"], p.max_conns)?;
    at_least_one(&["p2p", "max_inflight"], p.max_inflight)?;
    for (key, v, max) in [
        ("max_conns", p.max_conns, 10_000),
        ("numwant", p.numwant, 10_000),
        ("max_inflight", p.max_inflight, 1_000),
        ("per_peer_inflight", p.per_peer_inflight, 1_000),
        ("webseed_inflight", p.webseed_inflight, 1_000),
    ] {
        if v > max {
            return Err((KeyPath::of(&["p2p", key]), format!("must be at most {max}, got {v}")));
        }
    }
    at_least_one(&["p2p", "per_peer_inflight"], p.per_peer_inflight)?;
    at_least_one(&["p2p", "webseed_inflight"], p.webseed_inflight)?;
    at_least_one(&["p2p", "announce_interval_secs"], p.announce_interval_secs)?;
    at_least_one(&["p2p", "tracker_max_peers"], p.tracker_max_peers)?;
    at_least_one(&["p2p", "tracker_peer_timeout_secs"], p.tracker_peer_timeout_secs)?;
    non_negative(KeyPath::of(&["p2p", "window_secs"]), p.window_secs)?;
    let n = &s.network;
    if n.regions.is_empty() {
        return Err((KeyPath::of(&["network", "regions"]), "give at least one region".into()));
    }
    if n.region_weights.len() != n.regions.len() {
        return Err((
            KeyPath::of(&["network", "region_weights"]),
            format!("has {} entries for {} regions", n.region_weights.len(), n.regions.len()),
        ));
    }
    for (i, w) in n.region_weights.iter().enumerate() {
        non_negative(KeyPath::of(&["network", "region_weights"]).index(i), *w)?;
    }
    if n.region_weights.iter().sum::<f64>() <= 0.0 {
        return Err((KeyPath::of(&["network", "region_weights"]), "must not all be zero".into()));
    }
    if n.rtt_ms.len() != n.regions.len() {
        return Err((KeyPath::of(&["network", "rtt_ms"]), format!("must have {} rows", n.regions.len())));
    }
    for (i, row) in n.rtt_ms.iter().enumerate() {
        let path = KeyPath::of(&["network", "rtt_ms"]).index(i);
        if row.len() != n.regions.len() {
            return Err((path, format!("must have {} entries", n.regions.len())));
        }
        for (j, v) in row.iter().enumerate() {
            non_negative(path.clone().index(j), *v)?;
        }
    }
    if s.mirrors.len() > 1_000 {
        return Err((KeyPath::of(&["mirrors"]), "at most 1000 mirrors".into()));
    }
    server(s, KeyPath::of(&["origin"]), &s.origin)?;
    for (i, m) in s.mirrors.iter().enumerate() {
        server(s, KeyPath::of(&["mirrors"]).index(i), m)?;
    }
    Ok(())
}

fn server(s: &Scenario, path: KeyPath, m: &Server) -> Check {
    if !(m.upload_mbps.is_finite() && m.upload_mbps > 0.0) {
        return Err((path.key("upload_mbps"), format!("must be a finite number > 0, got {}", m.upload_mbps)));
    }
    non_negative(path.clone().key("up_at_secs"), m.up_at_secs)?;
    if let Some(d) = m.down_at_secs {
        non_negative(path.clone().key("down_at_secs"), d)?;
        if d < m.up_at_secs {
            return Err((path.key("down_at_secs"), "must not be before up_at_secs".into()));
        }
    }
    if let Some(r) = &m.region {
        if !s.network.regions.contains(r) {
            return Err((path.key("region"), format!("unknown region {r:?} (not in network.regions)")));
        }
    }
    Ok(())
}
