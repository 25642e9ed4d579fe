//! Reading one contest out of a database, SQLite or PostgreSQL: read-only (the server may be running: SQLite's
//! WAL lets a reader work beside the writer, PostgreSQL readers never wait for writers) and inside one read
//! transaction that sees every table at the same moment (SQLite's read transaction; on PostgreSQL a `REPEATABLE
//! READ, READ ONLY` transaction, whose snapshot covers all its statements). Each query is written once, with `$N`
//! placeholders (as in the store, `src/store/db.rs`), and run on either backend by [`on_read!`].

use crate::store::QUESTION_COLUMNS;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Postgres, Sqlite, Transaction};

use crate::bank::Question;
use crate::contest::{RoundConfig, RoundKind, RoundState};
use crate::store::{
    AdjustmentRow, AnswerRow, AuditRow, BuzzerEventRow, ContestRow, ItemStatRow, PaperRow, ParticipantRow,
    QuestionRow, RejectionRow, RoundQuestionRow, RoundRow, StageEntryRow, StageTeamRow,
};

use super::{Database, VerifyError};

/// The oldest schema this verifier reads, per backend (the latest migration applied, from `_sqlx_migrations`).
/// SQLite: the audit log came with migration 9, the stage round documents with 11, the question links with 12.
/// PostgreSQL: its first migration has all of them.
const MIN_SQLITE_SCHEMA: i64 = 12;
const MIN_POSTGRES_SCHEMA: i64 = 1;

/// How long the verifier waits for a lock (SQLite).
const WAIT: Duration = Duration::from_secs(10);

/// One connection of either backend. A single connection, not a pool: connecting to a PostgreSQL server that
/// is down then fails at once with the driver's reason.
enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// The read transaction on a [`Conn`].
enum ReadTx<'c> {
    Sqlite(Transaction<'c, Sqlite>),
    Postgres(Transaction<'c, Postgres>),
}

/// Run `$body` with `$c` bound to the connection of `$conn` (a `&mut Conn`, or `tx` and a `&mut ReadTx`), once
/// per backend (as `on_tx!` of the store).
macro_rules! on_read {
    (tx $tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            ReadTx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            ReadTx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            Conn::Sqlite(t) => {
                let $c = &mut *t;
                $body
            }
            Conn::Postgres(t) => {
                let $c = &mut *t;
                $body
            }
        }
    };
}

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

/// An open database: one connection, read-only.
pub struct Reader {
    conn: Conn,
    /// The database as messages and the report name it ([`Database::name`]).
    pub name: String,
}

impl Reader {
    pub async fn close(self) {
        // Closing tells a PostgreSQL server the session ended (instead of a dropped socket); errors change nothing.
        let _ = match self.conn {
            Conn::Sqlite(c) => c.close().await,
            Conn::Postgres(c) => c.close().await,
        };
    }
}

fn unreadable(name: &str, e: impl std::fmt::Display) -> VerifyError {
    VerifyError::Unreadable(format!("cannot read the database {name}: {e}"))
}

/// `postgres://user@host:port/database` for a PostgreSQL URL: what it connects to, never its password.
pub(super) fn describe_url(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(options) => format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or(options.get_username())
        ),
        // Not a URL the driver reads (connecting reports why): keep the scheme and what follows the credentials.
        Err(_) => match (url.split_once("://"), url.rfind('@')) {
            (Some((scheme, _)), Some(at)) => format!("{scheme}://…{}", &url[at..]),
            _ => url.to_owned(),
        },
    }
}

