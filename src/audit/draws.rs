//! Regenerating every draw from the contest seed (`crate::paper`, the same draw as the engine's) and comparing
//! it with what was served: the shared draw of each live and buzzer round (`round_questions`) and each
//! participant's exam paper (`papers`), questions and option orders.
//!
//! A draw leaves out the questions met in earlier rounds (`seen`). The engine computes that set when it draws,
//! from the rounds placed before this one that had been played by then, so the regeneration takes the rounds
//! placed before it that *started before it*: a round placed earlier but played later did not count.

use std::collections::HashSet;

use serde_json::json;

use super::load::{Data, Round};
use super::report::{Difference, Location, Report};
use crate::contest::RoundKind;
use crate::paper::{Paper, PaperItem, PaperRng, PoolQuestion, draw_paper, summarize};

/// Differences reported per draw or paper before the rest are summed up in one line.
const SHOWN_PER_DRAW: usize = 5;

/// The questions of the contest's banks as the drawer sees them.
pub fn pool(data: &Data) -> Vec<PoolQuestion> {
    let mut pool: Vec<PoolQuestion> = data
        .questions
        .iter()
        .map(|(uid, q)| PoolQuestion {
            uid: *uid,
            qtype: q.qtype,
            category: q.category.clone(),
            difficulty: q.difficulty,
            option_count: q.options.len(),
            links: crate::paper::DrawLinks::of(q),
        })
        .collect();
    pool.sort_by_key(|q| q.uid);
    pool
}

/// Questions met before `round` was drawn: the shared draws of rounds placed before it and started before it,
/// and their papers (only `participant`'s, for an exam paper; everyone's, for a shared draw).
fn seen_before(data: &Data, round: &Round, participant: Option<i64>) -> HashSet<i64> {
    let mut seen = HashSet::new();
    let Some(started) = round.row.started_at else {
        return seen;
    };
    for earlier in data
        .rounds
        .iter()
        .filter(|r| r.row.position < round.row.position && r.row.started_at.is_some_and(|s| s < started))
    {
        seen.extend(earlier.questions.iter().map(|q| q.question_uid));
        match participant {
            Some(pid) => {
                if let Some(paper) = earlier.papers.get(&pid)
                    && let Ok(paper) = serde_json::from_str::<Paper>(&paper.items)
                {
                    seen.extend(paper.items.iter().map(|i| i.uid));
                }
            }
            None => {
                for paper in earlier.papers.values() {
                    if let Ok(paper) = serde_json::from_str::<Paper>(&paper.items) {
                        seen.extend(paper.items.iter().map(|i| i.uid));
                    }
                }
            }
        }
    }
    seen
}

pub fn round_location(round: &Round) -> Location {
    Location {
        round_id: Some(round.row.id),
        round: Some(round.number()),
        round_title: Some(round.row.title.clone()),
        ..Location::default()
    }
}

/// Compare a served draw with the regenerated one, item by item.
fn compare(
    data: &Data,
    check: &'static str,
    at: &Location,
    served: &[PaperItem],
    regenerated: &[PaperItem],
    report: &mut Report,
) {
    let mut found = 0usize;
    let mut differ = |report: &mut Report, d: Difference| {
        found += 1;
        if found <= SHOWN_PER_DRAW {
            report.add(d);
        }
    };
    if served.len() != regenerated.len() {
        differ(
            report,
            Difference {
                check,
                location: at.clone(),
                field: "questions".into(),
                stored: json!(served.len()),
                recomputed: json!(regenerated.len()),
                message: format!(
                    "{} questions were served, the seed gives {}",
                    served.len(),
                    regenerated.len()
                ),
            },
        );
    }
    for (index, (s, r)) in served.iter().zip(regenerated).enumerate() {
        let location = Location {
            index: Some(index),
            question_uid: Some(s.uid),
            question_id: data.questions.get(&s.uid).map(|q| q.id.clone()),
            ..at.clone()
        };
        if s.uid != r.uid {
            let id = |uid| data.questions.get(&uid).map_or("?", |q| q.id.as_str()).to_owned();
            differ(
                report,
                Difference {
                    check,
                    location,
                    field: "question".into(),
                    stored: json!(s.uid),
                    recomputed: json!(r.uid),
                    message: format!(
                        "question uid {} [{}] was served here; the seed draws uid {} [{}]",
                        s.uid,
                        id(s.uid),
                        r.uid,
                        id(r.uid)
                    ),
                },
            );
        } else if s.option_order != r.option_order {
            differ(
                report,
                Difference {
                    check,
                    location,
                    field: "option_order".into(),
                    stored: json!(s.option_order),
                    recomputed: json!(r.option_order),
                    message: "the options were shown in another order than the seed gives".into(),
                },
            );
        }
    }
    if found > SHOWN_PER_DRAW {
        report.add(Difference {
            check,
            location: at.clone(),
            field: "more".into(),
            stored: json!(null),
            recomputed: json!(null),
            message: format!(
                "{} more differences of this draw are not listed",
                found - SHOWN_PER_DRAW
            ),
        });
    }
}

