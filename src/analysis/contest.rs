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

use std::collections::{BTreeMap, HashMap};

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
            let mut given: HashMap<i64, Vec<i64>> = HashMap::new();
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
                            given.entry(item.uid).or_default().push(paper.participant_id);
                        }
                    }
                    let mut ordered: Vec<(usize, i64)> =
                        first_place.into_iter().map(|(u, p)| (p, u)).collect();
                    ordered.sort_unstable();
                    items = ordered.into_iter().map(|(_, uid)| uid).collect();
                }
                RoundKind::Exam => {}
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
