//! What a placement run measures, kept incrementally: a histogram of complete copies per
//! video (on nodes that are up), availability (videos, and views, with at least one and at
//! least k copies) as exact time averages and minima, every episode a video spent below k
//! copies or with none, repair traffic by source spread over each transfer's duration, and
//! counters of what happened. Samples and the summary are read off these.

use serde::Serialize;

use super::engine::Cfg;

/// One row of the time series (state at `t_secs`; traffic and minima over the interval
/// since the previous row).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sample {
    pub t_secs: f64,
    pub nodes_up: u64,
    pub members_in_placement: u64,
    /// Complete copies per video on nodes that are up: minimum, quantiles, mean, maximum.
    pub copies_min: u32,
    pub copies_p01: u32,
    pub copies_p05: u32,
    pub copies_p50: u32,
    pub copies_mean: f64,
    pub copies_p95: u32,
    pub copies_max: u32,
    /// Share of videos with at least one complete copy now, and the lowest since the last row.
    pub available: f64,
    pub available_min: f64,
    /// Share of videos with at least k complete copies now, and the lowest since the last row.
    pub at_k: f64,
    pub at_k_min: f64,
    /// Share of views (Zipf popularity) that find at least one complete copy now.
    pub views_available: f64,
    /// Repair traffic since the last row, bytes, by source.
    pub bytes_from_members: u64,
    pub bytes_from_origin: u64,
    pub transfers_in_flight: u64,
    pub transfers_queued: u64,
}

/// Counters and incremental state.
#[derive(Debug, Clone)]
pub struct Tracker {
    k: u32,
    t0: u64,
    sample_ms: u64,
    videos: u64,
    /// `hist[c]`: videos with c complete copies up.
    hist: Vec<u64>,
    /// Views weight per video, fixed point (sum < 2^62).
    weight: Vec<u64>,
    weight_total: u64,
    weight_ge1: u64,
    ge1: u64,
    gek: u64,
    /// Exact lowest `ge1`, `gek` and view weight since the start and since the last sample.
    min_ge1: u64,
    min_gek: u64,
    min_weight_ge1: u64,
    interval_min_ge1: u64,
    interval_min_gek: u64,
    /// Integrals over time (count × ms) for exact time averages.
    area_ge1: u128,
    area_gek: u128,
    area_weight: u128,
    last: u64,
    pub min_copies: u32,
    below_since: Vec<u64>,
    zero_since: Vec<u64>,
    /// Durations (ms) of every finished episode below k and with no copy.
    pub below_episodes: Vec<u64>,
    pub zero_episodes: Vec<u64>,
    /// The longest episode below k: (duration, video, start).
    pub longest_below: (u64, u32, u64),
    pub longest_zero: (u64, u32, u64),
    /// Bytes per sample interval by source (index = interval ending at sample j).
    member_bytes: Vec<u64>,
    origin_bytes: Vec<u64>,
    pub samples: Vec<Sample>,
    pub up: u64,
    pub down: u64,
    pub events: u64,
    pub decisions: u64,
    pub moves: u64,
    pub failures: u64,
    pub returns: u64,
    pub departures: u64,
    pub joins: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub cancelled_bytes: u64,
    pub dropped: u64,
    pub drops_to_zero: u64,
    pub no_source: u64,
    pub fetching: u64,
    pub in_flight: u64,
    pub max_queue: u32,
    pub total_member_bytes: u64,
    pub total_origin_bytes: u64,
}

/// Sentinel: no episode open.
const CLOSED: u64 = u64::MAX;

