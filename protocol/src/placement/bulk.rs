//! Placement of a whole catalogue: every video's top k, gathered per member in a compact
//! compressed-row layout (one `u32` per held copy plus one offset per member).

use super::hrw::{Members, Ranked, VideoDigest};
use super::PlacementError;

/// Which videos each member is placed, as indices into the catalogue given to [`place_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// `offsets[m]..offsets[m + 1]` is member `m`'s range of `videos`.
    offsets: Vec<u32>,
    videos: Vec<u32>,
}

impl Assignment {
    /// The videos (catalogue indices, increasing) placed on member `index` of [`Members::ids`].
    pub fn of_member(&self, index: usize) -> &[u32] {
        match (self.offsets.get(index), self.offsets.get(index + 1)) {
            (Some(&a), Some(&b)) => &self.videos[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Copies placed in all.
    pub fn copies(&self) -> usize {
        self.videos.len()
    }

    /// Heap bytes this assignment holds.
    pub fn heap_bytes(&self) -> usize {
        (self.offsets.capacity() + self.videos.capacity()) * std::mem::size_of::<u32>()
    }
}

/// Places every video of `videos` on its top `k` of `members`. Cost: `videos × members` key
/// computations (a few ns each) and two passes over the result; memory: `4 × k` bytes per
/// video while working, then 4 bytes per copy. `k = 0` is an error; no members gives an
/// assignment with no copies.
pub fn place_all(members: &Members, videos: &[VideoDigest], k: usize) -> Result<Assignment, PlacementError> {
    if k == 0 {
        return Err(PlacementError::ZeroReplicas);
    }
    if videos.len() > u32::MAX as usize {
        return Err(PlacementError::TooLarge);
    }
    let k = k.min(members.len());
    // Per video, its k member indices (u32::MAX where fewer than k members have weight).
    let mut flat = vec![u32::MAX; videos.len() * k];
    let mut counts = vec![0u32; members.len() + 1];
    let mut top: Vec<Ranked> = Vec::with_capacity(k + 1);
    for (v, digest) in videos.iter().enumerate() {
        members.place_among(*digest, k, |_| true, &mut top);
        for (slot, r) in top.iter().enumerate() {
            flat[v * k + slot] = r.index;
            counts[r.index as usize + 1] += 1;
        }
    }
    for m in 1..counts.len() {
        counts[m] += counts[m - 1];
    }
    let offsets = counts;
    let mut cursor = offsets.clone();
    let mut out = vec![0u32; offsets.last().copied().unwrap_or(0) as usize];
    for (v, row) in flat.chunks_exact(k.max(1)).enumerate() {
        for &m in row.iter().filter(|&&m| m != u32::MAX) {
            out[cursor[m as usize] as usize] = v as u32;
            cursor[m as usize] += 1;
        }
    }
    Ok(Assignment { offsets, videos: out })
}
