//! The inbox's front door: every POST is checked before anything changes. The HTTP
//! signature (draft-cavage or RFC 9421) is parsed, the sender's host rate-limited, the
//! key fetched from its owner's origin (once more if it fails, for rotated keys), the
//! signature, Date and digest verified, and the key's owner must be the activity's
//! actor. Only then is the activity handed to [`super::receive`]; a type it does not
//! handle is ignored (logged and counted), not refused.

use super::{ApServiceError, Ctx};
use crate::clock::unix_secs;
use shoal_protocol::activitypub::{host_of, Activity, ApError};
use shoal_protocol::http_signatures::{self, PublicKey, SignatureError, VerifyPolicy};

/// An inbox POST as the web edge received it.
pub struct InboxRequest<'a> {
    pub method: &'a http::Method,
    /// The request target: absolute, with the scheme of the node's public URL and the Host
    /// header (RFC 9421 `@target-uri` covers both), or the path and query as received.
    pub uri: &'a http::Uri,
    /// The `Host` header (the authority the signature covers).
    pub host: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
}

/// Verifies and processes one inbox POST.
pub async fn receive(ctx: &Ctx, request: InboxRequest<'_>) -> Result<(), ApServiceError> {
    if request.body.len() > ctx.config.federation.max_inbox_bytes {
        return Err(ApServiceError::TooLarge(ctx.config.federation.max_inbox_bytes));
    }
    // RFC 9421's `@target-uri` and `@scheme` need the absolute URI the sender used: this
    // instance's scheme, the Host it addressed, the path it posted to.
    let scheme = if ctx.urls.base().starts_with("https://") { "https" } else { "http" };
    let path = request.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let absolute: http::Uri = format!("{scheme}://{}{path}", request.host)
        .parse()
        .map_err(|_| ApServiceError::Invalid(format!("bad Host header {:?}", request.host)))?;
    let signed = http_signatures::parse_signed_request(request.method, &absolute, request.host, request.headers)
        .map_err(signature_error)?;
    let key_host = host_of(signed.key_id())
        .ok_or_else(|| ApServiceError::Signature(format!("key id {:?} is not a URL", signed.key_id())))?;
    if !ctx.inbox_limiter.allow(&key_host) {
        return Err(ApServiceError::RateLimited(key_host));
    }
    let policy = VerifyPolicy::default();
    let now = unix_secs();
    let mut actor = super::remote_actors::by_key_id(ctx, signed.key_id(), false)
        .await
        .map_err(|e| ApServiceError::Signature(format!("cannot get key {}: {e}", signed.key_id())))?;
    let min_bits = ctx.config.federation.min_remote_key_bits;
    let mut verified = verify_with(&actor.public_key_pem, min_bits, &signed, request.body, now, &policy);
    if matches!(verified, Err(ApServiceError::Signature(_))) && ctx.refetch_allowed(&actor.id) {
        // The key may have been rotated since it was cached: fetch it once more.
        actor = super::remote_actors::by_key_id(ctx, signed.key_id(), true)
            .await
            .map_err(|e| ApServiceError::Signature(format!("cannot get key {}: {e}", signed.key_id())))?;
        verified = verify_with(&actor.public_key_pem, min_bits, &signed, request.body, now, &policy);
    }
    verified?;
    let activity = match Activity::parse(request.body) {
        Ok(activity) => activity,
        Err(ApError::Unsupported(kind)) => {
            // As Mastodon and PeerTube do: a signed activity of a type this node does not
            // handle is taken (202) and dropped, not refused.
            tracing::info!(kind = %kind, actor = %actor.id, "inbox activity of an unhandled type: ignored");
            ctx.metrics.inbox_ignored(&kind);
            return Ok(());
        }
        Err(err) => return Err(err.into()),
    };
    if activity.actor != actor.id {
        return Err(ApServiceError::Forbidden(format!(
            "signed by {} but the activity's actor is {}",
            actor.id, activity.actor
        )));
    }
    tracing::debug!(activity = %activity.id, kind = activity.kind.as_str(), actor = %actor.id, "inbox activity verified");
    ctx.metrics.inbox_received(activity.kind.as_str());
    super::receive::process(ctx, &actor, activity).await
}

fn verify_with(
    pem: &str,
    min_bits: usize,
    signed: &http_signatures::SignedRequest,
    body: &[u8],
    now: u64,
    policy: &VerifyPolicy,
) -> Result<(), ApServiceError> {
    let key = PublicKey::from_pem_min_bits(pem, min_bits)
        .map_err(|e| ApServiceError::Signature(format!("unusable public key: {e}")))?;
    signed.verify(&key, Some(body), now, policy).map(|_| ()).map_err(signature_error)
}

fn signature_error(err: SignatureError) -> ApServiceError {
    ApServiceError::Signature(err.to_string())
}
