//! Tells followers about local videos. A task watches the `videos` tree; for each local
//! video it compares what followers were last sent (a digest in `federated_videos`)
//! with what they should know: a newly published video is sent as `Create`, a changed
//! one as `Update`, a deleted (or no longer public/unlisted) one as `Delete`, to the
//! followers of the instance, the video's account and its channel. At start-up every
//! video is reconciled the same way, so a crash between publishing a video and queueing
//! its `Create` loses nothing (a crash after queueing may send it twice, which receivers
//! treat as an update).

use super::documents::{is_federated, video_object};
use super::urls::INSTANCE_ACTOR_NAME;
use super::{follows, ApServiceError, Ctx};
use crate::store::{self, keys, tree};
use crate::videos::record::{Privacy, VideoRecord};
use crate::videos::repo;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shoal_protocol::activitypub::activity::{self, ActivityKind};
use shoal_protocol::activitypub::PUBLIC;
use tokio::sync::mpsc;
use uuid::Uuid;

/// What was last sent about a local video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FederatedVideo {
    pub uuid: Uuid,
    /// The account actor that sent it (`accounts/root`), which also sends its Delete.
    pub account_path: String,
    pub channel_path: String,
    /// Hex SHA-256 of the `Video` object sent (without its view count).
    pub digest: String,
}

/// Starts the publisher: reconciles every video, then follows changes. Returns its tasks.
pub fn spawn(ctx: Ctx) -> Vec<tokio::task::AbortHandle> {
    let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
    let mut subscriber = ctx.store.videos.watch_prefix(Vec::<u8>::new());
    // The subscriber only forwards ids: sled blocks writers when a subscriber lags.
    let forwarder = tokio::spawn(async move {
        while let Some(event) = (&mut subscriber).await {
            let key = match &event {
                sled::Event::Insert { key, .. } | sled::Event::Remove { key } => key,
            };
            if let Ok(id) = keys::read_id(tree::VIDEOS, key) {
                if tx.send(id).is_err() {
                    break;
                }
            }
        }
    });
    let worker = tokio::spawn(async move {
        if let Err(err) = reconcile_all(&ctx).await {
            tracing::error!(error = %err, "reconciling federated videos at start-up");
        }
        while let Some(id) = rx.recv().await {
            if let Err(err) = reconcile(&ctx, id).await {
                tracing::warn!(video_id = id, error = %err, "telling followers about a video");
            }
        }
    });
    vec![forwarder.abort_handle(), worker.abort_handle()]
}

async fn reconcile_all(ctx: &Ctx) -> Result<(), ApServiceError> {
    let mut ids = Vec::new();
    for entry in ctx.store.videos.iter() {
        let (key, _) = entry?;
        ids.push(keys::read_id(tree::VIDEOS, &key)?);
    }
    for entry in ctx.store.federated_videos.iter() {
        let (key, _) = entry?;
        let id = keys::read_id(tree::FEDERATED_VIDEOS, &key)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    for id in ids {
        reconcile(ctx, id).await?;
    }
    Ok(())
}

fn digest_of(object: &Value) -> String {
    let mut object = object.clone();
    if let Value::Object(map) = &mut object {
        map.remove("views");
    }
    hex::encode(Sha256::digest(object.to_string().as_bytes()))
}

/// Brings followers up to date about video `id`.
pub async fn reconcile(ctx: &Ctx, id: u64) -> Result<(), ApServiceError> {
    let key = keys::id_key(id);
    let record = repo::load(&ctx.store, id)?.filter(is_federated);
    let mark: Option<FederatedVideo> = store::get(&ctx.store.federated_videos, tree::FEDERATED_VIDEOS, key)?;
    match (record, mark) {
        (Some(video), mark) => {
            let object = video_object(ctx, &video)?.to_object();
            let digest = digest_of(&object);
            if mark.as_ref().is_some_and(|m| m.digest == digest) {
                return Ok(());
            }
            let kind = if mark.is_some() { ActivityKind::Update } else { ActivityKind::Create };
            let (account_path, channel_path) = paths_of(ctx, &video)?;
            send(ctx, kind, &video, object, &account_path, &channel_path).await?;
            let mark = FederatedVideo { uuid: video.uuid, account_path, channel_path, digest };
            store::put(&ctx.store.federated_videos, key, &mark)?;
            ctx.store.flush().await?;
        }
        (None, Some(mark)) => {
            let url = ctx.urls.video(mark.uuid);
            let audience = audience(ctx, &mark.account_path, &mark.channel_path, true)?;
            let actor = ctx.urls.actor_id(&mark.account_path);
            let id = ctx.urls.new_activity(&actor, "delete");
            let doc = activity::build(ActivityKind::Delete, &id, &actor, json!(url), &audience.to, &audience.cc);
            ctx.deliver(&id, &doc, &mark.account_path, audience.inboxes).await?;
            ctx.store.federated_videos.remove(key)?;
            ctx.store.flush().await?;
            tracing::info!(video = %mark.uuid, "video deletion sent to followers");
        }
        (None, None) => {}
    }
    Ok(())
}

pub(super) fn paths_of(ctx: &Ctx, video: &VideoRecord) -> Result<(String, String), ApServiceError> {
    let account = match ctx.accounts.user(video.account_id)? {
        Some(user) => format!("accounts/{}", user.username),
        None => format!("accounts/{INSTANCE_ACTOR_NAME}"),
    };
    let channel = match ctx.accounts.channel(video.channel_id)? {
        Some(channel) => format!("video-channels/{}", channel.name),
        None => account.clone(),
    };
    Ok((account, channel))
}

struct Audience {
    to: Vec<String>,
    cc: Vec<String>,
    inboxes: Vec<String>,
}

fn audience(ctx: &Ctx, account_path: &str, channel_path: &str, public: bool) -> Result<Audience, ApServiceError> {
    let paths = vec![format!("accounts/{INSTANCE_ACTOR_NAME}"), account_path.to_string(), channel_path.to_string()];
    let followers: Vec<String> =
        [account_path, channel_path].iter().map(|p| format!("{}/followers", ctx.urls.actor_id(p))).collect();
    let (to, cc) = if public { (vec![PUBLIC.to_string()], followers) } else { (followers, vec![PUBLIC.to_string()]) };
    Ok(Audience { to, cc, inboxes: follows::follower_inboxes(&ctx.store, &paths)? })
}

async fn send(
    ctx: &Ctx,
    kind: ActivityKind,
    video: &VideoRecord,
    object: Value,
    account_path: &str,
    channel_path: &str,
) -> Result<(), ApServiceError> {
    let audience = audience(ctx, account_path, channel_path, video.privacy == Privacy::Public)?;
    let actor = ctx.urls.actor_id(account_path);
    let id = ctx.urls.new_activity(&actor, kind.as_str());
    let doc = activity::build(kind, &id, &actor, object, &audience.to, &audience.cc);
    let queued = ctx.deliver(&id, &doc, account_path, audience.inboxes).await?;
    tracing::info!(video = %video.uuid, kind = kind.as_str(), inboxes = queued, "video sent to followers");
    Ok(())
}
