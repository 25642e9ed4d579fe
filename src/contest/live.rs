//! Live (host-paced) rounds: the organizer opens each question, everyone answers it against one server
//! clock, the question closes at its deadline (plus grace) or when everyone has answered.

use std::collections::{BTreeMap, HashSet};

use serde_json::json;

use super::actor::{Actor, AnswerRecord, LiveQuestion};
use super::answers::{PendingWrite, to_response};
use super::model::*;
use super::{AnswerAck, AnswerInput};
use crate::error::{AppError, AppResult};
use crate::paper::{PaperRng, draw_paper};
use crate::realtime::encode;
use crate::scoring::{Timing, score_response};
use crate::store::{RoundQuestionRow, now_ms};

impl Actor {
    /// Questions this participant (or, with `None`, anyone) has already met in rounds before `position`.
    pub(super) fn seen_before(&self, position: i64, participant_id: Option<i64>) -> HashSet<i64> {
        let mut seen = HashSet::new();
        for round in self.rounds.iter().filter(|r| r.position < position) {
            seen.extend(round.live.iter().map(|q| q.uid));
            match participant_id {
                Some(pid) => {
                    if let Some(paper) = round.papers.get(&pid) {
                        seen.extend(paper.paper.items.iter().map(|i| i.uid));
                    }
                }
                // A live draw is for everyone: no question whose key any earlier paper revealed may return.
                None => {
                    for paper in round.papers.values() {
                        seen.extend(paper.paper.items.iter().map(|i| i.uid));
                    }
                }
            }
        }
        seen
    }

    pub(super) async fn start_live_round(&mut self, r: usize, now: i64) -> AppResult<()> {
        let round = &self.rounds[r];
        let seen = self.seen_before(round.position, None);
        let mut rng = PaperRng::for_paper(self.contest.seed, round.id, 0);
        let paper = draw_paper(&mut rng, &round.config.blueprint, &self.pool, &seen).map_err(|problems| {
            AppError::unprocessable("blueprint_unfillable", "the blueprint cannot be filled")
                .with_details(problems)
        })?;
        let drawn: Vec<(i64, Vec<usize>)> = paper
            .items
            .iter()
            .map(|i| (i.uid, i.option_order.clone()))
            .collect();
        self.store.start_live_round(round.id, now, &drawn).await?;
        let round = &mut self.rounds[r];
        round.state = RoundState::Running;
        round.started_at = Some(now);
        round.live = drawn
            .into_iter()
            .map(|(uid, option_order)| LiveQuestion {
                uid,
                option_order,
                state: QuestionState::Pending,
                opened_at: None,
                deadline_at: None,
                remaining_ms: None,
                closed_at: None,
            })
            .collect();
        Ok(())
    }

    pub(super) fn open_question_index(&self, r: usize) -> Option<usize> {
        self.rounds[r]
            .live
            .iter()
            .position(|q| matches!(q.state, QuestionState::Open | QuestionState::Paused))
    }

    /// Change a live question's state: the new state is written to the store first and only then becomes the
    /// state in memory, so a failed write leaves memory, store and clients agreeing on the old state.
    pub(super) async fn set_live_question(
        &mut self,
        r: usize,
        i: usize,
        change: impl FnOnce(&mut LiveQuestion),
    ) -> AppResult<()> {
        let round_id = self.rounds[r].id;
        let mut next = self.rounds[r].live[i].clone();
        change(&mut next);
        self.store
            .update_round_question(&RoundQuestionRow {
                round_id,
                position: i as i64,
                question_uid: next.uid,
                option_order: String::new(),
                state: next.state.as_str().to_string(),
                opened_at: next.opened_at,
                deadline_at: next.deadline_at,
                remaining_ms: next.remaining_ms,
                closed_at: next.closed_at,
            })
            .await?;
        self.rounds[r].live[i] = next;
        Ok(())
    }

