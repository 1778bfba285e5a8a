//! YUV4MPEG2 (Y4M) stream headers and frame headers: pure parsing, no I/O.
//!
//! A Y4M stream is one header line (`YUV4MPEG2 W.. H.. F..:.. [I.] [A..:..] [C...] [X...]\n`)
//! followed by frames, each a `FRAME[ params]\n` line and a fixed-size planar payload.
//! The media pipeline reads Y4M uploads natively with these functions; this module only
//! reports what the stream says (chroma layout, bit depth), callers decide what they accept.

use thiserror::Error;

/// The magic that starts every Y4M stream.
pub const MAGIC: &[u8] = b"YUV4MPEG2";
/// The magic that starts every frame header.
pub const FRAME_MAGIC: &[u8] = b"FRAME";
/// Longest header line accepted (real headers are well under 200 bytes).
pub const MAX_HEADER_LEN: usize = 4096;
/// Longest frame header line accepted (`FRAME\n` plus optional parameters).
pub const MAX_FRAME_HEADER_LEN: usize = 1024;
/// Largest width or height accepted: bigger values are corrupt or hostile.
pub const MAX_DIMENSION: u32 = 16_384;

/// Why a Y4M header or frame header could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Y4mError {
    /// The bytes end before the header line does: read more and retry.
    #[error("incomplete Y4M header: more bytes needed")]
    Incomplete,
    /// The stream does not start with `YUV4MPEG2 `: it is not a Y4M file.
    #[error("not a Y4M stream (missing YUV4MPEG2 magic)")]
    BadMagic,
    /// A frame does not start with `FRAME`: the stream is corrupt or the frame size is wrong.
    #[error("bad Y4M frame header (missing FRAME magic)")]
    BadFrameMagic,
    /// The header line is longer than [`MAX_HEADER_LEN`] (or the frame line longer than
    /// [`MAX_FRAME_HEADER_LEN`]): corrupt input.
    #[error("Y4M header line too long")]
    HeaderTooLong,
    /// A required parameter (W, H or F) is absent.
    #[error("Y4M header lacks the {0} parameter")]
    Missing(&'static str),
    /// A parameter has a value that does not parse or is out of range.
    #[error("Y4M header parameter {param}: invalid value {value:?}")]
    Invalid { param: char, value: String },
    /// The colour space tag is not one this module knows.
    #[error("unsupported Y4M colour space C{0}")]
    UnknownChroma(String),
    /// The header is not valid ASCII/UTF-8.
    #[error("Y4M header is not text")]
    NotText,
}

/// The plane layout named by the `C` parameter (bit depth is separate, see [`Y4mHeader::bit_depth`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chroma {
    /// 4:2:0, chroma sited as in JPEG/MPEG-1 (centred); the default when `C` is absent.
    C420Jpeg,
    /// 4:2:0, chroma sited as in MPEG-2 (left).
    C420Mpeg2,
    /// 4:2:0, PAL-DV siting.
    C420Paldv,
    /// 4:2:0 without a siting tag (`C420`, also used by high bit depth `C420p10`).
    C420,
    /// 4:1:1.
    C411,
    /// 4:2:2.
    C422,
    /// 4:4:4.
    C444,
    /// 4:4:4 with an alpha plane.
    C444Alpha,
    /// Luma only.
    Mono,
}

impl Chroma {
    /// Whether this is one of the 4:2:0 layouts.
    pub fn is_420(self) -> bool {
        matches!(self, Chroma::C420 | Chroma::C420Jpeg | Chroma::C420Mpeg2 | Chroma::C420Paldv)
    }

    /// Samples in each chroma plane for a `width` x `height` picture (0 for mono).
    fn chroma_plane_samples(self, width: u64, height: u64) -> u64 {
        match self {
            Chroma::C420 | Chroma::C420Jpeg | Chroma::C420Mpeg2 | Chroma::C420Paldv => {
                width.div_ceil(2) * height.div_ceil(2)
            }
            Chroma::C411 => width.div_ceil(4) * height,
            Chroma::C422 => width.div_ceil(2) * height,
            Chroma::C444 | Chroma::C444Alpha => width * height,
            Chroma::Mono => 0,
        }
    }
}

/// Interlacing as declared by the `I` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interlace {
    /// Progressive (`Ip`), the default.
    #[default]
    Progressive,
    /// Top field first (`It`).
    TopFirst,
    /// Bottom field first (`Ib`).
    BottomFirst,
    /// Mixed modes, per frame (`Im`).
    Mixed,
}

