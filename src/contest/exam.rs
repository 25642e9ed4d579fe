//! Exam (self-paced) rounds: each participant draws an own paper from the blueprint, answers it against a
//! personal deadline (clipped by the round window), may change answers until submitting, and is
//! auto-submitted at the deadline. Keys and scores are revealed only when the round ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::actor::{Actor, PaperState};
use super::answers::{PendingWrite, to_response};
use super::model::*;
use super::{AnswerAck, AnswerInput, ParticipantRef};
use crate::error::{AppError, AppResult};
use crate::paper::{Paper, PaperRng, draw_prepared_paper};
use crate::scoring::score_response;
use crate::store::writer::{PaperWrite, PendingCommit};
use crate::store::{PaperRow, now_ms};

/// The actor's answer to a paper being opened or handed in: the paper view, and the write the reply must wait
/// for (the caller awaits it outside the actor), then a frame for the participant's sockets after that commit.
pub struct ExamReply {
    pub view: Value,
    pub commit: Option<PendingCommit>,
    pub after_commit: Option<bytes::Bytes>,
}

impl Actor {
    pub(super) async fn start_exam_round(&mut self, r: usize, now: i64) -> AppResult<()> {
        let ends_at = self.rounds[r]
            .config
            .window_seconds
            .map(|w| now + i64::from(w) * 1000);
        self.store
            .set_round_state(self.rounds[r].id, "running", Some(now), ends_at, None)
            .await?;
        let round = &mut self.rounds[r];
        round.state = RoundState::Running;
        round.started_at = Some(now);
        round.ends_at = ends_at;
        Ok(())
    }

    /// Draw (or redraw, for an audit) one participant's paper. Pure in (seed, round, participant, earlier
    /// rounds, blueprint, pool).
    pub(super) fn draw_for(&self, r: usize, participant_id: i64) -> AppResult<Paper> {
        let round = &self.rounds[r];
        let seen = self.seen_before(round.position, Some(participant_id));
        let mut rng = PaperRng::for_paper(self.contest.seed, round.id, participant_id);
        // The round's blueprint passed the check against this pool when the round started.
        draw_prepared_paper(&mut rng, &round.config.blueprint, &self.prepared, &seen).map_err(|problems| {
            AppError::unprocessable("blueprint_unfillable", "the blueprint cannot be filled")
                .with_details(problems)
        })
    }

    fn current_exam(&self) -> AppResult<usize> {
        match self.running_round() {
            Some(r) if self.rounds[r].kind == RoundKind::Exam => Ok(r),
            _ => Err(AppError::conflict("no_exam_running", "no exam round is running")),
        }
    }

    /// Open (or reopen) the participant's paper. The first call draws it and starts the personal clock. The
    /// paper is written through the group-commit writer; the reply waits for that commit (see [`ExamReply`]),
    /// so the actor never waits for a disk and thousands of papers opened at once share their commits.
    pub(super) async fn exam_start(&mut self, who: &ParticipantRef) -> AppResult<ExamReply> {
        self.check_session(who)?;
        let r = self.current_exam()?;
        let pid = who.participant_id;
        if !self.rounds[r].papers.contains_key(&pid) {
            let now = now_ms();
            let round = &self.rounds[r];
            if round.ends_at.is_some_and(|end| now >= end) {
                return Err(AppError::conflict(
                    "deadline_passed",
                    "the exam window has closed",
                ));
            }
            let paper = self.draw_for(r, pid)?;
            let limit = i64::from(round.config.time_limit_seconds) * 1000;
            let deadline_at = round.ends_at.map_or(now + limit, |end| end.min(now + limit));
            let grace = i64::from(self.rounds[r].config.grace_ms);
            self.rounds[r].papers.insert(
                pid,
                PaperState {
                    paper,
                    started_at: now,
                    deadline_at,
                    submitted_at: None,
                    auto_submitted: false,
                    start_durable: Arc::new(AtomicBool::new(false)),
                    submit_durable: Arc::new(AtomicBool::new(false)),
                },
            );
            self.exam_due.insert((deadline_at + grace, r, pid));
            self.mark_exam_progress(pid);
        }
        // A new paper, or one whose write failed before (this is the retry): write it (again; harmless).
        let paper = &self.rounds[r].papers[&pid];
        let commit = if paper.start_durable.load(Ordering::Acquire) {
            None
        } else {
            let row = PaperRow {
                round_id: self.rounds[r].id,
                participant_id: pid,
                items: serde_json::to_string(&paper.paper).map_err(AppError::internal)?,
                started_at: paper.started_at,
                deadline_at: paper.deadline_at,
                submitted_at: None,
                auto_submitted: false,
            };
            let durable = paper.start_durable.clone();
            Some(self.writer.put_paper(PaperWrite::Start(row), durable).await)
        };
        Ok(ExamReply {
            view: self.exam_view(r, pid),
            commit,
            after_commit: None,
        })
    }

