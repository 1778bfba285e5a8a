//! RFC 6381 codec strings for the master playlist's `CODECS`: AV1 as the AV1-ISOBMFF
//! binding defines it (`av01.P.LLT.DD`), Opus as `opus` (what hls.js and browsers expect in
//! MP4). A wrong string makes hls.js drop the variant.

/// The AV1 sequence parameters that the codec string carries (from the `av1C` box).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Av1Params {
    /// `seq_profile` (0 main, 1 high, 2 professional).
    pub profile: u8,
    /// `seq_level_idx_0` (e.g. 4 for level 3.0, 8 for 4.0).
    pub level_idx: u8,
    /// `seq_tier_0`: false main (`M`), true high (`H`).
    pub high_tier: bool,
    /// 8, 10 or 12.
    pub bit_depth: u8,
}

/// `av01.{profile}.{level:02}{M|H}.{bitdepth:02}`, e.g. `av01.0.04M.08`.
pub fn av1(params: Av1Params) -> String {
    let tier = if params.high_tier { 'H' } else { 'M' };
    format!("av01.{}.{:02}{tier}.{:02}", params.profile, params.level_idx, params.bit_depth)
}

/// The codec string of Opus in MP4.
pub const OPUS: &str = "opus";

/// The `CODECS` value of a file: video codec, then audio when there is any.
pub fn join(video: &str, audio: Option<&str>) -> String {
    match audio {
        Some(audio) => format!("{video},{audio}"),
        None => video.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn av1_strings() {
        let p = Av1Params { profile: 0, level_idx: 4, high_tier: false, bit_depth: 8 };
        assert_eq!(av1(p), "av01.0.04M.08");
        let p = Av1Params { profile: 1, level_idx: 13, high_tier: true, bit_depth: 10 };
        assert_eq!(av1(p), "av01.1.13H.10");
        assert_eq!(join("av01.0.04M.08", Some(OPUS)), "av01.0.04M.08,opus");
        assert_eq!(join("av01.0.04M.08", None), "av01.0.04M.08");
    }
}
