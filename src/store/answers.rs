//! Answers and rejections. Writes go through [`super::writer::AnswerWriter`] in batches.

use sqlx::{Sqlite, Transaction};

use super::{AnswerRow, Store};

/// A refused answer, kept for the record.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub contest_id: i64,
    pub participant_id: i64,
    pub round_id: Option<i64>,
    pub question_ref: Option<String>,
    pub reason: String,
    pub received_at: i64,
}

impl Store {
    /// Insert or replace one answer inside a batch transaction. Replacing is how an exam participant changes
    /// an answer; the primary key (participant, round, question) makes double counting impossible.
    pub(super) async fn put_answer(tx: &mut Transaction<'static, Sqlite>, a: &AnswerRow) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO answers (participant_id, round_id, question_uid, contest_id, response, received_at, elapsed_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(participant_id, round_id, question_uid) DO UPDATE SET
                response = excluded.response, received_at = excluded.received_at,
                elapsed_ms = excluded.elapsed_ms",
        )
        .bind(a.participant_id)
        .bind(a.round_id)
        .bind(a.question_uid)
        .bind(a.contest_id)
        .bind(&a.response)
        .bind(a.received_at)
        .bind(a.elapsed_ms)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub(super) async fn put_rejection(
        tx: &mut Transaction<'static, Sqlite>,
        r: &Rejection,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO rejections (contest_id, participant_id, round_id, question_ref, reason, received_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(r.contest_id)
        .bind(r.participant_id)
        .bind(r.round_id)
        .bind(&r.question_ref)
        .bind(&r.reason)
        .bind(r.received_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn answers_of_contest(&self, contest_id: i64) -> sqlx::Result<Vec<AnswerRow>> {
        sqlx::query_as(
            "SELECT participant_id, round_id, question_uid, contest_id, response, received_at, elapsed_ms
             FROM answers WHERE contest_id = ? ORDER BY received_at",
        )
        .bind(contest_id)
        .fetch_all(self.writer_pool())
        .await
    }
}
