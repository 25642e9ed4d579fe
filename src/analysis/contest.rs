//! A contest's response matrices, one per round, built from the rows the store keeps (no I/O here).
//!
//! - A live round's items are its closed questions, in the order they were asked. A question was given to
//!   every participant who had joined the contest by the time it closed (and to anyone who answered it).
//! - An exam round is analysed once it has finished. Its items are the questions of its papers, ordered by
//!   the earliest place any paper put them (then by uid); a question was given to the participants whose paper
//!   holds it. A participant who never opened a paper was given nothing.
//! - A cell's score is the points the answer earned under the round's scoring rules, without the speed bonus
//!   and without the wrong-answer penalty (a penalized answer scores 0): the analysis is about the question,
//!   not the game's rules. Its maximum is the question's points in that round.
//! - Options are the bank's options (answers are stored by original option index, whatever order a paper
//!   showed them in).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::bank::{AnswerKey, Question, Response};
use crate::contest::{RoundConfig, RoundKind, RoundState};
use crate::paper::Paper;
use crate::scoring::{CENTI, normalize_blank, score_response};
use crate::store::{AnswerRow, PaperRow, ParticipantRow, RoundQuestionRow, RoundRow};

use super::matrix::{Cell, ItemSpec, MatrixError, ResponseMatrix, Row};

/// What the store keeps about a contest, as the analysis needs it.
pub struct ContestRows {
    pub rounds: Vec<RoundRow>,
    /// Live questions by round id.
    pub live_questions: HashMap<i64, Vec<RoundQuestionRow>>,
    /// Exam papers by round id.
    pub papers: HashMap<i64, Vec<PaperRow>>,
    pub participants: Vec<ParticipantRow>,
    pub answers: Vec<AnswerRow>,
    /// The contest's questions by uid.
    pub questions: HashMap<i64, Question>,
}

/// One round's matrix; its items' ids are question uids.
pub struct RoundMatrix<'a> {
    pub round: &'a RoundRow,
    pub kind: RoundKind,
    pub matrix: ResponseMatrix,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("round {round}: stored data does not parse: {source}")]
    Decode { round: i64, source: serde_json::Error },
    #[error("round {round}: {source}")]
    Matrix { round: i64, source: MatrixError },
}

/// Nothing picked or typed (scores 0 and counts as no answer).
fn is_missing(response: &Response) -> bool {
    match response {
        Response::Choice(picked) => picked.is_empty(),
        Response::Blanks(answers) => answers.iter().all(|a| normalize_blank(a).is_empty()),
    }
}

fn item_spec(uid: i64, q: &Question) -> ItemSpec {
    let key = match &q.key {
        AnswerKey::Choice(key) if q.qtype.is_choice() => key.clone(),
        _ => Vec::new(),
    };
    ItemSpec {
        id: uid,
        option_count: if q.qtype.is_choice() { q.options.len() } else { 0 },
        key,
    }
}

/// Every round's matrix, in round order (a round with nothing to analyse yet has an empty matrix).
pub fn round_matrices(rows: &ContestRows) -> Result<Vec<RoundMatrix<'_>>, BuildError> {
    // (round, question) -> participant -> answer
    let mut answers: HashMap<(i64, i64), HashMap<i64, &AnswerRow>> = HashMap::new();
    for a in &rows.answers {
        answers
            .entry((a.round_id, a.question_uid))
            .or_default()
            .insert(a.participant_id, a);
    }
    rows.rounds
        .iter()
        .map(|round| {
            let decode = |source| BuildError::Decode {
                round: round.id,
                source,
            };
            let config: RoundConfig = serde_json::from_str(&round.config).map_err(decode)?;
            let kind = RoundKind::parse(&round.kind).unwrap_or(RoundKind::Live);
            // Items (uids), and who was given each: uid -> participants.
            let mut items: Vec<i64> = Vec::new();
            let mut given: HashMap<i64, HashSet<i64>> = HashMap::new();
            match kind {
                RoundKind::Live => {
                    for q in rows.live_questions.get(&round.id).into_iter().flatten() {
                        if q.state != "closed" || !rows.questions.contains_key(&q.question_uid) {
                            continue;
                        }
                        let answered = answers.get(&(round.id, q.question_uid));
                        let people = rows
                            .participants
                            .iter()
                            .filter(|p| {
                                let joined_in_time = p
                                    .joined_at
                                    .is_some_and(|j| q.closed_at.is_none_or(|closed| j <= closed));
                                joined_in_time || answered.is_some_and(|m| m.contains_key(&p.id))
                            })
                            .map(|p| p.id)
                            .collect();
                        items.push(q.question_uid);
                        given.insert(q.question_uid, people);
                    }
                }
                RoundKind::Exam if RoundState::parse(&round.state) == Some(RoundState::Finished) => {
                    // uid -> earliest position on any paper
                    let mut first_place: BTreeMap<i64, usize> = BTreeMap::new();
                    for paper in rows.papers.get(&round.id).into_iter().flatten() {
                        let drawn: Paper = serde_json::from_str(&paper.items).map_err(decode)?;
                        for (position, item) in drawn.items.iter().enumerate() {
                            if !rows.questions.contains_key(&item.uid) {
                                continue;
                            }
                            let place = first_place.entry(item.uid).or_insert(position);
                            *place = (*place).min(position);
                            given.entry(item.uid).or_default().insert(paper.participant_id);
                        }
                    }
                    let mut ordered: Vec<(usize, i64)> =
                        first_place.into_iter().map(|(u, p)| (p, u)).collect();
                    ordered.sort_unstable();
                    items = ordered.into_iter().map(|(_, uid)| uid).collect();
                }
                // Buzzer rounds: one team answers each question, judged into the team ledger; there are no
                // per-participant answers to analyse.
                _ => {}
            }
            let specs: Vec<ItemSpec> = items
                .iter()
                .map(|uid| item_spec(*uid, &rows.questions[uid]))
                .collect();
            let mut table: Vec<Row> = Vec::new();
            for p in &rows.participants {
                let cells: Vec<Option<Cell>> = items
                    .iter()
                    .map(|uid| {
                        if !given.get(uid).is_some_and(|people| people.contains(&p.id)) {
                            return None;
                        }
                        let question = &rows.questions[uid];
                        let answer = answers.get(&(round.id, *uid)).and_then(|m| m.get(&p.id));
                        Some(cell(question, &config, answer.copied()))
                    })
                    .collect();
                if cells.iter().any(Option::is_some) {
                    table.push(Row {
                        participant: p.id,
                        cells,
                    });
                }
            }
            let matrix = ResponseMatrix::new(specs, table).map_err(|source| BuildError::Matrix {
                round: round.id,
                source,
            })?;
            Ok(RoundMatrix { round, kind, matrix })
        })
        .collect()
}

