//! Arbitrary input into every parser: each returns a value or a typed error, never panics.
//! Where a parser accepts, the result is checked for consistency (canonical bencode re-encodes
//! to the same bytes, parsed torrents re-encode to a file with the same info-hash, ranges lie
//! inside the representation and are sorted and disjoint).

mod support;

use proptest::collection::vec;
use proptest::prelude::*;
use shoal_protocol::bencode;
use shoal_protocol::magnet::MagnetLink;
use shoal_protocol::range::{if_range_matches, parse_range, RangeOutcome};
use shoal_protocol::short_uuid;
use shoal_protocol::torrent::{info_hash_of, Metainfo};

/// Bytes of a valid torrent with some bytes changed, inserted or removed: exercises the deep
/// paths that random bytes rarely reach.
fn mutated_torrent() -> impl Strategy<Value = Vec<u8>> {
    let edits = vec((any::<u8>(), any::<prop::sample::Index>(), any::<u8>()), 1..6);
    (support::metainfo(), edits).prop_map(|(m, edits)| {
        let mut bytes = m.to_bytes();
        for (kind, at, byte) in edits {
            let i = at.index(bytes.len() + 1);
            match kind % 3 {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ => {}
            }
        }
        bytes
    })
}

fn check_bencode(bytes: &[u8]) {
    if let Ok(value) = bencode::decode(bytes) {
        assert_eq!(bencode::encode(&value), bytes, "accepted input must be canonical");
    }
    let _ = bencode::raw_dict_value(bytes, b"info");
}

fn check_torrent(bytes: &[u8]) {
    if let Ok(m) = Metainfo::from_bytes(bytes) {
        assert_eq!(info_hash_of(bytes), Ok(m.info_hash()));
        assert_eq!(Metainfo::from_bytes(&m.to_bytes()).as_ref(), Ok(&m));
    }
}

fn check_range(header: &str, len: u64) {
    if let RangeOutcome::Satisfiable(ranges) = parse_range(header, len) {
        assert!(!ranges.is_empty() && ranges.len() <= shoal_protocol::range::MAX_RANGES);
        for pair in ranges.windows(2) {
            assert!(pair[0].end_inclusive + 1 < pair[1].start, "sorted and disjoint: {header:?}");
        }
        for r in ranges {
            assert!(r.start <= r.end_inclusive && r.end_inclusive < len, "{header:?} {len}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn bencode_never_panics(bytes in vec(any::<u8>(), 0..256)) {
        check_bencode(&bytes);
    }

    #[test]
    fn bencode_like_bytes_never_panic(text in "[idle0-9:-]{0,64}") {
        check_bencode(text.as_bytes());
        check_torrent(text.as_bytes());
    }

    #[test]
    fn torrent_never_panics(bytes in vec(any::<u8>(), 0..256)) {
        check_torrent(&bytes);
    }

    #[test]
    fn magnet_never_panics(text in any::<String>()) {
        let _ = MagnetLink::parse(&text);
        let _ = MagnetLink::parse(&format!("magnet:?{text}"));
    }

    #[test]
    fn magnet_like_text_never_panics(text in "magnet:\\?((xt=urn:btih:|dn=|tr=|ws=|&|%|[0-9a-zA-Z]|\u{e9}){0,24})") {
        if let Ok(link) = MagnetLink::parse(&text) {
            prop_assert_eq!(MagnetLink::parse(&link.to_uri()), Ok(link));
        }
    }

    #[test]
    fn short_uuid_never_panics(text in any::<String>()) {
        if let Some(uuid) = short_uuid::decode(&text) {
            prop_assert_eq!(short_uuid::decode(&short_uuid::encode(uuid)), Some(uuid));
        }
    }

    #[test]
    fn short_uuid_alphabet_text_never_panics(text in "[0-9a-zA-Z]{0,24}") {
        let _ = short_uuid::decode(&text);
    }

    #[test]
    fn range_never_panics(text in any::<String>(), len in any::<u64>()) {
        check_range(&text, len);
        check_range(&format!("bytes={text}"), len);
    }

    #[test]
    fn range_like_text_never_panics(text in "[bytesBYTES= ,\t0-9-]{0,48}", len in prop_oneof![0u64..64, any::<u64>()]) {
        check_range(&text, len);
    }

    #[test]
    fn if_range_never_panics(text in any::<String>(), etag in proptest::option::of(any::<String>()), secs in proptest::option::of(any::<u64>())) {
        let _ = if_range_matches(&text, etag.as_deref(), secs);
        let _ = if_range_matches(&format!("\"{text}\""), etag.as_deref(), secs);
        let _ = if_range_matches(&format!("Sun, 06 Nov {text} GMT"), etag.as_deref(), secs);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    #[test]
    fn mutated_torrents_never_panic(bytes in mutated_torrent()) {
        check_bencode(&bytes);
        check_torrent(&bytes);
    }
}
