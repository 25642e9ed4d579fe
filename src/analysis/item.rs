//! Per-item statistics: facility, discrimination, the upper-minus-lower index, distractors and time.

use serde::Serialize;

use super::flags::{Flag, flags_of};
use super::groups::Groups;
use super::matrix::{Cell, ResponseMatrix};
use super::stats::{mean, pearson};

/// How often something (an option, or no answer) was chosen: overall and in the two 27% groups.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Share {
    /// Participants given the item who chose it.
    pub count: usize,
    /// `count / n`; `None` when nobody was given the item.
    pub share: Option<f64>,
    /// The weighted share of the upper group that chose it; `None` without groups (n < 2).
    pub upper: Option<f64>,
    /// The same for the lower group.
    pub lower: Option<f64>,
}

/// One option of a choice item, by its identity in the bank (0 = the option written first).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OptionStats {
    pub option: usize,
    pub is_key: bool,
    #[serde(flatten)]
    pub chosen: Share,
}

/// The statistics of one item, computed over the participants who were given it (its population).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemStats {
    pub id: i64,
    /// Participants given the item.
    pub n: usize,
    /// Of those, participants who answered it.
    pub answered: usize,
    /// Facility index: Σ score / Σ max over the population (the mean score over the maximum), 0..=1.
    pub facility: Option<f64>,
    /// The share of the population with a full score.
    pub fully_correct: Option<f64>,
    /// Discrimination index: the corrected point-biserial correlation of the item score with the total of the
    /// rest of the paper (total − item score), −1..=1.
    pub discrimination: Option<f64>,
    /// Upper-minus-lower index: the facility within the upper 27% group minus that within the lower group.
    pub upper_lower: Option<f64>,
    /// Places in each 27% group.
    pub group_size: Option<usize>,
    /// The mean time taken, over answers whose time is known.
    pub mean_time_ms: Option<f64>,
    /// Every option of a choice item; empty for an item without options.
    pub options: Vec<OptionStats>,
    /// Given the item, answered nothing.
    pub omitted: Share,
    pub flags: Vec<Flag>,
}

/// The statistics of item `i`; `totals` are every row's total.
pub(crate) fn item_stats(matrix: &ResponseMatrix, i: usize, totals: &[f64]) -> ItemStats {
    let spec = &matrix.items()[i];
    // The population: (row total, cell) of each participant given the item.
    let population: Vec<(f64, &Cell)> = matrix
        .rows()
        .iter()
        .zip(totals)
        .filter_map(|(row, &total)| row.cells[i].as_ref().map(|cell| (total, cell)))
        .collect();
    let n = population.len();
    let scores: Vec<f64> = population.iter().map(|(_, c)| c.score).collect();
    let rests: Vec<f64> = population.iter().map(|(t, c)| t - c.score).collect();
    let item_totals: Vec<f64> = population.iter().map(|(t, _)| *t).collect();
    let max_sum: f64 = population.iter().map(|(_, c)| c.max_score).sum();
    let fraction = |count: usize| (n > 0).then(|| count as f64 / n as f64);
    let groups = Groups::of(&item_totals);

    // Weighted facility of a group: Σ w·score / Σ w·max.
    let group_facility = |weights: &[f64]| {
        let (got, max) = population
            .iter()
            .zip(weights)
            .fold((0.0, 0.0), |(g, m), ((_, c), w)| {
                (g + w * c.score, m + w * c.max_score)
            });
        got / max
    };
    // The weighted share of a group whose cell satisfies `pick`.
    let group_share = |weights: &[f64], size: usize, pick: &dyn Fn(&Cell) -> bool| {
        let sum: f64 = population
            .iter()
            .zip(weights)
            .filter(|((_, c), _)| pick(c))
            .map(|(_, w)| w)
            .sum();
        sum / size as f64
    };
    let share_of = |pick: &dyn Fn(&Cell) -> bool| Share {
        count: population.iter().filter(|(_, c)| pick(c)).count(),
        share: fraction(population.iter().filter(|(_, c)| pick(c)).count()),
        upper: groups.as_ref().map(|g| group_share(&g.upper, g.size, pick)),
        lower: groups.as_ref().map(|g| group_share(&g.lower, g.size, pick)),
    };

    let options = (0..spec.option_count)
        .map(|option| OptionStats {
            option,
            is_key: spec.key.contains(&option),
            chosen: share_of(&|c: &Cell| c.chosen.contains(&option)),
        })
        .collect();
    let times: Vec<f64> = population
        .iter()
        .filter(|(_, c)| c.answered)
        .filter_map(|(_, c)| c.time_ms.map(|t| t as f64))
        .collect();
    let mut stats = ItemStats {
        id: spec.id,
        n,
        answered: population.iter().filter(|(_, c)| c.answered).count(),
        facility: (n > 0).then(|| scores.iter().sum::<f64>() / max_sum),
        fully_correct: fraction(population.iter().filter(|(_, c)| c.score >= c.max_score).count()),
        discrimination: pearson(&scores, &rests),
        upper_lower: groups
            .as_ref()
            .map(|g| group_facility(&g.upper) - group_facility(&g.lower)),
        group_size: groups.as_ref().map(|g| g.size),
        mean_time_ms: mean(&times),
        options,
        omitted: share_of(&|c: &Cell| !c.answered),
        flags: Vec::new(),
    };
    stats.flags = flags_of(&stats);
    stats
}
