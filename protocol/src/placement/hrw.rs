//! Weighted rendezvous hashing (HRW, Thaler & Ravishankar 1998; weighted form of Schindelhauer
//! & Schomaker 2005): member `m` scores video `v` as `w_m / -ln(h(m, v))` with `h` uniform in
//! (0, 1); the k highest scores hold the video. Equivalently the k smallest `-ln(h) / w`, an
//! exponential race, which is what is computed (the [`Ranked::key`]).
//!
//! Properties: the answer depends only on the set of (id, weight) pairs, never on their order;
//! removing a member only replaces it where it was placed; adding one only moves videos to it.
//! Exact ties (equal keys) go to the smaller id. Members of weight 0 are never placed.
//!
//! The hash: SHA-256 (already a dependency, stable forever, uniform) of a domain tag and the
//! member id gives a 64-bit member seed once; SHA-256 of the video key gives a 64-bit video
//! digest once; the pair is then mixed with two rounds of the SplitMix64 finalizer (Stafford's
//! Mix13 constants, written out here because crates of fast hashes such as rustc-hash promise
//! no stable output across versions). So a catalogue of V videos over M members costs V + M
//! SHA-256 and V·M cheap mixes. `ln` is `libm::log` (a pure-Rust port of musl) so that every
//! platform computes bit-identical keys and therefore the same ranking.

use std::fmt;

use sha2::{Digest, Sha256};

use super::PlacementError;

/// A member of the federation: its libp2p peer id as bytes (or any stable id).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemberId(pub Box<[u8]>);

impl MemberId {
    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for MemberId {
    fn from(s: &str) -> Self {
        MemberId(s.as_bytes().into())
    }
}

impl From<Vec<u8>> for MemberId {
    fn from(v: Vec<u8>) -> Self {
        MemberId(v.into_boxed_slice())
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(s) => f.write_str(s),
            Err(_) => f.write_str(&hex::encode(&self.0)),
        }
    }
}

impl fmt::Debug for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberId({self})")
    }
}

/// A live trusted member and its weight (`capacity_bytes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: MemberId,
    pub weight: u64,
}

/// The 64-bit digest of a video key (its uuid or origin URL), computed once per video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VideoDigest(pub u64);

impl VideoDigest {
    /// The digest of `key`.
    pub fn of(key: &[u8]) -> Self {
        VideoDigest(tagged_u64(b"shoal/placement/video\0", key))
    }
}

/// One placed member: its index in [`Members::ids`] and its race key (smaller is better).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub index: u32,
    pub key: f64,
}

/// A member list prepared for placement: sorted by id, seeds computed.
#[derive(Debug, Clone)]
pub struct Members {
    ids: Vec<MemberId>,
    weights: Vec<u64>,
    seeds: Vec<u64>,
    inv_weights: Vec<f64>,
}

impl Members {
    /// Prepares `members` (any order). A duplicate id is an error.
    pub fn new(members: impl IntoIterator<Item = Member>) -> Result<Self, PlacementError> {
        let mut list: Vec<Member> = members.into_iter().collect();
        if list.len() > u32::MAX as usize {
            return Err(PlacementError::TooLarge);
        }
        list.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(w) = list.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(PlacementError::DuplicateMember(w[0].id.to_string()));
        }
        let seeds = list.iter().map(|m| tagged_u64(b"shoal/placement/member\0", m.id.as_bytes())).collect();
        let inv_weights = list.iter().map(|m| if m.weight == 0 { 0.0 } else { 1.0 / m.weight as f64 }).collect();
        let weights = list.iter().map(|m| m.weight).collect();
        Ok(Members { ids: list.into_iter().map(|m| m.id).collect(), weights, seeds, inv_weights })
    }

    /// The ids, sorted; [`Ranked::index`] points here.
    pub fn ids(&self) -> &[MemberId] {
        &self.ids
    }

    /// The weights, in the order of [`Members::ids`].
    pub fn weights(&self) -> &[u64] {
        &self.weights
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// No members.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The race key of member `index` for `video` (smaller wins; `+inf` for weight 0).
    #[inline]
    pub fn key(&self, index: usize, video: VideoDigest) -> f64 {
        let inv = self.inv_weights[index];
        if inv == 0.0 {
            return f64::INFINITY;
        }
        let h = pair_hash(self.seeds[index], video.0);
        // 53 random bits, centred in their cell: uniform on (0, 1), never 0 or 1.
        let u = ((h >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
        -libm::log(u) * inv
    }

    /// The top `k` members for `video` among those for which `eligible(index)` holds, best
    /// first, written into `out` (cleared). Fewer than `k` when fewer are eligible.
    pub fn place_among(&self, video: VideoDigest, k: usize, eligible: impl Fn(usize) -> bool, out: &mut Vec<Ranked>) {
        out.clear();
        if k == 0 {
            return;
        }
        let mut worst = f64::INFINITY;
        for i in 0..self.ids.len() {
            if self.inv_weights[i] == 0.0 || !eligible(i) {
                continue;
            }
            let key = self.key(i, video);
            // Members are scanned in id order, so an equal key never displaces an earlier id.
            if out.len() == k && key >= worst {
                continue;
            }
            let at = out.partition_point(|r| r.key <= key);
            out.insert(at, Ranked { index: i as u32, key });
            out.truncate(k);
            if out.len() == k {
                worst = out[k - 1].key;
            }
        }
    }

    /// The top `k` members for `video`, best first.
    pub fn place(&self, video: VideoDigest, k: usize) -> Vec<MemberId> {
        let mut out = Vec::with_capacity(k);
        self.place_among(video, k, |_| true, &mut out);
        out.iter().map(|r| self.ids[r.index as usize].clone()).collect()
    }
}

/// The top `k` of `members` for `video_key`, best first: the interface the node calls. No
/// members (or none with weight) gives an empty list; `k = 0` and duplicate ids are errors.
pub fn place(video_key: &[u8], members: &[Member], k: usize) -> Result<Vec<MemberId>, PlacementError> {
    if k == 0 {
        return Err(PlacementError::ZeroReplicas);
    }
    Ok(Members::new(members.iter().cloned())?.place(VideoDigest::of(video_key), k))
}

fn tagged_u64(tag: &[u8], bytes: &[u8]) -> u64 {
    let digest = Sha256::new().chain_update(tag).chain_update(bytes).finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// SplitMix64's finalizer with Stafford's Mix13 constants: a bijection with full avalanche.
#[inline]
fn mix13(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The pair hash: two rounds, the second keyed by the member again, so that xor-translates of
/// one video digest do not map members' hashes onto each other.
#[inline]
fn pair_hash(seed: u64, video: u64) -> u64 {
    mix13(mix13(seed ^ video) ^ seed.rotate_left(32))
}
