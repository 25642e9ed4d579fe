//! The buzzer log of one question: what the engine keeps beside the rules' state ([`BuzzerRun`]), the steps it
//! feeds them ([`Step`]) and how each step is stored in `buzzer_events` and read back for the replay after a
//! restart ([`event_row`], [`step_of_row`]). No I/O here.

use crate::bank::Response;
use crate::stage::{Buzz, BuzzerEvent, BuzzerOutcome, BuzzerQuestion, TeamId, Verdict};
use crate::store::BuzzerEventRow;

/// What the engine feeds a buzzer question: a rule event, or the organizer ending it early.
#[derive(Debug, Clone, Copy)]
pub(super) enum Step {
    Rule(BuzzerEvent),
    /// `close` before the rules closed the question: void, nobody scores.
    Close,
}

/// Who or what caused a step, for the log and the ledger's audit trail.
pub(super) struct Cause {
    pub participant_id: Option<i64>,
    /// The organizer's user name, `device`, `timer` or `buzz`.
    pub by: String,
    /// A device answer (original option indices).
    pub response: Option<Response>,
}

impl Cause {
    pub fn by(by: &str) -> Self {
        Cause {
            participant_id: None,
            by: by.to_owned(),
            response: None,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct BuzzRecord {
    pub buzz: Buzz,
    pub participant_id: Option<i64>,
    pub foul: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Judgement {
    pub team: TeamId,
    pub verdict: Verdict,
    pub by: String,
    pub at: i64,
    pub participant_id: Option<i64>,
    pub response: Option<Response>,
}

/// One buzzer question as the engine keeps it: the rules' state plus what the views and the clock need.
#[derive(Debug, Clone)]
pub(super) struct BuzzerRun {
    pub state: BuzzerQuestion,
    pub buzzes: Vec<BuzzRecord>,
    pub judgements: Vec<Judgement>,
    /// Events stored for this question (the `n` of the last).
    pub events: i64,
    /// The running buzz window and when it ends.
    pub window_due: Option<(u32, i64)>,
    /// The floor holder and when their answer time ends.
    pub floor_due: Option<(TeamId, i64)>,
    pub closed_by_organizer: bool,
}

impl BuzzerRun {
    pub fn new(state: BuzzerQuestion) -> Self {
        BuzzerRun {
            state,
            buzzes: Vec::new(),
            judgements: Vec::new(),
            events: 0,
            window_due: None,
            floor_due: None,
            closed_by_organizer: false,
        }
    }

    /// Bookkeeping after a step handled at `at`: the new state, the records, the timers.
    pub fn advance(
        &mut self,
        step: &Step,
        next: Option<BuzzerQuestion>,
        outcomes: &[BuzzerOutcome],
        at: i64,
        cause: &Cause,
    ) {
        self.events += 1;
        if let Some(next) = next {
            self.state = next;
        }
        let settings = self.state.settings().clone();
        match step {
            Step::Rule(BuzzerEvent::Buzz(buzz)) => self.buzzes.push(BuzzRecord {
                buzz: *buzz,
                participant_id: cause.participant_id,
                foul: outcomes.iter().any(|o| matches!(o, BuzzerOutcome::Foul { .. })),
            }),
            Step::Close => {
                self.closed_by_organizer = true;
                self.window_due = None;
                self.floor_due = None;
            }
            _ => {}
        }
        for outcome in outcomes {
            match *outcome {
                BuzzerOutcome::Armed { window } => {
                    self.window_due = Some((window, at + i64::from(settings.buzz_window_seconds) * 1000));
                    self.floor_due = None;
                }
                BuzzerOutcome::Floor { team } => {
                    self.floor_due = Some((team, at + i64::from(settings.answer_seconds) * 1000));
                    self.window_due = None;
                }
                BuzzerOutcome::Judged { team, verdict } => {
                    self.judgements.push(Judgement {
                        team,
                        verdict,
                        by: cause.by.clone(),
                        at,
                        participant_id: cause.participant_id,
                        response: cause.response.clone(),
                    });
                    self.floor_due = None;
                }
                BuzzerOutcome::Closed { .. } => {
                    self.window_due = None;
                    self.floor_due = None;
                }
                _ => {}
            }
        }
    }

    /// A running timer starts again in full from `now` (after a restart).
    pub fn restart_timers(&mut self, now: i64) {
        let settings = self.state.settings();
        if let Some((window, _)) = self.window_due {
            self.window_due = Some((window, now + i64::from(settings.buzz_window_seconds) * 1000));
        }
        if let Some((team, _)) = self.floor_due {
            self.floor_due = Some((team, now + i64::from(settings.answer_seconds) * 1000));
        }
    }

    /// The earliest timer: when it is due (deadline + grace) and the event it feeds.
    pub fn due(&self, grace_ms: i64) -> Option<(i64, BuzzerEvent)> {
        match (self.window_due, self.floor_due) {
            (Some((window, at)), _) => Some((at + grace_ms, BuzzerEvent::BuzzWindowTimeout { window })),
            (None, Some((team, at))) => Some((at + grace_ms, BuzzerEvent::AnswerTimeout { team })),
            (None, None) => None,
        }
    }
}

pub(super) fn event_row(
    round_id: i64,
    position: usize,
    n: i64,
    step: &Step,
    at: i64,
    cause: &Cause,
) -> BuzzerEventRow {
    let mut row = BuzzerEventRow {
        round_id,
        position: position as i64,
        n,
        at_ms: at,
        participant_id: cause.participant_id,
        created_by: Some(cause.by.clone()),
        response: cause
            .response
            .as_ref()
            .and_then(|r| serde_json::to_string(r).ok()),
        ..BuzzerEventRow::default()
    };
    match *step {
        Step::Close => row.kind = "close".into(),
        Step::Rule(BuzzerEvent::Arm) => row.kind = "arm".into(),
        Step::Rule(BuzzerEvent::Assign { team }) => {
            row.kind = "assign".into();
            row.team_id = Some(team);
        }
        Step::Rule(BuzzerEvent::Buzz(buzz)) => {
            row.kind = "buzz".into();
            row.team_id = Some(buzz.team);
            row.at_ms = buzz.server_ms;
            row.seq = Some(buzz.seq as i64);
            row.client_ms = buzz.client_ms;
        }
        Step::Rule(BuzzerEvent::Judge { team, correct }) => {
            row.kind = "judge".into();
            row.team_id = Some(team);
            row.correct = Some(correct);
        }
        Step::Rule(BuzzerEvent::AnswerTimeout { team }) => {
            row.kind = "answer_timeout".into();
            row.team_id = Some(team);
        }
        Step::Rule(BuzzerEvent::BuzzWindowTimeout { window }) => {
            row.kind = "window_timeout".into();
            row.window_no = Some(i64::from(window));
        }
    }
    row
}

/// The step a stored event stands for, and its cause.
pub(super) fn step_of_row(row: &BuzzerEventRow) -> anyhow::Result<(Step, Cause)> {
    let team = || {
        row.team_id
            .ok_or_else(|| anyhow::anyhow!("buzzer event {} has no team", row.n))
    };
    let step = match row.kind.as_str() {
        "close" => Step::Close,
        "arm" => Step::Rule(BuzzerEvent::Arm),
        "assign" => Step::Rule(BuzzerEvent::Assign { team: team()? }),
        "buzz" => Step::Rule(BuzzerEvent::Buzz(Buzz {
            team: team()?,
            server_ms: row.at_ms,
            seq: u64::try_from(row.seq.unwrap_or(-1))?,
            client_ms: row.client_ms,
        })),
        "judge" => Step::Rule(BuzzerEvent::Judge {
            team: team()?,
            correct: row.correct.unwrap_or(false),
        }),
        "answer_timeout" => Step::Rule(BuzzerEvent::AnswerTimeout { team: team()? }),
        "window_timeout" => Step::Rule(BuzzerEvent::BuzzWindowTimeout {
            window: u32::try_from(row.window_no.unwrap_or(0))?,
        }),
        other => anyhow::bail!("unknown buzzer event kind {other}"),
    };
    let response = match &row.response {
        Some(text) => Some(serde_json::from_str(text)?),
        None => None,
    };
    let cause = Cause {
        participant_id: row.participant_id,
        by: row.created_by.clone().unwrap_or_default(),
        response,
    };
    Ok((step, cause))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::{BuzzerSettings, Closure, OnWrong, VoidReason};

    fn question() -> BuzzerQuestion {
        let settings = BuzzerSettings {
            on_wrong: OnWrong::Reopen,
            answer_seconds: 10,
            buzz_window_seconds: 20,
            ..BuzzerSettings::default()
        };
        BuzzerQuestion::new(settings, vec![1, 2, 3, 4]).expect("question")
    }

    fn buzz(team: TeamId, server_ms: i64, seq: u64) -> Step {
        Step::Rule(BuzzerEvent::Buzz(Buzz {
            team,
            server_ms,
            seq,
            client_ms: Some(server_ms - 40),
        }))
    }

    fn apply(run: &mut BuzzerRun, step: &Step, at: i64, cause: &Cause) {
        let (next, outcomes) = match step {
            Step::Rule(event) => {
                let (next, outcomes) = run.state.step(event).expect("accepted");
                (Some(next), outcomes)
            }
            Step::Close => (None, Vec::new()),
        };
        run.advance(step, next, &outcomes, at, cause);
    }

    /// The engine's run after a sequence of steps, and the same run replayed from the rows it stored, agree in
    /// everything: rules state, buzz records, judgements, timers.
    #[test]
    fn a_replayed_log_rebuilds_the_same_question() {
        let device = Cause {
            participant_id: Some(12),
            by: "device".into(),
            response: Some(Response::Choice(vec![1])),
        };
        let pressed = |pid| Cause {
            participant_id: Some(pid),
            by: "buzz".into(),
            response: None,
        };
        let steps: Vec<(Step, i64, Cause)> = vec![
            (buzz(3, 1_000, 1), 1_000, pressed(31)),
            (Step::Rule(BuzzerEvent::Arm), 2_000, Cause::by("admin")),
            (buzz(1, 2_100, 2), 2_100, pressed(11)),
            (buzz(2, 2_100, 3), 2_100, pressed(21)),
            (
                Step::Rule(BuzzerEvent::Judge {
                    team: 1,
                    correct: false,
                }),
                5_000,
                device,
            ),
            (
                Step::Rule(BuzzerEvent::AnswerTimeout { team: 2 }),
                15_000,
                Cause::by("timer"),
            ),
            (
                Step::Rule(BuzzerEvent::BuzzWindowTimeout { window: 2 }),
                35_000,
                Cause::by("timer"),
            ),
        ];
        let mut live = BuzzerRun::new(question());
        let mut rows = Vec::new();
        for (n, (step, at, cause)) in steps.iter().enumerate() {
            rows.push(event_row(7, 2, n as i64 + 1, step, *at, cause));
            apply(&mut live, step, *at, cause);
            if n == 4 {
                // Team 2 took the floor when team 1 was judged, at 5 s: its answer time runs from then.
                assert_eq!(live.floor_due, Some((2, 15_000)));
                assert_eq!(live.due(500).map(|(at, _)| at), Some(15_500));
            }
            if n == 5 {
                // Nobody left in line: the buzzer reopened for team 4 (team 3 fouled).
                assert_eq!((live.window_due, live.floor_due), (Some((2, 35_000)), None));
            }
        }
        assert_eq!(
            live.state.closure(),
            Some(Closure::Void {
                reason: VoidReason::NoBuzz
            })
        );
        let mut replayed = BuzzerRun::new(question());
        for row in &rows {
            let (step, cause) = step_of_row(row).expect("a stored step");
            apply(&mut replayed, &step, row.at_ms, &cause);
        }
        assert_eq!(replayed.state, live.state);
        assert_eq!(replayed.events, 7);
        assert_eq!(format!("{:?}", replayed.buzzes), format!("{:?}", live.buzzes));
        assert_eq!(
            format!("{:?}", replayed.judgements),
            format!("{:?}", live.judgements)
        );
        assert!(live.buzzes[0].foul && !live.buzzes[1].foul);
        let verdicts: Vec<(TeamId, Verdict, &str)> = live
            .judgements
            .iter()
            .map(|j| (j.team, j.verdict, j.by.as_str()))
            .collect();
        assert_eq!(
            verdicts,
            vec![(1, Verdict::Wrong, "device"), (2, Verdict::Late, "timer")]
        );
        assert_eq!(live.judgements[0].response, Some(Response::Choice(vec![1])));
    }

    #[test]
    fn the_organizers_close_is_logged_and_a_restart_gives_a_running_timer_its_whole_time() {
        let mut run = BuzzerRun::new(question());
        apply(
            &mut run,
            &Step::Rule(BuzzerEvent::Arm),
            1_000,
            &Cause::by("admin"),
        );
        apply(&mut run, &buzz(4, 3_000, 9), 3_000, &Cause::by("buzz"));
        assert_eq!(run.floor_due, Some((4, 13_000)));
        run.restart_timers(50_000);
        assert_eq!(
            run.floor_due,
            Some((4, 60_000)),
            "the whole answer time from the restart"
        );
        let row = event_row(7, 0, 3, &Step::Close, 51_000, &Cause::by("admin"));
        assert_eq!(row.kind, "close");
        let (step, cause) = step_of_row(&row).expect("close");
        apply(&mut run, &step, row.at_ms, &cause);
        assert!(run.closed_by_organizer);
        assert_eq!((run.window_due, run.floor_due, run.due(0)), (None, None, None));
        let bad = BuzzerEventRow {
            kind: "teleport".into(),
            ..row
        };
        assert!(step_of_row(&bad).is_err());
    }
}
