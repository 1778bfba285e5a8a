//! Messages the WebTorrent tracker sends, serialised to the JSON text of one frame.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;

use super::bytes_binary_string;
use crate::tracker::swarm::{PeerId, SwarmCounts};

#[derive(Serialize)]
struct AnnounceReply<'a> {
    action: &'static str,
    interval: u32,
    info_hash: &'a str,
    complete: u32,
    incomplete: u32,
}

#[derive(Serialize)]
struct Relayed<'a> {
    action: &'static str,
    info_hash: &'a str,
    peer_id: &'a str,
    offer_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    offer: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a RawValue>,
}

#[derive(Serialize)]
struct ScrapeCounts {
    complete: u32,
    incomplete: u32,
    downloaded: u32,
}

#[derive(Serialize)]
struct ScrapeReply {
    action: &'static str,
    files: BTreeMap<String, ScrapeCounts>,
}

#[derive(Serialize)]
struct Failure<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info_hash: Option<&'a str>,
    #[serde(rename = "failure reason")]
    failure_reason: &'a str,
}

fn to_text<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail (string keys, no maps with non-string keys).
    serde_json::to_string(value).unwrap_or_default()
}

/// The reply to an announce: interval and counts.
pub fn announce_reply(info_hash: &[u8; 20], interval_secs: u32, counts: SwarmCounts) -> String {
    let info_hash = bytes_binary_string(info_hash);
    to_text(&AnnounceReply {
        action: "announce",
        interval: interval_secs,
        info_hash: &info_hash,
        complete: counts.seeders,
        incomplete: counts.leechers,
    })
}

/// An offer from `from` relayed to another peer.
pub fn offer(info_hash: &[u8; 20], from: &PeerId, offer_id: &str, offer: &RawValue) -> String {
    relayed(info_hash, from, offer_id, Some(offer), None)
}

/// An answer from `from` relayed to the peer that made the offer.
pub fn answer(info_hash: &[u8; 20], from: &PeerId, offer_id: &str, answer: &RawValue) -> String {
    relayed(info_hash, from, offer_id, None, Some(answer))
}

fn relayed(
    info_hash: &[u8; 20],
    from: &PeerId,
    offer_id: &str,
    offer: Option<&RawValue>,
    answer: Option<&RawValue>,
) -> String {
    let (info_hash, peer_id) = (bytes_binary_string(info_hash), bytes_binary_string(&from.0));
    to_text(&Relayed { action: "announce", info_hash: &info_hash, peer_id: &peer_id, offer_id, offer, answer })
}

/// The reply to a scrape.
pub fn scrape_reply(files: &[([u8; 20], SwarmCounts)]) -> String {
    let files = files
        .iter()
        .map(|(hash, c)| {
            let counts = ScrapeCounts { complete: c.seeders, incomplete: c.leechers, downloaded: c.completed };
            (bytes_binary_string(hash), counts)
        })
        .collect();
    to_text(&ScrapeReply { action: "scrape", files })
}

/// A `failure reason`, tagged with the action and info-hash when known so the
/// client routes it to the right torrent (it shows as a warning there).
pub fn failure(action: Option<&str>, info_hash: Option<&[u8; 20]>, reason: &str) -> String {
    let info_hash = info_hash.map(|h| bytes_binary_string(h));
    to_text(&Failure { action, info_hash: info_hash.as_deref(), failure_reason: reason })
}
