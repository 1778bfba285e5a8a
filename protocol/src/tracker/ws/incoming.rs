//! Messages a WebTorrent client sends: announces (with WebRTC offers), answers to
//! offers it received, and scrapes. [`parse`] borrows from the frame, so relaying
//! an offer copies its SDP once, into the outgoing frame.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::binary_string_bytes;
use crate::tracker::http::parse_event;
use crate::tracker::swarm::{AnnounceEvent, PeerId};

/// Longest `offer_id` accepted (bittorrent-tracker sends 40 hex characters).
pub const MAX_OFFER_ID_LEN: usize = 64;
/// Most offers one announce may carry.
pub const MAX_OFFERS: usize = 50;
/// Most info-hashes one scrape may ask about.
pub const MAX_SCRAPE_HASHES: usize = 64;

/// A parsed client message.
#[derive(Debug)]
pub enum InMessage<'a> {
    Announce(WsAnnounce<'a>),
    Answer(WsAnswer<'a>),
    Scrape(WsScrape),
}

/// An announce, possibly carrying offers for other peers.
#[derive(Debug)]
pub struct WsAnnounce<'a> {
    pub info_hash: [u8; 20],
    pub peer_id: PeerId,
    pub event: AnnounceEvent,
    /// `left == 0`.
    pub seeder: bool,
    pub numwant: Option<usize>,
    pub offers: Vec<WsOffer<'a>>,
}

/// One WebRTC offer to be relayed to some other peer of the swarm.
#[derive(Debug)]
pub struct WsOffer<'a> {
    pub offer_id: Cow<'a, str>,
    pub offer: &'a RawValue,
}

/// An answer to an offer, to be relayed to the peer that made the offer.
#[derive(Debug)]
pub struct WsAnswer<'a> {
    pub info_hash: [u8; 20],
    pub peer_id: PeerId,
    pub to_peer_id: PeerId,
    pub offer_id: Cow<'a, str>,
    pub answer: &'a RawValue,
}

/// A scrape of some info-hashes.
#[derive(Debug)]
pub struct WsScrape {
    pub info_hashes: Vec<[u8; 20]>,
}

/// Why a message was refused; the text goes back as `failure reason`.
#[derive(Debug, thiserror::Error)]
pub enum WsParseError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("unknown action `{0}`")]
    UnknownAction(String),
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("field `{0}` must be a 20-byte binary string")]
    NotTwentyBytes(&'static str),
    #[error("field `{0}` is invalid")]
    Invalid(&'static str),
    #[error("too many offers (at most {MAX_OFFERS})")]
    TooManyOffers,
    #[error("a scrape asks about 1 to {MAX_SCRAPE_HASHES} info-hashes")]
    BadScrape,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<'a> {
    #[serde(borrow)]
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

#[derive(Deserialize)]
struct RawOffer<'a> {
    #[serde(borrow)]
    offer: Option<&'a RawValue>,
    #[serde(borrow)]
    offer_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawMessage<'a> {
    #[serde(borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(borrow)]
    info_hash: Option<OneOrMany<'a>>,
    #[serde(borrow)]
    peer_id: Option<Cow<'a, str>>,
    numwant: Option<f64>,
    left: Option<f64>,
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow)]
    offers: Option<Vec<RawOffer<'a>>>,
    #[serde(borrow)]
    answer: Option<&'a RawValue>,
    #[serde(borrow)]
    offer_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    to_peer_id: Option<Cow<'a, str>>,
}

fn twenty(value: &str, name: &'static str) -> Result<[u8; 20], WsParseError> {
    binary_string_bytes(value).and_then(|b| b.try_into().ok()).ok_or(WsParseError::NotTwentyBytes(name))
}

fn single_hash(field: Option<OneOrMany<'_>>) -> Result<[u8; 20], WsParseError> {
    match field {
        Some(OneOrMany::One(s)) => twenty(&s, "info_hash"),
        Some(OneOrMany::Many(_)) => Err(WsParseError::NotTwentyBytes("info_hash")),
        None => Err(WsParseError::Missing("info_hash")),
    }
}