impl Tracker {
    pub(super) fn new(cfg: &Cfg, counts: &[u32], popularity: &[f64], up: u64) -> Self {
        let total: f64 = popularity.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let scale = (1u64 << 52) as f64 / total;
        let weight: Vec<u64> = popularity.iter().map(|p| ((p * scale).round() as u64).max(1)).collect();
        let weight_total = weight.iter().sum();
        let k = cfg.k as u32;
        let mut hist = vec![0u64; cfg.k + 2];
        let (mut ge1, mut gek, mut weight_ge1) = (0, 0, 0);
        let mut below_since = vec![CLOSED; counts.len()];
        let mut zero_since = vec![CLOSED; counts.len()];
        for (v, &c) in counts.iter().enumerate() {
            if hist.len() <= c as usize {
                hist.resize(c as usize + 1, 0);
            }
            hist[c as usize] += 1;
            if c >= 1 {
                ge1 += 1;
                weight_ge1 += weight[v];
            } else {
                zero_since[v] = cfg.t0;
            }
            if c >= k {
                gek += 1;
            } else {
                below_since[v] = cfg.t0;
            }
        }
        let intervals = ((cfg.end - cfg.t0) / cfg.sample_ms + 2) as usize;
        Tracker {
            k,
            t0: cfg.t0,
            sample_ms: cfg.sample_ms,
            videos: counts.len() as u64,
            hist,
            weight,
            weight_total,
            weight_ge1,
            ge1,
            gek,
            min_ge1: ge1,
            min_gek: gek,
            min_weight_ge1: weight_ge1,
            interval_min_ge1: ge1,
            interval_min_gek: gek,
            area_ge1: 0,
            area_gek: 0,
            area_weight: 0,
            last: cfg.t0,
            min_copies: counts.iter().copied().min().unwrap_or(0),
            below_since,
            zero_since,
            below_episodes: Vec::new(),
            zero_episodes: Vec::new(),
            longest_below: (0, 0, 0),
            longest_zero: (0, 0, 0),
            member_bytes: vec![0; intervals],
            origin_bytes: vec![0; intervals],
            samples: Vec::new(),
            up,
            down: 0,
            events: 0,
            decisions: 0,
            moves: 0,
            failures: 0,
            returns: 0,
            departures: 0,
            joins: 0,
            completed: 0,
            cancelled: 0,
            cancelled_bytes: 0,
            dropped: 0,
            drops_to_zero: 0,
            no_source: 0,
            fetching: 0,
            in_flight: 0,
            max_queue: 0,
            total_member_bytes: 0,
            total_origin_bytes: 0,
        }
    }

    fn advance(&mut self, now: u64) {
        let dt = u128::from(now.saturating_sub(self.last));
        self.area_ge1 += u128::from(self.ge1) * dt;
        self.area_gek += u128::from(self.gek) * dt;
        self.area_weight += u128::from(self.weight_ge1) * dt;
        self.last = self.last.max(now);
    }

    /// Video `v` went from `old` to `new` complete copies up at `now`.
    pub(super) fn copies_changed(&mut self, v: u32, old: u32, new: u32, now: u64) {
        if old == new {
            return;
        }
        self.advance(now);
        let vi = v as usize;
        self.hist[old as usize] -= 1;
        if self.hist.len() <= new as usize {
            self.hist.resize(new as usize + 1, 0);
        }
        self.hist[new as usize] += 1;
        self.min_copies = self.min_copies.min(new);
        match (old >= 1, new >= 1) {
            (true, false) => {
                self.ge1 -= 1;
                self.weight_ge1 -= self.weight[vi];
                self.zero_since[vi] = now;
            }
            (false, true) => {
                self.ge1 += 1;
                self.weight_ge1 += self.weight[vi];
                let d = now - self.zero_since[vi];
                self.zero_episodes.push(d);
                if d > self.longest_zero.0 {
                    self.longest_zero = (d, v, self.zero_since[vi]);
                }
                self.zero_since[vi] = CLOSED;
            }
            _ => {}
        }
        match (old >= self.k, new >= self.k) {
            (true, false) => {
                self.gek -= 1;
                self.below_since[vi] = now;
            }
            (false, true) => {
                self.gek += 1;
                let d = now - self.below_since[vi];
                self.below_episodes.push(d);
                if d > self.longest_below.0 {
                    self.longest_below = (d, v, self.below_since[vi]);
                }
                self.below_since[vi] = CLOSED;
            }
            _ => {}
        }
        self.min_ge1 = self.min_ge1.min(self.ge1);
        self.min_gek = self.min_gek.min(self.gek);
        self.min_weight_ge1 = self.min_weight_ge1.min(self.weight_ge1);
        self.interval_min_ge1 = self.interval_min_ge1.min(self.ge1);
        self.interval_min_gek = self.interval_min_gek.min(self.gek);
    }

