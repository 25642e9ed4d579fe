//! `GET /ws?token=…`: live events for participants, the big screen and organizers (docs/protocol.md).
//!
//! Each socket has its own task. Broadcast events arrive as shared `Bytes`; a socket that lags behind the
//! broadcast gets a fresh snapshot instead of the missed events; a socket that does not drain its writes
//! within a few seconds is dropped. Either way the contest and the other sockets are never held up.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::extract::Authenticated;
use super::ws_out::{Forwarded, SEND_TIMEOUT, Sink, forward, send};
use crate::auth::Role;
use crate::contest::{AnswerInput, ContestHandle, ParticipantRef, Viewer};
use crate::error::AppError;
use crate::metrics::METRICS;
use crate::realtime::{ConnOwner, Credential, Personal, encode};
use crate::store::writer::AnswerWriter;
use crate::store::{Rejection, now_ms};

/// Connections one login may hold at once; a newer one closes the oldest. A phone needs one (two while a
/// reload overlaps); a console may have a few tabs open.
const PARTICIPANT_SOCKETS: usize = 3;
const DISPLAY_SOCKETS: usize = 4;
const ORGANIZER_SOCKETS: usize = 8;
/// Client frames: a bucket of this many, refilled at `FRAME_RATE` per second. Answers, pings and tab switches
/// of an honest client stay far below it.
const FRAME_BURST: f64 = 20.0;
const FRAME_RATE: f64 = 5.0;
/// A snapshot costs the server more than a ping: it takes several tokens.
const SNAPSHOT_COST: f64 = 5.0;
/// The server pings an idle socket, and closes one it has not heard from for `DEAD_AFTER` (a phone that
/// vanished without closing, still holding a file descriptor).
const PING_EVERY: Duration = Duration::from_secs(30);
const DEAD_AFTER: Duration = Duration::from_secs(90);

pub async fn upgrade(State(state): State<AppState>, mut parts: Parts, ws: WebSocketUpgrade) -> Response {
    match authorize(&state, &mut parts).await {
        Ok((handle, viewer, expires_at, owner, credential, contest_id)) => {
            let shutdown = state.shutdown.clone();
            let refusals = Refusals {
                writer: state.engine.writer().clone(),
                contest_id,
            };
            ws.read_buffer_size(4 * 1024)
                .write_buffer_size(16 * 1024)
                .max_message_size(16 * 1024)
                .on_upgrade(move |socket| {
                    run(
                        socket,
                        handle,
                        viewer,
                        (owner, credential),
                        shutdown,
                        expires_at,
                        refusals,
                    )
                })
        }
        Err(e) => e.into_response(),
    }
}

/// Where a socket records the answer frames it refuses itself (malformed, over the frame budget), as the engine
/// records the answers it refuses: every answer keeps its refusal reason (`GET /api/contests/{id}/rejections`).
struct Refusals {
    writer: AnswerWriter,
    contest_id: i64,
}

impl Refusals {
    async fn record(&self, viewer: &Viewer, message: &serde_json::Value, code: &str, detail: &str) {
        let Viewer::Participant(who) = viewer else {
            return;
        };
        let index = message.get("index").map(|i| {
            let text = i.as_u64().map_or_else(|| i.to_string(), |i| i.to_string());
            text.chars().take(32).collect()
        });
        let rejection = Rejection {
            contest_id: self.contest_id,
            participant_id: who.participant_id,
            round_id: message.get("round_id").and_then(serde_json::Value::as_i64),
            question_ref: index,
            // The parser's message may quote the frame: only its start is kept.
            reason: format!("{code}: {}", detail.chars().take(300).collect::<String>()),
            received_at: now_ms(),
        };
        self.writer.put_rejection(rejection).await;
    }
}

/// The socket's contest, viewer, token expiry, owner and credential, and the contest's id.
type Authorized = (ContestHandle, Viewer, i64, ConnOwner, Credential, i64);

