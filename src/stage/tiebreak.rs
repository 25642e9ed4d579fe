//! 加赛: a sudden-death tie-break among exactly the tied teams, for the places that matter.
//!
//! A tied group holds a run of places (say 2nd to 4th). A *cut* after place `c` means places up to `c` and
//! places after it must be told apart: the advancement cut after place N, or each podium place. The tie-break
//! asks questions (never one used before) by buzzer: the first right answer takes the best remaining place, a
//! wrong answer takes the worst remaining place. It goes on, question after question, until no cut falls
//! inside the places the still-tied teams hold; those teams then share the best of them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::buzzer::{BuzzerOutcome, Closure};
use super::draw::Draw;
use super::ledger::TeamStanding;
use super::{RuleError, TeamId, Verdict, check_teams};

/// Teams sharing a rank, and the places they hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TiedGroup {
    pub teams: Vec<TeamId>,
    pub first_place: u32,
    pub last_place: u32,
}

/// Cuts after each of the first `podium_places` places (1, 2, 3 for a podium of three).
pub fn podium_cuts(podium_places: u32) -> Vec<u32> {
    (1..=podium_places).collect()
}

/// Cut `c` falls inside places `first..=last`.
fn splits(cuts: &[u32], first: u32, last: u32) -> bool {
    cuts.iter().any(|&c| first <= c && c < last)
}

