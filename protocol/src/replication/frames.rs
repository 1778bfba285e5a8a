//! The replication wire messages between cooperating redundancy nodes, CBOR-encoded
//! (serde_cbor) in length-prefixed frames with a hard size cap per message kind.
//!
//! - Control (request-response): [`ControlRequest`] (`Announce`, `GetTorrent`) answered by a
//!   [`ControlResponse`] (`Ack`, `Torrent`, `NotFound`, `Refused`); one pair per substream.
//! - Bulk (one stream per range): the requester writes a [`RangeRequest`] frame; the server
//!   answers with a [`RangeResponse`] frame and, when its status is [`RangeStatus::Ok`],
//!   exactly `len` raw bytes after it, then closes the stream.
//!
//! A frame is a 4-byte big-endian body length, then the CBOR body. The length is checked
//! against the kind's [`Frame::MAX_BODY`] before anything is allocated, decoding rejects
//! trailing bytes, and every decoded message is [`Frame::validate`]d; nothing that comes from
//! the wire can make a decoder panic or allocate more than the cap.
//!
//! serde_cbor is unmaintained (RUSTSEC-2021-0127): it is used only in this module, so a move to
//! ciborium touches this file alone.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Bytes of the length prefix of every frame.
pub const LENGTH_PREFIX: usize = 4;
/// Cap of a control frame body (announcements with their catalogue, `.torrent` files).
pub const MAX_CONTROL_BODY: usize = 8 << 20;
/// Cap of a bulk stream header body (range request or response header).
pub const MAX_HEADER_BODY: usize = 512;
/// Longest `reason` of a refusal, in bytes.
pub const MAX_REASON: usize = 200;
/// Longest file name of a held copy, in bytes.
pub const MAX_FILENAME: usize = 200;

/// A BitTorrent v1 info-hash (SHA-1 of the info dictionary); a CBOR byte string on the wire.
pub type InfoHash = [u8; 20];

/// One member's announcement: who it is for placement and what it offers and holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// Grows with every announcement of the sender, across restarts (e.g. Unix milliseconds);
    /// a receiver keeps the content of the highest one.
    pub seq: u64,
    /// The sender's storage budget for copies: its placement weight.
    pub capacity_bytes: u64,
    /// The sender's public HTTP base URL (`https://host`), where its copies are web seeds.
    pub public_url: String,
    /// The sender's own videos (it is their origin), for `mirror_members`.
    pub catalogue: Vec<CatalogueVideo>,
    /// The complete, verified copies the sender holds.
    pub holds: Vec<HeldCopy>,
}

/// One video of a member's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueVideo {
    /// The video's uuid (PeerTube's `uuid`).
    pub uuid: String,
    /// The video's ActivityPub id (`https://host/videos/watch/{uuid}`).
    pub url: String,
    pub name: String,
    pub files: Vec<CatalogueFile>,
}

/// One file (resolution) of a catalogue video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueFile {
    #[serde(with = "info_hash_bytes")]
    pub info_hash: InfoHash,
    /// Size in bytes.
    pub size: u64,
    /// Height in pixels (PeerTube's `resolution.id`).
    pub resolution: u32,
    pub filename: String,
    /// Where the origin serves the file over HTTP (a BEP 19 web seed).
    pub web_seed_url: String,
    /// Where the origin serves the `.torrent`.
    pub torrent_url: String,
}

/// A complete copy a member holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldCopy {
    #[serde(with = "info_hash_bytes")]
    pub info_hash: InfoHash,
    /// When the copy was completed, Unix seconds.
    pub since: u64,
    /// The copy's file name: the sender serves it at `{public_url}/static/redundancy/{filename}`
    /// (empty from a sender that does not say; such a copy is not listed as a web seed).
    #[serde(default)]
    pub filename: String,
}

/// A control request (request-response protocol).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlRequest {
    /// The sender's current announcement; answered with `Ack` (or `Refused`).
    Announce(Announcement),
    /// The `.torrent` of a file the receiver holds; answered with `Torrent`, `NotFound` or `Refused`.
    GetTorrent {
        #[serde(with = "info_hash_bytes")]
        info_hash: InfoHash,
    },
}

/// The answer to a [`ControlRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlResponse {
    /// The announcement was taken.
    Ack,
    /// The bencoded `.torrent` asked for.
    Torrent(#[serde(with = "byte_vec")] Vec<u8>),
    /// The receiver has no such file.
    NotFound,
    /// The receiver will not answer this sender (e.g. not trusted); `reason` is for logs.
    Refused { reason: String },
}

