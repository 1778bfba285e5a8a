//! The seam between outbound requests and HTTP Signatures: the client builds a request's
//! method, URI and headers (`Host`, `Accept` or `Content-Type`) and hands them to a
//! [`RequestSigner`], which adds what it signs (`Date`, `Digest`, `Signature`, ...). The
//! delivery queue calls it at send time on every attempt, so `Date` and the signature
//! are fresh on retries.

use http::{HeaderMap, Method, Uri};

/// Signs an outgoing request in place.
pub trait RequestSigner: Send + Sync + 'static {
    /// Adds the signature headers for `key_id` (the signing actor's `publicKey.id`).
    /// `body` is the exact bytes that will be sent (`None` for a GET). An error
    /// (unknown key, ...) aborts the request; deliveries retry it later.
    fn sign(
        &self,
        key_id: &str,
        method: &Method,
        uri: &Uri,
        headers: &mut HeaderMap,
        body: Option<&[u8]>,
    ) -> Result<(), String>;
}

/// The signer of a node started without one: it refuses, so nothing unsigned leaves the
/// node (deliveries wait in the queue and are retried until a signer is installed).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSigner;

impl RequestSigner for NoSigner {
    fn sign(&self, _: &str, _: &Method, _: &Uri, _: &mut HeaderMap, _: Option<&[u8]>) -> Result<(), String> {
        Err("no request signer is installed".into())
    }
}
