//! The WebTorrent tracker over WebSocket, as the bittorrent-tracker client speaks
//! it: offers relayed to other peers and answers back to the offerer, counts,
//! `stopped`, scrape over the socket, several swarms on one socket, peers leaving
//! when their socket closes. Bad input: garbage, unknown actions, binary and
//! oversized frames, answers to peers that left, 10,000 announces from one
//! address; each gets a clear `failure reason` and other peers carry on. A swarm
//! actor made to fail is restarted while the other swarms keep answering.
//! (webtorrent itself, in Chromium, is exercised by the browser tests.)

use serde_json::Value;
use shoal_protocol::tracker::ws::bytes_binary_string;
use shoal_tests::node::NodeBuilder;
use shoal_tests::proc_stats::rss_kib;
use shoal_tests::tracker::{failure_reason, http_announce, http_scrape, metric, WsClient};
use shoal_tests::Result;
use tungstenite::Message;

const H1: [u8; 20] = [0x11; 20];
const H2: [u8; 20] = [0xe2; 20];

fn pid(name: &str) -> [u8; 20] {
    let mut id = [b'-'; 20];
    id[..name.len().min(20)].copy_from_slice(&name.as_bytes()[..name.len().min(20)]);
    id
}

fn is_reply(v: &Value) -> bool {
    v.get("interval").is_some() || v.get("failure reason").is_some()
}

