//! [`ActivityPub`]: the service the web edge calls for everything federated: actor,
//! video and comment documents, collections, WebFinger, NodeInfo, the inbox, and the
//! admin's server following.

use super::inbox_limit::InboxLimiter;
use super::urls::INSTANCE_ACTOR_NAME;
use super::{documents, follows, publisher, ActorKeys, ApMetrics, ApServiceError, Ctx, InboxRequest, LocalUrls};
use crate::accounts::Accounts;
use crate::clock::now_rfc3339;
use crate::config::ShoalConfig;
use crate::federation::Federation;
use crate::social::Social;
use crate::store::Store;
use crate::videos::list::{VideoListQuery, VideoSort};
use crate::videos::record::VideoRecord;
use serde_json::{json, Value};
use shoal_protocol::activitypub::activity::{self, ActivityKind};
use shoal_protocol::activitypub::collection::{self, PAGE_SIZE};
use shoal_protocol::activitypub::webfinger::{self, Resource};
use shoal_protocol::activitypub::{context, nodeinfo, PUBLIC};
use std::sync::Arc;

/// Which kind of local actor a route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalActorKind {
    /// `/accounts/{name}` (the instance actor is the account `peertube`).
    Account,
    /// `/video-channels/{name}`.
    Channel,
}

/// One side of a follow, as the REST API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowSide {
    pub name: String,
    pub host: String,
    pub url: String,
    /// PeerTube's `hostRedundancyAllowed` (see `follows::set_host_redundancy`).
    pub host_redundancy_allowed: bool,
}

/// A follow relation, for `GET /api/v1/server/following` and `.../followers`.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowEntry {
    pub id: u64,
    pub follower: FollowSide,
    pub following: FollowSide,
    pub state: &'static str,
    pub created_at: String,
}

/// The ActivityPub service. Cheap to clone.
#[derive(Clone)]
pub struct ActivityPub {
    ctx: Ctx,
    tasks: Arc<Tasks>,
}

/// The service's long-running tasks (publisher, federating hook); they hold the store, so
/// they are aborted when the last clone of the service goes away or at [`ActivityPub::stop`].
#[derive(Default)]
struct Tasks(std::sync::Mutex<Vec<tokio::task::AbortHandle>>);

