//! What viewers see of a buzzer question: its state (for snapshots), the frames of each step, and the result
//! with the key once it has closed. Keys appear only in `buzzer_result` and in views of a closed question (the
//! organizer's question view always has it, as in live rounds). The floor holder's device answer is shown to
//! organizers only.

use serde_json::{Value, json};

use super::actor::Actor;
use super::buzzer_log::{BuzzRecord, BuzzerRun, Judgement, Step};
use super::model::QuestionState;
use super::views::{key_view, response_view};
use crate::realtime::encode;
use crate::stage::{BuzzerEvent, BuzzerOutcome, Closure, Phase};
use crate::store::{StageEntryRow, now_ms};

impl Actor {
    fn run_of(&self, r: usize, i: usize) -> Option<&BuzzerRun> {
        self.stage.runs.get(&(self.rounds[r].id, i))
    }

    fn name_of(&self, participant_id: Option<i64>) -> Option<&str> {
        participant_id
            .and_then(|pid| self.participants.get(&pid))
            .map(|p| p.name.as_str())
    }

    fn buzz_view(&self, b: &BuzzRecord) -> Value {
        json!({
            "team": b.buzz.team,
            "unit": self.stage.unit_of(b.buzz.team),
            "participant_id": b.participant_id,
            "name": self.name_of(b.participant_id),
            "server_ms": b.buzz.server_ms,
            "seq": b.buzz.seq,
            "client_ms": b.buzz.client_ms,
            "foul": b.foul,
        })
    }

    fn judgement_view(&self, r: usize, i: usize, j: &Judgement, organizer: bool) -> Value {
        let by = match j.by.as_str() {
            "device" | "timer" => j.by.as_str(),
            _ if organizer => j.by.as_str(),
            _ => "organizer",
        };
        let mut view = json!({
            "team": j.team,
            "unit": self.stage.unit_of(j.team),
            "verdict": j.verdict,
            "at": j.at,
            "by": by,
            "participant_id": j.participant_id,
            "name": self.name_of(j.participant_id),
        });
        if organizer && let Some(response) = &j.response {
            let order = &self.rounds[r].live[i].option_order;
            view["response"] = response_view(response, order);
        }
        view
    }

    fn outcome_view(&self, run: &BuzzerRun) -> Value {
        if run.closed_by_organizer {
            return json!({"result": "void", "reason": "closed_by_organizer"});
        }
        match run.state.closure() {
            Some(Closure::Won { team }) => {
                json!({"result": "won", "team": team, "unit": self.stage.unit_of(team)})
            }
            Some(Closure::Void { reason }) => json!({"result": "void", "reason": reason}),
            None => Value::Null,
        }
    }

    /// The question's buzzer state for a snapshot: phase, order, floor, lockouts, judgements, timers.
    pub(super) fn buzzer_state_view(&self, r: usize, i: usize, organizer: bool) -> Value {
        let Some(run) = self.run_of(r, i) else {
            return Value::Null;
        };
        let state = &run.state;
        let skipped = self.rounds[r].live[i].state == QuestionState::Skipped;
        let (phase, window, floor) = match (run.closed_by_organizer, state.phase()) {
            _ if skipped => ("skipped", None, None),
            (true, _) | (_, Phase::Closed { .. }) => ("closed", None, None),
            (_, Phase::Opened) => ("opened", None, None),
            (_, Phase::Armed { window }) => ("armed", Some(window), None),
            (_, Phase::Answering { team }) => ("answering", None, Some(team)),
        };
        json!({
            "round_id": self.rounds[r].id,
            "index": i,
            "phase": phase,
            "window": window,
            "window_deadline": run.window_due.filter(|_| !skipped).map(|(_, at)| at),
            "floor": floor,
            "floor_unit": floor.and_then(|t| self.stage.unit_of(t)),
            "floor_deadline": run.floor_due.filter(|_| !skipped).map(|(_, at)| at),
            "order": run.buzzes.iter().map(|b| self.buzz_view(b)).collect::<Vec<_>>(),
            "queue": state.queue(),
            "locked_out": state.locked_out(),
            "answered": state.answered(),
            "eligible": state.eligible(),
            "judgements": run.judgements.iter().map(|j| self.judgement_view(r, i, j, organizer)).collect::<Vec<_>>(),
            "outcome": self.outcome_view(run),
            "grace_ms": self.rounds[r].config.grace_ms,
            "settings": state.settings(),
        })
    }

