//! 抢答 (buzzer) rounds in the engine. The rules are [`crate::stage::BuzzerQuestion`]; this module feeds it the
//! organizer's actions, the phones' buzzes and answers and the clock, stores every step before announcing it,
//! and rebuilds the open question from the stored log after a restart.
//!
//! **Order of buzzes.** A phone's `buzz` frame is stamped by its socket task with the time it was read
//! ([`buzz_clock_ms`]: the wall clock read once, then a monotonic clock) and handed to the contest's actor
//! through one first-in-first-out queue. The actor takes buzzes one at a time in that order and gives each the
//! next number of its receive sequence; should a buzz read earlier reach the actor later, it gets the time of
//! the one before (times never decrease along the queue). So the order of (server time, sequence) is exactly the
//! order in which the engine received the buzzes, and two buzzes of the same millisecond are ordered by their
//! sequence numbers. The time the phone reported (`client_ms`) is stored but never decides.
//!
//! **Durability.** Each step (arming, an accepted buzz, a judgement, a timeout, the organizer's close) is one
//! transaction: the `buzzer_events` row, the ledger entries it made and, when the question ends, its closed
//! state. Frames go out only after the commit; when the write fails nothing changes and the action answers
//! `503 storage_unavailable`.
//!
//! **Restart.** The actor replays each question's stored events through the rules: phase, buzz order, floor,
//! lockouts and judgements come back exactly. The ledger is read back as stored (not recomputed). A timer that
//! was running (a buzz window, or the floor holder's answer time) starts again in full at the restart, so a
//! crash never costs a team its answer time or turns into a penalty.

use std::sync::OnceLock;
use std::time::Instant;

use serde_json::{Value, json};

use super::actor::Actor;
use super::answers::to_response;

use super::buzzer_log::{BuzzerRun, Cause, Step, event_row, step_of_row};
use super::model::*;
use super::stage::rule_error;
use super::{AnswerAck, AnswerInput, ParticipantRef};
use crate::error::{AppError, AppResult};
use crate::stage::{
    Buzz, BuzzerEvent, BuzzerOutcome, MemberAnswer, Phase, ScoreChange, TeamId, counting_answer,
};
use crate::store::{StageWrite, now_ms};

/// Milliseconds since the Unix epoch from a clock that never goes back within the process.
pub fn buzz_clock_ms() -> i64 {
    static ANCHOR: OnceLock<(Instant, i64)> = OnceLock::new();
    let (at, wall) = ANCHOR.get_or_init(|| (Instant::now(), now_ms()));
    wall + at.elapsed().as_millis() as i64
}

impl Actor {
    /// A fresh run of question `i` of round `r`, as it was set up when it opened.
    fn new_run(&self, r: usize, i: usize) -> AppResult<BuzzerRun> {
        let state = self.setup_of(r, i).question().map_err(rule_error)?;
        Ok(BuzzerRun::new(state))
    }

    /// Replay every stored buzzer question (after the teams and the ledger are loaded).
    pub(super) async fn load_buzzer_runs(&mut self) -> anyhow::Result<()> {
        self.stage.runs.clear();
        self.stage.last_stamp = (0, 0);
        let now = now_ms();
        for r in 0..self.rounds.len() {
            let round = &self.rounds[r];
            if !round.kind.is_stage() || round.state == RoundState::Pending {
                continue;
            }
            let round_id = round.id;
            let events = self.store.buzzer_events(round_id).await?;
            // Every question ever opened has a run, even one with no event yet.
            for (i, q) in self.rounds[r].live.iter().enumerate() {
                if q.opened_at.is_some() {
                    let run = self.new_run(r, i).map_err(|e| anyhow::anyhow!("{}", e.message))?;
                    self.stage.runs.insert((round_id, i), run);
                }
            }
            for row in &events {
                let i = usize::try_from(row.position)?;
                let run = self
                    .stage
                    .runs
                    .get_mut(&(round_id, i))
                    .ok_or_else(|| anyhow::anyhow!("buzzer events for question {i} that never opened"))?;
                let (step, cause) = step_of_row(row)?;
                let (next, outcomes) = match step {
                    Step::Rule(event) => {
                        let (next, outcomes) = run.state.step(&event).map_err(|e| {
                            anyhow::anyhow!("replaying buzzer event {} of question {i}: {e}", row.n)
                        })?;
                        (Some(next), outcomes)
                    }
                    Step::Close => (None, Vec::new()),
                };
                run.advance(&step, next, &outcomes, row.at_ms, &cause);
                if let Step::Rule(BuzzerEvent::Buzz(buzz)) = step {
                    self.stage.last_stamp = self.stage.last_stamp.max(buzz.order_key());
                }
            }
            if self.rounds[r].state == RoundState::Running
                && let Some(i) = self.open_question_index(r)
                && let Some(run) = self.stage.runs.get_mut(&(round_id, i))
            {
                run.restart_timers(now);
            }
        }
        Ok(())
    }