    pub(super) fn exam_answer(
        &mut self,
        pid: i64,
        r: usize,
        input: &AnswerInput,
    ) -> AppResult<(Option<PendingWrite>, AnswerAck)> {
        let now = now_ms();
        let round = &self.rounds[r];
        match round.state {
            RoundState::Running => {}
            RoundState::Pending => {
                return Err(AppError::conflict(
                    "round_not_running",
                    "this exam round has not started",
                ));
            }
            RoundState::Finished => {
                return Err(AppError::conflict("deadline_passed", "this exam round has ended"));
            }
        }
        let paper = round
            .papers
            .get(&pid)
            .ok_or_else(|| AppError::conflict("paper_not_started", "open the paper before answering"))?;
        let grace = i64::from(round.config.grace_ms);
        if now > paper.deadline_at + grace {
            return Err(AppError::conflict(
                "deadline_passed",
                format!(
                    "the time for this paper ran out {} ms ago",
                    now - paper.deadline_at
                ),
            ));
        }
        if paper.submitted_at.is_some() {
            return Err(AppError::conflict(
                "paper_submitted",
                "this paper has already been submitted",
            ));
        }
        let item = paper
            .paper
            .items
            .get(input.index)
            .ok_or_else(|| AppError::not_found("question"))?;
        let question = self.question(item.uid)?;
        let response = to_response(&question, &item.option_order, input)?;
        let key = (round.id, item.uid);
        let elapsed_ms = now - paper.started_at;
        let ack = AnswerAck {
            round_id: round.id,
            index: input.index,
            received_at: now,
            duplicate: false,
        };
        if let Some(existing) = self.answers.get(&key).and_then(|m| m.get(&pid))
            && existing.response == response
        {
            let ack = AnswerAck {
                received_at: existing.received_at,
                duplicate: true,
                ..ack
            };
            return Ok((self.rewrite_if_pending(pid, key), ack));
        }
        let (round_id, uid) = (round.id, item.uid);
        let row = self.record_answer(pid, round_id, uid, response, now, elapsed_ms)?;
        Ok((Some(row), ack))
    }

    pub(super) async fn exam_submit(&mut self, who: &ParticipantRef) -> AppResult<ExamReply> {
        self.check_session(who)?;
        let r = self.current_exam()?;
        let pid = who.participant_id;
        let paper = self.rounds[r]
            .papers
            .get(&pid)
            .ok_or_else(|| AppError::conflict("paper_not_started", "this paper was never opened"))?;
        let (commit, after_commit) = if paper.submitted_at.is_none() {
            let commit = self.submit_paper(r, pid, false).await?;
            (commit, Some(self.paper_submitted_event(r, pid)))
        } else {
            // Handed in before; if that write failed, this is the retry.
            (self.rewrite_submission(r, pid).await, None)
        };
        Ok(ExamReply {
            view: self.exam_view(r, pid),
            commit,
            after_commit,
        })
    }

    /// Mark a paper submitted (by the participant, or automatically at its deadline) and queue the write. The
    /// writer commits it with or after the paper's answers, which were queued before it: a hand-in never
    /// commits ahead of an accepted answer. Returns the pending commit (None if the paper was already in).
    pub(super) async fn submit_paper(
        &mut self,
        r: usize,
        pid: i64,
        auto: bool,
    ) -> AppResult<Option<PendingCommit>> {
        let grace = i64::from(self.rounds[r].config.grace_ms);
        let Some(paper) = self.rounds[r].papers.get_mut(&pid) else {
            return Ok(None);
        };
        if paper.submitted_at.is_some() {
            return Ok(None);
        }
        let now = now_ms();
        // An automatic submission counts at the paper's deadline at the latest, even when it happens later
        // (after a restart): the time a server was down is not the participant's answer time.
        let submitted_at = if auto { now.min(paper.deadline_at) } else { now };
        paper.submitted_at = Some(submitted_at);
        paper.auto_submitted = auto;
        let due = paper.deadline_at + grace;
        self.exam_due.remove(&(due, r, pid));
        let commit = self.rewrite_submission(r, pid).await;
        if auto {
            // Nobody waits for an automatic hand-in's commit; the phone learns of it at once.
            self.hub.send_personal(pid, self.paper_submitted_event(r, pid));
        }
        self.mark_exam_progress(pid);
        Ok(commit)
    }

    /// Queue the write of a hand-in that is not on disk yet (None when it is, or the paper is still open).
    async fn rewrite_submission(&self, r: usize, pid: i64) -> Option<PendingCommit> {
        let paper = self.rounds[r].papers.get(&pid)?;
        let submitted_at = paper.submitted_at?;
        if paper.submit_durable.load(Ordering::Acquire) {
            return None;
        }
        let write = PaperWrite::Submit {
            round_id: self.rounds[r].id,
            participant_id: pid,
            submitted_at,
            auto: paper.auto_submitted,
        };
        Some(self.writer.put_paper(write, paper.submit_durable.clone()).await)
    }