/// The header a requester writes on a new bulk stream: `len` bytes of a file from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeRequest {
    #[serde(with = "info_hash_bytes")]
    pub info_hash: InfoHash,
    pub offset: u64,
    pub len: u64,
}

/// The header a server writes back before the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeResponse {
    pub status: RangeStatus,
}

/// The outcome of a [`RangeRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeStatus {
    /// Exactly `len` raw bytes follow, then the stream ends.
    Ok { len: u64 },
    /// The server holds no complete file with that info-hash.
    NotFound,
    /// `offset + len` is past the end of the file, whose size is given.
    OutOfRange { size: u64 },
    /// The server will not serve this requester (not trusted, too busy); `reason` is for logs.
    Refused { reason: String },
}

/// Why a frame could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The (announced or actual) body is larger than the kind's cap: the peer is broken or
    /// hostile (drop the stream), or a local message is too big (split the catalogue).
    #[error("frame body of {len} bytes exceeds the cap of {cap} bytes")]
    TooLarge { len: u64, cap: usize },
    /// A zero-length body: never valid CBOR for any message.
    #[error("empty frame body")]
    Empty,
    /// The buffer ends before the frame does: read more bytes.
    #[error("truncated frame: {have} of {need} bytes")]
    Truncated { have: usize, need: usize },
    /// The body is not the CBOR of this message kind (or has trailing bytes).
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// The message decoded but breaks a rule of the protocol (named here).
    #[error("invalid frame: {0}")]
    Invalid(&'static str),
    /// Serialisation failed (should not happen for these types).
    #[error("cannot encode frame: {0}")]
    Encode(String),
}

/// A message kind with its own cap and validation.
pub trait Frame: Serialize + DeserializeOwned {
    /// Largest body accepted or produced, in bytes.
    const MAX_BODY: usize;

    /// Protocol rules beyond the CBOR shape; called after every decode and before encode.
    fn validate(&self) -> Result<(), FrameError> {
        Ok(())
    }
}

impl Frame for ControlRequest {
    const MAX_BODY: usize = MAX_CONTROL_BODY;

    fn validate(&self) -> Result<(), FrameError> {
        match self {
            ControlRequest::Announce(announcement)
                if announcement.holds.iter().any(|h| h.filename.len() > MAX_FILENAME) =>
            {
                Err(FrameError::Invalid("file name too long"))
            }
            _ => Ok(()),
        }
    }
}

impl Frame for ControlResponse {
    const MAX_BODY: usize = MAX_CONTROL_BODY;

    fn validate(&self) -> Result<(), FrameError> {
        match self {
            ControlResponse::Refused { reason } if reason.len() > MAX_REASON => {
                Err(FrameError::Invalid("reason too long"))
            }
            _ => Ok(()),
        }
    }
}

impl Frame for RangeRequest {
    const MAX_BODY: usize = MAX_HEADER_BODY;

    fn validate(&self) -> Result<(), FrameError> {
        if self.len == 0 {
            return Err(FrameError::Invalid("empty range"));
        }
        if self.offset.checked_add(self.len).is_none() {
            return Err(FrameError::Invalid("range end overflows"));
        }
        Ok(())
    }
}

impl Frame for RangeResponse {
    const MAX_BODY: usize = MAX_HEADER_BODY;

    fn validate(&self) -> Result<(), FrameError> {
        match &self.status {
            RangeStatus::Refused { reason } if reason.len() > MAX_REASON => Err(FrameError::Invalid("reason too long")),
            _ => Ok(()),
        }
    }
}

/// Encodes `message` as one frame: length prefix and CBOR body.
pub fn encode<F: Frame>(message: &F) -> Result<Vec<u8>, FrameError> {
    message.validate()?;
    let mut out = vec![0u8; LENGTH_PREFIX];
    serde_cbor::to_writer(&mut out, message).map_err(|e| FrameError::Encode(e.to_string()))?;
    let body = out.len() - LENGTH_PREFIX;
    if body > F::MAX_BODY {
        return Err(FrameError::TooLarge { len: body as u64, cap: F::MAX_BODY });
    }
    // `body <= MAX_BODY <= u32::MAX` for every kind.
    let prefix = u32::try_from(body).map_err(|_| FrameError::TooLarge { len: body as u64, cap: F::MAX_BODY })?;
    out[..LENGTH_PREFIX].copy_from_slice(&prefix.to_be_bytes());
    Ok(out)
}

