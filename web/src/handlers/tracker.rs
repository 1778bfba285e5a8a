//! The tracker's HTTP edge: `GET /tracker/announce` and `GET /tracker/scrape`
//! (bencoded, BEP 3/23/7/48) and `GET /tracker/socket`, the WebTorrent tracker
//! over WebSocket. Everything past decoding is the `Tracker` handle's.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};

use crate::state::AppState;

/// Initial read buffer of a tracker socket (frames are ~1-4 KiB; larger ones grow it).
const SOCKET_READ_BUFFER: usize = 4096;

static BENCODE: HeaderValue = HeaderValue::from_static("text/plain");

fn bencoded(body: Vec<u8>) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, BENCODE.clone())], body).into_response()
}

/// `GET /tracker/announce`. Refusals are `200` with a `failure reason`, as BitTorrent clients expect.
pub async fn announce(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.as_deref().unwrap_or("").as_bytes();
    bencoded(state.shoal.tracker().announce_query(query, peer.ip()).await)
}

/// `GET /tracker/scrape`.
pub async fn scrape(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = query.as_deref().unwrap_or("").as_bytes();
    bencoded(state.shoal.tracker().scrape_query(query).await)
}

/// `GET /tracker/socket`: upgrades to the WebTorrent tracker protocol.
pub async fn socket(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let max = state.shoal.tracker().config().max_message_bytes;
    // A small read buffer: tungstenite allocates it up front for every socket, and a
    // tracker holds thousands of mostly idle sockets.
    upgrade
        .read_buffer_size(SOCKET_READ_BUFFER)
        .max_message_size(max)
        .max_frame_size(max)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "tracker socket upgrade failed"))
        .on_upgrade(move |socket| serve_socket(state, peer, socket))
}

/// Reads frames into the session and writes its queue to the socket until either
/// side closes or the client stays silent past the peer timeout.
async fn serve_socket(state: AppState, peer: SocketAddr, socket: WebSocket) {
    let tracker = state.shoal.tracker().clone();
    let idle = Duration::from_secs(u64::from(tracker.config().peer_timeout_secs));
    let (mut session, mut queue) = tracker.open_socket(peer.ip());
    let (mut sink, mut stream) = socket.split();
    // Writes whatever is queued, then flushes once: under load a socket gets
    // several frames per wake-up (relayed offers), and one write carries them all.
    let mut writer = tokio::spawn(async move {
        'frames: while let Some(frame) = queue.recv().await {
            if sink.feed(Message::Text(frame.into())).await.is_err() {
                break;
            }
            while let Ok(frame) = queue.try_recv() {
                if sink.feed(Message::Text(frame.into())).await.is_err() {
                    break 'frames;
                }
            }
            if sink.flush().await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    loop {
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => session.handle_text(text.as_str()).await,
            Ok(Some(Ok(Message::Binary(_)))) => session.refuse_frame("binary frames are not part of the protocol"),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) => break,
            Ok(Some(Err(e))) => {
                // Oversized frames and protocol violations end up here; tell the client if we still can.
                tracing::debug!(error = %e, %peer, "tracker socket error");
                session.refuse_frame(&format!("closing: {e}"));
                break;
            }
            Err(_) => {
                tracing::debug!(%peer, "tracker socket idle; closing");
                break;
            }
        }
    }
    session.close();
    // The writer ends once every sender of its queue (the session's and the swarms' copies) is gone;
    // give queued frames a moment, then stop it so a silent client cannot hold it.
    if tokio::time::timeout(Duration::from_secs(2), &mut writer).await.is_err() {
        writer.abort();
    }
}
