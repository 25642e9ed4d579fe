//! Contests, rounds, live round questions, participants and papers.

use super::{AdjustmentRow, ContestRow, PaperRow, ParticipantRow, RoundQuestionRow, RoundRow, Store, now_ms};

/// A new contest as the store needs it; validation happened before.
pub struct NewContest<'a> {
    pub title: &'a str,
    pub join_code: &'a str,
    pub seed: u64,
    pub bank_ids: &'a [String],
    pub join_mode: &'a str,
    pub unit_scoring: &'a str,
}

pub struct NewRound<'a> {
    pub title: &'a str,
    pub kind: &'a str,
    pub config_json: String,
}

/// One roster line, already validated.
#[derive(Debug, Clone)]
pub struct RosterEntry {
    pub name: String,
    pub badge: String,
    pub unit: String,
    /// The person's secret (normalized), when the roster has a secret column.
    pub secret: Option<String>,
    /// The spreadsheet row it came from (header = row 1), for error messages.
    pub row: usize,
}

const CONTEST_COLUMNS: &str = "id, title, join_code, seed, bank_ids, join_mode, unit_scoring, state, created_at, \
                               finished_at, secret_kind";
const ROUND_COLUMNS: &str =
    "id, contest_id, position, title, kind, config, state, started_at, ends_at, finished_at";
const PARTICIPANT_COLUMNS: &str = "id, contest_id, name, badge, unit, session_id, joined_at, tab_switches";