async fn authorize(state: &AppState, parts: &mut Parts) -> Result<Authorized, AppError> {
    let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
    let credential = super::revoke::credential_of(&claims);
    let expires_at = claims.exp;
    let contest_param = parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "contest")
            .and_then(|(_, v)| v.parse::<i64>().ok())
    });
    // Display and organizer sockets are capped per token: the same token string always hashes the same.
    let token_owner = || {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (claims.sub.as_str(), claims.iat, claims.exp, claims.contest_id).hash(&mut hasher);
        ConnOwner::Token(hasher.finish())
    };
    let (contest_id, viewer, owner) = match claims.role {
        Role::Organizer => (
            contest_param.ok_or_else(|| AppError::bad_request("contest_required", "add ?contest=ID"))?,
            Viewer::Organizer,
            token_owner(),
        ),
        Role::Display => (
            claims
                .contest_id
                .ok_or_else(|| AppError::forbidden("the display token names no contest"))?,
            Viewer::Display,
            token_owner(),
        ),
        Role::Participant => match (claims.contest_id, claims.participant_id, claims.sid.clone()) {
            (Some(c), Some(participant_id), Some(session_id)) => (
                c,
                Viewer::Participant(ParticipantRef {
                    participant_id,
                    session_id,
                }),
                ConnOwner::Participant(participant_id),
            ),
            _ => return Err(AppError::forbidden("the participant token is incomplete")),
        },
    };
    let handle = state.engine.contest(contest_id).await?;
    // Refuse a replaced session before upgrading, so the client sees a clear HTTP error.
    if let Viewer::Participant(who) = &viewer {
        handle.check_session(who.clone()).await?;
    }
    Ok((handle, viewer, expires_at, owner, credential, contest_id))
}

async fn snapshot_bytes(handle: &ContestHandle, viewer: &Viewer) -> Option<Bytes> {
    handle.snapshot(viewer.clone()).await.ok().map(|s| encode(&s))
}

/// A token bucket for one socket's client frames.
struct FrameBudget {
    tokens: f64,
    at: tokio::time::Instant,
    /// When the client was last told it is being limited (at most once a second).
    warned_at: Option<tokio::time::Instant>,
}

impl FrameBudget {
    fn new() -> Self {
        Self {
            tokens: FRAME_BURST,
            at: tokio::time::Instant::now(),
            warned_at: None,
        }
    }

    fn take(&mut self, cost: f64) -> bool {
        let now = tokio::time::Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * FRAME_RATE).min(FRAME_BURST);
        self.at = now;
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Whether to tell the client now that frames are being dropped.
    fn should_warn(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        if self
            .warned_at
            .is_some_and(|at| now.duration_since(at) < Duration::from_secs(1))
        {
            return false;
        }
        self.warned_at = Some(now);
        true
    }
}

fn role_gauge(viewer: &Viewer) -> &'static crate::metrics::Gauge {
    match viewer {
        Viewer::Participant(_) => &METRICS.ws_participants,
        Viewer::Display => &METRICS.ws_displays,
        Viewer::Organizer => &METRICS.ws_organizers,
    }
}

