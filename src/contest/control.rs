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
    pub(super) async fn control(&mut self, action: ControlAction, by: &str) -> AppResult<Value> {
        // Corrections of the team ledger stay possible after the contest has finished (an appeal), like score
        // adjustments of participants.
        match &action {
            ControlAction::Undo { entry, note } => {
                self.undo_entry(*entry, note, by).await?;
                return self.snapshot(&super::Viewer::Organizer);
            }
            ControlAction::AdjustTeam { team, delta, note } => {
                if !delta.is_finite() || delta.abs() > 100_000.0 || *delta == 0.0 {
                    return Err(AppError::unprocessable(
                        "invalid_delta",
                        "delta must be a non-zero number of points",
                    ));
                }
                self.adjust_team(*team, (delta * 100.0).round() as i64, note, by)
                    .await?;
                return self.snapshot(&super::Viewer::Organizer);
            }
            _ => {}
        }
        if self.contest.state == ContestState::Finished {
            return Err(AppError::conflict("contest_finished", "the contest has finished"));
        }
        let running = self.running_round();
        let round_of = |kinds: &[RoundKind], code: &'static str, message: &str| -> AppResult<usize> {
            match running {
                Some(r) if kinds.contains(&self.rounds[r].kind) => Ok(r),
                Some(r) => Err(AppError::conflict(
                    code,
                    format!(
                        "{message}; the running round is of kind `{}`",
                        self.rounds[r].kind.as_str()
                    ),
                )),
                None => Err(AppError::conflict("no_running_round", "no round is running")),
            }
        };
        let live_round = || {
            round_of(
                &[RoundKind::Live],
                "not_a_live_round",
                "this action applies to live rounds",
            )
        };
        const STAGE: [RoundKind; 4] = [
            RoundKind::Buzzer,
            RoundKind::Compulsory,
            RoundKind::Wager,
            RoundKind::Tiebreak,
        ];
        let host_round = || {
            round_of(
                &[
                    RoundKind::Live,
                    RoundKind::Buzzer,
                    RoundKind::Compulsory,
                    RoundKind::Wager,
                    RoundKind::Tiebreak,
                ],
                "not_a_live_round",
                "this action applies to live and stage rounds",
            )
        };
        let buzzer_round = || {
            round_of(
                &[RoundKind::Buzzer, RoundKind::Tiebreak],
                "not_a_buzzer_round",
                "this action applies to buzzer (抢答) and tie-break (加赛) rounds",
            )
        };
        let stage_round = |kinds: &[RoundKind], what: &str| {
            round_of(
                kinds,
                "not_a_stage_round",
                &format!("this action applies to {what}"),
            )
        };
        match action {
            ControlAction::StartRound { round_id } => self.start_round(round_id).await?,
            ControlAction::Next => {
                let r = host_round()?;
                match self.rounds[r].kind {
                    kind if kind.is_stage() => self.open_next_stage_question(r).await?,
                    _ => self.open_next_question(r).await?,
                }
            }
            ControlAction::Close => {
                let r = host_round()?;
                let i = self
                    .open_question_index(r)
                    .ok_or_else(|| AppError::conflict("no_open_question", "no question is open"))?;
                match self.rounds[r].kind {
                    kind if kind.is_stage() => self.close_buzzer_question(r, by).await?,
                    _ => self.close_live_question(r, i, true).await?,
                }
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
                let r = host_round()?;
                let open = self.open_question_index(r);
                self.skip_question(r).await?;
                match (self.rounds[r].kind, open) {
                    (RoundKind::Tiebreak, _) => self.tiebreak_question_dropped(r).await?,
                    (RoundKind::Wager, Some(i)) => self.wager_question_dropped(r, i).await?,
                    _ => {}
                }
            }
            ControlAction::EndRound => {
                let r =
                    running.ok_or_else(|| AppError::conflict("no_running_round", "no round is running"))?;
                self.finish_round(r, by).await?;
            }
            ControlAction::Finish => self.finish_contest(by).await?,
            ControlAction::Arm => {
                let r = buzzer_round()?;
                self.arm_buzzer(r, by).await?;
            }
            ControlAction::Judge { correct, team } => {
                let r = stage_round(&STAGE, "stage rounds (必答, 抢答, 风险题, 加赛)")?;
                self.judge_buzzer(r, correct, team, by).await?;
            }
            ControlAction::WagerPick { team, points } => {
                let r = stage_round(&[RoundKind::Wager], "风险题 (wager) rounds")?;
                self.wager_pick(r, team, points).await?;
            }
            ControlAction::Draw => {
                let r = stage_round(&[RoundKind::Tiebreak], "加赛 (tie-break) rounds")?;
                self.tiebreak_draw(r).await?;
            }
            ControlAction::Undo { .. } | ControlAction::AdjustTeam { .. } => unreachable!("handled above"),
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
            _ => self.start_stage_round(r, now).await?,
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

    async fn finish_round(&mut self, r: usize, by: &str) -> AppResult<()> {
        match self.rounds[r].kind {
            RoundKind::Live => self.finish_live_round(r).await,
            RoundKind::Exam => self.finish_exam_round(r).await,
            _ => self.finish_buzzer_round(r, by).await,
        }
    }

    async fn finish_contest(&mut self, by: &str) -> AppResult<()> {
        if let Some(r) = self.running_round() {
            self.finish_round(r, by).await?;
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

impl Actor {
    /// Append an organizer action to the contest's audit log: `detail` is the action as sent (its `action`
    /// field names it), `outcome` is `ok` or the error code it was refused with. A failed append is logged and
    /// does not undo the action, which is already committed and announced.
    pub(super) async fn audit(&self, by: &str, detail: &Value, outcome: &str) {
        let action = detail
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned();
        let entry = crate::store::AuditEntry {
            at_ms: now_ms(),
            actor: by,
            action: &action,
            detail,
            outcome,
        };
        if let Err(e) = self.store.append_audit(self.contest.id, &entry).await {
            tracing::error!(contest = self.contest.id, action, "audit log append failed: {e}");
        }
    }
}