    fn paper_submitted_event(&self, r: usize, pid: i64) -> bytes::Bytes {
        let paper = &self.rounds[r].papers[&pid];
        crate::realtime::encode(&json!({
            "type": "paper_submitted",
            "round_id": self.rounds[r].id,
            "auto": paper.auto_submitted,
            "server_now": now_ms(),
        }))
    }

    pub(super) fn publish_exam_progress(&self, r: usize) {
        let round = &self.rounds[r];
        let started = round.papers.len();
        let submitted = round.papers.values().filter(|p| p.submitted_at.is_some()).count();
        // Screens and organizers show it; phones do not (each phone knows its own paper).
        let bytes = crate::realtime::encode(&json!({
            "type": "exam_progress",
            "round_id": round.id,
            "started": started,
            "submitted": submitted,
            "joined": self.joined_count(),
        }));
        self.hub.publish_screen(bytes.clone());
        self.hub.publish_organizer(bytes);
    }

    /// End an exam round: submit every open paper, score all papers, publish results.
    pub(super) async fn finish_exam_round(&mut self, r: usize) -> AppResult<()> {
        if self.rounds[r].state != RoundState::Running {
            return Ok(());
        }
        let open: Vec<i64> = self.rounds[r]
            .papers
            .iter()
            .filter(|(_, p)| p.submitted_at.is_none())
            .map(|(pid, _)| *pid)
            .collect();
        for pid in open {
            self.submit_paper(r, pid, true).await?;
        }
        // Hand-ins whose write failed before are written again, so the disk agrees with the scores.
        let unwritten: Vec<i64> = self.rounds[r]
            .papers
            .iter()
            .filter(|(_, p)| p.submitted_at.is_some() && !p.submit_durable.load(Ordering::Acquire))
            .map(|(pid, _)| *pid)
            .collect();
        for pid in unwritten {
            drop(self.rewrite_submission(r, pid).await);
        }
        let barrier = self.writer.barrier().await;
        if !barrier.all_committed() {
            tracing::warn!(
                ?barrier,
                "answer writes failed before this exam round ended; only committed answers count"
            );
        }
        let round_id = self.rounds[r].id;
        let keys: Vec<(i64, i64)> = self.rounds[r]
            .papers
            .values()
            .flat_map(|p| p.paper.items.iter().map(move |i| (round_id, i.uid)))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        self.settle_answers(&keys);
        self.score_exam_round(r);
        let now = now_ms();
        self.end_round_common(r, now).await?;
        let round_id = self.rounds[r].id;
        let results: Vec<(i64, bytes::Bytes)> = self
            .hub
            .connected_participants()
            .into_iter()
            .filter(|pid| self.rounds[r].papers.contains_key(pid))
            .map(|pid| {
                let view = self.exam_view(r, pid);
                let event = json!({"type": "exam_result", "round_id": round_id, "exam": view});
                (pid, crate::realtime::encode(&event))
            })
            .collect();
        self.hub.send_personal_many(results);
        Ok(())
    }

    pub(super) fn score_exam_round(&mut self, r: usize) {
        let round = &self.rounds[r];
        let mut updates = Vec::new();
        for (pid, paper) in &round.papers {
            let count = paper.paper.items.len();
            for item in &paper.paper.items {
                let Some(question) = self.questions.get(&item.uid) else {
                    continue;
                };
                if let Some(answer) = self.answers.get(&(round.id, item.uid)).and_then(|m| m.get(pid)) {
                    let scored =
                        score_response(question, &answer.response, None, count, &round.config.scoring);
                    updates.push(((round.id, item.uid), *pid, scored));
                }
            }
        }
        for (key, pid, scored) in updates {
            self.scored.entry(key).or_default().insert(pid, scored);
        }
        self.invalidate_ranking();
    }

    /// Organizer audit: the stored paper next to one regenerated from the seed.
    pub(super) fn paper_audit(&self, round_id: i64, participant_id: i64) -> AppResult<Value> {
        let r = self.round_index(round_id)?;
        let stored = self.rounds[r]
            .papers
            .get(&participant_id)
            .ok_or_else(|| AppError::not_found("paper"))?;
        let regenerated = self.draw_for(r, participant_id)?;
        Ok(json!({
            "round_id": round_id,
            "participant_id": participant_id,
            "seed": self.contest.seed.to_string(),
            "stored": stored.paper,
            "regenerated": regenerated,
            "identical": stored.paper == regenerated,
            "started_at": stored.started_at,
            "deadline_at": stored.deadline_at,
            "submitted_at": stored.submitted_at,
            "auto_submitted": stored.auto_submitted,
        }))
    }
}
