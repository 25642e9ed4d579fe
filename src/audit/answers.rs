//! Every stored answer, checked on its own: it belongs to a participant and a round of the contest, to a
//! question that was served to its author, its response is one the server could have accepted, and its receive
//! time and answer time agree with the question's clock (live) or the paper's (exam).

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use super::draws::round_location;
use super::load::{Data, Round};
use super::report::{Difference, Location, Report};
use crate::bank::{MAX_BLANK_CHARS, Question, QuestionType, Response};
use crate::contest::RoundKind;
use crate::paper::Paper;
use crate::store::AnswerRow;

/// An answer as the engine keeps it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub response: Response,
    pub received_at: i64,
    pub elapsed_ms: i64,
}

/// (round id, question uid) -> participant -> answer, as the engine loads them.
pub type Answers = HashMap<(i64, i64), BTreeMap<i64, Answer>>;

/// Why a response could not have been accepted for `question` (`contest::to_response` stores choices as
/// sorted, distinct original indices, one for single and true/false; blanks one per blank, each at most
/// [`MAX_BLANK_CHARS`] characters).
pub fn shape_problem(question: &Question, response: &Response) -> Option<String> {
    match (question.qtype, response) {
        (QuestionType::Fill, Response::Blanks(blanks)) => {
            if blanks.len() != question.blank_count() {
                Some(format!(
                    "{} blank(s) answered, the question has {}",
                    blanks.len(),
                    question.blank_count()
                ))
            } else if blanks.iter().any(|b| b.chars().count() > MAX_BLANK_CHARS) {
                Some(format!("a blank is longer than {MAX_BLANK_CHARS} characters"))
            } else {
                None
            }
        }
        (QuestionType::Fill, Response::Choice(_)) => Some("options picked for a fill-in question".into()),
        (_, Response::Blanks(_)) => Some("blanks typed for a choice question".into()),
        (qtype, Response::Choice(picked)) => {
            if picked.is_empty() {
                Some("no option picked".into())
            } else if !picked.windows(2).all(|w| w[0] < w[1]) {
                Some("the options are not sorted and distinct, as the server stores them".into())
            } else if let Some(bad) = picked.iter().find(|&&i| i >= question.options.len()) {
                Some(format!(
                    "option {bad} does not exist (the question has {})",
                    question.options.len()
                ))
            } else if qtype != QuestionType::Multiple && picked.len() != 1 {
                Some(format!("{} options picked where one is allowed", picked.len()))
            } else {
                None
            }
        }
    }
}

fn difference(
    at: Location,
    field: &str,
    stored: serde_json::Value,
    recomputed: serde_json::Value,
    message: String,
) -> Difference {
    Difference {
        check: "answer",
        location: at,
        field: field.into(),
        stored,
        recomputed,
        message,
    }
}