fn hash_of(v: &Value) -> String {
    v["info_hash"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn offers_and_answers_are_relayed_between_websocket_peers() -> Result<()> {
    let mut node = NodeBuilder::new().set("tracker.allow", "any").start()?;
    let base = node.base_url().to_owned();
    let (a_id, b_id, c_id) = (pid("peer-a"), pid("peer-b"), pid("peer-c"));

    let mut a = WsClient::connect(&base)?;
    a.announce(&H1, &a_id, false, 5, Some("started"))?;
    let reply = a.recv()?;
    assert_eq!(reply["action"], "announce");
    assert_eq!(hash_of(&reply), bytes_binary_string(&H1));
    assert_eq!((reply["complete"].as_u64(), reply["incomplete"].as_u64()), (Some(0), Some(1)), "{reply}");
    assert!(reply["interval"].as_u64().is_some_and(|i| i > 0));

    let mut b = WsClient::connect(&base)?;
    b.announce(&H1, &b_id, true, 5, Some("started"))?;
    let reply = b.recv_until(is_reply)?;
    assert_eq!((reply["complete"].as_u64(), reply["incomplete"].as_u64()), (Some(1), Some(1)), "{reply}");
    // A is the only other peer, so it gets exactly one of B's offers.
    let offer = a.recv()?;
    assert_eq!(offer["peer_id"], bytes_binary_string(&b_id), "{offer}");
    assert!(offer["offer"]["sdp"].as_str().is_some_and(|s| s.starts_with("OFFER-")), "{offer}");
    let offer_id = offer["offer_id"].as_str().unwrap_or_default().to_owned();

    a.answer(&H1, &a_id, &b_id, &offer_id)?;
    let answer = b.recv_until(|v| v.get("answer").is_some())?;
    assert_eq!(answer["peer_id"], bytes_binary_string(&a_id));
    assert_eq!(answer["offer_id"], offer_id.as_str());
    assert_eq!(answer["answer"]["type"], "answer");

    // One socket, two swarms; scrape over the socket.
    let mut c = WsClient::connect(&base)?;
    c.announce(&H1, &c_id, false, 0, Some("started"))?;
    c.recv_until(is_reply)?;
    c.announce(&H2, &c_id, false, 0, Some("started"))?;
    let second = c.recv_until(is_reply)?;
    assert_eq!(hash_of(&second), bytes_binary_string(&H2));
    let both = format!(
        r#"{{"action":"scrape","info_hash":[{},{}]}}"#,
        serde_json::to_string(&bytes_binary_string(&H1))?,
        serde_json::to_string(&bytes_binary_string(&H2))?
    );
    c.send_text(&both)?;
    let scrape = c.recv_until(|v| v["action"] == "scrape")?;
    let files = &scrape["files"];
    assert_eq!(files[bytes_binary_string(&H1)]["incomplete"], 2, "{scrape}");
    assert_eq!(files[bytes_binary_string(&H1)]["complete"], 1, "{scrape}");
    assert_eq!(files[bytes_binary_string(&H2)]["incomplete"], 1, "{scrape}");

    // `stopped` leaves; a closed socket leaves too.
    a.announce(&H1, &a_id, false, 0, Some("stopped"))?;
    a.recv_until(is_reply)?;
    drop(b);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let counts = http_scrape(&base, &[H1])?;
    assert_eq!(counts.get(&H1).map(|c| (c.0, c.1)), Some((0, 1)), "only C is left: {counts:?}");
    assert!(metric(&base, "shoal_tracker_offers_relayed_total")? >= 1.0);
    assert!(metric(&base, "shoal_tracker_answers_relayed_total")? >= 1.0);
    node.assert_alive()
}

#[test]
fn bad_input_gets_a_failure_reason_and_other_peers_carry_on() -> Result<()> {
    let mut node = NodeBuilder::new()
        .set("tracker.allow", "any")
        .set("tracker.announces_per_ip_per_minute", 1000)
        .set("tracker.max_message_bytes", 16_384)
        .start()?;
    let base = node.base_url().to_owned();
    let mut x = WsClient::connect(&base)?;
    let x_id = pid("peer-x");

    let cases: [(&str, &str); 5] = [
        ("not json", "invalid JSON"),
        (r#"{"action":"dance"}"#, "unknown action"),
        (r#"{"info_hash":"x"}"#, "missing field `action`"),
        (r#"{"action":"announce","info_hash":"short","peer_id":"x"}"#, "info_hash"),
        (r#"{"action":"scrape","info_hash":[]}"#, "scrape"),
    ];
    for (frame, expected) in cases {
        x.send_text(frame)?;
        let reply = x.recv()?;
        let reason = reply["failure reason"].as_str().unwrap_or_default();
        assert!(reason.contains(expected), "{frame:?} -> {reply}");
    }
    x.send_raw(Message::binary(vec![1, 2, 3]))?;
    assert!(x.recv()?["failure reason"].as_str().is_some_and(|r| r.contains("binary")));

    // W joins and stays; Y joins and leaves; X answers both.
    let mut w = WsClient::connect(&base)?;
    let w_id = pid("peer-w");
    w.announce(&H1, &w_id, false, 0, None)?;
    w.recv_until(is_reply)?;
    let mut y = WsClient::connect(&base)?;
    y.announce(&H1, &pid("peer-y"), false, 0, None)?;
    y.recv_until(is_reply)?;
    drop(y);
    std::thread::sleep(std::time::Duration::from_millis(300));
    x.announce(&H1, &x_id, false, 0, None)?;
    x.recv_until(is_reply)?;
    x.answer(&H1, &x_id, &pid("peer-y"), "gone-offer")?;
    let gone = x.recv()?;
    assert!(gone["failure reason"].as_str().is_some_and(|r| r.contains("left")), "{gone}");

    // An oversized frame closes that socket only.
    let mut z = WsClient::connect(&base)?;
    let _ = z.send_text(&format!(r#"{{"action":"announce","pad":"{}"}}"#, "x".repeat(40_000)));
    let closed = (0..5).any(|_| z.recv().is_err());
    assert!(closed, "the oversized frame's socket is closed");

    // 10,000 announces from one address: at most the per-minute budget is accepted.
    let node_pid = node.pid().ok_or_else(|| anyhow::anyhow!("node not running"))?;
    let rss_before = rss_kib(node_pid) as i64;
    let mut flood = WsClient::connect(&base)?;
    let (mut accepted, mut limited) = (0, 0);
    for batch in 0..100u32 {
        for i in 0..100u32 {
            let mut id = pid("flood");
            id[12..20].copy_from_slice(&u64::from(batch * 100 + i).to_be_bytes());
            flood.announce(&H2, &id, false, 1, None)?;
        }
        for _ in 0..100 {
            let reply = flood.recv_until(is_reply)?;
            match reply["failure reason"].as_str() {
                None => accepted += 1,
                Some(r) if r.contains("too many announces") => limited += 1,
                Some(other) => panic!("unexpected failure {other}"),
            }
        }
    }
    assert!(accepted <= 1000 && limited >= 9000, "accepted {accepted}, limited {limited}");
    let growth = rss_kib(node_pid) as i64 - rss_before;
    assert!(growth < 64 * 1024, "memory grew by {growth} KiB under the flood");

    // Others are unaffected: X's answer to W still arrives, and HTTP scrapes answer.
    x.answer(&H1, &x_id, &w_id, "after-flood")?;
    let answer = w.recv_until(|v| v.get("answer").is_some())?;
    assert_eq!(answer["offer_id"], "after-flood");
    assert!(http_scrape(&base, &[H1])?.contains_key(&H1));
    assert!(metric(&base, "shoal_tracker_refusals_total{reason=\"rate_limited\"}")? >= 9000.0);
    node.assert_alive()
}

#[test]
fn a_failed_swarm_actor_is_restarted_and_other_swarms_keep_answering() -> Result<()> {
    let mut node =
        NodeBuilder::new().set("tracker.allow", "any").set("tracker.fault_injection_peer_prefix", "-FAIL-").start()?;
    let base = node.base_url().to_owned();
    // H2 has an HTTP peer; H1 has a WebSocket peer.
    let seeder = http_announce(&base, &H2, &pid("http-seeder"), 7001, 0, "started")?;
    assert_eq!(failure_reason(&seeder), None);
    let mut p = WsClient::connect(&base)?;
    p.announce(&H1, &pid("ws-peer"), false, 0, Some("started"))?;
    p.recv_until(is_reply)?;

    let mut bomb = WsClient::connect(&base)?;
    bomb.announce(&H1, &pid("-FAIL-bomb"), false, 0, Some("started"))?;
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(metric(&base, "shoal_tracker_swarm_restarts_total")?, 1.0, "the failed swarm was restarted");

    // H2 kept its peer; H1 answers again (its peers re-announce into the new actor).
    let leecher = http_announce(&base, &H2, &pid("http-leecher"), 7002, 10, "started")?;
    assert_eq!(leecher.get(b"complete").and_then(|v| v.as_int()), Some(1), "{leecher:?}");
    p.announce(&H1, &pid("ws-peer"), false, 0, None)?;
    let reply = p.recv_until(is_reply)?;
    assert_eq!(reply["incomplete"], 1, "{reply}");
    node.assert_alive()
}
