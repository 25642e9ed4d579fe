//! Contest setup (organizer login is in `login.rs`): contests, rounds, roster, display tokens.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::{Json, Organizer};
use crate::auth::{Claims, random_join_code, random_seed};
use crate::contest::{ContestState, JoinMode, RoundConfig, RoundKind};
use crate::error::{AppError, AppResult};
use crate::paper::{PoolQuestion, available_per_quota, check_blueprint};
use crate::scoring::UnitScoring;
use crate::store::{ContestRow, NewContest, NewRound};

pub(super) mod roster;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contests, create_contest))
        .routes(routes!(get_contest))
        .routes(routes!(add_round))
        .routes(routes!(delete_round))
        .routes(routes!(check_round))
        .routes(routes!(list_participants))
}

pub fn upload_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(roster::import_roster))
}

pub(super) fn sign(state: &AppState, claims: &Claims) -> AppResult<String> {
    state.keys.sign(claims).map_err(AppError::from)
}

#[derive(Deserialize, ToSchema)]
pub struct RoundSpec {
    pub title: String,
    pub kind: RoundKind,
    pub config: RoundConfig,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateContest {
    pub title: String,
    /// Banks the rounds draw from.
    pub bank_ids: Vec<String>,
    #[serde(default = "roster_mode")]
    pub join_mode: JoinMode,
    #[serde(default = "sum")]
    pub unit_scoring: UnitScoring,
    /// The random seed as a decimal string (u64); generated when absent.
    #[serde(default)]
    pub seed: Option<String>,
    /// Six digits; generated when absent.
    #[serde(default)]
    pub join_code: Option<String>,
    #[serde(default)]
    pub rounds: Vec<RoundSpec>,
}

fn roster_mode() -> JoinMode {
    JoinMode::Roster
}
fn sum() -> UnitScoring {
    UnitScoring::Sum
}

pub(super) fn contest_json(row: &ContestRow) -> Value {
    json!({
        "id": row.id,
        "title": row.title,
        "join_code": row.join_code,
        "seed": (row.seed as u64).to_string(),
        "bank_ids": serde_json::from_str::<Value>(&row.bank_ids).unwrap_or(Value::Null),
        "join_mode": row.join_mode,
        "unit_scoring": row.unit_scoring,
        "state": row.state,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "secret_kind": row.secret_kind,
    })
}

async fn pool_of(state: &AppState, bank_ids: &[String]) -> AppResult<Vec<PoolQuestion>> {
    Ok(state
        .store
        .questions_of_banks(bank_ids)
        .await?
        .into_iter()
        .map(|(uid, q)| PoolQuestion {
            uid,
            links: crate::paper::DrawLinks::of(&q),
            qtype: q.qtype,
            category: q.category,
            difficulty: q.difficulty,
            option_count: q.options.len(),
        })
        .collect())
}

/// Validate a round against the pool: settings in range, blueprint fillable. The problems name the quota.
fn validate_round(spec: &RoundSpec, pool: &[PoolQuestion], number: usize) -> AppResult<()> {
    if spec.title.trim().is_empty() {
        return Err(AppError::unprocessable(
            "invalid_round",
            format!("round {number} needs a title"),
        ));
    }
    spec.config
        .validate(spec.kind)
        .map_err(|m| AppError::unprocessable("invalid_round", format!("round {number}: {m}")))?;
    let problems = check_blueprint(&spec.config.blueprint, pool);
    if !problems.is_empty() {
        let summary = crate::paper::summarize(&problems);
        return Err(
            AppError::unprocessable("blueprint_unfillable", format!("round {number}: {summary}"))
                .with_details(problems),
        );
    }
    Ok(())
}

pub(super) async fn contest_row(state: &AppState, id: i64) -> AppResult<ContestRow> {
    state
        .store
        .contest(id)
        .await?
        .ok_or_else(|| AppError::not_found("contest"))
}

/// All contests, newest first.
#[utoipa::path(get, path = "/api/contests", tag = "contests", security(("bearer" = [])),
    responses((status = 200, body = [Object])))]
async fn list_contests(State(state): State<AppState>, _: Organizer) -> AppResult<axum::Json<Vec<Value>>> {
    Ok(axum::Json(
        state.store.contests().await?.iter().map(contest_json).collect(),
    ))
}

