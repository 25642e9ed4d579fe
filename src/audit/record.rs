//! What the server writes into the audit log besides the organizer's actions themselves: the fingerprint of
//! the results when a contest finishes (and again when a bank re-import regrades it), and the bank imports that
//! may change a contest's scores. `jingsai audit verify` recomputes the results and compares them with the
//! latest fingerprint, so a stored answer, paper or adjustment changed afterwards shows.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::contest::ContestHandle;
use crate::store::Store;

/// The action of a results fingerprint row.
pub const RESULTS_ACTION: &str = "results_recorded";
/// The action of a bank (re-)import row in each contest drawing from the bank.
pub const BANK_IMPORT_ACTION: &str = "bank_import";

/// What a results fingerprint row keeps: a few totals that say how the results differ, and the SHA-256 of the
/// canonical text of the whole individual ranking and unit standings ([`canonical_results`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Everyone in the results: ranked participants and absentees.
    pub participants: u64,
    pub ranked: u64,
    pub units: u64,
    /// Sum of every listed score, in hundredths of a point.
    pub score_sum_centi: i64,
    /// Sum of every listed correct count.
    pub correct_sum: u64,
    pub sha256: String,
}

fn centi(points: &Value) -> Option<i64> {
    points.as_f64().map(|p| (p * 100.0).round() as i64)
}

/// One field of a canonical line: scores in hundredths, a null as `-`, strings as they are.
fn field(name: &str, value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        _ if name == "score" => centi(value).map_or_else(|| value.to_string(), |c| c.to_string()),
        other => other.to_string(),
    }
}

/// The canonical text of a results view (the shape of `GET /api/contests/{id}/results`): one line per entry
/// of the ranking, in order — rank, participant, score in hundredths, correct count, answer time, finish time,
/// tie-break, absent — then one line per unit — rank, unit, members, joined, score in hundredths. Fields are
/// separated by tabs; a null is `-`.
pub fn canonical_results(results: &Value) -> String {
    let mut text = String::new();
    for entry in results["ranking"].as_array().into_iter().flatten() {
        let fields: Vec<String> = [
            "rank",
            "participant_id",
            "score",
            "correct",
            "answer_time_ms",
            "finished_at",
            "decided_by",
            "absent",
        ]
        .iter()
        .map(|name| field(name, &entry[*name]))
        .collect();
        text.push_str("P\t");
        text.push_str(&fields.join("\t"));
        text.push('\n');
    }
    for unit in results["units"].as_array().into_iter().flatten() {
        let fields: Vec<String> = ["rank", "unit", "members", "joined", "score"]
            .iter()
            .map(|name| field(name, &unit[*name]))
            .collect();
        text.push_str("U\t");
        text.push_str(&fields.join("\t"));
        text.push('\n');
    }
    text
}

