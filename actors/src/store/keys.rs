//! Key layouts of the sled trees, chosen for the scans the code does.
//!
//! - Numeric ids are 8-byte big-endian, so iteration follows allocation order.
//! - Transcode jobs are keyed `height (u32 BE) ++ video id (u64 BE)`: iterating the queue
//!   yields the lowest rung first across every video (a video publishes as soon as its
//!   lowest rung is done), then the oldest video.
//! - Deliveries are keyed `host ++ 0x00 ++ sequence (u64 BE)`: one host's records are
//!   contiguous and in enqueue order, and a scan can skip from one host to the next.

use super::StoreError;

/// Key of a record with a numeric id.
pub fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

/// Reads a numeric id key or index value.
pub fn read_id(tree: &'static str, bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] =
        bytes.try_into().map_err(|_| StoreError::Decode { tree, reason: format!("id of {} bytes", bytes.len()) })?;
    Ok(u64::from_be_bytes(array))
}

/// Key of a transcode job.
pub fn job_key(height: u32, video_id: u64) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..4].copy_from_slice(&height.to_be_bytes());
    key[4..].copy_from_slice(&video_id.to_be_bytes());
    key
}

/// Key of a queued delivery. `host` never contains 0x00 (it is a URL authority).
pub fn delivery_key(host: &str, seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(host.len() + 9);
    key.extend_from_slice(host.as_bytes());
    key.push(0);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// The prefix of every delivery key of `host`.
pub fn delivery_prefix(host: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(host.len() + 1);
    key.extend_from_slice(host.as_bytes());
    key.push(0);
    key
}

/// Splits a delivery key into its host and sequence.
pub fn read_delivery_key(bytes: &[u8]) -> Result<(String, u64), StoreError> {
    let bad = |reason: &str| StoreError::Decode { tree: super::tree::DELIVERIES, reason: reason.to_string() };
    if bytes.len() < 10 {
        return Err(bad("delivery key too short"));
    }
    let (head, seq) = bytes.split_at(bytes.len() - 8);
    let (host, zero) = head.split_at(head.len() - 1);
    if zero != [0] || host.contains(&0) {
        return Err(bad("delivery key without its separator"));
    }
    let host = std::str::from_utf8(host).map_err(|_| bad("delivery key host is not UTF-8"))?;
    Ok((host.to_string(), read_id(super::tree::DELIVERIES, seq)?))
}

/// Key of a comment in a video's index: `video id BE ++ comment id BE`.
pub fn video_comment_key(video_id: u64, comment_id: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&video_id.to_be_bytes());
    key[8..].copy_from_slice(&comment_id.to_be_bytes());
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn delivery_keys_round_trip_and_group_by_host(h1 in "[a-z0-9.:-]{1,40}", h2 in "[a-z0-9.:-]{1,40}", a: u64, b: u64) {
            let key = delivery_key(&h1, a);
            prop_assert_eq!(read_delivery_key(&key).ok(), Some((h1.clone(), a)));
            prop_assert!(key.starts_with(&delivery_prefix(&h1)));
            // Order within a host follows the sequence.
            prop_assert_eq!(delivery_key(&h1, a) < delivery_key(&h1, b), a < b);
            // Another host's keys never fall under this host's prefix.
            if h1 != h2 {
                prop_assert!(!delivery_key(&h2, b).starts_with(&delivery_prefix(&h1)));
            }
        }

        #[test]
        fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = read_delivery_key(&bytes);
        }
    }

    #[test]
    fn job_keys_sort_lowest_rung_first_then_oldest_video() {
        let mut keys = vec![job_key(720, 1), job_key(360, 9), job_key(360, 2), job_key(1080, 0)];
        keys.sort();
        assert_eq!(keys, vec![job_key(360, 2), job_key(360, 9), job_key(720, 1), job_key(1080, 0)]);
    }

    #[test]
    fn ids_round_trip_and_sort() {
        assert_eq!(read_id("t", &id_key(42)).ok(), Some(42));
        assert!(id_key(255) < id_key(256));
        assert!(read_id("t", &[1, 2, 3]).is_err());
    }
}
