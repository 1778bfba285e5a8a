//! Max-min fair sharing of link capacities among flows (progressive filling), the bandwidth
//! model of one simulation step: every flow crosses its source's upload link and its sink's
//! download link, and may also be capped by its own demand (the bytes it still needs).
//!
//! Progressive filling: repeatedly take the most constrained link (least capacity left per
//! unfrozen flow), give each of its unfrozen flows that share and freeze them; a flow whose
//! demand is below every share so far is frozen at its demand. Shares only grow as flows
//! freeze, so a binary heap whose stale entries are re-queued when they surface, merged with
//! the demands sorted once, gives O((F + L) log F) with few heap operations per flow.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Per-link state of one allocation, in a dense array (one cache line per link).
#[derive(Debug, Default, Clone, Copy)]
struct Link {
    remaining: f64,
    unfrozen: u32,
    count: u32,
    start: u32,
    fill: u32,
    done: bool,
}

/// Reusable buffers for [`MaxMin::allocate`]. Link ids may be sparse (a peer's index): each
/// allocation maps the ids it sees to dense local indices first.
#[derive(Debug, Default)]
pub struct MaxMin {
    /// Link id -> local index + 1 (0: not in this allocation).
    slot: Vec<u32>,
    /// Local index -> link id.
    ids: Vec<u32>,
    links: Vec<Link>,
    /// Per flow: its two links' local indices.
    local: Vec<(u32, u32)>,
    members: Vec<u32>,
    frozen: Vec<bool>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    by_demand: Vec<u64>,
}

impl MaxMin {
    /// Writes into `rates[i]` the max-min fair share of flow `i`, which crosses links
    /// `links[i].0` and `links[i].1` (capacities given by `capacity`) and wants at most
    /// `demand[i]` (whole bytes, below 2^32). Every link's flows together get at most its
    /// capacity (up to float rounding).
    pub fn allocate(
        &mut self,
        links: &[(u32, u32)],
        demand: &[f64],
        capacity: impl Fn(u32) -> f64,
        rates: &mut Vec<f64>,
    ) {
        let n = links.len();
        rates.clear();
        rates.resize(n, 0.0);
        self.frozen.clear();
        self.frozen.resize(n, false);
        self.members.clear();
        self.members.resize(2 * n, 0);
        self.local.clear();
        for &(a, b) in links {
            let la = self.local_index(a);
            let lb = self.local_index(b);
            self.local.push((la, lb));
        }
        let mut acc = 0u32;
        for link in &mut self.links {
            link.start = acc;
            link.fill = acc;
            acc += link.count;
        }
        for (i, &(a, b)) in self.local.iter().enumerate() {
            for l in [a as usize, b as usize] {
                let link = &mut self.links[l];
                self.members[link.fill as usize] = i as u32;
                link.fill += 1;
            }
        }
        self.heap.clear();
        for (k, link) in self.links.iter_mut().enumerate() {
            link.remaining = capacity(self.ids[k]).max(0.0);
            link.unfrozen = link.count;
            self.heap.push(Reverse((share_key(link.remaining / f64::from(link.count)), k as u32)));
        }
        // Demands are whole bytes below 2^32 (a piece at most): packed with the flow index into
        // one integer, they sort fast and exactly.
        self.by_demand.clear();
        self.by_demand
            .extend(demand.iter().enumerate().map(|(i, &d)| (d.clamp(0.0, u32::MAX as f64) as u64) << 32 | i as u64));
        self.by_demand.sort_unstable();
        let mut next_demand = 0;
        loop {
            let link_top = self.heap.peek().map(|Reverse(e)| *e);
            let demand_top =
                self.by_demand.get(next_demand).map(|&packed| (share_key((packed >> 32) as f64), packed as u32));
            match (link_top, demand_top) {
                (None, None) => break,
                (Some((lk, _)), Some((dk, f))) if dk <= lk => {
                    next_demand += 1;
                    if !self.frozen[f as usize] {
                        self.freeze(f as usize, f64::from_bits(dk), None, rates);
                    }
                }
                (None, Some((dk, f))) => {
                    next_demand += 1;
                    if !self.frozen[f as usize] {
                        self.freeze(f as usize, f64::from_bits(dk), None, rates);
                    }
                }
                (Some((key, l)), _) => {
                    self.heap.pop();
                    let link = self.links[l as usize];
                    if link.done || link.unfrozen == 0 {
                        continue;
                    }
                    // Shares only grow as flows freeze elsewhere: a stale entry is re-queued at
                    // the link's current share instead of being updated on every freeze.
                    let current = share_key(link.remaining / f64::from(link.unfrozen));
                    if current != key {
                        self.heap.push(Reverse((current, l)));
                        continue;
                    }
                    self.links[l as usize].done = true;
                    let share = f64::from_bits(key);
                    let (s, c) = (link.start as usize, link.count as usize);
                    for k in s..s + c {
                        let f = self.members[k] as usize;
                        if !self.frozen[f] {
                            self.freeze(f, share, Some(l), rates);
                        }
                    }
                }
            }
        }
        for &id in &self.ids {
            self.slot[id as usize] = 0;
        }
        self.ids.clear();
        self.links.clear();
    }

