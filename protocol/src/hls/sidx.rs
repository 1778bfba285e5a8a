//! The segment index box (`sidx`, ISO/IEC 14496-12 §8.16.3) placed between a fragmented MP4's
//! `moov` and its first `moof`: one reference per fragment (its size in bytes and its
//! duration), so a progressive player (a `<video src>`, webtorrent's stream) knows the
//! duration and where to seek without reading the whole file. HLS players ignore it: the
//! playlists name only the init segment and the fragments.

/// One fragment as the index lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    /// Bytes of the fragment (`moof` + `mdat`).
    pub size: u64,
    /// Duration in the index's timescale.
    pub duration: u64,
}

/// Why an index cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SidxError {
    #[error("a fragment of {0} bytes is too large for a segment index (2 GiB at most)")]
    FragmentTooLarge(u64),
    #[error("a fragment lasting {0} ticks is too long for a segment index")]
    FragmentTooLong(u64),
    #[error("{0} fragments are too many for one segment index (65535 at most)")]
    TooManyFragments(usize),
}

/// Size of the box for `n` references.
pub fn box_size(n: usize) -> usize {
    40 + 12 * n
}

/// A version-1 `sidx` of track `reference_id`, whose first fragment starts right after it.
pub fn build(
    reference_id: u32,
    timescale: u32,
    earliest_presentation_time: u64,
    references: &[Reference],
) -> Result<Vec<u8>, SidxError> {
    let count = u16::try_from(references.len()).map_err(|_| SidxError::TooManyFragments(references.len()))?;
    let size = box_size(references.len());
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&(size as u32).to_be_bytes());
    out.extend_from_slice(b"sidx");
    out.extend_from_slice(&0x0100_0000_u32.to_be_bytes()); // version 1, flags 0
    out.extend_from_slice(&reference_id.to_be_bytes());
    out.extend_from_slice(&timescale.to_be_bytes());
    out.extend_from_slice(&earliest_presentation_time.to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes()); // first_offset: the first fragment follows
    out.extend_from_slice(&0u16.to_be_bytes()); // reserved
    out.extend_from_slice(&count.to_be_bytes());
    for r in references {
        let size = u32::try_from(r.size).ok().filter(|s| *s < 1 << 31).ok_or(SidxError::FragmentTooLarge(r.size))?;
        let duration = u32::try_from(r.duration).map_err(|_| SidxError::FragmentTooLong(r.duration))?;
        out.extend_from_slice(&size.to_be_bytes()); // reference_type 0 (media)
        out.extend_from_slice(&duration.to_be_bytes());
        out.extend_from_slice(&0x9000_0000_u32.to_be_bytes()); // starts with SAP type 1
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_of_a_two_fragment_index() {
        let refs = [Reference { size: 1000, duration: 180_000 }, Reference { size: 7, duration: 90_000 }];
        let b = build(1, 90_000, 0, &refs).unwrap();
        assert_eq!(b.len(), box_size(2));
        assert_eq!(&b[0..4], &(64u32).to_be_bytes());
        assert_eq!(&b[4..8], b"sidx");
        assert_eq!(b[8], 1);
        assert_eq!(&b[16..20], &90_000u32.to_be_bytes());
        assert_eq!(&b[38..40], &2u16.to_be_bytes());
        assert_eq!(&b[40..44], &1000u32.to_be_bytes());
        assert_eq!(&b[44..48], &180_000u32.to_be_bytes());
        assert_eq!(&b[48..52], &0x9000_0000u32.to_be_bytes());
    }

    #[test]
    fn refuses_what_does_not_fit() {
        assert_eq!(
            build(1, 1, 0, &[Reference { size: 1 << 31, duration: 1 }]),
            Err(SidxError::FragmentTooLarge(1 << 31))
        );
        assert!(matches!(
            build(1, 1, 0, &vec![Reference { size: 1, duration: 1 }; 70_000]),
            Err(SidxError::TooManyFragments(_))
        ));
    }
}
