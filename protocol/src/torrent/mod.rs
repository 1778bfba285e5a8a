//! BitTorrent v1 metainfo (BEP 3, single file) and piece hashing.
//!
//! - [`piece_length_for`] picks a piece size from the file size.
//! - [`PieceHasher`] computes the SHA-1 of every piece while a file streams past.
//! - [`Metainfo`] / [`Info`] model a single-file `.torrent` with `announce`, `announce-list`
//!   (BEP 12) and `url-list` web seeds (BEP 19), and convert to and from bencode.

mod error;
mod hasher;
mod metainfo;

pub use error::TorrentError;
pub use hasher::PieceHasher;
pub use metainfo::{info_hash_of, Info, Metainfo};

/// Smallest piece length [`piece_length_for`] returns: 16 KiB, the BitTorrent block size.
pub const MIN_PIECE_LENGTH: u32 = 16 * 1024;
/// Largest piece length [`piece_length_for`] returns: 16 MiB.
pub const MAX_PIECE_LENGTH: u32 = 16 * 1024 * 1024;
/// [`piece_length_for`] keeps the piece count at or below this many pieces when it can.
pub const TARGET_MAX_PIECES: u64 = 2000;

/// Piece length for a file of `file_size` bytes.
///
/// Rule: the smallest power of two between [`MIN_PIECE_LENGTH`] (16 KiB) and
/// [`MAX_PIECE_LENGTH`] (16 MiB) that cuts the file into at most [`TARGET_MAX_PIECES`] (2000)
/// pieces. Doubling the length halves the count, so files between ~31 MiB and ~31 GiB get
/// 1001..=2000 pieces (in the range common tools such as mktorrent and libtorrent aim for:
/// a `.torrent` of a few tens of KiB and pieces small enough to verify and share early).
/// Smaller files use 16 KiB pieces (fewer pieces); larger ones use 16 MiB (more pieces).
pub fn piece_length_for(file_size: u64) -> u32 {
    let mut length = MIN_PIECE_LENGTH;
    while length < MAX_PIECE_LENGTH && pieces_for(file_size, length) > TARGET_MAX_PIECES {
        length *= 2;
    }
    length
}

/// Number of pieces a file of `length` bytes has with pieces of `piece_length` bytes: the last
/// piece may be shorter; an empty file has none. `piece_length` 0 yields 0.
pub fn pieces_for(length: u64, piece_length: u32) -> u64 {
    if piece_length == 0 {
        return 0;
    }
    length.div_ceil(u64::from(piece_length))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;

    #[test]
    fn piece_length_follows_the_documented_rule() {
        assert_eq!(piece_length_for(0), 16 * 1024);
        assert_eq!(piece_length_for(1), 16 * 1024);
        assert_eq!(piece_length_for(2000 * 16 * KIB), 16 * 1024);
        assert_eq!(piece_length_for(2000 * 16 * KIB + 1), 32 * 1024);
        assert_eq!(piece_length_for(100 * MIB), 64 * 1024);
        assert_eq!(piece_length_for(GIB), 1024 * 1024);
        assert_eq!(piece_length_for(1000 * GIB), 16 * 1024 * 1024);
        assert_eq!(piece_length_for(u64::MAX), 16 * 1024 * 1024);
        for size in [40 * MIB, 300 * MIB, 3 * GIB, 20 * GIB] {
            let count = pieces_for(size, piece_length_for(size));
            assert!((1001..=2000).contains(&count), "{size}: {count} pieces");
        }
        for shift in 0..64 {
            let size = 1u64 << shift;
            let length = piece_length_for(size);
            assert!(length.is_power_of_two());
            assert!((MIN_PIECE_LENGTH..=MAX_PIECE_LENGTH).contains(&length));
        }
    }

    #[test]
    fn pieces_for_rounds_up() {
        assert_eq!(pieces_for(0, 16384), 0);
        assert_eq!(pieces_for(1, 16384), 1);
        assert_eq!(pieces_for(16384, 16384), 1);
        assert_eq!(pieces_for(16385, 16384), 2);
        assert_eq!(pieces_for(10, 0), 0);
    }
}
