//! Reading one contest out of a database: read-only (the server may be running: SQLite's WAL lets a reader
//! work beside the writer) and inside one read transaction, so every table is seen at the same moment.

use crate::store::QUESTION_COLUMNS;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

use crate::bank::Question;
use crate::contest::{RoundConfig, RoundKind, RoundState};
use crate::store::{
    AdjustmentRow, AnswerRow, AuditRow, BuzzerEventRow, ContestRow, ItemStatRow, PaperRow, ParticipantRow,
    QuestionRow, RejectionRow, RoundQuestionRow, RoundRow, StageEntryRow, StageTeamRow,
};

use super::VerifyError;

/// The oldest schema this verifier reads: the audit log came with migration 9.
const MIN_SCHEMA: i64 = 12;

/// One round with everything stored about it.
pub struct Round {
    pub row: RoundRow,
    /// `None`: a kind this build does not know (its draw and scores are not checked).
    pub kind: Option<RoundKind>,
    pub state: Option<RoundState>,
    /// `Err`: the stored configuration does not parse (a difference of its own).
    pub config: Result<RoundConfig, String>,
    /// Live and stage rounds: the shared draw, by position.
    pub questions: Vec<RoundQuestionRow>,
    /// Exam rounds: the papers, by participant.
    pub papers: BTreeMap<i64, PaperRow>,
    /// Stage rounds: the log, by question position then event number.
    pub events: Vec<BuzzerEventRow>,
    /// Stage rounds: the round's state document (`stage_rounds`), when it has one.
    pub stage: Option<crate::contest::RoundStage>,
}

impl Round {
    /// 1-based place in the contest.
    pub fn number(&self) -> i64 {
        self.row.position + 1
    }

    pub fn started(&self) -> bool {
        self.row.started_at.is_some()
    }
}

