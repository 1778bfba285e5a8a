//! Discovery: `/.well-known/webfinger` (acct: resources of accounts and channels),
//! `/.well-known/host-meta`, `/.well-known/nodeinfo` and the NodeInfo 2.0 / 2.1
//! documents.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::activitypub::ap_error;
use crate::error::ApiError;
use crate::state::AppState;

/// `?resource=`.
#[derive(Debug, Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

fn json_as(content_type: &'static str, doc: &Value) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], doc.to_string()).into_response()
}

/// `GET /.well-known/webfinger?resource=acct:name@host`.
pub async fn webfinger(State(state): State<AppState>, Query(query): Query<WebfingerQuery>) -> Response {
    let Some(resource) = query.resource else {
        return ApiError::invalid_param("resource", "a resource is required").into_response();
    };
    match state.shoal.activitypub().webfinger(&resource).await {
        Ok(jrd) => {
            let mut response = json_as("application/jrd+json; charset=utf-8", &jrd);
            response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
            response
        }
        Err(err) => ap_error(err).into_response(),
    }
}

/// `GET /.well-known/host-meta`.
pub async fn host_meta(State(state): State<AppState>) -> Response {
    let xml = state.shoal.activitypub().host_meta();
    (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static("application/xrd+xml; charset=utf-8"))], xml)
        .into_response()
}

/// `GET /.well-known/nodeinfo`.
pub async fn nodeinfo_links(State(state): State<AppState>) -> Response {
    json_as("application/json; charset=utf-8", &state.shoal.activitypub().nodeinfo_links())
}

/// `GET /nodeinfo/{version}.json` (2.0 and 2.1).
pub async fn nodeinfo(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let version = match file.as_str() {
        "2.0.json" => "2.0",
        "2.1.json" => "2.1",
        _ => return ApiError::not_found("no such NodeInfo version").into_response(),
    };
    match state.shoal.activitypub().nodeinfo(version) {
        Ok(doc) => {
            let profile = if version == "2.0" {
                "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\""
            } else {
                "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\""
            };
            json_as(profile, &doc)
        }
        Err(err) => ap_error(err).into_response(),
    }
}
