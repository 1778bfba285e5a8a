//! draft-cavage-http-signatures-12, as Mastodon and PeerTube speak it: the `Signature` header's
//! parameters, the signing string, and the header Shoal sends (`rsa-sha256` or `hs2019`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::error::SignatureError;
use super::request::RequestParts;

/// Longest `Signature` header accepted; real ones are well under 1 KiB.
const MAX_HEADER_LEN: usize = 8 * 1024;

/// The parameters of a draft-cavage `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CavageParams {
    /// `keyId`: the URL of the signer's key, e.g. `https://host/accounts/a#main-key`.
    pub key_id: String,
    /// `algorithm` as sent, if sent.
    pub algorithm: Option<String>,
    /// `headers`, lower-cased, in signing order (`date` when absent, as Mastodon does).
    pub headers: Vec<String>,
    /// The decoded `signature` bytes.
    pub signature: Vec<u8>,
    /// `created`, in unix seconds.
    pub created: Option<u64>,
    /// `expires`, in unix seconds.
    pub expires: Option<u64>,
}

/// Parses a `Signature` header value (or the part of `Authorization` after `Signature `).
pub fn parse_signature_header(value: &str) -> Result<CavageParams, SignatureError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed("Signature header too long".into()));
    }
    let mut key_id = None;
    let mut algorithm = None;
    let mut headers = None;
    let mut signature = None;
    let mut created = None;
    let mut expires = None;
    for (name, value) in parse_params(value)? {
        let slot = match name.as_str() {
            "keyId" => &mut key_id,
            "algorithm" => &mut algorithm,
            "headers" => &mut headers,
            "signature" => &mut signature,
            "created" => &mut created,
            "expires" => &mut expires,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(SignatureError::Malformed(format!("duplicate parameter {name}")));
        }
    }
    let key_id = key_id.ok_or_else(|| SignatureError::Malformed("no keyId".into()))?;
    let signature = signature.ok_or_else(|| SignatureError::Malformed("no signature".into()))?;
    let signature =
        STANDARD.decode(signature.trim()).map_err(|_| SignatureError::Malformed("signature is not base64".into()))?;
    let headers: Vec<String> = match headers {
        Some(list) => list.split_ascii_whitespace().map(str::to_ascii_lowercase).collect(),
        None => vec!["date".to_string()],
    };
    if headers.is_empty() {
        return Err(SignatureError::Malformed("empty headers list".into()));
    }
    Ok(CavageParams {
        key_id,
        algorithm,
        headers,
        signature,
        created: created.as_deref().map(parse_time).transpose()?,
        expires: expires.as_deref().map(parse_time).transpose()?,
    })
}

/// Parses a unix time parameter; draft-12 allows a fraction, which is dropped.
fn parse_time(text: &str) -> Result<u64, SignatureError> {
    let whole = text.split_once('.').map_or(text, |(whole, _)| whole);
    whole.parse().map_err(|_| SignatureError::Malformed(format!("bad time {text:?}")))
}

/// Splits `name="value",name=token,...` into pairs, unescaping quoted strings.
fn parse_params(input: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let bytes = input.as_bytes();
    let mut pairs = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && (bytes[i] == b',' || bytes[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i == bytes.len() {
            return Ok(pairs);
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || b"-_".contains(&bytes[i])) {
            i += 1;
        }
        if i == start || i == bytes.len() || bytes[i] != b'=' {
            return Err(SignatureError::Malformed(format!("expected name= at byte {start}")));
        }
        let name = input[start..i].to_string();
        i += 1;
        let value = if bytes.get(i) == Some(&b'"') {
            i += 1;
            let mut value = String::new();
            loop {
                match bytes.get(i) {
                    None => return Err(SignatureError::Malformed("unterminated string".into())),
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') => {
                        let escaped =
                            bytes.get(i + 1).ok_or_else(|| SignatureError::Malformed("unterminated escape".into()))?;
                        value.push(char::from(*escaped));
                        i += 2;
                    }
                    Some(byte) if byte.is_ascii() && !byte.is_ascii_control() => {
                        value.push(char::from(*byte));
                        i += 1;
                    }
                    Some(_) => return Err(SignatureError::Malformed("non-ASCII in string".into())),
                }
            }
            value
        } else {
            let start = i;
            while i < bytes.len() && bytes[i] != b',' && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            input[start..i].to_string()
        };
        pairs.push((name, value));
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] != b',' {
            return Err(SignatureError::Malformed(format!("expected , at byte {i}")));
        }
    }
}

/// Whether `algorithm` (absent, `rsa-sha256` or `hs2019`) is verified as RSA PKCS#1 v1.5
/// SHA-256; with an RSA key Mastodon reads `hs2019` the same way.
pub fn check_algorithm(algorithm: Option<&str>) -> Result<(), SignatureError> {
    match algorithm {
        None => Ok(()),
        Some(alg) if alg.eq_ignore_ascii_case("rsa-sha256") || alg.eq_ignore_ascii_case("hs2019") => Ok(()),
        Some(alg) => Err(SignatureError::UnsupportedAlgorithm(alg.to_string())),
    }
}

