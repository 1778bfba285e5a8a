//! Property round-trips of every protocol format: encode then parse gives back the input.

mod support;

use proptest::prelude::*;
use sha1::{Digest, Sha1};
use shoal_protocol::bencode;
use shoal_protocol::magnet::MagnetLink;
use shoal_protocol::range::{parse_range, ByteRange, RangeOutcome};
use shoal_protocol::short_uuid;
use shoal_protocol::torrent::{info_hash_of, Metainfo};
use support::{metainfo, value};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn bencode_value_round_trips(v in value()) {
        let bytes = bencode::encode(&v);
        prop_assert_eq!(bencode::decode(&bytes), Ok(v));
    }

    #[test]
    fn metainfo_round_trips_with_a_stable_info_hash(m in metainfo()) {
        let bytes = m.to_bytes();
        let parsed = Metainfo::from_bytes(&bytes);
        prop_assert_eq!(parsed.as_ref(), Ok(&m));
        let raw_info = bencode::raw_dict_value(&bytes, b"info").unwrap().unwrap();
        let raw_hash: [u8; 20] = Sha1::digest(raw_info).into();
        prop_assert_eq!(m.info_hash(), raw_hash);
        prop_assert_eq!(parsed.unwrap().info_hash(), raw_hash);
        prop_assert_eq!(info_hash_of(&bytes), Ok(raw_hash));
        prop_assert_eq!(m.to_bytes(), bytes);
    }

    #[test]
    fn magnet_round_trips(
        info_hash in any::<[u8; 20]>(),
        display_name in proptest::option::of(any::<String>()),
        trackers in proptest::collection::vec(any::<String>(), 0..4),
        web_seeds in proptest::collection::vec(any::<String>(), 0..4),
        exact_sources in proptest::collection::vec(any::<String>(), 0..2),
    ) {
        let link = MagnetLink { info_hash, display_name, trackers, web_seeds, exact_sources };
        let uri = link.to_uri();
        prop_assert!(uri.is_ascii());
        prop_assert_eq!(MagnetLink::parse(&uri), Ok(link));
    }

    #[test]
    fn short_uuid_round_trips(n in any::<u128>()) {
        let uuid = uuid::Uuid::from_u128(n);
        let short = short_uuid::encode(uuid);
        prop_assert_eq!(short.len(), short_uuid::LENGTH);
        prop_assert_eq!(short_uuid::decode(&short), Some(uuid));
        // Unpadded (pre-4.0 short-uuid) spelling decodes to the same UUID.
        let unpadded = short.trim_start_matches('1');
        if !unpadded.is_empty() {
            prop_assert_eq!(short_uuid::decode(unpadded), Some(uuid));
        }
    }

    #[test]
    fn range_matches_the_model(
        len in 0u64..3000,
        specs in proptest::collection::vec(spec(), 1..=16),
        pad in proptest::collection::vec("[ \t]{0,2}", 34),
    ) {
        let mut header = format!("{}bytes{}={}", pad[32], pad[33], pad[0]);
        for (i, s) in specs.iter().enumerate() {
            if i > 0 {
                header.push_str(&pad[2 * i]);
                header.push(',');
                header.push_str(&pad[2 * i + 1]);
            }
            header.push_str(&s.text());
        }
        prop_assert_eq!(parse_range(&header, len), model(&specs, len), "header {:?}", header);
    }
}

#[derive(Debug, Clone)]
enum Spec {
    FromTo(u64, u64),
    From(u64),
    Suffix(u64),
}

impl Spec {
    fn text(&self) -> String {
        match self {
            Spec::FromTo(a, b) => format!("{a}-{b}"),
            Spec::From(a) => format!("{a}-"),
            Spec::Suffix(n) => format!("-{n}"),
        }
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (0u64..3500, 0u64..400).prop_map(|(a, d)| Spec::FromTo(a, a + d)),
        (0u64..3500).prop_map(Spec::From),
        (0u64..3500).prop_map(Spec::Suffix),
    ]
}

/// Straightforward reading of RFC 9110 §14.1.2 over a bitmap of the requested bytes.
fn model(specs: &[Spec], len: u64) -> RangeOutcome {
    if len == 0 {
        let suffix = specs.iter().any(|s| matches!(s, Spec::Suffix(n) if *n > 0));
        return if suffix { RangeOutcome::Ignore } else { RangeOutcome::Unsatisfiable };
    }
    let mut wanted = vec![false; len as usize];
    for s in specs {
        let (start, end) = match *s {
            Spec::FromTo(a, b) => (a, b.min(len - 1)),
            Spec::From(a) => (a, len - 1),
            Spec::Suffix(n) => (len.saturating_sub(n), if n == 0 { 0 } else { len - 1 }),
        };
        let satisfiable = match s {
            Spec::Suffix(n) => *n > 0,
            _ => start < len,
        };
        if satisfiable {
            for byte in start..=end {
                wanted[byte as usize] = true;
            }
        }
    }
    let mut runs = Vec::new();
    let mut i = 0;
    while i < wanted.len() {
        if wanted[i] {
            let start = i;
            while i < wanted.len() && wanted[i] {
                i += 1;
            }
            runs.push(ByteRange { start: start as u64, end_inclusive: i as u64 - 1 });
        } else {
            i += 1;
        }
    }
    if runs.is_empty() {
        RangeOutcome::Unsatisfiable
    } else {
        RangeOutcome::Satisfiable(runs)
    }
}
