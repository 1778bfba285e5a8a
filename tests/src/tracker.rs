//! Test helpers for the tracker: HTTP announces and scrapes decoded with our
//! bencode parser, a blocking WebSocket tracker client speaking the
//! bittorrent-tracker JSON protocol, and a scrape of the Prometheus counters.

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use percent_encoding::{percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};
use shoal_protocol::bencode::{self, Value as Bencode};
use shoal_protocol::tracker::ws::bytes_binary_string;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// `GET /tracker/announce` with these parameters; returns the decoded reply.
pub fn http_announce(
    base: &str,
    info_hash: &[u8; 20],
    peer_id: &[u8; 20],
    port: u16,
    left: u64,
    event: &str,
) -> Result<Bencode> {
    let url = format!(
        "{base}/tracker/announce?info_hash={}&peer_id={}&port={port}&uploaded=0&downloaded=0&left={left}&event={event}&compact=1",
        percent_encode(info_hash, NON_ALPHANUMERIC),
        percent_encode(peer_id, NON_ALPHANUMERIC),
    );
    get_bencode(&url)
}

/// `GET /tracker/scrape` of these info-hashes: hash -> (complete, incomplete, downloaded).
pub fn http_scrape(base: &str, hashes: &[[u8; 20]]) -> Result<BTreeMap<[u8; 20], (i64, i64, i64)>> {
    let query: Vec<String> =
        hashes.iter().map(|h| format!("info_hash={}", percent_encode(h, NON_ALPHANUMERIC))).collect();
    let reply = get_bencode(&format!("{base}/tracker/scrape?{}", query.join("&")))?;
    let files = reply.get(b"files").and_then(Bencode::as_dict).ok_or_else(|| anyhow!("no files in scrape"))?;
    let mut out = BTreeMap::new();
    for (hash, entry) in files {
        let field = |k: &[u8]| entry.get(k).and_then(Bencode::as_int).unwrap_or(-1);
        let hash: [u8; 20] = hash.as_slice().try_into().map_err(|_| anyhow!("scrape key is not 20 bytes"))?;
        out.insert(hash, (field(b"complete"), field(b"incomplete"), field(b"downloaded")));
    }
    Ok(out)
}

/// Fetches a URL and decodes its body as bencode.
pub fn get_bencode(url: &str) -> Result<Bencode> {
    let body = reqwest::blocking::get(url).with_context(|| format!("GET {url}"))?.bytes()?;
    bencode::decode(&body).map_err(|e| anyhow!("reply is not bencode ({e}): {:?}", String::from_utf8_lossy(&body)))
}

/// The `failure reason` of a reply, if any.
pub fn failure_reason(reply: &Bencode) -> Option<String> {
    reply.get(b"failure reason").and_then(Bencode::as_str).map(str::to_owned)
}

/// A blocking WebSocket tracker client.
pub struct WsClient {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Connects to `ws://…/tracker/socket` of `base` (`http://HOST:PORT`).
    pub fn connect(base: &str) -> Result<WsClient> {
        let url = format!("{}/tracker/socket", base.replacen("http", "ws", 1));
        let (socket, _) = tungstenite::connect(&url).with_context(|| format!("connecting {url}"))?;
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        }
        Ok(WsClient { socket })
    }

    pub fn send_text(&mut self, text: &str) -> Result<()> {
        self.socket.send(Message::text(text)).context("sending a frame")
    }

    pub fn send_raw(&mut self, message: Message) -> Result<()> {
        self.socket.send(message).context("sending a frame")
    }

    /// An announce as webtorrent sends it, with `offers` offers (`sdp` = "OFFER-<peer>-<i>").
    pub fn announce(
        &mut self,
        info_hash: &[u8; 20],
        peer_id: &[u8; 20],
        seeder: bool,
        offers: usize,
        event: Option<&str>,
    ) -> Result<()> {
        let peer = bytes_binary_string(peer_id);
        let offers: Vec<Value> = (0..offers)
            .map(|i| {
                json!({"offer": {"type": "offer", "sdp": format!("OFFER-{}-{i}", hex(peer_id))},
                       "offer_id": format!("{}{i:02}", hex(&peer_id[..10]))})
            })
            .collect();
        let mut msg = json!({
            "action": "announce", "info_hash": bytes_binary_string(info_hash), "peer_id": peer,
            "numwant": offers.len(), "uploaded": 0, "downloaded": 0, "left": if seeder { 0 } else { 1000 },
            "offers": offers,
        });
        if let Some(event) = event {
            msg["event"] = json!(event);
        }
        self.send_text(&msg.to_string())
    }

    /// An answer to `offer_id` from `to`, as webtorrent sends it.
    pub fn answer(&mut self, info_hash: &[u8; 20], peer_id: &[u8; 20], to: &[u8; 20], offer_id: &str) -> Result<()> {
        let msg = json!({
            "action": "announce", "info_hash": bytes_binary_string(info_hash), "peer_id": bytes_binary_string(peer_id),
            "to_peer_id": bytes_binary_string(to), "offer_id": offer_id,
            "answer": {"type": "answer", "sdp": format!("ANSWER-{}", hex(peer_id))},
        });
        self.send_text(&msg.to_string())
    }

    /// The next text frame, parsed; errors on timeout or close.
    pub fn recv(&mut self) -> Result<Value> {
        loop {
            match self.socket.read().context("reading a frame")? {
                Message::Text(text) => return serde_json::from_str(text.as_str()).context("frame is not JSON"),
                Message::Close(frame) => return Err(anyhow!("closed by the tracker: {frame:?}")),
                _ => continue,
            }
        }
    }

    /// Reads frames until one satisfies `pred`, returning it.
    pub fn recv_until(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Result<Value> {
        for _ in 0..10_000 {
            let v = self.recv()?;
            if pred(&v) {
                return Ok(v);
            }
        }
        Err(anyhow!("no matching frame in 10,000"))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of one sample of the node's `/metrics` (name with labels as printed, e.g.
/// `shoal_tracker_announces_total{transport="http"}`); 0 when absent.
pub fn metric(base: &str, sample: &str) -> Result<f64> {
    let text = reqwest::blocking::get(format!("{base}/metrics"))?.text()?;
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix(sample).and_then(|rest| rest.trim().parse::<f64>().ok()))
        .unwrap_or(0.0))
}
