//! Signs outgoing requests with local actors' keys: the [`RequestSigner`] the delivery
//! queues and the fetch client call for every attempt (a retry is signed afresh, with a
//! new Date). The scheme is chosen per host by [`HostSchemes`]: the configured
//! `federation.signature_scheme` (draft-cavage by default), except that a host known to
//! verify draft-cavage only is sent cavage; a 401/403 to an RFC 9421 POST teaches that.

use std::sync::Arc;

use super::{ActorKeys, LocalUrls};
use crate::clock::unix_secs;
use crate::federation::host_schemes::{host_of_uri, HostSchemes};
use crate::federation::RequestSigner;
use shoal_protocol::http_signatures::{self, Scheme};

/// Signs as whichever local actor a key id names.
pub struct KeySigner {
    keys: ActorKeys,
    urls: LocalUrls,
    schemes: Arc<HostSchemes>,
}

impl KeySigner {
    pub fn new(keys: ActorKeys, urls: LocalUrls, schemes: Arc<HostSchemes>) -> KeySigner {
        KeySigner { keys, urls, schemes }
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
    ) -> Result<Option<Scheme>, String> {
        let actor = key_id.split('#').next().unwrap_or(key_id);
        let path = self.urls.actor_path(actor).ok_or_else(|| format!("{key_id} is not a local key"))?;
        let key = self.keys.get(&path).map_err(|e| e.to_string())?.ok_or_else(|| format!("no key for {path}"))?;
        let scheme = host_of_uri(uri).map_or(self.schemes.preference(), |host| self.schemes.scheme_for(&host));
        http_signatures::sign_request(scheme, method, uri, headers, body, key_id, &key, unix_secs())
            .map_err(|e| e.to_string())?;
        Ok(Some(scheme))
    }

    fn refused(&self, uri: &http::Uri, scheme: Scheme, status: http::StatusCode) -> bool {
        host_of_uri(uri).is_some_and(|host| self.schemes.refused(&host, scheme, status))
    }
}
