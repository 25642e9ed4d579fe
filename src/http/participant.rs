//! Participant endpoints: join, state, answers, exam papers, tab switches.

use axum::extract::State;
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
use crate::error::{AppError, AppResult};
use crate::store::now_ms;

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

async fn contest_for_code(state: &AppState, code: &str) -> AppResult<crate::store::ContestRow> {
    let code = code.trim();
    state.store.contest_by_code(code).await?.ok_or_else(|| {
        AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown_contest",
            format!("no contest has the code {code}"),
        )
    })
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

/// Public facts about a contest, by join code: what the join form must ask for.
#[utoipa::path(get, path = "/api/join/{code}", tag = "participant",
    params(("code" = String, Path, description = "join code")),
    responses((status = 200, description = "`{title, join_mode, state}`", body = Object),
              (status = 404, body = crate::error::ErrorBody)))]
async fn contest_by_code(
    State(state): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> AppResult<axum::Json<Value>> {
    let contest = contest_for_code(&state, &code).await?;
    Ok(axum::Json(json!({
        "title": contest.title,
        "join_mode": contest.join_mode,
        "state": contest.state,
    })))
}

/// Join a contest. In roster mode the first device binds the seat: a rejoin with the same `device` secret
/// replaces the previous session (its sockets are closed); another device gets `409 seat_taken` and waits for
/// the organizer (see docs/api.md, "Seats").
#[utoipa::path(post, path = "/api/join", tag = "participant", request_body = JoinRequest,
    responses((status = 200, body = JoinResponse),
              (status = 404, description = "unknown code (`unknown_contest`) or badge (`unknown_badge`)", body = crate::error::ErrorBody),
              (status = 403, description = "`device_refused`: the organizer refused this device", body = crate::error::ErrorBody),
              (status = 409, description = "`contest_finished`, or `seat_taken` (`details.device`: the secret to poll with)", body = crate::error::ErrorBody),
              (status = 422, description = "`badge_required`, `name_required`, `too_long` (name and unit: 64 characters)", body = crate::error::ErrorBody)))]
async fn join(
    State(state): State<AppState>,
    Json(request): Json<JoinRequest>,
) -> AppResult<axum::Json<JoinResponse>> {
    let contest = contest_for_code(&state, &request.code).await?;
    if contest.state == "finished" {
        return Err(AppError::conflict(
            "contest_finished",
            "this contest has finished",
        ));
    }
    let mode = JoinMode::parse(&contest.join_mode).unwrap_or(JoinMode::Roster);
    let (participant_id, name, unit, device) = match mode {
        JoinMode::Roster => {
            let badge = request
                .badge
                .as_deref()
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .ok_or_else(|| AppError::unprocessable("badge_required", "enter your badge number (警号)"))?;
            let p = state
                .store
                .participant_by_badge(contest.id, badge)
                .await?
                .ok_or_else(|| {
                    AppError::new(
                        axum::http::StatusCode::NOT_FOUND,
                        "unknown_badge",
                        format!("badge number {badge} is not on this contest's roster"),
                    )
                })?;
            let device = claim_seat(&state, p.id, request.device.as_deref()).await?;
            (p.id, p.name, p.unit, Some(device))
        }
        JoinMode::Open => {
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
            // Every open-mode join makes a new participant, so there is no seat to take over.
            (id, name.to_string(), unit.to_string(), None)
        }
    };
    let session_id = random_token(16);
    // Through the session cache, so that every request with the replaced session is refused from now on.
    state
        .sessions
        .record(&state.store, participant_id, &session_id, now_ms())
        .await?;
    let claims = Claims {
        contest_id: Some(contest.id),
        participant_id: Some(participant_id),
        sid: Some(session_id.clone()),
        ..Claims::new(
            Role::Participant,
            participant_id.to_string(),
            state.settings.participant_token_ttl,
        )
    };
    let token = sign(&state, &claims)?;
    let exp = claims.exp;
    state
        .engine
        .contest(contest.id)
        .await?
        .joined(participant_id, session_id)
        .await;
    Ok(axum::Json(JoinResponse {
        token,
        expires_at: exp,
        contest_id: contest.id,
        participant_id,
        name,
        unit,
        device,
    }))
}

/// The longest device secret accepted back from a phone (the server makes 43-character ones).
const MAX_DEVICE_LEN: usize = 128;

/// The first device binds a roster seat; the same device may rejoin; another device does not take over but
/// records a device-change request for the organizer and gets `409 seat_taken` with a device secret to poll
/// with. Returns the device secret of the joining phone.
async fn claim_seat(state: &AppState, participant_id: i64, device: Option<&str>) -> AppResult<String> {
    let device = device
        .map(str::trim)
        .filter(|d| !d.is_empty() && d.len() <= MAX_DEVICE_LEN && d.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string);
    let seat = state
        .store
        .seat(participant_id)
        .await?
        .ok_or_else(|| AppError::not_found("participant"))?;
    match (&seat.device, &device) {
        (Some(bound), Some(mine)) if bound == mine => return Ok(mine.clone()),
        (None, _) => {
            let mine = device.unwrap_or_else(|| random_token(32));
            if state.store.bind_seat(participant_id, &mine).await? {
                return Ok(mine);
            }
            // Another phone bound the seat a moment ago: fall through to a device-change request.
            return Box::pin(claim_seat(state, participant_id, Some(&mine))).await;
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
    Json(input): Json<AnswerInput>,
) -> AppResult<axum::Json<AnswerAck>> {
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
