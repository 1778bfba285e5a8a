//! Key layouts of the sled trees, chosen for the scans the code does.
//!
//! - Numeric ids are 8-byte big-endian, so iteration follows allocation order.
//! - Transcode jobs are keyed `height (u32 BE) ++ video id (u64 BE)`: iterating the queue
//!   yields the lowest rung first across every video (a video publishes as soon as its
//!   lowest rung is done), then the oldest video.

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
