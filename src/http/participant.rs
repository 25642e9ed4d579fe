//! Participant endpoints: join, state, answers, exam papers, tab switches.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::contests::sign;
use super::extract::{Json, Participant};
use crate::auth::{Claims, Role, random_token};
use crate::contest::{AnswerAck, AnswerInput, JoinMode, Viewer};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::identity::{SecretKind, secret_matches};
use crate::store::writer::SessionWrite;
use crate::store::{ContestRow, Rejection, SeatRow, now_ms};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(join))
        .routes(routes!(contest_by_code))
        .routes(routes!(me))
        .routes(routes!(answer))
        .routes(routes!(exam_start))
        .routes(routes!(exam_submit))
        .routes(routes!(tab_switch))
}

/// The contest with this join code. A code that names none counts as a failed join of the client address
/// (`unknown_contest`, or `429` once its budget is spent); a known code is told only to an address whose
/// budget is not spent (see `join_guard`).
async fn contest_for_code(state: &AppState, ip: IpAddr, code: &str) -> Result<ContestRow, Response> {
    let code = code.trim();
    let found = state
        .store
        .contest_by_code(code)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    match found {
        Some(contest) => {
            state
                .joins
                .admit_address(ip)
                .map_err(IntoResponse::into_response)?;
            Ok(contest)
        }
        None => {
            state
                .joins
                .failed(ip, None)
                .map_err(IntoResponse::into_response)?;
            Err(AppError::new(
                StatusCode::NOT_FOUND,
                "unknown_contest",
                format!("no contest has the code {code}"),
            )
            .into_response())
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct JoinRequest {
    /// The contest's join code.
    pub code: String,
    /// Roster mode: the badge number (警号).
    #[serde(default)]
    pub badge: Option<String>,
    /// Open mode: name and unit, at most 64 characters each.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 64)]
    pub unit: Option<String>,
    /// Roster mode: the device secret this phone received from an earlier join (or a `seat_taken` answer).
    #[serde(default)]
    #[schema(max_length = 128)]
    pub device: Option<String>,
    /// Roster mode, when the roster has a secret column (`secret_kind` of `GET /api/join/{code}`): the
    /// officer's PIN, or the last digits of their phone or ID card number.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JoinResponse {
    pub token: String,
    pub expires_at: i64,
    pub contest_id: i64,
    pub participant_id: i64,
    pub name: String,
    pub unit: String,
    /// Roster mode: this device's secret. Keep it and send it as `device` on every later join; without it a
    /// rejoin counts as another device and waits for the organizer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// The contest's kind of per-person secret, as the join form must ask for it (roster mode only).
fn secret_kind(contest: &ContestRow) -> Option<SecretKind> {
    (JoinMode::parse(&contest.join_mode) != Some(JoinMode::Open))
        .then(|| contest.secret_kind.as_deref().and_then(SecretKind::parse))
        .flatten()
}

/// Public facts about a contest, by join code: what the join form must ask for. `secret_kind` is `pin`,
/// `phone_last4` or `id_last4` when each officer must also give that secret, else null. Unknown codes count
/// as failed joins of the address (see `POST /api/join`).
#[utoipa::path(get, path = "/api/join/{code}", tag = "participant",
    params(("code" = String, Path, description = "join code")),
    responses((status = 200, description = "`{title, join_mode, state, secret_kind}`", body = Object),
              (status = 404, description = "`unknown_contest`", body = ErrorBody),
              (status = 429, description = "`join_limited`: too many failed joins from this address",
               body = ErrorBody, headers(("Retry-After" = u64, description = "seconds to wait")))))]
async fn contest_by_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Result<axum::Json<Value>, Response> {
    let contest = contest_for_code(&state, peer.ip(), &code).await?;
    Ok(axum::Json(json!({
        "title": contest.title,
        "join_mode": contest.join_mode,
        "state": contest.state,
        "secret_kind": secret_kind(&contest).map(SecretKind::as_str),
    })))
}

/// Join a contest. In roster mode the first device binds the seat: a rejoin with the same `device` secret
/// replaces the previous session (its sockets are closed); another device gets `409 seat_taken` and waits for
/// the organizer (see docs/api.md, "Seats"). When the roster has secrets, `secret` is required, and an unknown
/// badge and a wrong secret get the same answer. Failed joins are limited per address and per contest.
#[utoipa::path(post, path = "/api/join", tag = "participant", request_body = JoinRequest,
    responses((status = 200, body = JoinResponse),
              (status = 401, description = "`wrong_badge_or_secret`: the roster has secrets and the badge is unknown or the secret wrong (one answer for both)", body = ErrorBody),
              (status = 404, description = "unknown code (`unknown_contest`) or, in a roster without secrets, badge (`unknown_badge`)", body = ErrorBody),
              (status = 403, description = "`device_refused`: the organizer refused this device", body = ErrorBody),
              (status = 409, description = "`contest_finished`, or `seat_taken` (`details.device`: the secret to poll with)", body = ErrorBody),
              (status = 422, description = "`badge_required`, `secret_required`, `name_required`, `too_long` (name and unit: 64 characters)", body = ErrorBody),
              (status = 429, description = "`join_limited` (this address) or `contest_join_limited` (this contest): too many failed joins",
               body = ErrorBody, headers(("Retry-After" = u64, description = "seconds to wait")))))]
