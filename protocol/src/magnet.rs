//! Magnet URIs (BEP 9 `xt=urn:btih:`, with BEP 19 `ws` web seeds and `xs` exact sources):
//! building and parsing.
//!
//! [`MagnetLink::to_uri`] writes `magnet:?xt=urn:btih:<40 lowercase hex>` then `dn`, every
//! `xs`, every `tr` and every `ws`, percent-encoding everything but RFC 3986 unreserved
//! characters. PeerTube takes a remote file's `.torrent` URL from its magnet's `xs`.
//! [`MagnetLink::parse`] accepts the hex or the 32-character base32 form of the info-hash,
//! repeated `xs`/`tr`/`ws`, parameters in any order, and ignores parameters it does not
//! know (`xl`, `as`, `so`, a v2 `xt=urn:btmh:` ...). As in common clients (webtorrent's
//! `magnet-uri`), `+` means a space in `dn` only.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::torrent::Metainfo;

/// Bytes left as they are in parameter values: RFC 3986 unreserved characters.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A BitTorrent v1 magnet link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagnetLink {
    /// The v1 info-hash (`xt=urn:btih:`).
    pub info_hash: [u8; 20],
    /// Display name (`dn`).
    pub display_name: Option<String>,
    /// Tracker URLs (`tr`, repeatable), in order.
    pub trackers: Vec<String>,
    /// Web seed URLs (`ws`, repeatable), in order.
    pub web_seeds: Vec<String>,
    /// Exact sources (`xs`, repeatable): where the `.torrent` file itself is.
    pub exact_sources: Vec<String>,
}

/// Why a string is not a usable magnet link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MagnetError {
    /// The text does not start with `magnet:?` (case-insensitive scheme).
    #[error("not a magnet URI (expected it to start with `magnet:?`)")]
    NotMagnet,
    /// No `xt=urn:btih:` parameter: the link names no BitTorrent v1 torrent (perhaps only a
    /// v2 `urn:btmh:` one, which Shoal does not support).
    #[error("no `xt=urn:btih:` parameter")]
    MissingInfoHash,
    /// The `urn:btih:` value is neither 40 hex digits nor 32 base32 characters.
    #[error("invalid info-hash {value:?}: expected 40 hex digits or 32 base32 characters")]
    InvalidInfoHash {
        /// The value found (after percent-decoding).
        value: String,
    },
    /// A parameter's value is not UTF-8 once percent-decoded.
    #[error("parameter `{key}` is not valid UTF-8 once percent-decoded")]
    NotUtf8 {
        /// The parameter name.
        key: String,
    },
}

impl MagnetLink {
    /// A magnet link for a torrent: its info-hash, name, every tracker and web seed.
    pub fn from_metainfo(metainfo: &Metainfo) -> MagnetLink {
        MagnetLink {
            info_hash: metainfo.info_hash(),
            display_name: Some(metainfo.info.name.clone()),
            trackers: metainfo.trackers(),
            web_seeds: metainfo.url_list.clone(),
            exact_sources: Vec::new(),
        }
    }

    /// The `magnet:?` URI.
    pub fn to_uri(&self) -> String {
        let mut uri = format!("magnet:?xt=urn:btih:{}", hex::encode(self.info_hash));
        let mut push = |key: &str, value: &str| {
            uri.push('&');
            uri.push_str(key);
            uri.push('=');
            uri.extend(utf8_percent_encode(value, VALUE));
        };
        if let Some(name) = &self.display_name {
            push("dn", name);
        }
        for source in &self.exact_sources {
            push("xs", source);
        }
        for tracker in &self.trackers {
            push("tr", tracker);
        }
        for seed in &self.web_seeds {
            push("ws", seed);
        }
        uri
    }

    /// Parses a `magnet:?` URI. The first `urn:btih:` exact topic and the first `dn` win.
    pub fn parse(uri: &str) -> Result<MagnetLink, MagnetError> {
        let query = uri
            .get(..8)
            .filter(|scheme| scheme.eq_ignore_ascii_case("magnet:?"))
            .and_then(|_| uri.get(8..))
            .ok_or(MagnetError::NotMagnet)?;
        let query = query.split('#').next().unwrap_or_default();
        let mut link = MagnetLink {
            info_hash: [0; 20],
            display_name: None,
            trackers: Vec::new(),
            web_seeds: Vec::new(),
            exact_sources: Vec::new(),
        };
        let mut have_hash = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "xt" if !have_hash => {
                    let value = decode(raw, key)?;
                    if let Some(hash) = strip_prefix_ignore_case(&value, "urn:btih:") {
                        link.info_hash =
                            parse_info_hash(hash).ok_or(MagnetError::InvalidInfoHash { value: hash.to_string() })?;
                        have_hash = true;
                    }
                }
                "dn" if link.display_name.is_none() => {
                    link.display_name = Some(decode(&raw.replace('+', " "), key)?);
                }
                "tr" => link.trackers.push(decode(raw, key)?),
                "ws" => link.web_seeds.push(decode(raw, key)?),
                "xs" => link.exact_sources.push(decode(raw, key)?),
                _ => {}
            }
        }
        if !have_hash {
            return Err(MagnetError::MissingInfoHash);
        }
        Ok(link)
    }
}

