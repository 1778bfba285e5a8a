//! PeerTube's `segments-sha256.json`: for each fragmented MP4 of a video, the SHA-256 of every
//! byte range its playlist names, as `{ "{file}": { "{first}-{last}": "{hex}" } }` (last byte
//! inclusive, the init segment not listed). PeerTube's player checks each segment it gets
//! from a peer against it before using it.

use super::index::FragmentIndex;
use std::collections::BTreeMap;

/// The JSON document for `(file name, index)` pairs.
pub fn document<'a>(files: impl IntoIterator<Item = (String, &'a FragmentIndex)>) -> serde_json::Value {
    let map: BTreeMap<String, BTreeMap<String, String>> = files
        .into_iter()
        .map(|(name, index)| {
            let ranges =
                index.segments.iter().map(|s| (format!("{}-{}", s.offset, s.last_byte()), s.sha256.clone())).collect();
            (name, ranges)
        })
        .collect();
    serde_json::json!(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hls::index::Segment;

    #[test]
    fn ranges_are_inclusive_and_keyed_by_file() {
        let index = FragmentIndex {
            init_length: 10,
            segments: vec![Segment { offset: 10, length: 5, duration_secs: 1.0, sha256: "ab".into() }],
            codecs: String::new(),
        };
        let doc = document([("u-240-fragmented.mp4".to_owned(), &index)]);
        assert_eq!(doc, serde_json::json!({"u-240-fragmented.mp4": {"10-14": "ab"}}));
    }
}