fn offer_id<'a>(id: Option<Cow<'a, str>>) -> Result<Cow<'a, str>, WsParseError> {
    let id = id.ok_or(WsParseError::Missing("offer_id"))?;
    if id.is_empty() || id.len() > MAX_OFFER_ID_LEN {
        return Err(WsParseError::Invalid("offer_id"));
    }
    Ok(id)
}

/// Parses one text frame.
pub fn parse(frame: &str) -> Result<InMessage<'_>, WsParseError> {
    let raw: RawMessage<'_> = serde_json::from_str(frame).map_err(|e| WsParseError::Json(e.to_string()))?;
    match raw.action.as_deref() {
        Some("announce") => {
            let info_hash = single_hash(raw.info_hash)?;
            let peer_id = PeerId(twenty(&raw.peer_id.ok_or(WsParseError::Missing("peer_id"))?, "peer_id")?);
            if let Some(answer) = raw.answer {
                let to = raw.to_peer_id.ok_or(WsParseError::Missing("to_peer_id"))?;
                return Ok(InMessage::Answer(WsAnswer {
                    info_hash,
                    peer_id,
                    to_peer_id: PeerId(twenty(&to, "to_peer_id")?),
                    offer_id: offer_id(raw.offer_id)?,
                    answer,
                }));
            }
            let event = match raw.event.as_deref() {
                Some(e) => parse_event(e.as_bytes()).map_err(|_| WsParseError::Invalid("event"))?,
                None => AnnounceEvent::Update,
            };
            let numwant = match raw.numwant {
                Some(n) if n.is_finite() && n >= 0.0 => Some(n as usize),
                Some(_) => return Err(WsParseError::Invalid("numwant")),
                None => None,
            };
            let seeder = match raw.left {
                Some(left) if left.is_nan() || left < 0.0 => return Err(WsParseError::Invalid("left")),
                Some(left) => left == 0.0,
                None => false,
            };
            let raw_offers = raw.offers.unwrap_or_default();
            if raw_offers.len() > MAX_OFFERS {
                return Err(WsParseError::TooManyOffers);
            }
            let mut offers = Vec::with_capacity(raw_offers.len());
            for o in raw_offers {
                let offer = o.offer.ok_or(WsParseError::Missing("offer"))?;
                offers.push(WsOffer { offer_id: offer_id(o.offer_id)?, offer });
            }
            Ok(InMessage::Announce(WsAnnounce { info_hash, peer_id, event, seeder, numwant, offers }))
        }
        Some("scrape") => {
            let list = match raw.info_hash {
                Some(OneOrMany::One(s)) => vec![s],
                Some(OneOrMany::Many(v)) => v,
                None => Vec::new(),
            };
            if list.is_empty() || list.len() > MAX_SCRAPE_HASHES {
                return Err(WsParseError::BadScrape);
            }
            let info_hashes = list.iter().map(|s| twenty(s, "info_hash")).collect::<Result<_, _>>()?;
            Ok(InMessage::Scrape(WsScrape { info_hashes }))
        }
        Some(other) => Err(WsParseError::UnknownAction(other.chars().take(32).collect())),
        None => Err(WsParseError::Missing("action")),
    }
}

/// The `info_hash` of a frame that failed to parse, when it names one, so the
/// failure can carry it (clients route replies by info-hash).
pub fn info_hash_of(frame: &str) -> Option<[u8; 20]> {
    #[derive(Deserialize)]
    struct JustHash<'a> {
        #[serde(borrow)]
        info_hash: Option<Cow<'a, str>>,
    }
    let parsed: JustHash<'_> = serde_json::from_str(frame).ok()?;
    twenty(&parsed.info_hash?, "info_hash").ok()
}
