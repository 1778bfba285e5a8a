//! HTTP range requests (RFC 9110 §14 and §13.1.5): `Range` parsing, `If-Range` evaluation and
//! the `Content-Range` / `ETag` values a byte server sends.
//!
//! [`parse_range`] turns a `Range` header and the representation length into a decision:
//! - [`RangeOutcome::Ignore`]: the header is malformed, uses a unit other than `bytes`, or
//!   asks for more than [`MAX_RANGES`] ranges. RFC 9110 lets a server ignore such a header:
//!   answer `200` with the whole representation.
//! - [`RangeOutcome::Unsatisfiable`]: well-formed but no range overlaps the representation:
//!   answer `416` with `Content-Range: bytes */len` ([`unsatisfied_content_range`]).
//! - [`RangeOutcome::Satisfiable`]: answer `206` with these ranges (ends clamped to `len - 1`;
//!   several ranges are sorted and overlapping or adjacent ones merged, so a client cannot
//!   make the server send the same bytes many times).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Most range specs accepted in one header; more and the header is ignored (a full `200`).
pub const MAX_RANGES: usize = 16;

/// A `Range` header longer than this many bytes is ignored without being parsed.
pub const MAX_HEADER_LEN: usize = 1024;

/// An inclusive byte range inside a representation, as in `Content-Range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive); `>= start`.
    pub end_inclusive: u64,
}

impl ByteRange {
    /// Number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.end_inclusive - self.start + 1
    }

    /// Always false: a range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `Content-Range` value for this range of a `total`-byte representation:
    /// `bytes start-end/total`.
    pub fn content_range(&self, total: u64) -> String {
        format!("bytes {}-{}/{}", self.start, self.end_inclusive, total)
    }
}

/// What to do with a request's `Range` header (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeOutcome {
    /// Serve the whole representation with `200`.
    Ignore,
    /// Serve these ranges with `206` (one range: a plain body; several: multipart/byteranges).
    Satisfiable(Vec<ByteRange>),
    /// Answer `416 Range Not Satisfiable`.
    Unsatisfiable,
}

/// One syntactically valid range spec.
enum Spec {
    /// `first-last` or `first-` (`last` = None).
    FromTo(u64, Option<u64>),
    /// `-suffix`
    Suffix(u64),
}

/// Decides what to serve for `header` (the `Range` value) on a representation of `len` bytes.
///
/// Accepted syntax: `bytes=` (unit case-insensitive, optional whitespace around the unit,
/// the `=` and each comma; empty list elements are skipped), then 1 to [`MAX_RANGES`] specs
/// `a-b`, `a-` or `-n` with decimal digits only and `b >= a`. Numbers too large for `u64`
/// saturate (a huge first byte is unsatisfiable, a huge last byte or suffix covers the end).
/// A zero-length representation has no byte to serve: a suffix range then means the whole
/// (empty) representation ([`RangeOutcome::Ignore`]), anything else is unsatisfiable.
pub fn parse_range(header: &str, len: u64) -> RangeOutcome {
    match parse_specs(header) {
        None => RangeOutcome::Ignore,
        Some(specs) => resolve(&specs, len),
    }
}

fn parse_specs(header: &str) -> Option<Vec<Spec>> {
    if header.len() > MAX_HEADER_LEN {
        return None;
    }
    let (unit, set) = header.split_once('=')?;
    if !unit.trim_matches(is_ows).eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    for element in set.split(',') {
        let element = element.trim_matches(is_ows);
        if element.is_empty() {
            continue;
        }
        if specs.len() == MAX_RANGES {
            return None;
        }
        let (first, last) = element.split_once('-')?;
        let spec = match (first.is_empty(), last.is_empty()) {
            (true, true) => return None,
            (true, false) => Spec::Suffix(number(last)?),
            (false, true) => Spec::FromTo(number(first)?, None),
            (false, false) => {
                let (first, last) = (number(first)?, number(last)?);
                if last < first {
                    return None;
                }
                Spec::FromTo(first, Some(last))
            }
        };
        specs.push(spec);
    }
    if specs.is_empty() {
        return None;
    }
    Some(specs)
}

