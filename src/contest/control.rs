//! Organizer control: one entry point for every button, and the contest-level transitions (start a round,
//! finish the contest). Round-level transitions live in `live.rs` and `exam.rs`.

use serde_json::{Value, json};

use super::ControlAction;
use super::actor::Actor;
use super::model::*;
use crate::error::{AppError, AppResult};
use crate::realtime::encode;
use crate::store::now_ms;

impl Actor {
    pub(super) async fn control(&mut self, action: ControlAction) -> AppResult<Value> {
        if self.contest.state == ContestState::Finished {
            return Err(AppError::conflict("contest_finished", "the contest has finished"));
        }
        let running = self.running_round();
        let live_round = || -> AppResult<usize> {
            match running {
                Some(r) if self.rounds[r].kind == RoundKind::Live => Ok(r),
                Some(_) => Err(AppError::conflict(
                    "not_a_live_round",
                    "this action applies to live rounds; the running round is an exam",
                )),
                None => Err(AppError::conflict("no_running_round", "no round is running")),
            }
        };
        match action {
            ControlAction::StartRound { round_id } => self.start_round(round_id).await?,
            ControlAction::Next => {
                let r = live_round()?;
                self.open_next_question(r).await?;
            }
            ControlAction::Close => {
                let r = live_round()?;
                let i = self
                    .open_question_index(r)
                    .ok_or_else(|| AppError::conflict("no_open_question", "no question is open"))?;
                self.close_live_question(r, i, true).await?;
            }
            ControlAction::Pause => {
                let r = live_round()?;
                self.pause_question(r).await?;
            }
            ControlAction::Resume => {
                let r = live_round()?;
                self.resume_question(r).await?;
            }
            ControlAction::Skip => {
                let r = live_round()?;
                self.skip_question(r).await?;
            }
            ControlAction::EndRound => {
                let r =
                    running.ok_or_else(|| AppError::conflict("no_running_round", "no round is running"))?;
                match self.rounds[r].kind {
                    RoundKind::Live => self.finish_live_round(r).await?,
                    RoundKind::Exam => self.finish_exam_round(r).await?,
                }
            }
            ControlAction::Finish => self.finish_contest().await?,
        }
        self.snapshot(&super::Viewer::Organizer)
    }

    async fn start_round(&mut self, round_id: Option<i64>) -> AppResult<()> {
        if let Some(r) = self.running_round() {
            return Err(AppError::conflict(
                "round_running",
                format!(
                    "round {} is still running; end it first",
                    self.rounds[r].position + 1
                ),
            ));
        }
        let r = match round_id {
            Some(id) => self.round_index(id)?,
            None => self
                .rounds
                .iter()
                .position(|r| r.state == RoundState::Pending)
                .ok_or_else(|| AppError::conflict("no_pending_round", "every round has been played"))?,
        };
        if self.rounds[r].state != RoundState::Pending {
            return Err(AppError::conflict(
                "round_played",
                "this round has already been played",
            ));
        }
        let problems = crate::paper::check_blueprint(&self.rounds[r].config.blueprint, &self.pool);
        if !problems.is_empty() {
            let summary = crate::paper::summarize(&problems);
            return Err(AppError::unprocessable("blueprint_unfillable", summary).with_details(&problems));
        }
        let now = now_ms();
        // The round first: if its draw fails, the contest stays as it was.
        match self.rounds[r].kind {
            RoundKind::Live => self.start_live_round(r, now).await?,
            RoundKind::Exam => self.start_exam_round(r, now).await?,
        }
        if self.contest.state == ContestState::Draft {
            self.store
                .set_contest_state(self.contest.id, "running", None)
                .await?;
            self.contest.state = ContestState::Running;
            self.publish_both(json!({"type": "contest_state", "state": "running", "server_now": now}));
        }
        let event = encode(&json!({
            "type": "round_started",
            "server_now": now_ms(),
            "round": self.round_view(r),
        }));
        self.hub.publish(event.clone());
        self.hub.publish_organizer(event);
        Ok(())
    }

    async fn finish_contest(&mut self) -> AppResult<()> {
        if let Some(r) = self.running_round() {
            match self.rounds[r].kind {
                RoundKind::Live => self.finish_live_round(r).await?,
                RoundKind::Exam => self.finish_exam_round(r).await?,
            }
        }
        let now = now_ms();
        self.store
            .set_contest_state(self.contest.id, "finished", Some(now))
            .await?;
        self.contest.state = ContestState::Finished;
        let event = encode(&json!({
            "type": "contest_state",
            "state": "finished",
            "server_now": now,
            "leaderboard": self.leaderboard_view(),
        }));
        self.hub.publish(event.clone());
        self.hub.publish_organizer(event);
        self.send_personal_ranks();
        Ok(())
    }
}
