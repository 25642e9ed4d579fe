//! Contests, rounds, live round questions, participants and papers.

use super::Tx;
use super::db::{on_pool, on_tx};
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
        let id: i64 = on_tx!(&mut tx, |exe| {
            sqlx::query_scalar(
            "INSERT INTO contests (title, join_code, seed, bank_ids, join_mode, unit_scoring, state, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7) RETURNING id",
        )
        .bind(c.title)
        .bind(c.join_code)
        .bind(c.seed as i64)
        .bind(serde_json::to_string(c.bank_ids)?)
        .bind(c.join_mode)
        .bind(c.unit_scoring)
        .bind(now_ms())
        .fetch_one(exe)
        .await
        })?;
        for (position, round) in rounds.iter().enumerate() {
            on_tx!(&mut tx, |exe| sqlx::query(
                "INSERT INTO rounds (contest_id, position, title, kind, config, state)
                 VALUES ($1, $2, $3, $4, $5, 'pending')",
            )
            .bind(id)
            .bind(position as i64)
            .bind(round.title)
            .bind(round.kind)
            .bind(&round.config_json)
            .execute(exe)
            .await
            .map(|done| done.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn add_round(&self, contest_id: i64, round: &NewRound<'_>) -> anyhow::Result<i64> {
        let mut tx = self.begin_write().await?;
        let position: i64 = on_tx!(&mut tx, |exe| sqlx::query_scalar(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM rounds WHERE contest_id = $1"
        )
        .bind(contest_id)
        .fetch_one(exe)
        .await)?;
        let id: i64 = on_tx!(&mut tx, |exe| sqlx::query_scalar(
            "INSERT INTO rounds (contest_id, position, title, kind, config, state)
             VALUES ($1, $2, $3, $4, $5, 'pending') RETURNING id",
        )
        .bind(contest_id)
        .bind(position)
        .bind(round.title)
        .bind(round.kind)
        .bind(&round.config_json)
        .fetch_one(exe)
        .await)?;
        tx.commit().await?;
        Ok(id)
    }

    /// Remove a round that has not started, and close the gap in positions.
    pub async fn delete_pending_round(&self, contest_id: i64, round_id: i64) -> anyhow::Result<bool> {
        let mut tx = self.begin_write().await?;
        let position: Option<i64> = on_tx!(&mut tx, |exe| sqlx::query_scalar(
            "SELECT position FROM rounds WHERE id = $1 AND contest_id = $2 AND state = 'pending'",
        )
        .bind(round_id)
        .bind(contest_id)
        .fetch_optional(exe)
        .await)?;
        let Some(position) = position else {
            return Ok(false);
        };
        on_tx!(&mut tx, |exe| sqlx::query("DELETE FROM rounds WHERE id = $1")
            .bind(round_id)
            .execute(exe)
            .await
            .map(|done| done.rows_affected()))?;
        // Two steps, so the unique (contest, position) never sees a duplicate mid-update.
        on_tx!(&mut tx, |exe| sqlx::query(
            "UPDATE rounds SET position = -position - 1 WHERE contest_id = $1 AND position > $2"
        )
        .bind(contest_id)
        .bind(position)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        on_tx!(&mut tx, |exe| sqlx::query(
            "UPDATE rounds SET position = -position - 2 WHERE contest_id = $1 AND position < 0"
        )
        .bind(contest_id)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn contests(&self) -> sqlx::Result<Vec<ContestRow>> {
        on_pool!(self.reader(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTEST_COLUMNS} FROM contests ORDER BY id DESC"
        )))
        .fetch_all(exe)
        .await)
    }

    pub async fn contest(&self, id: i64) -> sqlx::Result<Option<ContestRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT {CONTEST_COLUMNS} FROM contests WHERE id = $1")
        ))
        .bind(id)
        .fetch_optional(exe)
        .await)
    }

    pub async fn contest_by_code(&self, join_code: &str) -> sqlx::Result<Option<ContestRow>> {
        on_pool!(self.reader(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTEST_COLUMNS} FROM contests WHERE join_code = $1"
        )))
        .bind(join_code)
        .fetch_optional(exe)
        .await)
    }

    pub async fn running_contest_ids(&self) -> sqlx::Result<Vec<i64>> {
        on_pool!(self.reader(), |exe| sqlx::query_scalar(
            "SELECT id FROM contests WHERE state = 'running' ORDER BY id"
        )
        .fetch_all(exe)
        .await)
    }

    /// The join address the organizer chose for a contest: `None` when there is no such contest, `Some(None)`
    /// when none was chosen.
    pub async fn join_base_url(&self, contest_id: i64) -> sqlx::Result<Option<Option<String>>> {
        on_pool!(self.reader(), |exe| sqlx::query_scalar(
            "SELECT join_base_url FROM contests WHERE id = $1"
        )
        .bind(contest_id)
        .fetch_optional(exe)
        .await)
    }

    /// Set (or clear, with `None`) a contest's join address, already validated. False when there is no such
    /// contest.
    pub async fn set_join_base_url(&self, contest_id: i64, url: Option<&str>) -> sqlx::Result<bool> {
        let done = on_pool!(self.writer_pool(), |exe| sqlx::query(
            "UPDATE contests SET join_base_url = $1 WHERE id = $2"
        )
        .bind(url)
        .bind(contest_id)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done > 0)
    }

    pub async fn set_contest_state(
        &self,
        id: i64,
        state: &str,
        finished_at: Option<i64>,
    ) -> sqlx::Result<()> {
        on_pool!(self.writer_pool(), |exe| sqlx::query(
            "UPDATE contests SET state = $1, finished_at = $2 WHERE id = $3"
        )
        .bind(state)
        .bind(finished_at)
        .bind(id)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Reads that feed the contest engine go to the writer connection, so the engine always sees its own
    /// latest writes (the read pool may lag one WAL checkpoint behind a just-committed transaction).
    pub async fn rounds(&self, contest_id: i64) -> sqlx::Result<Vec<RoundRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT {ROUND_COLUMNS} FROM rounds WHERE contest_id = $1 ORDER BY position")
        ))
        .bind(contest_id)
        .fetch_all(exe)
        .await)
    }

    pub async fn set_round_state(
        &self,
        round_id: i64,
        state: &str,
        started_at: Option<i64>,
        ends_at: Option<i64>,
        finished_at: Option<i64>,
    ) -> sqlx::Result<()> {
        on_pool!(self.writer_pool(), |exe| sqlx::query(
            "UPDATE rounds SET state = $1, started_at = $2, ends_at = $3, finished_at = $4 WHERE id = $5"
        )
        .bind(state)
        .bind(started_at)
        .bind(ends_at)
        .bind(finished_at)
        .bind(round_id)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
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
        on_tx!(&mut tx, |exe| sqlx::query(
            "UPDATE rounds SET state = 'running', started_at = $1 WHERE id = $2"
        )
        .bind(started_at)
        .bind(round_id)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        for (position, (uid, order)) in questions.iter().enumerate() {
            on_tx!(&mut tx, |exe| sqlx::query(
                "INSERT INTO round_questions (round_id, position, question_uid, option_order, state)
                 VALUES ($1, $2, $3, $4, 'pending')",
            )
            .bind(round_id)
            .bind(position as i64)
            .bind(uid)
            .bind(serde_json::to_string(order)?)
            .execute(exe)
            .await
            .map(|done| done.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn round_questions(&self, round_id: i64) -> sqlx::Result<Vec<RoundQuestionRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "SELECT round_id, position, question_uid, option_order, state, opened_at, deadline_at,
                    remaining_ms, closed_at
             FROM round_questions WHERE round_id = $1 ORDER BY position",
        )
        .bind(round_id)
        .fetch_all(exe)
        .await)
    }

    pub async fn update_round_question(&self, row: &RoundQuestionRow) -> sqlx::Result<()> {
        on_pool!(self.writer_pool(), |exe| sqlx::query(
            "UPDATE round_questions SET state = $1, opened_at = $2, deadline_at = $3, remaining_ms = $4,
                closed_at = $5 WHERE round_id = $6 AND position = $7",
        )
        .bind(&row.state)
        .bind(row.opened_at)
        .bind(row.deadline_at)
        .bind(row.remaining_ms)
        .bind(row.closed_at)
        .bind(row.round_id)
        .bind(row.position)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
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
        match &mut tx {
            // In-process: one statement per row costs no round trip.
            Tx::Sqlite(tx) => {
                for e in entries {
                    sqlx::query(
                        "INSERT INTO participants (contest_id, name, badge, unit, secret) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(contest_id)
                    .bind(&e.name)
                    .bind(&e.badge)
                    .bind(&e.unit)
                    .bind(&e.secret)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            // Over the network: the rows as arrays, a few statements for a city-wide roster (100,000 rows).
            Tx::Postgres(tx) => {
                for chunk in entries.chunks(10_000) {
                    sqlx::query(
                        "INSERT INTO participants (contest_id, name, badge, unit, secret)
                         SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[])",
                    )
                    .bind(contest_id)
                    .bind(chunk.iter().map(|e| e.name.as_str()).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|e| e.badge.as_str()).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|e| e.unit.as_str()).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|e| e.secret.as_deref()).collect::<Vec<_>>())
                    .execute(&mut **tx)
                    .await?;
                }
            }
        }
        on_tx!(&mut tx, |exe| sqlx::query(
            "UPDATE contests SET secret_kind = $1 WHERE id = $2"
        )
        .bind(secret_kind)
        .bind(contest_id)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        tx.commit().await?;
        Ok(entries.len())
    }

    pub async fn participants(&self, contest_id: i64) -> sqlx::Result<Vec<ParticipantRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE contest_id = $1 ORDER BY id")
        ))
        .bind(contest_id)
        .fetch_all(exe)
        .await)
    }

    pub async fn participant(&self, id: i64) -> sqlx::Result<Option<ParticipantRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE id = $1")
        ))
        .bind(id)
        .fetch_optional(exe)
        .await)
    }

    pub async fn participant_by_badge(
        &self,
        contest_id: i64,
        badge: &str,
    ) -> sqlx::Result<Option<ParticipantRow>> {
        on_pool!(self.reader(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE contest_id = $1 AND badge = $2"
        )))
        .bind(contest_id)
        .bind(badge)
        .fetch_optional(exe)
        .await)
    }

    /// Open-join mode: a new participant by name and unit.
    pub async fn add_open_participant(&self, contest_id: i64, name: &str, unit: &str) -> sqlx::Result<i64> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_scalar(
            "INSERT INTO participants (contest_id, name, unit) VALUES ($1, $2, $3) RETURNING id"
        )
        .bind(contest_id)
        .bind(name)
        .bind(unit)
        .fetch_one(exe)
        .await)
    }

    /// Record a login: the new session replaces any previous one.
    /// A join's writes inside a batch transaction: bind the seat to `bind_device` when asked (it must be free or
    /// already that device's), then make `session_id` the participant's session. Returns true, writing nothing,
    /// when another device holds the seat.
    pub(super) async fn put_session(tx: &mut Tx, write: &super::writer::SessionWrite) -> sqlx::Result<bool> {
        if let Some(device) = &write.bind_device {
            let bound = on_tx!(tx, |exe| sqlx::query(
                "UPDATE participants SET device = $1, pending_device = NULL, pending_since = NULL
                 WHERE id = $2 AND (device IS NULL OR device = $3)",
            )
            .bind(device)
            .bind(write.participant_id)
            .bind(device)
            .execute(exe)
            .await
            .map(|done| done.rows_affected()))?;
            if bound != 1 {
                return Ok(true);
            }
        }
        on_tx!(tx, |exe| sqlx::query(
            "UPDATE participants SET session_id = $1, joined_at = COALESCE(joined_at, $2) WHERE id = $3",
        )
        .bind(&write.session_id)
        .bind(write.at)
        .bind(write.participant_id)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(false)
    }

    pub async fn add_tab_switch(&self, participant_id: i64) -> sqlx::Result<()> {
        on_pool!(self.writer_pool(), |exe| sqlx::query(
            "UPDATE participants SET tab_switches = tab_switches + 1 WHERE id = $1"
        )
        .bind(participant_id)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// A paper write inside a batch transaction (see [`super::writer::PaperWrite`]).
    /// A batch's paper writes, in order. On PostgreSQL the papers handed out go in one statement (a burst of
    /// exam starts is thousands of papers in a few batches; one round trip each would dominate), then the
    /// hand-ins in order; a hand-in in the same batch as its paper still finds it.
    pub(super) async fn put_papers(tx: &mut Tx, writes: &[&super::writer::PaperWrite]) -> sqlx::Result<()> {
        use super::writer::PaperWrite;
        if let Tx::Postgres(pg) = tx {
            let starts: Vec<&super::PaperRow> = writes
                .iter()
                .filter_map(|w| match w {
                    PaperWrite::Start(row) => Some(row),
                    PaperWrite::Submit { .. } => None,
                })
                .collect();
            if !starts.is_empty() {
                sqlx::query(
                    "INSERT INTO papers (round_id, participant_id, items, started_at, deadline_at)
                     SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[])
                     ON CONFLICT (round_id, participant_id) DO NOTHING",
                )
                .bind(starts.iter().map(|r| r.round_id).collect::<Vec<_>>())
                .bind(starts.iter().map(|r| r.participant_id).collect::<Vec<_>>())
                .bind(starts.iter().map(|r| r.items.as_str()).collect::<Vec<_>>())
                .bind(starts.iter().map(|r| r.started_at).collect::<Vec<_>>())
                .bind(starts.iter().map(|r| r.deadline_at).collect::<Vec<_>>())
                .execute(&mut **pg)
                .await?;
            }
            for write in writes.iter().filter(|w| matches!(w, PaperWrite::Submit { .. })) {
                Self::put_paper(tx, write).await?;
            }
            return Ok(());
        }
        for write in writes {
            Self::put_paper(tx, write).await?;
        }
        Ok(())
    }

    async fn put_paper(tx: &mut Tx, write: &super::writer::PaperWrite) -> sqlx::Result<()> {
        use super::writer::PaperWrite;
        match write {
            PaperWrite::Start(row) => {
                on_tx!(tx, |exe| sqlx::query(
                    "INSERT INTO papers (round_id, participant_id, items, started_at, deadline_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (round_id, participant_id) DO NOTHING",
                )
                .bind(row.round_id)
                .bind(row.participant_id)
                .bind(&row.items)
                .bind(row.started_at)
                .bind(row.deadline_at)
                .execute(exe)
                .await
                .map(|done| done.rows_affected()))?;
            }
            PaperWrite::Submit {
                round_id,
                participant_id,
                submitted_at,
                auto,
            } => {
                on_tx!(tx, |exe| sqlx::query(
                    "UPDATE papers SET submitted_at = $1, auto_submitted = $2
                     WHERE round_id = $3 AND participant_id = $4 AND submitted_at IS NULL",
                )
                .bind(submitted_at)
                .bind(auto)
                .bind(round_id)
                .bind(participant_id)
                .execute(exe)
                .await
                .map(|done| done.rows_affected()))?;
            }
        }
        Ok(())
    }

    pub async fn papers(&self, round_id: i64) -> sqlx::Result<Vec<PaperRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "SELECT round_id, participant_id, items, started_at, deadline_at, submitted_at, auto_submitted
             FROM papers WHERE round_id = $1 ORDER BY participant_id",
        )
        .bind(round_id)
        .fetch_all(exe)
        .await)
    }

    pub async fn add_adjustment(
        &self,
        contest_id: i64,
        participant_id: i64,
        delta_centi: i64,
        reason: &str,
        created_by: &str,
    ) -> sqlx::Result<AdjustmentRow> {
        on_pool!(self.writer_pool(), |exe| {
            sqlx::query_as(
            "INSERT INTO score_adjustments (contest_id, participant_id, delta_centi, reason, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, contest_id, participant_id, delta_centi, reason, created_by, created_at",
        )
        .bind(contest_id)
        .bind(participant_id)
        .bind(delta_centi)
        .bind(reason)
        .bind(created_by)
        .bind(now_ms())
        .fetch_one(exe)
        .await
        })
    }

    pub async fn adjustments(&self, contest_id: i64) -> sqlx::Result<Vec<AdjustmentRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "SELECT id, contest_id, participant_id, delta_centi, reason, created_by, created_at
             FROM score_adjustments WHERE contest_id = $1 ORDER BY id",
        )
        .bind(contest_id)
        .fetch_all(exe)
        .await)
    }

    /// The seat of a roster participant: which device holds it and which one asks to take it over.
    pub async fn seat(&self, participant_id: i64) -> sqlx::Result<Option<SeatRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "SELECT id, contest_id, name, badge, unit, device, pending_device, pending_since, refused_device
             FROM participants WHERE id = $1",
        )
        .bind(participant_id)
        .fetch_optional(exe)
        .await)
    }

    /// Record that another device asks for this seat (the latest request wins).
    pub async fn request_seat(&self, participant_id: i64, device: &str, at: i64) -> sqlx::Result<()> {
        on_pool!(self.writer_pool(), |exe| sqlx::query(
            "UPDATE participants SET pending_device = $1,
                    pending_since = CASE WHEN pending_device = $2 THEN pending_since ELSE $3 END
             WHERE id = $4",
        )
        .bind(device)
        .bind(device)
        .bind(at)
        .bind(participant_id)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The organizer's decision on a pending device change. Returns false when nothing was pending.
    pub async fn decide_seat(&self, participant_id: i64, approve: bool) -> sqlx::Result<bool> {
        let sql = if approve {
            "UPDATE participants SET device = pending_device, pending_device = NULL, pending_since = NULL
             WHERE id = $1 AND pending_device IS NOT NULL"
        } else {
            "UPDATE participants SET refused_device = pending_device, pending_device = NULL, pending_since = NULL
             WHERE id = $1 AND pending_device IS NOT NULL"
        };
        let done = on_pool!(self.writer_pool(), |exe| sqlx::query(sql)
            .bind(participant_id)
            .execute(exe)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Forget the refusal of `device` (it was told to the phone). Returns false when it was not refused.
    pub async fn forget_refusal(&self, participant_id: i64, device: &str) -> sqlx::Result<bool> {
        let done = on_pool!(self.writer_pool(), |exe| sqlx::query(
            "UPDATE participants SET refused_device = NULL WHERE id = $1 AND refused_device = $2"
        )
        .bind(participant_id)
        .bind(device)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Free a seat: the next device that joins binds it.
    pub async fn release_seat(&self, participant_id: i64) -> sqlx::Result<()> {
        on_pool!(self.writer_pool(), |exe| {
            sqlx::query(
            "UPDATE participants SET device = NULL, pending_device = NULL, pending_since = NULL, refused_device = NULL
             WHERE id = $1",
        )
        .bind(participant_id)
        .execute(exe)
        .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Pending device changes of a contest, oldest first.
    pub async fn seat_requests(&self, contest_id: i64) -> sqlx::Result<Vec<SeatRow>> {
        on_pool!(self.writer_pool(), |exe| {
            sqlx::query_as(
            "SELECT id, contest_id, name, badge, unit, device, pending_device, pending_since, refused_device
             FROM participants WHERE contest_id = $1 AND pending_device IS NOT NULL ORDER BY pending_since, id",
        )
        .bind(contest_id)
        .fetch_all(exe)
        .await
        })
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
