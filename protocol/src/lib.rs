//! Shoal's wire and file formats, and pure state machines: no I/O, no runtime,
//! no clock (time-dependent functions take `now`).
//!
//! - [`bencode`]: strict canonical bencode (BEP 3) with offset-carrying errors.
//! - [`torrent`]: single-file `.torrent` metainfo, piece sizing and piece hashing.
//! - [`magnet`]: `magnet:?xt=urn:btih:` links with trackers and web seeds.
//! - [`media_layout`]: every media URL (web videos, torrents, thumbnails, redundancy copies, HLS).
//! - [`hls`]: HLS playlists, `segments-sha256.json` and codec strings of the fragmented MP4 ladder.
//! - [`short_uuid`]: PeerTube's 22-character `shortUUID`.
//! - [`range`]: HTTP `Range` / `If-Range` decisions for the web seed.
//! - [`y4m`]: YUV4MPEG2 stream headers and frames.
//! - [`http_signatures`]: HTTP Signatures (draft-cavage-12 and RFC 9421), RSA keys, body digests.
//! - [`tracker`]: the swarm peer table and the HTTP and WebTorrent tracker messages.
//! - [`activitypub`]: ActivityPub documents and activities in PeerTube's shapes, WebFinger, NodeInfo.
//! - [`placement`]: weighted rendezvous placement of video copies and its min/max hysteresis.
//! - [`replication`]: replication frames (CBOR) and the membership state machine of redundancy nodes.
//! - [`delivery_backoff`]: the federation delivery schedule of one host (backoff, breaker).

pub mod activitypub;
pub mod bencode;
pub mod delivery_backoff;
pub mod hls;
pub mod http_signatures;
pub mod magnet;
pub mod media_layout;
pub mod placement;
pub mod range;
pub mod replication;
pub mod short_uuid;
pub mod torrent;
pub mod tracker;
pub mod y4m;
