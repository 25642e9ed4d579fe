//! The answer sheet (答题卡) of one participant: every question of theirs that counts, in their order — the
//! question as they were shown it (options in their display order), their answer, the key, the outcome, the
//! points, the time taken, the explanation and the source.
//!
//! Built from the engine's score breakdown (`GET …/participants/{pid}/breakdown`, so points always equal the
//! results) and how each question was shown: a live question's option order is the same for everyone, an exam
//! paper's is the participant's own. Choices and keys are given as display positions, like every participant
//! view (docs/protocol.md), so the sheet reads as the phone showed it.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::data::{RoundInfo, centi};
use super::lang::Lang;
use crate::bank::{AnswerKey, Question, QuestionType, Response};
use crate::contest::RoundKind;
use crate::paper::Paper;
use crate::store::{PaperRow, RoundQuestionRow};

/// One scored question of the breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakdownItem {
    pub round_id: i64,
    /// The position in the live round, or in the participant's own paper.
    pub index: usize,
    pub question_uid: i64,
    /// In original option indices.
    pub response: Option<Response>,
    pub elapsed_ms: Option<i64>,
    pub correct: bool,
    pub points_centi: i64,
    pub bonus_centi: i64,
}

/// The items of a breakdown view.
pub fn breakdown_items(breakdown: &Value) -> Result<Vec<BreakdownItem>, String> {
    breakdown["items"]
        .as_array()
        .ok_or("the breakdown carries no items")?
        .iter()
        .map(|i| {
            let response = match &i["response"] {
                Value::Null => None,
                r => Some(
                    serde_json::from_value::<Response>(r.clone())
                        .map_err(|e| format!("a stored response does not read: {e}"))?,
                ),
            };
            Ok(BreakdownItem {
                round_id: i["round_id"].as_i64().ok_or("a breakdown item has no round")?,
                index: i["index"]
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or("a breakdown item has no index")?,
                question_uid: i["question_uid"]
                    .as_i64()
                    .ok_or("a breakdown item has no question")?,
                response,
                elapsed_ms: i["elapsed_ms"].as_i64(),
                correct: i["correct"].as_bool().unwrap_or(false),
                points_centi: centi(&i["points"]).unwrap_or(0),
                bonus_centi: centi(&i["bonus"]).unwrap_or(0),
            })
        })
        .collect()
}

/// How the questions were shown: each live question's option order, each exam paper.
#[derive(Debug, Default)]
pub struct Presentation {
    live: HashMap<(i64, usize), Vec<usize>>,
    papers: HashMap<(i64, i64), Paper>,
}

impl Presentation {
    /// The questions of a live (or buzzer) round as stored.
    pub fn add_live(&mut self, rows: &[RoundQuestionRow]) -> Result<(), String> {
        for row in rows {
            let order: Vec<usize> = serde_json::from_str(&row.option_order).map_err(|e| {
                format!(
                    "round {} question {}: the option order does not read: {e}",
                    row.round_id, row.position
                )
            })?;
            let index = usize::try_from(row.position).unwrap_or(usize::MAX);
            self.live.insert((row.round_id, index), order);
        }
        Ok(())
    }

    /// One participant's exam paper as stored.
    pub fn add_paper(&mut self, row: &PaperRow) -> Result<(), String> {
        let paper: Paper = serde_json::from_str(&row.items).map_err(|e| {
            format!(
                "round {} participant {}: the paper does not read: {e}",
                row.round_id, row.participant_id
            )
        })?;
        self.papers.insert((row.round_id, row.participant_id), paper);
        Ok(())
    }

    /// The option order (display position → original index) the participant saw; empty for the bank's order.
    fn order(&self, kind: RoundKind, item: &BreakdownItem, participant_id: i64) -> &[usize] {
        match kind {
            RoundKind::Exam => self
                .papers
                .get(&(item.round_id, participant_id))
                .and_then(|p| p.items.get(item.index))
                .filter(|i| i.uid == item.question_uid)
                .map_or(&[], |i| i.option_order.as_slice()),
            _ => self
                .live
                .get(&(item.round_id, item.index))
                .map_or(&[], Vec::as_slice),
        }
    }
}

