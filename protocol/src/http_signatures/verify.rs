//! Verifying an incoming signed request in two sans-I/O steps: [`parse_signed_request`] reads
//! the signature and says which key to fetch; [`SignedRequest::verify`] checks it with that key.

use std::time::UNIX_EPOCH;

use http::{HeaderMap, Method, Uri};

use super::cavage;
use super::digest::check_digest_value;
use super::error::SignatureError;
use super::keys::PublicKey;
use super::request::RequestParts;
use super::rfc9421::{self, Component};
use super::Scheme;

/// How strict verification is about time. The default is Mastodon's window
/// (`SignedRequest::EXPIRATION_WINDOW_LIMIT` 12 hours, `CLOCK_SKEW_MARGIN` 1 hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// How far in the past the signed Date or creation time may be, in seconds.
    pub max_age_secs: u64,
    /// How far in the future the signed Date or creation time may be, in seconds.
    pub max_future_secs: u64,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        VerifyPolicy { max_age_secs: 12 * 3600, max_future_secs: 3600 }
    }
}

/// A request whose signature passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The key that signed it; its owner must be the activity's actor (the caller checks).
    pub key_id: String,
    /// The signature format it used.
    pub scheme: Scheme,
}

/// A parsed, not yet verified, signed request: fetch the key named by [`Self::key_id`], then
/// call [`Self::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    scheme: Scheme,
    key_id: String,
    base: Vec<u8>,
    signature: Vec<u8>,
    covers_target: bool,
    covers_authority: bool,
    /// Covered digest header values, with whether each is RFC 9530 structured.
    covered_digests: Vec<(String, bool)>,
    has_uncovered_digest: bool,
    date: Option<u64>,
    created: Option<u64>,
    expires: Option<u64>,
}

/// Reads the signature of a received request: RFC 9421 when `Signature-Input` is present, else
/// the draft-cavage `Signature` header, else `Authorization: Signature ...`.
///
/// `uri` is the request target as received (path and query; an absolute URI also sets the
/// scheme `@target-uri` uses, `https` otherwise); `authority` is the `Host` header.
pub fn parse_signed_request(
    method: &Method,
    uri: &Uri,
    authority: &str,
    headers: &HeaderMap,
) -> Result<SignedRequest, SignatureError> {
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let path_and_query = if path_and_query.is_empty() { "/" } else { path_and_query };
    let request =
        RequestParts { method, scheme: uri.scheme_str().unwrap_or("https"), authority, path_and_query, headers };
    let text = |name: &str| -> Result<Option<&str>, SignatureError> {
        headers
            .get(name)
            .map(|v| v.to_str().map_err(|_| SignatureError::Malformed(format!("{name} is not ASCII"))))
            .transpose()
    };
    if let Some(input) = text("signature-input")? {
        let signature =
            text("signature")?.ok_or_else(|| SignatureError::Malformed("Signature-Input without Signature".into()))?;
        return parse_rfc9421(input, signature, &request);
    }
    if let Some(signature) = text("signature")? {
        return parse_cavage(signature, &request);
    }
    if let Some(authorization) = text("authorization")? {
        let (kind, rest) = authorization.split_once(' ').unwrap_or((authorization, ""));
        if kind.eq_ignore_ascii_case("signature") {
            return parse_cavage(rest, &request);
        }
    }
    Err(SignatureError::Missing)
}

fn parse_cavage(value: &str, request: &RequestParts<'_>) -> Result<SignedRequest, SignatureError> {
    let params = cavage::parse_signature_header(value)?;
    cavage::check_algorithm(params.algorithm.as_deref())?;
    let hs2019 = params.algorithm.as_deref().is_some_and(|alg| alg.eq_ignore_ascii_case("hs2019"));
    let covers = |name: &str| params.headers.iter().any(|h| h == name);
    if !hs2019 && params.algorithm.is_some() && (covers("(created)") || covers("(expires)")) {
        return Err(SignatureError::Malformed("(created) and (expires) need algorithm hs2019".into()));
    }
    let base = cavage::signing_string(&params.headers, params.created, params.expires, request)?;
    let mut covered_digests = Vec::new();
    for (name, structured) in [("digest", false), ("content-digest", true)] {
        if covers(name) {
            covered_digests.push((request.header_value(name)?, structured));
        }
    }
    let date = if covers("date") { Some(parse_date(&request.header_value("date")?)?) } else { None };
    Ok(SignedRequest {
        scheme: if hs2019 { Scheme::CavageHs2019 } else { Scheme::Cavage },
        key_id: params.key_id.clone(),
        base: base.into_bytes(),
        signature: params.signature,
        covers_target: covers("(request-target)"),
        covers_authority: covers("host"),
        has_uncovered_digest: has_digest_header(request.headers) && covered_digests.is_empty(),
        covered_digests,
        date,
        created: params.created.filter(|_| covers("(created)")),
        expires: params.expires.filter(|_| covers("(expires)")),
    })
}

