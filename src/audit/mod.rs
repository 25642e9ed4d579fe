//! `jingsai audit verify <contest>`: re-derive a contest from what is stored and report every difference.
//!
//! The database (a SQLite file or a PostgreSQL database, [`Database`]) is opened read-only and read in one
//! transaction, so a running server is not disturbed and the verifier sees one consistent moment. It then:
//!
//! - regenerates every shared draw (live and buzzer rounds) and every exam paper from the contest seed with
//!   `crate::paper` and compares questions and option orders with what was served ([`draws`]);
//! - checks every answer: its participant, round and question, a response the server could have accepted, and
//!   its receive and answer times against the question's clock or the paper's ([`answers`]);
//! - rescores every answer from the raw response, the key and the round's rules with `crate::scoring`, exactly
//!   as the engine does, recomputes each participant's total (answers and adjustments), the ranking with its
//!   tie-breaks and the unit standings, and compares them with the results fingerprint the server recorded in
//!   the audit log at the finish ([`scores`], [`record`]);
//! - recomputes the stored question statistics ([`items`]);
//! - rebuilds the stage team ledger and replays every buzzer question's log through the rules ([`stage`]);
//! - checks the audit log's hash chain and matches adjustments and manual ledger entries with their rows
//!   ([`log`]).
//!
//! Scores are never stored (docs/scoring.md): what the recomputation is compared with is what *is* stored
//! about them — the results fingerprint, the question statistics, the ledger, the audit log — and the raw data's
//! own consistency.

mod answers;
mod draws;
mod items;
mod load;
mod log;
pub mod record;
mod report;
mod scores;
mod stage;

use std::path::PathBuf;

pub use report::{Checked, Difference, Location, Report};

/// Why a verification could not be made (exit code 2), as opposed to differences found (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}")]
    Unreadable(String),
    #[error("the database {database} has no contest {contest}")]
    UnknownContest { contest: i64, database: String },
}

/// The database a verification reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite database file, opened read-only.
    File(PathBuf),
    /// A PostgreSQL database (`postgres://…` or `postgresql://…`), read in a read-only transaction.
    Postgres(String),
}

impl Database {
    /// The database a `--database-url` names: PostgreSQL for `postgres://…` and `postgresql://…`, otherwise a
    /// SQLite file (`sqlite://PATH` or a plain path), as the server reads the same option.
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres(url.to_owned())
        } else {
            Self::File(PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url)))
        }
    }

    /// How messages and the report name the database: the file's path, or the URL without its password.
    pub fn name(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Postgres(url) => load::describe_url(url),
        }
    }
}

/// Verify one contest of `database`.
pub async fn verify(database: &Database, contest_id: i64) -> Result<Report, VerifyError> {
    let mut reader = load::open(database).await?;
    let data = load::load(&mut reader, contest_id).await;
    let name = reader.name.clone();
    reader.close().await;
    let data = data?.ok_or_else(|| VerifyError::UnknownContest {
        contest: contest_id,
        database: name.clone(),
    })?;
    let mut report = Report {
        contest_id,
        title: data.contest.title.clone(),
        state: data.contest.state.clone(),
        seed: (data.contest.seed as u64).to_string(),
        database: name,
        ok: false,
        checked: Checked::default(),
        differences: Vec::new(),
        notes: Vec::new(),
        results: serde_json::Value::Null,
        teams: serde_json::Value::Null,
    };
    draws::check(&data, &mut report);
    let answers = answers::check(&data, &mut report);
    let scored = scores::score(&data, &answers, &mut report);
    let (results, ranked) = scores::results_view(&data, &answers, &scored, None);
    report.checked.participants = data.participants.len();
    report.checked.ranked = ranked.len();
    report.checked.absent = data
        .participants
        .values()
        .filter(|p| p.joined_at.is_none())
        .count();
    report.checked.units = results["units"].as_array().map_or(0, Vec::len);
    report.results = results;
    scores::check_record(&data, &answers, &scored, &mut report);
    items::check(&data, &mut report);
    report.teams = stage::check(&data, &mut report);
    log::check(&data, &mut report);
    if data.contest.state != "finished" {
        report.note(format!(
            "the contest is {}: only closed live questions and finished exam rounds are scored, as in the engine",
            data.contest.state
        ));
    }
    report.ok = report.differences.is_empty();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_names_postgres_or_a_sqlite_file_as_the_server_reads_it() {
        assert_eq!(
            Database::from_url("postgres://jingsai@db:5433/contest"),
            Database::Postgres("postgres://jingsai@db:5433/contest".into())
        );
        assert_eq!(
            Database::from_url("postgresql://db/contest"),
            Database::Postgres("postgresql://db/contest".into())
        );
        assert_eq!(
            Database::from_url("sqlite:///srv/jingsai/jingsai.db"),
            Database::File("/srv/jingsai/jingsai.db".into())
        );
        assert_eq!(
            Database::from_url("backup.db"),
            Database::File("backup.db".into())
        );
    }

    #[test]
    fn a_postgres_database_is_named_without_its_password() {
        let name =
            Database::Postgres("postgres://jingsai:s3cret@db.example:5433/contest?sslmode=disable".into())
                .name();
        assert_eq!(name, "postgres://jingsai@db.example:5433/contest");
        // A URL the driver cannot read keeps what follows the credentials only.
        let broken = Database::Postgres("postgres://jingsai:s3cret@db:notaport/contest".into()).name();
        assert!(!broken.contains("s3cret"), "{broken}");
        assert!(broken.ends_with("@db:notaport/contest"), "{broken}");
        assert_eq!(
            Database::File("/srv/jingsai/jingsai.db".into()).name(),
            "/srv/jingsai/jingsai.db"
        );
    }
}
