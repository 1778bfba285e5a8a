//! What `Shoal::start` does before the actors run: the data folder layout, clearing
//! partially written files, the admin account on first start, and re-queueing the
//! transcode jobs a previous run left in sled.

use crate::accounts::{Accounts, NewUser, Role};
use crate::config::{AdminConfig, ShoalConfig};
use crate::error::StartError;
use crate::store::{Store, StoreError};
use crate::transcode::queue;
use crate::videos::{repo, VideoState};
use base64::Engine;
use rand::RngCore;
use std::path::Path;

/// Creates `db/`, `media/`, `uploads/`, `tmp/` and `originals/` under the data folder.
pub fn create_dirs(config: &ShoalConfig) -> Result<(), StartError> {
    for dir in [config.db_dir(), config.media_dir(), config.uploads_dir(), config.tmp_dir(), config.originals_dir()] {
        std::fs::create_dir_all(&dir)
            .map_err(|source| StartError::DataDir { path: dir.display().to_string(), source })?;
    }
    Ok(())
}

/// Deletes everything in `tmp/`: files being written when the previous run stopped.
/// Published files live in `media/` and are untouched.
pub fn clear_tmp(tmp_dir: &Path) -> Result<usize, StartError> {
    let data_dir_err = |source| StartError::DataDir { path: tmp_dir.display().to_string(), source };
    let mut removed = 0;
    for entry in std::fs::read_dir(tmp_dir).map_err(data_dir_err)? {
        let path = entry.map_err(data_dir_err)?.path();
        let result = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        match result {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "could not remove a stale temporary file"),
        }
    }
    Ok(removed)
}

/// Creates the admin on a fresh data folder. Returns the password when it was generated.
pub async fn ensure_admin(accounts: &Accounts, admin: &AdminConfig) -> Result<Option<String>, StartError> {
    if accounts.has_users()? {
        return Ok(None);
    }
    let generated = admin.password.is_empty();
    let password = if generated { random_password() } else { admin.password.clone() };
    let user = accounts
        .create_user(NewUser {
            username: admin.username.clone(),
            password: password.clone(),
            email: admin.email.clone(),
            role: Role::Administrator,
            video_quota: Some(-1),
            video_quota_daily: Some(-1),
            channel_name: None,
        })
        .await?;
    tracing::info!(username = %user.username, generated_password = generated, "admin account created");
    Ok(generated.then_some(password))
}

/// 18 random bytes as base64url: 24 characters.
fn random_password() -> String {
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Drops queued jobs that have nothing left to do (video deleted or failed, rung already
/// recorded) and returns the uuids of videos whose jobs remain, to resume.
pub fn settle_queue(store: &Store) -> Result<Vec<uuid::Uuid>, StoreError> {
    let mut resume = Vec::new();
    for job in queue::all(store)? {
        let live = match repo::load(store, job.video_id)? {
            Some(video) => {
                video.uuid == job.video_uuid
                    && video.state != VideoState::TranscodingFailed
                    && !video.files.iter().any(|f| f.resolution == job.height)
            }
            None => false,
        };
        if live {
            if !resume.contains(&job.video_uuid) {
                resume.push(job.video_uuid);
            }
        } else {
            queue::remove(store, &job)?;
        }
    }
    Ok(resume)
}
