//! Wall-clock helpers for the actors layer: RFC 3339 timestamps in PeerTube's format
//! (`2024-05-01T12:00:00.000Z`, millisecond precision, UTC, so they sort as strings) and
//! Unix seconds/milliseconds for expiries and backoff deadlines.

use std::time::{SystemTime, UNIX_EPOCH};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

/// PeerTube's timestamp layout: UTC with milliseconds and a `Z`.
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The current time as an RFC 3339 string in PeerTube's layout.
pub fn now_rfc3339() -> String {
    format_timestamp(OffsetDateTime::now_utc())
}

/// Formats `at` (converted to UTC) in PeerTube's layout.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    // Formatting with a fixed, valid description only fails on years outside 0..=9999.
    utc.format(TIMESTAMP).unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

/// Seconds since the Unix epoch (0 if the clock is before 1970).
pub fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub fn unix_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_peertube_layout() {
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid timestamp");
        assert_eq!(format_timestamp(at), "2023-11-14T22:13:20.000Z");
        assert_eq!(now_rfc3339().len(), 24);
    }
}