impl Store {
    pub async fn create_contest(&self, c: &NewContest<'_>, rounds: &[NewRound<'_>]) -> anyhow::Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contests (title, join_code, seed, bank_ids, join_mode, unit_scoring, state, created_at)
             VALUES (?, ?, ?, ?, ?, ?, 'draft', ?) RETURNING id",
        )
        .bind(c.title)
        .bind(c.join_code)
        .bind(c.seed as i64)
        .bind(serde_json::to_string(c.bank_ids)?)
        .bind(c.join_mode)
        .bind(c.unit_scoring)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        for (position, round) in rounds.iter().enumerate() {
            sqlx::query(
                "INSERT INTO rounds (contest_id, position, title, kind, config, state)
                 VALUES (?, ?, ?, ?, ?, 'pending')",
            )
            .bind(id)
            .bind(position as i64)
            .bind(round.title)
            .bind(round.kind)
            .bind(&round.config_json)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn add_round(&self, contest_id: i64, round: &NewRound<'_>) -> anyhow::Result<i64> {
        let mut tx = self.begin_write().await?;
        let position: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(position) + 1, 0) FROM rounds WHERE contest_id = ?")
                .bind(contest_id)
                .fetch_one(&mut *tx)
                .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO rounds (contest_id, position, title, kind, config, state)
             VALUES (?, ?, ?, ?, ?, 'pending') RETURNING id",
        )
        .bind(contest_id)
        .bind(position)
        .bind(round.title)
        .bind(round.kind)
        .bind(&round.config_json)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Remove a round that has not started, and close the gap in positions.
    pub async fn delete_pending_round(&self, contest_id: i64, round_id: i64) -> anyhow::Result<bool> {
        let mut tx = self.begin_write().await?;
        let position: Option<i64> = sqlx::query_scalar(
            "SELECT position FROM rounds WHERE id = ? AND contest_id = ? AND state = 'pending'",
        )
        .bind(round_id)
        .bind(contest_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(position) = position else {
            return Ok(false);
        };
        sqlx::query("DELETE FROM rounds WHERE id = ?")
            .bind(round_id)
            .execute(&mut *tx)
            .await?;
        // Two steps, so the unique (contest, position) never sees a duplicate mid-update.
        sqlx::query("UPDATE rounds SET position = -position - 1 WHERE contest_id = ? AND position > ?")
            .bind(contest_id)
            .bind(position)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE rounds SET position = -position - 2 WHERE contest_id = ? AND position < 0")
            .bind(contest_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn contests(&self) -> sqlx::Result<Vec<ContestRow>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTEST_COLUMNS} FROM contests ORDER BY id DESC"
        )))
        .fetch_all(self.reader())
        .await
    }

    pub async fn contest(&self, id: i64) -> sqlx::Result<Option<ContestRow>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTEST_COLUMNS} FROM contests WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(self.writer_pool())
        .await
    }

    pub async fn contest_by_code(&self, join_code: &str) -> sqlx::Result<Option<ContestRow>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTEST_COLUMNS} FROM contests WHERE join_code = ?"
        )))
        .bind(join_code)
        .fetch_optional(self.reader())
        .await
    }

    pub async fn running_contest_ids(&self) -> sqlx::Result<Vec<i64>> {
        sqlx::query_scalar("SELECT id FROM contests WHERE state = 'running' ORDER BY id")
            .fetch_all(self.reader())
            .await
    }

    /// The join address the organizer chose for a contest: `None` when there is no such contest, `Some(None)`
    /// when none was chosen.
    pub async fn join_base_url(&self, contest_id: i64) -> sqlx::Result<Option<Option<String>>> {
        sqlx::query_scalar("SELECT join_base_url FROM contests WHERE id = ?")
            .bind(contest_id)
            .fetch_optional(self.reader())
            .await
    }

    /// Set (or clear, with `None`) a contest's join address, already validated. False when there is no such
    /// contest.
    pub async fn set_join_base_url(&self, contest_id: i64, url: Option<&str>) -> sqlx::Result<bool> {
        let done = sqlx::query("UPDATE contests SET join_base_url = ? WHERE id = ?")
            .bind(url)
            .bind(contest_id)
            .execute(self.writer_pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn set_contest_state(
        &self,
        id: i64,
        state: &str,
        finished_at: Option<i64>,
    ) -> sqlx::Result<()> {
        sqlx::query("UPDATE contests SET state = ?, finished_at = ? WHERE id = ?")
            .bind(state)
            .bind(finished_at)
            .bind(id)
            .execute(self.writer_pool())
            .await?;
        Ok(())
    }

    /// Reads that feed the contest engine go to the writer connection, so the engine always sees its own
    /// latest writes (the read pool may lag one WAL checkpoint behind a just-committed transaction).
    pub async fn rounds(&self, contest_id: i64) -> sqlx::Result<Vec<RoundRow>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ROUND_COLUMNS} FROM rounds WHERE contest_id = ? ORDER BY position"
        )))
        .bind(contest_id)
        .fetch_all(self.writer_pool())
        .await
    }

    pub async fn set_round_state(
        &self,
        round_id: i64,
        state: &str,
        started_at: Option<i64>,
        ends_at: Option<i64>,
        finished_at: Option<i64>,
    ) -> sqlx::Result<()> {
        sqlx::query("UPDATE rounds SET state = ?, started_at = ?, ends_at = ?, finished_at = ? WHERE id = ?")
            .bind(state)
            .bind(started_at)
            .bind(ends_at)
            .bind(finished_at)
            .bind(round_id)
            .execute(self.writer_pool())
            .await?;
        Ok(())
    }

    /// Start a live round: its state and its drawn questions, in one transaction.
    pub async fn start_live_round(
        &self,
        round_id: i64,
        started_at: i64,
        questions: &[(i64, Vec<usize>)],
    ) -> anyhow::Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE rounds SET state = 'running', started_at = ? WHERE id = ?")
            .bind(started_at)
            .bind(round_id)
            .execute(&mut *tx)
            .await?;
        for (position, (uid, order)) in questions.iter().enumerate() {
            sqlx::query(
                "INSERT INTO round_questions (round_id, position, question_uid, option_order, state)
                 VALUES (?, ?, ?, ?, 'pending')",
            )
            .bind(round_id)
            .bind(position as i64)
            .bind(uid)
            .bind(serde_json::to_string(order)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn round_questions(&self, round_id: i64) -> sqlx::Result<Vec<RoundQuestionRow>> {
        sqlx::query_as(
            "SELECT round_id, position, question_uid, option_order, state, opened_at, deadline_at,
                    remaining_ms, closed_at
             FROM round_questions WHERE round_id = ? ORDER BY position",
        )
        .bind(round_id)
        .fetch_all(self.writer_pool())
        .await
    }

    pub async fn update_round_question(&self, row: &RoundQuestionRow) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE round_questions SET state = ?, opened_at = ?, deadline_at = ?, remaining_ms = ?,
                closed_at = ? WHERE round_id = ? AND position = ?",
        )
        .bind(&row.state)
        .bind(row.opened_at)
        .bind(row.deadline_at)
        .bind(row.remaining_ms)
        .bind(row.closed_at)
        .bind(row.round_id)
        .bind(row.position)
        .execute(self.writer_pool())
        .await?;
        Ok(())
    }

    /// Replace nobody: a roster import adds entries; a badge that already exists is an error for the caller
    /// to report. All rows or none. `secret_kind` becomes the contest's (the caller checked that it matches
    /// the roster already there).
    pub async fn import_roster(
        &self,
        contest_id: i64,
        secret_kind: Option<&str>,
        entries: &[RosterEntry],
    ) -> anyhow::Result<usize> {
        let mut tx = self.begin_write().await?;
        for e in entries {
            sqlx::query(
                "INSERT INTO participants (contest_id, name, badge, unit, secret) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(contest_id)
            .bind(&e.name)
            .bind(&e.badge)
            .bind(&e.unit)
            .bind(&e.secret)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE contests SET secret_kind = ? WHERE id = ?")
            .bind(secret_kind)
            .bind(contest_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(entries.len())
    }

    pub async fn participants(&self, contest_id: i64) -> sqlx::Result<Vec<ParticipantRow>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE contest_id = ? ORDER BY id"
        )))
        .bind(contest_id)
        .fetch_all(self.writer_pool())
        .await
    }

    pub async fn participant(&self, id: i64) -> sqlx::Result<Option<ParticipantRow>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(self.writer_pool())
        .await
    }

    pub async fn participant_by_badge(
        &self,
        contest_id: i64,
        badge: &str,
    ) -> sqlx::Result<Option<ParticipantRow>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE contest_id = ? AND badge = ?"
        )))
        .bind(contest_id)
        .bind(badge)
        .fetch_optional(self.reader())
        .await
    }

    /// Open-join mode: a new participant by name and unit.
    pub async fn add_open_participant(&self, contest_id: i64, name: &str, unit: &str) -> sqlx::Result<i64> {
        sqlx::query_scalar("INSERT INTO participants (contest_id, name, unit) VALUES (?, ?, ?) RETURNING id")
            .bind(contest_id)
            .bind(name)
            .bind(unit)
            .fetch_one(self.writer_pool())
            .await
    }

    /// Record a login: the new session replaces any previous one.
    /// A join's writes inside a batch transaction: bind the seat to `bind_device` when asked (it must be free or
    /// already that device's), then make `session_id` the participant's session. Returns true, writing nothing,
    /// when another device holds the seat.
    pub(super) async fn put_session(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        write: &super::writer::SessionWrite,
    ) -> sqlx::Result<bool> {
        if let Some(device) = &write.bind_device {
            let bound = sqlx::query(
                "UPDATE participants SET device = ?, pending_device = NULL, pending_since = NULL
                 WHERE id = ? AND (device IS NULL OR device = ?)",
            )
            .bind(device)
            .bind(write.participant_id)
            .bind(device)
            .execute(&mut **tx)
            .await?;
            if bound.rows_affected() != 1 {
                return Ok(true);
            }
        }
        sqlx::query(
            "UPDATE participants SET session_id = ?, joined_at = COALESCE(joined_at, ?) WHERE id = ?",
        )
        .bind(&write.session_id)
        .bind(write.at)
        .bind(write.participant_id)
        .execute(&mut **tx)
        .await?;
        Ok(false)
    }

    pub async fn add_tab_switch(&self, participant_id: i64) -> sqlx::Result<()> {
        sqlx::query("UPDATE participants SET tab_switches = tab_switches + 1 WHERE id = ?")
            .bind(participant_id)
            .execute(self.writer_pool())
            .await?;
        Ok(())
    }

    /// A paper write inside a batch transaction (see [`super::writer::PaperWrite`]).
    pub(super) async fn put_paper(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        write: &super::writer::PaperWrite,
    ) -> sqlx::Result<()> {
        use super::writer::PaperWrite;
        match write {
            PaperWrite::Start(row) => {
                sqlx::query(
                    "INSERT INTO papers (round_id, participant_id, items, started_at, deadline_at)
                     VALUES (?, ?, ?, ?, ?) ON CONFLICT (round_id, participant_id) DO NOTHING",
                )
                .bind(row.round_id)
                .bind(row.participant_id)
                .bind(&row.items)
                .bind(row.started_at)
                .bind(row.deadline_at)
                .execute(&mut **tx)
                .await?;
            }
            PaperWrite::Submit {
                round_id,
                participant_id,
                submitted_at,
                auto,
            } => {
                sqlx::query(
                    "UPDATE papers SET submitted_at = ?, auto_submitted = ?
                     WHERE round_id = ? AND participant_id = ? AND submitted_at IS NULL",
                )
                .bind(submitted_at)
                .bind(auto)
                .bind(round_id)
                .bind(participant_id)
                .execute(&mut **tx)
                .await?;
            }
        }
        Ok(())
    }

    pub async fn papers(&self, round_id: i64) -> sqlx::Result<Vec<PaperRow>> {
        sqlx::query_as(
            "SELECT round_id, participant_id, items, started_at, deadline_at, submitted_at, auto_submitted
             FROM papers WHERE round_id = ? ORDER BY participant_id",
        )
        .bind(round_id)
        .fetch_all(self.writer_pool())
        .await
    }

    pub async fn add_adjustment(
        &self,
        contest_id: i64,
        participant_id: i64,
        delta_centi: i64,
        reason: &str,
        created_by: &str,
    ) -> sqlx::Result<AdjustmentRow> {
        sqlx::query_as(
            "INSERT INTO score_adjustments (contest_id, participant_id, delta_centi, reason, created_by, created_at)
             VALUES (?, ?, ?, ?, ?, ?)
             RETURNING id, contest_id, participant_id, delta_centi, reason, created_by, created_at",
        )
        .bind(contest_id)
        .bind(participant_id)
        .bind(delta_centi)
        .bind(reason)
        .bind(created_by)
        .bind(now_ms())
        .fetch_one(self.writer_pool())
        .await
    }

    pub async fn adjustments(&self, contest_id: i64) -> sqlx::Result<Vec<AdjustmentRow>> {
        sqlx::query_as(
            "SELECT id, contest_id, participant_id, delta_centi, reason, created_by, created_at
             FROM score_adjustments WHERE contest_id = ? ORDER BY id",
        )
        .bind(contest_id)
        .fetch_all(self.writer_pool())
        .await
    }

    /// The seat of a roster participant: which device holds it and which one asks to take it over.
    pub async fn seat(&self, participant_id: i64) -> sqlx::Result<Option<SeatRow>> {
        sqlx::query_as(
            "SELECT id, contest_id, name, badge, unit, device, pending_device, pending_since, refused_device
             FROM participants WHERE id = ?",
        )
        .bind(participant_id)
        .fetch_optional(self.writer_pool())
        .await
    }

    /// Record that another device asks for this seat (the latest request wins).
    pub async fn request_seat(&self, participant_id: i64, device: &str, at: i64) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE participants SET pending_device = ?,
                    pending_since = CASE WHEN pending_device = ? THEN pending_since ELSE ? END
             WHERE id = ?",
        )
        .bind(device)
        .bind(device)
        .bind(at)
        .bind(participant_id)
        .execute(self.writer_pool())
        .await?;
        Ok(())
    }

    /// The organizer's decision on a pending device change. Returns false when nothing was pending.
    pub async fn decide_seat(&self, participant_id: i64, approve: bool) -> sqlx::Result<bool> {
        let sql = if approve {
            "UPDATE participants SET device = pending_device, pending_device = NULL, pending_since = NULL
             WHERE id = ? AND pending_device IS NOT NULL"
        } else {
            "UPDATE participants SET refused_device = pending_device, pending_device = NULL, pending_since = NULL
             WHERE id = ? AND pending_device IS NOT NULL"
        };
        let done = sqlx::query(sql)
            .bind(participant_id)
            .execute(self.writer_pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forget the refusal of `device` (it was told to the phone). Returns false when it was not refused.
    pub async fn forget_refusal(&self, participant_id: i64, device: &str) -> sqlx::Result<bool> {
        let done =
            sqlx::query("UPDATE participants SET refused_device = NULL WHERE id = ? AND refused_device = ?")
                .bind(participant_id)
                .bind(device)
                .execute(self.writer_pool())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Free a seat: the next device that joins binds it.
    pub async fn release_seat(&self, participant_id: i64) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE participants SET device = NULL, pending_device = NULL, pending_since = NULL, refused_device = NULL
             WHERE id = ?",
        )
        .bind(participant_id)
        .execute(self.writer_pool())
        .await?;
        Ok(())
    }

    /// Pending device changes of a contest, oldest first.
    pub async fn seat_requests(&self, contest_id: i64) -> sqlx::Result<Vec<SeatRow>> {
        sqlx::query_as(
            "SELECT id, contest_id, name, badge, unit, device, pending_device, pending_since, refused_device
             FROM participants WHERE contest_id = ? AND pending_device IS NOT NULL ORDER BY pending_since, id",
        )
        .bind(contest_id)
        .fetch_all(self.writer_pool())
        .await
    }
}

/// A participant's seat binding (device secrets are never sent to the organizer).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeatRow {
    pub id: i64,
    pub contest_id: i64,
    pub name: String,
    pub badge: Option<String>,
    pub unit: String,
    pub device: Option<String>,
    pub pending_device: Option<String>,
    pub pending_since: Option<i64>,
    pub refused_device: Option<String>,
}
