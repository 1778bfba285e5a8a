//! Bearer-token authentication as extractors: [`AuthUser`] requires a valid
//! `Authorization: Bearer <access_token>` (401 `invalid_token` otherwise);
//! [`MaybeUser`] accepts anonymous requests but still rejects a bad token.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use shoal_actors::accounts::{Role, UserRecord};

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated user of a request.
pub struct AuthUser(pub UserRecord);

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        matches!(self.0.role, Role::Administrator)
    }

    /// Admins only (403 otherwise).
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden("This action needs the administrator role."))
        }
    }
}

/// The user of a request that may be anonymous.
pub struct MaybeUser(pub Option<UserRecord>);

/// The token of an `Authorization: Bearer ...` header; `Ok(None)` when absent.
pub fn bearer_token(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| unauthorized("Authorization header is not valid text"))?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(|| unauthorized("Expected `Bearer <token>`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(unauthorized("Expected `Bearer <token>`"));
    }
    Ok(Some(token.trim()))
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::invalid_token(detail.to_owned())
        .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"Shoal\""))
}

fn authenticate(state: &AppState, token: &str) -> Result<UserRecord, ApiError> {
    state.shoal.accounts().authenticate(token).map_err(|err| match ApiError::from(err) {
        e if e.status == axum::http::StatusCode::UNAUTHORIZED => {
            e.with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"Shoal\", error=\"invalid_token\""))
        }
        e => e,
    })
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match bearer_token(parts)? {
            Some(token) => Ok(AuthUser(authenticate(state, token)?)),
            None => Err(unauthorized("Authentication required: no access token in the Authorization header")),
        }
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match bearer_token(parts)? {
            Some(token) => Ok(MaybeUser(Some(authenticate(state, token)?))),
            None => Ok(MaybeUser(None)),
        }
    }
}