async fn run(
    socket: WebSocket,
    handle: ContestHandle,
    viewer: Viewer,
    (owner, credential): (ConnOwner, Credential),
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    expires_at: i64,
    refusals: Refusals,
) {
    let gauge = role_gauge(&viewer);
    gauge.inc();
    let (mut sink, mut stream) = socket.split();
    // The token's expiry (seconds) ends the socket too: an open connection is no longer-lived than its login.
    let expiry = tokio::time::Instant::now()
        + Duration::from_millis((expires_at * 1000 - now_ms()).clamp(0, 400 * 24 * 3600 * 1000) as u64);
    let mut broadcast = match viewer {
        Viewer::Organizer => handle.hub.subscribe_organizer(),
        Viewer::Display => handle.hub.subscribe_screen(),
        Viewer::Participant(_) => handle.hub.subscribe_public(),
    };
    let cap = match &viewer {
        Viewer::Participant(_) => PARTICIPANT_SOCKETS,
        Viewer::Display => DISPLAY_SOCKETS,
        Viewer::Organizer => ORGANIZER_SOCKETS,
    };
    let (conn_id, mut personal) = handle.hub.connect(owner, credential, cap);
    if let ConnOwner::Participant(pid) = owner {
        handle.presence_changed(pid).await;
    }
    // Replies to this socket's own requests that finish later (an answer's refusal).
    let (reply_tx, mut replies) = tokio::sync::mpsc::channel::<Bytes>(8);
    let mut budget = FrameBudget::new();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut heard_at = tokio::time::Instant::now();
    let expired = tokio::time::sleep_until(expiry);
    tokio::pin!(expired);
    // Subscribed first, snapshot second: nothing that happens in between is lost.
    let mut alive = match snapshot_bytes(&handle, &viewer).await {
        Some(bytes) => send(&mut sink, bytes).await,
        None => false,
    };
    while alive {
        // Biased: of frames ready on both queues, the broadcast ones (published first by the actor, e.g. the
        // last `answer_count` before a close) are written before the personal ones.
        tokio::select! {
            biased;
            _ = shutdown.changed() => {
                // A client that never reads must not keep this task alive.
                let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(None))).await;
                break;
            }
            _ = &mut expired => {
                let _ = send(&mut sink, encode(&json!({
                    "type": "error",
                    "code": "token_expired",
                    "message": "the login expired; log in again",
                }))).await;
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
            _ = ping.tick() => {
                if heard_at.elapsed() > DEAD_AFTER {
                    break;
                }
                alive = matches!(
                    tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Ping(Bytes::new()))).await,
                    Ok(Ok(()))
                );
            }
            event = broadcast.recv() => {
                let next = match event {
                    Ok(bytes) => forward(&mut sink, bytes, &mut broadcast, &mut personal).await,
                    Err(RecvError::Lagged(_)) => Forwarded::Resync { broadcast: true },
                    Err(RecvError::Closed) => break,
                };
                alive = after_batch(next, &mut sink, &mut broadcast, &handle, &viewer).await;
            }
            message = personal.rx.recv() => match message {
                Some(message) if message.is_resync() => {
                    alive = after_batch(Forwarded::Resync { broadcast: false }, &mut sink, &mut broadcast, &handle, &viewer).await;
                }
                Some(Personal::Message(bytes)) => {
                    let next = forward(&mut sink, bytes, &mut broadcast, &mut personal).await;
                    alive = after_batch(next, &mut sink, &mut broadcast, &handle, &viewer).await;
                }
                Some(Personal::Close(closing)) => {
                    let _ = send(&mut sink, closing.notice).await;
                    let frame = CloseFrame { code: closing.code, reason: closing.reason.into() };
                    let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
                    break;
                }
                None => break,
            },
            Some(reply) = replies.recv() => alive = send(&mut sink, reply).await,
            incoming = stream.next() => {
                heard_at = tokio::time::Instant::now();
                match incoming {
                    Some(Ok(Message::Text(text))) => {
                        alive = on_client_message(&mut sink, &handle, &viewer, &mut budget, &refusals, &reply_tx, text.as_str()).await;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Binary(_))) => {}
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                }
            },
        }
    }
    handle.hub.disconnect(owner, conn_id);
    if let ConnOwner::Participant(pid) = owner {
        handle.presence_changed(pid).await;
    }
    gauge.dec();
}

