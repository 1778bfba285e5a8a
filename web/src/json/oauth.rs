//! OAuth 2 bodies of `/api/v1/oauth-clients/local` and `/api/v1/users/token`
//! (snake_case, as PeerTube and RFC 6749 spell them).

use serde::{Deserialize, Serialize};

/// `GET /api/v1/oauth-clients/local`.
#[derive(Debug, Serialize)]
pub struct OAuthClientJson {
    pub client_id: String,
    pub client_secret: String,
}

/// `POST /api/v1/users/token` request (form or JSON).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub refresh_token: Option<String>,
}

/// `POST /api/v1/users/token` answer.
#[derive(Debug, Serialize)]
pub struct TokenJson {
    pub token_type: &'static str,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub refresh_token_expires_in: u64,
}
