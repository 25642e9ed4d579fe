//! Running a contest and reading its results (organizer only).

use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::{Json, Organizer};
use crate::contest::ControlAction;
use crate::error::{AppError, AppResult};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(control))
        .routes(routes!(results))
        .routes(routes!(breakdown))
        .routes(routes!(paper_audit))
        .routes(routes!(list_adjustments, adjust))
        .routes(routes!(rejections))
        .routes(routes!(audit_log))
}

/// Every control button: start a round, next question, close, pause, resume, skip, end the round, finish; in
/// buzzer rounds also arm and judge, and for the team ledger undo and adjust_team.
/// Returns the organizer snapshot after the action.
#[utoipa::path(post, path = "/api/contests/{id}/control", tag = "control", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ControlAction,
    responses((status = 200, body = Object),
              (status = 409, description = "the action does not fit the contest's state", body = crate::error::ErrorBody),
              (status = 422, description = "a blueprint cannot be filled; `details` names the quotas", body = crate::error::ErrorBody)))]
async fn control(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Path(id): Path<i64>,
    Json(action): Json<ControlAction>,
) -> AppResult<axum::Json<Value>> {
    let handle = state.engine.contest(id).await?;
    let finishing = matches!(action, ControlAction::Finish);
    let snapshot = handle.control(action, &claims.sub).await?;
    if finishing {
        // The bank browser shows each question's statistics from its latest analysis.
        super::analysis::record_finished(&state.store, id).await;
        // The final results' fingerprint, which `jingsai audit verify` recomputes.
        crate::audit::record::record_results(&state.store, &handle, id, &claims.sub, "finish").await;
    }
    Ok(axum::Json(snapshot))
}

/// Individual ranking (with the tie-break that decided each place) and unit standings.
#[utoipa::path(get, path = "/api/contests/{id}/results", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Object)))]
async fn results(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<Value>> {
    Ok(axum::Json(state.engine.contest(id).await?.results().await?))
}

/// One participant's score explained: every scored question with response, points and bonus.
#[utoipa::path(get, path = "/api/contests/{id}/participants/{pid}/breakdown", tag = "results",
    security(("bearer" = [])), params(("id" = i64, Path), ("pid" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
async fn breakdown(
    State(state): State<AppState>,
    _: Organizer,
    Path((id, pid)): Path<(i64, i64)>,
) -> AppResult<axum::Json<Value>> {
    Ok(axum::Json(state.engine.contest(id).await?.breakdown(pid).await?))
}

/// Audit one exam paper: the stored paper next to one regenerated from the contest seed.
#[utoipa::path(get, path = "/api/contests/{id}/rounds/{rid}/papers/{pid}", tag = "results",
    security(("bearer" = [])), params(("id" = i64, Path), ("rid" = i64, Path), ("pid" = i64, Path)),
    responses((status = 200, description = "`{stored, regenerated, identical, seed, ...}`", body = Object)))]
async fn paper_audit(
    State(state): State<AppState>,
    _: Organizer,
    Path((id, rid, pid)): Path<(i64, i64, i64)>,
) -> AppResult<axum::Json<Value>> {
    Ok(axum::Json(state.engine.contest(id).await?.paper(rid, pid).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct AdjustRequest {
    pub participant_id: i64,
    /// Points to add (negative to subtract), in steps of 0.01.
    pub delta: f64,
    /// Required: why the score changes. Kept in the audit trail.
    pub reason: String,
}

/// Adjust a participant's score. The reason is required and recorded.
#[utoipa::path(post, path = "/api/contests/{id}/adjustments", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AdjustRequest,
    responses((status = 200, body = crate::store::AdjustmentRow), (status = 422, body = crate::error::ErrorBody)))]
async fn adjust(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Path(id): Path<i64>,
    Json(request): Json<AdjustRequest>,
) -> AppResult<axum::Json<Value>> {
    if !request.delta.is_finite() || request.delta.abs() > 100_000.0 || request.delta == 0.0 {
        return Err(AppError::unprocessable(
            "invalid_delta",
            "delta must be a non-zero number of points",
        ));
    }
    let delta_centi = (request.delta * 100.0).round() as i64;
    let handle = state.engine.contest(id).await?;
    let row = handle
        .adjust(
            request.participant_id,
            delta_centi,
            request.reason,
            claims.sub.clone(),
        )
        .await?;
    let detail = json!({
        "adjustment_id": row["id"],
        "participant_id": request.participant_id,
        "delta_centi": delta_centi,
        "reason": row["reason"],
    });
    state
        .store
        .record_action(id, &claims.sub, "adjust_score", &detail)
        .await;
    Ok(axum::Json(row))
}

/// The audit trail of score adjustments.
#[utoipa::path(get, path = "/api/contests/{id}/adjustments", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = [crate::store::AdjustmentRow])))]
async fn list_adjustments(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<Value>> {
    let rows = state.store.adjustments(id).await?;
    Ok(axum::Json(json!(rows)))
}

/// Paging of the refused-answer log.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct RejectionsPage {
    /// Return rows recorded after this `id` (the last `id` of the previous page); 0 or absent for the first page.
    #[serde(default)]
    pub after: Option<i64>,
    /// Rows per page, 1 to 1000 (the default).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Answers the server refused (late, after close, after submission), as recorded, oldest first, one page at a
/// time: `?after=<last id>&limit=<n>` (at most 1000 rows). Per participant and round, the first 10 refusals of
/// each minute are recorded one by one; the rest of that minute become one `rate_limited: …` row with their
/// count.
#[utoipa::path(get, path = "/api/contests/{id}/rejections", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path), RejectionsPage),
    responses((status = 200, body = [crate::store::RejectionRow]),
              (status = 422, description = "`limit` is not between 1 and 1000", body = crate::error::ErrorBody)))]
async fn rejections(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
    Query(page): Query<RejectionsPage>,
) -> AppResult<axum::Json<Value>> {
    let max = crate::store::MAX_REJECTIONS_PAGE;
    let limit = page.limit.unwrap_or(max);
    if !(1..=max).contains(&limit) {
        return Err(AppError::unprocessable(
            "invalid_limit",
            format!("limit must be between 1 and {max}"),
        ));
    }
    let rows = state
        .store
        .rejections_page(id, page.after.unwrap_or(0), limit)
        .await?;
    Ok(axum::Json(json!(rows)))
}

/// The contest's audit log: every organizer action, oldest first, and whether its hash chain is whole.
#[utoipa::path(get, path = "/api/contests/{id}/audit", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, description = "`{entries: [AuditRow], chain_ok, chain_error}`", body = Object)))]
async fn audit_log(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<Value>> {
    if state.store.contest(id).await?.is_none() {
        return Err(AppError::not_found("contest"));
    }
    let rows = state.store.audit_log(id).await?;
    let broken = crate::store::chain_break(&rows);
    Ok(axum::Json(json!({
        "entries": rows,
        "chain_ok": broken.is_none(),
        "chain_error": broken.map(|(_, message)| message),
    })))
}