    /// The open question of a buzzer round and its run.
    fn open_run(&self, r: usize) -> AppResult<(usize, &BuzzerRun)> {
        self.open_question_index(r)
            .and_then(|i| self.stage.runs.get(&(self.rounds[r].id, i)).map(|run| (i, run)))
            .ok_or_else(|| AppError::conflict("no_open_question", "no question is open"))
    }

    /// `arm`: from now on the first buzz takes the floor.
    pub(super) async fn arm_buzzer(&mut self, r: usize, by: &str) -> AppResult<()> {
        let (i, _) = self.open_run(r)?;
        self.buzzer_step(r, i, Step::Rule(BuzzerEvent::Arm), now_ms(), Cause::by(by))
            .await
            .map(|_| ())
    }

    /// `judge`: the organizer's verdict on the floor holder's spoken answer. `team`, when given, must be the
    /// floor holder (so a double click cannot judge the next team in line).
    pub(super) async fn judge_buzzer(
        &mut self,
        r: usize,
        correct: bool,
        team: Option<TeamId>,
        by: &str,
    ) -> AppResult<()> {
        self.catch_up_timers(r, now_ms()).await?;
        let (i, run) = self.open_run(r)?;
        let Phase::Answering { team: holder } = run.state.phase() else {
            return Err(AppError::conflict(
                "nobody_holds_floor",
                "no team holds the floor",
            ));
        };
        if let Some(team) = team
            && team != holder
        {
            return Err(AppError::conflict(
                "not_floor_holder",
                format!("team {holder} holds the floor, not team {team}"),
            ));
        }
        let event = BuzzerEvent::Judge {
            team: holder,
            correct,
        };
        self.buzzer_step(r, i, Step::Rule(event), now_ms(), Cause::by(by))
            .await
            .map(|_| ())
    }

    /// `close` while the question is undecided: it ends void (nobody scores) and its key is revealed.
    pub(super) async fn close_buzzer_question(&mut self, r: usize, by: &str) -> AppResult<()> {
        let (i, _) = self.open_run(r)?;
        self.buzzer_step(r, i, Step::Close, now_ms(), Cause::by(by))
            .await
            .map(|_| ())
    }