/// After a batch: resynchronize a socket that missed messages (resubscribed first, then the snapshot, so nothing
/// published in between is lost). Returns whether the socket is still alive.
async fn after_batch(
    next: Forwarded,
    sink: &mut Sink,
    broadcast: &mut tokio::sync::broadcast::Receiver<Bytes>,
    handle: &ContestHandle,
    viewer: &Viewer,
) -> bool {
    match next {
        Forwarded::Sent => true,
        Forwarded::Closed | Forwarded::Failed => false,
        Forwarded::Resync { broadcast: lagged } => {
            METRICS.lagging_resyncs.inc();
            if lagged {
                *broadcast = broadcast.resubscribe();
            }
            match snapshot_bytes(handle, viewer).await {
                Some(bytes) => send(sink, bytes).await,
                None => false,
            }
        }
    }
}

fn error_frame(code: &str, message: &str) -> Bytes {
    encode(&json!({"type": "error", "code": code, "message": message}))
}

/// Client messages: `ping` (clock sync), `snapshot` (resync), `tab_switch`, `answer`, `exam_start`,
/// `exam_submit` and `buzz` (participants).
async fn on_client_message(
    sink: &mut Sink,
    handle: &ContestHandle,
    viewer: &Viewer,
    budget: &mut FrameBudget,
    refusals: &Refusals,
    reply_tx: &tokio::sync::mpsc::Sender<Bytes>,
    text: &str,
) -> bool {
    let Ok(message) = serde_json::from_str::<serde_json::Value>(text) else {
        return send(sink, error_frame("malformed_json", "not JSON")).await;
    };
    let kind = message["type"].as_str().unwrap_or("");
    let cost = if kind == "snapshot" { SNAPSHOT_COST } else { 1.0 };
    if !budget.take(cost) {
        METRICS.client_frames_dropped.inc();
        if kind == "answer" {
            METRICS.answer_refused("rate_limited");
            let detail = "the socket sent too many messages; this answer was dropped unread";
            refusals
                .record(viewer, &message, "too_many_messages", detail)
                .await;
        }
        if budget.should_warn() {
            return send(
                sink,
                error_frame("rate_limited", "too many messages; some were dropped, slow down"),
            )
            .await;
        }
        return true;
    }
    match kind {
        "ping" => {
            send(
                sink,
                encode(
                    &json!({"type": "pong", "client_time": message["client_time"], "server_now": now_ms()}),
                ),
            )
            .await
        }
        "snapshot" => match snapshot_bytes(handle, viewer).await {
            Some(bytes) => send(sink, bytes).await,
            None => false,
        },
        "tab_switch" => {
            if let Viewer::Participant(who) = viewer {
                let _ = handle.tab_switch(who.clone()).await;
            }
            true
        }
        "answer" => {
            let Viewer::Participant(who) = viewer else {
                return send(sink, error_frame("forbidden", "only participants answer")).await;
            };
            let reference = message.get("ref").cloned();
            match serde_json::from_value::<AnswerInput>(message.clone()) {
                Ok(input) => {
                    // The commit takes a few milliseconds: wait for it beside the socket, not in it. The
                    // acknowledgement is the participant's `answer_ack` frame (with this `ref`), sent after the
                    // commit.
                    let (handle, who, reply_tx) = (handle.clone(), who.clone(), reply_tx.clone());
                    tokio::spawn(async move {
                        let (round_id, index) = (input.round_id, input.index);
                        if let Err(e) = handle.answer_with_ref(who, input, reference.clone()).await {
                            let _ = reply_tx
                                .send(encode(&json!({
                                    "type": "answer_error",
                                    "round_id": round_id,
                                    "index": index,
                                    "status": e.status.as_u16(),
                                    "code": e.code,
                                    "message": e.message,
                                    "ref": reference,
                                })))
                                .await;
                        }
                    });
                    true
                }
                Err(e) => {
                    refusals
                        .record(viewer, &message, "invalid_answer", &e.to_string())
                        .await;
                    send(
                        sink,
                        encode(&json!({
                            "type": "answer_error",
                            "round_id": message.get("round_id"),
                            "index": message.get("index"),
                            "status": 422,
                            "code": "invalid_answer",
                            "message": e.to_string(),
                            "ref": reference,
                        })),
                    )
                    .await
                }
            }
        }
        "buzz" => {
            // Stamped before anything else: the time this socket read the buzz.
            let received_ms = crate::contest::buzz_clock_ms();
            let Viewer::Participant(who) = viewer else {
                return send(sink, error_frame("forbidden", "only participants buzz")).await;
            };
            buzz_request(handle, who, &message, received_ms, reply_tx).await;
            true
        }
        "exam_start" | "exam_submit" => {
            let Viewer::Participant(who) = viewer else {
                return send(sink, error_frame("forbidden", "only participants take exams")).await;
            };
            exam_request(
                handle,
                who,
                kind == "exam_start",
                message.get("ref").cloned(),
                reply_tx,
            );
            true
        }
        _ => send(sink, error_frame("unknown_message", "unknown message type")).await,
    }
}

