//! proptest strategies shared by the protocol test files (not a test target itself).
#![allow(dead_code)]

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use shoal_protocol::bencode::Value;
use shoal_protocol::torrent::{pieces_for, Info, Metainfo};

/// Any bencode value, a few levels deep.
pub fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![any::<i64>().prop_map(Value::Int), vec(any::<u8>(), 0..24).prop_map(Value::Bytes),];
    leaf.prop_recursive(5, 96, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::List),
            btree_map(vec(any::<u8>(), 0..8), inner, 0..6).prop_map(Value::Dict),
        ]
    })
}

/// A safe single-component file name.
pub fn file_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._()éü-]{1,40}".prop_filter("not . or ..", |n| n != "." && n != "..")
}

/// A consistent single-file info dictionary (piece count = ceil(length / piece length)).
pub fn info() -> impl Strategy<Value = Info> {
    let piece_length = prop_oneof![(0u32..=24).prop_map(|k| 1u32 << k), 1u32..=u32::MAX];
    (file_name(), piece_length, 0u64..40)
        .prop_flat_map(|(name, piece_length, count)| {
            let pl = u64::from(piece_length);
            let lengths = if count == 0 { 0..=0 } else { ((count - 1) * pl + 1)..=(count * pl) };
            (Just(name), Just(piece_length), lengths)
        })
        .prop_flat_map(|(name, piece_length, length)| {
            let count = pieces_for(length, piece_length) as usize;
            (Just(name), Just(piece_length), vec(any::<[u8; 20]>(), count), Just(length))
        })
        .prop_map(|(name, piece_length, pieces, length)| Info { name, piece_length, pieces, length })
}

/// Any metainfo Shoal can write.
pub fn metainfo() -> impl Strategy<Value = Metainfo> {
    let text = || any::<String>();
    (
        proptest::option::of(text()),
        vec(vec(text(), 0..3), 0..3),
        vec(text(), 0..3),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(any::<i64>()),
        info(),
    )
        .prop_map(|(announce, announce_list, url_list, comment, created_by, creation_date, info)| Metainfo {
            announce,
            announce_list,
            url_list,
            comment,
            created_by,
            creation_date,
            info,
        })
}