impl Tasks {
    fn abort_all(&self) {
        let handles = match self.0.lock() {
            Ok(mut handles) => std::mem::take(&mut *handles),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for handle in handles {
            handle.abort();
        }
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl ActivityPub {
    /// The service over the node's parts; [`ActivityPub::start`] starts its tasks.
    pub fn new(
        store: Store,
        config: Arc<ShoalConfig>,
        accounts: Accounts,
        federation: Federation,
        social: Social,
        keys: ActorKeys,
    ) -> ActivityPub {
        let urls = LocalUrls::new(&config.instance.public_url);
        let limiter = Arc::new(InboxLimiter::new(config.federation.inbox_requests_per_host_per_minute));
        ActivityPub {
            ctx: Ctx {
                store,
                config,
                urls,
                keys,
                accounts,
                federation,
                social,
                metrics: ApMetrics::default(),
                inbox_limiter: limiter,
                remote_video_lock: Arc::default(),
                refetched: Arc::default(),
                probed_software: Arc::default(),
            },
            tasks: Arc::default(),
        }
    }

    /// Starts the publisher and installs the hook that federates comments, ratings and views.
    pub fn start(&self) {
        let (hook, worker) = super::social_hook::FederatingHook::start(self.ctx.clone());
        self.ctx.social.set_hook(Arc::new(hook));
        let mut handles = publisher::spawn(self.ctx.clone());
        handles.push(worker);
        match self.tasks.0.lock() {
            Ok(mut tasks) => tasks.extend(handles),
            Err(poisoned) => poisoned.into_inner().extend(handles),
        }
    }

    /// Stops the background tasks (shutdown): local changes are no longer federated.
    pub fn stop(&self) {
        self.ctx.social.set_hook(Arc::new(crate::social::NoopHook));
        self.tasks.abort_all();
    }

    /// The shared context of the module's parts (the CacheFile senders use it).
    pub(crate) fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    pub fn urls(&self) -> &LocalUrls {
        &self.ctx.urls
    }

    pub fn metrics(&self) -> &ApMetrics {
        &self.ctx.metrics
    }

    /// The actor document of a local account, channel or the instance; `None` if unknown.
    pub async fn actor_document(&self, kind: LocalActorKind, name: &str) -> Result<Option<Value>, ApServiceError> {
        let id = match kind {
            LocalActorKind::Account => self.ctx.urls.account(name),
            LocalActorKind::Channel => self.ctx.urls.channel(name),
        };
        Ok(documents::local_actor(&self.ctx, &id).await?.map(|a| a.to_json()))
    }

    /// The JRD for a `resource` naming a local actor.
    pub async fn webfinger(&self, resource: &str) -> Result<Value, ApServiceError> {
        let id = match webfinger::parse_resource(resource)? {
            Resource::Account { name, host } => {
                if host != self.ctx.urls.host() {
                    return Err(ApServiceError::NotFound(format!("{host} is not this instance")));
                }
                // PeerTube looks up accounts first, then channels.
                let account = self.ctx.urls.account(&name);
                if documents::local_actor(&self.ctx, &account).await?.is_some() {
                    account
                } else {
                    self.ctx.urls.channel(&name)
                }
            }
            Resource::Url(url) => url,
        };
        let actor = documents::local_actor(&self.ctx, &id)
            .await?
            .ok_or_else(|| ApServiceError::NotFound(format!("no actor for {resource}")))?;
        Ok(webfinger::jrd(&actor.preferred_username, self.ctx.urls.host(), &actor.id))
    }

    /// `/.well-known/nodeinfo`.
    pub fn nodeinfo_links(&self) -> Value {
        nodeinfo::links(self.ctx.urls.base(), &self.ctx.urls.instance_actor())
    }

    /// NodeInfo `version` ("2.0" or "2.1").
    pub fn nodeinfo(&self, version: &str) -> Result<Value, ApServiceError> {
        let users = self.ctx.store.users.len() as u64;
        let local_posts = self.ctx.store.videos.len().saturating_sub(self.ctx.store.videos_by_url.len()) as u64;
        let facts = nodeinfo::NodeInfoFacts {
            software_version: env!("CARGO_PKG_VERSION").to_string(),
            node_name: self.ctx.config.instance.name.clone(),
            node_description: self.ctx.config.instance.short_description.clone(),
            open_registrations: self.ctx.config.instance.signup_enabled,
            total_users: users,
            local_posts,
            local_comments: self.ctx.social.local_comment_count().unwrap_or(0),
        };
        Ok(nodeinfo::document(version, &facts))
    }

    /// `/.well-known/host-meta`.
    pub fn host_meta(&self) -> String {
        webfinger::host_meta(self.ctx.urls.base())
    }

    /// The `Video` object of a local, published, public or unlisted video.
    pub fn video_document(&self, video: &VideoRecord) -> Result<Option<Value>, ApServiceError> {
        if !documents::is_federated(video) {
            return Ok(None);
        }
        Ok(Some(documents::video_object(&self.ctx, video)?.to_json()))
    }

    /// The `Note` of local comment `id` on video `uuid`.
    pub fn comment_document(&self, video: &VideoRecord, id: u64) -> Result<Option<Value>, ApServiceError> {
        let Some(comment) = self.ctx.social.comment(video.id, id)? else { return Ok(None) };
        if comment.video_id != video.id || comment.deleted_at.is_some() {
            return Ok(None);
        }
        let Some((note, _, _)) = documents::comment_note(&self.ctx, video, &comment)? else { return Ok(None) };
        Ok(Some(context::with_context(note.to_object())))
    }

    /// A collection of a video (or its `page`): `likes`, `dislikes` (counts, as PeerTube
    /// reads them), `comments` (the URLs of its visible comments, which PeerTube crawls),
    /// `announces` (also at `shares`: the instance's and the channel's shares of it).
    pub fn video_collection(
        &self,
        video: &VideoRecord,
        which: &str,
        page: Option<usize>,
    ) -> Result<Option<Value>, ApServiceError> {
        if !documents::is_federated(video) {
            return Ok(None);
        }
        let which = if which == "shares" { "announces" } else { which };
        let id = format!("{}/{which}", self.ctx.urls.video(video.uuid));
        let total = match which {
            "likes" => video.likes,
            "dislikes" => video.dislikes,
            "announces" => {
                let shares = self.video_shares(video)?.into_iter().map(|(url, _)| Value::String(url)).collect();
                return Ok(Some(paged(&id, shares, page)));
            }
            "comments" => {
                let urls = self.ctx.social.visible_comment_urls(video.id)?.into_iter().map(Value::String).collect();
                return Ok(Some(paged(&id, urls, page)));
            }
            _ => return Ok(None),
        };
        Ok(Some(match page {
            None => collection::collection(&id, total),
            // Rates are counted, not listed (PeerTube reads only totalItems).
            Some(page) => collection::page(&id, page.max(1), total, Vec::new(), false),
        }))
    }

    /// The shares of a public local video, as PeerTube makes them for its own: one by the
    /// instance actor and one by the channel, each `(url, actor)`. PeerTube lists a
    /// remote video to an instance that follows another instance only when that
    /// instance's actor shared it (its `videoShare`), and it learns the shares by crawling
    /// the video's `shares` collection.
    fn video_shares(&self, video: &VideoRecord) -> Result<Vec<(String, String)>, ApServiceError> {
        if video.privacy != crate::videos::record::Privacy::Public {
            return Ok(Vec::new());
        }
        let (_, channel_path) = super::publisher::paths_of(&self.ctx, video)?;
        let base = self.ctx.urls.video(video.uuid);
        Ok(vec![
            (format!("{base}/announces/{INSTANCE_ACTOR_NAME}"), self.ctx.urls.instance_actor()),
            (format!("{base}/announces/channel"), self.ctx.urls.actor_id(&channel_path)),
        ])
    }

    /// The `Announce` at a share URL of a local video (see [`Self::video_shares`]):
    /// `which` is `peertube` (the instance) or `channel`.
    pub fn video_share(&self, video: &VideoRecord, which: &str) -> Result<Option<Value>, ApServiceError> {
        if !documents::is_federated(video) {
            return Ok(None);
        }
        let suffix = format!("/announces/{which}");
        let Some((url, actor)) = self.video_shares(video)?.into_iter().find(|(url, _)| url.ends_with(&suffix)) else {
            return Ok(None);
        };
        let video_url = self.ctx.urls.video(video.uuid);
        let followers = format!("{actor}/followers");
        Ok(Some(activity::build(
            ActivityKind::Announce,
            &url,
            &actor,
            json!(video_url),
            &[PUBLIC.to_string()],
            &[followers],
        )))
    }

    /// The playlists of a local actor (or a `page`): empty, as Shoal has no playlists yet;
    /// PeerTube crawls it for every actor it learns about.
    pub async fn playlists_collection(
        &self,
        kind: LocalActorKind,
        name: &str,
        page: Option<usize>,
    ) -> Result<Option<Value>, ApServiceError> {
        let Some((_, actor)) = self.existing_actor(kind, name).await? else { return Ok(None) };
        Ok(Some(paged(&format!("{actor}/playlists"), Vec::new(), page)))
    }

    /// The path and id of the local actor a route names, if it exists.
    async fn existing_actor(
        &self,
        kind: LocalActorKind,
        name: &str,
    ) -> Result<Option<(String, String)>, ApServiceError> {
        let path = match kind {
            LocalActorKind::Account => format!("accounts/{name}"),
            LocalActorKind::Channel => format!("video-channels/{name}"),
        };
        let actor = self.ctx.urls.actor_id(&path);
        if documents::local_actor(&self.ctx, &actor).await?.is_none() {
            return Ok(None);
        }
        Ok(Some((path, actor)))
    }

    /// The followers collection (or `page`) of a local actor.
    pub async fn followers_collection(
        &self,
        kind: LocalActorKind,
        name: &str,
        page: Option<usize>,
    ) -> Result<Option<Value>, ApServiceError> {
        let Some((path, actor)) = self.existing_actor(kind, name).await? else { return Ok(None) };
        let id = format!("{actor}/followers");
        let followers: Vec<Value> =
            follows::followers_of(&self.ctx.store, &path)?.into_iter().map(|f| json!(f.actor)).collect();
        Ok(Some(paged(&id, followers, page)))
    }

    /// The following collection (or `page`) of a local actor (only the instance follows).
    pub async fn following_collection(
        &self,
        kind: LocalActorKind,
        name: &str,
        page: Option<usize>,
    ) -> Result<Option<Value>, ApServiceError> {
        let Some((_, actor)) = self.existing_actor(kind, name).await? else { return Ok(None) };
        let items = if name == INSTANCE_ACTOR_NAME && kind == LocalActorKind::Account {
            follows::all_following(&self.ctx.store)?
                .into_iter()
                .filter(|f| f.state == follows::FollowState::Accepted)
                .map(|f| json!(f.actor))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Some(paged(&format!("{actor}/following"), items, page)))
    }

    /// The outbox (or `page`) of a local actor: `Create` activities of its public videos.
    pub async fn outbox(
        &self,
        kind: LocalActorKind,
        name: &str,
        page: Option<usize>,
    ) -> Result<Option<Value>, ApServiceError> {
        let Some((_, actor)) = self.existing_actor(kind, name).await? else { return Ok(None) };
        let instance = kind == LocalActorKind::Account && name == INSTANCE_ACTOR_NAME;
        let account_id = match kind {
            LocalActorKind::Account if !instance => self.ctx.accounts.user_by_name(name)?.map(|u| u.id),
            _ => None,
        };
        let channel_id = match kind {
            LocalActorKind::Channel => self.ctx.accounts.channel_by_name(name)?.map(|c| c.id),
            _ => None,
        };
        let query = VideoListQuery { start: 0, count: 1000, sort: VideoSort::PublishedAtDesc, viewer_account: None };
        let (_, videos) = crate::videos::list::list(&self.ctx.store, &query)?;
        let mut items = Vec::new();
        for video in videos.iter().filter(|v| {
            documents::is_federated(v)
                && v.privacy == crate::videos::record::Privacy::Public
                && account_id.is_none_or(|a| v.account_id == a)
                && channel_id.is_none_or(|c| v.channel_id == c)
        }) {
            let object = documents::video_object(&self.ctx, video)?;
            let create_id = format!("{}/activity", object.id);
            items.push(activity::build(
                ActivityKind::Create,
                &create_id,
                &object.account,
                object.to_object(),
                &[PUBLIC.to_string()],
                &[],
            ));
        }
        for item in &mut items {
            if let Value::Object(map) = item {
                map.remove("@context");
            }
        }
        Ok(Some(paged(&format!("{actor}/outbox"), items, page)))
    }

    /// Verifies and processes an inbox POST.
    pub async fn receive(&self, request: InboxRequest<'_>) -> Result<(), ApServiceError> {
        let result = super::inbox::receive(&self.ctx, request).await;
        if let Err(err) = &result {
            let reason = match err {
                ApServiceError::Invalid(_) => "invalid",
                ApServiceError::Signature(_) => "signature",
                ApServiceError::Forbidden(_) => "forbidden",
                ApServiceError::NotFound(_) => "not_found",
                ApServiceError::TooLarge(_) => "too_large",
                ApServiceError::RateLimited(_) => "rate_limited",
                ApServiceError::Fetch(_) => "fetch",
                ApServiceError::Store(_) | ApServiceError::Internal(_) => "internal",
            };
            self.ctx.metrics.inbox_refused(reason);
            tracing::info!(error = %err, reason, "inbox POST refused");
        }
        result
    }

    /// Follows `target` as the instance: a host (its instance actor `peertube@host`) or
    /// a `name@host` handle. The follow is pending until the target accepts.
    pub async fn follow(&self, target: &str) -> Result<(), ApServiceError> {
        let (name, host) = split_handle(target)?;
        if host == self.ctx.urls.host() {
            return Err(ApServiceError::Invalid("an instance cannot follow itself".into()));
        }
        let actor_id = super::fetch::webfinger(&self.ctx, &name, &host).await?;
        super::fetch::learn_software_soon(&self.ctx, &host);
        let actor = super::remote_actors::fetch(&self.ctx, &actor_id).await?;
        let existing = follows::following(&self.ctx.store, &actor.id)?;
        if existing.as_ref().is_some_and(|e| e.state == follows::FollowState::Accepted) {
            return Ok(());
        }
        let redundancy_allowed = follows::host_redundancy_allowed(&self.ctx.store, &actor.host)?;
        let me = self.ctx.urls.instance_actor();
        let follow_id = self.ctx.urls.new_activity(&me, "follow");
        let record = follows::FollowingRecord {
            id: self.ctx.store.next_id("counter/following_id")?,
            actor: actor.id.clone(),
            host: actor.host.clone(),
            name: actor.preferred_username.clone(),
            state: follows::FollowState::Pending,
            follow_id: follow_id.clone(),
            created_at: now_rfc3339(),
            redundancy_allowed,
        };
        follows::put_following(&self.ctx.store, &record)?;
        let doc = activity::build(
            ActivityKind::Follow,
            &follow_id,
            &me,
            json!(actor.id),
            std::slice::from_ref(&actor.id),
            &[],
        );
        self.ctx
            .deliver(&follow_id, &doc, &format!("accounts/{INSTANCE_ACTOR_NAME}"), vec![actor.inbox.clone()])
            .await?;
        tracing::info!(target = %actor.id, "follow sent");
        Ok(())
    }

    /// Stops following `target` (host or handle): sends Undo and forgets the host's
    /// videos. False when it was not followed.
    pub async fn unfollow(&self, target: &str) -> Result<bool, ApServiceError> {
        let (name, host) = split_handle(target)?;
        let all = follows::all_following(&self.ctx.store)?;
        let Some(record) = all.into_iter().find(|f| f.host == host && f.name == name) else {
            return Ok(false);
        };
        let me = self.ctx.urls.instance_actor();
        let undo_id = self.ctx.urls.new_activity(&me, "undo");
        let follow = json!({ "type": "Follow", "id": record.follow_id, "actor": me, "object": record.actor });
        let doc = activity::build(ActivityKind::Undo, &undo_id, &me, follow, std::slice::from_ref(&record.actor), &[]);
        if let Ok(actor) = super::remote_actors::get(&self.ctx, &record.actor).await {
            self.ctx
                .deliver(&undo_id, &doc, &format!("accounts/{INSTANCE_ACTOR_NAME}"), vec![actor.actor.inbox])
                .await?;
        }
        follows::remove_following(&self.ctx.store, &record.actor)?;
        let removed = super::remote_videos::remove_host(&self.ctx, &host).await?;
        self.ctx.store.flush().await?;
        tracing::info!(target = %record.actor, removed_videos = removed, "unfollowed");
        Ok(true)
    }

    /// Removes a follower of the instance (`host` or `name@host`), as PeerTube's
    /// `DELETE /api/v1/server/followers/{nameWithHost}`: sends it a `Reject` of its
    /// Follow at its own inbox (where PeerTube takes one) and forgets it. False when it
    /// does not follow.
    pub async fn remove_follower(&self, target: &str) -> Result<bool, ApServiceError> {
        let (name, host) = split_handle(target)?;
        let path = format!("accounts/{INSTANCE_ACTOR_NAME}");
        let mut found = None;
        for follower in follows::followers_of(&self.ctx.store, &path)? {
            if follower.host != host {
                continue;
            }
            let actor = super::remote_actors::get(&self.ctx, &follower.actor).await?;
            if actor.preferred_username == name {
                found = Some((follower, actor));
                break;
            }
        }
        let Some((follower, actor)) = found else { return Ok(false) };
        let me = self.ctx.urls.instance_actor();
        let reject_id = self.ctx.urls.new_activity(&me, "reject");
        let follow = json!({ "type": "Follow", "id": follower.follow_id, "actor": follower.actor, "object": me });
        let doc =
            activity::build(ActivityKind::Reject, &reject_id, &me, follow, std::slice::from_ref(&follower.actor), &[]);
        follows::remove_follower(&self.ctx.store, &path, &follower.actor)?;
        self.ctx.store.flush().await?;
        self.ctx.deliver(&reject_id, &doc, &path, vec![actor.inbox.clone()]).await?;
        tracing::info!(follower = %follower.actor, "follower removed");
        Ok(true)
    }

    /// What this instance follows.
    pub fn following(&self) -> Result<Vec<FollowEntry>, ApServiceError> {
        let me = self.instance_side();
        Ok(follows::all_following(&self.ctx.store)?
            .into_iter()
            .map(|f| FollowEntry {
                id: f.id,
                follower: me.clone(),
                following: FollowSide {
                    name: f.name,
                    host: f.host,
                    url: f.actor,
                    host_redundancy_allowed: f.redundancy_allowed,
                },
                state: f.state.label(),
                created_at: f.created_at,
            })
            .collect())
    }

    /// Who follows this instance's actor.
    pub fn followers(&self) -> Result<Vec<FollowEntry>, ApServiceError> {
        let me = self.instance_side();
        let path = format!("accounts/{INSTANCE_ACTOR_NAME}");
        Ok(follows::followers_of(&self.ctx.store, &path)?
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let cached = super::remote_actors::cached(&self.ctx, &f.actor).ok().flatten();
                let name = cached
                    .map(|a| a.actor.preferred_username)
                    .unwrap_or_else(|| f.actor.rsplit('/').next().unwrap_or_default().to_string());
                FollowEntry {
                    id: i as u64 + 1,
                    follower: FollowSide {
                        host_redundancy_allowed: follows::host_redundancy_allowed(&self.ctx.store, &f.host)
                            .unwrap_or(false),
                        name,
                        host: f.host,
                        url: f.actor,
                    },
                    following: me.clone(),
                    state: follows::FollowState::Accepted.label(),
                    created_at: f.created_at,
                }
            })
            .collect())
    }

    fn instance_side(&self) -> FollowSide {
        FollowSide {
            name: INSTANCE_ACTOR_NAME.into(),
            host: self.ctx.urls.host().to_string(),
            url: self.ctx.urls.instance_actor(),
            host_redundancy_allowed: false,
        }
    }
}

/// `host` or `name@host` (an optional leading `@` and `acct:` are accepted).
fn split_handle(target: &str) -> Result<(String, String), ApServiceError> {
    let target = target.trim().trim_start_matches("acct:").trim_start_matches('@');
    let (name, host) = match target.rsplit_once('@') {
        Some((name, host)) => (name.to_string(), host.to_string()),
        None => (INSTANCE_ACTOR_NAME.to_string(), target.to_string()),
    };
    let host = host.to_ascii_lowercase();
    let valid_host =
        !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if name.is_empty() || !valid_host {
        return Err(ApServiceError::Invalid(format!("{target:?} is not a host or name@host")));
    }
    Ok((name, host))
}

/// A collection, or its page `page` (1-based) of [`PAGE_SIZE`] items.
fn paged(id: &str, items: Vec<Value>, page: Option<usize>) -> Value {
    let total = items.len() as u64;
    match page {
        None => collection::collection(id, total),
        Some(page) => {
            let page = page.max(1);
            let start = (page - 1).saturating_mul(PAGE_SIZE);
            let has_next = items.len() > start.saturating_add(PAGE_SIZE);
            let slice: Vec<Value> = items.into_iter().skip(start).take(PAGE_SIZE).collect();
            collection::page(id, page, total, slice, has_next)
        }
    }
}