    /// The question `next` opens: none may be open, and one must be left. Live and buzzer rounds alike.
    pub(super) fn next_pending_question(&self, r: usize) -> AppResult<usize> {
        if self.open_question_index(r).is_some() {
            return Err(AppError::conflict(
                "question_open",
                "a question is still open; close or skip it first",
            ));
        }
        self.rounds[r]
            .live
            .iter()
            .position(|q| q.state == QuestionState::Pending)
            .ok_or_else(|| {
                AppError::conflict(
                    "no_more_questions",
                    "every question of this round has been played",
                )
            })
    }

    pub(super) async fn open_next_question(&mut self, r: usize) -> AppResult<()> {
        let i = self.next_pending_question(r)?;
        let now = now_ms();
        let limit = self.rounds[r].config.question_ms();
        self.set_live_question(r, i, |q| {
            q.state = QuestionState::Open;
            q.opened_at = Some(now);
            q.deadline_at = Some(now + limit);
        })
        .await?;
        self.reset_answered();
        self.publish_question_open(r, i);
        Ok(())
    }

    pub(super) fn publish_question_open(&self, r: usize, i: usize) {
        let public = json!({
            "type": "question_open",
            "server_now": now_ms(),
            "question": self.live_question_view(r, i, false),
        });
        self.hub.publish(encode(&public));
        let organizer = json!({
            "type": "question_open",
            "server_now": now_ms(),
            "question": self.live_question_view(r, i, true),
        });
        self.hub.publish_organizer(encode(&organizer));
    }

    pub(super) async fn pause_question(&mut self, r: usize) -> AppResult<()> {
        let i = self
            .open_question_index(r)
            .filter(|i| self.rounds[r].live[*i].state == QuestionState::Open)
            .ok_or_else(|| AppError::conflict("no_open_question", "no question is running"))?;
        let now = now_ms();
        self.set_live_question(r, i, |q| {
            q.remaining_ms = Some((q.deadline_at.unwrap_or(now) - now).max(0));
            q.deadline_at = None;
            q.state = QuestionState::Paused;
        })
        .await?;
        self.publish_both(json!({
            "type": "question_paused",
            "server_now": now,
            "round_id": self.rounds[r].id,
            "index": i,
            "remaining_ms": self.rounds[r].live[i].remaining_ms,
        }));
        Ok(())
    }

    pub(super) async fn resume_question(&mut self, r: usize) -> AppResult<()> {
        let i = self
            .open_question_index(r)
            .filter(|i| self.rounds[r].live[*i].state == QuestionState::Paused)
            .ok_or_else(|| AppError::conflict("not_paused", "no question is paused"))?;
        let now = now_ms();
        self.set_live_question(r, i, |q| {
            q.deadline_at = Some(now + q.remaining_ms.unwrap_or(0));
            q.remaining_ms = None;
            q.state = QuestionState::Open;
        })
        .await?;
        self.publish_both(json!({
            "type": "question_resumed",
            "server_now": now,
            "round_id": self.rounds[r].id,
            "index": i,
            "deadline": self.rounds[r].live[i].deadline_at,
        }));
        Ok(())
    }

    pub(super) fn publish_both(&self, event: serde_json::Value) {
        let bytes = encode(&event);
        self.hub.publish(bytes.clone());
        self.hub.publish_organizer(bytes);
    }

    /// Skip the open question, or else the next pending one. A skipped question is never scored.
    pub(super) async fn skip_question(&mut self, r: usize) -> AppResult<()> {
        let i = match self.open_question_index(r) {
            Some(i) => i,
            None => self.rounds[r]
                .live
                .iter()
                .position(|q| q.state == QuestionState::Pending)
                .ok_or_else(|| AppError::conflict("no_more_questions", "nothing left to skip"))?,
        };
        let now = now_ms();
        self.set_live_question(r, i, |q| {
            q.state = QuestionState::Skipped;
            q.closed_at = Some(now);
            q.remaining_ms = None;
        })
        .await?;
        self.publish_both(json!({
            "type": "question_skipped",
            "server_now": now,
            "round_id": self.rounds[r].id,
            "index": i,
        }));
        Ok(())
    }