    /// The local index of link `id`, added on first sight (and its flow counted).
    fn local_index(&mut self, id: u32) -> u32 {
        let i = id as usize;
        if i >= self.slot.len() {
            self.slot.resize((i + 1).next_power_of_two(), 0);
        }
        if self.slot[i] == 0 {
            self.ids.push(id);
            self.links.push(Link::default());
            self.slot[i] = self.ids.len() as u32;
        }
        let l = self.slot[i] - 1;
        self.links[l as usize].count += 1;
        l
    }

    /// Freezes flow `f` at `share`, charging both its links except `at` (the link being
    /// saturated, whose own bookkeeping no longer matters).
    fn freeze(&mut self, f: usize, share: f64, at: Option<u32>, rates: &mut [f64]) {
        self.frozen[f] = true;
        rates[f] = share;
        let (a, b) = self.local[f];
        for l in [a, b] {
            if Some(l) == at {
                continue;
            }
            let link = &mut self.links[l as usize];
            link.remaining -= share;
            link.unfrozen -= 1;
        }
    }
}

/// Heap key of a non-negative share: the bit pattern of a non-negative f64 orders like the value.
fn share_key(share: f64) -> u64 {
    share.max(0.0).to_bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(links: &[(u32, u32)], demand: &[f64], caps: &[f64]) -> Vec<f64> {
        let mut mm = MaxMin::default();
        let mut rates = Vec::new();
        mm.allocate(links, demand, |l| caps[l as usize], &mut rates);
        rates
    }

    #[test]
    fn one_uploader_shares_equally() {
        // link 0: upload 9; links 1..=3: downloads of 100.
        let r = run(&[(0, 1), (0, 2), (0, 3)], &[f64::INFINITY; 3], &[9.0, 100.0, 100.0, 100.0]);
        assert_eq!(r, vec![3.0, 3.0, 3.0]);
    }

    #[test]
    fn bottlenecked_flow_leaves_the_rest_to_others() {
        // Upload 10 shared by two flows; one sink can take only 2, so the other gets 8.
        let r = run(&[(0, 1), (0, 2)], &[f64::INFINITY; 2], &[10.0, 2.0, 100.0]);
        assert_eq!(r, vec![2.0, 8.0]);
    }

    #[test]
    fn demand_caps_a_flow() {
        let r = run(&[(0, 1), (0, 2)], &[1.0, f64::INFINITY], &[10.0, 100.0, 100.0]);
        assert_eq!(r, vec![1.0, 9.0]);
    }

    #[test]
    fn classic_max_min_example() {
        // Two uploaders (0: cap 4, 1: cap 10) and one sink (2: cap 8) plus a sink (3: cap 100).
        // Flows: 0->2, 1->2, 1->3. Sink 2 is shared by the first two: 4 each; uploader 1 has 6
        // left for 1->3.
        let r = run(&[(0, 2), (1, 2), (1, 3)], &[f64::INFINITY; 3], &[4.0, 10.0, 8.0, 100.0]);
        assert_eq!(r, vec![4.0, 4.0, 6.0]);
        // No link over capacity.
        assert!(r[0] <= 4.0 && r[1] + r[2] <= 10.0 && r[0] + r[1] <= 8.0);
    }
}