async fn join(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(request): Json<JoinRequest>,
) -> Result<axum::Json<JoinResponse>, Response> {
    let contest = contest_for_code(&state, peer.ip(), &request.code).await?;
    if contest.state == "finished" {
        return Err(AppError::conflict("contest_finished", "this contest has finished").into_response());
    }
    let mode = JoinMode::parse(&contest.join_mode).unwrap_or(JoinMode::Roster);
    let (participant_id, name, unit, claim) = match mode {
        JoinMode::Roster => {
            let (p, claim) = roster_join(&state, peer.ip(), &contest, &request).await?;
            (p.seat.id, p.seat.name, p.seat.unit, Some(claim))
        }
        JoinMode::Open => {
            let (id, name, unit) = open_join(&state, &contest, &request)
                .await
                .map_err(IntoResponse::into_response)?;
            // Every open-mode join makes a new participant, so there is no seat to take over.
            (id, name, unit, None)
        }
    };
    let bind = claim.as_ref().filter(|c| c.bind).map(|c| c.device.clone());
    let mut device = claim.map(|c| c.device);
    let response = match start_session(&state, contest.id, participant_id, bind).await {
        Ok(Some(response)) => response,
        // Another phone bound the free seat a moment before this one: this is a device change now.
        Ok(None) => {
            let seat = state
                .store
                .seat(participant_id)
                .await
                .map_err(|e| AppError::from(e).into_response())?
                .ok_or_else(|| AppError::not_found("participant").into_response())?;
            let again = claim_seat(&state, seat, device.as_deref())
                .await
                .map_err(IntoResponse::into_response)?;
            device = Some(again.device);
            start_session(&state, contest.id, participant_id, None)
                .await
                .map_err(IntoResponse::into_response)?
                .ok_or_else(|| {
                    AppError::conflict("seat_taken", "this badge is in use on another phone").into_response()
                })?
        }
        Err(e) => return Err(e.into_response()),
    };
    Ok(axum::Json(JoinResponse {
        name,
        unit,
        device,
        ..response
    }))
}

