//! Body digests: the `Digest` header (RFC 3230, as draft-cavage and Mastodon use it,
//! `SHA-256=<base64>`) and `Content-Digest` (RFC 9530, `sha-256=:<base64>:`), made and checked.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::HeaderMap;
use sha2::{Digest as _, Sha256, Sha512};

use super::error::SignatureError;

/// The `Digest` header value for `body`: `SHA-256=<base64>`.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// The `Content-Digest` header value for `body`: `sha-256=:<base64>:`.
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// Checks every `Digest` and `Content-Digest` header present against `body`.
///
/// Algorithm names compare case-insensitively; SHA-256 and SHA-512 are computed, other
/// algorithms are skipped, and a header naming only unknown algorithms is rejected.
pub fn verify_body_digest(headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    let mut seen = false;
    for (name, structured) in [("digest", false), ("content-digest", true)] {
        for value in headers.get_all(name) {
            seen = true;
            let text = value.to_str().map_err(|_| SignatureError::Malformed(format!("{name} is not ASCII")))?;
            check_digest_value(text, body, structured)?;
        }
    }
    if seen {
        Ok(())
    } else {
        Err(SignatureError::DigestMissing)
    }
}

/// Checks one header value (a comma-separated list of `algorithm=value` members).
/// `structured` selects RFC 9530's `:base64:` byte sequences over RFC 3230's bare base64.
pub fn check_digest_value(text: &str, body: &[u8], structured: bool) -> Result<(), SignatureError> {
    let mut checked = false;
    for member in text.split(',') {
        let member = member.trim();
        if member.is_empty() {
            continue;
        }
        let (algorithm, encoded) =
            member.split_once('=').ok_or_else(|| SignatureError::Malformed(format!("digest member {member:?}")))?;
        let algorithm = algorithm.trim();
        let encoded = encoded.trim();
        let expected: Vec<u8> = if algorithm.eq_ignore_ascii_case("sha-256") {
            Sha256::digest(body).to_vec()
        } else if algorithm.eq_ignore_ascii_case("sha-512") {
            Sha512::digest(body).to_vec()
        } else {
            continue;
        };
        let encoded = if structured {
            encoded
                .strip_prefix(':')
                .and_then(|rest| rest.strip_suffix(':'))
                .ok_or_else(|| SignatureError::Malformed(format!("Content-Digest member {member:?}")))?
        } else {
            encoded
        };
        let given =
            STANDARD.decode(encoded).map_err(|_| SignatureError::Malformed(format!("digest base64 in {member:?}")))?;
        if given != expected {
            return Err(SignatureError::DigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::UnsupportedDigest(text.chars().take(80).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).expect("value"));
        headers
    }

    #[test]
    fn known_answer_from_draft_cavage() {
        // draft-cavage-http-signatures-12, Appendix C.3: the digest of `{"hello": "world"}`.
        let body = br#"{"hello": "world"}"#;
        assert_eq!(digest_header(body), "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=");
        assert_eq!(content_digest_header(body), "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
    }

    #[test]
    fn known_answer_sha512_from_rfc9421() {
        // RFC 9421 Appendix B.2's test request body and its Content-Digest.
        let headers = with(
            "content-digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        );
        assert_eq!(verify_body_digest(&headers, br#"{"hello": "world"}"#), Ok(()));
    }

    #[test]
    fn algorithm_names_are_case_insensitive() {
        let body = b"abc";
        let upper = digest_header(body);
        let lower = upper.replacen("SHA-256", "sha-256", 1);
        assert_eq!(verify_body_digest(&with("digest", &upper), body), Ok(()));
        assert_eq!(verify_body_digest(&with("digest", &lower), body), Ok(()));
        let cd = content_digest_header(body).replacen("sha-256", "SHA-256", 1);
        assert_eq!(verify_body_digest(&with("content-digest", &cd), body), Ok(()));
    }

    #[test]
    fn rejects_mismatch_missing_and_unknown() {
        let body = b"abc";
        let headers = with("digest", &digest_header(b"abd"));
        assert_eq!(verify_body_digest(&headers, body), Err(SignatureError::DigestMismatch));
        assert_eq!(verify_body_digest(&HeaderMap::new(), body), Err(SignatureError::DigestMissing));
        let md5 = with("digest", "MD5=kAFQmDzST7DWlj99KOF/cg==");
        assert!(matches!(verify_body_digest(&md5, body), Err(SignatureError::UnsupportedDigest(_))));
        let mixed = with("digest", &format!("md5=xyz, {}", digest_header(body)));
        assert_eq!(verify_body_digest(&mixed, body), Ok(()));
    }

    proptest! {
        #[test]
        fn parser_never_panics(text in ".{0,200}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = check_digest_value(&text, &body, false);
            let _ = check_digest_value(&text, &body, true);
        }

        #[test]
        fn own_headers_verify_and_any_body_change_fails(
            body in proptest::collection::vec(any::<u8>(), 1..256),
            index in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let digest = digest_header(&body);
            let content = content_digest_header(&body);
            prop_assert_eq!(check_digest_value(&digest, &body, false), Ok(()));
            prop_assert_eq!(check_digest_value(&content, &body, true), Ok(()));
            let mut altered = body.clone();
            let i = index.index(altered.len());
            altered[i] ^= flip;
            prop_assert_eq!(check_digest_value(&digest, &altered, false), Err(SignatureError::DigestMismatch));
            prop_assert_eq!(check_digest_value(&content, &altered, true), Err(SignatureError::DigestMismatch));
        }
    }
}