    /// A transfer moved `bytes` evenly over `[start, end)`.
    pub(super) fn traffic(&mut self, start: u64, end: u64, bytes: u64, from_origin: bool) {
        if from_origin {
            self.total_origin_bytes += bytes;
        } else {
            self.total_member_bytes += bytes;
        }
        let buckets = if from_origin { &mut self.origin_bytes } else { &mut self.member_bytes };
        let last = buckets.len() - 1;
        // Interval j covers [t0 + (j-1)·S, t0 + j·S): it is reported by sample j.
        let bucket = |t: u64| (((t - self.t0) / self.sample_ms) as usize + 1).min(last);
        let span = end.saturating_sub(start);
        if span == 0 {
            buckets[bucket(start)] += bytes;
            return;
        }
        let mut given = 0u64;
        let (first, final_) = (bucket(start), bucket(end.saturating_sub(1)));
        for (j, slot) in buckets.iter_mut().enumerate().take(final_ + 1).skip(first) {
            let lo = (self.t0 + (j as u64 - 1) * self.sample_ms).max(start);
            let hi = (self.t0 + j as u64 * self.sample_ms).min(end);
            let part = if j == final_ {
                bytes - given
            } else {
                (u128::from(bytes) * u128::from(hi.saturating_sub(lo)) / u128::from(span)) as u64
            };
            *slot += part;
            given += part;
        }
    }

    fn quantile(&self, q: f64) -> u32 {
        let target = ((q * self.videos as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (c, &n) in self.hist.iter().enumerate() {
            seen += n;
            if seen >= target {
                return c as u32;
            }
        }
        (self.hist.len() - 1) as u32
    }

    /// Appends the row for `now`.
    pub(super) fn sample(&mut self, now: u64, members: u64) {
        self.advance(now);
        let v = self.videos.max(1) as f64;
        let total: u64 = self.hist.iter().enumerate().map(|(c, &n)| c as u64 * n).sum();
        let min = self.hist.iter().position(|&n| n > 0).unwrap_or(0) as u32;
        let max = self.hist.iter().rposition(|&n| n > 0).unwrap_or(0) as u32;
        self.samples.push(Sample {
            t_secs: (now - self.t0) as f64 / 1000.0,
            nodes_up: self.up,
            members_in_placement: members,
            copies_min: min,
            copies_p01: self.quantile(0.01),
            copies_p05: self.quantile(0.05),
            copies_p50: self.quantile(0.5),
            copies_mean: total as f64 / v,
            copies_p95: self.quantile(0.95),
            copies_max: max,
            available: self.ge1 as f64 / v,
            available_min: self.interval_min_ge1 as f64 / v,
            at_k: self.gek as f64 / v,
            at_k_min: self.interval_min_gek as f64 / v,
            views_available: self.weight_ge1 as f64 / self.weight_total.max(1) as f64,
            bytes_from_members: 0,
            bytes_from_origin: 0,
            transfers_in_flight: self.in_flight,
            transfers_queued: self.fetching.saturating_sub(self.in_flight),
        });
        self.interval_min_ge1 = self.ge1;
        self.interval_min_gek = self.gek;
    }

    /// Closes open episodes at `end` (counted, and in the maxima), fills the rows' traffic.
    pub(super) fn close(&mut self, end: u64) -> (u64, u64) {
        self.advance(end);
        let mut open = (0, 0);
        for v in 0..self.below_since.len() {
            if self.below_since[v] != CLOSED {
                let d = end - self.below_since[v];
                open.0 += 1;
                if d > self.longest_below.0 {
                    self.longest_below = (d, v as u32, self.below_since[v]);
                }
            }
            if self.zero_since[v] != CLOSED {
                let d = end - self.zero_since[v];
                open.1 += 1;
                if d > self.longest_zero.0 {
                    self.longest_zero = (d, v as u32, self.zero_since[v]);
                }
            }
        }
        // Sample j is taken at t0 + j·S and reports interval j.
        for (j, s) in self.samples.iter_mut().enumerate() {
            s.bytes_from_members = self.member_bytes.get(j).copied().unwrap_or(0);
            s.bytes_from_origin = self.origin_bytes.get(j).copied().unwrap_or(0);
        }
        open
    }

    /// Time-averaged shares: videos with ≥1, with ≥k copies, views with ≥1.
    pub fn time_averages(&self, duration_ms: u64) -> (f64, f64, f64) {
        let d = (duration_ms.max(1) as f64) * self.videos.max(1) as f64;
        let w = duration_ms.max(1) as f64 * self.weight_total.max(1) as f64;
        (self.area_ge1 as f64 / d, self.area_gek as f64 / d, self.area_weight as f64 / w)
    }

    /// Lowest shares ever: videos with ≥1, with ≥k copies, views with ≥1.
    pub fn minima(&self) -> (f64, f64, f64) {
        let v = self.videos.max(1) as f64;
        (self.min_ge1 as f64 / v, self.min_gek as f64 / v, self.min_weight_ge1 as f64 / self.weight_total.max(1) as f64)
    }
}
