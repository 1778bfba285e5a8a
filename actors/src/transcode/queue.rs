//! The durable transcode queue in sled: one [`JobRecord`] per (video, rung), keyed so that
//! iteration yields the lowest rung first across every video. A job leaves the queue only
//! when its rung is recorded on the video, when it exhausts its attempts (after the video
//! was told), or when the video is deleted; anything else (crash, shutdown) leaves it to
//! be resumed.

use crate::store::{self, codec, keys, tree, Store, StoreError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One rung of one video to transcode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub video_id: u64,
    pub video_uuid: Uuid,
    /// The rung's resolution: the short side of the output (PeerTube's convention;
    /// the height of a landscape video).
    pub height: u32,
    pub bitrate_kbps: u32,
    /// Attempts that failed so far (interrupted attempts, by a crash or shutdown, do not count).
    pub failures: u32,
    /// Unix milliseconds before which the job must not start (retry backoff).
    pub not_before_ms: u64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl JobRecord {
    /// A fresh job.
    pub fn new(video_id: u64, video_uuid: Uuid, height: u32, bitrate_kbps: u32) -> JobRecord {
        JobRecord { video_id, video_uuid, height, bitrate_kbps, failures: 0, not_before_ms: 0, last_error: None }
    }

    /// Its key in the `jobs` tree.
    pub fn key(&self) -> [u8; 12] {
        keys::job_key(self.height, self.video_id)
    }
}

/// Every queued job, lowest rung first.
pub fn all(store: &Store) -> Result<Vec<JobRecord>, StoreError> {
    let mut jobs = Vec::new();
    for entry in store.jobs.iter() {
        let (_, bytes) = entry?;
        jobs.push(codec::decode(tree::JOBS, &bytes)?);
    }
    Ok(jobs)
}

/// Writes (or rewrites) a job.
pub fn put(store: &Store, job: &JobRecord) -> Result<(), StoreError> {
    store::put(&store.jobs, job.key(), job)
}

/// Removes a job.
pub fn remove(store: &Store, job: &JobRecord) -> Result<(), StoreError> {
    store.jobs.remove(job.key())?;
    Ok(())
}

/// Removes every job of a video; returns how many there were.
pub fn remove_video(store: &Store, video_id: u64) -> Result<usize, StoreError> {
    let mut removed = 0;
    for job in all(store)? {
        if job.video_id == video_id {
            remove(store, &job)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The backoff before retry number `failures` (1-based): `base_ms * 2^(failures-1)`, capped
/// at one hour.
pub fn backoff_ms(base_ms: u64, failures: u32) -> u64 {
    let shift = failures.saturating_sub(1).min(20);
    base_ms.saturating_mul(1u64 << shift).min(3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(100, 1), 100);
        assert_eq!(backoff_ms(100, 2), 200);
        assert_eq!(backoff_ms(100, 3), 400);
        assert_eq!(backoff_ms(2_000, 40), 3_600_000);
        assert_eq!(backoff_ms(0, 5), 0);
    }
}
