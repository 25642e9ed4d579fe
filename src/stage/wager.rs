//! 风险题: each team picks a value (and with it a difficulty); a right answer gains the value, a wrong,
//! incomplete or late one loses it.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::draw::Draw;
use super::settings::{PickOrder, WagerOption, WagerSettings};
use super::{Reason, RuleError, ScoreChange, TeamId, Verdict, centi, check_teams};

/// One place in the picking order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PickSlot {
    pub team: TeamId,
    pub total_centi: i64,
    /// The team shares its total with another and the recorded draw placed it (always false for seat order).
    pub decided_by_draw: bool,
}

/// The order in which teams pick. `seating` lists the teams in seat order; `totals` gives each one's current
/// total. High-to-low and low-to-high order by total; equal totals go by the recorded `draw`.
pub fn pick_order(
    rule: PickOrder,
    seating: &[TeamId],
    totals: &[(TeamId, i64)],
    draw: &Draw,
) -> Result<Vec<PickSlot>, RuleError> {
    check_teams(seating)?;
    let mut slots = Vec::with_capacity(seating.len());
    for &team in seating {
        let total_centi = totals
            .iter()
            .find(|(t, _)| *t == team)
            .map(|&(_, total)| total)
            .ok_or(RuleError::MissingTotal { team })?;
        let tied = totals
            .iter()
            .any(|&(t, total)| t != team && total == total_centi && seating.contains(&t));
        slots.push(PickSlot {
            team,
            total_centi,
            decided_by_draw: tied && rule != PickOrder::SeatOrder,
        });
    }
    match rule {
        PickOrder::SeatOrder => {}
        PickOrder::HighToLow => slots.sort_by(|a, b| {
            (Reverse(a.total_centi), draw.number(a.team), a.team).cmp(&(
                Reverse(b.total_centi),
                draw.number(b.team),
                b.team,
            ))
        }),
        PickOrder::LowToHigh => slots.sort_by(|a, b| {
            (a.total_centi, draw.number(a.team), a.team).cmp(&(b.total_centi, draw.number(b.team), b.team))
        }),
    }
    Ok(slots)
}

/// What a team picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "pick", rename_all = "snake_case")]
pub enum WagerPick {
    Value {
        points: u32,
    },
    /// Decline: no question, no change (only when `allow_pass`).
    Pass,
}

/// The change for a team that wagered `option`: +points when right, −points otherwise.
pub fn wager_change(team: TeamId, option: &WagerOption, verdict: Verdict) -> ScoreChange {
    let points = centi(option.points);
    match verdict {
        Verdict::Right => ScoreChange {
            team,
            delta_centi: points,
            reason: Reason::WagerRight,
        },
        Verdict::Wrong | Verdict::Incomplete | Verdict::Late => ScoreChange {
            team,
            delta_centi: -points,
            reason: Reason::WagerWrong,
        },
    }
}

/// The picks of one wager round, in the fixed picking order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WagerRound {
    settings: WagerSettings,
    order: Vec<TeamId>,
    picks: Vec<(TeamId, WagerPick)>,
    scored: Vec<TeamId>,
}

impl WagerRound {
    /// `order` from [`pick_order`].
    pub fn new(settings: WagerSettings, order: &[PickSlot]) -> Result<WagerRound, RuleError> {
        let order: Vec<TeamId> = order.iter().map(|s| s.team).collect();
        check_teams(&order)?;
        Ok(WagerRound {
            settings,
            order,
            picks: Vec::new(),
            scored: Vec::new(),
        })
    }

    pub fn order(&self) -> &[TeamId] {
        &self.order
    }

    /// The team whose turn it is to pick, None when all have picked.
    pub fn next_to_pick(&self) -> Option<TeamId> {
        self.order.get(self.picks.len()).copied()
    }

    pub fn pick_of(&self, team: TeamId) -> Option<WagerPick> {
        self.picks.iter().find(|(t, _)| *t == team).map(|&(_, p)| p)
    }

    /// Whether `team` may pick `pick` now; the option it gets (None for a pass).
    pub fn check_pick(&self, team: TeamId, pick: WagerPick) -> Result<Option<WagerOption>, RuleError> {
        if !self.order.contains(&team) {
            return Err(RuleError::UnknownTeam { team });
        }
        if self.pick_of(team).is_some() {
            return Err(RuleError::AlreadyPicked { team });
        }
        let expected = self.next_to_pick().ok_or(RuleError::AllPicked)?;
        if expected != team {
            return Err(RuleError::NotYourTurn { expected, team });
        }
        match pick {
            WagerPick::Pass if self.settings.allow_pass => Ok(None),
            WagerPick::Pass => Err(RuleError::PassNotAllowed),
            WagerPick::Value { points } => self
                .settings
                .option(points)
                .map(Some)
                .ok_or(RuleError::NotAWagerValue { points }),
        }
    }

    /// Record `team`'s pick (see [`WagerRound::check_pick`]).
    pub fn pick(&mut self, team: TeamId, pick: WagerPick) -> Result<Option<WagerOption>, RuleError> {
        let option = self.check_pick(team, pick)?;
        self.picks.push((team, pick));
        Ok(option)
    }

    /// Apply the judgement of `team`'s wager answer: once per team, only after it picked a value.
    pub fn score(&mut self, team: TeamId, verdict: Verdict) -> Result<ScoreChange, RuleError> {
        if !self.order.contains(&team) {
            return Err(RuleError::UnknownTeam { team });
        }
        let points = match self.pick_of(team) {
            None => return Err(RuleError::NoPick { team }),
            Some(WagerPick::Pass) => return Err(RuleError::Passed { team }),
            Some(WagerPick::Value { points }) => points,
        };
        if self.scored.contains(&team) {
            return Err(RuleError::AlreadyScored { team });
        }
        let option = self
            .settings
            .option(points)
            .ok_or(RuleError::NotAWagerValue { points })?;
        self.scored.push(team);
        Ok(wager_change(team, &option, verdict))
    }
}

#[cfg(test)]
#[path = "wager_tests.rs"]
mod tests;