/// A parsed Y4M stream header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Y4mHeader {
    /// Picture width in pixels.
    pub width: u32,
    /// Picture height in pixels.
    pub height: u32,
    /// Frame rate numerator (`F num:den`).
    pub fps_num: u32,
    /// Frame rate denominator.
    pub fps_den: u32,
    /// Plane layout.
    pub chroma: Chroma,
    /// Bits per sample: 8 unless the tag says `p10`, `p12`, `p16` (or `mono16`).
    pub bit_depth: u8,
    /// Interlacing.
    pub interlace: Interlace,
    /// Pixel aspect ratio (`A num:den`), if given and not `0:0`.
    pub pixel_aspect: Option<(u32, u32)>,
    /// Whether ffmpeg's `XCOLORRANGE=FULL` extension says full range.
    pub full_range: bool,
}

impl Y4mHeader {
    /// Bytes of one frame's payload (all planes), without the `FRAME` line.
    /// `None` if the size does not fit in `usize` (hostile header).
    pub fn frame_len(&self) -> Option<usize> {
        let (w, h) = (u64::from(self.width), u64::from(self.height));
        let luma = w * h;
        let chroma = self.chroma.chroma_plane_samples(w, h);
        let alpha = if self.chroma == Chroma::C444Alpha { luma } else { 0 };
        let samples = luma.checked_add(chroma.checked_mul(2)?)?.checked_add(alpha)?;
        let bytes = samples.checked_mul(if self.bit_depth > 8 { 2 } else { 1 })?;
        usize::try_from(bytes).ok()
    }

    /// Frame rate as a float.
    pub fn fps(&self) -> f64 {
        f64::from(self.fps_num) / f64::from(self.fps_den)
    }
}

/// Parses the stream header at the start of `buf`. Returns the header and the number of
/// bytes it occupies (including its `\n`). [`Y4mError::Incomplete`] means `buf` holds only
/// the start of a valid-looking header.
pub fn parse_header(buf: &[u8]) -> Result<(Y4mHeader, usize), Y4mError> {
    let magic_len = MAGIC.len().min(buf.len());
    if buf[..magic_len] != MAGIC[..magic_len] {
        return Err(Y4mError::BadMagic);
    }
    let Some(end) = buf.iter().take(MAX_HEADER_LEN).position(|&b| b == b'\n') else {
        return Err(if buf.len() >= MAX_HEADER_LEN { Y4mError::HeaderTooLong } else { Y4mError::Incomplete });
    };
    let line = &buf[..end];
    if line.len() < MAGIC.len() || (line.len() > MAGIC.len() && line[MAGIC.len()] != b' ') {
        return Err(Y4mError::BadMagic);
    }
    let text = std::str::from_utf8(&line[MAGIC.len()..]).map_err(|_| Y4mError::NotText)?;

    let mut width = None;
    let mut height = None;
    let mut rate = None;
    let mut chroma = (Chroma::C420Jpeg, 8u8);
    let mut interlace = Interlace::Progressive;
    let mut pixel_aspect = None;
    let mut full_range = false;
    for token in text.split(' ').filter(|t| !t.is_empty()) {
        let mut chars = token.chars();
        let Some(param) = chars.next() else { continue };
        let value = chars.as_str();
        match param {
            'W' => width = Some(parse_dimension('W', value)?),
            'H' => height = Some(parse_dimension('H', value)?),
            'F' => {
                let (num, den) = parse_ratio('F', value)?;
                if num == 0 || den == 0 {
                    return Err(invalid('F', value));
                }
                rate = Some((num, den));
            }
            'A' => {
                let (num, den) = parse_ratio('A', value)?;
                pixel_aspect = (num != 0 && den != 0).then_some((num, den));
            }
            'I' => {
                interlace = match value {
                    "p" | "?" => Interlace::Progressive,
                    "t" => Interlace::TopFirst,
                    "b" => Interlace::BottomFirst,
                    "m" => Interlace::Mixed,
                    _ => return Err(invalid('I', value)),
                }
            }
            'C' => chroma = parse_chroma(value)?,
            'X' if value.eq_ignore_ascii_case("COLORRANGE=FULL") => full_range = true,
            // Unknown parameters are ignored, as the format asks of readers.
            _ => {}
        }
    }
    let header = Y4mHeader {
        width: width.ok_or(Y4mError::Missing("W (width)"))?,
        height: height.ok_or(Y4mError::Missing("H (height)"))?,
        fps_num: rate.ok_or(Y4mError::Missing("F (frame rate)"))?.0,
        fps_den: rate.ok_or(Y4mError::Missing("F (frame rate)"))?.1,
        chroma: chroma.0,
        bit_depth: chroma.1,
        interlace,
        pixel_aspect,
        full_range,
    };
    Ok((header, end + 1))
}