fn resolve(specs: &[Spec], len: u64) -> RangeOutcome {
    if len == 0 {
        let wants_suffix = specs.iter().any(|s| matches!(s, Spec::Suffix(n) if *n > 0));
        return if wants_suffix { RangeOutcome::Ignore } else { RangeOutcome::Unsatisfiable };
    }
    let last_byte = len - 1;
    let mut ranges: Vec<ByteRange> = specs
        .iter()
        .filter_map(|spec| match *spec {
            Spec::FromTo(first, _) if first >= len => None,
            Spec::FromTo(first, last) => {
                Some(ByteRange { start: first, end_inclusive: last.map_or(last_byte, |l| l.min(last_byte)) })
            }
            Spec::Suffix(0) => None,
            Spec::Suffix(n) => Some(ByteRange { start: len - n.min(len), end_inclusive: last_byte }),
        })
        .collect();
    if ranges.is_empty() {
        return RangeOutcome::Unsatisfiable;
    }
    if ranges.len() > 1 {
        ranges = coalesce(ranges);
    }
    RangeOutcome::Satisfiable(ranges)
}

/// Sorts ranges and merges those that overlap or touch.
fn coalesce(mut ranges: Vec<ByteRange>) -> Vec<ByteRange> {
    ranges.sort_unstable();
    let mut merged: Vec<ByteRange> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(previous) if range.start <= previous.end_inclusive.saturating_add(1) => {
                previous.end_inclusive = previous.end_inclusive.max(range.end_inclusive);
            }
            _ => merged.push(range),
        }
    }
    merged
}

/// Decimal digits only; saturates at `u64::MAX`.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0'))))
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The `Content-Range` value of a `416` answer: `bytes */len`.
pub fn unsatisfied_content_range(len: u64) -> String {
    format!("bytes */{len}")
}

/// A strong `ETag` for a file from its length and modification time (Unix seconds and
/// nanoseconds): `"<len hex>-<secs hex>-<nanos hex>"`. Any change of size or mtime changes it.
pub fn file_etag(len: u64, modified_unix_secs: u64, modified_nanos: u32) -> String {
    format!("\"{len:x}-{modified_unix_secs:x}-{modified_nanos:x}\"")
}

/// The `Last-Modified` value (IMF-fixdate) for Unix seconds.
pub fn http_date(unix_secs: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(unix_secs))
}

/// Whether a `Range` header should be honoured given the request's `If-Range` value
/// (RFC 9110 §13.1.5): true when the validator matches the current representation.
///
/// - An entity-tag matches only by strong comparison: neither side weak (`W/`), identical
///   opaque tags. `current_etag` is the full header form, quotes included.
/// - Otherwise the value must be an HTTP-date (any of the three RFC 9110 formats) equal to
///   the current `Last-Modified` second (`last_modified_unix_secs`).
/// - Anything else (unparseable, no current validator of that kind) does not match: the
///   caller then ignores `Range` and serves the whole representation with `200`.
pub fn if_range_matches(if_range: &str, current_etag: Option<&str>, last_modified_unix_secs: Option<u64>) -> bool {
    let value = if_range.trim_matches(is_ows);
    if value.starts_with("W/") {
        return false;
    }
    if value.starts_with('"') {
        return match (strong_opaque_tag(value), current_etag.and_then(|e| strong_opaque_tag(e.trim_matches(is_ows)))) {
            (Some(theirs), Some(ours)) => theirs == ours,
            _ => false,
        };
    }
    match (httpdate::parse_http_date(value), last_modified_unix_secs) {
        (Ok(date), Some(secs)) => date.duration_since(UNIX_EPOCH).map(|d| d.as_secs() == secs).unwrap_or(false),
        _ => false,
    }
}

/// The opaque tag (between the quotes) of a strong entity-tag, checking its characters
/// (RFC 9110 `etagc`: 0x21, 0x23-0x7E, obs-text).
fn strong_opaque_tag(tag: &str) -> Option<&str> {
    let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
    let valid = inner.bytes().all(|b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80);
    valid.then_some(inner)
}

/// A `SystemTime` (e.g. a file's mtime) as Unix seconds; `None` before 1970.
pub fn unix_secs(time: SystemTime) -> Option<u64> {
    time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

#[cfg(test)]
mod tests;
