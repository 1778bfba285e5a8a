//! What is known about other servers' inbound signature verification, from the software
//! their NodeInfo reports. Pure knowledge, no I/O: the caller reads NodeInfo (see
//! [`crate::activitypub::nodeinfo::software`]) and remembers the answer per host.
//!
//! - PeerTube up to and including 8.x verifies draft-cavage only: its
//!   `parseHTTPSignature` (`server/core/helpers/peertube-crypto.ts`) hands the request to
//!   `@peertube/http-signature`'s cavage parser, which throws on an RFC 9421 `Signature`
//!   value, and `checkHttpSignature` (`server/core/middlewares/activitypub.ts`) answers
//!   403 "exception in signature parser".

use super::Scheme;

/// The last PeerTube major version known to verify draft-cavage only.
pub const PEERTUBE_CAVAGE_ONLY_UP_TO_MAJOR: u64 = 8;

/// The scheme a server running `software` at `version` must be sent, when it is known
/// to verify only one; `None` when nothing is known (use the configured preference).
/// `software` is NodeInfo's `software.name` (compared case-insensitively), `version`
/// its `software.version`; a PeerTube whose version does not parse is treated as one
/// that verifies draft-cavage only, like every PeerTube released so far.
pub fn required_scheme(software: &str, version: &str) -> Option<Scheme> {
    if !software.trim().eq_ignore_ascii_case("peertube") {
        return None;
    }
    match major_version(version) {
        Some(major) if major > PEERTUBE_CAVAGE_ONLY_UP_TO_MAJOR => None,
        _ => Some(Scheme::Cavage),
    }
}

/// The leading number of `8.0.0`, `v7.3.1-rc.1`, `9`; `None` when there is none.
fn major_version(version: &str) -> Option<u64> {
    let version = version.trim();
    let version = version.strip_prefix(['v', 'V']).unwrap_or(version);
    let digits: &str = &version[..version.find(|c: char| !c.is_ascii_digit()).unwrap_or(version.len())];
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peertube_up_to_8_gets_cavage() {
        for version in ["8.0.0", "8.1.2", "7.3.0", "6.0.4-rc.1", "v8.0.0", "1.0.0", "", "nightly"] {
            assert_eq!(required_scheme("peertube", version), Some(Scheme::Cavage), "{version}");
        }
        assert_eq!(required_scheme("PeerTube", "8.0.0"), Some(Scheme::Cavage));
    }

    #[test]
    fn later_peertube_and_other_software_are_unknown() {
        assert_eq!(required_scheme("peertube", "9.0.0"), None);
        assert_eq!(required_scheme("peertube", "10.2"), None);
        for software in ["mastodon", "shoal", "misskey", ""] {
            assert_eq!(required_scheme(software, "4.5.0"), None, "{software}");
        }
    }
}
