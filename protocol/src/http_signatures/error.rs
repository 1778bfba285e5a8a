//! The error types of HTTP Signatures: key handling, signing, and verification (each
//! verification variant maps to a clear 401 or 400 for the remote sender).

use thiserror::Error;

/// Loading, generating or using an RSA key failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The PEM text is not a well-formed PEM block; the caller should reject the key document.
    #[error("malformed PEM: {0}")]
    Pem(String),
    /// The PEM block has a label this key type does not accept (e.g. a certificate).
    #[error("unexpected PEM label {0:?}")]
    UnexpectedLabel(String),
    /// The DER inside the PEM is not an acceptable RSA key (wrong type, too small, invalid).
    #[error("key rejected: {0}")]
    Rejected(String),
    /// The operating system's random source or the RSA key generator failed.
    #[error("RSA key generation failed")]
    Generate,
    /// The RSA signing primitive failed (should not happen with a valid key).
    #[error("RSA signing failed")]
    Sign,
}

/// Signing an outgoing request failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SignError {
    /// The URI given to `sign_request` has no authority (host); pass an absolute URI.
    #[error("request URI must be absolute (scheme and host): {0}")]
    NotAbsolute(String),
    /// A header value to be signed is not visible ASCII, so no verifier could rebuild it.
    #[error("header {0} cannot be signed: {1}")]
    BadHeader(String, String),
    /// The key could not sign.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Verifying an incoming signed request failed; every variant is the sender's fault.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// No `Signature`, `Signature-Input` or `Authorization: Signature` header: answer 401.
    #[error("request is not signed")]
    Missing,
    /// A signature header could not be parsed: answer 400 with the reason.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The signature uses an algorithm Shoal does not verify (only RSA with SHA-256).
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// A header named in the signature is absent from the request.
    #[error("signed header {0:?} is missing from the request")]
    MissingHeader(String),
    /// The signature's Date or creation time is outside the accepted window.
    #[error("signature date is outside the accepted window")]
    StaleDate,
    /// The signature carries an expiry time that has passed.
    #[error("signature has expired")]
    Expired,
    /// The `Date` header is present but not an HTTP date.
    #[error("malformed Date header: {0}")]
    BadDate(String),
    /// A body digest header does not match the body received.
    #[error("body digest does not match the body")]
    DigestMismatch,
    /// A request with a body carries no `Digest` or `Content-Digest` header.
    #[error("request with a body has no Digest or Content-Digest header")]
    DigestMissing,
    /// The digest headers name only algorithms Shoal does not compute.
    #[error("no supported digest algorithm in {0:?}")]
    UnsupportedDigest(String),
    /// A part of the request that must be signed is not covered by the signature.
    #[error("signature does not cover {0}")]
    NotCovered(&'static str),
    /// The cryptographic check failed: wrong key, or the request was altered.
    #[error("signature does not verify")]
    BadSignature,
}
