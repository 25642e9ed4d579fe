//! JSON views of the contest for each audience. The answer key appears only in views built with
//! `with_key = true` (organizer) or for questions that have closed for the viewer.

use bytes::Bytes;
use serde_json::{Value, json};

use super::actor::Actor;
use super::model::*;
use super::standings::centi_to_points;
use super::{AnswerAck, Viewer};
use crate::bank::{AnswerKey, Question, Response};
use crate::error::AppResult;
use crate::realtime::encode;
use crate::store::now_ms;

/// The personal acknowledgement of a committed answer. An answer sent on a socket carries the client's `ref`,
/// echoed here so the client can tell this acknowledgement from one of an earlier copy of the same answer.
pub(super) fn answer_ack_event(ack: &AnswerAck, reference: Option<&Value>) -> Bytes {
    match reference {
        Some(reference) => encode(&json!({"type": "answer_ack", "ack": ack, "ref": reference})),
        None => encode(&json!({"type": "answer_ack", "ack": ack})),
    }
}

/// A question as shown: options in display order, no key.
fn question_body(question: &Question, option_order: &[usize], points_centi: i64) -> Value {
    let options: Vec<&str> = if option_order.is_empty() {
        question.options.iter().map(String::as_str).collect()
    } else {
        option_order
            .iter()
            .filter_map(|&o| question.options.get(o).map(String::as_str))
            .collect()
    };
    json!({
        "type": question.qtype,
        "stem": question.stem,
        "options": options,
        "blank_count": question.blank_count(),
        "category": question.category,
        "difficulty": question.difficulty,
        "points": centi_to_points(points_centi),
    })
}

/// Original option indices as the sorted display positions the viewer saw.
fn to_display(original: &[usize], option_order: &[usize]) -> Vec<usize> {
    let mut display: Vec<usize> = original
        .iter()
        .filter_map(|k| {
            if option_order.is_empty() {
                Some(*k)
            } else {
                option_order.iter().position(|o| o == k)
            }
        })
        .collect();
    display.sort_unstable();
    display
}

/// The key in the viewer's display order.
pub(super) fn key_view(question: &Question, option_order: &[usize]) -> Value {
    match &question.key {
        AnswerKey::Choice(correct) => {
            json!({"choice": to_display(correct, option_order)})
        }
        AnswerKey::Blanks(blanks) => json!({"blanks": blanks}),
    }
}

/// A response in the viewer's display order.
pub(super) fn response_view(response: &Response, option_order: &[usize]) -> Value {
    match response {
        Response::Choice(picked) => {
            json!({"choice": to_display(picked, option_order)})
        }
        Response::Blanks(blanks) => json!({"blanks": blanks}),
    }
}

impl Actor {
    pub(super) fn round_view(&self, r: usize) -> Value {
        let round = &self.rounds[r];
        let mut view = json!({
            "id": round.id,
            "position": round.position,
            "title": round.title,
            "kind": round.kind,
            "state": round.state,
            "started_at": round.started_at,
            "ends_at": round.ends_at,
            "finished_at": round.finished_at,
            "question_count": match round.kind {
                kind if kind.is_host_paced() && !round.live.is_empty() => round.live.len(),
                _ => round.config.blueprint.total(),
            },
            "grace_ms": round.config.grace_ms,
        });
        match round.kind {
            RoundKind::Live => view["question_seconds"] = json!(round.config.question_seconds),
            RoundKind::Exam => {
                view["time_limit_seconds"] = json!(round.config.time_limit_seconds);
                view["window_seconds"] = json!(round.config.window_seconds);
            }
            RoundKind::Buzzer => view["buzzer"] = json!(round.config.buzzer),
            RoundKind::Compulsory => view["compulsory"] = json!(round.config.compulsory),
            RoundKind::Wager => view["wager"] = json!(round.config.wager),
            RoundKind::Tiebreak => view["tiebreak"] = json!(round.config.tiebreak),
        }
        if round.kind.is_stage() {
            view["elimination"] = json!(round.config.elimination);
        }
        view
    }

