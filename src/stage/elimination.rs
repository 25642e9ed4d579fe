//! Elimination: after a round the top N go on. A tie across the cut is decided by the configured rule.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::draw::Draw;
use super::settings::{CutTieRule, EliminationSettings};
use super::tiebreak::{Placing, TiebreakResult};
use super::{RuleError, TeamId, check_teams};

/// A team's score for the cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Contender {
    pub team: TeamId,
    /// The score that ranks (the round's or the total, as the engine decides).
    pub score_centi: i64,
    /// The previous round's score, for `previous_round_score`.
    #[serde(default)]
    pub previous_centi: i64,
}

/// How the last places were decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CutDecision {
    /// No tie across the cut (or everyone advances).
    Score,
    /// Tied teams wait for a 加赛 (`tied_at_cut`, `open_places`).
    TiebreakPending,
    /// The 加赛 decided.
    TiebreakRound,
    KeepAllTied,
    PreviousRoundScore,
    /// The recorded draw decided (also when previous-round scores were equal too).
    Draw,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Cut {
    /// N of the settings.
    pub advance: u32,
    /// Who goes on, best first.
    pub advanced: Vec<TeamId>,
    /// Who is out, best first.
    pub eliminated: Vec<TeamId>,
    /// Teams tied across the cut, waiting for a 加赛 (empty unless `decided_by` is `tiebreak_pending`).
    pub tied_at_cut: Vec<TeamId>,
    /// How many of `tied_at_cut` advance.
    pub open_places: u32,
    /// The place the tied group starts at (its best place), 0 when nobody is tied at the cut.
    pub first_tied_place: u32,
    pub decided_by: CutDecision,
}

/// Rank by score (higher first); `draw` is used only when `tie_rule` needs it, and `decided_by` says whether
/// it did. Teams with a score above the cut score advance, below it are out; the teams *at* the cut score are
/// all in when they fit, otherwise the tie rule decides who takes the `open_places`.
pub fn eliminate(
    settings: &EliminationSettings,
    contenders: &[Contender],
    draw: &Draw,
) -> Result<Cut, RuleError> {
    let teams: Vec<TeamId> = contenders.iter().map(|c| c.team).collect();
    check_teams(&teams)?;
    settings
        .validate()
        .map_err(|message| RuleError::InvalidSettings { message })?;
    let mut sorted = contenders.to_vec();
    sorted.sort_by_key(|c| (Reverse(c.score_centi), c.team));
    let n = settings.advance as usize;
    let ids = |cs: &[Contender]| cs.iter().map(|c| c.team).collect::<Vec<_>>();
    let mut cut = Cut {
        advance: settings.advance,
        advanced: ids(&sorted),
        eliminated: Vec::new(),
        tied_at_cut: Vec::new(),
        open_places: 0,
        first_tied_place: 0,
        decided_by: CutDecision::Score,
    };
    if sorted.len() <= n {
        return Ok(cut);
    }
    let cut_score = sorted[n - 1].score_centi;
    let above: Vec<Contender> = sorted
        .iter()
        .copied()
        .filter(|c| c.score_centi > cut_score)
        .collect();
    let mut tied: Vec<Contender> = sorted
        .iter()
        .copied()
        .filter(|c| c.score_centi == cut_score)
        .collect();
    let below: Vec<Contender> = sorted
        .iter()
        .copied()
        .filter(|c| c.score_centi < cut_score)
        .collect();
    cut.advanced = ids(&above);
    cut.eliminated = ids(&below);
    if above.len() + tied.len() <= n {
        // The whole tied group fits: no tie across the cut.
        cut.advanced.extend(ids(&tied));
        return Ok(cut);
    }
    let open = n - above.len();
    match settings.tie_rule {
        CutTieRule::TiebreakRound => {
            cut.tied_at_cut = ids(&tied);
            cut.open_places = open as u32;
            cut.first_tied_place = above.len() as u32 + 1;
            cut.decided_by = CutDecision::TiebreakPending;
            return Ok(cut);
        }
        CutTieRule::KeepAllTied => {
            cut.advanced.extend(ids(&tied));
            cut.decided_by = CutDecision::KeepAllTied;
            return Ok(cut);
        }
        CutTieRule::PreviousRoundScore => {
            tied.sort_by_key(|c| (Reverse(c.previous_centi), draw.number(c.team), c.team));
            let boundary = tied[open - 1].previous_centi;
            let still_tied = tied.get(open).is_some_and(|c| c.previous_centi == boundary);
            cut.decided_by = if still_tied {
                CutDecision::Draw
            } else {
                CutDecision::PreviousRoundScore
            };
        }
        CutTieRule::Draw => {
            tied.sort_by_key(|c| (draw.number(c.team), c.team));
            cut.decided_by = CutDecision::Draw;
        }
    }
    let (first, rest) = tied.split_at(open);
    cut.advanced.extend(ids(first));
    let mut eliminated = ids(rest);
    eliminated.extend(cut.eliminated);
    cut.eliminated = eliminated;
    Ok(cut)
}

impl Cut {
    /// Apply the result of the 加赛 for `tied_at_cut`: teams placed within the first `advance` places go on.
    pub fn settle(&self, result: &TiebreakResult) -> Result<Cut, RuleError> {
        if self.decided_by != CutDecision::TiebreakPending {
            return Err(RuleError::NoTieAtCut);
        }
        let mut placed: Vec<TeamId> = result.placings.iter().map(|p| p.team).collect();
        let mut tied = self.tied_at_cut.clone();
        placed.sort_unstable();
        tied.sort_unstable();
        if placed != tied {
            return Err(RuleError::TiebreakMismatch);
        }
        let mut placings = result.placings.clone();
        placings.sort_by_key(|p| (p.place, p.team));
        let (go, out): (Vec<&Placing>, Vec<&Placing>) =
            placings.iter().partition(|p| p.place <= self.advance);
        if go.len() != self.open_places as usize {
            return Err(RuleError::TiebreakMismatch);
        }
        let mut cut = self.clone();
        cut.advanced.extend(go.iter().map(|p| p.team));
        let mut eliminated: Vec<TeamId> = out.iter().map(|p| p.team).collect();
        eliminated.extend(&self.eliminated);
        cut.eliminated = eliminated;
        cut.tied_at_cut.clear();
        cut.open_places = 0;
        cut.decided_by = CutDecision::TiebreakRound;
        Ok(cut)
    }
}

#[cfg(test)]
#[path = "elimination_tests.rs"]
mod tests;
