//! OAuth 2 as PeerTube does it: `GET /api/v1/oauth-clients/local` (the local
//! client id/secret), `POST /api/v1/users/token` (password and refresh_token
//! grants) and `POST /api/v1/users/revoke-token`.

use axum::extract::State;
use axum::http::request::Parts;
use axum::Json;

use crate::auth::{bearer_token, AuthUser};
use crate::error::ApiError;
use crate::extract::FormOrJson;
use crate::json::oauth::{OAuthClientJson, TokenJson, TokenRequest};
use crate::state::AppState;

/// `GET /api/v1/oauth-clients/local`.
pub async fn local_client(State(state): State<AppState>) -> Result<Json<OAuthClientJson>, ApiError> {
    let client = state.shoal.accounts().oauth_client()?;
    Ok(Json(OAuthClientJson { client_id: client.client_id, client_secret: client.client_secret }))
}

/// `POST /api/v1/users/token`.
pub async fn token(
    State(state): State<AppState>,
    FormOrJson(req): FormOrJson<TokenRequest>,
) -> Result<Json<TokenJson>, ApiError> {
    let client_id = required(&req.client_id, "client_id")?;
    let client_secret = required(&req.client_secret, "client_secret")?;
    let accounts = state.shoal.accounts();
    let grant = match required(&req.grant_type, "grant_type")? {
        "password" => {
            let username = required(&req.username, "username")?;
            let password = required(&req.password, "password")?;
            accounts.password_grant(client_id, client_secret, username, password).await?
        }
        "refresh_token" => {
            let refresh = required(&req.refresh_token, "refresh_token")?;
            accounts.refresh_grant(client_id, client_secret, refresh).await.map_err(|err| match err {
                // PeerTube answers a bad refresh token with 400 invalid_grant, not 401.
                shoal_actors::AccountError::InvalidToken => {
                    ApiError::bad_request("Invalid grant: refresh token is invalid").with_code("invalid_grant")
                }
                other => other.into(),
            })?
        }
        other => {
            return Err(ApiError::bad_request(format!("Unsupported grant type: {other:?} is invalid"))
                .with_code("unsupported_grant_type"))
        }
    };
    Ok(Json(TokenJson {
        token_type: "Bearer",
        access_token: grant.access_token,
        refresh_token: grant.refresh_token,
        expires_in: grant.expires_in,
        refresh_token_expires_in: grant.refresh_token_expires_in,
    }))
}

/// `POST /api/v1/users/revoke-token`: revokes the request's own access token.
pub async fn revoke(
    State(state): State<AppState>,
    _user: AuthUser,
    parts: Parts,
) -> Result<Json<serde_json::Value>, ApiError> {
    if let Some(token) = bearer_token(&parts)? {
        state.shoal.accounts().revoke(token)?;
    }
    Ok(Json(serde_json::json!({})))
}

fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, ApiError> {
    match value.as_deref() {
        Some(v) if !v.is_empty() => Ok(v),
        _ => {
            Err(ApiError::bad_request(format!("Invalid request: missing parameter: `{name}`"))
                .with_code("invalid_request"))
        }
    }
}