    pub(super) fn live_question_view(&self, r: usize, i: usize, with_key: bool) -> Value {
        let round = &self.rounds[r];
        let q = &round.live[i];
        let Some(question) = self.questions.get(&q.uid) else {
            return Value::Null;
        };
        let points = match round.kind {
            // A stage question is worth its round's points (a wager: the value picked), whatever the bank says.
            kind if kind.is_stage() => i64::from(self.setup_of(r, i).settings.points) * crate::stage::CENTI,
            _ => round.config.scoring.points_centi(question),
        };
        let mut view = json!({
            "round_id": round.id,
            "index": i,
            "total": round.live.len(),
            "state": q.state,
            "opened_at": q.opened_at,
            "deadline": q.deadline_at,
            "remaining_ms": q.remaining_ms,
            "grace_ms": round.config.grace_ms,
            "question": question_body(question, &q.option_order, points),
        });
        if with_key {
            view["answer"] = key_view(question, &q.option_order);
            view["explanation"] = json!(question.explanation);
            view["question_id"] = json!(question.id);
        }
        view
    }

    /// The public result of a closed question: key, explanation, distribution of answers.
    pub(super) fn question_closed_view(&self, r: usize, i: usize) -> Value {
        let round = &self.rounds[r];
        let q = &round.live[i];
        let Some(question) = self.questions.get(&q.uid) else {
            return Value::Null;
        };
        let answers = self.answers.get(&(round.id, q.uid));
        let scores = self.scored.get(&(round.id, q.uid));
        let answered = answers.map_or(0, |m| m.len());
        let correct = scores.map_or(0, |m| m.values().filter(|s| s.correct).count());
        let distribution = if question.qtype.is_choice() {
            let mut counts = vec![0usize; question.options.len()];
            for a in answers.into_iter().flat_map(|m| m.values()) {
                if let Response::Choice(picked) = &a.response {
                    for k in picked {
                        let display = if q.option_order.is_empty() {
                            Some(*k)
                        } else {
                            q.option_order.iter().position(|o| o == k)
                        };
                        if let Some(d) = display.filter(|d| *d < counts.len()) {
                            counts[d] += 1;
                        }
                    }
                }
            }
            json!({"options": counts})
        } else {
            json!({"correct": correct, "wrong": answered.saturating_sub(correct)})
        };
        json!({
            "round_id": round.id,
            "index": i,
            "total": round.live.len(),
            "closed_at": q.closed_at,
            "answer": key_view(question, &q.option_order),
            "explanation": question.explanation,
            "source": question.source,
            "answered": answered,
            "correct_count": correct,
            "joined": self.joined_count(),
            "distribution": distribution,
        })
    }

    /// A participant's paper. Keys and per-question results only once the round has finished.
    pub(super) fn exam_view(&self, r: usize, pid: i64) -> Value {
        let round = &self.rounds[r];
        let Some(paper) = round.papers.get(&pid) else {
            return json!({"round_id": round.id, "started": false, "round_state": round.state});
        };
        let finished = round.state == RoundState::Finished;
        let mut questions = Vec::new();
        let mut answers = Vec::new();
        let mut score_centi = 0;
        for (index, item) in paper.paper.items.iter().enumerate() {
            let Some(question) = self.questions.get(&item.uid) else {
                continue;
            };
            let points = round.config.scoring.points_centi(question);
            let mut view =
                json!({"index": index, "question": question_body(question, &item.option_order, points)});
            if let Some(a) = self.answers.get(&(round.id, item.uid)).and_then(|m| m.get(&pid)) {
                let mut answer = response_view(&a.response, &item.option_order);
                answer["index"] = json!(index);
                answers.push(answer);
            }
            if finished {
                let scored = self.scored.get(&(round.id, item.uid)).and_then(|m| m.get(&pid));
                score_centi += scored.map_or(0, |s| s.points_centi + s.bonus_centi);
                view["answer"] = key_view(question, &item.option_order);
                view["explanation"] = json!(question.explanation);
                view["source"] = json!(question.source);
                view["correct"] = json!(scored.is_some_and(|s| s.correct));
                view["points_earned"] = json!(centi_to_points(scored.map_or(0, |s| s.points_centi)));
            }
            questions.push(view);
        }
        json!({
            "round_id": round.id,
            "started": true,
            "round_state": round.state,
            "started_at": paper.started_at,
            "deadline": paper.deadline_at,
            "grace_ms": round.config.grace_ms,
            "server_now": now_ms(),
            "submitted_at": paper.submitted_at,
            "auto_submitted": paper.auto_submitted,
            "questions": questions,
            "answers": answers,
            "score": finished.then(|| centi_to_points(score_centi)),
        })
    }