/// Original option indices as the sorted display positions of `order`.
fn to_display(original: &[usize], order: &[usize]) -> Vec<usize> {
    let mut display: Vec<usize> = original
        .iter()
        .filter_map(|k| {
            if order.is_empty() {
                Some(*k)
            } else {
                order.iter().position(|o| o == k)
            }
        })
        .collect();
    display.sort_unstable();
    display
}

/// A question as the participant saw it, without the key.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    #[serde(rename = "type")]
    pub qtype: QuestionType,
    pub stem: String,
    /// In display order.
    pub options: Vec<String>,
    pub blank_count: usize,
    pub category: String,
    pub difficulty: u8,
    /// What the question is worth in its round.
    pub points: f64,
}

/// One question of the sheet.
#[derive(Debug, Clone, Serialize)]
pub struct SheetItem {
    /// The position in the live round or in the participant's paper (0 = first).
    pub index: usize,
    pub question_uid: i64,
    /// The question's id in its bank.
    pub question_id: String,
    pub question: QuestionView,
    /// The key, in display positions (`{"choice": [2]}`) or the accepted alternatives per blank.
    pub answer: AnswerKey,
    pub explanation: String,
    pub source: String,
    /// The participant's answer in display positions (`{"choice": [0, 3]}` or `{"blanks": ["…"]}`); null when
    /// they gave none.
    pub my_answer: Option<Response>,
    pub correct: bool,
    pub points: f64,
    pub bonus: f64,
    /// From the question's opening (live) or the paper's (exam) to the server's receipt of the answer.
    pub elapsed_ms: Option<i64>,
    #[serde(skip)]
    pub points_centi: i64,
    #[serde(skip)]
    pub bonus_centi: i64,
}