/// Parses a frame header (`FRAME[ params]\n`) at the start of `buf` and returns its length
/// in bytes, including the `\n`. [`Y4mError::Incomplete`] means more bytes are needed.
pub fn parse_frame_header(buf: &[u8]) -> Result<usize, Y4mError> {
    let magic_len = FRAME_MAGIC.len().min(buf.len());
    if buf[..magic_len] != FRAME_MAGIC[..magic_len] {
        return Err(Y4mError::BadFrameMagic);
    }
    match buf.iter().take(MAX_FRAME_HEADER_LEN).position(|&b| b == b'\n') {
        Some(end) if end == FRAME_MAGIC.len() || buf[FRAME_MAGIC.len()] == b' ' => Ok(end + 1),
        Some(_) => Err(Y4mError::BadFrameMagic),
        None if buf.len() >= MAX_FRAME_HEADER_LEN => Err(Y4mError::HeaderTooLong),
        None => Err(Y4mError::Incomplete),
    }
}

fn invalid(param: char, value: &str) -> Y4mError {
    Y4mError::Invalid { param, value: value.chars().take(64).collect() }
}

fn parse_dimension(param: char, value: &str) -> Result<u32, Y4mError> {
    match value.parse::<u32>() {
        Ok(v) if (1..=MAX_DIMENSION).contains(&v) => Ok(v),
        _ => Err(invalid(param, value)),
    }
}

fn parse_ratio(param: char, value: &str) -> Result<(u32, u32), Y4mError> {
    let (num, den) = value.split_once(':').ok_or_else(|| invalid(param, value))?;
    match (num.parse::<u32>(), den.parse::<u32>()) {
        (Ok(n), Ok(d)) => Ok((n, d)),
        _ => Err(invalid(param, value)),
    }
}