/// The fingerprint of a results view.
pub fn fingerprint(results: &Value) -> Fingerprint {
    let ranking = results["ranking"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let digest = Sha256::digest(canonical_results(results).as_bytes());
    Fingerprint {
        participants: ranking.len() as u64,
        ranked: ranking.iter().filter(|e| !e["rank"].is_null()).count() as u64,
        units: results["units"].as_array().map_or(0, |u| u.len() as u64),
        score_sum_centi: ranking.iter().filter_map(|e| centi(&e["score"])).sum(),
        correct_sum: ranking.iter().filter_map(|e| e["correct"].as_u64()).sum(),
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

impl Fingerprint {
    /// The detail of a results row: `cause` (what was finished or imported), `adjustments_through` (the last
    /// score adjustment the results include; 0 for none) and the fingerprint.
    pub fn detail(&self, cause: &str, adjustments_through: i64) -> Value {
        json!({
            "cause": cause,
            "adjustments_through": adjustments_through,
            "participants": self.participants,
            "ranked": self.ranked,
            "units": self.units,
            "score_sum_centi": self.score_sum_centi,
            "correct_sum": self.correct_sum,
            "sha256": self.sha256,
        })
    }

    /// Read back from a row's detail; `None` when a field is missing.
    pub fn from_detail(detail: &Value) -> Option<(Fingerprint, i64)> {
        Some((
            Fingerprint {
                participants: detail["participants"].as_u64()?,
                ranked: detail["ranked"].as_u64()?,
                units: detail["units"].as_u64()?,
                score_sum_centi: detail["score_sum_centi"].as_i64()?,
                correct_sum: detail["correct_sum"].as_u64()?,
                sha256: detail["sha256"].as_str()?.to_owned(),
            },
            detail["adjustments_through"].as_i64()?,
        ))
    }
}

async fn last_adjustment(store: &Store, contest_id: i64) -> Option<i64> {
    match store.adjustments(contest_id).await {
        Ok(rows) => Some(rows.iter().map(|r| r.id).max().unwrap_or(0)),
        Err(e) => {
            tracing::error!(
                contest = contest_id,
                "reading the adjustments for the results record failed: {e}"
            );
            None
        }
    }
}

/// Append the fingerprint of the contest's current results (as the engine gives them) to its audit log, with
/// the last score adjustment they include. An adjustment made while the results are read would leave that
/// unclear, so the read is repeated until the adjustments are the same before and after it. Failures are
/// logged, never returned: the action that asked for the record has already happened.
pub async fn record_results(
    store: &Store,
    handle: &ContestHandle,
    contest_id: i64,
    actor: &str,
    cause: &str,
) {
    for _ in 0..5 {
        let Some(before) = last_adjustment(store, contest_id).await else {
            return;
        };
        let results = match handle.results().await {
            Ok(results) => results,
            Err(e) => {
                tracing::error!(
                    contest = contest_id,
                    "reading the results to record failed: {}",
                    e.message
                );
                return;
            }
        };
        let Some(after) = last_adjustment(store, contest_id).await else {
            return;
        };
        if before == after {
            let detail = fingerprint(&results).detail(cause, before);
            store
                .record_action(contest_id, actor, RESULTS_ACTION, &detail)
                .await;
            return;
        }
    }
    tracing::error!(
        contest = contest_id,
        "the results were not recorded in the audit log: score adjustments kept changing while they were read"
    );
}

/// A bank was imported into a contest's banks: `bank_import` in the contest's log with the bank ids and their
/// question counts. The caller records the regraded results of a finished contest afterwards.
pub async fn record_bank_import(store: &Store, contest_id: i64, actor: &str, banks: &[&crate::bank::Bank]) {
    let detail = json!({
        "banks": banks
            .iter()
            .map(|b| json!({"id": b.id, "questions": b.questions.len()}))
            .collect::<Vec<_>>(),
    });
    store
        .record_action(contest_id, actor, BANK_IMPORT_ACTION, &detail)
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results() -> Value {
        json!({
            "contest_id": 1,
            "state": "finished",
            "ranking": [
                {"rank": 1, "participant_id": 7, "score": 12.5, "correct": 2, "answer_time_ms": 9000,
                 "finished_at": 1000, "decided_by": "score", "absent": false, "name": "甲"},
                {"rank": 2, "participant_id": 8, "score": 3.0, "correct": 1, "answer_time_ms": 12000,
                 "finished_at": 1100, "decided_by": "score", "absent": false, "name": "乙"},
                {"rank": null, "participant_id": 9, "score": 0.0, "correct": 0, "answer_time_ms": null,
                 "finished_at": null, "decided_by": null, "absent": true, "name": "丙"},
            ],
            "units": [{"rank": 1, "unit": "一队", "members": 3, "joined": 2, "score": 15.5}],
        })
    }

    #[test]
    fn the_fingerprint_sums_scores_and_hashes_the_canonical_text() {
        let r = results();
        assert_eq!(
            canonical_results(&r),
            "P\t1\t7\t1250\t2\t9000\t1000\tscore\tfalse\nP\t2\t8\t300\t1\t12000\t1100\tscore\tfalse\n\
             P\t-\t9\t0\t0\t-\t-\t-\ttrue\nU\t1\t一队\t3\t2\t1550\n"
        );
        let f = fingerprint(&r);
        assert_eq!((f.participants, f.ranked, f.units), (3, 2, 1));
        assert_eq!((f.score_sum_centi, f.correct_sum), (1550, 3));
        let (back, through) = Fingerprint::from_detail(&f.detail("finish", 4)).expect("detail");
        assert_eq!((back, through), (f.clone(), 4));
        // Names are not part of it; a score is.
        let mut renamed = r.clone();
        renamed["ranking"][0]["name"] = json!("丁");
        assert_eq!(fingerprint(&renamed), f);
        let mut changed = r;
        changed["ranking"][1]["score"] = json!(3.01);
        assert_ne!(fingerprint(&changed).sha256, f.sha256);
        assert_eq!(fingerprint(&changed).score_sum_centi, 1551);
    }
}
