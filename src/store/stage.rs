//! Stage formats: the teams, the score ledger and the buzzer log (migration 0007). Every change a stage round
//! makes is one transaction ([`Store::record_stage`]), committed before the engine announces it.

use super::db::{on_pool, on_tx};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::Store;

#[derive(Debug, Clone, FromRow)]
pub struct StageTeamRow {
    pub id: i64,
    pub unit: String,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct StageEntryRow {
    pub id: i64,
    pub team_id: i64,
    pub delta_centi: i64,
    pub reason: String,
    pub undoes: Option<i64>,
    pub note: String,
    pub round_id: Option<i64>,
    pub position: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, FromRow)]
pub struct BuzzerEventRow {
    pub round_id: i64,
    pub position: i64,
    pub n: i64,
    pub kind: String,
    pub team_id: Option<i64>,
    pub participant_id: Option<i64>,
    pub at_ms: i64,
    pub seq: Option<i64>,
    pub client_ms: Option<i64>,
    pub correct: Option<bool>,
    pub window_no: Option<i64>,
    pub response: Option<String>,
    pub created_by: Option<String>,
}

/// What one step of a stage round writes, all or nothing.
#[derive(Debug, Default)]
pub struct StageWrite {
    pub event: Option<BuzzerEventRow>,
    pub entries: Vec<StageEntryRow>,
    /// The question (round id, position) closes at this time.
    pub close: Option<(i64, i64, i64)>,
    /// The question (round id, position) opens at this time (a stage question; no deadline of its own).
    pub open: Option<(i64, i64, i64)>,
    /// Stage state documents of rounds (round id, JSON), each replacing the stored one.
    pub round_states: Vec<(i64, String)>,
}

const ENTRY_COLUMNS: &str =
    "id, team_id, delta_centi, reason, undoes, note, round_id, position, created_by, created_at";
const EVENT_COLUMNS: &str = "round_id, position, n, kind, team_id, participant_id, at_ms, seq, client_ms, \
                             correct, window_no, response, created_by";

impl Store {
    /// The contest's stage teams, by id (empty until the first stage round starts).
    pub async fn stage_teams(&self, contest_id: i64) -> sqlx::Result<Vec<StageTeamRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "SELECT id, unit FROM stage_teams WHERE contest_id = $1 ORDER BY id"
        )
        .bind(contest_id)
        .fetch_all(exe)
        .await)
    }

    /// Fix the teams: the given units, numbered 1, 2, ... in this order. Teams already fixed stay as they are;
    /// returns the stored teams either way.
    pub async fn fix_stage_teams(
        &self,
        contest_id: i64,
        units: &[String],
    ) -> sqlx::Result<Vec<StageTeamRow>> {
        let mut tx = self.begin_write().await?;
        let existing: i64 = on_tx!(&mut tx, |exe| sqlx::query_scalar(
            "SELECT COUNT(*) FROM stage_teams WHERE contest_id = $1"
        )
        .bind(contest_id)
        .fetch_one(exe)
        .await)?;
        if existing == 0 {
            for (i, unit) in units.iter().enumerate() {
                on_tx!(&mut tx, |exe| sqlx::query(
                    "INSERT INTO stage_teams (contest_id, id, unit) VALUES ($1, $2, $3)"
                )
                .bind(contest_id)
                .bind(i as i64 + 1)
                .bind(unit)
                .execute(exe)
                .await
                .map(|done| done.rows_affected()))?;
            }
        }
        tx.commit().await?;
        self.stage_teams(contest_id).await
    }

    /// The ledger, oldest entry first.
    pub async fn stage_entries(&self, contest_id: i64) -> sqlx::Result<Vec<StageEntryRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT {ENTRY_COLUMNS} FROM stage_entries WHERE contest_id = $1 ORDER BY id")
        ))
        .bind(contest_id)
        .fetch_all(exe)
        .await)
    }

    /// The stage state documents of the contest's rounds: (round id, JSON).
    pub async fn stage_round_states(&self, contest_id: i64) -> sqlx::Result<Vec<(i64, String)>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "SELECT s.round_id, s.data FROM stage_rounds s JOIN rounds r ON r.id = s.round_id
             WHERE r.contest_id = $1 ORDER BY r.position",
        )
        .bind(contest_id)
        .fetch_all(exe)
        .await)
    }

    /// The buzzer log of a round, by question and then in the order handled.
    pub async fn buzzer_events(&self, round_id: i64) -> sqlx::Result<Vec<BuzzerEventRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT {EVENT_COLUMNS} FROM buzzer_events WHERE round_id = $1 ORDER BY position, n")
        ))
        .bind(round_id)
        .fetch_all(exe)
        .await)
    }

    /// One step of a stage round in one transaction: the event, the ledger entries it made, and the question's
    /// close. Nothing is written when any part fails.
    pub async fn record_stage(&self, contest_id: i64, write: &StageWrite) -> sqlx::Result<()> {
        let mut tx = self.begin_write().await?;
        if let Some(e) = &write.event {
            on_tx!(&mut tx, |exe| {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO buzzer_events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            )))
            .bind(e.round_id)
            .bind(e.position)
            .bind(e.n)
            .bind(&e.kind)
            .bind(e.team_id)
            .bind(e.participant_id)
            .bind(e.at_ms)
            .bind(e.seq)
            .bind(e.client_ms)
            .bind(e.correct)
            .bind(e.window_no)
            .bind(&e.response)
            .bind(&e.created_by)
            .execute(exe)
            .await
            .map(|done| done.rows_affected())
            })?;
        }
        for entry in &write.entries {
            on_tx!(&mut tx, |exe| {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO stage_entries (contest_id, {ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            )))
            .bind(contest_id)
            .bind(entry.id)
            .bind(entry.team_id)
            .bind(entry.delta_centi)
            .bind(&entry.reason)
            .bind(entry.undoes)
            .bind(&entry.note)
            .bind(entry.round_id)
            .bind(entry.position)
            .bind(&entry.created_by)
            .bind(entry.created_at)
            .execute(exe)
            .await
            .map(|done| done.rows_affected())
            })?;
        }
        if let Some((round_id, position, opened_at)) = write.open {
            on_tx!(&mut tx, |exe| {
                sqlx::query(
                "UPDATE round_questions SET state = 'open', opened_at = $1, deadline_at = NULL, remaining_ms = NULL
                 WHERE round_id = $2 AND position = $3",
            )
            .bind(opened_at)
            .bind(round_id)
            .bind(position)
            .execute(exe)
            .await
            .map(|done| done.rows_affected())
            })?;
        }
        for (round_id, data) in &write.round_states {
            on_tx!(&mut tx, |exe| sqlx::query(
                "INSERT INTO stage_rounds (round_id, data, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT(round_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            )
            .bind(round_id)
            .bind(data)
            .bind(super::now_ms())
            .execute(exe)
            .await
            .map(|done| done.rows_affected()))?;
        }
        if let Some((round_id, position, closed_at)) = write.close {
            on_tx!(&mut tx, |exe| sqlx::query(
                "UPDATE round_questions SET state = 'closed', closed_at = $1, remaining_ms = NULL
                 WHERE round_id = $2 AND position = $3",
            )
            .bind(closed_at)
            .bind(round_id)
            .bind(position)
            .execute(exe)
            .await
            .map(|done| done.rows_affected()))?;
        }
        tx.commit().await
    }
}