/// Builds the signing string over `headers` (lower-cased names, pseudo-headers included).
pub fn signing_string(
    headers: &[String],
    created: Option<u64>,
    expires: Option<u64>,
    request: &RequestParts<'_>,
) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(headers.len());
    for name in headers {
        let value = match name.as_str() {
            "(request-target)" => {
                format!("{} {}", request.method.as_str().to_ascii_lowercase(), request.path_and_query)
            }
            "(created)" => {
                created.ok_or_else(|| SignatureError::Malformed("(created) signed but absent".into()))?.to_string()
            }
            "(expires)" => {
                expires.ok_or_else(|| SignatureError::Malformed("(expires) signed but absent".into()))?.to_string()
            }
            other => request.header_value(other)?,
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// Formats a `Signature` header value from its parts.
pub fn format_signature_header(params: &CavageParams) -> String {
    let mut out = format!("keyId=\"{}\"", escape(&params.key_id));
    if let Some(alg) = &params.algorithm {
        out.push_str(&format!(",algorithm=\"{}\"", escape(alg)));
    }
    if let Some(created) = params.created {
        out.push_str(&format!(",created={created}"));
    }
    if let Some(expires) = params.expires {
        out.push_str(&format!(",expires={expires}"));
    }
    out.push_str(&format!(
        ",headers=\"{}\",signature=\"{}\"",
        params.headers.join(" "),
        STANDARD.encode(&params.signature)
    ));
    out
}

/// Escapes `"` and `\` for a quoted parameter.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue, Method};
    use proptest::prelude::*;

    #[test]
    fn parses_mastodon_shaped_header() {
        let header = r#"keyId="https://mastodon.example/users/alice#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="AAEC""#;
        let params = parse_signature_header(header).expect("parse");
        assert_eq!(params.key_id, "https://mastodon.example/users/alice#main-key");
        assert_eq!(params.algorithm.as_deref(), Some("rsa-sha256"));
        assert_eq!(params.headers, ["(request-target)", "host", "date", "digest", "content-type"]);
        assert_eq!(params.signature, vec![0, 1, 2]);
        assert_eq!(format_signature_header(&params), header);
    }

    #[test]
    fn parses_unquoted_times_spaces_and_unknown_params() {
        let header = r#"keyId="k", algorithm="hs2019", created=1402170695, expires=1402170699.5, foo="bar", headers="(request-target) (created)", signature="AA==""#;
        let params = parse_signature_header(header).expect("parse");
        assert_eq!(params.created, Some(1402170695));
        assert_eq!(params.expires, Some(1402170699));
        assert_eq!(params.signature, vec![0]);
    }

    #[test]
    fn rejects_malformed_headers() {
        for bad in [
            "",
            r#"keyId="k""#,
            r#"signature="AA==""#,
            r#"keyId="k,signature="AA==""#,
            r#"keyId="k",signature="not base64!""#,
            r#"keyId="k",keyId="j",signature="AA==""#,
            r#"keyId="k" junk,signature="AA==""#,
            r#"keyId="k",created=abc,signature="AA==""#,
            r#"keyId="k",headers="",signature="AA==""#,
        ] {
            assert!(matches!(parse_signature_header(bad), Err(SignatureError::Malformed(_))), "{bad}");
        }
    }

    #[test]
    fn signing_string_matches_draft_c2() {
        // draft-cavage-http-signatures-12, Appendix C.2 (Basic Test).
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("example.com"));
        headers.insert("date", HeaderValue::from_static("Sun, 05 Jan 2014 21:31:40 GMT"));
        let request = RequestParts {
            method: &Method::POST,
            scheme: "https",
            authority: "example.com",
            path_and_query: "/foo?param=value&pet=dog",
            headers: &headers,
        };
        let names: Vec<String> = ["(request-target)", "host", "date"].map(String::from).into();
        assert_eq!(
            signing_string(&names, None, None, &request).expect("string"),
            "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT"
        );
        let missing: Vec<String> = vec!["digest".into()];
        assert_eq!(signing_string(&missing, None, None, &request), Err(SignatureError::MissingHeader("digest".into())));
    }

    #[test]
    fn algorithms() {
        assert!(check_algorithm(None).is_ok());
        assert!(check_algorithm(Some("rsa-sha256")).is_ok());
        assert!(check_algorithm(Some("hs2019")).is_ok());
        assert!(matches!(check_algorithm(Some("hmac-sha256")), Err(SignatureError::UnsupportedAlgorithm(_))));
    }

    proptest! {
        #[test]
        fn parser_never_panics(text in ".{0,300}") {
            let _ = parse_signature_header(&text);
        }

        #[test]
        fn parser_never_panics_on_near_valid(
            key in "[ -~]{0,30}", headers in "[ -~]{0,40}", sig in "[A-Za-z0-9+/=]{0,20}", extra in "[ -~]{0,20}",
        ) {
            let _ = parse_signature_header(&format!("keyId=\"{key}\",headers=\"{headers}\",signature=\"{sig}\"{extra}"));
        }

        #[test]
        fn format_then_parse_round_trips(
            key_id in "[ -~]{1,40}",
            headers in proptest::collection::vec("[a-z(][a-z0-9()-]{0,12}", 1..6),
            signature in proptest::collection::vec(any::<u8>(), 0..64),
            created in proptest::option::of(0u64..4_000_000_000),
        ) {
            let params = CavageParams {
                key_id, algorithm: Some("hs2019".into()), headers, signature, created, expires: None,
            };
            prop_assert_eq!(parse_signature_header(&format_signature_header(&params)), Ok(params));
        }
    }
}
