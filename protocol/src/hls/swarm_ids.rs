//! The tracker info hashes p2p-media-loader announces for the streams of an HLS master
//! playlist, so a tracker in hosted-only mode can accept exactly the swarms of its own
//! playlists. Stream `i` is the `i`-th `EXT-X-STREAM-INF` of the master playlist and the swarm
//! id is the master playlist's URL (what PeerTube's player passes as `swarmId`, and what
//! p2p-media-loader uses without one: the manifest URL without its query).
//!
//! - p2p-media-loader 2.2 (PeerTube 8's player): the stream id `v2-{swarm}-main-{i}`, MD5,
//!   bytes 1..16 in base64: 20 ASCII characters announced as the 20-byte info hash
//!   (PeerTube's `generateP2PMediaLoaderHash`).
//! - `@peertube/p2p-media-loader` 1.0 (PeerTube 6 and 7's players): SHA-1 of
//!   `2{swarm}+V{i}`.

use base64::Engine;
use md5::{Digest as _, Md5};
use sha1::Sha1;

/// Every info hash a p2p-media-loader client may announce for stream `index` of the master
/// playlist at `master_url`, one per scheme.
pub fn stream_info_hashes(master_url: &str, index: usize) -> [[u8; 20]; 2] {
    [v2_info_hash(master_url, index), v1_info_hash(master_url, index)]
}

/// p2p-media-loader 2.2's info hash of the main stream `index`.
pub fn v2_info_hash(swarm_id: &str, index: usize) -> [u8; 20] {
    let digest = Md5::digest(format!("v2-{swarm_id}-main-{index}").as_bytes());
    let text = base64::engine::general_purpose::STANDARD.encode(&digest[1..]);
    let mut hash = [0u8; 20];
    hash.copy_from_slice(&text.as_bytes()[..20]);
    hash
}

/// `@peertube/p2p-media-loader` 1.0's info hash of stream `index`.
pub fn v1_info_hash(swarm_id: &str, index: usize) -> [u8; 20] {
    Sha1::digest(format!("2{swarm_id}+V{index}").as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PeerTube 8's own vector (computed with its `generateP2PMediaLoaderHash` in node).
    #[test]
    fn matches_peertube_8() {
        let url = "https://example.com/static/streaming-playlists/hls/3f2d8a8c-1111-2222-3333-444455556666/\
                   0c1b0f6e-aaaa-bbbb-cccc-ddddeeeeffff-master.m3u8";
        let hash = v2_info_hash(url, 0);
        assert_eq!(&hash, b"eccg25W4kXbqypFaKRc5");
        assert_eq!(hex::encode(hash), "65636367323557346b586271797046614b526335");
    }

    #[test]
    fn schemes_differ_per_stream() {
        let url = "http://127.0.0.1:9000/static/streaming-playlists/hls/u/u-master.m3u8";
        let [a, b] = stream_info_hashes(url, 0);
        let [c, d] = stream_info_hashes(url, 1);
        assert!(a != b && a != c && b != d && c != d);
        assert_eq!(b, <[u8; 20]>::from(Sha1::digest(format!("2{url}+V0").as_bytes())));
    }
}
