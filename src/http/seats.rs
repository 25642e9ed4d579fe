//! Seats (organizer only): the device-change requests of roster participants, their approval or refusal, and
//! releasing a seat. The first device that joins as a participant binds the seat (src/http/participant.rs);
//! another device waits here for the organizer's decision.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::{Json, Organizer};
use crate::auth::random_token;
use crate::error::{AppError, AppResult};
use crate::realtime::encode;
use crate::store::SeatRow;
use crate::store::now_ms;
use crate::store::writer::SessionWrite;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(device_requests))
        .routes(routes!(device_change))
        .routes(routes!(release_seat))
}

async fn requests_json(state: &AppState, contest_id: i64) -> AppResult<Value> {
    crate::contest::seats::device_requests(&state.store, contest_id).await
}

/// Tell the contest's organizer sockets the current list of pending device changes
/// (`{"type":"device_requests","requests":[...]}`). Best effort: the list is also in every organizer
/// snapshot (`device_requests`) and at `GET .../device-requests`.
pub async fn notify(state: &AppState, contest_id: i64) {
    let requests = match requests_json(state, contest_id).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = ?e, contest_id, "listing device requests failed");
            return;
        }
    };
    if let Ok(handle) = state.engine.contest(contest_id).await {
        handle
            .hub
            .publish_organizer(encode(&json!({"type": "device_requests", "requests": requests})));
    }
}

async fn seat_of(state: &AppState, contest_id: i64, participant_id: i64) -> AppResult<SeatRow> {
    state
        .store
        .seat(participant_id)
        .await?
        .filter(|s| s.contest_id == contest_id)
        .ok_or_else(|| AppError::not_found("participant"))
}

/// Pending device changes, oldest first: `[{participant_id, name, badge, unit, requested_at}]`.
#[utoipa::path(get, path = "/api/contests/{id}/device-requests", tag = "control", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Object)))]
async fn device_requests(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<Value>> {
    Ok(axum::Json(json!({"requests": requests_json(&state, id).await?})))
}

#[derive(Deserialize, ToSchema)]
pub struct DeviceChange {
    /// true: the waiting phone takes the seat at its next join; false: it is refused (`device_refused`).
    pub approve: bool,
}

/// Approve or refuse a participant's pending device change. On approval the old phone's session ends at once
/// (`session_replaced` with `reason: "seat_moved"`), and the waiting phone's next `POST /api/join` (with its
/// `device` secret) succeeds.
#[utoipa::path(post, path = "/api/contests/{id}/participants/{pid}/device-change", tag = "control",
    security(("bearer" = [])), params(("id" = i64, Path), ("pid" = i64, Path)), request_body = DeviceChange,
    responses((status = 200, description = "`{approved, requests}`", body = Object),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "`no_device_request`", body = crate::error::ErrorBody)))]
async fn device_change(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Path((id, pid)): Path<(i64, i64)>,
    Json(change): Json<DeviceChange>,
) -> AppResult<axum::Json<Value>> {
    seat_of(&state, id, pid).await?;
    if !state.store.decide_seat(pid, change.approve).await? {
        return Err(AppError::conflict(
            "no_device_request",
            "this participant has no pending device change",
        ));
    }
    if change.approve {
        // The seat is the new phone's from now on: the old phone's session ends at once (its sockets are told
        // the seat moved), not only when the new phone's next poll joins. The new session is held by nobody.
        let session_id = random_token(16);
        state
            .sessions
            .record(
                state.engine.writer(),
                SessionWrite {
                    participant_id: pid,
                    bind_device: None,
                    session_id: session_id.clone(),
                    at: now_ms(),
                },
            )
            .await?;
        state.engine.contest(id).await?.seat_moved(pid, session_id).await;
    }
    let detail = json!({"participant_id": pid, "approve": change.approve});
    state
        .store
        .record_action(id, &claims.sub, "device_change", &detail)
        .await;
    notify(&state, id).await;
    Ok(axum::Json(json!({
        "approved": change.approve,
        "requests": requests_json(&state, id).await?,
    })))
}

/// Free a participant's seat: the next phone that joins with this badge binds it. The current session stays
/// valid until that join replaces it.
#[utoipa::path(post, path = "/api/contests/{id}/participants/{pid}/release-seat", tag = "control",
    security(("bearer" = [])), params(("id" = i64, Path), ("pid" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
async fn release_seat(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Path((id, pid)): Path<(i64, i64)>,
) -> AppResult<axum::Json<Value>> {
    seat_of(&state, id, pid).await?;
    state.store.release_seat(pid).await?;
    let detail = json!({"participant_id": pid});
    state
        .store
        .record_action(id, &claims.sub, "release_seat", &detail)
        .await;
    notify(&state, id).await;
    Ok(axum::Json(json!({"released": true})))
}