impl SheetItem {
    /// Fully correct, partially credited, wrong, or not answered.
    pub fn outcome(&self) -> Outcome {
        if self.correct {
            Outcome::Correct
        } else if self.points_centi > 0 {
            Outcome::Partial
        } else if self.my_answer.is_some() {
            Outcome::Wrong
        } else {
            Outcome::Unanswered
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Correct,
    Partial,
    Wrong,
    Unanswered,
}

/// One round of the sheet.
#[derive(Debug, Clone, Serialize)]
pub struct SheetRound {
    pub round_id: i64,
    pub title: String,
    pub kind: RoundKind,
    pub state: String,
    pub items: Vec<SheetItem>,
}

/// The sheet's rounds: each round `include` admits (live and exam rounds only: a buzzer round scores teams), with
/// the breakdown's items of that round in the participant's order. Items whose question is no longer in the
/// contest's banks are left out.
pub fn rounds(
    rounds: &[RoundInfo],
    items: &[BreakdownItem],
    presentation: &Presentation,
    participant_id: i64,
    questions: &HashMap<i64, Question>,
    include: impl Fn(&RoundInfo) -> bool,
) -> Vec<SheetRound> {
    rounds
        .iter()
        .filter(|r| matches!(r.kind, RoundKind::Live | RoundKind::Exam) && include(r))
        .filter_map(|round| {
            let mut of_round: Vec<&BreakdownItem> = items.iter().filter(|i| i.round_id == round.id).collect();
            of_round.sort_by_key(|i| i.index);
            let sheet_items: Vec<SheetItem> = of_round
                .into_iter()
                .filter_map(|item| {
                    let question = questions.get(&item.question_uid)?;
                    let order = presentation.order(round.kind, item, participant_id);
                    Some(sheet_item(round, item, question, order))
                })
                .collect();
            (!sheet_items.is_empty()).then(|| SheetRound {
                round_id: round.id,
                title: round.title.clone(),
                kind: round.kind,
                state: round.state.clone(),
                items: sheet_items,
            })
        })
        .collect()
}

fn sheet_item(round: &RoundInfo, item: &BreakdownItem, question: &Question, order: &[usize]) -> SheetItem {
    let options = if order.is_empty() {
        question.options.clone()
    } else {
        order
            .iter()
            .filter_map(|&o| question.options.get(o).cloned())
            .collect()
    };
    let answer = match &question.key {
        AnswerKey::Choice(correct) => AnswerKey::Choice(to_display(correct, order)),
        AnswerKey::Blanks(blanks) => AnswerKey::Blanks(blanks.clone()),
    };
    let my_answer = item.response.as_ref().map(|r| match r {
        Response::Choice(picked) => Response::Choice(to_display(picked, order)),
        Response::Blanks(texts) => Response::Blanks(texts.clone()),
    });
    SheetItem {
        index: item.index,
        question_uid: item.question_uid,
        question_id: question.id.clone(),
        question: QuestionView {
            qtype: question.qtype,
            stem: question.stem.clone(),
            options,
            blank_count: question.blank_count(),
            category: question.category.clone(),
            difficulty: question.difficulty,
            points: round.config.scoring.points_centi(question) as f64 / 100.0,
        },
        answer,
        explanation: question.explanation.clone(),
        source: question.source.clone(),
        my_answer,
        correct: item.correct,
        points: item.points_centi as f64 / 100.0,
        bonus: item.bonus_centi as f64 / 100.0,
        elapsed_ms: item.elapsed_ms,
        points_centi: item.points_centi,
        bonus_centi: item.bonus_centi,
    }
}

/// `A`, `B`, … for display positions (`#27` past Z).
pub fn letter(position: usize) -> String {
    match u8::try_from(position) {
        Ok(p) if p < 26 => char::from(b'A' + p).to_string(),
        _ => format!("#{}", position + 1),
    }
}

/// Picked options as a spreadsheet and a printout show them: letters run together (`ABD`); a true/false question
/// by its option's text (正确).
fn choice_text(question: &QuestionView, picked: &[usize]) -> String {
    if question.qtype == QuestionType::TrueFalse {
        picked
            .iter()
            .map(|&p| question.options.get(p).cloned().unwrap_or_else(|| letter(p)))
            .collect::<Vec<_>>()
            .join("、")
    } else {
        picked.iter().map(|&p| letter(p)).collect()
    }
}

/// The participant's answer as text: letters, a true/false option's text, or the blanks separated by ` | `.
pub fn response_text(question: &QuestionView, response: &Response) -> String {
    match response {
        Response::Choice(picked) => choice_text(question, picked),
        Response::Blanks(texts) => texts.join(" | "),
    }
}

/// The key as text: letters, a true/false option's text, or each blank's alternatives (`a / b`) separated by ` | `.
pub fn key_text(question: &QuestionView, key: &AnswerKey) -> String {
    match key {
        AnswerKey::Choice(correct) => choice_text(question, correct),
        AnswerKey::Blanks(blanks) => blanks
            .iter()
            .map(|alternatives| alternatives.join(" / "))
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

/// `第 2 空：…` lines of a fill question's key, for the printout.
pub fn blank_lines(key: &AnswerKey, lang: Lang) -> Vec<String> {
    match key {
        AnswerKey::Blanks(blanks) if blanks.len() > 1 => blanks
            .iter()
            .enumerate()
            .map(|(i, alternatives)| format!("{} {}", lang.blank_n(i + 1), alternatives.join(" / ")))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contest::RoundConfig;
    use serde_json::json;

    fn question(qtype: QuestionType, options: &[&str], key: AnswerKey) -> Question {
        Question {
            bank_id: "b".into(),
            id: "q1".into(),
            qtype,
            category: "c".into(),
            difficulty: 2,
            points: Some(5),
            tags: vec![],
            stem: "?".into(),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            key,
            explanation: "because".into(),
            source: "book".into(),
            group: None,
            excludes: vec![],
            lint_ok: vec![],
        }
    }

    fn round(id: i64, kind: RoundKind) -> RoundInfo {
        RoundInfo {
            id,
            title: format!("round {id}"),
            kind,
            state: "finished".into(),
            question_count: 1,
            config: serde_json::from_value::<RoundConfig>(json!({"blueprint": {"quotas": [{"count": 1}]}}))
                .expect("config"),
        }
    }

    #[test]
    fn keys_and_answers_are_in_the_participants_display_order() {
        let breakdown = json!({"items": [
            {"round_id": 2, "index": 0, "question_uid": 7, "response": {"choice": [0, 2]}, "elapsed_ms": 4200,
             "correct": true, "points": 5.0, "bonus": 0},
            {"round_id": 1, "index": 3, "question_uid": 7, "response": null, "elapsed_ms": null,
             "correct": false, "points": 0, "bonus": 0}
        ]});
        let items = breakdown_items(&breakdown).expect("items");
        let mut presentation = Presentation::default();
        // The paper showed the bank's options C, A, D, B.
        presentation
            .add_paper(&PaperRow {
                round_id: 2,
                participant_id: 9,
                items: r#"{"items": [{"uid": 7, "option_order": [2, 0, 3, 1]}]}"#.into(),
                started_at: 0,
                deadline_at: 0,
                submitted_at: None,
                auto_submitted: false,
            })
            .expect("paper");
        let questions = HashMap::from([(
            7,
            question(
                QuestionType::Multiple,
                &["a", "b", "c", "d"],
                AnswerKey::Choice(vec![0, 2]),
            ),
        )]);
        let rounds_info = [
            round(1, RoundKind::Live),
            round(2, RoundKind::Exam),
            round(3, RoundKind::Buzzer),
        ];
        let sheet = rounds(&rounds_info, &items, &presentation, 9, &questions, |_| true);
        assert_eq!(sheet.len(), 2);
        let exam = &sheet[1].items[0];
        assert_eq!(exam.question.options, ["c", "a", "d", "b"]);
        // Bank options 0 and 2 (a, c) are display positions 1 and 0.
        assert_eq!(exam.answer, AnswerKey::Choice(vec![0, 1]));
        assert_eq!(exam.my_answer, Some(Response::Choice(vec![0, 1])));
        assert_eq!(
            response_text(&exam.question, exam.my_answer.as_ref().expect("answer")),
            "AB"
        );
        assert_eq!(exam.outcome(), Outcome::Correct);
        assert_eq!(exam.question.points, 5.0);
        // The live question without a stored order keeps the bank's order; not answered.
        let live = &sheet[0].items[0];
        assert_eq!(live.index, 3);
        assert_eq!(live.answer, AnswerKey::Choice(vec![0, 2]));
        assert_eq!(live.outcome(), Outcome::Unanswered);
        // Only the rounds asked for.
        assert!(rounds(&rounds_info, &items, &presentation, 9, &questions, |r| r.id == 3).is_empty());
    }

    #[test]
    fn texts_of_answers_and_keys() {
        let tf = QuestionView {
            qtype: QuestionType::TrueFalse,
            stem: String::new(),
            options: vec!["正确".into(), "错误".into()],
            blank_count: 0,
            category: String::new(),
            difficulty: 1,
            points: 1.0,
        };
        assert_eq!(response_text(&tf, &Response::Choice(vec![1])), "错误");
        let fill = QuestionView {
            qtype: QuestionType::Fill,
            ..tf.clone()
        };
        let key = AnswerKey::Blanks(vec![vec!["1921".into()], vec!["上海".into(), "Shanghai".into()]]);
        assert_eq!(key_text(&fill, &key), "1921 | 上海 / Shanghai");
        assert_eq!(
            response_text(&fill, &Response::Blanks(vec!["1921".into(), "".into()])),
            "1921 | "
        );
        assert_eq!(
            blank_lines(&key, Lang::Zh),
            ["第1空 1921", "第2空 上海 / Shanghai"]
        );
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "#27");
    }
}