fn parse_rfc9421(input: &str, signature: &str, request: &RequestParts<'_>) -> Result<SignedRequest, SignatureError> {
    let parsed = rfc9421::parse_fields(input, signature)?;
    let params = &parsed.params;
    match params.alg.as_deref() {
        None | Some(rfc9421::ALG_RSA_V1_5_SHA256) => {}
        Some(other) => return Err(SignatureError::UnsupportedAlgorithm(other.to_string())),
    }
    let key_id = params.keyid.clone().ok_or_else(|| SignatureError::Malformed("no keyid parameter".into()))?;
    let base = rfc9421::signature_base(params, request)?;
    let covers = |c: &Component| params.components.contains(c);
    let field = |name: &str| Component::Field(name.to_string());
    let has_query = request.path_and_query.contains('?');
    let covers_target = covers(&Component::Method)
        && (covers(&Component::TargetUri)
            || covers(&Component::RequestTarget)
            || (covers(&Component::Path) && (covers(&Component::Query) || !has_query)));
    let mut covered_digests = Vec::new();
    for (name, structured) in [("digest", false), ("content-digest", true)] {
        if covers(&field(name)) {
            covered_digests.push((request.header_value(name)?, structured));
        }
    }
    let date = if covers(&field("date")) { Some(parse_date(&request.header_value("date")?)?) } else { None };
    let time = |t: Option<i64>| t.map(|t| u64::try_from(t).unwrap_or(0));
    Ok(SignedRequest {
        scheme: Scheme::Rfc9421,
        key_id,
        base: base.into_bytes(),
        signature: parsed.signature,
        covers_target,
        covers_authority: covers(&Component::Authority) || covers(&Component::TargetUri) || covers(&field("host")),
        has_uncovered_digest: has_digest_header(request.headers) && covered_digests.is_empty(),
        covered_digests,
        date,
        created: time(params.created),
        expires: time(params.expires),
    })
}

fn has_digest_header(headers: &HeaderMap) -> bool {
    headers.contains_key("digest") || headers.contains_key("content-digest")
}

/// Parses an HTTP date into unix seconds.
fn parse_date(text: &str) -> Result<u64, SignatureError> {
    httpdate::parse_http_date(text)
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .ok_or_else(|| SignatureError::BadDate(text.chars().take(64).collect()))
}

impl SignedRequest {
    /// The `keyId` / `keyid` to fetch the public key from.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The signature format the request used.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Checks coverage, time window, signature and (with a body) the body digest.
    pub fn verify(
        &self,
        key: &PublicKey,
        body: Option<&[u8]>,
        now_unix: u64,
        policy: &VerifyPolicy,
    ) -> Result<VerifiedRequest, SignatureError> {
        if !self.covers_target {
            return Err(SignatureError::NotCovered("the request target (method and path)"));
        }
        if !self.covers_authority {
            return Err(SignatureError::NotCovered("host"));
        }
        let times: Vec<u64> = self.date.iter().chain(self.created.iter()).copied().collect();
        if times.is_empty() {
            return Err(SignatureError::NotCovered("date"));
        }
        for time in times {
            let too_old = time.saturating_add(policy.max_age_secs) < now_unix;
            let too_new = time > now_unix.saturating_add(policy.max_future_secs);
            if too_old || too_new {
                return Err(SignatureError::StaleDate);
            }
        }
        if self.expires.is_some_and(|expires| expires < now_unix) {
            return Err(SignatureError::Expired);
        }
        key.verify_rsa_sha256(&self.base, &self.signature)?;
        if let Some(body) = body {
            if self.covered_digests.is_empty() {
                return Err(if self.has_uncovered_digest {
                    SignatureError::NotCovered("digest")
                } else {
                    SignatureError::DigestMissing
                });
            }
            for (value, structured) in &self.covered_digests {
                check_digest_value(value, body, *structured)?;
            }
        }
        Ok(VerifiedRequest { key_id: self.key_id.clone(), scheme: self.scheme })
    }
}
