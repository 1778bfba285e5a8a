//! Fetching ActivityPub documents through the federation client (the one client that
//! refuses private addresses, caps bodies and times out), signed as the instance actor,
//! decoded as JSON with the URL they finally came from.

use super::{ApServiceError, Ctx};
use serde_json::Value;

/// A fetched document and the URL it came from (after redirects).
pub struct FetchedDocument {
    pub value: Value,
    pub final_url: String,
}

/// GETs `url` as the instance actor and decodes it. The document's `id` must be the
/// URL it came from; callers that parse it check that ([`shoal_protocol::activitypub`]
/// parsers take the fetched URL), this checks it for any document with an `id`.
pub async fn document(ctx: &Ctx, url: &str) -> Result<FetchedDocument, ApServiceError> {
    let key_id = ctx.instance_key_id().await?;
    let fetched = ctx
        .federation
        .client()
        .get_activity_json(url, Some(&key_id))
        .await
        .map_err(|e| ApServiceError::Fetch(format!("{url}: {e}")))?;
    let value: Value = serde_json::from_slice(&fetched.body)
        .map_err(|e| ApServiceError::Invalid(format!("{url} is not JSON: {e}")))?;
    if let Some(id) = value.get("id").and_then(Value::as_str) {
        shoal_protocol::activitypub::origin::require_id_is_fetched_url(id, &fetched.final_url)?;
    }
    Ok(FetchedDocument { value, final_url: fetched.final_url })
}

/// Resolves `name@host` to an actor id with WebFinger.
pub async fn webfinger(ctx: &Ctx, name: &str, host: &str) -> Result<String, ApServiceError> {
    let scheme = if ctx.config.federation.allow_private_addresses && !ctx.urls.base().starts_with("https://") {
        "http"
    } else {
        "https"
    };
    let url = format!("{scheme}://{host}/.well-known/webfinger?resource=acct:{name}@{host}");
    let fetched =
        ctx.federation.client().get_jrd(&url).await.map_err(|e| ApServiceError::Fetch(format!("{url}: {e}")))?;
    let jrd: Value = serde_json::from_slice(&fetched.body)
        .map_err(|e| ApServiceError::Invalid(format!("webfinger answer of {host} is not JSON: {e}")))?;
    let actor = shoal_protocol::activitypub::webfinger::self_link(&jrd)?;
    Ok(actor)
}
