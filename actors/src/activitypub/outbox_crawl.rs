//! After a followed instance accepts, its existing videos are taken in: a background
//! walk of its outbox (a bounded number of pages and items), each video fetched from
//! its origin.

use super::remote_actors::RemoteActorRecord;
use super::{ApServiceError, Ctx};
use serde_json::Value;

/// Outbox pages read at most.
const MAX_PAGES: usize = 10;
/// Videos taken in at most per crawl.
const MAX_VIDEOS: usize = 500;

/// Starts the crawl of `actor`'s outbox in the background.
pub fn spawn(ctx: Ctx, actor: RemoteActorRecord) {
    tokio::spawn(async move {
        match crawl(&ctx, &actor).await {
            Ok(n) => tracing::info!(actor = %actor.id, videos = n, "outbox crawled"),
            Err(err) => tracing::warn!(actor = %actor.id, error = %err, "outbox crawl failed"),
        }
    });
}

async fn crawl(ctx: &Ctx, actor: &RemoteActorRecord) -> Result<usize, ApServiceError> {
    let outbox_url = format!("{}/outbox", actor.id);
    let outbox = super::fetch::document(ctx, &outbox_url).await?.value;
    let mut next = match outbox.get("first") {
        Some(Value::String(url)) => Some(url.clone()),
        Some(page @ Value::Object(_)) => {
            let items = page_items(page);
            let n = take_in(ctx, actor, items).await;
            return Ok(n);
        }
        _ => None,
    };
    let mut taken = 0;
    for _ in 0..MAX_PAGES {
        let Some(url) = next.take() else { break };
        if !shoal_protocol::activitypub::same_host(&url, &actor.id) {
            break;
        }
        let page = super::fetch::document(ctx, &url).await?.value;
        taken += take_in(ctx, actor, page_items(&page)).await;
        if taken >= MAX_VIDEOS {
            break;
        }
        next = page.get("next").and_then(Value::as_str).map(str::to_string);
    }
    Ok(taken)
}

fn page_items(page: &Value) -> Vec<String> {
    let items = page.get("orderedItems").or_else(|| page.get("items"));
    let Some(Value::Array(items)) = items else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| {
            // Create/Announce activities of a Video, or bare video ids.
            let object = item.get("object").unwrap_or(item);
            match object {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
                _ => None,
            }
        })
        .collect()
}

async fn take_in(ctx: &Ctx, actor: &RemoteActorRecord, video_urls: Vec<String>) -> usize {
    let mut n = 0;
    for url in video_urls.into_iter().take(MAX_VIDEOS) {
        if !shoal_protocol::activitypub::same_host(&url, &actor.id) {
            continue;
        }
        match super::fetch::document(ctx, &url).await {
            Ok(doc) if doc.value.get("type").and_then(Value::as_str) == Some("Video") => {
                match super::receive::store_video(ctx, &doc.value).await {
                    Ok(()) => n += 1,
                    Err(err) => tracing::debug!(url, error = %err, "outbox item is not a usable video"),
                }
            }
            Ok(_) => {}
            Err(err) => tracing::debug!(url, error = %err, "outbox item not fetched"),
        }
    }
    n
}
