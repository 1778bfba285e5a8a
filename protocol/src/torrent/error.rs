//! Why bytes are not a `.torrent` Shoal can use.

use crate::bencode::BencodeError;

/// Errors of [`super::Metainfo::from_bytes`] and [`super::info_hash_of`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TorrentError {
    /// The bytes are not canonical bencode (see the inner error for offset and cause). The file
    /// is truncated, corrupt, or written by a non-conforming encoder.
    #[error("not canonical bencode: {0}")]
    Bencode(#[from] BencodeError),
    /// A required key is absent (`info`, `name`, `piece length`, `pieces` or `length`). The
    /// file is not a complete single-file BEP 3 torrent.
    #[error("missing key `{key}`")]
    MissingKey {
        /// The key.
        key: &'static str,
    },
    /// A key holds the wrong kind of value (e.g. `length` as a string).
    #[error("`{key}` should be {expected}, found {found}")]
    WrongType {
        /// The key (`(root)` for the top level).
        key: &'static str,
        /// What BEP 3 says it holds.
        expected: &'static str,
        /// What it holds.
        found: &'static str,
    },
    /// A text field (name, URL, comment...) is not UTF-8. Shoal keeps them as `String`s.
    #[error("`{key}` is not valid UTF-8")]
    NotUtf8 {
        /// The key.
        key: &'static str,
    },
    /// The info dictionary has `files`: a multi-file torrent. Shoal serves one file per torrent.
    #[error("multi-file torrents are not supported")]
    MultiFile,
    /// The info dictionary has a key Shoal's [`super::Info`] cannot keep (e.g. `private`,
    /// `meta version`). Dropping it would change the info-hash, so the torrent is refused; use
    /// [`super::info_hash_of`] to only hash it.
    #[error("unsupported key `{key}` in the info dictionary")]
    UnsupportedInfoKey {
        /// The key, lossily decoded.
        key: String,
    },
    /// `piece length` is zero, negative or larger than `u32::MAX`.
    #[error("invalid piece length {value}")]
    InvalidPieceLength {
        /// The value found.
        value: i64,
    },
    /// `length` is negative.
    #[error("invalid length {value}")]
    InvalidLength {
        /// The value found.
        value: i64,
    },
    /// `pieces` is not a whole number of 20-byte SHA-1 hashes: truncated or corrupt.
    #[error("`pieces` is {len} bytes, not a multiple of 20")]
    PiecesNotMultipleOf20 {
        /// Its length in bytes.
        len: usize,
    },
    /// The number of hashes in `pieces` does not match `length` / `piece length` (rounded up).
    #[error("`pieces` holds {found} hashes but length and piece length need {expected}")]
    PieceCountMismatch {
        /// ceil(length / piece length).
        expected: u64,
        /// Hashes present.
        found: usize,
    },
    /// `name` is empty, `.`, `..`, or contains `/`, `\` or NUL: it could not be used safely as
    /// a file name.
    #[error("unsafe file name {name:?}")]
    InvalidName {
        /// The name found.
        name: String,
    },
}
