//! The HLS playlists of a video (RFC 8216), as PeerTube serves them: one media playlist per
//! resolution addressing a single fragmented MP4 by byte ranges (`EXT-X-MAP` for the init
//! segment, `EXT-X-BYTERANGE` per segment), and a master playlist listing them with
//! `BANDWIDTH`, `AVERAGE-BANDWIDTH`, `RESOLUTION`, `FRAME-RATE` and `CODECS`.

use super::index::FragmentIndex;
use std::fmt::Write;

/// One resolution in the master playlist.
#[derive(Debug, Clone, Copy)]
pub struct Variant<'a> {
    /// The media playlist's name, relative to the master playlist.
    pub playlist: &'a str,
    pub index: &'a FragmentIndex,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
}

/// The master playlist: variants in the order given (PeerTube lists lowest first).
pub fn master(variants: &[Variant<'_>]) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for v in variants {
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},RESOLUTION={}x{},FRAME-RATE={:.3},CODECS=\"{}\"\n{}",
            v.index.peak_bandwidth().max(1),
            v.index.average_bandwidth().max(1),
            v.width,
            v.height,
            v.fps,
            v.index.codecs,
            v.playlist
        );
    }
    out
}

/// The media playlist of `file` (the fragmented MP4's name, relative to the playlist).
pub fn media(file: &str, index: &FragmentIndex) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:7\n");
    let _ = writeln!(out, "#EXT-X-TARGETDURATION:{}", index.target_duration());
    out.push_str("#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let _ = writeln!(out, "#EXT-X-MAP:URI=\"{file}\",BYTERANGE=\"{}@0\"", index.init_length);
    for s in &index.segments {
        let _ = writeln!(out, "#EXTINF:{:.6},\n#EXT-X-BYTERANGE:{}@{}\n{file}", s.duration_secs, s.length, s.offset);
    }
    out.push_str("#EXT-X-ENDLIST\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hls::index::Segment;

    fn index() -> FragmentIndex {
        FragmentIndex {
            init_length: 812,
            segments: vec![
                Segment { offset: 900, length: 1000, duration_secs: 2.0, sha256: String::new() },
                Segment { offset: 1900, length: 500, duration_secs: 1.5, sha256: String::new() },
            ],
            codecs: "av01.0.04M.08,opus".into(),
        }
    }

    #[test]
    fn media_playlist_addresses_the_file_by_ranges() {
        let text = media("u-240-fragmented.mp4", &index());
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n\
             #EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-MAP:URI=\"u-240-fragmented.mp4\",BYTERANGE=\"812@0\"\n\
             #EXTINF:2.000000,\n#EXT-X-BYTERANGE:1000@900\nu-240-fragmented.mp4\n\
             #EXTINF:1.500000,\n#EXT-X-BYTERANGE:500@1900\nu-240-fragmented.mp4\n#EXT-X-ENDLIST\n"
        );
    }

    #[test]
    fn master_playlist_names_codecs_and_rates() {
        let index = index();
        let text = master(&[Variant { playlist: "u-240.m3u8", index: &index, width: 426, height: 240, fps: 24.0 }]);
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-STREAM-INF:BANDWIDTH=4000,AVERAGE-BANDWIDTH=3429,RESOLUTION=426x240,FRAME-RATE=24.000,\
             CODECS=\"av01.0.04M.08,opus\"\nu-240.m3u8\n"
        );
    }
}