    /// A participant's review of the whole contest, once it has finished: every round in order, each with the
    /// questions that count for the score (closed live questions, the own paper of a finished exam round), the
    /// own answer, the key, the outcome and the explanation. Only for a finished contest, so no key can appear
    /// before its question has closed.
    fn review_view(&self, pid: i64) -> Value {
        let rounds: Vec<Value> = self
            .rounds
            .iter()
            .filter_map(|round| {
                let items: Vec<(usize, i64, &[usize])> = match round.kind {
                    RoundKind::Live => round
                        .live
                        .iter()
                        .enumerate()
                        .filter(|(_, q)| q.state == QuestionState::Closed)
                        .map(|(i, q)| (i, q.uid, q.option_order.as_slice()))
                        .collect(),
                    RoundKind::Exam if round.state == RoundState::Finished => round
                        .papers
                        .get(&pid)
                        .map(|paper| {
                            paper
                                .paper
                                .items
                                .iter()
                                .enumerate()
                                .map(|(i, item)| (i, item.uid, item.option_order.as_slice()))
                                .collect()
                        })
                        .unwrap_or_default(),
                    // Stage rounds score teams, not the participant's own answers.
                    _ => Vec::new(),
                };
                let items: Vec<Value> = items
                    .into_iter()
                    .filter_map(|(index, uid, order)| {
                        let question = self.questions.get(&uid)?;
                        let points = round.config.scoring.points_centi(question);
                        let answer = self.answers.get(&(round.id, uid)).and_then(|m| m.get(&pid));
                        let scored = self.scored.get(&(round.id, uid)).and_then(|m| m.get(&pid));
                        Some(json!({
                            "index": index,
                            "question": question_body(question, order, points),
                            "answer": key_view(question, order),
                            "explanation": question.explanation,
                            "source": question.source,
                            "my_answer": answer.map(|a| response_view(&a.response, order)),
                            "correct": scored.is_some_and(|s| s.correct),
                            "points": centi_to_points(scored.map_or(0, |s| s.points_centi)),
                            "bonus": centi_to_points(scored.map_or(0, |s| s.bonus_centi)),
                        }))
                    })
                    .collect();
                (!items.is_empty()).then(|| {
                    json!({"round_id": round.id, "title": round.title, "kind": round.kind, "items": items})
                })
            })
            .collect();
        json!({
            "rounds": rounds,
            "adjustment": centi_to_points(self.adjustments.get(&pid).copied().unwrap_or(0)),
        })
    }

    /// The question to show now: the open or paused one, else the last one that closed.
    fn current_live_question(&self, r: usize) -> Option<usize> {
        self.open_question_index(r).or_else(|| {
            self.rounds[r]
                .live
                .iter()
                .rposition(|q| matches!(q.state, QuestionState::Closed | QuestionState::Skipped))
        })
    }

