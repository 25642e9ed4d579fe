//! Item analysis of a contest (docs/item-analysis.md), the statistics the bank browser shows with each
//! question, and the organizer's review mark on a question. Organizer only.

use std::collections::HashMap;

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::banks::question_json;
use super::extract::{Json, Organizer};
use crate::analysis::contest::{ContestRows, round_matrices};
use crate::analysis::{self, Analysis, ItemStats};
use crate::error::{AppError, AppResult};
use crate::store::{ItemStatRow, ReviewRow, Store, now_ms};

/// The longest review note, in characters.
const MAX_NOTE_CHARS: usize = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(contest_analysis))
        .routes(routes!(set_review))
}

/// Per-round and per-question statistics of a contest: facility, discrimination, the upper-minus-lower 27%
/// index, distractors, time, flags; per round n, mean, SD, Cronbach's α and SEM. Live rounds count their closed
/// questions, exam rounds once finished (a running contest is analysed as far as it has gone). Each question's
/// statistics are also stored for the bank browser.
#[utoipa::path(get, path = "/api/contests/{id}/analysis", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, description = "`{contest_id, state, computed_at, thresholds, rounds: [{round_id, title, kind, state, paper, questions: [{question, stats}]}]}`", body = Object),
              (status = 404, body = crate::error::ErrorBody)))]
