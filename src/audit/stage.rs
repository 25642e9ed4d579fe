//! The stage team ledger: rebuilt entry by entry with `crate::stage::Ledger::from_entries` (ids in sequence,
//! known teams, every undo reversing an earlier entry exactly), its totals recomputed, and the entries the rules
//! made for each buzzer question compared with a replay of that question's stored buzzer log through the same
//! rules (`crate::stage::BuzzerQuestion`). A device answer's verdict is recomputed from the response and the key.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::draws::round_location;
use super::load::{Data, Round};
use super::report::{Difference, Location, Report};
use crate::bank::Response;
use crate::contest::RoundKind;
use crate::scoring::score_response;
use crate::stage::{
    Buzz, BuzzerEvent, BuzzerOutcome, BuzzerQuestion, Ledger, LedgerEntry, Reason, ScoreChange, TeamId,
};
use crate::store::{BuzzerEventRow, StageEntryRow};

fn points(centi: i64) -> f64 {
    centi as f64 / 100.0
}

fn difference(
    check: &'static str,
    at: Location,
    field: &str,
    stored: Value,
    recomputed: Value,
    message: String,
) -> Difference {
    Difference {
        check,
        location: at,
        field: field.into(),
        stored,
        recomputed,
        message,
    }
}

/// A stored reason: `undo_of` with the entry it reverses, or a reason's snake_case name.
pub fn parse_reason(text: &str, undoes: Option<i64>) -> Option<Reason> {
    match (text, undoes) {
        ("undo_of", Some(entry)) => Some(Reason::UndoOf(u64::try_from(entry).ok()?)),
        _ => serde_json::from_value(Value::String(text.to_owned())).ok(),
    }
}

fn reason_name(reason: Reason) -> String {
    match reason {
        Reason::UndoOf(_) => "undo_of".into(),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
    }
}

/// The step a stored buzzer event stands for: `None` for the organizer's `close`.
fn event_of(row: &BuzzerEventRow) -> Result<Option<BuzzerEvent>, String> {
    let team = || row.team_id.ok_or_else(|| "the event has no team".to_owned());
    Ok(Some(match row.kind.as_str() {
        "close" => return Ok(None),
        "arm" => BuzzerEvent::Arm,
        "assign" => BuzzerEvent::Assign { team: team()? },
        "buzz" => BuzzerEvent::Buzz(Buzz {
            team: team()?,
            server_ms: row.at_ms,
            seq: row
                .seq
                .and_then(|s| u64::try_from(s).ok())
                .ok_or_else(|| "the buzz has no receive sequence".to_owned())?,
            client_ms: row.client_ms,
        }),
        "judge" => BuzzerEvent::Judge {
            team: team()?,
            correct: row.correct.unwrap_or(false),
        },
        "answer_timeout" => BuzzerEvent::AnswerTimeout { team: team()? },
        "window_timeout" => BuzzerEvent::BuzzWindowTimeout {
            window: row
                .window_no
                .and_then(|w| u32::try_from(w).ok())
                .ok_or_else(|| "the window timeout has no window".to_owned())?,
        },
        other => return Err(format!("unknown event kind `{other}`")),
    }))
}

