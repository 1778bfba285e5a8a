//! A served `.torrent` names the mirrors other instances announced of its file (ActivityPub
//! `CacheFile`s) as extra web seeds: they follow the node's own web seed in `url-list`
//! (BEP 19 allows several). `url-list` is outside `info`, so the info hash does not
//! change; the torrent on disk is left as it is and rewritten per request. A torrent
//! whose file has no live mirror is served from disk unchanged. Remote videos' torrents,
//! kept by the actors, get the same treatment.

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use shoal_protocol::bencode::{self, Value};
use shoal_protocol::torrent::info_hash_of;

use crate::state::AppState;

/// A torrent bigger than this is served as it is (Shoal's are a few kB).
const MAX_TORRENT_BYTES: u64 = 4 << 20;

/// The answer for torrent `name` (already validated) when its file has mirrors; `None`
/// to serve the file from disk as it is.
pub async fn with_mirrors(state: &AppState, name: &str, method: &Method) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let path = state.media_dir.join(name);
    let len = tokio::fs::metadata(&path).await.ok()?.len();
    if len > MAX_TORRENT_BYTES {
        return None;
    }
    let bytes = tokio::fs::read(&path).await.ok()?;
    let mirrors = mirrors_of(state, &bytes)?;
    if mirrors.is_empty() {
        return None;
    }
    Some(respond(&bytes, &mirrors, method))
}

/// The answer for a remote video's torrent (see `shoal_actors::remote_torrents`), with the
/// mirrors known here added to its `url-list`.
pub fn remote(state: &AppState, bytes: &[u8], method: &Method) -> Response {
    let mirrors = mirrors_of(state, bytes).unwrap_or_default();
    respond(bytes, &mirrors, method)
}

/// The mirrors of the torrent's file; `None` when it is no torrent.
fn mirrors_of(state: &AppState, torrent: &[u8]) -> Option<Vec<String>> {
    let info_hash: String = info_hash_of(torrent).ok()?.iter().map(|b| format!("{b:02x}")).collect();
    Some(state.shoal.mirror_urls(&info_hash))
}

/// `torrent` with `mirrors` added, as a `.torrent` answer.
fn respond(torrent: &[u8], mirrors: &[String], method: &Method) -> Response {
    let rewritten = add_web_seeds(torrent, mirrors).unwrap_or_else(|| torrent.to_vec());
    let length = rewritten.len();
    let body = if method == Method::HEAD { Body::empty() } else { Body::from(rewritten) };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-bittorrent"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    // The mirrors change: a client asks again rather than keep an old list.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `torrent` with `extra` appended to its `url-list` (after the URLs already there,
/// without duplicates). Every other key, `info` included, keeps its exact bytes: the
/// decoder takes only canonical bencode, which re-encodes identically.
pub fn add_web_seeds(torrent: &[u8], extra: &[String]) -> Option<Vec<u8>> {
    let Value::Dict(mut root) = bencode::decode(torrent).ok()? else {
        return None;
    };
    let mut seeds: Vec<Value> = match root.remove(&b"url-list"[..]) {
        None => Vec::new(),
        Some(Value::Bytes(b)) if b.is_empty() => Vec::new(),
        Some(single @ Value::Bytes(_)) => vec![single],
        Some(Value::List(items)) => items,
        Some(_) => return None,
    };
    for url in extra {
        let value = Value::string(url);
        if !seeds.contains(&value) {
            seeds.push(value);
        }
    }
    root.insert(b"url-list".to_vec(), Value::List(seeds));
    Some(bencode::encode(&Value::Dict(root)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_protocol::torrent::{Info, Metainfo};

    #[test]
    fn mirrors_follow_the_own_web_seed_and_keep_the_info_hash() {
        let mut torrent =
            Metainfo::new(Info { name: "v.mp4".into(), piece_length: 16_384, pieces: vec![[7; 20]], length: 10 });
        torrent.url_list = vec!["https://origin.example/static/web-videos/v.mp4".into()];
        torrent.announce = Some("wss://origin.example/tracker/socket".into());
        let bytes = torrent.to_bytes();
        let mirrors = vec![
            "https://m1.example/static/redundancy/v.mp4".to_string(),
            "https://origin.example/static/web-videos/v.mp4".to_string(),
            "https://m2.example/static/redundancy/v.mp4".to_string(),
        ];
        let out = add_web_seeds(&bytes, &mirrors).unwrap();
        let parsed = Metainfo::from_bytes(&out).unwrap();
        assert_eq!(
            parsed.url_list,
            vec![
                "https://origin.example/static/web-videos/v.mp4",
                "https://m1.example/static/redundancy/v.mp4",
                "https://m2.example/static/redundancy/v.mp4"
            ]
        );
        assert_eq!(info_hash_of(&out).unwrap(), info_hash_of(&bytes).unwrap());
        assert_eq!(parsed.announce, torrent.announce);
        assert!(add_web_seeds(b"not bencode", &mirrors).is_none());
        assert!(add_web_seeds(b"le", &mirrors).is_none());
    }
}
