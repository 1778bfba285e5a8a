//! PeerTube's JSON shapes as serde structs (camelCase field names), and the
//! functions that build them from the actors' records.

pub mod actors;
pub mod comment;
pub mod config;
pub mod labels;
pub mod oauth;
pub mod redundancy;
pub mod user;
pub mod video;

use serde::Serialize;

/// PeerTube's paginated list: `{"total": N, "data": [...]}`.
#[derive(Debug, Serialize)]
pub struct ResultList<T: Serialize> {
    pub total: u64,
    pub data: Vec<T>,
}

/// `{"id": .., "label": ..}`, PeerTube's labelled constants (privacy, state, role...).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Labelled<I: Serialize> {
    pub id: I,
    pub label: String,
}

impl<I: Serialize> Labelled<I> {
    pub fn new(id: I, label: impl Into<String>) -> Self {
        Self { id, label: label.into() }
    }
}

/// The host part of a public URL (`http://a.b:9000/` -> `a.b:9000`), as PeerTube's `host` fields.
pub fn host_of(public_url: &str) -> String {
    let without_scheme = public_url.split_once("://").map(|(_, rest)| rest).unwrap_or(public_url);
    without_scheme.split('/').next().unwrap_or(without_scheme).to_owned()
}
