//! The durable delivery queue in sled: one [`DeliveryRecord`] per (activity, inbox),
//! keyed `host ++ 0x00 ++ sequence` so each host's records are contiguous and in
//! enqueue order. A record is on disk (flushed) before `enqueue` returns; it leaves the
//! queue when delivered (2xx), rejected for good (other 4xx) or expired.

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::store::{self, codec, counter, keys, tree, Store, StoreError};

/// One activity to POST to one inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// The inbox URL (personal or shared).
    pub inbox: String,
    /// The activity's id (logs, and tests checking order and duplicates).
    pub activity_id: String,
    /// The exact JSON to POST (JSON is UTF-8, and CBOR stores text compactly).
    pub body: String,
    /// The key id to sign with (`publicKey.id` of the sending actor).
    pub key_id: String,
    /// When it was enqueued (Unix ms).
    pub enqueued_at_ms: u64,
    /// Attempts that failed so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Earliest time of the next attempt (Unix ms; informative, the host's schedule rules).
    pub next_attempt_at_ms: u64,
}

/// A queued record and its key.
#[derive(Debug, Clone)]
pub struct Queued {
    pub key: Vec<u8>,
    pub record: DeliveryRecord,
}

/// Why an inbox URL cannot be queued.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("invalid inbox URL {0:?}")]
    Invalid(String),
}

/// The queue key of an inbox: its authority, `host[:port]` (port only when explicit and
/// not the scheme's default), lowercase.
pub fn host_of(inbox: &str) -> Result<String, InboxError> {
    let url = Url::parse(inbox).map_err(|_| InboxError::Invalid(inbox.to_string()))?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| InboxError::Invalid(inbox.to_string()))?;
    let host = host.to_ascii_lowercase();
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Writes records (not flushed: the caller flushes once for a batch). Returns their keys.
pub fn insert(store: &Store, host: &str, record: &DeliveryRecord) -> Result<Vec<u8>, StoreError> {
    let seq = store.next_id(counter::DELIVERY_SEQ)?;
    let key = keys::delivery_key(host, seq);
    store::put(&store.deliveries, &key, record)?;
    Ok(key)
}

/// The oldest record of `host`. A record this build cannot decode is removed (and
/// logged): left in place it would block its host's queue forever.
pub fn head(store: &Store, host: &str) -> Result<Option<Queued>, StoreError> {
    while let Some(entry) = store.deliveries.scan_prefix(keys::delivery_prefix(host)).next() {
        let (key, bytes) = entry?;
        match codec::decode(tree::DELIVERIES, &bytes) {
            Ok(record) => return Ok(Some(Queued { key: key.to_vec(), record })),
            Err(e) => {
                tracing::error!(host, error = %e, "dropping an unreadable delivery record");
                store.deliveries.remove(&key)?;
            }
        }
    }
    Ok(None)
}

/// Rewrites a record in place (attempts, last error).
pub fn update(store: &Store, queued: &Queued) -> Result<(), StoreError> {
    store::put(&store.deliveries, &queued.key, &queued.record)
}

/// Removes a record.
pub fn remove(store: &Store, key: &[u8]) -> Result<(), StoreError> {
    store.deliveries.remove(key)?;
    Ok(())
}

/// Records queued for `host`.
pub fn depth(store: &Store, host: &str) -> u64 {
    store.deliveries.scan_prefix(keys::delivery_prefix(host)).keys().count() as u64
}

/// Every host with at least one queued record, skipping from one host to the next.
pub fn hosts(store: &Store) -> Result<Vec<String>, StoreError> {
    let mut hosts = Vec::new();
    let mut from: Vec<u8> = Vec::new();
    while let Some(entry) = store.deliveries.range(from.clone()..).next() {
        let (key, _) = entry?;
        let (host, _) = keys::read_delivery_key(&key)?;
        // The next host starts after every `host ++ 0x00 ++ ...` key.
        from = keys::delivery_prefix(&host);
        if let Some(last) = from.last_mut() {
            *last = 1;
        }
        hosts.push(host);
    }
    Ok(hosts)
}

/// Whether nothing is queued.
pub fn is_empty(store: &Store) -> bool {
    store.deliveries.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> DeliveryRecord {
        DeliveryRecord {
            inbox: "https://a.example/inbox".into(),
            activity_id: id.into(),
            body: "{}".into(),
            key_id: "k".into(),
            enqueued_at_ms: 1,
            attempts: 0,
            last_error: None,
            next_attempt_at_ms: 0,
        }
    }

    #[test]
    fn host_keys() {
        assert_eq!(host_of("https://Mastodon.Example/inbox").unwrap(), "mastodon.example");
        assert_eq!(host_of("https://a.example:443/inbox").unwrap(), "a.example");
        assert_eq!(host_of("http://127.0.0.1:8080/inbox").unwrap(), "127.0.0.1:8080");
        assert_eq!(host_of("https://[::1]:9/x").unwrap(), "[::1]:9");
        assert!(host_of("not a url").is_err());
        assert!(host_of("mailto:a@b").is_err());
    }

    #[test]
    fn heads_follow_order_and_hosts_are_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for (host, id) in [("b.example", "1"), ("a.example", "2"), ("b.example", "3"), ("a.example:8", "4")] {
            insert(&store, host, &record(id)).unwrap();
        }
        assert_eq!(hosts(&store).unwrap(), vec!["a.example", "a.example:8", "b.example"]);
        let first = head(&store, "b.example").unwrap().unwrap();
        assert_eq!(first.record.activity_id, "1");
        assert_eq!(depth(&store, "b.example"), 2);
        remove(&store, &first.key).unwrap();
        assert_eq!(head(&store, "b.example").unwrap().unwrap().record.activity_id, "3");
        assert_eq!(head(&store, "c.example").unwrap().map(|q| q.record), None);
        let decoded: DeliveryRecord = codec::decode(tree::DELIVERIES, &codec::encode(&record("x")).unwrap()).unwrap();
        assert_eq!(decoded, record("x"));
    }
}
