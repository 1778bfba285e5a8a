//! The fragment index of one fragmented MP4 file: the init segment's length and, for each
//! media segment, its byte range, duration and SHA-256. Made once when the file is written,
//! kept with the file's record, and read by the playlists and the segment hashes.

use serde::{Deserialize, Serialize};

/// One media segment (`moof` + `mdat`) of a fragmented MP4 file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// First byte in the file.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// Playing time in seconds.
    pub duration_secs: f64,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
}

impl Segment {
    /// Last byte in the file (inclusive), as HTTP ranges and PeerTube's hash keys count.
    pub fn last_byte(&self) -> u64 {
        (self.offset + self.length).saturating_sub(1)
    }
}

/// Where the parts of one fragmented MP4 file lie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FragmentIndex {
    /// Bytes of the init segment (`ftyp` + `moov`), from offset 0.
    pub init_length: u64,
    pub segments: Vec<Segment>,
    /// RFC 6381 codecs of the file (e.g. `av01.0.04M.08,opus`).
    pub codecs: String,
}

impl FragmentIndex {
    /// Total playing time in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.segments.iter().map(|s| s.duration_secs).sum()
    }

    /// Peak bit rate over segments in bit/s (the master playlist's `BANDWIDTH`).
    pub fn peak_bandwidth(&self) -> u64 {
        self.segments.iter().map(|s| bits_per_second(s.length, s.duration_secs)).max().unwrap_or(0)
    }

    /// Mean bit rate in bit/s (`AVERAGE-BANDWIDTH`).
    pub fn average_bandwidth(&self) -> u64 {
        let bytes: u64 = self.segments.iter().map(|s| s.length).sum();
        bits_per_second(bytes, self.duration_secs())
    }

    /// Longest segment, rounded up to whole seconds (`EXT-X-TARGETDURATION`).
    pub fn target_duration(&self) -> u64 {
        self.segments.iter().map(|s| s.duration_secs.ceil() as u64).max().unwrap_or(1).max(1)
    }
}

fn bits_per_second(bytes: u64, secs: f64) -> u64 {
    if secs <= 0.0 {
        return bytes.saturating_mul(8);
    }
    (bytes as f64 * 8.0 / secs).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(offset: u64, length: u64, duration_secs: f64) -> Segment {
        Segment { offset, length, duration_secs, sha256: String::new() }
    }

    #[test]
    fn bandwidths_and_target_duration() {
        let index = FragmentIndex {
            init_length: 900,
            segments: vec![seg(900, 100_000, 2.0), seg(100_900, 50_000, 2.5)],
            codecs: String::new(),
        };
        assert_eq!(index.peak_bandwidth(), 400_000);
        assert_eq!(index.average_bandwidth(), 266_667);
        assert_eq!(index.target_duration(), 3);
        assert_eq!(index.segments[0].last_byte(), 100_899);
        assert_eq!(FragmentIndex::default().target_duration(), 1);
    }
}