/// Replay one buzzer question's log; returns the score changes the rules make, or the first refusal.
fn replay(
    data: &Data,
    round: &Round,
    position: i64,
    events: &[&BuzzerEventRow],
    teams: &[TeamId],
    report: &mut Report,
) -> Option<Vec<ScoreChange>> {
    let Ok(config) = &round.config else { return None };
    let at = Location {
        index: usize::try_from(position).ok(),
        ..round_location(round)
    };
    let served = round.questions.iter().find(|q| q.position == position);
    // The question as it opened: its setup in the round's state document (teams, settings, the team it was
    // assigned to), or a 抢答 question among every team for a round without one.
    let setup = round
        .stage
        .as_ref()
        .and_then(|s| s.setups.get(&usize::try_from(position).unwrap_or(usize::MAX)));
    let opened = match setup {
        Some(setup) => setup.question(),
        None => BuzzerQuestion::new(config.buzzer.clone(), teams.to_vec()),
    };
    let mut state = match opened {
        Ok(state) => state,
        Err(e) => {
            report.add(difference(
                "buzzer",
                at,
                "settings",
                json!(null),
                json!(null),
                format!("{e}"),
            ));
            return None;
        }
    };
    let mut changes = Vec::new();
    let mut closed_by_organizer = false;
    for (expected_n, row) in (1..).zip(events) {
        report.checked.buzzer_events += 1;
        let at = Location {
            event: Some(row.n),
            ..at.clone()
        };
        if row.n != expected_n {
            report.add(difference(
                "buzzer",
                at,
                "n",
                json!(row.n),
                json!(expected_n),
                "the question's buzzer log has a gap or a repeated number".into(),
            ));
            return None;
        }
        let event = match event_of(row) {
            Ok(Some(event)) => event,
            Ok(None) => {
                closed_by_organizer = true;
                continue;
            }
            Err(message) => {
                report.add(difference(
                    "buzzer",
                    at,
                    "kind",
                    json!(row.kind),
                    json!(null),
                    message,
                ));
                return None;
            }
        };
        if let (BuzzerEvent::Judge { correct, .. }, Some(text), Some("device")) =
            (event, &row.response, row.created_by.as_deref())
            && let Some(question) = served.and_then(|q| data.questions.get(&q.question_uid))
        {
            match serde_json::from_str::<Response>(text) {
                Ok(response) => {
                    let right =
                        score_response(question, &response, None, round.questions.len(), &config.scoring)
                            .correct;
                    if right != correct {
                        report.add(difference(
                            "buzzer",
                            at.clone(),
                            "correct",
                            json!(correct),
                            json!(right),
                            "the verdict on the device's answer differs from its response against the key"
                                .into(),
                        ));
                    }
                }
                Err(e) => report.add(difference(
                    "buzzer",
                    at.clone(),
                    "response",
                    json!(text),
                    json!(null),
                    format!("the device answer does not parse: {e}"),
                )),
            }
        }
        match state.step(&event) {
            Ok((next, outcomes)) => {
                state = next;
                changes.extend(outcomes.into_iter().filter_map(|o| match o {
                    BuzzerOutcome::Score { change } => Some(change),
                    _ => None,
                }));
            }
            Err(e) => {
                report.add(difference(
                    "buzzer",
                    at,
                    "event",
                    json!(row.kind),
                    json!(null),
                    format!("the rules refuse this stored event: {e}"),
                ));
                return None;
            }
        }
    }
    let ended = closed_by_organizer || state.closure().is_some();
    if let Some(q) = served
        && ended != (q.state == "closed")
    {
        report.add(difference(
            "buzzer",
            at,
            "state",
            json!(q.state),
            json!(if ended { "closed" } else { "open or skipped" }),
            "the question's stored state does not match its buzzer log".into(),
        ));
    }
    Some(changes)
}

/// Compare the ledger's rule entries of one question with the replayed score changes.
fn compare_entries(at: &Location, stored: &[&StageEntryRow], replayed: &[ScoreChange], report: &mut Report) {
    if stored.len() != replayed.len() {
        report.add(difference(
            "ledger",
            at.clone(),
            "entries",
            json!(stored.len()),
            json!(replayed.len()),
            "the ledger holds another number of entries for this question than its buzzer log gives".into(),
        ));
    }
    for (entry, change) in stored.iter().zip(replayed) {
        let at = Location {
            entry: Some(entry.id),
            ..at.clone()
        };
        let reason = parse_reason(&entry.reason, entry.undoes);
        let fields: [(&str, Value, Value); 3] = [
            ("team", json!(entry.team_id), json!(change.team)),
            (
                "delta",
                json!(points(entry.delta_centi)),
                json!(points(change.delta_centi)),
            ),
            ("reason", json!(entry.reason), json!(reason_name(change.reason))),
        ];
        for (field, s, r) in fields {
            let differs = match field {
                "reason" => reason != Some(change.reason),
                _ => s != r,
            };
            if differs {
                report.add(difference(
                    "ledger",
                    at.clone(),
                    field,
                    s,
                    r,
                    "the ledger entry differs from what the rules make of the buzzer log".into(),
                ));
            }
        }
    }
}

