//! The input of the analysis: a response matrix of participants × items, validated once on construction.

/// One item (question) of the analysed paper or round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSpec {
    /// The caller's identity of the item (the server passes the question uid).
    pub id: i64,
    /// How many options the item has, counted by their identity in the bank (0-based: option 0 is the one
    /// written first), never by the letter a participant saw. 0 for an item without options (fill in the blank).
    pub option_count: usize,
    /// The options of the key, each below `option_count`; empty when the item has no options.
    pub key: Vec<usize>,
}

/// One participant's encounter with one item they were given.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The participant sent an answer (a non-empty one).
    pub answered: bool,
    /// Points obtained, `0 ≤ score ≤ max_score`; 0 when not answered.
    pub score: f64,
    /// Points a fully correct answer earns; positive.
    pub max_score: f64,
    /// The options picked, by bank identity (see [`ItemSpec::option_count`]); empty when not answered or when
    /// the item has no options. Order and repeats do not matter.
    pub chosen: Vec<usize>,
    /// How long the answer took, when known.
    pub time_ms: Option<u64>,
}

impl Cell {
    /// A given item left unanswered: no score, no choice, no time.
    pub fn unanswered(max_score: f64) -> Self {
        Self {
            answered: false,
            score: 0.0,
            max_score,
            chosen: Vec::new(),
            time_ms: None,
        }
    }
}

/// One participant's row: for each item of the matrix, `None` when the item was not on their paper.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub participant: i64,
    pub cells: Vec<Option<Cell>>,
}

/// Participants × items. Rows are participants, columns are the items in [`ResponseMatrix::items`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseMatrix {
    items: Vec<ItemSpec>,
    rows: Vec<Row>,
}

/// Why a matrix was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MatrixError {
    #[error("participant {participant} has {got} cells for {expected} items")]
    RowLength {
        participant: i64,
        got: usize,
        expected: usize,
    },
    #[error("item {item}: key option {option} is not one of its {option_count} options")]
    BadKey {
        item: i64,
        option: usize,
        option_count: usize,
    },
    #[error("participant {participant}, item {item}: the maximum score must be a positive number")]
    BadMax { participant: i64, item: i64 },
    #[error("participant {participant}, item {item}: the score must lie between 0 and the maximum")]
    BadScore { participant: i64, item: i64 },
    #[error("participant {participant}, item {item}: an unanswered item has no score and no chosen option")]
    UnansweredWithContent { participant: i64, item: i64 },
    #[error(
        "participant {participant}, item {item}: option {option} is not one of its {option_count} options"
    )]
    BadOption {
        participant: i64,
        item: i64,
        option: usize,
        option_count: usize,
    },
}

impl ResponseMatrix {
    /// Check every cell against its item; choices are sorted and deduplicated.
    pub fn new(items: Vec<ItemSpec>, mut rows: Vec<Row>) -> Result<Self, MatrixError> {
        let mut items = items;
        for item in &mut items {
            item.key.sort_unstable();
            item.key.dedup();
            if let Some(&option) = item.key.iter().find(|&&o| o >= item.option_count) {
                return Err(MatrixError::BadKey {
                    item: item.id,
                    option,
                    option_count: item.option_count,
                });
            }
        }
        for row in &mut rows {
            if row.cells.len() != items.len() {
                return Err(MatrixError::RowLength {
                    participant: row.participant,
                    got: row.cells.len(),
                    expected: items.len(),
                });
            }
            for (item, cell) in items.iter().zip(row.cells.iter_mut()) {
                let Some(cell) = cell else { continue };
                let at = (row.participant, item.id);
                if !(cell.max_score.is_finite() && cell.max_score > 0.0) {
                    return Err(MatrixError::BadMax {
                        participant: at.0,
                        item: at.1,
                    });
                }
                if !(cell.score.is_finite() && (0.0..=cell.max_score).contains(&cell.score)) {
                    return Err(MatrixError::BadScore {
                        participant: at.0,
                        item: at.1,
                    });
                }
                if !cell.answered && (cell.score != 0.0 || !cell.chosen.is_empty()) {
                    return Err(MatrixError::UnansweredWithContent {
                        participant: at.0,
                        item: at.1,
                    });
                }
                cell.chosen.sort_unstable();
                cell.chosen.dedup();
                if let Some(&option) = cell.chosen.iter().find(|&&o| o >= item.option_count) {
                    return Err(MatrixError::BadOption {
                        participant: at.0,
                        item: at.1,
                        option,
                        option_count: item.option_count,
                    });
                }
            }
        }
        Ok(Self { items, rows })
    }

    pub fn items(&self) -> &[ItemSpec] {
        &self.items
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Each row's total: the sum of its scores over the items it was given (0 for a row given nothing).
    pub fn totals(&self) -> Vec<f64> {
        self.rows
            .iter()
            .map(|r| r.cells.iter().flatten().map(|c| c.score).sum())
            .collect()
    }
}
