//! The tracker's wire formats: announce/scrape queries with binary info-hashes,
//! compact and dict peer lists, WebTorrent frames; arbitrary input never panics.

use std::net::SocketAddr;

use percent_encoding::{percent_encode, NON_ALPHANUMERIC};
use proptest::prelude::*;
use shoal_protocol::bencode::{decode, Value};
use shoal_protocol::tracker::http::{self, HttpPeer, QueryError};
use shoal_protocol::tracker::ws::{bytes_binary_string, incoming, outgoing};
use shoal_protocol::tracker::{AnnounceEvent, PeerId, SwarmCounts};

fn query(hash: &[u8; 20], peer: &[u8; 20], extra: &str) -> String {
    format!(
        "info_hash={}&peer_id={}&port=6881&uploaded=0&downloaded=0&left=100{extra}",
        percent_encode(hash, NON_ALPHANUMERIC),
        percent_encode(peer, NON_ALPHANUMERIC)
    )
}

proptest! {
    #[test]
    fn announce_queries_carry_any_binary_hash(hash in any::<[u8; 20]>(), peer in any::<[u8; 20]>(), numwant in 0usize..500) {
        let q = query(&hash, &peer, &format!("&event=started&numwant={numwant}&compact=0"));
        let parsed = http::parse_announce(q.as_bytes()).unwrap();
        prop_assert_eq!(parsed.info_hash, hash);
        prop_assert_eq!(parsed.peer_id, PeerId(peer));
        prop_assert_eq!(parsed.event, AnnounceEvent::Started);
        prop_assert_eq!(parsed.numwant, Some(numwant));
        prop_assert!(!parsed.compact);
    }

    #[test]
    fn arbitrary_queries_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = http::parse_announce(&bytes);
        let _ = http::parse_scrape(&bytes);
    }

    #[test]
    fn arbitrary_frames_never_panic(text in ".{0,400}") {
        let _ = incoming::parse(&text);
        let _ = incoming::info_hash_of(&text);
    }

    #[test]
    fn binary_strings_survive_json(hash in any::<[u8; 20]>(), peer in any::<[u8; 20]>()) {
        let frame = format!(
            r#"{{"action":"announce","info_hash":{},"peer_id":{},"left":0,"numwant":3,"offers":[{{"offer":{{"type":"offer","sdp":"x"}},"offer_id":"abc"}}]}}"#,
            serde_json::to_string(&bytes_binary_string(&hash)).unwrap(),
            serde_json::to_string(&bytes_binary_string(&peer)).unwrap(),
        );
        let incoming::InMessage::Announce(a) = incoming::parse(&frame).unwrap() else { panic!("not an announce") };
        prop_assert_eq!(a.info_hash, hash);
        prop_assert_eq!(a.peer_id, PeerId(peer));
        prop_assert!(a.seeder);
        prop_assert_eq!(a.offers.len(), 1);
        // What we relay parses back to the same hash and peer id, with the offer untouched.
        let relayed = outgoing::offer(&hash, &PeerId(peer), &a.offers[0].offer_id, a.offers[0].offer);
        let v: serde_json::Value = serde_json::from_str(&relayed).unwrap();
        prop_assert_eq!(&v["offer"]["sdp"], "x");
        prop_assert_eq!(incoming::info_hash_of(&relayed), Some(hash));
    }
}

#[test]
fn missing_and_malformed_parameters_are_named() {
    assert_eq!(http::parse_announce(b"peer_id=x"), Err(QueryError::NotTwentyBytes("peer_id")));
    let q = query(&[1; 20], &[2; 20], "&port=99999");
    assert_eq!(http::parse_announce(q.as_bytes()), Err(QueryError::BadNumber("port")));
    let q = query(&[1; 20], &[2; 20], "&event=bogus");
    assert!(matches!(http::parse_announce(q.as_bytes()), Err(QueryError::BadEvent(_))));
    assert_eq!(http::parse_scrape(b""), Err(QueryError::Missing("info_hash")));
    let many = (0..65).map(|_| format!("info_hash={}", "%01".repeat(20))).collect::<Vec<_>>().join("&");
    assert_eq!(http::parse_scrape(many.as_bytes()), Err(QueryError::TooManyHashes));
}

#[test]
fn compact_replies_split_ipv4_and_ipv6() {
    let peers = [
        HttpPeer { id: PeerId([1; 20]), addr: "10.0.0.1:6881".parse::<SocketAddr>().unwrap() },
        HttpPeer { id: PeerId([2; 20]), addr: "[2001:db8::1]:51413".parse::<SocketAddr>().unwrap() },
    ];
    let counts = SwarmCounts { seeders: 1, leechers: 2, completed: 3 };
    let reply = decode(&http::announce_reply(counts, 120, 60, &peers, true, false)).unwrap();
    assert_eq!(reply.get(b"peers"), Some(&Value::Bytes(vec![10, 0, 0, 1, 0x1a, 0xe1])));
    let v6 = reply.get(b"peers6").and_then(Value::as_bytes).unwrap();
    assert_eq!(v6.len(), 18);
    assert_eq!(&v6[16..], &51413u16.to_be_bytes());
    assert_eq!(reply.get(b"complete").and_then(Value::as_int), Some(1));
    assert_eq!(reply.get(b"incomplete").and_then(Value::as_int), Some(2));

    let listed = decode(&http::announce_reply(counts, 120, 60, &peers, false, false)).unwrap();
    let list = listed.get(b"peers").and_then(Value::as_list).unwrap();
    assert_eq!(list[1].get(b"ip").and_then(Value::as_str), Some("2001:db8::1"));
    assert_eq!(list[0].get(b"peer id").and_then(Value::as_bytes), Some(&[1u8; 20][..]));
}

#[test]
fn websocket_messages_are_recognised() {
    let hash = bytes_binary_string(&[0xab; 20]);
    let peer = serde_json::to_string(&bytes_binary_string(&[0x01; 20])).unwrap();
    let answer = format!(
        r#"{{"action":"announce","info_hash":"{hash}","peer_id":{peer},"to_peer_id":{peer},"offer_id":"o1","answer":{{"type":"answer","sdp":"y"}}}}"#
    );
    assert!(matches!(incoming::parse(&answer), Ok(incoming::InMessage::Answer(_))));
    let scrape = format!(r#"{{"action":"scrape","info_hash":["{hash}","{hash}"]}}"#);
    let Ok(incoming::InMessage::Scrape(s)) = incoming::parse(&scrape) else { panic!("scrape") };
    assert_eq!(s.info_hashes, vec![[0xab; 20]; 2]);
    assert!(matches!(incoming::parse(r#"{"action":"dance"}"#), Err(incoming::WsParseError::UnknownAction(_))));
    assert!(matches!(incoming::parse("not json"), Err(incoming::WsParseError::Json(_))));
    let short = r#"{"action":"announce","info_hash":"abc","peer_id":"x"}"#;
    assert!(matches!(incoming::parse(short), Err(incoming::WsParseError::NotTwentyBytes("info_hash"))));
    let wide = format!(r#"{{"action":"announce","info_hash":"{}","peer_id":{peer}}}"#, "é€".repeat(10));
    assert!(incoming::parse(&wide).is_err(), "characters above U+00FF are not bytes");
    let failure = outgoing::failure(Some("announce"), Some(&[0xab; 20]), "nope");
    let v: serde_json::Value = serde_json::from_str(&failure).unwrap();
    assert_eq!(v["failure reason"], "nope");
}