fn unreadable(check: &'static str, at: Location, field: &str, message: String) -> Difference {
    Difference {
        check,
        location: at,
        field: field.into(),
        stored: json!(null),
        recomputed: json!(null),
        message,
    }
}

/// Regenerate and compare every draw of the contest.
pub fn check(data: &Data, report: &mut Report) {
    let pool = pool(data);
    let seed = data.contest.seed as u64;
    for round in data.rounds.iter().filter(|r| r.started()) {
        let at = round_location(round);
        let Ok(config) = &round.config else {
            continue; // reported by the score check
        };
        match round.kind {
            // Live and every stage round share one draw for everyone (`start_live_round`).
            Some(
                RoundKind::Live
                | RoundKind::Buzzer
                | RoundKind::Compulsory
                | RoundKind::Wager
                | RoundKind::Tiebreak,
            ) => {
                let served: Result<Vec<PaperItem>, String> = round
                    .questions
                    .iter()
                    .map(|q| {
                        serde_json::from_str(&q.option_order)
                            .map(|option_order| PaperItem {
                                uid: q.question_uid,
                                option_order,
                            })
                            .map_err(|e| format!("question {}: option order does not parse: {e}", q.position))
                    })
                    .collect();
                let served = match served {
                    Ok(served) => served,
                    Err(message) => {
                        report.add(unreadable("draw", at, "option_order", message));
                        continue;
                    }
                };
                let mut rng = PaperRng::for_paper(seed, round.row.id, 0);
                match draw_paper(
                    &mut rng,
                    &config.blueprint,
                    &pool,
                    &seen_before(data, round, None),
                ) {
                    Ok(paper) => compare(data, "draw", &at, &served, &paper.items, report),
                    Err(problems) => report.add(unreadable(
                        "draw",
                        at,
                        "blueprint",
                        format!("the round's draw cannot be regenerated: {}", summarize(&problems)),
                    )),
                }
                report.checked.draws += 1;
                report.checked.draw_questions += served.len();
            }
            Some(RoundKind::Exam) => {
                for (pid, row) in &round.papers {
                    let at = Location {
                        participant_id: Some(*pid),
                        participant: data.participants.get(pid).map(|p| p.name.clone()),
                        ..at.clone()
                    };
                    if !data.participants.contains_key(pid) {
                        report.add(unreadable(
                            "paper",
                            at.clone(),
                            "participant",
                            format!("a paper of participant {pid}, who is not in this contest"),
                        ));
                    }
                    let served: Paper = match serde_json::from_str(&row.items) {
                        Ok(paper) => paper,
                        Err(e) => {
                            report.add(unreadable(
                                "paper",
                                at,
                                "items",
                                format!("the stored paper does not parse: {e}"),
                            ));
                            continue;
                        }
                    };
                    let mut rng = PaperRng::for_paper(seed, round.row.id, *pid);
                    let seen = seen_before(data, round, Some(*pid));
                    match draw_paper(&mut rng, &config.blueprint, &pool, &seen) {
                        Ok(paper) => compare(data, "paper", &at, &served.items, &paper.items, report),
                        Err(problems) => report.add(unreadable(
                            "paper",
                            at,
                            "blueprint",
                            format!("the paper cannot be regenerated: {}", summarize(&problems)),
                        )),
                    }
                    report.checked.papers += 1;
                    report.checked.paper_questions += served.items.len();
                }
            }
            _ => report.note(format!(
                "round {} is of kind `{}`: its draw was not checked",
                round.number(),
                round.row.kind
            )),
        }
    }
}