/// Colour space tags as written by mjpegtools and ffmpeg: a layout, then an optional
/// `pNN` bit depth (`420p10`, `444p16`), or `mono`/`mono16`.
fn parse_chroma(value: &str) -> Result<(Chroma, u8), Y4mError> {
    let unknown = || Y4mError::UnknownChroma(value.chars().take(32).collect());
    let (layout, depth) = match value {
        "mono" | "mono9" | "mono10" | "mono12" | "mono16" => {
            let depth = value.trim_start_matches("mono");
            ("mono", if depth.is_empty() { "8" } else { depth })
        }
        _ => match value.split_once('p') {
            Some((layout, depth)) if !depth.is_empty() && depth.bytes().all(|b| b.is_ascii_digit()) => (layout, depth),
            _ => (value, "8"),
        },
    };
    let chroma = match layout {
        "420jpeg" => Chroma::C420Jpeg,
        "420mpeg2" => Chroma::C420Mpeg2,
        "420paldv" => Chroma::C420Paldv,
        "420" => Chroma::C420,
        "411" => Chroma::C411,
        "422" => Chroma::C422,
        "444" => Chroma::C444,
        "444alpha" => Chroma::C444Alpha,
        "mono" => Chroma::Mono,
        _ => return Err(unknown()),
    };
    let depth: u8 = depth.parse().map_err(|_| unknown())?;
    if !(8..=16).contains(&depth) {
        return Err(unknown());
    }
    Ok((chroma, depth))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_ffmpeg_header() {
        let buf = b"YUV4MPEG2 W320 H240 F30000:1001 Ip A1:1 C420jpeg XYSCSS=420JPEG\nFRAME\n";
        let (h, len) = parse_header(buf).unwrap();
        assert_eq!(len, buf.len() - 6);
        assert_eq!((h.width, h.height, h.fps_num, h.fps_den), (320, 240, 30000, 1001));
        assert_eq!(h.chroma, Chroma::C420Jpeg);
        assert_eq!(h.bit_depth, 8);
        assert_eq!(h.pixel_aspect, Some((1, 1)));
        assert_eq!(h.frame_len(), Some(320 * 240 * 3 / 2));
        assert_eq!(parse_frame_header(&buf[len..]).unwrap(), 6);
    }

    #[test]
    fn default_chroma_is_420jpeg_and_odd_sizes_round_up() {
        let (h, _) = parse_header(b"YUV4MPEG2 W3 H3 F25:1\n").unwrap();
        assert_eq!(h.chroma, Chroma::C420Jpeg);
        assert_eq!(h.frame_len(), Some(9 + 2 * 4));
    }

    #[test]
    fn reports_other_layouts_and_depths() {
        let (h, _) = parse_header(b"YUV4MPEG2 W4 H2 F25:1 C422p10 XCOLORRANGE=FULL\n").unwrap();
        assert_eq!((h.chroma, h.bit_depth, h.full_range), (Chroma::C422, 10, true));
        assert_eq!(h.frame_len(), Some((8 + 2 * 4) * 2));
        let (h, _) = parse_header(b"YUV4MPEG2 W4 H2 F25:1 Cmono\n").unwrap();
        assert_eq!((h.chroma, h.frame_len()), (Chroma::Mono, Some(8)));
        let (h, _) = parse_header(b"YUV4MPEG2 W4 H2 F25:1 C444alpha\n").unwrap();
        assert_eq!(h.frame_len(), Some(32));
        assert!(matches!(parse_header(b"YUV4MPEG2 W4 H2 F25:1 Cxyz\n"), Err(Y4mError::UnknownChroma(_))));
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(parse_header(b"YUV4MPEG2 W4 H2"), Err(Y4mError::Incomplete));
        assert_eq!(parse_header(b"YUV4"), Err(Y4mError::Incomplete));
        assert_eq!(parse_header(b"hello world\n"), Err(Y4mError::BadMagic));
        assert_eq!(parse_header(b"YUV4MPEG2X W4\n"), Err(Y4mError::BadMagic));
        assert_eq!(parse_header(b"YUV4MPEG2 H2 F1:1\n"), Err(Y4mError::Missing("W (width)")));
        assert_eq!(parse_header(b"YUV4MPEG2 W2 H2\n"), Err(Y4mError::Missing("F (frame rate)")));
        assert!(matches!(parse_header(b"YUV4MPEG2 W0 H2 F1:1\n"), Err(Y4mError::Invalid { param: 'W', .. })));
        assert!(matches!(parse_header(b"YUV4MPEG2 W2 H2 F1:0\n"), Err(Y4mError::Invalid { param: 'F', .. })));
        assert!(matches!(parse_header(b"YUV4MPEG2 W99999 H2 F1:1\n"), Err(Y4mError::Invalid { .. })));
        let long = [b"YUV4MPEG2 ".as_slice(), &[b'X'; MAX_HEADER_LEN]].concat();
        assert_eq!(parse_header(&long), Err(Y4mError::HeaderTooLong));
    }

    #[test]
    fn frame_headers() {
        assert_eq!(parse_frame_header(b"FRAME\nxx"), Ok(6));
        assert_eq!(parse_frame_header(b"FRAME Ixyz\n"), Ok(11));
        assert_eq!(parse_frame_header(b"FRA"), Err(Y4mError::Incomplete));
        assert_eq!(parse_frame_header(b"FRAMEX\n"), Err(Y4mError::BadFrameMagic));
        assert_eq!(parse_frame_header(b"xRAME\n"), Err(Y4mError::BadFrameMagic));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_header(&bytes);
            let _ = parse_frame_header(&bytes);
            let mut prefixed = b"YUV4MPEG2 ".to_vec();
            prefixed.extend_from_slice(&bytes);
            if let Ok((h, len)) = parse_header(&prefixed) {
                prop_assert!(len <= prefixed.len());
                let _ = h.frame_len();
            }
        }

        #[test]
        fn valid_headers_round_trip(w in 1u32..5000, h in 1u32..5000, n in 1u32..100_000, d in 1u32..10_000) {
            let line = format!("YUV4MPEG2 W{w} H{h} F{n}:{d} Ip C420mpeg2\n");
            let (hdr, len) = parse_header(line.as_bytes()).unwrap();
            prop_assert_eq!(len, line.len());
            prop_assert_eq!((hdr.width, hdr.height, hdr.fps_num, hdr.fps_den), (w, h, n, d));
            prop_assert_eq!(hdr.chroma, Chroma::C420Mpeg2);
        }
    }
}
