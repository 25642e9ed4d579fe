//! Results documents (issue 10, docs/results.md): the results workbook and CSV, the printable results report
//! with its award list, the award certificates and each participant's answer sheet (答题卡).
//!
//! Everything here is pure: the HTTP layer (`src/http/results.rs`) reads the engine's views and the store, and
//! these modules turn them into files. Every text cell of a spreadsheet goes through [`crate::export::safe_cell`];
//! every text of a page through [`html::esc`].

pub mod awards;
pub mod certificates;
pub mod csv;
pub mod data;
pub mod html;
pub mod lang;
pub mod matrix;
pub mod report;
pub mod sheet;
pub mod sheet_html;
pub mod tickets;
pub mod time;
pub mod xlsx;

use std::collections::HashMap;
use std::sync::Mutex;

use awards::{Placed, Tier, assign};
use data::{ContestInfo, Entry, RoundInfo, Standings, TeamStanding};
use tickets::Tickets;

/// What the results endpoints keep in a server's memory: the print tickets, and each contest's answer sheet
/// switch (so that a hall of phones asking for their sheet at the end of a round while it is off costs no
/// database read; the store stays the record, read again after a restart).
#[derive(Default)]
pub struct Memory {
    pub tickets: Tickets,
    answer_sheets: Mutex<HashMap<i64, bool>>,
}

impl Memory {
    /// The contest's answer sheet switch, if this server has read or set it.
    pub fn answer_sheet_visible(&self, contest_id: i64) -> Option<bool> {
        self.lock().get(&contest_id).copied()
    }

    pub fn remember_answer_sheet(&self, contest_id: i64, visible: bool) {
        self.lock().insert(contest_id, visible);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, bool>> {
        self.answer_sheets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What the workbook, the CSV, the report and the certificates share: the contest, its rounds, the ranking with
/// each entry's award, the units and the stage teams.
#[derive(Debug, Clone)]
pub struct Results {
    pub contest: ContestInfo,
    pub rounds: Vec<RoundInfo>,
    pub standings: Standings,
    /// The stage rounds' teams; `None` without stage rounds (or before the first one started).
    pub teams: Option<Vec<TeamStanding>>,
    pub tiers: Vec<Tier>,
    /// The tier (index into `tiers`) of each entry of `standings.entries`.
    pub awards: Vec<Option<usize>>,
}

impl Results {
    pub fn new(
        contest: ContestInfo,
        rounds: Vec<RoundInfo>,
        standings: Standings,
        teams: Option<Vec<TeamStanding>>,
        tiers: Vec<Tier>,
    ) -> Self {
        let placed: Vec<Placed> = standings
            .entries
            .iter()
            .map(|e| Placed {
                rank: if e.absent { None } else { e.rank },
                score_centi: e.score_centi,
            })
            .collect();
        let awards = assign(&tiers, &placed);
        Self {
            contest,
            rounds,
            standings,
            teams,
            tiers,
            awards,
        }
    }

    /// The award of the entry at `index` of the ranking.
    pub fn award_of(&self, index: usize) -> Option<&str> {
        self.awards
            .get(index)
            .copied()
            .flatten()
            .map(|t| self.tiers[t].name.as_str())
    }

    /// Who got the award of tier `tier`, in ranking order.
    pub fn awardees(&self, tier: usize) -> Vec<&Entry> {
        self.standings
            .entries
            .iter()
            .zip(&self.awards)
            .filter(|(_, a)| **a == Some(tier))
            .map(|(e, _)| e)
            .collect()
    }

    /// Every awardee with their award, best tier first, in ranking order within a tier.
    pub fn all_awardees(&self) -> Vec<(&Entry, &str)> {
        (0..self.tiers.len())
            .flat_map(|t| {
                self.awardees(t)
                    .into_iter()
                    .map(move |e| (e, self.tiers[t].name.as_str()))
            })
            .collect()
    }

    pub fn finished(&self) -> bool {
        self.contest.state == "finished"
    }
}
