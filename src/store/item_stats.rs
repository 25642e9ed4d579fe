//! Item statistics kept per question and round, and the organizer's review mark on a question.

use super::db::{on_pool, on_tx};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Store, now_ms};

/// A question's statistics from one analysed round (docs/item-analysis.md).
#[derive(Debug, Clone, PartialEq, FromRow, Serialize, ToSchema)]
pub struct ItemStatRow {
    pub question_uid: i64,
    pub round_id: i64,
    pub contest_id: i64,
    pub computed_at: i64,
    pub n: i64,
    pub answered: i64,
    pub facility: Option<f64>,
    pub fully_correct: Option<f64>,
    pub discrimination: Option<f64>,
    pub upper_lower: Option<f64>,
    pub mean_time_ms: Option<f64>,
    /// JSON array of flags.
    #[serde(skip)]
    pub flags: String,
}

/// The organizer's review mark on a question.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize, ToSchema)]
pub struct ReviewRow {
    pub question_uid: i64,
    /// Marked for review.
    pub review: bool,
    pub review_note: String,
    /// When the mark was last changed.
    pub review_at: Option<i64>,
}

/// The ids as a JSON array, for the IN clauses below ([`super::Backend::json_integers`]).
fn json_ids(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// Replace the statistics of these (question, round) pairs in one transaction.
    pub async fn save_item_stats(&self, rows: &[ItemStatRow]) -> sqlx::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for r in rows {
            on_tx!(&mut tx, |exe| {
                sqlx::query(
                "INSERT INTO item_stats (question_uid, round_id, contest_id, computed_at, n, answered, facility,
                    fully_correct, discrimination, upper_lower, mean_time_ms, flags)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (question_uid, round_id) DO UPDATE SET contest_id = excluded.contest_id,
                    computed_at = excluded.computed_at, n = excluded.n, answered = excluded.answered,
                    facility = excluded.facility, fully_correct = excluded.fully_correct,
                    discrimination = excluded.discrimination, upper_lower = excluded.upper_lower,
                    mean_time_ms = excluded.mean_time_ms, flags = excluded.flags",
            )
            .bind(r.question_uid)
            .bind(r.round_id)
            .bind(r.contest_id)
            .bind(r.computed_at)
            .bind(r.n)
            .bind(r.answered)
            .bind(r.facility)
            .bind(r.fully_correct)
            .bind(r.discrimination)
            .bind(r.upper_lower)
            .bind(r.mean_time_ms)
            .bind(&r.flags)
            .execute(exe)
            .await
            .map(|done| done.rows_affected())
            })?;
        }
        tx.commit().await
    }

    /// The latest statistics of each of these questions (the most recently computed round; ties by round id).
    pub async fn latest_item_stats(&self, uids: &[i64]) -> sqlx::Result<Vec<ItemStatRow>> {
        let in_ids = self.backend().json_integers(1);
        on_pool!(self.reader(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT question_uid, round_id, contest_id, computed_at, n, answered, facility, fully_correct,
                    discrimination, upper_lower, mean_time_ms, flags
             FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY question_uid
                                                 ORDER BY computed_at DESC, round_id DESC) AS latest
                   FROM item_stats s WHERE question_uid IN ({in_ids})) ranked
             WHERE latest = 1"
        )))
        .bind(json_ids(uids))
        .fetch_all(exe)
        .await)
    }

    /// The review marks of these questions (unknown uids are left out).
    pub async fn reviews(&self, uids: &[i64]) -> sqlx::Result<Vec<ReviewRow>> {
        let in_ids = self.backend().json_integers(1);
        on_pool!(self.reader(), |exe| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT uid AS question_uid, review, review_note, review_at FROM questions WHERE uid IN ({in_ids})"
        )))
        .bind(json_ids(uids))
        .fetch_all(exe)
        .await
        })
    }

    /// Mark (or unmark) a question for review with a note. `None` when there is no such question.
    pub async fn set_review(&self, uid: i64, review: bool, note: &str) -> sqlx::Result<Option<ReviewRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "UPDATE questions SET review = $1, review_note = $2, review_at = $3 WHERE uid = $4
             RETURNING uid AS question_uid, review, review_note, review_at",
        )
        .bind(review)
        .bind(note)
        .bind(now_ms())
        .bind(uid)
        .fetch_optional(exe)
        .await)
    }
}
