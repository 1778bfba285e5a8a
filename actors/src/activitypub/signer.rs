//! Signs outgoing requests with local actors' keys: the [`RequestSigner`] the delivery
//! queues and the fetch client call for every attempt (a retry is signed afresh, with a
//! new Date). Draft-cavage by default, RFC 9421 when `federation.signature_scheme` says so.

use super::{ActorKeys, LocalUrls};
use crate::clock::unix_secs;
use crate::federation::RequestSigner;
use shoal_protocol::http_signatures::{self, Scheme};

/// Signs as whichever local actor a key id names.
pub struct KeySigner {
    keys: ActorKeys,
    urls: LocalUrls,
    scheme: Scheme,
}

impl KeySigner {
    pub fn new(keys: ActorKeys, urls: LocalUrls, scheme: Scheme) -> KeySigner {
        KeySigner { keys, urls, scheme }
    }
}

impl RequestSigner for KeySigner {
    fn sign(
        &self,
        key_id: &str,
        method: &http::Method,
        uri: &http::Uri,
        headers: &mut http::HeaderMap,
        body: Option<&[u8]>,
    ) -> Result<(), String> {
        let actor = key_id.split('#').next().unwrap_or(key_id);
        let path = self.urls.actor_path(actor).ok_or_else(|| format!("{key_id} is not a local key"))?;
        let key = self.keys.get(&path).map_err(|e| e.to_string())?.ok_or_else(|| format!("no key for {path}"))?;
        http_signatures::sign_request(self.scheme, method, uri, headers, body, key_id, &key, unix_secs())
            .map_err(|e| e.to_string())
    }
}
