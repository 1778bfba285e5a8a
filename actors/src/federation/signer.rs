//! The seam between outbound requests and HTTP Signatures: the client builds a request's
//! method, URI and headers (`Host`, `Accept` or `Content-Type`) and hands them to a
//! [`RequestSigner`], which adds what it signs (`Date`, `Digest`, `Signature`, ...) and
//! says which scheme it used. The delivery queue calls it at send time on every attempt,
//! so `Date` and the signature are fresh on retries. When a host answers 401 or 403 to
//! a signed POST, the client tells the signer ([`RequestSigner::refused`]); a signer that
//! will now sign differently for that host gets the POST retried at once.

use http::{HeaderMap, Method, StatusCode, Uri};
use shoal_protocol::http_signatures::Scheme;

/// Signs an outgoing request in place.
pub trait RequestSigner: Send + Sync + 'static {
    /// Adds the signature headers for `key_id` (the signing actor's `publicKey.id`).
    /// `body` is the exact bytes that will be sent (`None` for a GET). Returns the scheme
    /// it signed with (`None` when it does not sign with HTTP Signatures, as test signers
    /// do). An error (unknown key, ...) aborts the request; deliveries retry it later.
    fn sign(
        &self,
        key_id: &str,
        method: &Method,
        uri: &Uri,
        headers: &mut HeaderMap,
        body: Option<&[u8]>,
    ) -> Result<Option<Scheme>, String>;

    /// The host of `uri` answered `status` (401 or 403) to a POST signed with `scheme`.
    /// Returns true when the signer now signs differently for that host, so the client
    /// retries the POST at once. The default learns nothing.
    fn refused(&self, uri: &Uri, scheme: Scheme, status: StatusCode) -> bool {
        let _ = (uri, scheme, status);
        false
    }
}

/// The signer of a node started without one: it refuses, so nothing unsigned leaves the
/// node (deliveries wait in the queue and are retried until a signer is installed).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSigner;

impl RequestSigner for NoSigner {
    fn sign(
        &self,
        _: &str,
        _: &Method,
        _: &Uri,
        _: &mut HeaderMap,
        _: Option<&[u8]>,
    ) -> Result<Option<Scheme>, String> {
        Err("no request signer is installed".into())
    }
}
