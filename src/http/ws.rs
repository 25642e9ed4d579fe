//! `GET /ws?token=…`: live events for participants, the big screen and organizers (docs/protocol.md).
//!
//! Each socket has its own task. Broadcast events arrive as shared `Bytes`; a socket that lags behind the
//! broadcast gets a fresh snapshot instead of the missed events; a socket that does not drain its writes
//! within a few seconds is dropped. Either way the contest and the other sockets are never held up.

use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::extract::Authenticated;
use crate::auth::Role;
use crate::contest::{ContestHandle, ParticipantRef, Viewer};
use crate::error::AppError;
use crate::realtime::{Personal, encode};
use crate::store::now_ms;

const SEND_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn upgrade(State(state): State<AppState>, mut parts: Parts, ws: WebSocketUpgrade) -> Response {
    match authorize(&state, &mut parts).await {
        Ok((handle, viewer, expires_at)) => {
            let shutdown = state.shutdown.clone();
            ws.read_buffer_size(4 * 1024)
                .write_buffer_size(16 * 1024)
                .max_message_size(16 * 1024)
                .on_upgrade(move |socket| run(socket, handle, viewer, shutdown, expires_at))
        }
        Err(e) => e.into_response(),
    }
}

async fn authorize(state: &AppState, parts: &mut Parts) -> Result<(ContestHandle, Viewer, i64), AppError> {
    let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
    let expires_at = claims.exp;
    let contest_param = parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "contest")
            .and_then(|(_, v)| v.parse::<i64>().ok())
    });
    let (contest_id, viewer) = match claims.role {
        Role::Organizer => (
            contest_param.ok_or_else(|| AppError::bad_request("contest_required", "add ?contest=ID"))?,
            Viewer::Organizer,
        ),
        Role::Display => (
            claims
                .contest_id
                .ok_or_else(|| AppError::forbidden("the display token names no contest"))?,
            Viewer::Display,
        ),
        Role::Participant => match (claims.contest_id, claims.participant_id, claims.sid) {
            (Some(c), Some(participant_id), Some(session_id)) => (
                c,
                Viewer::Participant(ParticipantRef {
                    participant_id,
                    session_id,
                }),
            ),
            _ => return Err(AppError::forbidden("the participant token is incomplete")),
        },
    };
    let handle = state.engine.contest(contest_id).await?;
    // Refuse a replaced session before upgrading, so the client sees a clear HTTP error.
    handle.snapshot(viewer.clone()).await?;
    Ok((handle, viewer, expires_at))
}

async fn send(sink: &mut futures_util::stream::SplitSink<WebSocket, Message>, bytes: Bytes) -> bool {
    let Ok(text) = Utf8Bytes::try_from(bytes) else {
        return true;
    };
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Text(text))).await,
        Ok(Ok(()))
    )
}

async fn snapshot_bytes(handle: &ContestHandle, viewer: &Viewer) -> Option<Bytes> {
    handle.snapshot(viewer.clone()).await.ok().map(|s| encode(&s))
}

async fn run(
    socket: WebSocket,
    handle: ContestHandle,
    viewer: Viewer,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    expires_at: i64,
) {
    let (mut sink, mut stream) = socket.split();
    // The token's expiry (seconds) ends the socket too: an open connection is no longer-lived than its login.
    let expiry = tokio::time::Instant::now()
        + Duration::from_millis((expires_at * 1000 - now_ms()).clamp(0, 400 * 24 * 3600 * 1000) as u64);
    let mut broadcast = match viewer {
        Viewer::Organizer => handle.hub.subscribe_organizer(),
        _ => handle.hub.subscribe_public(),
    };
    let mut personal = match &viewer {
        Viewer::Participant(who) => {
            let (conn_id, rx) = handle.hub.connect_personal(who.participant_id, &who.session_id);
            handle.presence_changed().await;
            Some((who.participant_id, conn_id, rx))
        }
        _ => None,
    };
    // Subscribed first, snapshot second: nothing that happens in between is lost.
    let mut alive = match snapshot_bytes(&handle, &viewer).await {
        Some(bytes) => send(&mut sink, bytes).await,
        None => false,
    };
    while alive {
        tokio::select! {
            _ = shutdown.changed() => {
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
            _ = tokio::time::sleep_until(expiry) => {
                let _ = send(&mut sink, encode(&json!({
                    "type": "error",
                    "code": "token_expired",
                    "message": "the login expired; log in again",
                }))).await;
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
            event = broadcast.recv() => match event {
                Ok(bytes) => alive = send(&mut sink, bytes).await,
                Err(RecvError::Lagged(_)) => {
                    alive = match snapshot_bytes(&handle, &viewer).await {
                        Some(bytes) => send(&mut sink, bytes).await,
                        None => false,
                    };
                    broadcast = broadcast.resubscribe();
                }
                Err(RecvError::Closed) => break,
            },
            message = async {
                match personal.as_mut() {
                    Some((_, _, receiver)) => receiver.rx.recv().await,
                    None => std::future::pending().await,
                }
            } => match message {
                Some(Personal::Message(bytes)) => {
                    alive = send(&mut sink, bytes).await;
                    // Messages were dropped while this socket was slow: replace them with a snapshot.
                    if alive && personal.as_ref().is_some_and(|(_, _, r)| r.take_overflow()) {
                        alive = match snapshot_bytes(&handle, &viewer).await {
                            Some(bytes) => send(&mut sink, bytes).await,
                            None => false,
                        };
                    }
                }
                Some(Personal::Replaced(bytes)) => {
                    let _ = send(&mut sink, bytes).await;
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
                None => break,
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    alive = on_client_message(&mut sink, &handle, &viewer, text.as_str()).await;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Binary(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            },
        }
    }
    if let Some((participant_id, conn_id, _)) = personal {
        handle.hub.disconnect_personal(participant_id, conn_id);
        handle.presence_changed().await;
    }
}

/// Client messages: `ping` (clock sync), `snapshot` (resync), `tab_switch`.
async fn on_client_message(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    handle: &ContestHandle,
    viewer: &Viewer,
    text: &str,
) -> bool {
    let Ok(message) = serde_json::from_str::<serde_json::Value>(text) else {
        return send(
            sink,
            encode(&json!({"type": "error", "code": "malformed_json", "message": "not JSON"})),
        )
        .await;
    };
    match message["type"].as_str() {
        Some("ping") => {
            send(
                sink,
                encode(
                    &json!({"type": "pong", "client_time": message["client_time"], "server_now": now_ms()}),
                ),
            )
            .await
        }
        Some("snapshot") => match snapshot_bytes(handle, viewer).await {
            Some(bytes) => send(sink, bytes).await,
            None => false,
        },
        Some("tab_switch") => {
            if let Viewer::Participant(who) = viewer {
                let _ = handle.tab_switch(who.clone()).await;
            }
            true
        }
        _ => {
            send(
                sink,
                encode(
                    &json!({"type": "error", "code": "unknown_message", "message": "unknown message type"}),
                ),
            )
            .await
        }
    }
}
