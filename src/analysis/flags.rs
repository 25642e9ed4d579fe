//! What an item's statistics say about it: the flags the console shows and the bank keeps.

use serde::{Deserialize, Serialize};

use super::item::ItemStats;

/// Facility at or below this (5%): nearly nobody scores on the item.
pub const VERY_HARD_AT_MOST: f64 = 0.05;
/// Facility at or above this (95%): nearly everybody scores on the item.
pub const VERY_EASY_AT_LEAST: f64 = 0.95;
/// A discrimination index below this (but not negative) is low.
pub const LOW_DISCRIMINATION_BELOW: f64 = 0.2;
/// Comparisons with a threshold forgive this much float noise: a facility of exactly 1/20 is very hard.
const SLACK: f64 = 1e-9;

/// One reason to look at an item again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flag {
    /// Facility ≤ 5%.
    VeryHard,
    /// Facility ≥ 95%.
    VeryEasy,
    /// Discrimination index < 0: those who did worse on the rest of the test did better on this item.
    NegativeDiscrimination,
    /// 0 ≤ discrimination index < 0.2.
    LowDiscrimination,
    /// A wrong option was chosen by a larger share of the upper group than a key option was.
    DistractorBeatsKey { option: usize },
    /// Given to participants, answered by none of them.
    NoAnswers,
}

/// The flags of an item, in the order of the variants above (each distractor once, by option).
pub fn flags_of(item: &ItemStats) -> Vec<Flag> {
    let mut flags = Vec::new();
    if let Some(facility) = item.facility {
        if facility <= VERY_HARD_AT_MOST + SLACK {
            flags.push(Flag::VeryHard);
        }
        if facility >= VERY_EASY_AT_LEAST - SLACK {
            flags.push(Flag::VeryEasy);
        }
    }
    match item.discrimination {
        Some(d) if d < 0.0 => flags.push(Flag::NegativeDiscrimination),
        Some(d) if d < LOW_DISCRIMINATION_BELOW => flags.push(Flag::LowDiscrimination),
        _ => {}
    }
    let key_upper = item
        .options
        .iter()
        .filter(|o| o.is_key)
        .filter_map(|o| o.chosen.upper)
        .reduce(f64::min);
    if let Some(key_upper) = key_upper {
        for o in item.options.iter().filter(|o| !o.is_key) {
            if o.chosen.upper.is_some_and(|u| u > key_upper + SLACK) {
                flags.push(Flag::DistractorBeatsKey { option: o.option });
            }
        }
    }
    if item.n > 0 && item.answered == 0 {
        flags.push(Flag::NoAnswers);
    }
    flags
}
