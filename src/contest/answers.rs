//! The answer path shared by live and exam rounds: accepting or refusing (and recording the refusal),
//! keeping answers in memory until their commit, settling failed commits, and mapping displayed choices to
//! original options.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::actor::{Actor, AnswerRecord};
use super::model::*;
use super::{AcceptedAnswer, AnswerInput, ParticipantRef};
use crate::bank::{MAX_BLANK_CHARS, Question, QuestionType, Response};
use crate::error::{AppError, AppResult};
use crate::store::{AnswerRow, Rejection, now_ms};

/// A row for the answer writer and the flag it sets once the row is committed.
pub(super) type PendingWrite = (AnswerRow, Arc<AtomicBool>);

impl Actor {
    /// Accept or refuse an answer. Accepted answers are in memory at once (so a concurrent duplicate is seen)
    /// and on their way to the group-commit writer; the caller acknowledges only after the commit.
    pub(super) async fn answer(
        &mut self,
        who: &ParticipantRef,
        input: AnswerInput,
    ) -> AppResult<AcceptedAnswer> {
        let r = match self
            .check_session(who)
            .and_then(|_| self.round_index(input.round_id))
        {
            Ok(r) => r,
            // Refused before a round of the contest is found (a replaced session, a round id that names none):
            // recorded without a round, so an id that names no round opens no refusal cap of its own.
            Err(e) => return Err(self.record_refusal(who.participant_id, None, &input, e).await),
        };
        let result = match self.rounds[r].kind {
            RoundKind::Live => self.live_answer(who.participant_id, r, &input),
            RoundKind::Exam => self.exam_answer(who.participant_id, r, &input),
            // Judged at once and committed with the judgement: nothing left for the answer writer.
            _ => self
                .buzzer_answer(who.participant_id, r, &input)
                .await
                .map(|ack| (None, ack)),
        };
        match result {
            Ok((write, ack)) => {
                if ack.duplicate {
                    crate::metrics::METRICS.answers_duplicate.inc();
                } else {
                    crate::metrics::METRICS.answers_accepted.inc();
                }
                let commit = match write {
                    Some((row, durable)) => Some(self.writer.put_answer(row, durable).await),
                    None => None,
                };
                Ok(AcceptedAnswer { ack, commit })
            }
            Err(e) => Err(self
                .record_refusal(who.participant_id, Some(input.round_id), &input, e)
                .await),
        }
    }

    /// Every refused answer is kept for the record (late, closed, after the round, malformed...).
    async fn record_refusal(
        &self,
        participant_id: i64,
        round_id: Option<i64>,
        input: &AnswerInput,
        e: AppError,
    ) -> AppError {
        crate::metrics::METRICS.answer_refused(e.code);
        self.writer
            .put_rejection(Rejection {
                contest_id: self.contest.id,
                participant_id,
                round_id,
                question_ref: Some(input.index.to_string()),
                reason: format!("{}: {}", e.code, e.message),
                received_at: now_ms(),
            })
            .await;
        e
    }

    /// Keep an accepted answer in memory (so a concurrent duplicate is recognised at once) and return the row
    /// for the group-commit writer. A changed answer keeps the last committed version, to fall back on if the
    /// change fails to commit.
    pub(super) fn record_answer(
        &mut self,
        pid: i64,
        round_id: i64,
        uid: i64,
        response: Response,
        now: i64,
        elapsed_ms: i64,
    ) -> AppResult<PendingWrite> {
        let row = AnswerRow {
            participant_id: pid,
            round_id,
            question_uid: uid,
            contest_id: self.contest.id,
            response: serde_json::to_string(&response).map_err(AppError::internal)?,
            received_at: now,
            elapsed_ms,
        };
        let durable = Arc::new(AtomicBool::new(false));
        let answers = self.answers.entry((round_id, uid)).or_default();
        let previous = answers.remove(&pid).and_then(|old| {
            if old.is_durable() {
                Some(Box::new(old))
            } else {
                old.previous
            }
        });
        answers.insert(
            pid,
            AnswerRecord {
                response,
                received_at: now,
                elapsed_ms,
                durable: durable.clone(),
                previous,
            },
        );
        Ok((row, durable))
    }

