//! The score ledger: an append-only list of score changes on top of the 基础分 (base score).
//!
//! Nothing is ever changed or deleted: a judgement is taken back by an undo entry that reverses it, so the
//! ledger is its own audit trail. A team's total is always the base score plus the sum of its entries.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{EntryId, Reason, RuleError, ScoreChange, TeamId, centi, check_teams};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LedgerEntry {
    pub id: EntryId,
    pub team: TeamId,
    pub delta_centi: i64,
    pub reason: Reason,
    /// Why (required for adjustments, optional for undos, empty for rule-made entries).
    #[serde(default)]
    pub note: String,
}

/// A team's place. Equal totals share a rank (1, 2, 2, 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TeamStanding {
    pub team: TeamId,
    pub total_centi: i64,
    pub rank: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    base_centi: i64,
    teams: Vec<TeamId>,
    entries: Vec<LedgerEntry>,
}

impl Ledger {
    /// An empty ledger for `teams`, each starting at `base_score` points.
    pub fn new(base_score: u32, teams: &[TeamId]) -> Result<Ledger, RuleError> {
        check_teams(teams)?;
        Ok(Ledger {
            base_centi: centi(base_score),
            teams: teams.to_vec(),
            entries: Vec::new(),
        })
    }

    /// Rebuild a ledger from stored entries, checking them as if they were recorded one by one (ids 1, 2, ...;
    /// known teams; every undo reverses an earlier, not yet undone, non-undo entry by exactly its delta).
    pub fn from_entries(
        base_score: u32,
        teams: &[TeamId],
        entries: Vec<LedgerEntry>,
    ) -> Result<Ledger, RuleError> {
        let mut ledger = Ledger::new(base_score, teams)?;
        for entry in entries {
            if entry.id != ledger.next_id() {
                return Err(RuleError::EntryOutOfSequence { entry: entry.id });
            }
            ledger.check_team(entry.team)?;
            if let Reason::UndoOf(target) = entry.reason {
                let original = ledger.undoable(target)?;
                if original.team != entry.team || original.delta_centi != -entry.delta_centi {
                    return Err(RuleError::EntryOutOfSequence { entry: entry.id });
                }
            }
            ledger.entries.push(entry);
        }
        Ok(ledger)
    }

    pub fn base_centi(&self) -> i64 {
        self.base_centi
    }
    pub fn teams(&self) -> &[TeamId] {
        &self.teams
    }
    pub fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }
    pub fn entry(&self, id: EntryId) -> Option<&LedgerEntry> {
        // Ids are 1-based positions.
        usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.entries.get(i))
    }

    fn next_id(&self) -> EntryId {
        self.entries.len() as EntryId + 1
    }

    fn check_team(&self, team: TeamId) -> Result<(), RuleError> {
        if self.teams.contains(&team) {
            Ok(())
        } else {
            Err(RuleError::UnknownTeam { team })
        }
    }

    fn push(&mut self, team: TeamId, delta_centi: i64, reason: Reason, note: String) -> EntryId {
        let id = self.next_id();
        self.entries.push(LedgerEntry {
            id,
            team,
            delta_centi,
            reason,
            note,
        });
        id
    }

    /// Record a change made by a rule (a zero change too: it records the judgement).
    pub fn record(&mut self, change: ScoreChange) -> Result<EntryId, RuleError> {
        self.check_team(change.team)?;
        if matches!(change.reason, Reason::UndoOf(_)) {
            return Err(RuleError::UndoNotRecordable);
        }
        Ok(self.push(change.team, change.delta_centi, change.reason, String::new()))
    }

    /// A manual correction by the organizer; `note` (why) is required.
    pub fn adjust(&mut self, team: TeamId, delta_centi: i64, note: &str) -> Result<EntryId, RuleError> {
        self.check_team(team)?;
        if note.trim().is_empty() {
            return Err(RuleError::EmptyNote);
        }
        Ok(self.push(team, delta_centi, Reason::Adjustment, note.trim().to_owned()))
    }

    /// The entry `id` if it may be undone: it exists, is not an undo, and is not undone yet.
    fn undoable(&self, id: EntryId) -> Result<&LedgerEntry, RuleError> {
        let entry = self.entry(id).ok_or(RuleError::UnknownEntry { entry: id })?;
        if matches!(entry.reason, Reason::UndoOf(_)) {
            return Err(RuleError::CannotUndoUndo { entry: id });
        }
        if let Some(by) = self.undone_by(id) {
            return Err(RuleError::AlreadyUndone { entry: id, by });
        }
        Ok(entry)
    }

    /// Take back entry `id` by appending its reverse. The original stays in the ledger.
    pub fn undo(&mut self, id: EntryId, note: &str) -> Result<EntryId, RuleError> {
        let original = self.undoable(id)?;
        let (team, delta) = (original.team, original.delta_centi);
        Ok(self.push(team, -delta, Reason::UndoOf(id), note.trim().to_owned()))
    }

    /// The entry that undid `id`, if any.
    pub fn undone_by(&self, id: EntryId) -> Option<EntryId> {
        self.entries
            .iter()
            .find(|e| e.reason == Reason::UndoOf(id))
            .map(|e| e.id)
    }

    /// Entries still in force: neither undone nor an undo.
    pub fn effective(&self) -> Vec<&LedgerEntry> {
        self.entries
            .iter()
            .filter(|e| !matches!(e.reason, Reason::UndoOf(_)) && self.undone_by(e.id).is_none())
            .collect()
    }

    /// Base score plus the sum of the team's entries.
    pub fn total(&self, team: TeamId) -> Result<i64, RuleError> {
        self.check_team(team)?;
        Ok(self.base_centi
            + self
                .entries
                .iter()
                .filter(|e| e.team == team)
                .map(|e| e.delta_centi)
                .sum::<i64>())
    }

    /// Every team's total, in the order the teams were given.
    pub fn totals(&self) -> Vec<(TeamId, i64)> {
        self.teams
            .iter()
            .map(|&t| (t, self.total(t).unwrap_or(self.base_centi)))
            .collect()
    }

    pub fn standings(&self) -> Vec<TeamStanding> {
        rank_totals(&self.totals())
    }
}

/// Rank totals: higher first, equal totals share a rank (1, 2, 2, 4); listed by total then team id.
pub fn rank_totals(totals: &[(TeamId, i64)]) -> Vec<TeamStanding> {
    let mut sorted = totals.to_vec();
    sorted.sort_by_key(|&(team, total)| (Reverse(total), team));
    let mut standings: Vec<TeamStanding> = Vec::with_capacity(sorted.len());
    for (i, (team, total_centi)) in sorted.into_iter().enumerate() {
        let rank = match standings.last() {
            Some(above) if above.total_centi == total_centi => above.rank,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        standings.push(TeamStanding {
            team,
            total_centi,
            rank,
        });
    }
    standings
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
