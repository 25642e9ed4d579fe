//! Recomputing every score, total, ranking and unit standing from the raw answers, the question keys and the
//! round rules, exactly as the engine does (`contest::live`, `contest::exam`, `contest::standings`) with the
//! same pure functions (`crate::scoring`); then comparing the results with the fingerprint the server recorded
//! in the audit log when the contest finished (or a bank re-import regraded it).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::answers::Answers;
use super::load::Data;
use super::record::{BANK_IMPORT_ACTION, Fingerprint, RESULTS_ACTION, fingerprint};
use super::report::{Difference, Location, Report};
use crate::contest::{ContestState, RoundKind, RoundState};
use crate::paper::Paper;
use crate::scoring::{
    Ranked, Scored, Standing, Timing, UnitMember, UnitScoring, rank, score_response, unit_standings_of,
};

/// (round id, question uid) -> participant -> score, as the engine's `scored`.
pub type ScoredMap = HashMap<(i64, i64), BTreeMap<i64, Scored>>;

fn points(centi: i64) -> f64 {
    centi as f64 / 100.0
}

/// Score what the engine scores: every answer of a closed live question (with the speed bonus of its answer
/// time), every answer on a paper of a finished exam round (no bonus). Stage rounds score teams, not answers.
pub fn score(data: &Data, answers: &Answers, report: &mut Report) -> ScoredMap {
    let mut scored = ScoredMap::new();
    for round in &data.rounds {
        let config = match &round.config {
            Ok(config) => config,
            Err(e) => {
                report.add(Difference {
                    check: "results",
                    location: super::draws::round_location(round),
                    field: "config".into(),
                    stored: json!(round.row.config),
                    recomputed: json!(null),
                    message: format!("the round's settings do not parse, so it cannot be rescored: {e}"),
                });
                continue;
            }
        };
        match round.kind {
            Some(RoundKind::Live) => {
                let count = round.questions.len();
                let limit_ms = config.question_ms();
                for q in round.questions.iter().filter(|q| q.state == "closed") {
                    let Some(question) = data.questions.get(&q.question_uid) else {
                        continue;
                    };
                    let mut scores = BTreeMap::new();
                    for (pid, a) in answers.get(&(round.row.id, q.question_uid)).into_iter().flatten() {
                        let timing = Timing {
                            elapsed_ms: a.elapsed_ms,
                            limit_ms,
                        };
                        scores.insert(
                            *pid,
                            score_response(question, &a.response, Some(timing), count, &config.scoring),
                        );
                    }
                    report.checked.answers_scored += scores.len();
                    scored.insert((round.row.id, q.question_uid), scores);
                }
            }
            Some(RoundKind::Exam) if round.state == Some(RoundState::Finished) => {
                for (pid, row) in &round.papers {
                    let Ok(paper) = serde_json::from_str::<Paper>(&row.items) else {
                        continue;
                    };
                    let count = paper.items.len();
                    for item in &paper.items {
                        let Some(question) = data.questions.get(&item.uid) else {
                            continue;
                        };
                        if let Some(a) = answers.get(&(round.row.id, item.uid)).and_then(|m| m.get(pid)) {
                            let s = score_response(question, &a.response, None, count, &config.scoring);
                            scored
                                .entry((round.row.id, item.uid))
                                .or_default()
                                .insert(*pid, s);
                            report.checked.answers_scored += 1;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    scored
}

/// Each participant's totals over what is scored, plus adjustments (`contest::standings::standings`).
fn standings(
    data: &Data,
    answers: &Answers,
    scored: &ScoredMap,
    adjustments: &BTreeMap<i64, i64>,
) -> Vec<Standing> {
    let mut totals: BTreeMap<i64, Standing> = data
        .participants
        .keys()
        .map(|&pid| {
            let standing = Standing {
                participant_id: pid,
                score_centi: adjustments.get(&pid).copied().unwrap_or(0),
                correct: 0,
                answer_time_ms: 0,
                finished_at_ms: None,
            };
            (pid, standing)
        })
        .collect();
    let kinds: HashMap<i64, Option<RoundKind>> = data.rounds.iter().map(|r| (r.row.id, r.kind)).collect();
    for ((round_id, uid), scores) in scored {
        let is_live = kinds.get(round_id) == Some(&Some(RoundKind::Live));
        let round_answers = answers.get(&(*round_id, *uid));
        for (pid, s) in scores {
            let Some(total) = totals.get_mut(pid) else {
                continue;
            };
            total.score_centi += s.points_centi + s.bonus_centi;
            if s.correct {
                total.correct += 1;
            }
            if is_live && let Some(a) = round_answers.and_then(|m| m.get(pid)) {
                total.answer_time_ms += a.elapsed_ms;
                total.finished_at_ms = total.finished_at_ms.max(Some(a.received_at));
            }
        }
    }
    for round in data.rounds.iter().filter(|r| r.kind == Some(RoundKind::Live)) {
        let Ok(config) = &round.config else { continue };
        let limit = config.question_ms();
        for q in round.questions.iter().filter(|q| q.state == "closed") {
            let round_answers = answers.get(&(round.row.id, q.question_uid));
            for (pid, total) in totals.iter_mut() {
                if !round_answers.is_some_and(|m| m.contains_key(pid)) {
                    total.answer_time_ms += limit;
                }
            }
        }
    }
    for round in data
        .rounds
        .iter()
        .filter(|r| r.kind == Some(RoundKind::Exam) && r.state == Some(RoundState::Finished))
    {
        let Ok(config) = &round.config else { continue };
        let limit = i64::from(config.time_limit_seconds) * 1000;
        for (pid, total) in totals.iter_mut() {
            match round.papers.get(pid) {
                Some(paper) => {
                    let submitted = paper.submitted_at.unwrap_or(paper.deadline_at);
                    total.answer_time_ms += (submitted - paper.started_at).max(0);
                    total.finished_at_ms = total.finished_at_ms.max(Some(submitted));
                }
                None => total.answer_time_ms += limit,
            }
        }
    }
    totals.into_values().collect()
}

/// The recomputed results in the shape of `GET /api/contests/{id}/results` (`contest::standings::results_view`),
/// counting the score adjustments up to `adjustments_through` (all of them for `None`).
pub fn results_view(
    data: &Data,
    answers: &Answers,
    scored: &ScoredMap,
    adjustments_through: Option<i64>,
) -> (Value, Vec<Ranked>) {
    let mut adjustments: BTreeMap<i64, i64> = BTreeMap::new();
    for a in data
        .adjustments
        .iter()
        .filter(|a| adjustments_through.is_none_or(|through| a.id <= through))
    {
        *adjustments.entry(a.participant_id).or_default() += a.delta_centi;
    }
    let joined = |pid: &i64| data.participants.get(pid).is_some_and(|p| p.joined_at.is_some());
    let mut list = standings(data, answers, scored, &adjustments);
    list.retain(|s| joined(&s.participant_id));
    let ranked = rank(list);
    let mut entries: Vec<Value> = ranked
        .iter()
        .map(|r| {
            let p = data.participants.get(&r.standing.participant_id);
            json!({
                "rank": r.rank,
                "participant_id": r.standing.participant_id,
                "name": p.map(|p| p.name.as_str()),
                "badge": p.and_then(|p| p.badge.as_deref()),
                "unit": p.map(|p| p.unit.as_str()),
                "score": points(r.standing.score_centi),
                "correct": r.standing.correct,
                "answer_time_ms": r.standing.answer_time_ms,
                "finished_at": r.standing.finished_at_ms,
                "decided_by": r.decided_by,
                "absent": false,
            })
        })
        .collect();
    let in_ranking: std::collections::HashSet<i64> =
        ranked.iter().map(|r| r.standing.participant_id).collect();
    let adjustment = |pid: i64| adjustments.get(&pid).copied().unwrap_or(0);
    entries.extend(
        data.participants
            .values()
            .filter(|p| !in_ranking.contains(&p.id))
            .map(|p| {
                json!({
                    "rank": Value::Null,
                    "participant_id": p.id,
                    "name": p.name,
                    "badge": p.badge,
                    "unit": p.unit,
                    "score": points(adjustment(p.id)),
                    "correct": 0,
                    "answer_time_ms": Value::Null,
                    "finished_at": Value::Null,
                    "decided_by": Value::Null,
                    "absent": p.joined_at.is_none(),
                })
            }),
    );
    let mut members: Vec<UnitMember<'_>> = Vec::with_capacity(data.participants.len());
    for r in &ranked {
        if let Some(p) = data.participants.get(&r.standing.participant_id) {
            members.push(UnitMember {
                unit: &p.unit,
                score_centi: r.standing.score_centi,
                joined: true,
            });
        }
    }
    for p in data.participants.values().filter(|p| !in_ranking.contains(&p.id)) {
        members.push(UnitMember {
            unit: &p.unit,
            score_centi: adjustment(p.id),
            joined: p.joined_at.is_some(),
        });
    }
    let unit_scoring = UnitScoring::parse(&data.contest.unit_scoring).unwrap_or(UnitScoring::Sum);
    let units: Vec<Value> = unit_standings_of(&members, unit_scoring)
        .into_iter()
        .map(|u| {
            json!({
                "rank": u.rank,
                "unit": u.unit,
                "members": u.members,
                "joined": u.joined,
                "score": points(u.score_centi),
            })
        })
        .collect();
    let state = ContestState::parse(&data.contest.state).unwrap_or(ContestState::Draft);
    let view = json!({
        "contest_id": data.contest.id,
        "state": state,
        "ranking": entries,
        "units": units,
        "unit_scoring": unit_scoring,
    });
    (view, ranked)
}

/// Compare the recomputed results with the latest fingerprint in the audit log.
pub fn check_record(data: &Data, answers: &Answers, scored: &ScoredMap, report: &mut Report) {
    let Some(row) = data
        .audit
        .iter()
        .rev()
        .find(|r| r.action == RESULTS_ACTION && r.outcome == "ok")
    else {
        if data.contest.state == "finished" {
            report.note(
                "the audit log holds no results recorded at the finish (the contest finished before results \
                 were recorded): the recomputed results are not compared with stored ones",
            );
        }
        return;
    };
    report.checked.results_record = Some(row.id);
    let at = Location {
        audit_row: Some(row.id),
        ..Location::default()
    };
    let parsed = serde_json::from_str::<Value>(&row.detail)
        .ok()
        .and_then(|detail| Fingerprint::from_detail(&detail));
    let Some((recorded, through)) = parsed else {
        report.add(Difference {
            check: "results",
            location: at,
            field: "detail".into(),
            stored: json!(row.detail),
            recomputed: json!(null),
            message: "the recorded results do not parse".into(),
        });
        return;
    };
    let (view, _) = results_view(data, answers, scored, Some(through));
    let now = fingerprint(&view);
    let later_import = data
        .audit
        .iter()
        .find(|r| r.id > row.id && r.action == BANK_IMPORT_ACTION && r.outcome == "ok")
        .map(|r| {
            format!(
                "; a bank was imported after they were recorded (audit row {})",
                r.id
            )
        })
        .unwrap_or_default();
    let mut differ = |field: &str, stored: Value, recomputed: Value, what: &str| {
        report.add(Difference {
            check: "results",
            location: at.clone(),
            field: field.into(),
            stored,
            recomputed,
            message: format!(
                "{what} differs from the results recorded at the {} (audit row {}){later_import}",
                recorded_cause(&row.detail),
                row.id
            ),
        });
    };
    let mut fields = 0;
    for (field, stored, recomputed, what) in [
        (
            "participants",
            recorded.participants,
            now.participants,
            "the number of participants",
        ),
        (
            "ranked",
            recorded.ranked,
            now.ranked,
            "the number of ranked participants",
        ),
        ("units", recorded.units, now.units, "the number of units"),
        (
            "correct_sum",
            recorded.correct_sum,
            now.correct_sum,
            "the total of correct answers",
        ),
    ] {
        if stored != recomputed {
            fields += 1;
            differ(field, json!(stored), json!(recomputed), what);
        }
    }
    if recorded.score_sum_centi != now.score_sum_centi {
        fields += 1;
        differ(
            "score_sum",
            json!(points(recorded.score_sum_centi)),
            json!(points(now.score_sum_centi)),
            "the sum of all scores",
        );
    }
    if fields == 0 && recorded.sha256 != now.sha256 {
        differ(
            "sha256",
            json!(recorded.sha256),
            json!(now.sha256),
            "the ranking or the unit standings (places, scores, times or tie-breaks)",
        );
    }
}

fn recorded_cause(detail: &str) -> String {
    match serde_json::from_str::<Value>(detail)
        .ok()
        .and_then(|d| d["cause"].as_str().map(str::to_owned))
        .as_deref()
    {
        Some("bank_import") => "bank re-import".into(),
        Some(cause) => cause.replace('_', " "),
        None => "finish".into(),
    }
}
