//! The audit log itself and what it vouches for: the hash chain (`crate::store::chain_break`), every score
//! adjustment against its `adjust_score` row, and every manual ledger entry (a team adjustment, an undo)
//! against its `adjust_team` or `undo` control row.
//!
//! Adjustments and ledger entries made before the contest's first audit row (a database older than the audit
//! log) cannot have rows: they are counted in a note instead.

use serde_json::{Value, json};

use super::load::Data;
use super::report::{Difference, Location, Report};
use super::stage::parse_reason;
use crate::stage::Reason;
use crate::store::{AuditRow, chain_break};

fn difference(at: Location, field: &str, stored: Value, recomputed: Value, message: String) -> Difference {
    Difference {
        check: "audit_log",
        location: at,
        field: field.into(),
        stored,
        recomputed,
        message,
    }
}

fn detail(row: &AuditRow) -> Value {
    serde_json::from_str(&row.detail).unwrap_or(Value::Null)
}

fn ok_rows<'a>(data: &'a Data, actions: &'a [&str]) -> impl Iterator<Item = &'a AuditRow> + 'a {
    data.audit
        .iter()
        .filter(move |r| r.outcome == "ok" && actions.contains(&r.action.as_str()))
}

fn check_chain(data: &Data, report: &mut Report) {
    report.checked.audit_rows = data.audit.len();
    match chain_break(&data.audit) {
        None => report.checked.chain_ok = true,
        Some((id, message)) => {
            report.checked.chain_ok = false;
            let stored = data.audit.iter().find(|r| r.id == id);
            report.add(difference(
                Location {
                    audit_row: Some(id),
                    ..Location::default()
                },
                "hash",
                json!(stored.map(|r| r.hash.as_str())),
                json!(null),
                message,
            ));
        }
    }
}

/// Every adjustment has its `adjust_score` row with the same participant, points, reason and organizer; every
/// such row has its adjustment.
fn check_adjustments(data: &Data, report: &mut Report) {
    report.checked.adjustments = data.adjustments.len();
    let first_row_at = data.audit.first().map(|r| r.at_ms);
    let rows: Vec<(&AuditRow, Value)> = ok_rows(data, &["adjust_score"]).map(|r| (r, detail(r))).collect();
    let mut before_log = 0;
    for a in &data.adjustments {
        let at = Location {
            participant_id: Some(a.participant_id),
            participant: data.participants.get(&a.participant_id).map(|p| p.name.clone()),
            adjustment: Some(a.id),
            ..Location::default()
        };
        if !data.participants.contains_key(&a.participant_id) {
            report.add(difference(
                at.clone(),
                "participant",
                json!(a.participant_id),
                json!(null),
                "an adjustment for someone who is not a participant of this contest".into(),
            ));
        }
        let Some((row, d)) = rows
            .iter()
            .find(|(_, d)| d["adjustment_id"].as_i64() == Some(a.id))
        else {
            if first_row_at.is_none_or(|first| a.created_at < first) {
                before_log += 1;
            } else {
                report.add(difference(
                    at,
                    "audit_row",
                    json!(null),
                    json!("adjust_score"),
                    "a score adjustment the audit log does not record".into(),
                ));
            }
            continue;
        };
        let at = Location {
            audit_row: Some(row.id),
            ..at
        };
        let fields = [
            (
                "participant_id",
                json!(a.participant_id),
                d["participant_id"].clone(),
            ),
            ("delta_centi", json!(a.delta_centi), d["delta_centi"].clone()),
            ("reason", json!(a.reason), d["reason"].clone()),
            ("created_by", json!(a.created_by), json!(row.actor)),
        ];
        for (field, stored, logged) in fields {
            if stored != logged {
                report.add(difference(
                    at.clone(),
                    field,
                    stored,
                    logged,
                    "the adjustment differs from its audit row (stored: the adjustment; recomputed: the row)"
                        .into(),
                ));
            }
        }
    }
    for (row, d) in &rows {
        let id = d["adjustment_id"].as_i64();
        if !data.adjustments.iter().any(|a| Some(a.id) == id) {
            report.add(difference(
                Location {
                    audit_row: Some(row.id),
                    adjustment: id,
                    participant_id: d["participant_id"].as_i64(),
                    ..Location::default()
                },
                "adjustment",
                json!(null),
                d.clone(),
                "the audit log records a score adjustment that is missing from the adjustments".into(),
            ));
        }
    }
    if before_log > 0 {
        report.note(format!(
            "{before_log} score adjustment(s) predate the contest's audit log: not matched with audit rows"
        ));
    }
}

/// The manual ledger entries (team adjustments and undos), in order, against the `adjust_team` and `undo`
/// control rows that made them, in order.
fn check_manual_entries(data: &Data, report: &mut Report) {
    let first_row_at = data.audit.first().map(|r| r.at_ms);
    let manual: Vec<_> = data
        .entries
        .iter()
        .filter(|e| {
            matches!(
                parse_reason(&e.reason, e.undoes),
                Some(Reason::Adjustment | Reason::UndoOf(_))
            )
        })
        .collect();
    let (before_log, logged): (Vec<_>, Vec<_>) = manual
        .into_iter()
        .partition(|e| first_row_at.is_none_or(|first| e.created_at < first));
    let rows: Vec<&AuditRow> = ok_rows(data, &["adjust_team", "undo"]).collect();
    if rows.len() != logged.len() {
        report.add(difference(
            Location::default(),
            "manual_entries",
            json!(logged.len()),
            json!(rows.len()),
            "the ledger holds another number of team adjustments and undos than the audit log records".into(),
        ));
    }
    for (entry, row) in logged.iter().zip(&rows) {
        let d = detail(row);
        let at = Location {
            entry: Some(entry.id),
            audit_row: Some(row.id),
            ..Location::default()
        };
        let logged_note = d["note"].as_str().unwrap_or("").trim().to_owned();
        // What the row's action makes: a team adjustment entry, or an undo entry.
        let made = if row.action == "adjust_team" {
            "adjustment"
        } else {
            "undo_of"
        };
        let mut fields = vec![
            ("reason", json!(entry.reason), json!(made)),
            ("note", json!(entry.note), json!(logged_note)),
            ("created_by", json!(entry.created_by), json!(row.actor)),
        ];
        if row.action == "adjust_team" {
            let delta = d["delta"].as_f64().map(|p| (p * 100.0).round() as i64);
            fields.push(("team", json!(entry.team_id), d["team"].clone()));
            fields.push(("delta_centi", json!(entry.delta_centi), json!(delta)));
        } else {
            fields.push(("undoes", json!(entry.undoes), d["entry"].clone()));
        }
        for (field, stored, logged) in fields {
            if stored != logged {
                report.add(difference(
                    at.clone(),
                    field,
                    stored,
                    logged,
                    "the ledger entry differs from the organizer's action in the audit log".into(),
                ));
            }
        }
    }
    if !before_log.is_empty() {
        report.note(format!(
            "{} team adjustment(s) or undo(s) predate the contest's audit log: not matched with audit rows",
            before_log.len()
        ));
    }
}

pub fn check(data: &Data, report: &mut Report) {
    check_chain(data, report);
    check_adjustments(data, report);
    check_manual_entries(data, report);
    report.checked.rejections = data.rejections.len();
    for r in &data.rejections {
        if !data.participants.contains_key(&r.participant_id) {
            report.add(difference(
                Location {
                    participant_id: Some(r.participant_id),
                    round_id: r.round_id,
                    ..Location::default()
                },
                "rejection",
                json!(r.id),
                json!(null),
                "a refused answer recorded for someone who is not a participant of this contest".into(),
            ));
        }
    }
}