/// The tied groups of `standings` (ranked by [`super::rank_totals`]) that a cut falls inside.
pub fn ties_that_matter(standings: &[TeamStanding], cuts: &[u32]) -> Vec<TiedGroup> {
    let mut sorted = standings.to_vec();
    sorted.sort_by_key(|s| (s.rank, s.team));
    let mut groups = Vec::new();
    for chunk in sorted.chunk_by(|a, b| a.rank == b.rank) {
        let first = chunk[0].rank;
        let last = first + chunk.len() as u32 - 1;
        if chunk.len() > 1 && splits(cuts, first, last) {
            groups.push(TiedGroup {
                teams: chunk.iter().map(|s| s.team).collect(),
                first_place: first,
                last_place: last,
            });
        }
    }
    groups
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TiebreakEvent {
    /// A new question (its id must not have been used before, in the contest or this tie-break).
    Question { question: String },
    /// `team` answered the current question right: it takes the best remaining place; the question ends.
    Right { team: TeamId },
    /// `team` answered wrong (or late): it takes the worst remaining place. The question goes on for the others
    /// unless the engine ends it with `void`.
    Wrong { team: TeamId },
    /// The current question ended without a right answer (nobody buzzed, or it was voided).
    Void,
    /// Last resort (no questions left): the recorded draw orders the teams still tied.
    Draw { seed: u64 },
}

impl TiebreakEvent {
    /// The tie-break event for an outcome of the [`super::BuzzerQuestion`] that runs a tie-break question
    /// (among [`Tiebreak::remaining`], with [`super::TiebreakSettings::buzzer_settings`]). Fouls map to nothing:
    /// they only lock the team out of that question.
    pub fn from_buzzer(outcome: &BuzzerOutcome) -> Option<TiebreakEvent> {
        match *outcome {
            BuzzerOutcome::Judged {
                team,
                verdict: Verdict::Right,
            } => Some(TiebreakEvent::Right { team }),
            BuzzerOutcome::Judged { team, .. } => Some(TiebreakEvent::Wrong { team }),
            BuzzerOutcome::Closed {
                result: Closure::Void { .. },
            } => Some(TiebreakEvent::Void),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Placing {
    pub team: TeamId,
    pub place: u32,
    /// Another team holds the same place (the tie did not matter there).
    pub shared: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TiebreakResult {
    /// Best place first.
    pub placings: Vec<Placing>,
    /// The tie-break questions, in the order asked.
    pub questions: Vec<String>,
    /// The seed, when a draw placed the last teams.
    pub draw_seed: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TiebreakOutcome {
    QuestionStarted {
        question: String,
        number: usize,
    },
    Placed {
        team: TeamId,
        place: u32,
    },
    /// The tie is not broken yet: ask another question (among [`Tiebreak::remaining`]).
    NeedQuestion,
    Finished {
        result: TiebreakResult,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tiebreak {
    teams: Vec<TeamId>,
    first_place: u32,
    cuts: Vec<u32>,
    /// Placed from the best place down.
    top: Vec<TeamId>,
    /// Placed from the worst place up.
    bottom: Vec<TeamId>,
    remaining: Vec<TeamId>,
    used: Vec<String>,
    asked: Vec<String>,
    current: Option<String>,
    result: Option<TiebreakResult>,
}

impl Tiebreak {
    /// A tie-break for `teams` tied from `first_place` on; `used_questions` are the ids already used in the
    /// contest. Refused when no cut falls inside the tied places.
    pub fn new(
        teams: Vec<TeamId>,
        first_place: u32,
        cuts: Vec<u32>,
        used_questions: Vec<String>,
    ) -> Result<Tiebreak, RuleError> {
        check_teams(&teams)?;
        let last = first_place.max(1) + teams.len() as u32 - 1;
        if teams.len() < 2 || first_place == 0 || !splits(&cuts, first_place, last) {
            return Err(RuleError::NoTieToBreak);
        }
        Ok(Tiebreak {
            remaining: teams.clone(),
            teams,
            first_place,
            cuts,
            top: Vec::new(),
            bottom: Vec::new(),
            used: used_questions,
            asked: Vec::new(),
            current: None,
            result: None,
        })
    }

    /// A tie-break for a group found by [`ties_that_matter`].
    pub fn for_group(
        group: &TiedGroup,
        cuts: Vec<u32>,
        used_questions: Vec<String>,
    ) -> Result<Tiebreak, RuleError> {
        Tiebreak::new(group.teams.clone(), group.first_place, cuts, used_questions)
    }

    /// The teams still tied (who play the next question).
    pub fn remaining(&self) -> &[TeamId] {
        &self.remaining
    }
    pub fn current_question(&self) -> Option<&str> {
        self.current.as_deref()
    }
    pub fn is_used(&self, question: &str) -> bool {
        self.used.iter().any(|q| q == question)
    }
    /// The first of `candidates` not used yet.
    pub fn next_unused<'a>(&self, candidates: &'a [String]) -> Option<&'a str> {
        candidates.iter().map(String::as_str).find(|q| !self.is_used(q))
    }
    pub fn result(&self) -> Option<&TiebreakResult> {
        self.result.as_ref()
    }

    /// The places given so far (before the tie-break finishes): right answers from the best place down, wrong
    /// ones from the worst place up.
    pub fn placed(&self) -> Vec<(TeamId, u32)> {
        let last = self.first_place + self.teams.len() as u32 - 1;
        let top = self
            .top
            .iter()
            .enumerate()
            .map(|(i, &team)| (team, self.first_place + i as u32));
        let bottom = self
            .bottom
            .iter()
            .enumerate()
            .map(|(i, &team)| (team, last - i as u32));
        top.chain(bottom).collect()
    }

    /// The best and worst places the remaining teams hold.
    fn span(&self) -> (u32, u32) {
        let first = self.first_place + self.top.len() as u32;
        let last = self.first_place + (self.teams.len() - self.bottom.len()) as u32 - 1;
        (first, last)
    }

    fn broken(&self) -> bool {
        let (first, last) = self.span();
        self.remaining.len() < 2 || !splits(&self.cuts, first, last)
    }

    /// Apply one event. Returns the new state and what happened; on error `self` is unchanged.
    pub fn step(&self, event: &TiebreakEvent) -> Result<(Tiebreak, Vec<TiebreakOutcome>), RuleError> {
        if self.result.is_some() {
            return Err(RuleError::TiebreakFinished);
        }
        let mut next = self.clone();
        let mut out = Vec::new();
        match event {
            TiebreakEvent::Question { question } => {
                if self.current.is_some() {
                    return Err(RuleError::QuestionInProgress);
                }
                if self.is_used(question) {
                    return Err(RuleError::QuestionAlreadyUsed {
                        question: question.clone(),
                    });
                }
                next.used.push(question.clone());
                next.asked.push(question.clone());
                next.current = Some(question.clone());
                out.push(TiebreakOutcome::QuestionStarted {
                    question: question.clone(),
                    number: next.asked.len(),
                });
            }
            &TiebreakEvent::Right { team } => {
                next.answering(team)?;
                let (best, _) = next.span();
                next.place(team, best, &mut out);
                next.top.push(team);
                next.current = None;
                next.settle(&mut out);
            }
            &TiebreakEvent::Wrong { team } => {
                next.answering(team)?;
                let (_, worst) = next.span();
                next.place(team, worst, &mut out);
                next.bottom.push(team);
                if next.broken() {
                    next.current = None;
                    next.settle(&mut out);
                }
            }
            TiebreakEvent::Void => {
                if next.current.take().is_none() {
                    return Err(RuleError::NoQuestion);
                }
                out.push(TiebreakOutcome::NeedQuestion);
            }
            &TiebreakEvent::Draw { seed } => {
                next.current = None;
                for team in Draw::new(seed).order(&self.remaining) {
                    let (best, _) = next.span();
                    next.place(team, best, &mut out);
                    next.top.push(team);
                }
                next.finish(Some(seed), &mut out);
            }
        }
        Ok((next, out))
    }

    /// `team` may answer the current question.
    fn answering(&self, team: TeamId) -> Result<(), RuleError> {
        if self.current.is_none() {
            return Err(RuleError::NoQuestion);
        }
        if !self.teams.contains(&team) {
            return Err(RuleError::UnknownTeam { team });
        }
        if !self.remaining.contains(&team) {
            return Err(RuleError::NotInTiebreak { team });
        }
        Ok(())
    }

    fn place(&mut self, team: TeamId, place: u32, out: &mut Vec<TiebreakOutcome>) {
        self.remaining.retain(|&t| t != team);
        out.push(TiebreakOutcome::Placed { team, place });
    }

    /// Finish when the tie is broken, else ask for another question.
    fn settle(&mut self, out: &mut Vec<TiebreakOutcome>) {
        if self.broken() {
            self.finish(None, out);
        } else {
            out.push(TiebreakOutcome::NeedQuestion);
        }
    }

    /// The teams still tied share the best place they hold.
    fn finish(&mut self, draw_seed: Option<u64>, out: &mut Vec<TiebreakOutcome>) {
        let (best, _) = self.span();
        let shared = self.remaining.len() > 1;
        let mut placings: Vec<Placing> = Vec::with_capacity(self.teams.len());
        for (i, &team) in self.top.iter().enumerate() {
            placings.push(Placing {
                team,
                place: self.first_place + i as u32,
                shared: false,
            });
        }
        for &team in &self.remaining {
            out.push(TiebreakOutcome::Placed { team, place: best });
            placings.push(Placing {
                team,
                place: best,
                shared,
            });
        }
        let last = self.first_place + self.teams.len() as u32 - 1;
        for (i, &team) in self.bottom.iter().enumerate().rev() {
            placings.push(Placing {
                team,
                place: last - i as u32,
                shared: false,
            });
        }
        self.remaining.clear();
        let result = TiebreakResult {
            placings,
            questions: self.asked.clone(),
            draw_seed,
        };
        self.result = Some(result.clone());
        out.push(TiebreakOutcome::Finished { result });
    }
}
