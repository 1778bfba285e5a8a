//! The HTTP tracker's wire format: announce and scrape query strings in, bencoded
//! replies out (BEP 3; compact peers BEP 23; IPv6 `peers6` BEP 7; `failure reason`).
//!
//! Query strings are parsed by hand on raw bytes because `info_hash` and `peer_id`
//! are percent-encoded binary: a UTF-8 query decoder would reject or mangle them.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use percent_encoding::percent_decode;

use super::swarm::{AnnounceEvent, PeerId, SwarmCounts};
use crate::bencode::{encode, Value};

/// Most info-hashes one scrape may ask about.
pub const MAX_SCRAPE_HASHES: usize = 64;
/// Longest query string considered (an announce is ~300 bytes, a full scrape ~4 KiB).
pub const MAX_QUERY_LEN: usize = 8192;

/// A decoded `GET /announce` query. The peer's IP is the connection's, never the
/// query's `ip` parameter (which would let anyone add third parties to a swarm).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnounceRequest {
    pub info_hash: [u8; 20],
    pub peer_id: PeerId,
    pub port: u16,
    pub uploaded: u64,
    pub downloaded: u64,
    pub left: u64,
    pub event: AnnounceEvent,
    /// `numwant`, absent = `None` (the tracker picks its default).
    pub numwant: Option<usize>,
    /// `compact=1` (the default when absent, as most trackers do).
    pub compact: bool,
    pub no_peer_id: bool,
}

/// Why a query was refused; the message is the `failure reason` sent back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("missing parameter `{0}`")]
    Missing(&'static str),
    #[error("parameter `{0}` must be exactly 20 bytes")]
    NotTwentyBytes(&'static str),
    #[error("parameter `{0}` is not a valid number")]
    BadNumber(&'static str),
    #[error("unknown event `{0}`")]
    BadEvent(String),
    #[error("query string longer than {MAX_QUERY_LEN} bytes")]
    TooLong,
    #[error("a scrape asks about at most {MAX_SCRAPE_HASHES} info-hashes")]
    TooManyHashes,
}

/// Splits a raw query string into percent-decoded `(key, value)` byte pairs.
fn pairs(query: &[u8]) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    query.split(|&b| b == b'&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        (decode(k), decode(v))
    })
}

/// Percent-decodes, also turning `+` into a space as form encoding does.
fn decode(raw: &[u8]) -> Vec<u8> {
    if raw.contains(&b'+') {
        let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
        percent_decode(&spaced).collect()
    } else {
        percent_decode(raw).collect()
    }
}

fn twenty(value: &[u8], name: &'static str) -> Result<[u8; 20], QueryError> {
    value.try_into().map_err(|_| QueryError::NotTwentyBytes(name))
}

fn number<T: std::str::FromStr>(value: &[u8], name: &'static str) -> Result<T, QueryError> {
    std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()).ok_or(QueryError::BadNumber(name))
}

/// Parses an announce query string (the part after `?`, still percent-encoded).
pub fn parse_announce(query: &[u8]) -> Result<AnnounceRequest, QueryError> {
    if query.len() > MAX_QUERY_LEN {
        return Err(QueryError::TooLong);
    }
    let (mut info_hash, mut peer_id, mut port, mut left) = (None, None, None, None);
    let (mut uploaded, mut downloaded, mut numwant) = (0, 0, None);
    let (mut event, mut compact, mut no_peer_id) = (AnnounceEvent::Update, true, false);
    for (key, value) in pairs(query) {
        match key.as_slice() {
            b"info_hash" => info_hash = Some(twenty(&value, "info_hash")?),
            b"peer_id" => peer_id = Some(PeerId(twenty(&value, "peer_id")?)),
            b"port" => port = Some(number(&value, "port")?),
            b"uploaded" => uploaded = number(&value, "uploaded")?,
            b"downloaded" => downloaded = number(&value, "downloaded")?,
            b"left" => left = Some(number(&value, "left")?),
            b"numwant" => numwant = Some(number(&value, "numwant")?),
            b"compact" => compact = value.as_slice() != b"0",
            b"no_peer_id" => no_peer_id = value.as_slice() != b"0",
            b"event" => event = parse_event(&value)?,
            _ => {}
        }
    }
    Ok(AnnounceRequest {
        info_hash: info_hash.ok_or(QueryError::Missing("info_hash"))?,
        peer_id: peer_id.ok_or(QueryError::Missing("peer_id"))?,
        port: port.ok_or(QueryError::Missing("port"))?,
        uploaded,
        downloaded,
        left: left.ok_or(QueryError::Missing("left"))?,
        event,
        numwant,
        compact,
        no_peer_id,
    })
}

