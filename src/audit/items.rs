//! The question statistics the server stored (`item_stats`, written when a contest finishes and whenever its
//! analysis is opened), recomputed with the same analysis (`crate::analysis`) from the stored answers.
//!
//! Only statistics computed after the contest finished are compared: earlier ones describe the contest as far as
//! it had gone. Statistics computed before a later bank import are skipped too (the import may change keys and
//! points, so the stored numbers describe the old bank).

use std::collections::HashMap;

use serde_json::json;

use super::load::Data;
use super::record::BANK_IMPORT_ACTION;
use super::report::{Difference, Location, Report};
use crate::analysis::contest::{ContestRows, round_matrices};
use crate::analysis::{ItemStats, analyse};

/// Two statistics are the same when they differ by float rounding only (the analysis sums in hash order).
fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        _ => false,
    }
}

fn rows(data: &Data) -> ContestRows {
    ContestRows {
        rounds: data.rounds.iter().map(|r| r.row.clone()).collect(),
        live_questions: data
            .rounds
            .iter()
            .map(|r| (r.row.id, r.questions.clone()))
            .collect(),
        papers: data
            .rounds
            .iter()
            .map(|r| (r.row.id, r.papers.values().cloned().collect()))
            .collect(),
        participants: data.participants.values().cloned().collect(),
        answers: data.answers.clone(),
        questions: data.questions.clone(),
    }
}

pub fn check(data: &Data, report: &mut Report) {
    if data.item_stats.is_empty() {
        return;
    }
    let last_import = data
        .audit
        .iter()
        .filter(|r| r.action == BANK_IMPORT_ACTION && r.outcome == "ok")
        .map(|r| r.at_ms)
        .max();
    let comparable = |computed_at: i64| {
        data.contest
            .finished_at
            .is_some_and(|finished| computed_at >= finished)
            && last_import.is_none_or(|imported| computed_at >= imported)
    };
    let (compared, skipped): (Vec<_>, Vec<_>) =
        data.item_stats.iter().partition(|s| comparable(s.computed_at));
    report.checked.item_stats_skipped += skipped.len();
    if !skipped.is_empty() {
        report.note(format!(
            "{} stored question statistic(s) were computed before the contest finished or before a later bank \
             import, so they describe other data: not compared",
            skipped.len()
        ));
    }
    if compared.is_empty() {
        return;
    }
    let rows = rows(data);
    let matrices = match round_matrices(&rows) {
        Ok(matrices) => matrices,
        Err(e) => {
            report.add(Difference {
                check: "item_stats",
                location: Location::default(),
                field: "analysis".into(),
                stored: json!(null),
                recomputed: json!(null),
                message: format!("the question statistics cannot be recomputed: {e}"),
            });
            return;
        }
    };
    let mut recomputed: HashMap<(i64, i64), ItemStats> = HashMap::new();
    for m in &matrices {
        for item in analyse(&m.matrix).items {
            recomputed.insert((m.round.id, item.id), item);
        }
    }
    let rounds: HashMap<i64, &super::load::Round> = data.rounds.iter().map(|r| (r.row.id, r)).collect();
    for stored in compared {
        report.checked.item_stats_compared += 1;
        let mut at = rounds
            .get(&stored.round_id)
            .map_or_else(Location::default, |r| super::draws::round_location(r));
        at.round_id = Some(stored.round_id);
        at.question_uid = Some(stored.question_uid);
        at.question_id = data.questions.get(&stored.question_uid).map(|q| q.id.clone());
        let Some(item) = recomputed.get(&(stored.round_id, stored.question_uid)) else {
            report.add(Difference {
                check: "item_stats",
                location: at,
                field: "question".into(),
                stored: json!(stored.question_uid),
                recomputed: json!(null),
                message: "statistics are stored for a question the round's answers do not give".into(),
            });
            continue;
        };
        let counts = [
            ("n", stored.n, item.n as i64),
            ("answered", stored.answered, item.answered as i64),
        ];
        for (field, s, r) in counts {
            if s != r {
                report.add(Difference {
                    check: "item_stats",
                    location: at.clone(),
                    field: field.into(),
                    stored: json!(s),
                    recomputed: json!(r),
                    message: format!("the stored statistic `{field}` differs from the recomputed one"),
                });
            }
        }
        let values = [
            ("facility", stored.facility, item.facility),
            ("fully_correct", stored.fully_correct, item.fully_correct),
            ("discrimination", stored.discrimination, item.discrimination),
            ("upper_lower", stored.upper_lower, item.upper_lower),
            ("mean_time_ms", stored.mean_time_ms, item.mean_time_ms),
        ];
        for (field, s, r) in values {
            if !same(s, r) {
                report.add(Difference {
                    check: "item_stats",
                    location: at.clone(),
                    field: field.into(),
                    stored: json!(s),
                    recomputed: json!(r),
                    message: format!("the stored statistic `{field}` differs from the recomputed one"),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn statistics_compare_up_to_float_rounding() {
        assert!(same(None, None));
        assert!(same(Some(0.1 + 0.2), Some(0.3)));
        assert!(same(Some(12_345.678), Some(12_345.678 + 1e-9)));
        assert!(!same(Some(0.5), Some(0.5001)));
        assert!(!same(Some(0.0), None));
    }
}