    /// A resent answer that is still on its way to disk: write the same row again and acknowledge only after
    /// that commit, so a "received" never comes before the answer is durable. Already durable: nothing to do.
    pub(super) fn rewrite_if_pending(&self, pid: i64, key: (i64, i64)) -> Option<PendingWrite> {
        let existing = self.answers.get(&key).and_then(|m| m.get(&pid))?;
        if existing.is_durable() {
            return None;
        }
        let row = AnswerRow {
            participant_id: pid,
            round_id: key.0,
            question_uid: key.1,
            contest_id: self.contest.id,
            response: serde_json::to_string(&existing.response).ok()?,
            received_at: existing.received_at,
            elapsed_ms: existing.elapsed_ms,
        };
        Some((row, existing.durable.clone()))
    }

    /// After the writer barrier, every answer of these questions is either committed or failed: drop the
    /// failed ones (restoring the previous committed version of a changed exam answer), so only what is on
    /// disk is scored and counted.
    pub(super) fn settle_answers(&mut self, keys: &[(i64, i64)]) {
        for key in keys {
            let Some(answers) = self.answers.get_mut(key) else {
                continue;
            };
            let failed: Vec<i64> = answers
                .iter()
                .filter(|(_, a)| !a.is_durable())
                .map(|(pid, _)| *pid)
                .collect();
            for pid in failed {
                if let Some(record) = answers.remove(&pid)
                    && let Some(previous) = record.previous
                {
                    answers.insert(pid, *previous);
                }
            }
        }
    }

    pub(super) fn forget_answer(&mut self, pid: i64, round_id: i64, index: usize, received_at: i64) {
        let Ok(r) = self.round_index(round_id) else { return };
        let round = &self.rounds[r];
        let uid = match round.kind {
            RoundKind::Exam => round
                .papers
                .get(&pid)
                .and_then(|p| p.paper.items.get(index))
                .map(|i| i.uid),
            _ => round.live.get(index).map(|q| q.uid),
        };
        let Some(answers) = uid.and_then(|uid| self.answers.get_mut(&(round_id, uid))) else {
            return;
        };
        // Only the version whose commit failed, and only if no later write of it succeeded.
        if answers
            .get(&pid)
            .is_some_and(|a| a.received_at == received_at && !a.is_durable())
            && let Some(record) = answers.remove(&pid)
            && let Some(previous) = record.previous
        {
            answers.insert(pid, *previous);
        }
    }
}

/// Map a client's answer (display positions) to a canonical response (original option indices), refusing
/// shapes that do not fit the question with `invalid_answer`. `option_order[display] = original` is the
/// participant's presentation order; empty means the bank's order. Pure: public for the fuzz targets (fuzz/).
pub fn to_response(question: &Question, option_order: &[usize], input: &AnswerInput) -> AppResult<Response> {
    let bad = |m: &str| AppError::unprocessable("invalid_answer", m.to_string());
    match question.qtype {
        QuestionType::Fill => {
            let blanks = input
                .blanks
                .as_ref()
                .ok_or_else(|| bad("a fill-in question needs `blanks`"))?;
            if blanks.len() != question.blank_count() {
                return Err(bad(&format!(
                    "this question has {} blank(s), the answer has {}",
                    question.blank_count(),
                    blanks.len()
                )));
            }
            if blanks.iter().any(|b| b.chars().count() > MAX_BLANK_CHARS) {
                return Err(bad(&format!(
                    "a blank's answer is longer than {MAX_BLANK_CHARS} characters"
                )));
            }
            Ok(Response::Blanks(blanks.clone()))
        }
        _ => {
            let choice = input
                .choice
                .as_ref()
                .ok_or_else(|| bad("a choice question needs `choice`"))?;
            // A repeated option is a client bug or a crafted request; merging it silently would hide that.
            let mut displayed = choice.clone();
            displayed.sort_unstable();
            if let Some(pair) = displayed.windows(2).find(|pair| pair[0] == pair[1]) {
                return Err(bad(&format!("option {} is picked more than once", pair[0])));
            }
            let mut picked = Vec::with_capacity(choice.len());
            for &display in choice {
                let original = if option_order.is_empty() {
                    (display < question.options.len()).then_some(display)
                } else {
                    option_order.get(display).copied()
                };
                picked.push(original.ok_or_else(|| bad(&format!("option {display} does not exist")))?);
            }
            picked.sort_unstable();
            if picked.is_empty() {
                return Err(bad("pick at least one option"));
            }
            if question.qtype != QuestionType::Multiple && picked.len() != 1 {
                return Err(bad("pick exactly one option"));
            }
            Ok(Response::Choice(picked))
        }
    }
}