/// One participant's cell of a question they were given.
fn cell(question: &Question, config: &RoundConfig, answer: Option<&AnswerRow>) -> Cell {
    let max_centi = config.scoring.points_centi(question);
    let max_score = max_centi as f64 / CENTI as f64;
    let response = answer.and_then(|a| serde_json::from_str::<Response>(&a.response).ok());
    let (Some(answer), Some(response)) = (answer, response) else {
        return Cell::unanswered(max_score);
    };
    if is_missing(&response) {
        return Cell::unanswered(max_score);
    }
    let scored = score_response(question, &response, None, 1, &config.scoring);
    let chosen = match (&response, question.qtype.is_choice()) {
        (Response::Choice(picked), true) => picked
            .iter()
            .copied()
            .filter(|&o| o < question.options.len())
            .collect(),
        _ => Vec::new(),
    };
    Cell {
        answered: true,
        score: scored.points_centi.clamp(0, max_centi) as f64 / CENTI as f64,
        max_score,
        chosen,
        time_ms: u64::try_from(answer.elapsed_ms).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::QuestionType;

    fn question(qtype: QuestionType, key: AnswerKey, options: usize, points: Option<u32>) -> Question {
        Question {
            bank_id: "b".into(),
            id: "q".into(),
            qtype,
            category: "c".into(),
            difficulty: 1,
            points,
            tags: vec![],
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

    fn round(id: i64, kind: &str, state: &str) -> RoundRow {
        RoundRow {
            id,
            contest_id: 1,
            position: id,
            title: format!("round {id}"),
            kind: kind.into(),
            config: r#"{"blueprint": {"quotas": [{"count": 1}]},
                        "scoring": {"default_points": 10, "partial_credit": true, "wrong_penalty": 5}}"#
                .into(),
            state: state.into(),
            started_at: None,
            ends_at: None,
            finished_at: None,
        }
    }

    fn live_question(
        round_id: i64,
        position: i64,
        uid: i64,
        state: &str,
        closed_at: Option<i64>,
    ) -> RoundQuestionRow {
        RoundQuestionRow {
            round_id,
            position,
            question_uid: uid,
            option_order: "[]".into(),
            state: state.into(),
            opened_at: None,
            deadline_at: None,
            remaining_ms: None,
            closed_at,
        }
    }

    fn person(id: i64, joined_at: Option<i64>) -> ParticipantRow {
        ParticipantRow {
            id,
            contest_id: 1,
            name: format!("p{id}"),
            badge: None,
            unit: "u".into(),
            session_id: None,
            joined_at,
            tab_switches: 0,
        }
    }

    fn answer(participant_id: i64, round_id: i64, uid: i64, response: &str, elapsed_ms: i64) -> AnswerRow {
        AnswerRow {
            participant_id,
            round_id,
            question_uid: uid,
            contest_id: 1,
            response: response.into(),
            received_at: 0,
            elapsed_ms,
        }
    }

    fn paper(round_id: i64, participant_id: i64, uids: &[i64]) -> PaperRow {
        let items: Vec<String> = uids
            .iter()
            .map(|u| format!(r#"{{"uid": {u}, "option_order": [2, 0, 1]}}"#))
            .collect();
        PaperRow {
            round_id,
            participant_id,
            items: format!(r#"{{"items": [{}]}}"#, items.join(",")),
            started_at: 0,
            deadline_at: 0,
            submitted_at: None,
            auto_submitted: false,
        }
    }

    fn rows() -> ContestRows {
        let single = |key| question(QuestionType::Single, AnswerKey::Choice(vec![key]), 3, None);
        ContestRows {
            rounds: vec![
                round(1, "live", "finished"),
                round(2, "exam", "running"),
                round(3, "exam", "finished"),
            ],
            live_questions: HashMap::from([(
                1,
                vec![
                    live_question(1, 0, 10, "closed", Some(1000)),
                    live_question(1, 1, 11, "skipped", Some(1500)),
                    live_question(1, 2, 12, "closed", Some(3000)),
                ],
            )]),
            papers: HashMap::from([
                (2, vec![paper(2, 1, &[20])]),
                (3, vec![paper(3, 1, &[21, 20]), paper(3, 2, &[22, 21])]),
            ]),
            // p1 joined early, p2 after question 10 closed, p3 never.
            participants: vec![person(1, Some(500)), person(2, Some(2000)), person(3, None)],
            answers: vec![
                answer(1, 1, 10, r#"{"choice": [0]}"#, 1200),
                answer(1, 1, 12, r#"{"choice": []}"#, 900),
                answer(2, 1, 12, r#"{"choice": [1]}"#, 2500),
                answer(2, 2, 20, r#"{"choice": [0]}"#, 100),
                answer(1, 3, 21, r#"{"choice": [2, 0]}"#, 4000),
                answer(2, 3, 22, r#"{"blanks": ["延安"]}"#, 7000),
            ],
            questions: HashMap::from([
                (10, single(0)),
                (11, single(0)),
                (12, single(2)),
                (20, single(0)),
                (
                    21,
                    question(QuestionType::Multiple, AnswerKey::Choice(vec![0, 1]), 3, Some(4)),
                ),
                (
                    22,
                    question(
                        QuestionType::Fill,
                        AnswerKey::Blanks(vec![vec!["延安".into()]]),
                        0,
                        None,
                    ),
                ),
            ]),
        }
    }

    #[test]
    fn a_live_question_is_given_to_those_who_had_joined_when_it_closed() {
        let rows = rows();
        let rounds = round_matrices(&rows).expect("matrices");
        let live = &rounds[0].matrix;
        // The skipped question is left out.
        assert_eq!(live.items().iter().map(|i| i.id).collect::<Vec<_>>(), [10, 12]);
        assert_eq!(live.items()[1].key, [2]);
        // p3 never joined: no row. p2 joined after question 10 closed: not given it.
        let rows: Vec<i64> = live.rows().iter().map(|r| r.participant).collect();
        assert_eq!(rows, [1, 2]);
        let p1 = &live.rows()[0].cells;
        let p2 = &live.rows()[1].cells;
        assert_eq!(
            p1[0],
            Some(Cell {
                answered: true,
                score: 10.0,
                max_score: 10.0,
                chosen: vec![0],
                time_ms: Some(1200)
            })
        );
        // An empty answer counts as no answer.
        assert_eq!(p1[1], Some(Cell::unanswered(10.0)));
        assert_eq!(p2[0], None);
        // A wrong answer under a 5-point penalty scores 0, not −5.
        assert_eq!(p2[1].as_ref().map(|c| (c.answered, c.score)), Some((true, 0.0)));
    }

    #[test]
    fn exams_are_analysed_once_finished_with_options_by_bank_identity() {
        let rows = rows();
        let rounds = round_matrices(&rows).expect("matrices");
        // The running exam has nothing to analyse yet.
        assert!(rounds[1].matrix.items().is_empty() && rounds[1].matrix.rows().is_empty());
        let exam = &rounds[2].matrix;
        // Papers [21, 20] and [22, 21]: earliest positions 21 → 0, 22 → 0, 20 → 1; ties by uid.
        assert_eq!(
            exam.items().iter().map(|i| i.id).collect::<Vec<_>>(),
            [21, 22, 20]
        );
        // A fill question has no options.
        assert_eq!(
            (exam.items()[1].option_count, exam.items()[1].key.clone()),
            (0, vec![])
        );
        let p1 = &exam.rows()[0].cells;
        let p2 = &exam.rows()[1].cells;
        // p1 picked bank options 0 and 2 (the paper showed them elsewhere; answers are stored by bank index):
        // one right, one wrong, no partial credit, penalty clipped: 0 of the question's own 4 points.
        assert_eq!(
            p1[0]
                .as_ref()
                .map(|c| (c.score, c.max_score, c.chosen.clone(), c.time_ms)),
            Some((0.0, 4.0, vec![0, 2], Some(4000)))
        );
        assert_eq!(p1[1], None, "22 is not on p1's paper");
        assert_eq!(p1[2], Some(Cell::unanswered(10.0)));
        assert_eq!(p2[0], Some(Cell::unanswered(4.0)));
        assert_eq!(
            p2[1].as_ref().map(|c| (c.answered, c.score, c.chosen.clone())),
            Some((true, 10.0, vec![]))
        );
        assert_eq!(p2[2], None);
    }
}
