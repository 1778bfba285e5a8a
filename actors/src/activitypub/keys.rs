//! The RSA-2048 keys of local actors (the instance, accounts, channels): made on first
//! use, kept in sled as PKCS#8 PEM, cached parsed in memory. They sign every outgoing
//! request; their public halves are in the actor documents.

use super::ApServiceError;
use crate::store::Store;
use shoal_protocol::http_signatures::PrivateKey;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The local actors' keys. Cheap to clone.
#[derive(Clone)]
pub struct ActorKeys {
    store: Store,
    cache: Arc<RwLock<HashMap<String, PrivateKey>>>,
}

impl ActorKeys {
    pub fn new(store: Store) -> ActorKeys {
        ActorKeys { store, cache: Arc::default() }
    }

    /// The key of the actor at `path` (`accounts/root`), made and stored if it has none.
    pub async fn get_or_create(&self, path: &str) -> Result<PrivateKey, ApServiceError> {
        if let Some(key) = self.get(path)? {
            return Ok(key);
        }
        let generated = tokio::task::spawn_blocking(PrivateKey::generate)
            .await
            .map_err(|e| ApServiceError::Internal(format!("key generation task: {e}")))?
            .map_err(|e| ApServiceError::Internal(format!("key generation: {e}")))?;
        let pem = generated.to_pkcs8_pem();
        // Two callers may race: the first stored key wins, everyone uses it.
        let _ = self.store.actor_keys.compare_and_swap(path, None as Option<&[u8]>, Some(pem.as_bytes()))?;
        self.store.flush().await?;
        self.get(path)?.ok_or_else(|| ApServiceError::Internal(format!("key of {path} vanished")))
    }

    /// The stored key of the actor at `path`, if it has one.
    pub fn get(&self, path: &str) -> Result<Option<PrivateKey>, ApServiceError> {
        if let Ok(cache) = self.cache.read() {
            if let Some(key) = cache.get(path) {
                return Ok(Some(key.clone()));
            }
        }
        let Some(pem) = self.store.actor_keys.get(path)? else { return Ok(None) };
        let pem = std::str::from_utf8(&pem).map_err(|e| ApServiceError::Internal(format!("key of {path}: {e}")))?;
        let key =
            PrivateKey::from_pkcs8_pem(pem).map_err(|e| ApServiceError::Internal(format!("key of {path}: {e}")))?;
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(path.to_string(), key.clone());
        }
        Ok(Some(key))
    }
}