async fn contest_analysis(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<Value>> {
    Ok(axum::Json(analyse_and_store(&state.store, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewRequest {
    /// Marked for review (true) or cleared (false).
    pub review: bool,
    /// Why; at most 500 characters.
    #[serde(default)]
    pub note: String,
}

/// Mark a question for review (or clear the mark), with a note. The mark survives re-imports of the bank.
#[utoipa::path(put, path = "/api/questions/{uid}/review", tag = "banks", security(("bearer" = [])),
    params(("uid" = i64, Path, description = "question uid")), request_body = ReviewRequest,
    responses((status = 200, body = ReviewRow), (status = 404, body = crate::error::ErrorBody),
              (status = 422, description = "`invalid_note`: the note is too long", body = crate::error::ErrorBody)))]
async fn set_review(
    State(state): State<AppState>,
    _: Organizer,
    Path(uid): Path<i64>,
    Json(request): Json<ReviewRequest>,
) -> AppResult<axum::Json<ReviewRow>> {
    let note = request.note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::unprocessable(
            "invalid_note",
            format!("the note may have at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    let row = state
        .store
        .set_review(uid, request.review, note)
        .await?
        .ok_or_else(|| AppError::not_found("question"))?;
    Ok(axum::Json(row))
}

/// Everything the analysis reads, from the store.
async fn contest_rows(store: &Store, contest_id: i64, bank_ids: &[String]) -> AppResult<ContestRows> {
    let rounds = store.rounds(contest_id).await?;
    let mut live_questions = HashMap::new();
    let mut papers = HashMap::new();
    for round in &rounds {
        live_questions.insert(round.id, store.round_questions(round.id).await?);
        papers.insert(round.id, store.papers(round.id).await?);
    }
    Ok(ContestRows {
        rounds,
        live_questions,
        papers,
        participants: store.participants(contest_id).await?,
        answers: store.answers_of_contest(contest_id).await?,
        questions: store.questions_of_banks(bank_ids).await?.into_iter().collect(),
    })
}

/// Analyse every round of a contest, store each question's statistics, and return the organizer's view.
pub async fn analyse_and_store(store: &Store, contest_id: i64) -> AppResult<Value> {
    let contest = store
        .contest(contest_id)
        .await?
        .ok_or_else(|| AppError::not_found("contest"))?;
    let bank_ids: Vec<String> = serde_json::from_str(&contest.bank_ids).map_err(AppError::internal)?;
    let rows = contest_rows(store, contest_id, &bank_ids).await?;
    let matrices = round_matrices(&rows).map_err(AppError::internal)?;
    let computed_at = now_ms();
    let analyses: Vec<Analysis> = matrices.iter().map(|m| analysis::analyse(&m.matrix)).collect();

    let uids: Vec<i64> = analyses
        .iter()
        .flat_map(|a| a.items.iter().map(|i| i.id))
        .collect();
    let reviews: HashMap<i64, ReviewRow> = store
        .reviews(&uids)
        .await?
        .into_iter()
        .map(|r| (r.question_uid, r))
        .collect();
    let mut stored = Vec::new();
    let mut rounds = Vec::new();
    for (m, a) in matrices.iter().zip(&analyses) {
        let questions: Vec<Value> = a
            .items
            .iter()
            .map(|item| {
                let mut question = question_json(item.id, &rows.questions[&item.id]);
                question["review"] = review_json(reviews.get(&item.id));
                json!({"question": question, "stats": item})
            })
            .collect();
        stored.extend(
            a.items
                .iter()
                .filter(|i| i.n > 0)
                .map(|i| stat_row(i, m.round.id, contest_id, computed_at)),
        );
        rounds.push(json!({
            "round_id": m.round.id,
            "title": m.round.title,
            "kind": m.kind,
            "state": m.round.state,
            "paper": a.paper,
            "questions": questions,
        }));
    }
    store.save_item_stats(&stored).await?;
    Ok(json!({
        "contest_id": contest_id,
        "title": contest.title,
        "state": contest.state,
        "computed_at": computed_at,
        "thresholds": {
            "very_hard_at_most": analysis::VERY_HARD_AT_MOST,
            "very_easy_at_least": analysis::VERY_EASY_AT_LEAST,
            "low_discrimination_below": analysis::LOW_DISCRIMINATION_BELOW,
            "group_percent": analysis::GROUP_PERCENT,
        },
        "rounds": rounds,
    }))
}

/// After a contest finishes: store its statistics for the bank browser. A failure is logged, never returned
/// (the contest has finished either way; opening its analysis stores them again).
pub async fn record_finished(store: &Store, contest_id: i64) {
    if let Err(e) = analyse_and_store(store, contest_id).await {
        tracing::warn!(contest = contest_id, error = %e, "item statistics were not stored at the finish");
    }
}

fn stat_row(item: &ItemStats, round_id: i64, contest_id: i64, computed_at: i64) -> ItemStatRow {
    ItemStatRow {
        question_uid: item.id,
        round_id,
        contest_id,
        computed_at,
        n: i64::try_from(item.n).unwrap_or(i64::MAX),
        answered: i64::try_from(item.answered).unwrap_or(i64::MAX),
        facility: item.facility,
        fully_correct: item.fully_correct,
        discrimination: item.discrimination,
        upper_lower: item.upper_lower,
        mean_time_ms: item.mean_time_ms,
        flags: serde_json::to_string(&item.flags).unwrap_or_else(|_| "[]".into()),
    }
}

fn review_json(review: Option<&ReviewRow>) -> Value {
    json!({
        "review": review.is_some_and(|r| r.review),
        "note": review.map_or("", |r| r.review_note.as_str()),
        "at": review.and_then(|r| r.review_at),
    })
}

fn stats_json(row: &ItemStatRow) -> Value {
    let mut value = json!(row);
    value["flags"] = serde_json::from_str(&row.flags).unwrap_or_else(|_| json!([]));
    value
}

/// Add to each question of a bank listing (objects with a `uid`) its latest statistics (`stats`, null when
/// never analysed) and its review mark (`review`).
pub(super) async fn annotate_questions(store: &Store, questions: &mut [Value]) -> AppResult<()> {
    let uids: Vec<i64> = questions.iter().filter_map(|q| q["uid"].as_i64()).collect();
    let stats: HashMap<i64, ItemStatRow> = store
        .latest_item_stats(&uids)
        .await?
        .into_iter()
        .map(|r| (r.question_uid, r))
        .collect();
    let reviews: HashMap<i64, ReviewRow> = store
        .reviews(&uids)
        .await?
        .into_iter()
        .map(|r| (r.question_uid, r))
        .collect();
    for q in questions.iter_mut() {
        let Some(uid) = q["uid"].as_i64() else { continue };
        q["stats"] = stats.get(&uid).map_or(Value::Null, stats_json);
        q["review"] = review_json(reviews.get(&uid));
    }
    Ok(())
}
