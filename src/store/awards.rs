//! Results settings (migration 0010): a contest's award tiers and whether participants may see their answer
//! sheet; and the reads of one participant's answer sheet that the other store files do not offer (their paper,
//! the questions they were given).

use super::db::on_pool;
use std::collections::HashMap;

use sqlx::FromRow;

use super::banks::QUESTION_COLUMNS;
use super::{PaperRow, QuestionRow, Store, now_ms};
use crate::bank::Question;

/// A contest's results settings as stored. A contest without a row has the default tiers and hidden answer
/// sheets ([`ResultSettingsRow::default_for`]).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ResultSettingsRow {
    pub contest_id: i64,
    /// JSON array of award tiers; `None` means the default tiers.
    pub award_tiers: Option<String>,
    pub answer_sheet_visible: bool,
    pub updated_at: i64,
    pub updated_by: String,
}

impl ResultSettingsRow {
    /// The settings of a contest nobody has set any for.
    pub fn default_for(contest_id: i64) -> Self {
        Self {
            contest_id,
            award_tiers: None,
            answer_sheet_visible: false,
            updated_at: 0,
            updated_by: String::new(),
        }
    }
}

impl Store {
    /// The contest's results settings (the defaults when none were saved).
    pub async fn result_settings(&self, contest_id: i64) -> sqlx::Result<ResultSettingsRow> {
        let row: Option<ResultSettingsRow> = on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "SELECT contest_id, award_tiers, answer_sheet_visible, updated_at, updated_by
             FROM result_settings WHERE contest_id = $1",
        )
        .bind(contest_id)
        .fetch_optional(exe)
        .await)?;
        Ok(row.unwrap_or_else(|| ResultSettingsRow::default_for(contest_id)))
    }

    /// Save the award tiers (JSON, already validated), keeping the answer sheet setting.
    pub async fn set_award_tiers(&self, contest_id: i64, tiers_json: &str, by: &str) -> sqlx::Result<()> {
        on_pool!(self.writer_pool(), |exe| {
            sqlx::query(
            "INSERT INTO result_settings (contest_id, award_tiers, answer_sheet_visible, updated_at, updated_by)
             VALUES ($1, $2, FALSE, $3, $4)
             ON CONFLICT (contest_id) DO UPDATE SET award_tiers = excluded.award_tiers,
                updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(contest_id)
        .bind(tiers_json)
        .bind(now_ms())
        .bind(by)
        .execute(exe)
        .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Allow or forbid participants to see their answer sheet, keeping the award tiers.
    pub async fn set_answer_sheet_visible(
        &self,
        contest_id: i64,
        visible: bool,
        by: &str,
    ) -> sqlx::Result<()> {
        on_pool!(self.writer_pool(), |exe| {
            sqlx::query(
            "INSERT INTO result_settings (contest_id, award_tiers, answer_sheet_visible, updated_at, updated_by)
             VALUES ($1, NULL, $2, $3, $4)
             ON CONFLICT (contest_id) DO UPDATE SET answer_sheet_visible = excluded.answer_sheet_visible,
                updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(contest_id)
        .bind(visible)
        .bind(now_ms())
        .bind(by)
        .execute(exe)
        .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// One participant's paper of an exam round, if they opened one.
    pub async fn paper_of(&self, round_id: i64, participant_id: i64) -> sqlx::Result<Option<PaperRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "SELECT round_id, participant_id, items, started_at, deadline_at, submitted_at, auto_submitted
             FROM papers WHERE round_id = $1 AND participant_id = $2",
        )
        .bind(round_id)
        .bind(participant_id)
        .fetch_optional(exe)
        .await)
    }

    /// The questions with these uids, by uid (unknown uids are left out).
    pub async fn questions_by_uid(&self, uids: &[i64]) -> anyhow::Result<HashMap<i64, Question>> {
        let ids = serde_json::to_string(uids)?;
        let in_ids = self.backend().json_integers(1);
        let rows: Vec<QuestionRow> = on_pool!(self.reader(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT {QUESTION_COLUMNS} FROM questions WHERE uid IN ({in_ids})")
        ))
        .bind(ids)
        .fetch_all(exe)
        .await)?;
        rows.into_iter().map(QuestionRow::into_question).collect()
    }
}