/// Create a contest with its rounds. Every round's blueprint is checked against the banks first.
#[utoipa::path(post, path = "/api/contests", tag = "contests", security(("bearer" = [])),
    request_body = CreateContest,
    responses((status = 201, body = Object),
              (status = 409, description = "`join_code_taken`", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn create_contest(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Json(request): Json<CreateContest>,
) -> AppResult<(axum::http::StatusCode, axum::Json<Value>)> {
    let title = request.title.trim();
    if title.is_empty() {
        return Err(AppError::unprocessable(
            "invalid_title",
            "the contest needs a title",
        ));
    }
    if request.bank_ids.is_empty() {
        return Err(AppError::unprocessable("no_banks", "choose at least one bank"));
    }
    let known: Vec<String> = state
        .store
        .list_banks()
        .await?
        .into_iter()
        .map(|b| b.id)
        .collect();
    if let Some(missing) = request.bank_ids.iter().find(|b| !known.contains(b)) {
        return Err(AppError::unprocessable(
            "unknown_bank",
            format!("no bank has the id `{missing}`"),
        ));
    }
    let pool = pool_of(&state, &request.bank_ids).await?;
    for (i, spec) in request.rounds.iter().enumerate() {
        validate_round(spec, &pool, i + 1)?;
    }
    crate::contest::check_stage_settings(request.rounds.iter().map(|r| (r.kind, &r.config)))
        .map_err(|m| AppError::unprocessable("invalid_round", m))?;
    let seed = match &request.seed {
        Some(text) => text
            .trim()
            .parse::<u64>()
            .map_err(|_| AppError::unprocessable("invalid_seed", "the seed must be a whole number (u64)"))?,
        None => random_seed(),
    };
    let join_code = match &request.join_code {
        Some(code) if !code.trim().is_empty() => {
            let code = code.trim().to_string();
            if code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(AppError::unprocessable(
                    "invalid_join_code",
                    "a join code is 1-32 letters or digits",
                ));
            }
            if state.store.contest_by_code(&code).await?.is_some() {
                return Err(AppError::conflict(
                    "join_code_taken",
                    "another contest uses this join code",
                ));
            }
            code
        }
        _ => loop {
            let code = random_join_code();
            if state.store.contest_by_code(&code).await?.is_none() {
                break code;
            }
        },
    };
    let configs: Vec<String> = request
        .rounds
        .iter()
        .map(|r| serde_json::to_string(&r.config))
        .collect::<Result<_, _>>()
        .map_err(AppError::internal)?;
    let rounds: Vec<NewRound> = request
        .rounds
        .iter()
        .zip(configs)
        .map(|(r, config_json)| NewRound {
            title: r.title.trim(),
            kind: r.kind.as_str(),
            config_json,
        })
        .collect();
    let id = state
        .store
        .create_contest(
            &NewContest {
                title,
                join_code: &join_code,
                seed,
                bank_ids: &request.bank_ids,
                join_mode: request.join_mode.as_str(),
                unit_scoring: request.unit_scoring.as_str(),
            },
            &rounds,
        )
        .await?;
    let row = contest_row(&state, id).await?;
    let detail = json!({
        "title": title,
        "bank_ids": request.bank_ids,
        "rounds": request.rounds.len(),
        "join_mode": request.join_mode,
        "unit_scoring": request.unit_scoring,
        "seed": if request.seed.is_some() { "given" } else { "generated" },
    });
    state
        .store
        .record_action(id, &claims.sub, "create_contest", &detail)
        .await;
    Ok((axum::http::StatusCode::CREATED, axum::Json(contest_json(&row))))
}

/// A contest with its live state (rounds, current question with key, participants): the organizer snapshot.
#[utoipa::path(get, path = "/api/contests/{id}", tag = "contests", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
async fn get_contest(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<Value>> {
    let row = contest_row(&state, id).await?;
    let handle = state.engine.contest(id).await?;
    let mut snapshot = handle.snapshot(crate::contest::Viewer::Organizer).await?;
    snapshot["contest"] = contest_json(&row);
    Ok(axum::Json(snapshot))
}

/// Add a round at the end. Allowed until the contest finishes; the blueprint is checked first.
#[utoipa::path(post, path = "/api/contests/{id}/rounds", tag = "contests", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RoundSpec,
    responses((status = 201, body = Object),
              (status = 409, description = "`contest_finished`, or the contest has started", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn add_round(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Path(id): Path<i64>,
    Json(spec): Json<RoundSpec>,
) -> AppResult<(axum::http::StatusCode, axum::Json<Value>)> {
    let row = contest_row(&state, id).await?;
    if row.state == ContestState::Finished.as_str() {
        return Err(AppError::conflict("contest_finished", "the contest has finished"));
    }
    let bank_ids: Vec<String> = serde_json::from_str(&row.bank_ids).map_err(AppError::internal)?;
    let pool = pool_of(&state, &bank_ids).await?;
    let existing = state.store.rounds(id).await?;
    let number = existing.len() + 1;
    validate_round(&spec, &pool, number)?;
    let mut configs = Vec::with_capacity(number);
    for round in &existing {
        let kind = RoundKind::parse(&round.kind).unwrap_or(RoundKind::Live);
        configs.push((
            kind,
            serde_json::from_str::<RoundConfig>(&round.config).map_err(AppError::internal)?,
        ));
    }
    configs.push((spec.kind, spec.config.clone()));
    crate::contest::check_stage_settings(configs.iter().map(|(kind, config)| (*kind, config)))
        .map_err(|m| AppError::unprocessable("invalid_round", m))?;
    let round_id = state
        .store
        .add_round(
            id,
            &NewRound {
                title: spec.title.trim(),
                kind: spec.kind.as_str(),
                config_json: serde_json::to_string(&spec.config).map_err(AppError::internal)?,
            },
        )
        .await?;
    state.engine.contest(id).await?.reload().await?;
    let detail = json!({
        "round_id": round_id,
        "position": number - 1,
        "kind": spec.kind,
        "title": spec.title.trim(),
    });
    state
        .store
        .record_action(id, &claims.sub, "add_round", &detail)
        .await;
    Ok((
        axum::http::StatusCode::CREATED,
        axum::Json(json!({"id": round_id, "position": number - 1})),
    ))
}

/// Delete a round that has not started yet.
#[utoipa::path(delete, path = "/api/contests/{id}/rounds/{rid}", tag = "contests", security(("bearer" = [])),
    params(("id" = i64, Path), ("rid" = i64, Path)),
    responses((status = 204), (status = 409, description = "the round has started", body = crate::error::ErrorBody)))]
async fn delete_round(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Path((id, rid)): Path<(i64, i64)>,
) -> AppResult<axum::http::StatusCode> {
    let contest = contest_row(&state, id).await?;
    if contest.state == ContestState::Finished.as_str() {
        return Err(AppError::conflict("contest_finished", "the contest has finished"));
    }
    if !state.store.rounds(id).await?.iter().any(|r| r.id == rid) {
        return Err(AppError::not_found("round"));
    }
    if !state.store.delete_pending_round(id, rid).await? {
        return Err(AppError::conflict(
            "round_started",
            "only a round that has not started can be deleted",
        ));
    }
    state.engine.contest(id).await?.reload().await?;
    let detail = json!({"round_id": rid});
    state
        .store
        .record_action(id, &claims.sub, "delete_round", &detail)
        .await;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct CheckRound {
    pub kind: RoundKind,
    pub config: RoundConfig,
}

/// Check a round's settings and blueprint against the contest's banks without saving: problems by quota and
/// how many questions each quota has available.
#[utoipa::path(post, path = "/api/contests/{id}/rounds/check", tag = "contests", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CheckRound,
    responses((status = 200, description = "`{ok, problems, available}`", body = Object)))]
async fn check_round(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
    Json(request): Json<CheckRound>,
) -> AppResult<axum::Json<Value>> {
    let row = contest_row(&state, id).await?;
    let bank_ids: Vec<String> = serde_json::from_str(&row.bank_ids).map_err(AppError::internal)?;
    let pool = pool_of(&state, &bank_ids).await?;
    let settings_error = request.config.validate(request.kind).err();
    let problems = check_blueprint(&request.config.blueprint, &pool);
    Ok(axum::Json(json!({
        "ok": settings_error.is_none() && problems.is_empty(),
        "settings_error": settings_error,
        "problems": problems,
        "available": available_per_quota(&request.config.blueprint, &pool),
    })))
}

/// The roster with join state, connection and tab-switch counts, and each officer's `secret` when the roster
/// has a secret column (`secret_kind`): this listing and the join slips are the only places it is shown.
#[utoipa::path(get, path = "/api/contests/{id}/participants", tag = "contests", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, description = "`{participants, secret_kind}`", body = Object)))]
async fn list_participants(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<Value>> {
    let row = contest_row(&state, id).await?;
    let mut snapshot = state
        .engine
        .contest(id)
        .await?
        .snapshot(crate::contest::Viewer::Organizer)
        .await?;
    let secrets: std::collections::HashMap<i64, String> =
        state.store.roster_secrets(id).await?.into_iter().collect();
    let mut participants = snapshot["participants"].take();
    if let Some(list) = participants.as_array_mut() {
        for p in list {
            let secret = p["id"].as_i64().and_then(|pid| secrets.get(&pid));
            p["secret"] = json!(secret);
        }
    }
    Ok(axum::Json(json!({
        "participants": participants,
        "secret_kind": row.secret_kind,
    })))
}