    /// A closed buzzer question: the outcome, the key, the explanation, the buzz order and the judgements.
    pub(super) fn buzzer_result_view(&self, r: usize, i: usize) -> Value {
        let round = &self.rounds[r];
        let q = &round.live[i];
        let (Some(question), Some(run)) = (self.questions.get(&q.uid), self.run_of(r, i)) else {
            return Value::Null;
        };
        json!({
            "round_id": round.id,
            "index": i,
            "total": round.live.len(),
            "closed_at": q.closed_at,
            "outcome": self.outcome_view(run),
            "answer": key_view(question, &q.option_order),
            "explanation": question.explanation,
            "source": question.source,
            "order": run.buzzes.iter().map(|b| self.buzz_view(b)).collect::<Vec<_>>(),
            "judgements": run.judgements.iter().map(|j| self.judgement_view(r, i, j, false)).collect::<Vec<_>>(),
        })
    }

    /// The frames of one committed step, in the order things happened. Every frame goes to participants, big
    /// screens and organizers alike (the same bytes), except `buzzer_judged` and `team_scores`, whose organizer
    /// copies carry more (the device answer, who made each ledger entry).
    pub(super) fn publish_buzzer_step(
        &self,
        r: usize,
        i: usize,
        step: &Step,
        outcomes: &[BuzzerOutcome],
        entries: &[StageEntryRow],
        closed: bool,
    ) {
        let Some(run) = self.run_of(r, i) else {
            return;
        };
        let now = now_ms();
        let round_id = self.rounds[r].id;
        let frame = |kind: &str, mut body: Value| {
            body["type"] = json!(kind);
            body["round_id"] = json!(round_id);
            body["index"] = json!(i);
            body["server_now"] = json!(now);
            body
        };
        if let Step::Rule(BuzzerEvent::Buzz(buzz)) = step
            && let Some(record) = run.buzzes.iter().rev().find(|b| b.buzz.seq == buzz.seq)
        {
            self.publish_both(frame(
                "buzz_order",
                json!({
                    "buzz": self.buzz_view(record),
                    "order": run.buzzes.iter().map(|b| self.buzz_view(b)).collect::<Vec<_>>(),
                    "queue": run.state.queue(),
                    "locked_out": run.state.locked_out(),
                }),
            ));
        }
        let mut scores_pending = false;
        let mut judged = 0;
        let first_judgement = run.judgements.len()
            - outcomes
                .iter()
                .filter(|o| matches!(o, BuzzerOutcome::Judged { .. }))
                .count();
        for outcome in outcomes {
            if !matches!(outcome, BuzzerOutcome::Score { .. }) && std::mem::take(&mut scores_pending) {
                self.publish_team_scores(entries);
            }
            match *outcome {
                BuzzerOutcome::Armed { window } => self.publish_both(frame(
                    "buzzer_armed",
                    json!({
                        "window": window,
                        "deadline": run.window_due.map(|(_, at)| at),
                        "eligible": run.state.eligible(),
                    }),
                )),
                BuzzerOutcome::Floor { team } => self.publish_both(frame(
                    "buzzer_floor",
                    json!({
                        "team": team,
                        "unit": self.stage.unit_of(team),
                        "deadline": run.floor_due.filter(|(t, _)| *t == team).map(|(_, at)| at),
                        "queue": run.state.queue(),
                        "answered": run.state.answered(),
                    }),
                )),
                BuzzerOutcome::Judged { .. } => {
                    if let Some(j) = run.judgements.get(first_judgement + judged) {
                        let public = frame(
                            "buzzer_judged",
                            json!({"judgement": self.judgement_view(r, i, j, false)}),
                        );
                        let organizer = frame(
                            "buzzer_judged",
                            json!({"judgement": self.judgement_view(r, i, j, true)}),
                        );
                        self.hub.publish(encode(&public));
                        self.hub.publish_organizer(encode(&organizer));
                        if j.response.is_some() {
                            // Team play: the members of the team see the answer given for it (others do not).
                            let mine = encode(&frame(
                                "team_answer",
                                json!({"judgement": organizer["judgement"]}),
                            ));
                            let members = self.members_of(j.team);
                            self.hub
                                .send_personal_many(members.into_iter().map(|pid| (pid, mine.clone())));
                        }
                    }
                    judged += 1;
                }
                BuzzerOutcome::Score { .. } => scores_pending = true,
                BuzzerOutcome::Foul { .. } | BuzzerOutcome::Queued { .. } | BuzzerOutcome::Closed { .. } => {}
            }
        }
        if scores_pending {
            self.publish_team_scores(entries);
        }
        if closed {
            self.publish_both(frame(
                "buzzer_result",
                json!({"result": self.buzzer_result_view(r, i)}),
            ));
        }
    }
}
