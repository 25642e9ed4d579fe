//! 抢答: one buzzer question as a pure state machine.
//!
//! The organizer opens the question (the state starts in [`Phase::Opened`]) and then arms the buzzer. Buzzes
//! are ordered by the server's receive time, and within the same millisecond by the server's receive sequence
//! number; the time the device reports is recorded but never decides. The engine feeds events in the order it
//! received them, so each buzz must come after the previous one in that order (see [`RuleError::BuzzOutOfOrder`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::settings::{BuzzerSettings, OnWrong};
use super::{Reason, RuleError, ScoreChange, TeamId, Verdict, centi, check_teams};

/// A buzz as the server received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Buzz {
    pub team: TeamId,
    /// Server receive time (ms, from a clock that never goes back). Decides the order.
    pub server_ms: i64,
    /// Server receive sequence number (increases with every message received). Decides within a millisecond.
    pub seq: u64,
    /// The time the device reported: kept for the record only.
    #[serde(default)]
    pub client_ms: Option<i64>,
}

impl Buzz {
    /// The order of buzzes: server time, then receive sequence.
    pub fn order_key(&self) -> (i64, u64) {
        (self.server_ms, self.seq)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum BuzzerEvent {
    /// The organizer arms the buzzer: from now on a buzz wins the floor instead of being a foul.
    Arm,
    /// The floor goes to `team` without a buzz: a question that is its turn (必答) or its wager (风险题).
    Assign {
        team: TeamId,
    },
    Buzz(Buzz),
    /// The floor holder's answer was judged (by the organizer, or the engine for a device answer).
    Judge {
        team: TeamId,
        correct: bool,
    },
    /// The floor holder's answer time ran out.
    AnswerTimeout {
        team: TeamId,
    },
    /// Buzz window `window` (as announced by [`BuzzerOutcome::Armed`]) ran out.
    BuzzWindowTimeout {
        window: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Closure {
    Won { team: TeamId },
    Void { reason: VoidReason },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VoidReason {
    /// Nobody buzzed within the buzz window.
    NoBuzz,
    /// `on_wrong: void` and the floor holder was wrong or late.
    WrongAnswer,
    /// `on_wrong: pass` and no other team had buzzed.
    QueueExhausted,
    /// Every team is locked out or has answered.
    NoEligibleTeam,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// The question is shown; the buzzer is not armed (a buzz now is a foul).
    Opened,
    /// The buzzer is armed; buzz window number `window` (1, then 2, ... after each reopening) is running.
    Armed {
        window: u32,
    },
    /// `team` holds the floor and must answer.
    Answering {
        team: TeamId,
    },
    Closed {
        result: Closure,
    },
}

/// What a step did, in order. The engine announces these and records every `Score` in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum BuzzerOutcome {
    /// A buzz before arming: the team is locked out of this question (a `Score` with the penalty follows).
    Foul {
        team: TeamId,
    },
    /// The buzzer is armed: start the buzz window timer for `window`.
    Armed {
        window: u32,
    },
    /// `team` holds the floor: start its answer timer.
    Floor {
        team: TeamId,
    },
    /// `team` buzzed while another team held the floor; it is `position` in line (1 = next).
    Queued {
        team: TeamId,
        position: usize,
    },
    Judged {
        team: TeamId,
        verdict: Verdict,
    },
    Score {
        change: ScoreChange,
    },
    Closed {
        result: Closure,
    },
}

/// The ledger reasons a question's score changes carry: a buzzer question's, or those of a question assigned
/// to a team (必答, 风险题), which runs on the same machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    #[default]
    Buzzer,
    Compulsory,
    Wager,
}

impl ScoreKind {
    /// The reasons of a right, a wrong and a late answer.
    fn reasons(self) -> (Reason, Reason, Reason) {
        match self {
            ScoreKind::Buzzer => (Reason::BuzzerRight, Reason::BuzzerWrong, Reason::BuzzerLate),
            ScoreKind::Compulsory => (
                Reason::CompulsoryRight,
                Reason::CompulsoryWrong,
                Reason::CompulsoryWrong,
            ),
            ScoreKind::Wager => (Reason::WagerRight, Reason::WagerWrong, Reason::WagerWrong),
        }
    }
}

/// One buzzer question among a fixed set of teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuzzerQuestion {
    settings: BuzzerSettings,
    #[serde(default)]
    kind: ScoreKind,
    teams: Vec<TeamId>,
    phase: Phase,
    /// Every accepted buzz (fouls included), in receive order.
    buzzes: Vec<Buzz>,
    /// Buzzes waiting behind the floor holder, in order.
    queue: Vec<Buzz>,
    /// Teams that fouled.
    locked_out: Vec<TeamId>,
    /// Teams that answered wrong or late.
    answered: Vec<TeamId>,
    window: u32,
}

impl BuzzerQuestion {
    /// A question just opened among `teams` (at least one, no duplicates).
    pub fn new(settings: BuzzerSettings, teams: Vec<TeamId>) -> Result<Self, RuleError> {
        check_teams(&teams)?;
        Ok(BuzzerQuestion {
            settings,
            kind: ScoreKind::Buzzer,
            teams,
            phase: Phase::Opened,
            buzzes: Vec::new(),
            queue: Vec::new(),
            locked_out: Vec::new(),
            answered: Vec::new(),
            window: 0,
        })
    }

    /// A question that `team` alone answers (必答, 风险题): no arming, no buzzing; feed it
    /// [`BuzzerEvent::Assign`] first. Use `on_wrong: void` in `settings` (a wrong answer ends it), the answer
    /// time and the points of the format; `kind` gives its ledger reasons.
    pub fn assigned(
        settings: BuzzerSettings,
        teams: Vec<TeamId>,
        kind: ScoreKind,
    ) -> Result<Self, RuleError> {
        let mut question = BuzzerQuestion::new(settings, teams)?;
        question.kind = kind;
        Ok(question)
    }

    pub fn settings(&self) -> &BuzzerSettings {
        &self.settings
    }
    pub fn kind(&self) -> ScoreKind {
        self.kind
    }
    pub fn teams(&self) -> &[TeamId] {
        &self.teams
    }
    pub fn phase(&self) -> Phase {
        self.phase
    }
    /// Every accepted buzz (fouls included), in order.
    pub fn buzzes(&self) -> &[Buzz] {
        &self.buzzes
    }
    /// The teams waiting behind the floor holder, next first.
    pub fn queue(&self) -> Vec<TeamId> {
        self.queue.iter().map(|b| b.team).collect()
    }
    pub fn locked_out(&self) -> &[TeamId] {
        &self.locked_out
    }
    /// Teams that answered wrong or late, in order.
    pub fn answered(&self) -> &[TeamId] {
        &self.answered
    }
    pub fn closure(&self) -> Option<Closure> {
        match self.phase {
            Phase::Closed { result } => Some(result),
            _ => None,
        }
    }
    /// Teams that could still win the floor: not locked out, not answered.
    pub fn eligible(&self) -> Vec<TeamId> {
        self.teams
            .iter()
            .copied()
            .filter(|t| !self.locked_out.contains(t) && !self.answered.contains(t))
            .collect()
    }

    /// Apply one event. Returns the new state and what happened; on error `self` is unchanged and still valid.
    pub fn step(&self, event: &BuzzerEvent) -> Result<(BuzzerQuestion, Vec<BuzzerOutcome>), RuleError> {
        if matches!(self.phase, Phase::Closed { .. }) {
            return Err(RuleError::QuestionClosed);
        }
        let mut next = self.clone();
        let mut out = Vec::new();
        match *event {
            BuzzerEvent::Arm => next.arm(&mut out)?,
            BuzzerEvent::Assign { team } => {
                if !self.teams.contains(&team) {
                    return Err(RuleError::UnknownTeam { team });
                }
                if self.phase != Phase::Opened {
                    return Err(RuleError::AlreadyArmed);
                }
                next.phase = Phase::Answering { team };
                out.push(BuzzerOutcome::Floor { team });
            }
            BuzzerEvent::Buzz(buzz) => next.buzz(buzz, &mut out)?,
            BuzzerEvent::Judge { team, correct } => {
                next.holder_is(team)?;
                if correct {
                    next.right(team, &mut out);
                } else {
                    next.miss(team, Verdict::Wrong, &mut out);
                }
            }
            BuzzerEvent::AnswerTimeout { team } => {
                next.holder_is(team)?;
                next.miss(team, Verdict::Late, &mut out);
            }
            BuzzerEvent::BuzzWindowTimeout { window } => match self.phase {
                Phase::Armed { window: current } if current == window => {
                    next.close(
                        Closure::Void {
                            reason: VoidReason::NoBuzz,
                        },
                        &mut out,
                    );
                }
                Phase::Armed { window: current } => {
                    return Err(RuleError::StaleBuzzWindow { window, current });
                }
                _ => return Err(RuleError::NoOpenBuzzWindow),
            },
        }
        Ok((next, out))
    }

    fn arm(&mut self, out: &mut Vec<BuzzerOutcome>) -> Result<(), RuleError> {
        if self.phase != Phase::Opened {
            return Err(RuleError::AlreadyArmed);
        }
        self.open_window(out);
        Ok(())
    }

    /// Arm (or re-arm) the buzzer for the eligible teams; void when there are none.
    fn open_window(&mut self, out: &mut Vec<BuzzerOutcome>) {
        if self.eligible().is_empty() {
            self.close(
                Closure::Void {
                    reason: VoidReason::NoEligibleTeam,
                },
                out,
            );
            return;
        }
        self.window += 1;
        self.phase = Phase::Armed { window: self.window };
        out.push(BuzzerOutcome::Armed { window: self.window });
    }

    fn buzz(&mut self, buzz: Buzz, out: &mut Vec<BuzzerOutcome>) -> Result<(), RuleError> {
        let team = buzz.team;
        if self.kind != ScoreKind::Buzzer {
            return Err(RuleError::NoBuzzing);
        }
        if !self.teams.contains(&team) {
            return Err(RuleError::UnknownTeam { team });
        }
        if let Some(last) = self.buzzes.last()
            && buzz.order_key() <= last.order_key()
        {
            return Err(RuleError::BuzzOutOfOrder {
                server_ms: buzz.server_ms,
                seq: buzz.seq,
                last_server_ms: last.server_ms,
                last_seq: last.seq,
            });
        }
        if self.locked_out.contains(&team) {
            return Err(RuleError::LockedOut { team });
        }
        if self.answered.contains(&team) {
            return Err(RuleError::AlreadyAnswered { team });
        }
        let holder = match self.phase {
            Phase::Answering { team } => Some(team),
            _ => None,
        };
        if holder == Some(team) || self.queue.iter().any(|b| b.team == team) {
            return Err(RuleError::AlreadyBuzzed { team });
        }
        self.buzzes.push(buzz);
        match self.phase {
            Phase::Opened => {
                self.locked_out.push(team);
                out.push(BuzzerOutcome::Foul { team });
                self.score(team, self.settings.foul_penalty, -1, Reason::Foul, out);
            }
            Phase::Armed { .. } => {
                self.phase = Phase::Answering { team };
                out.push(BuzzerOutcome::Floor { team });
            }
            Phase::Answering { .. } => {
                self.queue.push(buzz);
                out.push(BuzzerOutcome::Queued {
                    team,
                    position: self.queue.len(),
                });
            }
            Phase::Closed { .. } => unreachable!("checked in step"),
        }
        Ok(())
    }

    fn holder_is(&self, team: TeamId) -> Result<(), RuleError> {
        match self.phase {
            Phase::Answering { team: holder } if holder == team => Ok(()),
            Phase::Answering { team: holder } => Err(RuleError::NotFloorHolder { holder, team }),
            _ => Err(RuleError::NobodyHoldsFloor),
        }
    }

    fn right(&mut self, team: TeamId, out: &mut Vec<BuzzerOutcome>) {
        out.push(BuzzerOutcome::Judged {
            team,
            verdict: Verdict::Right,
        });
        let (reason, _, _) = self.kind.reasons();
        self.score(team, self.settings.points, 1, reason, out);
        self.close(Closure::Won { team }, out);
    }

    /// A wrong or late answer: the penalty, then the floor passes on, the buzzer reopens, or the question is
    /// void, as configured.
    fn miss(&mut self, team: TeamId, verdict: Verdict, out: &mut Vec<BuzzerOutcome>) {
        out.push(BuzzerOutcome::Judged { team, verdict });
        let (_, wrong, late) = self.kind.reasons();
        let (penalty, reason) = match verdict {
            Verdict::Late => (self.settings.late_penalty, late),
            _ => (self.settings.wrong_penalty, wrong),
        };
        self.score(team, penalty, -1, reason, out);
        self.answered.push(team);
        if self.settings.on_wrong == OnWrong::Void {
            self.close(
                Closure::Void {
                    reason: VoidReason::WrongAnswer,
                },
                out,
            );
            return;
        }
        // Queued teams are eligible by construction (locked-out and answered teams cannot buzz).
        if !self.queue.is_empty() {
            let next = self.queue.remove(0);
            self.phase = Phase::Answering { team: next.team };
            out.push(BuzzerOutcome::Floor { team: next.team });
            return;
        }
        match self.settings.on_wrong {
            OnWrong::Reopen => self.open_window(out),
            _ => self.close(
                Closure::Void {
                    reason: VoidReason::QueueExhausted,
                },
                out,
            ),
        }
    }

    fn score(&self, team: TeamId, points: u32, sign: i64, reason: Reason, out: &mut Vec<BuzzerOutcome>) {
        out.push(BuzzerOutcome::Score {
            change: ScoreChange {
                team,
                delta_centi: sign * centi(points),
                reason,
            },
        });
    }

    fn close(&mut self, result: Closure, out: &mut Vec<BuzzerOutcome>) {
        self.queue.clear();
        self.phase = Phase::Closed { result };
        out.push(BuzzerOutcome::Closed { result });
    }
}

/// Free-function form of [`BuzzerQuestion::step`].
pub fn step(
    state: &BuzzerQuestion,
    event: &BuzzerEvent,
) -> Result<(BuzzerQuestion, Vec<BuzzerOutcome>), RuleError> {
    state.step(event)
}