/// Everything stored about one contest.
pub struct Data {
    pub contest: ContestRow,
    /// In position order.
    pub rounds: Vec<Round>,
    pub participants: BTreeMap<i64, ParticipantRow>,
    pub answers: Vec<AnswerRow>,
    pub adjustments: Vec<AdjustmentRow>,
    /// The questions of the contest's banks as they are now, by uid.
    pub questions: HashMap<i64, Question>,
    pub teams: Vec<StageTeamRow>,
    pub entries: Vec<StageEntryRow>,
    pub item_stats: Vec<ItemStatRow>,
    pub audit: Vec<AuditRow>,
    pub rejections: Vec<RejectionRow>,
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> VerifyError {
    VerifyError::Unreadable(format!("cannot read the database {}: {e}", path.display()))
}

/// Open the database read-only and check that it is a jingsai database new enough to verify.
pub async fn open(path: &Path) -> Result<SqliteConnection, VerifyError> {
    if !path.is_file() {
        return Err(VerifyError::Unreadable(format!(
            "no database at {} (give --data-dir DIR or --database PATH)",
            path.display()
        )));
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(Duration::from_secs(10));
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| unreadable(path, e))?;
    let schema: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(&mut conn)
            .await
            .map_err(|_| VerifyError::Unreadable(format!("{} is not a jingsai database", path.display())))?;
    match schema {
        Some(version) if version >= MIN_SCHEMA => Ok(conn),
        _ => Err(VerifyError::Unreadable(format!(
            "the database {} is older than this build's schema (schema {}, needs {MIN_SCHEMA}); start the server of this \
             version on it once to migrate it",
            path.display(),
            schema.unwrap_or(0)
        ))),
    }
}

/// Read one contest in one read transaction. `Ok(None)` when the database has no such contest.
pub async fn load(
    conn: &mut SqliteConnection,
    path: &Path,
    contest_id: i64,
) -> Result<Option<Data>, VerifyError> {
    let failed = |e: sqlx::Error| unreadable(path, e);
    let mut tx = conn.begin().await.map_err(failed)?;
    let contest: Option<ContestRow> = sqlx::query_as(
        "SELECT id, title, join_code, seed, bank_ids, join_mode, unit_scoring, state, created_at, finished_at, \
         secret_kind FROM contests WHERE id = ?",
    )
    .bind(contest_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(failed)?;
    let Some(contest) = contest else {
        return Ok(None);
    };
    let bank_ids: Vec<String> = serde_json::from_str(&contest.bank_ids).map_err(|e| {
        unreadable(
            path,
            format!("contest {contest_id}: its bank list does not parse: {e}"),
        )
    })?;

    let round_rows: Vec<RoundRow> = sqlx::query_as(
        "SELECT id, contest_id, position, title, kind, config, state, started_at, ends_at, finished_at \
         FROM rounds WHERE contest_id = ? ORDER BY position",
    )
    .bind(contest_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(failed)?;
    let mut rounds = Vec::with_capacity(round_rows.len());
    let has_stage_rounds: bool = sqlx::query_scalar(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'stage_rounds'",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(failed)?;
    for row in round_rows {
        let questions: Vec<RoundQuestionRow> = sqlx::query_as(
            "SELECT round_id, position, question_uid, option_order, state, opened_at, deadline_at, \
             remaining_ms, closed_at FROM round_questions WHERE round_id = ? ORDER BY position",
        )
        .bind(row.id)
        .fetch_all(&mut *tx)
        .await
        .map_err(failed)?;
        let papers: Vec<PaperRow> = sqlx::query_as(
            "SELECT round_id, participant_id, items, started_at, deadline_at, submitted_at, auto_submitted \
             FROM papers WHERE round_id = ? ORDER BY participant_id",
        )
        .bind(row.id)
        .fetch_all(&mut *tx)
        .await
        .map_err(failed)?;
        let events: Vec<BuzzerEventRow> = sqlx::query_as(
            "SELECT round_id, position, n, kind, team_id, participant_id, at_ms, seq, client_ms, correct, \
             window_no, response, created_by FROM buzzer_events WHERE round_id = ? ORDER BY position, n",
        )
        .bind(row.id)
        .fetch_all(&mut *tx)
        .await
        .map_err(failed)?;
        let stage = if has_stage_rounds {
            let data: Option<String> = sqlx::query_scalar("SELECT data FROM stage_rounds WHERE round_id = ?")
                .bind(row.id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(failed)?;
            match data {
                Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                    VerifyError::Unreadable(format!(
                        "the stage state of round {} does not parse: {e}",
                        row.id
                    ))
                })?),
                None => None,
            }
        } else {
            None
        };
        rounds.push(Round {
            stage,
            kind: RoundKind::parse(&row.kind),
            state: RoundState::parse(&row.state),
            config: serde_json::from_str(&row.config).map_err(|e| e.to_string()),
            questions,
            papers: papers.into_iter().map(|p| (p.participant_id, p)).collect(),
            events,
            row,
        });
    }

    let participants: Vec<ParticipantRow> = sqlx::query_as(
        "SELECT id, contest_id, name, badge, unit, session_id, joined_at, tab_switches FROM participants \
         WHERE contest_id = ? ORDER BY id",
    )
    .bind(contest_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(failed)?;
    let answers: Vec<AnswerRow> = sqlx::query_as(
        "SELECT participant_id, round_id, question_uid, contest_id, response, received_at, elapsed_ms \
         FROM answers WHERE contest_id = ? ORDER BY received_at, participant_id, round_id, question_uid",
    )
    .bind(contest_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(failed)?;
    let adjustments: Vec<AdjustmentRow> = sqlx::query_as(
        "SELECT id, contest_id, participant_id, delta_centi, reason, created_by, created_at \
         FROM score_adjustments WHERE contest_id = ? ORDER BY id",
    )
    .bind(contest_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(failed)?;
    let mut questions = HashMap::new();
    for bank_id in &bank_ids {
        let rows: Vec<QuestionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {QUESTION_COLUMNS} FROM questions WHERE bank_id = ? ORDER BY uid"
        )))
        .bind(bank_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(failed)?;
        for row in rows {
            let (uid, question) = row.into_question().map_err(|e| unreadable(path, e))?;
            questions.insert(uid, question);
        }
    }
    let teams: Vec<StageTeamRow> =
        sqlx::query_as("SELECT id, unit FROM stage_teams WHERE contest_id = ? ORDER BY id")
            .bind(contest_id)
            .fetch_all(&mut *tx)
            .await
            .map_err(failed)?;
    let entries: Vec<StageEntryRow> = sqlx::query_as(
        "SELECT id, team_id, delta_centi, reason, undoes, note, round_id, position, created_by, created_at \
         FROM stage_entries WHERE contest_id = ? ORDER BY id",
    )
    .bind(contest_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(failed)?;
    let item_stats: Vec<ItemStatRow> = sqlx::query_as(
        "SELECT question_uid, round_id, contest_id, computed_at, n, answered, facility, fully_correct, \
         discrimination, upper_lower, mean_time_ms, flags FROM item_stats WHERE contest_id = ? \
         ORDER BY round_id, question_uid",
    )
    .bind(contest_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(failed)?;
    let audit: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, at_ms, actor, action, detail, outcome, hash FROM audit_log WHERE contest_id = ? ORDER BY id",
    )
    .bind(contest_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(failed)?;
    let rejections: Vec<RejectionRow> = sqlx::query_as(
        "SELECT id, participant_id, round_id, question_ref, reason, received_at FROM rejections \
         WHERE contest_id = ? ORDER BY id",
    )
    .bind(contest_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(failed)?;
    tx.commit().await.map_err(failed)?;
    Ok(Some(Data {
        contest,
        rounds,
        participants: participants.into_iter().map(|p| (p.id, p)).collect(),
        answers,
        adjustments,
        questions,
        teams,
        entries,
        item_stats,
        audit,
        rejections,
    }))
}
