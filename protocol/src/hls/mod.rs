//! HLS as PeerTube publishes it, for a ladder of fragmented MP4 files (one per resolution,
//! init segment then `moof`+`mdat` fragments, each starting at a keyframe):
//! - [`index`]: where each fragment of a file lies and how long it plays;
//! - [`playlist`]: the master playlist and the per-resolution byte-range playlists;
//! - [`segment_hashes`]: PeerTube's `segments-sha256.json`;
//! - [`codecs`]: the RFC 6381 codec strings of the master playlist's `CODECS`;
//! - [`sidx`]: the `sidx` box that indexes a file's fragments for progressive players.
//! - [`swarm_ids`]: the tracker info hashes p2p-media-loader announces for a playlist.

pub mod codecs;
pub mod index;
pub mod playlist;
pub mod segment_hashes;
pub mod sidx;
pub mod swarm_ids;

pub use index::{FragmentIndex, Segment};
