//! The WebTorrent tracker protocol (WebSocket, JSON), as the `bittorrent-tracker`
//! package and the `webtorrent` library speak it: [`incoming`] parses what clients
//! send, [`outgoing`] serialises what the tracker sends.
//!
//! Info-hashes and peer ids travel as "binary strings": JavaScript strings whose
//! every character is one byte (U+0000..=U+00FF). Offers and answers (SDP) are
//! relayed untouched as raw JSON, never parsed.

pub mod incoming;
pub mod outgoing;

/// Turns a binary string into its bytes; `None` if a character is above U+00FF.
pub fn binary_string_bytes(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// Turns bytes into a binary string.
pub fn bytes_binary_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}