/// Open mode: a new participant by name and unit. Returns (id, name, unit).
async fn open_join(
    state: &AppState,
    contest: &ContestRow,
    request: &JoinRequest,
) -> AppResult<(i64, String, String)> {
    let name = request.name.as_deref().map(str::trim).unwrap_or("");
    let unit = request.unit.as_deref().map(str::trim).unwrap_or("");
    if name.is_empty() || unit.is_empty() {
        return Err(AppError::unprocessable(
            "name_required",
            "enter your name and unit",
        ));
    }
    if name.chars().count() > 64 || unit.chars().count() > 64 {
        return Err(AppError::unprocessable(
            "too_long",
            "name and unit are at most 64 characters",
        ));
    }
    let id = state.store.add_open_participant(contest.id, name, unit).await?;
    Ok((id, name.to_string(), unit.to_string()))
}

/// Stands in for a stored secret when the badge is unknown, so that both failures do the same work.
const ABSENT_SECRET: &str = "\u{0}absent";

/// Roster mode: the badge (and secret) identify the officer, within the failure limits; then the seat.
/// Returns the participant and the joining phone's device secret.
async fn roster_join(
    state: &AppState,
    ip: IpAddr,
    contest: &ContestRow,
    request: &JoinRequest,
) -> Result<(crate::store::RosterLogin, SeatClaim), Response> {
    let badge = request
        .badge
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            AppError::unprocessable("badge_required", "enter your badge number (警号)").into_response()
        })?;
    let kind = secret_kind(contest);
    let typed = request.secret.as_deref().map(str::trim).unwrap_or("");
    if kind.is_some() && typed.is_empty() {
        return Err(AppError::unprocessable(
            "secret_required",
            "enter your personal code as well as your badge number",
        )
        .into_response());
    }
    let login = state
        .store
        .roster_login(contest.id, badge)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    // Compare in constant time, and compare even when the badge is unknown.
    let stored = login.as_ref().and_then(|l| l.secret.as_deref());
    let secret_ok = secret_matches(stored.unwrap_or(ABSENT_SECRET), typed);
    let login = match login {
        Some(l) if l.secret.is_none() || secret_ok => l,
        _ => return Err(failed_join(state, ip, contest, kind, badge).await),
    };
    if let Err(limited) = state.joins.admit_contest(contest.id) {
        // A scan has spent the contest's failure budget: only a phone that already holds its seat gets in.
        let seat = state
            .store
            .seat(login.seat.id)
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        let holds_seat = matches!(
            (seat.and_then(|s| s.device), request.device.as_deref().map(str::trim)),
            (Some(bound), Some(mine)) if bound == mine
        );
        if !holds_seat {
            return Err(limited.into_response());
        }
    }
    let claim = claim_seat(state, login.seat.clone(), request.device.as_deref())
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((login, claim))
}

/// The answer to an unknown badge or a wrong secret, after counting the failure. With secrets both get the
/// same `401 wrong_badge_or_secret`, so badges cannot be enumerated. A contest without a roster yet has nothing
/// to guess, so its `unknown_badge` costs nothing (phones may come before the roster).
async fn failed_join(
    state: &AppState,
    ip: IpAddr,
    contest: &ContestRow,
    kind: Option<SecretKind>,
    badge: &str,
) -> Response {
    match state.store.roster_size(contest.id).await {
        Ok(0) => {}
        Ok(_) => {
            if let Err(limited) = state.joins.failed(ip, Some(contest.id)) {
                return limited.into_response();
            }
        }
        Err(e) => return AppError::from(e).into_response(),
    }
    if kind.is_some() {
        tracing::info!(%ip, contest_id = contest.id, "join refused: unknown badge or wrong secret");
        return AppError::unauthorized(
            "wrong_badge_or_secret",
            "the badge number or the personal code is wrong",
        )
        .into_response();
    }
    AppError::new(
        StatusCode::NOT_FOUND,
        "unknown_badge",
        format!("badge number {badge} is not on this contest's roster"),
    )
    .into_response()
}

