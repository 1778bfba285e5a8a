//! Arbitrary input into the `CacheFile` parser and its date reader: a value or a typed
//! error, never a panic; what is accepted keeps PeerTube's rules (the CacheFile and its
//! copy on the sender's host, a non-negative height and size) and survives a round trip.

use proptest::prelude::*;
use serde_json::{json, Value};
use shoal_protocol::activitypub::cache_file::{format_iso8601, parse_iso8601, CacheFile, CachedCopy};
use shoal_protocol::activitypub::{host_of, Activity};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-2i64..5000).prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "https://m.example/redundancy/videos/u/720",
            "https://m.example/static/redundancy/u-720.mp4",
            "https://o.example/videos/watch/u",
            "http://127.0.0.1:9/x",
            "video/mp4",
            "application/x-mpegURL",
            "Link",
            "CacheFile",
            "2026-12-03T09:00:00.000Z",
            "2026-02-30T09:00:00Z",
            "720",
            "-1",
            "not a url",
            "",
        ])
        .prop_map(Value::from),
        ".{0,16}".prop_map(Value::from),
    ]
}

fn link() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec!["type", "mediaType", "mimeType", "href", "height", "size", "fps", "_:fps"]);
    prop::collection::vec((keys, leaf()), 0..8)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

fn cache_file() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec!["id", "type", "object", "expires", "url"]);
    (prop::collection::vec((keys, leaf()), 0..6), prop::option::of(link()), any::<bool>()).prop_map(
        |(kv, url, typed)| {
            let mut map: serde_json::Map<String, Value> = kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            if typed {
                map.insert("type".into(), json!("CacheFile"));
            }
            if let Some(url) = url {
                map.insert("url".into(), url);
            }
            Value::Object(map)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn cache_files_never_panic_and_keep_peertube_rules(doc in cache_file(), host in prop::sample::select(vec!["m.example", "127.0.0.1:9", "o.example"])) {
        if let Ok(cf) = CacheFile::parse(&doc, host) {
            prop_assert_eq!(host_of(&cf.id), Some(host.to_string()));
            prop_assert_eq!(host_of(cf.url.href()), Some(host.to_string()));
            prop_assert!(host_of(&cf.object).is_some());
            prop_assert_eq!(cf.expires.is_some(), cf.expires_at.is_some());
            if let CachedCopy::VideoFile { fps, .. } = &cf.url {
                prop_assert!(fps.is_none_or(|f| f > 0.0));
            }
            // What Shoal would write back parses to the same object.
            prop_assert_eq!(CacheFile::parse(&cf.to_json(), host).ok(), Some(cf.clone()));
        }
        // Inside an activity, too.
        let activity = json!({ "type": "Create", "id": "https://m.example/a", "actor": "https://m.example/accounts/peertube", "object": doc });
        let _ = Activity::from_value(activity);
    }

    #[test]
    fn dates_never_panic(s in ".{0,40}") {
        if let Some(t) = parse_iso8601(&s) {
            prop_assert!(parse_iso8601(&format_iso8601(t)) == Some(t));
        }
    }

    #[test]
    fn dates_round_trip(t in -62_135_596_800i64..253_402_300_799) {
        prop_assert_eq!(parse_iso8601(&format_iso8601(t)), Some(t));
    }
}
