//! Incremental SHA-1 of a byte stream cut into fixed-size pieces.

use sha1::{Digest, Sha1};

/// Hashes a stream piece by piece: feed it the file's bytes in any chunking with
/// [`PieceHasher::update`], then [`PieceHasher::finish`] returns one SHA-1 per piece (the last
/// piece may be shorter; an empty stream has no pieces).
#[derive(Clone)]
pub struct PieceHasher {
    piece_length: usize,
    current: Sha1,
    filled: usize,
    pieces: Vec<[u8; 20]>,
    total: u64,
}

impl PieceHasher {
    /// A hasher for pieces of `piece_length` bytes.
    ///
    /// # Panics
    /// If `piece_length` is 0 (a programming error: use [`super::piece_length_for`]).
    pub fn new(piece_length: u32) -> PieceHasher {
        assert!(piece_length > 0, "piece length must be positive");
        PieceHasher {
            piece_length: piece_length as usize,
            current: Sha1::new(),
            filled: 0,
            pieces: Vec::new(),
            total: 0,
        }
    }

    /// Feeds the next bytes of the stream.
    pub fn update(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        while !data.is_empty() {
            let take = (self.piece_length - self.filled).min(data.len());
            self.current.update(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled == self.piece_length {
                self.pieces.push(self.current.finalize_reset().into());
                self.filled = 0;
            }
        }
    }

    /// Bytes fed so far (the file length once everything was fed).
    pub fn bytes_hashed(&self) -> u64 {
        self.total
    }

    /// Completes the last (possibly short) piece and returns every piece hash in order.
    pub fn finish(mut self) -> Vec<[u8; 20]> {
        if self.filled > 0 {
            self.pieces.push(self.current.finalize().into());
        }
        self.pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha1(data: &[u8]) -> [u8; 20] {
        Sha1::digest(data).into()
    }

    #[test]
    fn splits_into_pieces_whatever_the_chunking() {
        let data: Vec<u8> = (0..100u32).map(|i| (i * 7) as u8).collect();
        let expected = vec![sha1(&data[0..32]), sha1(&data[32..64]), sha1(&data[64..96]), sha1(&data[96..])];
        for chunk in [1, 3, 32, 33, 100] {
            let mut hasher = PieceHasher::new(32);
            for part in data.chunks(chunk) {
                hasher.update(part);
            }
            assert_eq!(hasher.bytes_hashed(), 100);
            assert_eq!(hasher.finish(), expected, "chunk {chunk}");
        }
    }

    #[test]
    fn exact_multiple_and_empty() {
        let mut hasher = PieceHasher::new(4);
        hasher.update(b"abcdefgh");
        assert_eq!(hasher.finish(), vec![sha1(b"abcd"), sha1(b"efgh")]);
        assert!(PieceHasher::new(4).finish().is_empty());
        let mut hasher = PieceHasher::new(4);
        hasher.update(b"");
        assert!(hasher.finish().is_empty());
    }
}