/// A new session for a participant who passed the join checks: the token (name, unit and device are filled
/// in by the caller).
/// Start a new session (binding the free seat to `bind`'s device in the same commit). None when another device
/// bound the seat first.
async fn start_session(
    state: &AppState,
    contest_id: i64,
    participant_id: i64,
    bind: Option<String>,
) -> AppResult<Option<JoinResponse>> {
    let session_id = random_token(16);
    // Through the session cache, so that every request with the replaced session is refused from now on. The
    // write shares a commit with the other joins and answers of the moment (group commit).
    let outcome = state
        .sessions
        .record(
            state.engine.writer(),
            SessionWrite {
                participant_id,
                bind_device: bind,
                session_id: session_id.clone(),
                at: now_ms(),
            },
        )
        .await?;
    if outcome.taken {
        return Ok(None);
    }
    let claims = Claims {
        contest_id: Some(contest_id),
        participant_id: Some(participant_id),
        sid: Some(session_id.clone()),
        ..Claims::new(
            Role::Participant,
            participant_id.to_string(),
            state.settings.participant_token_ttl,
        )
    };
    let token = sign(state, &claims)?;
    state
        .engine
        .contest(contest_id)
        .await?
        .joined(participant_id, session_id)
        .await;
    Ok(Some(JoinResponse {
        token,
        expires_at: claims.exp,
        contest_id,
        participant_id,
        name: String::new(),
        unit: String::new(),
        device: None,
    }))
}

/// The longest device secret accepted back from a phone (the server makes 43-character ones).
const MAX_DEVICE_LEN: usize = 128;

/// The first device binds a roster seat; the same device may rejoin; another device does not take over but
/// records a device-change request for the organizer and gets `409 seat_taken` with a device secret to poll
/// with. Returns the device secret of the joining phone.
/// A phone's claim on its seat: its device secret, and whether the seat is free and the join must bind it.
struct SeatClaim {
    device: String,
    bind: bool,
}

async fn claim_seat(state: &AppState, seat: SeatRow, device: Option<&str>) -> AppResult<SeatClaim> {
    let participant_id = seat.id;
    let device = device
        .map(str::trim)
        .filter(|d| !d.is_empty() && d.len() <= MAX_DEVICE_LEN && d.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string);
    match (&seat.device, &device) {
        (Some(bound), Some(mine)) if bound == mine => {
            return Ok(SeatClaim {
                device: mine.clone(),
                bind: false,
            });
        }
        // A free seat is bound in the join's commit (see `start_session`).
        (None, _) => {
            return Ok(SeatClaim {
                device: device.unwrap_or_else(|| random_token(32)),
                bind: true,
            });
        }
        _ => {}
    }
    let mine = device.unwrap_or_else(|| random_token(32));
    // A refusal is told once: the play app then stops asking, and the phone's next join (the officer pressing
    // "enter" again) is a new request for the organizer.
    if seat.refused_device.as_deref() == Some(mine.as_str())
        && state.store.forget_refusal(participant_id, &mine).await?
    {
        return Err(AppError::new(
            axum::http::StatusCode::FORBIDDEN,
            "device_refused",
            "the organizer refused this phone for this badge; ask the organizer",
        ));
    }
    state.store.request_seat(participant_id, &mine, now_ms()).await?;
    crate::http::seats::notify(state, seat.contest_id).await;
    Err(AppError::conflict(
        "seat_taken",
        "this badge is in use on another phone; ask the organizer to approve the change",
    )
    .with_details(json!({"device": mine, "participant_id": participant_id})))
}

/// The participant's snapshot: contest, own score and rank, current question with own answer, exam paper.
#[utoipa::path(get, path = "/api/me", tag = "participant", security(("bearer" = [])),
    responses((status = 200, body = Object),
              (status = 401, description = "`session_replaced` when another device joined as this participant", body = crate::error::ErrorBody)))]
async fn me(State(state): State<AppState>, p: Participant) -> AppResult<axum::Json<Value>> {
    let handle = state.engine.contest(p.contest_id).await?;
    Ok(axum::Json(handle.snapshot(Viewer::Participant(p.who)).await?))
}