    /// Close a question: wait for every accepted answer to be committed, score, then publish the key, the
    /// distribution and the leaderboard. Before this point no key of this question has left the server.
    pub(super) async fn close_live_question(
        &mut self,
        r: usize,
        i: usize,
        _scheduled: bool,
    ) -> AppResult<()> {
        if !matches!(
            self.rounds[r].live[i].state,
            QuestionState::Open | QuestionState::Paused
        ) {
            return Ok(());
        }
        let started = std::time::Instant::now();
        // Every accepted answer is now committed or failed; only committed ones count.
        let barrier = self.writer.barrier().await;
        let committed = started.elapsed();
        if !barrier.all_committed() {
            tracing::warn!(
                ?barrier,
                "closing a question after answer writes failed; only committed answers count"
            );
        }
        let key = (self.rounds[r].id, self.rounds[r].live[i].uid);
        self.settle_answers(&[key]);
        let now = now_ms();
        self.set_live_question(r, i, |q| {
            q.state = QuestionState::Closed;
            q.closed_at = Some(now);
            q.remaining_ms = None;
        })
        .await?;
        let stored = started.elapsed();
        self.score_live_question(r, i);
        // The last counts of the tick go out before the result, so nobody sees a count after the close.
        self.flush_pending();
        let closed = self.question_closed_view(r, i);
        let closed = encode(&json!({"type": "question_closed", "server_now": now, "result": closed}));
        let leaderboard = encode(&json!({"type": "leaderboard", "leaderboard": self.leaderboard_view()}));
        for frame in [&closed, &leaderboard] {
            self.hub.publish_screen(frame.clone());
            self.hub.publish_organizer(frame.clone());
        }
        // Two frames per participant: the result and the own outcome with the new place and the number ranked,
        // queued together so that each socket wakes once and writes them in one batch. Phones show no
        // leaderboard (they have it in their snapshot); at 10,000 people it would be most of the bytes of a close.
        self.send_personal_results(r, i, [closed]);
        tracing::debug!(
            barrier_ms = committed.as_secs_f64() * 1e3,
            stored_ms = stored.as_secs_f64() * 1e3,
            queued_ms = started.elapsed().as_secs_f64() * 1e3,
            "question closed"
        );
        Ok(())
    }

    /// Score every answer of one closed live question.
    pub(super) fn score_live_question(&mut self, r: usize, i: usize) {
        let round = &self.rounds[r];
        let q = &round.live[i];
        let Some(question) = self.questions.get(&q.uid).cloned() else {
            return;
        };
        let limit_ms = round.config.question_ms();
        let count = round.live.len();
        let mut scores = std::collections::BTreeMap::new();
        if let Some(answers) = self.answers.get(&(round.id, q.uid)) {
            for (pid, a) in answers {
                let timing = Timing {
                    elapsed_ms: a.elapsed_ms,
                    limit_ms,
                };
                scores.insert(
                    *pid,
                    score_response(&question, &a.response, Some(timing), count, &round.config.scoring),
                );
            }
        }
        self.scored.insert((round.id, q.uid), scores);
        self.invalidate_ranking();
    }

    pub(super) async fn finish_live_round(&mut self, r: usize) -> AppResult<()> {
        if let Some(i) = self.open_question_index(r) {
            self.close_live_question(r, i, false).await?;
        }
        let now = now_ms();
        for i in 0..self.rounds[r].live.len() {
            if self.rounds[r].live[i].state == QuestionState::Pending {
                self.set_live_question(r, i, |q| {
                    q.state = QuestionState::Skipped;
                    q.closed_at = Some(now);
                })
                .await?;
            }
        }
        self.end_round_common(r, now).await
    }

    pub(super) async fn end_round_common(&mut self, r: usize, now: i64) -> AppResult<()> {
        let round = &self.rounds[r];
        self.store
            .set_round_state(round.id, "finished", round.started_at, round.ends_at, Some(now))
            .await?;
        let round = &mut self.rounds[r];
        round.state = RoundState::Finished;
        round.finished_at = Some(now);
        self.publish_both(json!({
            "type": "round_finished",
            "server_now": now,
            "round": self.round_view(r),
            "leaderboard": self.leaderboard_view(),
        }));
        self.send_personal_ranks();
        Ok(())
    }