/// The body length announced by a frame's prefix, checked against the kind's cap: call it
/// before allocating or reading the body.
pub fn body_len<F: Frame>(prefix: [u8; LENGTH_PREFIX]) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(prefix);
    if len == 0 {
        return Err(FrameError::Empty);
    }
    if len as u64 > F::MAX_BODY as u64 {
        return Err(FrameError::TooLarge { len: len as u64, cap: F::MAX_BODY });
    }
    Ok(len as usize)
}

/// Decodes a frame body (without its prefix), rejecting trailing bytes and invalid messages.
pub fn decode_body<F: Frame>(body: &[u8]) -> Result<F, FrameError> {
    if body.is_empty() {
        return Err(FrameError::Empty);
    }
    if body.len() > F::MAX_BODY {
        return Err(FrameError::TooLarge { len: body.len() as u64, cap: F::MAX_BODY });
    }
    let message: F = serde_cbor::from_slice(body).map_err(|e| FrameError::Malformed(e.to_string()))?;
    message.validate()?;
    Ok(message)
}

/// Decodes the frame at the start of `buf`; returns it and the bytes it took (prefix
/// included). `Truncated` says how many bytes are needed when `buf` is too short.
pub fn decode<F: Frame>(buf: &[u8]) -> Result<(F, usize), FrameError> {
    let Some(prefix) = buf.get(..LENGTH_PREFIX) else {
        return Err(FrameError::Truncated { have: buf.len(), need: LENGTH_PREFIX });
    };
    let mut p = [0u8; LENGTH_PREFIX];
    p.copy_from_slice(prefix);
    let len = body_len::<F>(p)?;
    let end = LENGTH_PREFIX + len;
    let Some(body) = buf.get(LENGTH_PREFIX..end) else {
        return Err(FrameError::Truncated { have: buf.len(), need: end });
    };
    Ok((decode_body(body)?, end))
}

/// `[u8; 20]` as a CBOR byte string (not an array of 20 integers).
mod info_hash_bytes {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 20], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 20], D::Error> {
        d.deserialize_bytes(super::BytesVisitor::<20>)
    }
}

/// `Vec<u8>` as a CBOR byte string.
mod byte_vec {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_byte_buf(super::ByteBufVisitor)
    }
}

struct BytesVisitor<const N: usize>;

impl<const N: usize> serde::de::Visitor<'_> for BytesVisitor<N> {
    type Value = [u8; N];

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a byte string of {N} bytes")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        <[u8; N]>::try_from(v).map_err(|_| E::invalid_length(v.len(), &self))
    }
}

struct ByteBufVisitor;