/// The receive and answer times of a live answer against the question's clock.
fn check_live(round: &Round, row: &AnswerRow, at: &Location, report: &mut Report) {
    let Ok(config) = &round.config else { return };
    let Some(q) = round
        .questions
        .iter()
        .find(|q| q.question_uid == row.question_uid)
    else {
        report.add(difference(
            at.clone(),
            "question",
            json!(row.question_uid),
            json!(null),
            "an answer to a question that is not in the round's draw".into(),
        ));
        return;
    };
    let Some(opened) = q.opened_at else {
        report.add(difference(
            at.clone(),
            "received_at",
            json!(row.received_at),
            json!(null),
            "an answer to a question that never opened".into(),
        ));
        return;
    };
    let limit = config.question_ms();
    let grace = i64::from(config.grace_ms);
    if row.received_at < opened {
        report.add(difference(
            at.clone(),
            "received_at",
            json!(row.received_at),
            json!(opened),
            format!(
                "received {} ms before the question opened",
                opened - row.received_at
            ),
        ));
    }
    if let Some(closed) = q.closed_at
        && row.received_at > closed
    {
        report.add(difference(
            at.clone(),
            "received_at",
            json!(row.received_at),
            json!(closed),
            format!(
                "received {} ms after the question closed",
                row.received_at - closed
            ),
        ));
    }
    // Never paused: the deadline is still the opening time plus the limit, so the answer time follows from
    // the receive time exactly (a pause moves the deadline; then only the bounds are checked).
    if q.deadline_at == Some(opened + limit) {
        let expected = (row.received_at - opened).clamp(0, limit);
        if row.elapsed_ms != expected {
            report.add(difference(
                at.clone(),
                "elapsed_ms",
                json!(row.elapsed_ms),
                json!(expected),
                "the answer time does not match the receive time and the question's opening".into(),
            ));
        }
        if row.received_at > opened + limit + grace {
            report.add(difference(
                at.clone(),
                "received_at",
                json!(row.received_at),
                json!(opened + limit + grace),
                "received after the deadline and its grace".into(),
            ));
        }
    } else if !(0..=limit).contains(&row.elapsed_ms) {
        report.add(difference(
            at.clone(),
            "elapsed_ms",
            json!(row.elapsed_ms),
            json!(null),
            format!("an answer time outside the question's {limit} ms"),
        ));
    }
}

/// The receive and answer times of an exam answer against the participant's paper.
fn check_exam(round: &Round, row: &AnswerRow, at: &Location, report: &mut Report) {
    let Ok(config) = &round.config else { return };
    let Some(paper) = round.papers.get(&row.participant_id) else {
        report.add(difference(
            at.clone(),
            "paper",
            json!(null),
            json!(null),
            "an answer from a participant who has no paper in this round".into(),
        ));
        return;
    };
    let on_paper = serde_json::from_str::<Paper>(&paper.items)
        .is_ok_and(|p| p.items.iter().any(|i| i.uid == row.question_uid));
    if !on_paper {
        report.add(difference(
            at.clone(),
            "question",
            json!(row.question_uid),
            json!(null),
            "an answer to a question that is not on the participant's paper".into(),
        ));
    }
    let expected = row.received_at - paper.started_at;
    if row.elapsed_ms != expected {
        report.add(difference(
            at.clone(),
            "elapsed_ms",
            json!(row.elapsed_ms),
            json!(expected),
            "the answer time is not the receive time minus the paper's opening".into(),
        ));
    }
    let latest = paper.deadline_at + i64::from(config.grace_ms);
    if row.received_at < paper.started_at || row.received_at > latest {
        report.add(difference(
            at.clone(),
            "received_at",
            json!(row.received_at),
            json!([paper.started_at, latest]),
            "received outside the paper's time (opening to deadline plus grace)".into(),
        ));
    }
    if let Some(submitted) = paper.submitted_at
        && !paper.auto_submitted
        && row.received_at > submitted
    {
        report.add(difference(
            at.clone(),
            "received_at",
            json!(row.received_at),
            json!(submitted),
            "received after the participant handed the paper in".into(),
        ));
    }
}