fn decode(raw: &str, key: &str) -> Result<String, MagnetError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| MagnetError::NotUtf8 { key: key.to_string() })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// 40 hex digits (any case) or 32 RFC 4648 base32 characters (any case, no padding).
fn parse_info_hash(text: &str) -> Option<[u8; 20]> {
    let mut hash = [0u8; 20];
    match text.len() {
        40 => hex::decode_to_slice(text, &mut hash).ok()?,
        32 => {
            let mut acc: u64 = 0;
            let mut bits = 0;
            let mut out = 0;
            for c in text.bytes() {
                let digit = match c.to_ascii_uppercase() {
                    c @ b'A'..=b'Z' => c - b'A',
                    c @ b'2'..=b'7' => c - b'2' + 26,
                    _ => return None,
                };
                acc = (acc << 5) | u64::from(digit);
                bits += 5;
                if bits >= 8 {
                    bits -= 8;
                    hash[out] = (acc >> bits) as u8;
                    out += 1;
                }
            }
        }
        _ => return None,
    }
    Some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH_HEX: &str = "c9e15763f722f23e98a29decdfae341b98d53056";

    #[test]
    fn builds_uri_with_encoded_values() {
        let mut hash = [0u8; 20];
        hex::decode_to_slice(HASH_HEX, &mut hash).unwrap();
        let link = MagnetLink {
            info_hash: hash,
            display_name: Some("My video 720p.mp4".into()),
            trackers: vec![
                "http://127.0.0.1:9000/tracker/announce".into(),
                "ws://127.0.0.1:9000/tracker/socket".into(),
            ],
            web_seeds: vec!["http://127.0.0.1:9000/static/web-videos/a b+c.mp4".into()],
            exact_sources: vec!["http://127.0.0.1:9000/lazy-static/torrents/a.torrent".into()],
        };
        let uri = link.to_uri();
        assert_eq!(
            uri,
            "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=My%20video%20720p.mp4\
             &xs=http%3A%2F%2F127.0.0.1%3A9000%2Flazy-static%2Ftorrents%2Fa.torrent\
             &tr=http%3A%2F%2F127.0.0.1%3A9000%2Ftracker%2Fannounce&tr=ws%3A%2F%2F127.0.0.1%3A9000%2Ftracker%2Fsocket\
             &ws=http%3A%2F%2F127.0.0.1%3A9000%2Fstatic%2Fweb-videos%2Fa%20b%2Bc.mp4"
        );
        assert_eq!(MagnetLink::parse(&uri), Ok(link));
    }

    #[test]
    fn parses_base32_plus_and_unknown_params() {
        // Base32 of the same hash, lower case, with unknown parameters around it.
        let link = MagnetLink::parse(
            "MAGNET:?xl=10&xt=urn:btmh:1220abcd&xt=urn:btih:zhqvoy7xelzd5gfctxwn7lrudomnkmcw&dn=a+b%2Bc&so=0-1#frag",
        )
        .unwrap();
        assert_eq!(hex::encode(link.info_hash), HASH_HEX);
        assert_eq!(link.display_name.as_deref(), Some("a b+c"));
        assert!(link.trackers.is_empty() && link.web_seeds.is_empty());
        let upper = MagnetLink::parse(&format!("magnet:?xt=urn:BTIH:{}", HASH_HEX.to_uppercase())).unwrap();
        assert_eq!(hex::encode(upper.info_hash), HASH_HEX);
    }

    #[test]
    fn reports_errors() {
        assert_eq!(MagnetLink::parse("http://x"), Err(MagnetError::NotMagnet));
        assert_eq!(MagnetLink::parse("magnet:"), Err(MagnetError::NotMagnet));
        assert_eq!(MagnetLink::parse("magnet:?dn=x"), Err(MagnetError::MissingInfoHash));
        assert_eq!(MagnetLink::parse("magnet:?xt=urn:btmh:1220ab"), Err(MagnetError::MissingInfoHash));
        assert_eq!(
            MagnetLink::parse("magnet:?xt=urn:btih:xyz"),
            Err(MagnetError::InvalidInfoHash { value: "xyz".into() })
        );
        assert!(matches!(
            MagnetLink::parse(&format!("magnet:?xt=urn:btih:{}", "g".repeat(40))),
            Err(MagnetError::InvalidInfoHash { .. })
        ));
        assert!(matches!(
            MagnetLink::parse(&format!("magnet:?xt=urn:btih:{}", "1".repeat(32))),
            Err(MagnetError::InvalidInfoHash { .. })
        ));
        assert_eq!(
            MagnetLink::parse(&format!("magnet:?xt=urn:btih:{HASH_HEX}&tr=%ff")),
            Err(MagnetError::NotUtf8 { key: "tr".into() })
        );
    }
}