/// Check the ledger and return the recomputed team standings (null without teams).
pub fn check(data: &Data, report: &mut Report) -> Value {
    report.checked.teams = data.teams.len();
    report.checked.ledger_entries = data.entries.len();
    if data.teams.is_empty() {
        if !data.entries.is_empty() {
            report.add(difference(
                "ledger",
                Location::default(),
                "teams",
                json!(0),
                json!(null),
                format!("{} ledger entries but no stage teams", data.entries.len()),
            ));
        }
        return Value::Null;
    }
    let team_ids: Vec<TeamId> = data.teams.iter().map(|t| t.id).collect();
    let base = data
        .rounds
        .iter()
        .filter(|r| r.kind.is_some_and(RoundKind::is_stage))
        .find_map(|r| r.config.as_ref().ok().map(|c| c.stage.base_score))
        .unwrap_or_default();
    let mut entries = Vec::with_capacity(data.entries.len());
    for row in &data.entries {
        let Some(reason) = parse_reason(&row.reason, row.undoes) else {
            report.add(difference(
                "ledger",
                Location {
                    entry: Some(row.id),
                    ..Location::default()
                },
                "reason",
                json!(row.reason),
                json!(null),
                "an unknown reason".into(),
            ));
            return Value::Null;
        };
        entries.push(LedgerEntry {
            id: u64::try_from(row.id).unwrap_or(0),
            team: row.team_id,
            delta_centi: row.delta_centi,
            reason,
            note: row.note.clone(),
        });
    }
    let ledger = match Ledger::from_entries(base, &team_ids, entries) {
        Ok(ledger) => ledger,
        Err(e) => {
            report.add(difference(
                "ledger",
                Location::default(),
                "sequence",
                json!(null),
                json!(null),
                format!("the ledger cannot be rebuilt entry by entry: {e}"),
            ));
            return Value::Null;
        }
    };
    for round in data
        .rounds
        .iter()
        .filter(|r| r.kind.is_some_and(RoundKind::is_stage) && r.started())
    {
        let mut by_question: BTreeMap<i64, Vec<&BuzzerEventRow>> = BTreeMap::new();
        for event in &round.events {
            by_question.entry(event.position).or_default().push(event);
        }
        for q in round.questions.iter().filter(|q| q.opened_at.is_some()) {
            by_question.entry(q.position).or_default();
        }
        for (position, events) in by_question {
            report.checked.buzzer_questions += 1;
            let Some(mut replayed) = replay(data, round, position, &events, &team_ids, report) else {
                continue;
            };
            if round.kind == Some(RoundKind::Tiebreak) {
                // A 加赛 decides places only: the engine records no ledger entry for its questions.
                replayed.clear();
            }
            let stored: Vec<&StageEntryRow> = data
                .entries
                .iter()
                .filter(|e| e.round_id == Some(round.row.id) && e.position == Some(position))
                .collect();
            let at = Location {
                index: usize::try_from(position).ok(),
                ..round_location(round)
            };
            compare_entries(&at, &stored, &replayed, report);
        }
    }
    let unit = |team: TeamId| data.teams.iter().find(|t| t.id == team).map(|t| t.unit.clone());
    json!(
        ledger
            .standings()
            .iter()
            .map(|s| json!({
                "team": s.team,
                "unit": unit(s.team),
                "total": points(s.total_centi),
                "rank": s.rank,
            }))
            .collect::<Vec<_>>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_reasons_parse_as_the_engine_writes_them() {
        assert_eq!(parse_reason("buzzer_right", None), Some(Reason::BuzzerRight));
        assert_eq!(parse_reason("foul", None), Some(Reason::Foul));
        assert_eq!(parse_reason("undo_of", Some(3)), Some(Reason::UndoOf(3)));
        assert_eq!(parse_reason("undo_of", None), None);
        assert_eq!(parse_reason("teleport", None), None);
        assert_eq!(reason_name(Reason::BuzzerLate), "buzzer_late");
        assert_eq!(reason_name(Reason::UndoOf(9)), "undo_of");
    }

    #[test]
    fn stored_events_map_to_rule_events() {
        let row = |kind: &str| BuzzerEventRow {
            round_id: 1,
            position: 0,
            n: 1,
            kind: kind.into(),
            team_id: Some(2),
            at_ms: 5_000,
            seq: Some(7),
            window_no: Some(1),
            correct: Some(true),
            ..BuzzerEventRow::default()
        };
        assert_eq!(event_of(&row("close")), Ok(None));
        assert_eq!(event_of(&row("arm")), Ok(Some(BuzzerEvent::Arm)));
        assert_eq!(
            event_of(&row("buzz")),
            Ok(Some(BuzzerEvent::Buzz(Buzz {
                team: 2,
                server_ms: 5_000,
                seq: 7,
                client_ms: None
            })))
        );
        assert_eq!(
            event_of(&row("judge")),
            Ok(Some(BuzzerEvent::Judge {
                team: 2,
                correct: true
            }))
        );
        assert_eq!(
            event_of(&row("window_timeout")),
            Ok(Some(BuzzerEvent::BuzzWindowTimeout { window: 1 }))
        );
        assert!(event_of(&row("teleport")).is_err());
        let no_seq = BuzzerEventRow {
            seq: None,
            ..row("buzz")
        };
        assert!(event_of(&no_seq).is_err());
    }
}
