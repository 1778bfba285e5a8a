//! Bencode (BEP 3): the [`Value`] tree, a canonical encoder and a strict decoder.
//!
//! The decoder accepts only canonical bencode: dictionary keys sorted as raw byte strings and
//! unique, integers without leading zeros or `-0`, nothing after the top-level value, nesting
//! at most [`MAX_DEPTH`] deep. Because of that, `encode(&decode(bytes)?) == bytes` for every
//! input the decoder accepts, so a hash over re-encoded data equals the hash over the original.
//! String lengths are checked against the remaining input before anything is allocated, so a
//! hostile length prefix cannot make the decoder reserve memory.
//!
//! [`raw_dict_value`] returns the exact bytes of one top-level dictionary value (the info-hash
//! of a torrent is the SHA-1 of its `info` value as found in the file).

mod decode;
mod encode;
mod value;

pub use decode::{decode, raw_dict_value, BencodeError, MAX_DEPTH};
pub use encode::{encode, encode_into};
pub use value::Value;
