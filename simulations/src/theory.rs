//! The theory the simulator is held to.
//!
//! - Kumar & Ross (2006): distributing a file of `F` bytes from a server of upload `u_s` to
//!   `N` peers with uploads `u_i` and downloads `d_i` takes at least
//!   `max(F/u_s, F/d_min, N·F/(u_s + Σu_i))`.
//! - Qiu & Srikant (2004), fluid model of a BitTorrent swarm with arrival rate `λ`, per-peer
//!   upload `μ` and download `c` (in files per second), seeders leaving at rate `γ` and
//!   sharing efficiency `η`: in steady state (no abandonment) seeders are `y = λ/γ`; if
//!   uploads limit, `λ = μ(ηx + y) + s` (with `s` the server's upload in files/s) gives the
//!   leechers `x = ((λ − s)/μ − y)/η`; if downloads limit, `x = λ/c`. The download time is
//!   `T = x/λ` (Little's law): without a server it does not depend on `λ`.

/// The Kumar–Ross lower bound in seconds, for `file` bytes, server upload `server_up` and the
/// peers' `(upload, download)` in bytes per second.
pub fn kumar_ross_bound(file: f64, server_up: f64, peers: &[(f64, f64)]) -> f64 {
    let n = peers.len() as f64;
    let d_min = peers.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let total_up = server_up + peers.iter().map(|p| p.0).sum::<f64>();
    (file / server_up).max(file / d_min).max(n * file / total_up)
}

/// Steady state of the Qiu–Srikant fluid model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FluidSteadyState {
    pub leechers: f64,
    pub seeders: f64,
    /// Mean download time, seconds.
    pub download_secs: f64,
}

/// Steady state for arrivals `lambda` (/s), a file of `file` bytes, per-peer upload `up` and
/// download `down` (bytes/s), mean seeding time `seed_secs`, sharing efficiency `eta`, and a
/// server adding `server_up` bytes/s.
pub fn qiu_srikant(
    lambda: f64,
    file: f64,
    up: f64,
    down: f64,
    seed_secs: f64,
    eta: f64,
    server_up: f64,
) -> FluidSteadyState {
    let mu = up / file;
    let c = down / file;
    let s = server_up / file;
    let seeders = lambda * seed_secs;
    // Upload-limited: λ = μ(ηx + y) + s.
    let upload_limited = ((lambda - s) / mu - seeders) / eta;
    // Download-limited: λ = c·x.
    let download_limited = lambda / c;
    let leechers = upload_limited.max(download_limited).max(0.0);
    FluidSteadyState { leechers, seeders, download_secs: leechers / lambda }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kumar_ross_picks_the_binding_term() {
        // Server-bound: one peer with huge capacities.
        assert_eq!(kumar_ross_bound(100.0, 10.0, &[(1000.0, 1000.0)]), 10.0);
        // Download-bound.
        assert_eq!(kumar_ross_bound(100.0, 1000.0, &[(1000.0, 5.0), (1000.0, 50.0)]), 20.0);
        // Capacity-bound: 10 peers, 10·100 / (10 + 10·1) = 50.
        assert_eq!(kumar_ross_bound(100.0, 10.0, &[(1.0, 1000.0); 10]), 50.0);
    }

    #[test]
    fn fluid_download_time_is_flat_in_lambda() {
        let a = qiu_srikant(0.5, 100.0, 1.0, 10.0, 50.0, 1.0, 0.0);
        let b = qiu_srikant(4.0, 100.0, 1.0, 10.0, 50.0, 1.0, 0.0);
        assert!((a.download_secs - 50.0).abs() < 1e-9 && (b.download_secs - 50.0).abs() < 1e-9);
        // Seeders staying long enough to serve everyone: download-limited, T = F/d.
        let c = qiu_srikant(1.0, 100.0, 1.0, 10.0, 500.0, 1.0, 0.0);
        assert!((c.download_secs - 10.0).abs() < 1e-9);
    }
}
