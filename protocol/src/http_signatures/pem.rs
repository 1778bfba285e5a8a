//! Minimal PEM (RFC 7468) armour: one labelled base64 block in, DER bytes out, and back.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::error::KeyError;

/// Longest PEM text accepted, far above any RSA-8192 key, so a hostile document stays cheap.
const MAX_PEM_LEN: usize = 64 * 1024;

/// Decodes the first PEM block of `text`, returning its label and DER bytes.
pub fn decode(text: &str) -> Result<(String, Vec<u8>), KeyError> {
    if text.len() > MAX_PEM_LEN {
        return Err(KeyError::Pem("PEM text too long".into()));
    }
    let start = text.find("-----BEGIN ").ok_or_else(|| KeyError::Pem("no BEGIN line".into()))?;
    let after_begin = &text[start + "-----BEGIN ".len()..];
    let label_end = after_begin.find("-----").ok_or_else(|| KeyError::Pem("unterminated BEGIN line".into()))?;
    let label = &after_begin[..label_end];
    if label.contains(['\n', '\r']) {
        return Err(KeyError::Pem("unterminated BEGIN line".into()));
    }
    let body_and_rest = &after_begin[label_end + "-----".len()..];
    let end_marker = format!("-----END {label}-----");
    let body_end =
        body_and_rest.find(&end_marker).ok_or_else(|| KeyError::Pem(format!("no END line for {label:?}")))?;
    let body: String = body_and_rest[..body_end].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = STANDARD.decode(body.as_bytes()).map_err(|e| KeyError::Pem(format!("bad base64: {e}")))?;
    Ok((label.to_string(), der))
}

/// Encodes DER bytes as a PEM block with 64-character lines and a trailing newline.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips() {
        let der: Vec<u8> = (0..=255u8).collect();
        let text = encode("PUBLIC KEY", &der);
        assert_eq!(decode(&text), Ok(("PUBLIC KEY".to_string(), der)));
    }

    #[test]
    fn rejects_missing_end() {
        assert!(decode("-----BEGIN PUBLIC KEY-----\nAAAA\n").is_err());
        assert!(decode("no pem here").is_err());
        assert!(decode("-----BEGIN X-----\n!!!\n-----END X-----").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,400}") {
            let _ = decode(&text);
        }

        #[test]
        fn never_panics_near_valid(body in "[A-Za-z0-9+/=\n -]{0,200}", label in "[A-Z ]{0,20}") {
            let _ = decode(&format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"));
        }

        #[test]
        fn round_trips_any_bytes(der in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(decode(&encode("RSA PUBLIC KEY", &der)), Ok(("RSA PUBLIC KEY".to_string(), der)));
        }
    }
}
