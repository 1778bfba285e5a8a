//! Fetching ActivityPub documents through the federation client (the one client that
//! refuses private addresses, caps bodies and times out), signed as the instance actor,
//! decoded as JSON with the URL they finally came from; WebFinger; and a host's NodeInfo
//! software, from which the signature scheme for that host is chosen.

use super::{ApServiceError, Ctx};
use serde_json::Value;
use shoal_protocol::activitypub::nodeinfo;

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
    let url = format!("{}://{host}/.well-known/webfinger?resource=acct:{name}@{host}", remote_scheme(ctx));
    let fetched =
        ctx.federation.client().get_jrd(&url).await.map_err(|e| ApServiceError::Fetch(format!("{url}: {e}")))?;
    let jrd: Value = serde_json::from_slice(&fetched.body)
        .map_err(|e| ApServiceError::Invalid(format!("webfinger answer of {host} is not JSON: {e}")))?;
    let actor = shoal_protocol::activitypub::webfinger::self_link(&jrd)?;
    Ok(actor)
}

/// Learns which software `host` runs from its NodeInfo and tells the signature-scheme
/// memory (PeerTube 8 verifies only draft-cavage signatures). Best effort: a host
/// without NodeInfo keeps the configured scheme and the 401/403 fallback.
pub async fn learn_software(ctx: &Ctx, host: &str) -> Result<(), ApServiceError> {
    let url = format!("{}://{host}/.well-known/nodeinfo", remote_scheme(ctx));
    let client = ctx.federation.client();
    let json = |body: &[u8], what: &str| {
        serde_json::from_slice::<Value>(body).map_err(|e| ApServiceError::Invalid(format!("{what} of {host}: {e}")))
    };
    let links = client.get_jrd(&url).await.map_err(|e| ApServiceError::Fetch(format!("{url}: {e}")))?;
    let links = json(&links.body, "nodeinfo links")?;
    let href = nodeinfo::document_href(&links)
        .ok_or_else(|| ApServiceError::Invalid(format!("{host} lists no NodeInfo 2.x document")))?;
    if shoal_protocol::activitypub::host_of(href).as_deref() != Some(host) {
        return Err(ApServiceError::Invalid(format!("{host}'s NodeInfo is on another host: {href}")));
    }
    let doc = client.get_jrd(href).await.map_err(|e| ApServiceError::Fetch(format!("{href}: {e}")))?;
    let doc = json(&doc.body, "nodeinfo")?;
    let software =
        nodeinfo::software(&doc).ok_or_else(|| ApServiceError::Invalid(format!("{href} names no software")))?;
    let scheme = ctx.federation.signature_schemes().note_software(host, &software.name, &software.version);
    tracing::info!(host, software = %software.name, version = %software.version, ?scheme, "remote software learnt");
    Ok(())
}

/// [`learn_software`] in the background, once per host per run.
pub fn learn_software_soon(ctx: &Ctx, host: &str) {
    if !ctx.software_probe_wanted(host) {
        return;
    }
    let (ctx, host) = (ctx.clone(), host.to_string());
    tokio::spawn(async move {
        if let Err(err) = learn_software(&ctx, &host).await {
            tracing::debug!(host, error = %err, "remote software not learnt");
        }
    });
}

/// `http` for hosts reached in development over plain http, else `https`.
fn remote_scheme(ctx: &Ctx) -> &'static str {
    if ctx.config.federation.allow_private_addresses && !ctx.urls.base().starts_with("https://") {
        "http"
    } else {
        "https"
    }
}