/// Answer a question (live round) or save an answer (exam paper). The reply comes only after the answer is
/// committed to disk. Resending the same answer is harmless (`duplicate: true`).
#[utoipa::path(post, path = "/api/answers", tag = "participant", security(("bearer" = [])),
    request_body = AnswerInput,
    responses((status = 200, body = AnswerAck),
              (status = 404, description = "no such round, or no question at this index", body = crate::error::ErrorBody),
              (status = 409, description = "`answer_late`, `question_closed`, `deadline_passed`, `already_answered`...", body = crate::error::ErrorBody),
              (status = 422, description = "`invalid_answer`", body = crate::error::ErrorBody)))]
async fn answer(
    State(state): State<AppState>,
    p: Participant,
    input: Result<Json<AnswerInput>, AppError>,
) -> AppResult<axum::Json<AnswerAck>> {
    let input = match input {
        Ok(Json(input)) => input,
        Err(e) => {
            // A body that is no answer never reaches the engine; it is kept for the record like every refusal
            // (the parser's message may quote the body: only its start is kept).
            let message: String = e.message.chars().take(300).collect();
            let rejection = Rejection {
                contest_id: p.contest_id,
                participant_id: p.who.participant_id,
                round_id: None,
                question_ref: None,
                reason: format!("{}: {message}", e.code),
                received_at: now_ms(),
            };
            state.engine.writer().put_rejection(rejection).await;
            return Err(e);
        }
    };
    let handle = state.engine.contest(p.contest_id).await?;
    Ok(axum::Json(handle.answer(p.who, input).await?))
}

/// Open the own paper of the running exam round (drawn on first call; the personal clock starts then).
#[utoipa::path(post, path = "/api/exam/start", tag = "participant", security(("bearer" = [])),
    responses((status = 200, description = "the paper without keys, saved answers and the deadline", body = Object),
              (status = 409, description = "`no_exam_running`, `deadline_passed`, `paper_submitted`", body = crate::error::ErrorBody)))]
async fn exam_start(State(state): State<AppState>, p: Participant) -> AppResult<axum::Json<Value>> {
    let handle = state.engine.contest(p.contest_id).await?;
    Ok(axum::Json(handle.exam_start(p.who).await?))
}

/// Hand in the own paper. Papers are also handed in automatically at the deadline.
#[utoipa::path(post, path = "/api/exam/submit", tag = "participant", security(("bearer" = [])),
    responses((status = 200, body = Object),
              (status = 409, description = "no exam round is running, or the paper was not opened", body = crate::error::ErrorBody)))]
async fn exam_submit(State(state): State<AppState>, p: Participant) -> AppResult<axum::Json<Value>> {
    let handle = state.engine.contest(p.contest_id).await?;
    Ok(axum::Json(handle.exam_submit(p.who).await?))
}

/// Report that the participant left the page (switched tab or app). Counted and shown to the organizer.
#[utoipa::path(post, path = "/api/tab-switch", tag = "participant", security(("bearer" = [])),
    responses((status = 200, description = "`{tab_switches}`", body = Object)))]
async fn tab_switch(State(state): State<AppState>, p: Participant) -> AppResult<axum::Json<Value>> {
    let handle = state.engine.contest(p.contest_id).await?;
    let count = handle.tab_switch(p.who).await?;
    Ok(axum::Json(json!({"tab_switches": count})))
}

#[cfg(test)]
mod tests {
    #[test]
    fn join_request_accepts_both_modes() {
        let roster: super::JoinRequest =
            serde_json::from_str(r#"{"code":"123456","badge":"0001"}"#).expect("roster");
        assert_eq!(roster.badge.as_deref(), Some("0001"));
        let open: super::JoinRequest =
            serde_json::from_str(r#"{"code":"123456","name":"A","unit":"B"}"#).expect("open");
        assert!(open.badge.is_none());
    }
}