    /// `end_round`: close the open question (void), skip the pending ones; then the elimination cut, if any.
    pub(super) async fn finish_buzzer_round(&mut self, r: usize, by: &str) -> AppResult<()> {
        if self.open_run(r).is_ok() {
            self.close_buzzer_question(r, by).await?;
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
        self.end_round_common(r, now).await?;
        self.cut_after_round(r).await
    }

    /// A phone's buzz, stamped by its socket with `received_ms`. The reply says what it did.
    pub(super) async fn buzz(
        &mut self,
        who: &ParticipantRef,
        client_ms: Option<i64>,
        received_ms: i64,
    ) -> AppResult<Value> {
        let pid = self.check_session(who)?.id;
        let r = self
            .running_round()
            .filter(|r| self.rounds[*r].kind.is_buzzed())
            .ok_or_else(|| AppError::conflict("no_buzzer_round", "no buzzer round is running"))?;
        let team = self.team_of(pid).ok_or_else(|| {
            AppError::conflict("not_in_a_team", "your unit is not one of the stage's teams")
        })?;
        // A timer that ran out before this buzz arrived is handled first.
        self.catch_up_timers(r, received_ms).await?;
        let (i, run) = self.open_run(r)?;
        if !run.state.teams().contains(&team) {
            let why = if self.rounds[r].kind == RoundKind::Tiebreak {
                "only the teams still tied play this 加赛 question"
            } else {
                "your team is no longer in the contest (eliminated)"
            };
            return Err(AppError::conflict("not_in_this_question", why));
        }
        let (last_ms, last_seq) = self.stage.last_stamp;
        let buzz = Buzz {
            team,
            server_ms: received_ms.max(last_ms),
            seq: last_seq + 1,
            client_ms,
        };
        // The sequence number is spent even if the rules refuse the buzz: it numbers what was received.
        self.stage.last_stamp = buzz.order_key();
        let cause = Cause {
            participant_id: Some(pid),
            by: "buzz".into(),
            response: None,
        };
        let outcomes = self
            .buzzer_step(r, i, Step::Rule(BuzzerEvent::Buzz(buzz)), buzz.server_ms, cause)
            .await?;
        let (result, position) = outcomes
            .iter()
            .find_map(|o| match *o {
                BuzzerOutcome::Foul { .. } => Some(("foul", 0)),
                BuzzerOutcome::Floor { .. } => Some(("floor", 0)),
                BuzzerOutcome::Queued { position, .. } => Some(("queued", position)),
                _ => None,
            })
            .unwrap_or(("accepted", 0));
        Ok(json!({
            "round_id": self.rounds[r].id,
            "index": i,
            "team": team,
            "server_ms": buzz.server_ms,
            "seq": buzz.seq,
            "result": result,
            "position": position,
        }))
    }

    /// A device answer in a buzzer round (`answer_by: device`): only the floor holder's, and of its members only
    /// the one the team answer rule counts. Judged against the key at once.
    pub(super) async fn buzzer_answer(
        &mut self,
        pid: i64,
        r: usize,
        input: &AnswerInput,
    ) -> AppResult<AnswerAck> {
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
        let question = self.question(q.uid)?;
        let response = to_response(&question, &q.option_order, input)?;
        let round_id = round.id;
        if let Some(run) = self.stage.runs.get(&(round_id, input.index))
            && let Some(done) = run
                .judgements
                .iter()
                .find(|j| j.participant_id == Some(pid) && j.response.as_ref() == Some(&response))
        {
            // The same answer sent again (a retry): it was judged already.
            return Ok(AnswerAck {
                round_id,
                index: input.index,
                received_at: done.at,
                duplicate: true,
            });
        }
        match q.state {
            QuestionState::Pending => {
                return Err(AppError::conflict(
                    "question_not_open",
                    "this question has not been opened yet",
                ));
            }
            QuestionState::Closed | QuestionState::Skipped => {
                return Err(AppError::conflict("question_closed", "this question has closed"));
            }
            _ => {}
        }
        self.catch_up_timers(r, now).await?;
        let (i, run) = self.open_run(r)?;
        if run.state.settings().answer_by != crate::stage::AnswerBy::Device {
            return Err(AppError::conflict(
                "answer_aloud",
                "in this round the team answers aloud and the organizer judges",
            ));
        }
        if i != input.index {
            return Err(AppError::conflict("question_closed", "this question has closed"));
        }
        let Phase::Answering { team: holder } = run.state.phase() else {
            return Err(AppError::conflict(
                "nobody_holds_floor",
                "no team holds the floor",
            ));
        };
        if self.team_of(pid) != Some(holder) {
            return Err(AppError::conflict(
                "not_floor_holder",
                format!("team {holder} holds the floor"),
            ));
        }
        if let Some(seat) = self.setup_of(r, i).member_seat
            && self.members_of(holder).get(seat as usize) != Some(&pid)
        {
            return Err(AppError::conflict(
                "not_your_turn",
                "in this 必答 round one member answers each question, in seat order; it is another member's turn",
            ));
        }
        let seq = self.stage.last_stamp.1 + 1;
        let member = MemberAnswer {
            member: pid,
            is_captain: self.captain_of(holder) == Some(pid),
            server_ms: now,
            seq,
        };
        if counting_answer(self.stage_settings().team_answer, &[member]) != Some(0) {
            return Err(AppError::conflict(
                "captain_only",
                "only the team captain's answer counts in this contest",
            ));
        }
        let rules = &self.rounds[r].config.scoring;
        let correct =
            crate::scoring::score_response(&question, &response, None, self.rounds[r].live.len(), rules)
                .correct;
        let cause = Cause {
            participant_id: Some(pid),
            by: "device".into(),
            response: Some(response),
        };
        let event = BuzzerEvent::Judge {
            team: holder,
            correct,
        };
        self.buzzer_step(r, i, Step::Rule(event), now, cause).await?;
        Ok(AnswerAck {
            round_id,
            index: i,
            received_at: now,
            duplicate: false,
        })
    }

    /// When the open buzzer question's timer is due: (due, question index).
    pub(super) fn buzzer_due(&self, r: usize) -> Option<(i64, usize)> {
        let (i, run) = self.open_run(r).ok()?;
        let grace = i64::from(self.rounds[r].config.grace_ms);
        run.due(grace).map(|(at, _)| (at, i))
    }

    /// The clock: feed every timer of the open question that is due at `at`.
    pub(super) async fn catch_up_timers(&mut self, r: usize, at: i64) -> AppResult<()> {
        let grace = i64::from(self.rounds[r].config.grace_ms);
        // A timeout may arm a new window (reopen), which is never due at once: two rounds at most.
        for _ in 0..3 {
            let Ok((i, run)) = self.open_run(r) else {
                return Ok(());
            };
            match run.due(grace) {
                Some((due, event)) if due <= at => {
                    self.buzzer_step(r, i, Step::Rule(event), now_ms(), Cause::by("timer"))
                        .await?;
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// One step: the rules decide, the store commits (event, ledger entries, close), then memory follows and
    /// the frames go out. A refused or failed step changes nothing.
    async fn buzzer_step(
        &mut self,
        r: usize,
        i: usize,
        step: Step,
        at: i64,
        cause: Cause,
    ) -> AppResult<Vec<BuzzerOutcome>> {
        let round_id = self.rounds[r].id;
        let run = self
            .stage
            .runs
            .get(&(round_id, i))
            .ok_or_else(|| AppError::conflict("no_open_question", "no question is open"))?;
        let (next, outcomes) = match step {
            Step::Rule(event) => {
                let (next, outcomes) = run.state.step(&event).map_err(rule_error)?;
                (Some(next), outcomes)
            }
            Step::Close => (None, Vec::new()),
        };
        // A 加赛 decides places only: its questions make no ledger entries.
        let scores = self.rounds[r].kind != RoundKind::Tiebreak;
        let changes: Vec<ScoreChange> = outcomes
            .iter()
            .filter(|_| scores)
            .filter_map(|o| match o {
                BuzzerOutcome::Score { change } => Some(*change),
                _ => None,
            })
            .collect();
        let ledger = self.ledger_with(&changes, Some((round_id, i)), &cause.by, at)?;
        let closes =
            matches!(step, Step::Close) || outcomes.iter().any(|o| matches!(o, BuzzerOutcome::Closed { .. }));
        let docs = self.tiebreak_followup(r, &step, &outcomes)?;
        let write = StageWrite {
            event: Some(event_row(round_id, i, run.events + 1, &step, at, &cause)),
            entries: ledger.as_ref().map(|(_, rows)| rows.clone()).unwrap_or_default(),
            close: closes.then_some((round_id, i as i64, at)),
            round_states: docs
                .iter()
                .map(|(id, doc)| (*id, Self::round_stage_json(doc)))
                .collect(),
            ..StageWrite::default()
        };
        self.store.record_stage(self.contest.id, &write).await?;
        // Committed: memory follows, then the frames.
        let run = self.stage.runs.get_mut(&(round_id, i)).expect("checked above");
        run.advance(&step, next, &outcomes, at, &cause);
        if let Some((ledger, rows)) = ledger {
            self.commit_ledger(ledger, &rows);
        }
        if closes {
            let q = &mut self.rounds[r].live[i];
            q.state = QuestionState::Closed;
            q.closed_at = Some(at);
            q.remaining_ms = None;
        }
        self.publish_buzzer_step(r, i, &step, &outcomes, &write.entries, closes);
        let cut_rounds: Vec<i64> = docs
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| *id != round_id)
            .collect();
        if self.apply_round_stages(docs) {
            self.publish_stage_frame(r, "tiebreak_update");
            self.publish_settled_cuts(&cut_rounds);
            if let Some(open) = self.decided_tiebreak_open_question(r) {
                // The 加赛 is decided (a wrong answer left one team): its question has nothing left to decide.
                Box::pin(self.buzzer_step(r, open, Step::Close, now_ms(), Cause::by("tiebreak"))).await?;
            }
        }
        Ok(outcomes)
    }
}
