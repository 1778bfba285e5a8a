//! HTTP Signatures for federation, sans-I/O: sign outgoing requests (draft-cavage-12 as
//! Mastodon does, or RFC 9421), and verify incoming ones in two steps so the caller can fetch
//! the signer's key in between. Time is passed in as unix seconds.
//!
//! - [`keys`]: RSA keys and PEM.
//! - [`digest`]: `Digest` and `Content-Digest`.
//! - [`cavage`]: the draft-cavage `Signature` header and signing string.
//! - [`rfc9421`]: RFC 9421 `Signature-Input` / `Signature` and the signature base.
//! - [`peers`]: which scheme other servers' software is known to need.

pub mod cavage;
pub mod digest;
mod error;
pub mod keys;
pub mod peers;
mod pem;
pub mod request;
pub mod rfc9421;
mod verify;

use std::time::{Duration, UNIX_EPOCH};

use http::header::{HeaderName, HeaderValue, DATE, HOST};
use http::{HeaderMap, Method, Uri};

pub use error::{KeyError, SignError, SignatureError};
pub use keys::{PrivateKey, PublicKey};
pub use verify::{parse_signed_request, SignedRequest, VerifiedRequest, VerifyPolicy};

use cavage::CavageParams;
use request::RequestParts;
use rfc9421::{Component, SignatureParams};

/// Which signature format to put on an outgoing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// draft-cavage-12 `Signature` with `algorithm="rsa-sha256"`, as Mastodon sends it.
    Cavage,
    /// draft-cavage-12 with `algorithm="hs2019"` and a signed `(created)`.
    CavageHs2019,
    /// RFC 9421 `Signature-Input` + `Signature` with `alg="rsa-v1_5-sha256"`.
    Rfc9421,
}

/// Formats unix seconds as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(now_unix: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(now_unix))
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) -> Result<(), SignError> {
    let value = HeaderValue::from_str(value).map_err(|e| SignError::BadHeader(name.to_string(), e.to_string()))?;
    headers.insert(name, value);
    Ok(())
}

/// Signs an outgoing request in place: sets `Host`, `Date`, the body digest when there is a
/// body, and the signature headers for `scheme`. `uri` must be absolute.
#[allow(clippy::too_many_arguments)]
pub fn sign_request(
    scheme: Scheme,
    method: &Method,
    uri: &Uri,
    headers: &mut HeaderMap,
    body: Option<&[u8]>,
    key_id: &str,
    key: &PrivateKey,
    now_unix: u64,
) -> Result<(), SignError> {
    let authority = uri.authority().ok_or_else(|| SignError::NotAbsolute(uri.to_string()))?.as_str().to_string();
    let uri_scheme = uri.scheme_str().unwrap_or("https").to_string();
    let path_and_query = uri.path_and_query().map_or("/".to_string(), |pq| pq.as_str().to_string());
    let path_and_query = if path_and_query.is_empty() { "/".to_string() } else { path_and_query };
    insert(headers, HOST, &authority)?;
    insert(headers, DATE, &http_date(now_unix))?;
    match scheme {
        Scheme::Cavage | Scheme::CavageHs2019 => {
            let hs2019 = scheme == Scheme::CavageHs2019;
            let mut names: Vec<String> = vec!["(request-target)".into()];
            if hs2019 {
                names.push("(created)".into());
            }
            names.extend(["host".into(), "date".into()]);
            if let Some(body) = body {
                insert(headers, HeaderName::from_static("digest"), &digest::digest_header(body))?;
                names.push("digest".into());
            }
            let created = hs2019.then_some(now_unix);
            let request = RequestParts {
                method,
                scheme: &uri_scheme,
                authority: &authority,
                path_and_query: &path_and_query,
                headers,
            };
            let text = cavage::signing_string(&names, created, None, &request)
                .map_err(|e| SignError::BadHeader("signing string".into(), e.to_string()))?;
            let signature = key.sign_rsa_sha256(text.as_bytes())?;
            let params = CavageParams {
                key_id: key_id.to_string(),
                algorithm: Some(if hs2019 { "hs2019" } else { "rsa-sha256" }.into()),
                headers: names,
                signature,
                created,
                expires: None,
            };
            let value = cavage::format_signature_header(&params);
            insert(headers, HeaderName::from_static("signature"), &value)?;
        }
        Scheme::Rfc9421 => {
            let mut components = vec![Component::Method, Component::Authority, Component::Path];
            if path_and_query.contains('?') {
                components.push(Component::Query);
            }
            if let Some(body) = body {
                let value = digest::content_digest_header(body);
                insert(headers, HeaderName::from_static("content-digest"), &value)?;
                components.push(Component::Field("content-digest".into()));
            }
            components.push(Component::Field("date".into()));
            let params = SignatureParams {
                components,
                created: Some(i64::try_from(now_unix).unwrap_or(i64::MAX)),
                keyid: Some(key_id.to_string()),
                alg: Some(rfc9421::ALG_RSA_V1_5_SHA256.into()),
                ..SignatureParams::default()
            };
            let request = RequestParts {
                method,
                scheme: &uri_scheme,
                authority: &authority,
                path_and_query: &path_and_query,
                headers,
            };
            let to_sign_error = |e: SignatureError| SignError::BadHeader("signature".into(), e.to_string());
            let base = rfc9421::signature_base(&params, &request).map_err(to_sign_error)?;
            let signature = key.sign_rsa_sha256(base.as_bytes())?;
            let (input, value) = rfc9421::format_fields("sig1", &params, &signature).map_err(to_sign_error)?;
            insert(headers, HeaderName::from_static("signature-input"), &input)?;
            insert(headers, HeaderName::from_static("signature"), &value)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
