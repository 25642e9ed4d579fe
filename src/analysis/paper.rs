//! Statistics of a whole paper (a round): score distribution and reliability.

use serde::Serialize;

use super::matrix::ResponseMatrix;
use super::stats::{mean, sample_variance};

/// Which items Cronbach's α was computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlphaBasis {
    /// Every participant was given every item: α of the whole paper.
    AllItems,
    /// Papers differed: α of the items every participant was given (at least two of them).
    CommonItems,
    /// No α: fewer than two participants, fewer than two common items, or no spread of the scores.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PaperStats {
    /// Participants given at least one item.
    pub n: usize,
    /// Items given to at least one participant.
    pub items: usize,
    /// Every participant was given the same items.
    pub same_items: bool,
    /// The mean total score (each participant's total over the items they were given).
    pub mean: Option<f64>,
    /// The sample standard deviation of the totals (divisor n − 1); `None` below two participants.
    pub sd: Option<f64>,
    /// The mean of the participants' maximum totals.
    pub mean_max: Option<f64>,
    /// Cronbach's α over `alpha_basis`.
    pub alpha: Option<f64>,
    pub alpha_basis: AlphaBasis,
    /// Items α was computed over.
    pub alpha_items: usize,
    /// Standard error of measurement, SD · √(1 − α), with the SD of the score α was computed over (the total
    /// when `alpha_basis` is `all_items`, the sum over the common items otherwise).
    pub sem: Option<f64>,
}

pub(crate) fn paper_stats(matrix: &ResponseMatrix, totals: &[f64]) -> PaperStats {
    let item_count = matrix.items().len();
    // Participants given something, and items given to someone.
    let rows: Vec<usize> = (0..matrix.rows().len())
        .filter(|&r| matrix.rows()[r].cells.iter().any(Option::is_some))
        .collect();
    let given: Vec<usize> = (0..item_count)
        .filter(|&i| rows.iter().any(|&r| matrix.rows()[r].cells[i].is_some()))
        .collect();
    let common: Vec<usize> = given
        .iter()
        .copied()
        .filter(|&i| rows.iter().all(|&r| matrix.rows()[r].cells[i].is_some()))
        .collect();
    let same_items = common.len() == given.len();
    let row_totals: Vec<f64> = rows.iter().map(|&r| totals[r]).collect();
    let maxima: Vec<f64> = rows
        .iter()
        .map(|&r| matrix.rows()[r].cells.iter().flatten().map(|c| c.max_score).sum())
        .collect();
    let (alpha, sem) = alpha_and_sem(matrix, &rows, &common).unzip();
    let alpha_basis = match (alpha.is_some(), same_items) {
        (false, _) => AlphaBasis::None,
        (true, true) => AlphaBasis::AllItems,
        (true, false) => AlphaBasis::CommonItems,
    };
    PaperStats {
        n: rows.len(),
        items: given.len(),
        same_items,
        mean: mean(&row_totals),
        sd: sample_variance(&row_totals).map(f64::sqrt),
        mean_max: mean(&maxima),
        alpha,
        alpha_basis,
        alpha_items: if alpha.is_some() { common.len() } else { 0 },
        sem,
    }
}

/// Cronbach's α = k/(k − 1) · (1 − Σ var(item) / var(sum)) over `items` and `rows` (sample variances; the
/// divisor cancels), and SD(sum) · √(1 − α). `None` when k < 2, fewer than two rows, or var(sum) = 0.
fn alpha_and_sem(matrix: &ResponseMatrix, rows: &[usize], items: &[usize]) -> Option<(f64, f64)> {
    let k = items.len();
    if k < 2 || rows.len() < 2 {
        return None;
    }
    let score = |r: usize, i: usize| matrix.rows()[r].cells[i].as_ref().map_or(0.0, |c| c.score);
    let sums: Vec<f64> = rows
        .iter()
        .map(|&r| items.iter().map(|&i| score(r, i)).sum())
        .collect();
    let total_variance = sample_variance(&sums)?;
    if total_variance == 0.0 {
        return None;
    }
    let item_variances: f64 = items
        .iter()
        .map(|&i| {
            let column: Vec<f64> = rows.iter().map(|&r| score(r, i)).collect();
            sample_variance(&column).unwrap_or(0.0)
        })
        .sum();
    let k = k as f64;
    let alpha = k / (k - 1.0) * (1.0 - item_variances / total_variance);
    // α ≤ 1 because variances are not negative; `max` only guards the square root against rounding.
    let sem = total_variance.sqrt() * (1.0 - alpha).max(0.0).sqrt();
    Some((alpha, sem))
}