impl serde::de::Visitor<'_> for ByteBufVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announcement() -> Announcement {
        Announcement {
            seq: 7,
            capacity_bytes: 10 << 30,
            public_url: "https://a.example".into(),
            catalogue: vec![CatalogueVideo {
                uuid: "9c9de5e8-0a1e-484a-b099-e80766180a6d".into(),
                url: "https://a.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d".into(),
                name: "a video".into(),
                files: vec![CatalogueFile {
                    info_hash: [3; 20],
                    size: 1234,
                    resolution: 720,
                    filename: "x-720.mp4".into(),
                    web_seed_url: "https://a.example/static/web-videos/x-720.mp4".into(),
                    torrent_url: "https://a.example/lazy-static/torrents/x-720.torrent".into(),
                }],
            }],
            holds: vec![HeldCopy { info_hash: [9; 20], since: 1_700_000_000, filename: "v-720.mp4".into() }],
        }
    }

    #[test]
    fn a_frame_round_trips_and_says_how_long_it_is() {
        let request = ControlRequest::Announce(announcement());
        let mut bytes = encode(&request).unwrap();
        let frame_len = bytes.len();
        bytes.extend_from_slice(b"next frame");
        let (decoded, used) = decode::<ControlRequest>(&bytes).unwrap();
        assert_eq!(decoded, request);
        assert_eq!(used, frame_len);
    }

    #[test]
    fn a_held_copy_with_an_overlong_file_name_is_refused_and_an_old_one_without_a_name_decodes() {
        let mut long = announcement();
        long.holds[0].filename = "a".repeat(MAX_FILENAME + 1);
        assert_eq!(encode(&ControlRequest::Announce(long.clone())), Err(FrameError::Invalid("file name too long")));
        let body = serde_cbor::to_vec(&ControlRequest::Announce(long)).unwrap();
        assert_eq!(decode_body::<ControlRequest>(&body), Err(FrameError::Invalid("file name too long")));
        // A sender that predates `filename` sends holds without it.
        #[derive(Serialize)]
        struct OldHeld {
            #[serde(with = "info_hash_bytes")]
            info_hash: InfoHash,
            since: u64,
        }
        let old = serde_cbor::to_vec(&OldHeld { info_hash: [9; 20], since: 5 }).unwrap();
        let held: HeldCopy = serde_cbor::from_slice(&old).unwrap();
        assert_eq!(held, HeldCopy { info_hash: [9; 20], since: 5, filename: String::new() });
    }

    #[test]
    fn info_hashes_and_torrents_are_byte_strings() {
        // CBOR major type 2 (byte string) of length 20 is 0x54.
        let body = &encode(&RangeRequest { info_hash: [0xab; 20], offset: 0, len: 1 }).unwrap()[LENGTH_PREFIX..];
        assert!(body.windows(21).any(|w| w[0] == 0x54 && w[1..].iter().all(|b| *b == 0xab)), "{body:02x?}");
        let torrent = encode(&ControlResponse::Torrent(vec![0x64; 100])).unwrap();
        assert!(torrent.len() < LENGTH_PREFIX + 100 + 16, "{} bytes", torrent.len());
    }

    #[test]
    fn a_prefix_over_the_cap_is_refused_before_reading_the_body() {
        let prefix = ((MAX_HEADER_BODY + 1) as u32).to_be_bytes();
        assert_eq!(
            body_len::<RangeRequest>(prefix),
            Err(FrameError::TooLarge { len: MAX_HEADER_BODY as u64 + 1, cap: MAX_HEADER_BODY })
        );
        assert_eq!(body_len::<RangeRequest>([0; 4]), Err(FrameError::Empty));
        assert!(body_len::<ControlRequest>(u32::MAX.to_be_bytes()).unwrap_err().to_string().contains("cap"));
    }

    #[test]
    fn truncated_trailing_and_invalid_frames_are_errors() {
        let bytes = encode(&RangeRequest { info_hash: [1; 20], offset: 5, len: 10 }).unwrap();
        assert_eq!(
            decode::<RangeRequest>(&bytes[..bytes.len() - 1]),
            Err(FrameError::Truncated { have: bytes.len() - 1, need: bytes.len() })
        );
        assert!(matches!(decode::<RangeRequest>(&bytes[..2]), Err(FrameError::Truncated { need: 4, .. })));
        let mut trailing = bytes[LENGTH_PREFIX..].to_vec();
        trailing.push(0);
        assert!(matches!(decode_body::<RangeRequest>(&trailing), Err(FrameError::Malformed(_))));
        // A well-formed header with an overflowing range.
        let overflow = serde_cbor::to_vec(&RangeRequest { info_hash: [1; 20], offset: u64::MAX, len: 2 }).unwrap();
        assert_eq!(decode_body::<RangeRequest>(&overflow), Err(FrameError::Invalid("range end overflows")));
        assert_eq!(
            encode(&RangeRequest { info_hash: [1; 20], offset: 0, len: 0 }),
            Err(FrameError::Invalid("empty range"))
        );
        // A wrong-length info-hash.
        let mut short = serde_cbor::to_vec(&RangeRequest { info_hash: [1; 20], offset: 0, len: 1 }).unwrap();
        let at = short.iter().position(|b| *b == 0x54).unwrap();
        short[at] = 0x53;
        short.remove(at + 1);
        assert!(matches!(decode_body::<RangeRequest>(&short), Err(FrameError::Malformed(_))));
    }

    #[test]
    fn an_oversized_message_is_not_encoded() {
        let huge = ControlResponse::Torrent(vec![0; MAX_CONTROL_BODY]);
        assert!(matches!(encode(&huge), Err(FrameError::TooLarge { .. })));
        let long = RangeResponse { status: RangeStatus::Refused { reason: "x".repeat(MAX_REASON + 1) } };
        assert_eq!(encode(&long), Err(FrameError::Invalid("reason too long")));
    }
}
