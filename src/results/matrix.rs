//! The per-question matrix: one row per participant, one group of columns per question of a round.
//!
//! A live round's column `n` is its question `n`, the same question for everyone. An exam round's column `n` is
//! the `n`-th question of each participant's own paper, which differs between papers when the round draws or
//! shuffles per participant; its cells therefore name their question. Answers are in the participant's display
//! letters (as on their answer sheet), points include the speed bonus, so a row's points plus the participant's
//! adjustments make their score.

use std::collections::{BTreeMap, HashMap};

use super::data::RoundInfo;
use super::sheet::{Outcome, SheetRound, response_text};
use crate::contest::RoundKind;

/// One group of columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub round_id: i64,
    pub round_title: String,
    pub kind: RoundKind,
    /// 0-based position in the round (live) or in each paper (exam).
    pub index: usize,
    /// The question, when it is the same for every row (live rounds).
    pub question_id: Option<String>,
}

/// One participant's answer to one column's question.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub question_id: String,
    /// Display letters, a true/false option's text or the blanks; empty when not answered.
    pub answer: String,
    pub outcome: Outcome,
    /// Points plus speed bonus, in hundredths.
    pub points_centi: i64,
    pub elapsed_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub columns: Vec<Column>,
    /// Participant id → a cell per column (`None`: the question was not theirs, e.g. not on their paper).
    pub rows: HashMap<i64, Vec<Option<Cell>>>,
}

/// The matrix of every participant's answer sheet (`sheets`: participant id and their sheet's rounds).
pub fn build(rounds: &[RoundInfo], sheets: &[(i64, Vec<SheetRound>)]) -> Matrix {
    // (round, index) -> the question id, if it is the same in every sheet that has the column.
    let mut seen: BTreeMap<(usize, usize), Option<String>> = BTreeMap::new();
    let position: HashMap<i64, usize> = rounds.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    for (_, sheet) in sheets {
        for round in sheet {
            let Some(&p) = position.get(&round.round_id) else {
                continue;
            };
            for item in &round.items {
                seen.entry((p, item.index))
                    .and_modify(|id| {
                        if id.as_deref() != Some(item.question_id.as_str()) {
                            *id = None;
                        }
                    })
                    .or_insert_with(|| Some(item.question_id.clone()));
            }
        }
    }
    let columns: Vec<Column> = seen
        .into_iter()
        .map(|((p, index), question_id)| {
            let round = &rounds[p];
            Column {
                round_id: round.id,
                round_title: round.title.clone(),
                kind: round.kind,
                index,
                question_id: if round.kind == RoundKind::Exam {
                    None
                } else {
                    question_id
                },
            }
        })
        .collect();
    let place: HashMap<(i64, usize), usize> = columns
        .iter()
        .enumerate()
        .map(|(c, col)| ((col.round_id, col.index), c))
        .collect();
    let rows = sheets
        .iter()
        .map(|(pid, sheet)| {
            let mut cells = vec![None; columns.len()];
            for round in sheet {
                for item in &round.items {
                    if let Some(&c) = place.get(&(round.round_id, item.index)) {
                        cells[c] = Some(Cell {
                            question_id: item.question_id.clone(),
                            answer: item
                                .my_answer
                                .as_ref()
                                .map(|r| response_text(&item.question, r))
                                .unwrap_or_default(),
                            outcome: item.outcome(),
                            points_centi: item.points_centi + item.bonus_centi,
                            elapsed_ms: item.elapsed_ms.filter(|_| item.my_answer.is_some()),
                        });
                    }
                }
            }
            (*pid, cells)
        })
        .collect();
    Matrix { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{AnswerKey, QuestionType, Response};
    use crate::contest::RoundConfig;
    use crate::results::sheet::{QuestionView, SheetItem};

    fn round(id: i64, kind: RoundKind) -> RoundInfo {
        RoundInfo {
            id,
            title: format!("R{id}"),
            kind,
            state: "finished".into(),
            question_count: 2,
            config: serde_json::from_value::<RoundConfig>(
                serde_json::json!({"blueprint": {"quotas": [{"count": 2}]}}),
            )
            .expect("config"),
        }
    }

    fn item(
        index: usize,
        question_id: &str,
        answer: Option<Vec<usize>>,
        points_centi: i64,
        bonus_centi: i64,
    ) -> SheetItem {
        SheetItem {
            index,
            question_uid: 1,
            question_id: question_id.into(),
            question: QuestionView {
                qtype: QuestionType::Single,
                stem: String::new(),
                options: vec!["x".into(), "y".into(), "z".into()],
                blank_count: 0,
                category: String::new(),
                difficulty: 1,
                points: 1.0,
            },
            answer: AnswerKey::Choice(vec![0]),
            explanation: String::new(),
            source: String::new(),
            my_answer: answer.map(Response::Choice),
            correct: points_centi > 0,
            points: 0.0,
            bonus: 0.0,
            elapsed_ms: Some(1500),
            points_centi,
            bonus_centi,
        }
    }

    fn sheet_round(id: i64, kind: RoundKind, items: Vec<SheetItem>) -> SheetRound {
        SheetRound {
            round_id: id,
            title: format!("R{id}"),
            kind,
            state: "finished".into(),
            items,
        }
    }

    #[test]
    fn columns_by_round_and_position_cells_by_participant() {
        let rounds = [round(1, RoundKind::Live), round(2, RoundKind::Exam)];
        let sheets = vec![
            (
                10,
                vec![
                    sheet_round(
                        1,
                        RoundKind::Live,
                        vec![item(0, "a", Some(vec![0]), 1000, 37), item(1, "b", None, 0, 0)],
                    ),
                    sheet_round(2, RoundKind::Exam, vec![item(0, "x", Some(vec![2]), 0, 0)]),
                ],
            ),
            (
                11,
                vec![
                    sheet_round(
                        1,
                        RoundKind::Live,
                        vec![
                            item(0, "a", Some(vec![1]), 0, 0),
                            item(1, "b", Some(vec![0]), 1000, 0),
                        ],
                    ),
                    sheet_round(
                        2,
                        RoundKind::Exam,
                        vec![item(0, "y", None, 0, 0), item(1, "x", Some(vec![0]), 1000, 0)],
                    ),
                ],
            ),
        ];
        let m = build(&rounds, &sheets);
        let keys: Vec<(i64, usize, Option<&str>)> = m
            .columns
            .iter()
            .map(|c| (c.round_id, c.index, c.question_id.as_deref()))
            .collect();
        assert_eq!(
            keys,
            [(1, 0, Some("a")), (1, 1, Some("b")), (2, 0, None), (2, 1, None)]
        );
        let first = &m.rows[&10];
        let cell = first[0].as_ref().expect("answered");
        assert_eq!(
            (cell.answer.as_str(), cell.points_centi, cell.elapsed_ms),
            ("A", 1037, Some(1500))
        );
        let unanswered = first[1].as_ref().expect("given");
        assert_eq!(
            (unanswered.outcome, unanswered.elapsed_ms),
            (Outcome::Unanswered, None)
        );
        assert_eq!(
            first[2]
                .as_ref()
                .map(|c| (c.question_id.as_str(), c.answer.as_str())),
            Some(("x", "C"))
        );
        assert_eq!(first[3], None, "a shorter paper");
        assert_eq!(m.rows[&11][3].as_ref().map(|c| c.question_id.as_str()), Some("x"));
    }
}