/// Open the database read-only and check that it is a jingsai database new enough to verify.
pub async fn open(database: &Database) -> Result<Reader, VerifyError> {
    let name = database.name();
    let cannot_open = |e: sqlx::Error| unreadable(&name, e);
    let conn = match database {
        Database::File(path) => {
            if !path.is_file() {
                return Err(VerifyError::Unreadable(format!(
                    "no database at {} (give --data-dir DIR, --database PATH or --database-url URL)",
                    path.display()
                )));
            }
            let options = SqliteConnectOptions::new()
                .filename(path)
                .read_only(true)
                .busy_timeout(WAIT);
            Conn::Sqlite(
                SqliteConnection::connect_with(&options)
                    .await
                    .map_err(cannot_open)?,
            )
        }
        Database::Postgres(url) => {
            let options = PgConnectOptions::from_str(url).map_err(cannot_open)?;
            Conn::Postgres(PgConnection::connect_with(&options).await.map_err(cannot_open)?)
        }
    };
    let mut reader = Reader { conn, name };
    // Each backend's migrator records what it applied in its own `_sqlx_migrations` (`success` is an integer on
    // SQLite, a boolean on PostgreSQL: both read it as a truth value).
    let schema: Result<Option<i64>, sqlx::Error> = on_read!(&mut reader.conn, |c| sqlx::query_scalar(
        "SELECT MAX(version) FROM _sqlx_migrations WHERE success"
    )
    .fetch_one(c)
    .await);
    let needed = match reader.conn {
        Conn::Sqlite(_) => MIN_SQLITE_SCHEMA,
        Conn::Postgres(_) => MIN_POSTGRES_SCHEMA,
    };
    let refused = match schema {
        Ok(Some(version)) if version >= needed => return Ok(reader),
        Ok(schema) => format!(
            "the database {} is older than this build's schema (schema {}, needs {needed}); start the server of \
             this version on it once to migrate it",
            reader.name,
            schema.unwrap_or(0)
        ),
        // No migration table (an empty PostgreSQL database, some other SQLite file), or not allowed to read it.
        Err(e) => format!("{} is not a jingsai database ({e})", reader.name),
    };
    reader.close().await;
    Err(VerifyError::Unreadable(refused))
}

/// Start the read transaction: one snapshot for every statement of it.
async fn begin_read(conn: &mut Conn) -> sqlx::Result<ReadTx<'_>> {
    Ok(match conn {
        Conn::Sqlite(c) => ReadTx::Sqlite(c.begin().await?),
        Conn::Postgres(c) => ReadTx::Postgres(
            c.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?,
        ),
    })
}

