//! `GET /api/banks/{id}/lint`: the bank linter (docs/bank-lint.md) on a bank as it is stored, for the console's
//! bank view. Organizer only.

use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::Organizer;
use crate::bank::LocatedBank;
use crate::bank::lint::{LintOptions, Report};
use crate::error::{AppError, AppResult};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(lint_bank))
}

#[derive(Deserialize, IntoParams)]
pub struct LintParams {
    /// Near duplicates: the least similarity reported, 0 to 1 (default 0.45).
    #[param(minimum = 0.0, maximum = 1.0)]
    threshold: Option<f64>,
    /// Give-aways: the least context similarity reported, 0 to 1 (default 0.15).
    #[param(minimum = 0.0, maximum = 1.0)]
    give_away_threshold: Option<f64>,
}

fn fraction(name: &str, value: Option<f64>, default: f64) -> AppResult<f64> {
    match value {
        None => Ok(default),
        Some(x) if (0.0..=1.0).contains(&x) => Ok(x),
        Some(x) => Err(AppError::bad_request(
            "invalid_threshold",
            format!("{name} must be a number from 0 to 1, not {x}"),
        )),
    }
}

/// Lint a stored bank: near-duplicate questions, give-aways, guessable keys and unbalanced statistics. The
/// report is that of `jingsai bank lint --json`, with questions named by id (`file` and `line` are null: a stored
/// bank has no file).
#[utoipa::path(get, path = "/api/banks/{id}/lint", tag = "banks", security(("bearer" = [])),
    params(("id" = String, Path, description = "bank id"), LintParams),
    responses((status = 200, body = Report),
              (status = 404, description = "`not_found`: no such bank", body = crate::error::ErrorBody),
              (status = 400, description = "`invalid_threshold`: a threshold is not within 0 to 1", body = crate::error::ErrorBody)))]
async fn lint_bank(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<String>,
    Query(params): Query<LintParams>,
) -> AppResult<axum::Json<Report>> {
    let defaults = LintOptions::default();
    let options = LintOptions {
        similarity: fraction("threshold", params.threshold, defaults.similarity)?,
        give_away: fraction(
            "give_away_threshold",
            params.give_away_threshold,
            defaults.give_away,
        )?,
    };
    let bank = (state.store.bank(&id).await)
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::not_found("bank"))?;
    let located = [LocatedBank {
        bank,
        places: Vec::new(),
    }];
    let report = tokio::task::spawn_blocking(move || crate::bank::lint::lint(&located, &options))
        .await
        .map_err(AppError::internal)?;
    Ok(axum::Json(report))
}