    /// Everything a client needs after (re)connecting. The client replaces its state with it.
    pub(super) fn snapshot(&self, viewer: &Viewer) -> AppResult<Value> {
        let me = match viewer {
            Viewer::Participant(who) => Some(self.check_session(who)?.id),
            _ => None,
        };
        let organizer = matches!(viewer, Viewer::Organizer);
        let round_index = self
            .running_round()
            .or_else(|| self.rounds.iter().rposition(|r| r.state == RoundState::Finished));
        let mut snapshot = json!({
            "type": "snapshot",
            "server_now": now_ms(),
            "contest": {
                "id": self.contest.id,
                "title": self.contest.title,
                "state": self.contest.state,
                "join_mode": self.contest.join_mode,
                "join_code": self.contest.join_code,
                "unit_scoring": self.contest.unit_scoring,
                "bank_ids": self.contest.bank_ids,
            },
            "joined_count": self.joined_count(),
            "roster_count": self.participants.len(),
            "rounds": (0..self.rounds.len())
                .map(|r| {
                    let mut view = self.round_view(r);
                    if organizer {
                        // The organizer's setup screen shows each round's full settings.
                        view["config"] = json!(self.rounds[r].config);
                    }
                    view
                })
                .collect::<Vec<_>>(),
            "round": round_index.map(|r| self.round_view(r)),
            "question": Value::Null,
            "leaderboard": self.leaderboard_view(),
            "units": self.units_joined(),
        });
        if let Some(r) = round_index
            && self.rounds[r].kind == RoundKind::Live
            && let Some(i) = self.current_live_question(r)
        {
            let q = &self.rounds[r].live[i];
            let mut view = self.live_question_view(r, i, organizer);
            let answers = self.answers.get(&(self.rounds[r].id, q.uid));
            view["answered"] = json!(answers.map_or(0, |m| m.len()));
            view["joined"] = json!(self.joined_count());
            if matches!(q.state, QuestionState::Open | QuestionState::Paused) {
                snapshot["answer_count"] = json!({
                    "round_id": self.rounds[r].id,
                    "index": i,
                    "answered": answers.map_or(0, |m| m.len()),
                    "joined": self.joined_count(),
                });
            }
            if organizer && matches!(q.state, QuestionState::Open | QuestionState::Paused) {
                let missing = self.missing_answerers(answers);
                view["progress"] = json!({
                    "answered": answers.map_or(0, |m| m.len()),
                    "joined": self.joined_count(),
                    "missing": missing,
                    "answered_ids": answers.map_or_else(Vec::new, |m| m.keys().copied().collect()),
                });
            }
            if q.state == QuestionState::Closed {
                view["result"] = self.question_closed_view(r, i);
            }
            if let Some(pid) = me {
                let answer = self
                    .answers
                    .get(&(self.rounds[r].id, q.uid))
                    .and_then(|m| m.get(&pid));
                view["my_answer"] =
                    answer.map_or(Value::Null, |a| response_view(&a.response, &q.option_order));
                if let Some(s) = self.scored.get(&(self.rounds[r].id, q.uid)).map(|m| m.get(&pid)) {
                    view["my_result"] = json!({
                        "answered": answer.is_some(),
                        "correct": s.is_some_and(|s| s.correct),
                        "points": centi_to_points(s.map_or(0, |s| s.points_centi)),
                        "bonus": centi_to_points(s.map_or(0, |s| s.bonus_centi)),
                    });
                }
            }
            snapshot["question"] = view;
        }
        if let Some(r) = round_index
            && self.rounds[r].kind.is_stage()
            && let Some(i) = self.current_live_question(r)
        {
            let mut view = self.live_question_view(r, i, organizer);
            if self.rounds[r].live[i].state == QuestionState::Closed {
                view["result"] = self.buzzer_result_view(r, i);
            }
            snapshot["question"] = view;
            snapshot["buzzer"] = self.buzzer_state_view(r, i, organizer);
        }
        snapshot["stage"] = self.stage_view(organizer);
        if let Some(r) = round_index
            && self.rounds[r].kind == RoundKind::Exam
            && self.rounds[r].state == RoundState::Running
        {
            let round = &self.rounds[r];
            snapshot["exam_progress"] = json!({
                "round_id": round.id,
                "started": round.papers.len(),
                "submitted": round.papers.values().filter(|p| p.submitted_at.is_some()).count(),
                "joined": self.joined_count(),
            });
        }
        if let Some(pid) = me {
            let p = &self.participants[&pid];
            let ranking = self.ranking();
            let mine = ranking.of(pid);
            snapshot["me"] = json!({
                "id": p.id,
                "name": p.name,
                "badge": p.badge,
                "unit": p.unit,
                "rank": mine.map(|r| r.rank),
                "score": mine.map(|r| centi_to_points(r.standing.score_centi)),
                "correct": mine.map(|r| r.standing.correct),
                "of": ranking.ranked.len(),
                "team": self.team_of(pid),
            });
            if let Some(r) = round_index
                && self.rounds[r].kind == RoundKind::Exam
            {
                snapshot["exam"] = self.exam_view(r, pid);
            }
            if self.contest.state == ContestState::Finished {
                snapshot["review"] = self.review_view(pid);
            }
        }
        if organizer {
            snapshot["participants"] = json!(self.participants_status());
            if let Some(r) = round_index
                && self.rounds[r].kind.is_host_paced()
            {
                snapshot["round_questions"] = json!(
                    self.rounds[r]
                        .live
                        .iter()
                        .enumerate()
                        .map(|(index, q)| {
                            let question = self.questions.get(&q.uid);
                            json!({
                                "index": index,
                                "state": q.state,
                                "uid": q.uid,
                                "question_id": question.map(|q| q.id.as_str()),
                                "type": question.map(|q| q.qtype),
                                "stem": question.map(|q| q.stem.as_str()),
                            })
                        })
                        .collect::<Vec<_>>()
                );
            }
        }
        Ok(snapshot)
    }
}