/// Read one contest in one read transaction. `Ok(None)` when the database has no such contest.
pub async fn load(reader: &mut Reader, contest_id: i64) -> Result<Option<Data>, VerifyError> {
    let name = reader.name.as_str();
    let failed = |e: sqlx::Error| unreadable(name, e);
    let mut tx = begin_read(&mut reader.conn).await.map_err(failed)?;
    let contest: Option<ContestRow> = on_read!(tx &mut tx, |c| sqlx::query_as(
        "SELECT id, title, join_code, seed, bank_ids, join_mode, unit_scoring, state, created_at, finished_at, \
         secret_kind FROM contests WHERE id = $1",
    )
    .bind(contest_id)
    .fetch_optional(c)
    .await)
    .map_err(failed)?;
    let Some(contest) = contest else {
        return Ok(None);
    };
    let bank_ids: Vec<String> = serde_json::from_str(&contest.bank_ids).map_err(|e| {
        unreadable(
            name,
            format!("contest {contest_id}: its bank list does not parse: {e}"),
        )
    })?;

    let round_rows: Vec<RoundRow> = all(
        &mut tx,
        "SELECT id, contest_id, position, title, kind, config, state, started_at, ends_at, finished_at \
         FROM rounds WHERE contest_id = $1 ORDER BY position",
        contest_id,
    )
    .await
    .map_err(failed)?;
    let mut rounds = Vec::with_capacity(round_rows.len());
    for row in round_rows {
        let questions: Vec<RoundQuestionRow> = all(
            &mut tx,
            "SELECT round_id, position, question_uid, option_order, state, opened_at, deadline_at, \
             remaining_ms, closed_at FROM round_questions WHERE round_id = $1 ORDER BY position",
            row.id,
        )
        .await
        .map_err(failed)?;
        let papers: Vec<PaperRow> = all(
            &mut tx,
            "SELECT round_id, participant_id, items, started_at, deadline_at, submitted_at, auto_submitted \
             FROM papers WHERE round_id = $1 ORDER BY participant_id",
            row.id,
        )
        .await
        .map_err(failed)?;
        let events: Vec<BuzzerEventRow> = all(
            &mut tx,
            "SELECT round_id, position, n, kind, team_id, participant_id, at_ms, seq, client_ms, correct, \
             window_no, response, created_by FROM buzzer_events WHERE round_id = $1 ORDER BY position, n",
            row.id,
        )
        .await
        .map_err(failed)?;
        let data: Option<String> = on_read!(tx &mut tx, |c| sqlx::query_scalar(
            "SELECT data FROM stage_rounds WHERE round_id = $1"
        )
        .bind(row.id)
        .fetch_optional(c)
        .await)
        .map_err(failed)?;
        let stage = match data {
            Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                VerifyError::Unreadable(format!("the stage state of round {} does not parse: {e}", row.id))
            })?),
            None => None,
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

    let participants: Vec<ParticipantRow> = all(
        &mut tx,
        "SELECT id, contest_id, name, badge, unit, session_id, joined_at, tab_switches FROM participants \
         WHERE contest_id = $1 ORDER BY id",
        contest_id,
    )
    .await
    .map_err(failed)?;
    let answers: Vec<AnswerRow> = all(
        &mut tx,
        "SELECT participant_id, round_id, question_uid, contest_id, response, received_at, elapsed_ms \
         FROM answers WHERE contest_id = $1 ORDER BY received_at, participant_id, round_id, question_uid",
        contest_id,
    )
    .await
    .map_err(failed)?;
    let adjustments: Vec<AdjustmentRow> = all(
        &mut tx,
        "SELECT id, contest_id, participant_id, delta_centi, reason, created_by, created_at \
         FROM score_adjustments WHERE contest_id = $1 ORDER BY id",
        contest_id,
    )
    .await
    .map_err(failed)?;
    let mut questions = HashMap::new();
    let question_sql = format!("SELECT {QUESTION_COLUMNS} FROM questions WHERE bank_id = $1 ORDER BY uid");
    for bank_id in &bank_ids {
        let rows: Vec<QuestionRow> = on_read!(tx &mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(
            question_sql.as_str()
        ))
        .bind(bank_id)
        .fetch_all(c)
        .await)
        .map_err(failed)?;
        for row in rows {
            let (uid, question) = row.into_question().map_err(|e| unreadable(name, e))?;
            questions.insert(uid, question);
        }
    }
    let teams: Vec<StageTeamRow> = all(
        &mut tx,
        "SELECT id, unit FROM stage_teams WHERE contest_id = $1 ORDER BY id",
        contest_id,
    )
    .await
    .map_err(failed)?;
    let entries: Vec<StageEntryRow> = all(
        &mut tx,
        "SELECT id, team_id, delta_centi, reason, undoes, note, round_id, position, created_by, created_at \
         FROM stage_entries WHERE contest_id = $1 ORDER BY id",
        contest_id,
    )
    .await
    .map_err(failed)?;
    let item_stats: Vec<ItemStatRow> = all(
        &mut tx,
        "SELECT question_uid, round_id, contest_id, computed_at, n, answered, facility, fully_correct, \
         discrimination, upper_lower, mean_time_ms, flags FROM item_stats WHERE contest_id = $1 \
         ORDER BY round_id, question_uid",
        contest_id,
    )
    .await
    .map_err(failed)?;
    let audit: Vec<AuditRow> = all(
        &mut tx,
        "SELECT id, at_ms, actor, action, detail, outcome, hash FROM audit_log WHERE contest_id = $1 ORDER BY id",
        contest_id,
    )
    .await
    .map_err(failed)?;
    let rejections: Vec<RejectionRow> = all(
        &mut tx,
        "SELECT id, participant_id, round_id, question_ref, reason, received_at FROM rejections \
         WHERE contest_id = $1 ORDER BY id",
        contest_id,
    )
    .await
    .map_err(failed)?;
    // Nothing was written: ending the read transaction either way releases its snapshot.
    match tx {
        ReadTx::Sqlite(t) => t.rollback().await,
        ReadTx::Postgres(t) => t.rollback().await,
    }
    .map_err(failed)?;
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

/// Every row `sql` (one `$1`, bound to `id`) returns, read in the transaction.
async fn all<T>(tx: &mut ReadTx<'_>, sql: &'static str, id: i64) -> sqlx::Result<Vec<T>>
where
    T: Send + Unpin,
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    on_read!(tx tx, |c| sqlx::query_as(sql).bind(id).fetch_all(c).await)
}