/// The `event` parameter (HTTP and WebSocket trackers spell it the same way).
pub fn parse_event(value: &[u8]) -> Result<AnnounceEvent, QueryError> {
    match value {
        b"started" => Ok(AnnounceEvent::Started),
        b"completed" => Ok(AnnounceEvent::Completed),
        b"stopped" => Ok(AnnounceEvent::Stopped),
        b"" | b"empty" | b"update" | b"paused" => Ok(AnnounceEvent::Update),
        other => Err(QueryError::BadEvent(String::from_utf8_lossy(other).chars().take(32).collect())),
    }
}

/// The info-hashes of a scrape query (every `info_hash` parameter).
pub fn parse_scrape(query: &[u8]) -> Result<Vec<[u8; 20]>, QueryError> {
    if query.len() > MAX_QUERY_LEN {
        return Err(QueryError::TooLong);
    }
    let mut hashes = Vec::new();
    for (key, value) in pairs(query) {
        if key == b"info_hash" {
            if hashes.len() == MAX_SCRAPE_HASHES {
                return Err(QueryError::TooManyHashes);
            }
            hashes.push(twenty(&value, "info_hash")?);
        }
    }
    if hashes.is_empty() {
        return Err(QueryError::Missing("info_hash"));
    }
    Ok(hashes)
}

/// A peer in an HTTP announce reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpPeer {
    pub id: PeerId,
    pub addr: SocketAddr,
}

/// The bencoded reply to an announce: counts, intervals and peers, compact
/// (`peers` 6-byte IPv4 entries, `peers6` 18-byte IPv6 entries) or as a list of dicts.
pub fn announce_reply(
    counts: SwarmCounts,
    interval_secs: u32,
    min_interval_secs: u32,
    peers: &[HttpPeer],
    compact: bool,
    no_peer_id: bool,
) -> Vec<u8> {
    let mut reply = Value::dict();
    reply.insert("complete", Value::Int(i64::from(counts.seeders)));
    reply.insert("incomplete", Value::Int(i64::from(counts.leechers)));
    reply.insert("downloaded", Value::Int(i64::from(counts.completed)));
    reply.insert("interval", Value::Int(i64::from(interval_secs)));
    reply.insert("min interval", Value::Int(i64::from(min_interval_secs)));
    if compact {
        let mut v4 = Vec::with_capacity(peers.len() * 6);
        let mut v6 = Vec::new();
        for peer in peers {
            match peer.addr.ip() {
                IpAddr::V4(ip) => v4.extend_from_slice(&ip.octets()),
                IpAddr::V6(ip) => v6.extend_from_slice(&ip.octets()),
            }
            let target = if peer.addr.is_ipv4() { &mut v4 } else { &mut v6 };
            target.extend_from_slice(&peer.addr.port().to_be_bytes());
        }
        reply.insert("peers", Value::Bytes(v4));
        if !v6.is_empty() {
            reply.insert("peers6", Value::Bytes(v6));
        }
    } else {
        let list = peers
            .iter()
            .map(|peer| {
                let mut entry = Value::dict();
                entry.insert("ip", Value::string(&peer.addr.ip().to_string()));
                entry.insert("port", Value::Int(i64::from(peer.addr.port())));
                if !no_peer_id {
                    entry.insert("peer id", Value::bytes(peer.id.0.to_vec()));
                }
                entry
            })
            .collect();
        reply.insert("peers", Value::List(list));
    }
    encode(&reply)
}

/// The bencoded reply to a scrape: `files` maps each asked info-hash to its counts
/// (unknown info-hashes are left out, as BEP 48 allows).
pub fn scrape_reply(files: &[([u8; 20], SwarmCounts)]) -> Vec<u8> {
    let mut map = BTreeMap::new();
    for (hash, counts) in files {
        let mut entry = Value::dict();
        entry.insert("complete", Value::Int(i64::from(counts.seeders)));
        entry.insert("incomplete", Value::Int(i64::from(counts.leechers)));
        entry.insert("downloaded", Value::Int(i64::from(counts.completed)));
        map.insert(hash.to_vec(), entry);
    }
    let mut reply = Value::dict();
    reply.insert("files", Value::Dict(map));
    encode(&reply)
}

/// A bencoded `failure reason` reply.
pub fn failure_reply(reason: &str) -> Vec<u8> {
    let mut reply = Value::dict();
    reply.insert("failure reason", Value::string(reason));
    encode(&reply)
}