    pub(super) fn live_answer(
        &mut self,
        pid: i64,
        r: usize,
        input: &AnswerInput,
    ) -> AppResult<(Option<PendingWrite>, AnswerAck)> {
        let now = now_ms();
        let round = &self.rounds[r];
        if round.state != RoundState::Running {
            return Err(AppError::conflict(
                "round_not_running",
                "this round is not running",
            ));
        }
        let q = round
            .live
            .get(input.index)
            .ok_or_else(|| AppError::not_found("question"))?;
        let grace = i64::from(round.config.grace_ms);
        match q.state {
            QuestionState::Pending => {
                return Err(AppError::conflict(
                    "question_not_open",
                    "this question has not been opened yet",
                ));
            }
            QuestionState::Paused => {
                return Err(AppError::conflict(
                    "question_paused",
                    "the question is paused; answer when it resumes",
                ));
            }
            QuestionState::Closed | QuestionState::Skipped => {
                return Err(AppError::conflict("question_closed", "this question has closed"));
            }
            QuestionState::Open => {}
        }
        let deadline = q.deadline_at.unwrap_or(now);
        if now > deadline + grace {
            return Err(AppError::conflict(
                "answer_late",
                format!("the answer arrived {} ms after the deadline", now - deadline),
            ));
        }
        let question = self.question(q.uid)?;
        let response = to_response(&question, &q.option_order, input)?;
        let key = (round.id, q.uid);
        if let Some(existing) = self.answers.get(&key).and_then(|m| m.get(&pid)) {
            if existing.response == response {
                let ack = AnswerAck {
                    round_id: round.id,
                    index: input.index,
                    received_at: existing.received_at,
                    duplicate: true,
                };
                return Ok((self.rewrite_if_pending(pid, key), ack));
            }
            return Err(AppError::conflict(
                "already_answered",
                "an answer to this question was already received; it cannot be changed",
            ));
        }
        let limit = round.config.question_ms();
        let elapsed_ms = (limit - (deadline - now)).clamp(0, limit);
        let round_id = round.id;
        let uid = q.uid;
        let index = input.index;
        let row = self.record_answer(pid, round_id, uid, response, now, elapsed_ms)?;
        let ack = AnswerAck {
            round_id,
            index,
            received_at: now,
            duplicate: false,
        };
        Ok((Some(row), ack))
    }

    /// After an accepted live answer: count it at the next tick, and close early when everyone has answered.
    /// O(1): no scan over participants or answers.
    pub(super) async fn after_answer(&mut self, participant_id: i64) {
        let Some(r) = self.running_round() else { return };
        if self.rounds[r].kind != RoundKind::Live {
            return;
        }
        let Some(i) = self.open_question_index(r) else {
            return;
        };
        self.mark_answered(participant_id);
        let round = &self.rounds[r];
        let answered = self
            .answers
            .get(&(round.id, round.live[i].uid))
            .map_or(0, |m| m.len());
        let joined = self.joined_count();
        if round.config.close_when_all_answered
            && round.live[i].state == QuestionState::Open
            && joined > 0
            && answered >= joined
            && let Err(e) = self.close_live_question(r, i, false).await
        {
            tracing::error!(error = %e, "closing a fully answered question failed");
        }
    }

    /// Joined participants who have not answered (the first 500): computed on request, for a snapshot.
    pub(super) fn missing_answerers(
        &self,
        answers: Option<&BTreeMap<i64, AnswerRecord>>,
    ) -> Vec<serde_json::Value> {
        self.participants
            .values()
            .filter(|p| p.joined_at.is_some() && !answers.is_some_and(|m| m.contains_key(&p.id)))
            .take(500)
            .map(|p| json!({"id": p.id, "name": p.name, "unit": p.unit}))
            .collect()
    }
}
