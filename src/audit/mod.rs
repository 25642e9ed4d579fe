//! `jingsai audit verify <contest>`: re-derive a contest from what is stored and report every difference.
//!
//! The database is opened read-only and read in one transaction, so a running server is not disturbed and the
//! verifier sees one consistent moment. It then:
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

use std::path::Path;

pub use report::{Checked, Difference, Location, Report};

/// Why a verification could not be made (exit code 2), as opposed to differences found (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}")]
    Unreadable(String),
    #[error("the database {database} has no contest {contest}")]
    UnknownContest { contest: i64, database: String },
}

/// Verify one contest of the database at `database`.
pub async fn verify(database: &Path, contest_id: i64) -> Result<Report, VerifyError> {
    let mut conn = load::open(database).await?;
    let data = load::load(&mut conn, database, contest_id)
        .await?
        .ok_or_else(|| VerifyError::UnknownContest {
            contest: contest_id,
            database: database.display().to_string(),
        })?;
    drop(conn);
    let mut report = Report {
        contest_id,
        title: data.contest.title.clone(),
        state: data.contest.state.clone(),
        seed: (data.contest.seed as u64).to_string(),
        database: database.display().to_string(),
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