/// `buzz` on a participant's socket. The buzz is handed to the engine here, in the order this socket read it
/// (the engine numbers buzzes in the order it receives them); only the wait for its outcome (committed before
/// any reply) runs beside the socket. The reply to this socket is `buzz_ack` or `buzz_error`.
async fn buzz_request(
    handle: &ContestHandle,
    who: &ParticipantRef,
    message: &serde_json::Value,
    received_ms: i64,
    reply_tx: &tokio::sync::mpsc::Sender<Bytes>,
) {
    let client_ms = message.get("client_ms").and_then(serde_json::Value::as_i64);
    let reference = message.get("ref").cloned();
    let error = |e: AppError, reference: Option<serde_json::Value>| {
        encode(&json!({
            "type": "buzz_error",
            "status": e.status.as_u16(),
            "code": e.code,
            "message": e.message,
            "ref": reference,
        }))
    };
    let wait = match handle.send_buzz(who.clone(), client_ms, received_ms).await {
        Ok(wait) => wait,
        Err(e) => {
            let _ = reply_tx.send(error(e, reference)).await;
            return;
        }
    };
    let reply_tx = reply_tx.clone();
    tokio::spawn(async move {
        let frame = match wait.await {
            Ok(Ok(mut ack)) => {
                ack["type"] = json!("buzz_ack");
                ack["ref"] = reference.unwrap_or(serde_json::Value::Null);
                encode(&ack)
            }
            Ok(Err(e)) => error(e, reference),
            Err(_) => error(AppError::unavailable("the contest engine stopped"), reference),
        };
        let _ = reply_tx.send(frame).await;
    });
}

/// `exam_start` and `exam_submit` on a participant's socket: the same engine calls as `POST /api/exam/start` and
/// `POST /api/exam/submit`, answered on this socket only. Like an answer, the call (a paper row written, or a
/// submission committed) is awaited beside the socket. The reply is `exam_paper` (the own paper, without keys)
/// or `exam_submitted` (after the submission is committed; the personal `paper_submitted` and later
/// `exam_result` follow as for HTTP), or `exam_error` with the HTTP endpoint's error code.
fn exam_request(
    handle: &ContestHandle,
    who: &ParticipantRef,
    start: bool,
    reference: Option<serde_json::Value>,
    reply_tx: &tokio::sync::mpsc::Sender<Bytes>,
) {
    let (handle, who, reply_tx) = (handle.clone(), who.clone(), reply_tx.clone());
    tokio::spawn(async move {
        let (request, result) = if start {
            ("exam_start", handle.exam_start(who).await)
        } else {
            ("exam_submit", handle.exam_submit(who).await)
        };
        let frame = match result {
            Ok(exam) => json!({
                "type": if start { "exam_paper" } else { "exam_submitted" },
                "round_id": exam["round_id"],
                "exam": exam,
                "ref": reference,
            }),
            Err(e) => json!({
                "type": "exam_error",
                "request": request,
                "status": e.status.as_u16(),
                "code": e.code,
                "message": e.message,
                "details": e.details,
                "ref": reference,
            }),
        };
        let _ = reply_tx.send(encode(&frame)).await;
    });
}