/// Check every answer row and return the answers as the engine would load them.
pub fn check(data: &Data, report: &mut Report) -> Answers {
    let rounds: HashMap<i64, &Round> = data.rounds.iter().map(|r| (r.row.id, r)).collect();
    let mut answers = Answers::new();
    let mut unscored_kinds: BTreeMap<String, usize> = BTreeMap::new();
    for row in &data.answers {
        report.checked.answers += 1;
        let Some(round) = rounds.get(&row.round_id) else {
            report.add(difference(
                Location {
                    round_id: Some(row.round_id),
                    participant_id: Some(row.participant_id),
                    question_uid: Some(row.question_uid),
                    ..Location::default()
                },
                "round",
                json!(row.round_id),
                json!(null),
                "an answer to a round that is not in this contest".into(),
            ));
            continue;
        };
        let at = Location {
            participant_id: Some(row.participant_id),
            participant: data.participants.get(&row.participant_id).map(|p| p.name.clone()),
            question_uid: Some(row.question_uid),
            question_id: data.questions.get(&row.question_uid).map(|q| q.id.clone()),
            ..round_location(round)
        };
        if !data.participants.contains_key(&row.participant_id) {
            report.add(difference(
                at.clone(),
                "participant",
                json!(row.participant_id),
                json!(null),
                "an answer from someone who is not a participant of this contest".into(),
            ));
        }
        let response: Response = match serde_json::from_str(&row.response) {
            Ok(response) => response,
            Err(e) => {
                report.add(difference(
                    at,
                    "response",
                    json!(row.response),
                    json!(null),
                    format!("the stored response does not parse: {e}"),
                ));
                continue;
            }
        };
        match data.questions.get(&row.question_uid) {
            Some(question) => {
                if let Some(problem) = shape_problem(question, &response) {
                    report.add(difference(
                        at.clone(),
                        "response",
                        json!(row.response),
                        json!(null),
                        format!("a response the server could not have accepted: {problem}"),
                    ));
                }
            }
            None => report.add(difference(
                at.clone(),
                "question",
                json!(row.question_uid),
                json!(null),
                "an answer to a question that is in none of the contest's banks".into(),
            )),
        }
        match round.kind {
            Some(RoundKind::Live) => check_live(round, row, &at, report),
            Some(RoundKind::Exam) => check_exam(round, row, &at, report),
            _ => *unscored_kinds.entry(round.row.kind.clone()).or_default() += 1,
        }
        answers
            .entry((row.round_id, row.question_uid))
            .or_default()
            .insert(
                row.participant_id,
                Answer {
                    response,
                    received_at: row.received_at,
                    elapsed_ms: row.elapsed_ms,
                },
            );
    }
    for (kind, count) in unscored_kinds {
        report.note(format!(
            "{count} answer(s) of `{kind}` rounds: such rounds score teams in the ledger, not these answers"
        ));
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::AnswerKey;

    fn question(qtype: QuestionType, key: AnswerKey, options: usize) -> Question {
        Question {
            bank_id: "b".into(),
            id: "q".into(),
            qtype,
            category: "c".into(),
            difficulty: 1,
            points: None,
            tags: Vec::new(),
            stem: "?".into(),
            options: (0..options).map(|i| format!("option {i}")).collect(),
            key,
            explanation: String::new(),
            source: String::new(),
            group: None,
            excludes: Vec::new(),
            lint_ok: Vec::new(),
        }
    }

    #[test]
    fn only_responses_the_server_stores_pass() {
        let single = question(QuestionType::Single, AnswerKey::Choice(vec![1]), 4);
        let multiple = question(QuestionType::Multiple, AnswerKey::Choice(vec![0, 2]), 4);
        let fill = question(
            QuestionType::Fill,
            AnswerKey::Blanks(vec![vec!["a".into()], vec!["b".into()]]),
            0,
        );
        let choice = |c: &[usize]| Response::Choice(c.to_vec());
        assert_eq!(shape_problem(&single, &choice(&[3])), None);
        assert_eq!(shape_problem(&multiple, &choice(&[0, 1, 3])), None);
        assert_eq!(
            shape_problem(&fill, &Response::Blanks(vec!["x".into(), "".into()])),
            None
        );
        for (q, r) in [
            (&single, choice(&[])),
            (&single, choice(&[0, 1])),
            (&single, choice(&[4])),
            (&multiple, choice(&[2, 0])),
            (&multiple, choice(&[1, 1])),
            (&single, Response::Blanks(vec!["a".into()])),
            (&fill, choice(&[0])),
            (&fill, Response::Blanks(vec!["a".into()])),
            (
                &fill,
                Response::Blanks(vec!["a".into(), "长".repeat(MAX_BLANK_CHARS + 1)]),
            ),
        ] {
            assert!(shape_problem(q, &r).is_some(), "{r:?} for {:?}", q.qtype);
        }
    }
}
