//! Item analysis: classical test statistics of the questions of a paper or round, from a response matrix.
//!
//! Pure and deterministic: a [`ResponseMatrix`] (participants × items: given or not, answered or not, score
//! and maximum, options chosen by their identity in the bank, time taken) goes in; per-item statistics
//! ([`ItemStats`]: facility, discrimination, the upper-minus-lower 27% index, distractors, time, flags) and
//! per-paper statistics ([`PaperStats`]: n, mean, SD, Cronbach's α, SEM) come out. Undefined statistics are
//! `None`, never NaN. Every formula, threshold and edge-case convention is in docs/item-analysis.md.

pub mod contest;
mod flags;
mod groups;
mod item;
mod matrix;
mod paper;
mod stats;

#[cfg(test)]
mod edge_tests;
#[cfg(test)]
mod hand_tests;

use serde::Serialize;

pub use flags::{Flag, LOW_DISCRIMINATION_BELOW, VERY_EASY_AT_LEAST, VERY_HARD_AT_MOST, flags_of};
pub use groups::{GROUP_PERCENT, Groups, group_size};
pub use item::{ItemStats, OptionStats, Share};
pub use matrix::{Cell, ItemSpec, MatrixError, ResponseMatrix, Row};
pub use paper::{AlphaBasis, PaperStats};

/// The analysis of one matrix: the paper, and each item in the matrix's order.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Analysis {
    pub paper: PaperStats,
    pub items: Vec<ItemStats>,
}

/// Analyse a response matrix.
pub fn analyse(matrix: &ResponseMatrix) -> Analysis {
    let totals = matrix.totals();
    Analysis {
        paper: paper::paper_stats(matrix, &totals),
        items: (0..matrix.items().len())
            .map(|i| item::item_stats(matrix, i, &totals))
            .collect(),
    }
}
