//! Unit tests of Range parsing and If-Range evaluation against RFC 9110's examples.

use super::*;

fn one(start: u64, end_inclusive: u64) -> RangeOutcome {
    RangeOutcome::Satisfiable(vec![ByteRange { start, end_inclusive }])
}

#[test]
fn rfc_9110_examples() {
    // §14.1.2, a representation of 10000 bytes.
    assert_eq!(parse_range("bytes=0-499", 10000), one(0, 499));
    assert_eq!(parse_range("bytes=500-999", 10000), one(500, 999));
    assert_eq!(parse_range("bytes=-500", 10000), one(9500, 9999));
    assert_eq!(parse_range("bytes=9500-", 10000), one(9500, 9999));
    assert_eq!(
        parse_range("bytes=0-0,-1", 10000),
        RangeOutcome::Satisfiable(vec![
            ByteRange { start: 0, end_inclusive: 0 },
            ByteRange { start: 9999, end_inclusive: 9999 },
        ])
    );
    assert_eq!(parse_range("bytes=500-600,601-999", 10000), one(500, 999));
    assert_eq!(parse_range("bytes=500-700,601-999", 10000), one(500, 999));
}

#[test]
fn clamps_and_drops_unsatisfiable_parts() {
    assert_eq!(parse_range("bytes=0-99999", 100), one(0, 99));
    assert_eq!(parse_range("bytes=-1000", 100), one(0, 99));
    assert_eq!(parse_range("bytes=50-", 100), one(50, 99));
    assert_eq!(parse_range("bytes=99-99", 100), one(99, 99));
    assert_eq!(parse_range("bytes=100-,0-9", 100), one(0, 9));
    assert_eq!(parse_range("bytes=0-18446744073709551616", 100), one(0, 99));
    assert_eq!(parse_range("bytes=-99999999999999999999999", 100), one(0, 99));
}

#[test]
fn unsatisfiable() {
    assert_eq!(parse_range("bytes=100-", 100), RangeOutcome::Unsatisfiable);
    assert_eq!(parse_range("bytes=100-200", 100), RangeOutcome::Unsatisfiable);
    assert_eq!(parse_range("bytes=-0", 100), RangeOutcome::Unsatisfiable);
    assert_eq!(parse_range("bytes=200-300, -0", 100), RangeOutcome::Unsatisfiable);
    assert_eq!(parse_range("bytes=99999999999999999999999-", 100), RangeOutcome::Unsatisfiable);
    assert_eq!(parse_range("bytes=0-0", 0), RangeOutcome::Unsatisfiable);
    assert_eq!(parse_range("bytes=-5", 0), RangeOutcome::Ignore);
}

#[test]
fn tolerates_whitespace_and_case() {
    assert_eq!(parse_range("  Bytes = 0-1 ,\t2-3 ", 100), one(0, 3));
    assert_eq!(parse_range("BYTES=1-2", 100), one(1, 2));
    assert_eq!(parse_range("bytes=, ,5-6,", 100), one(5, 6));
}

#[test]
fn malformed_or_other_units_are_ignored() {
    for header in [
        "",
        "bytes",
        "bytes=",
        "bytes=,",
        "bytes=-",
        "bytes=a-b",
        "bytes=1-a",
        "bytes=5-4",
        "bytes=1 -2",
        "bytes=+1-2",
        "bytes=1-2-3",
        "bytes=0x1-2",
        "items=0-1",
        "bytes 0-1",
        "bytes=0-1;x",
        "=0-1",
        "bytes=1-2=3",
        "bytes=١-٢",
    ] {
        assert_eq!(parse_range(header, 100), RangeOutcome::Ignore, "{header:?}");
    }
}

#[test]
fn limits_the_number_of_ranges() {
    let specs = |n: usize| (0..n).map(|i| format!("{}-{}", i * 10, i * 10 + 1)).collect::<Vec<_>>().join(",");
    let at_limit = parse_range(&format!("bytes={}", specs(MAX_RANGES)), 1000);
    assert!(matches!(at_limit, RangeOutcome::Satisfiable(r) if r.len() == MAX_RANGES));
    assert_eq!(parse_range(&format!("bytes={}", specs(MAX_RANGES + 1)), 1000), RangeOutcome::Ignore);
    let long = format!("bytes=0-1,{}", " ".repeat(MAX_HEADER_LEN));
    assert_eq!(parse_range(&long, 1000), RangeOutcome::Ignore);
}

#[test]
fn coalesces_overlapping_ranges_in_order() {
    assert_eq!(
        parse_range("bytes=50-59,0-9,5-20,21-22,-10", 100),
        RangeOutcome::Satisfiable(vec![
            ByteRange { start: 0, end_inclusive: 22 },
            ByteRange { start: 50, end_inclusive: 59 },
            ByteRange { start: 90, end_inclusive: 99 },
        ])
    );
    assert_eq!(parse_range("bytes=0-,0-,0-", 100), one(0, 99));
}

#[test]
fn content_range_values() {
    assert_eq!(ByteRange { start: 0, end_inclusive: 499 }.content_range(1234), "bytes 0-499/1234");
    assert_eq!(ByteRange { start: 3, end_inclusive: 3 }.len(), 1);
    assert_eq!(unsatisfied_content_range(1234), "bytes */1234");
    assert_eq!(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(file_etag(255, 16, 1), "\"ff-10-1\"");
}

#[test]
fn if_range_by_etag_uses_strong_comparison() {
    let etag = Some("\"abc\"");
    assert!(if_range_matches("\"abc\"", etag, None));
    assert!(if_range_matches(" \"abc\" ", etag, None));
    assert!(!if_range_matches("\"abd\"", etag, None));
    assert!(!if_range_matches("W/\"abc\"", etag, None));
    assert!(!if_range_matches("\"abc\"", Some("W/\"abc\""), None));
    assert!(!if_range_matches("\"abc\"", None, Some(1)));
    assert!(!if_range_matches("\"abc", etag, None));
    assert!(!if_range_matches("\"a\"bc\"", Some("\"a\"bc\""), None));
}

#[test]
fn if_range_by_date_needs_an_exact_match() {
    let secs = 784111777;
    for date in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
        assert!(if_range_matches(date, Some("\"x\""), Some(secs)), "{date}");
    }
    assert!(!if_range_matches("Sun, 06 Nov 1994 08:49:38 GMT", None, Some(secs)));
    assert!(!if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", Some("\"x\""), None));
    assert!(!if_range_matches("yesterday", None, Some(secs)));
    assert!(!if_range_matches("", Some("\"\""), Some(secs)));
}
