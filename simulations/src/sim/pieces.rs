//! Which pieces each peer has: one bitfield per peer in a single arena (a word vector), plus
//! the swarm-wide availability of each piece for rarest-first.

use rand::Rng;

/// Random candidates compared for rarest-first.
pub const RAREST_SAMPLES: u32 = 4;

/// Bitfields of every peer, `words` 64-bit words each.
#[derive(Debug)]
pub struct Bitfields {
    words: usize,
    bits: Vec<u64>,
}

impl Bitfields {
    pub fn new(pieces: u32) -> Self {
        Bitfields { words: (pieces as usize).div_ceil(64), bits: Vec::new() }
    }

    /// Adds an empty bitfield for the next peer.
    pub fn push_peer(&mut self) {
        self.bits.resize(self.bits.len() + self.words, 0);
    }

    fn row(&self, peer: u32) -> &[u64] {
        let s = peer as usize * self.words;
        &self.bits[s..s + self.words]
    }

    pub fn has(&self, peer: u32, piece: u32) -> bool {
        self.bits[peer as usize * self.words + (piece / 64) as usize] >> (piece % 64) & 1 == 1
    }

    pub fn set(&mut self, peer: u32, piece: u32) {
        self.bits[peer as usize * self.words + (piece / 64) as usize] |= 1 << (piece % 64);
    }

    /// Calls `f` for every piece `peer` has.
    pub fn for_each(&self, peer: u32, mut f: impl FnMut(u32)) {
        for (w, &word) in self.row(peer).iter().enumerate() {
            let mut x = word;
            while x != 0 {
                let b = x.trailing_zeros();
                f(w as u32 * 64 + b);
                x &= x - 1;
            }
        }
    }

    /// The first piece in `[from, to)` that `src` has, `dst` lacks and `skip` does not reject,
    /// scanning forward from `from` (no wrap).
    /// `src` `None` stands for a web seed, which has every piece.
    pub fn first_wanted(
        &self,
        src: Option<u32>,
        dst: u32,
        from: u32,
        to: u32,
        skip: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        if from >= to {
            return None;
        }
        let b = self.row(dst);
        let a = |w: usize| src.map_or(!0, |s| self.row(s)[w]);
        let mut w = (from / 64) as usize;
        let last = ((to - 1) / 64) as usize;
        let mut mask = !0u64 << (from % 64);
        while w <= last {
            let mut x = a(w) & !b[w] & mask;
            while x != 0 {
                let piece = w as u32 * 64 + x.trailing_zeros();
                if piece >= to {
                    return None;
                }
                if !skip(piece) {
                    return Some(piece);
                }
                x &= x - 1;
            }
            mask = !0;
            w += 1;
        }
        None
    }

    /// A rare piece in `range` that `src` has and `dst` lacks (and `skip` does not reject):
    /// the least available of the first candidates found after [`RAREST_SAMPLES`] random
    /// starting points.
    pub fn rarest_wanted<R: Rng + ?Sized>(
        &self,
        src: Option<u32>,
        dst: u32,
        range: std::ops::Range<u32>,
        availability: &[u32],
        rng: &mut R,
        skip: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let (from, to) = (range.start, range.end);
        if from >= to {
            return None;
        }
        let mut best: Option<u32> = None;
        for _ in 0..RAREST_SAMPLES {
            let start = rng.gen_range(from..to);
            let found = self
                .first_wanted(src, dst, start, to, &skip)
                .or_else(|| self.first_wanted(src, dst, from, start, &skip));
            match (found, best) {
                (None, _) => return best,
                (Some(p), Some(b)) if availability[p as usize] >= availability[b as usize] => {}
                (Some(p), _) => best = Some(p),
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn wanted_pieces() {
        let mut b = Bitfields::new(200);
        b.push_peer();
        b.push_peer();
        for p in [3, 70, 150, 199] {
            b.set(0, p);
        }
        b.set(1, 70);
        assert_eq!(b.first_wanted(Some(0), 1, 0, 200, |_| false), Some(3));
        assert_eq!(b.first_wanted(Some(0), 1, 4, 200, |_| false), Some(150));
        assert_eq!(b.first_wanted(Some(0), 1, 4, 150, |_| false), None);
        assert_eq!(b.first_wanted(Some(0), 1, 0, 200, |p| p < 160), Some(199));
        let mut all = Vec::new();
        b.for_each(0, |p| all.push(p));
        assert_eq!(all, vec![3, 70, 150, 199]);
        let mut avail = vec![5; 200];
        avail[150] = 1;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        assert_eq!(b.rarest_wanted(Some(0), 1, 0..200, &avail, &mut rng, |_| false), Some(150));
    }
}
