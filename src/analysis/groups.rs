//! The upper and lower 27% groups by total score, with a fractional rule for ties at a group's boundary.
//!
//! Of `n` participants, each group holds `g = round(0.27 · n)` places (halves rounded up, computed in integers
//! as `(27 n + 50) div 100`), at least 1 and at most `n div 2`, so the two groups never need the same place;
//! with fewer than two participants there are no groups.
//!
//! The upper group fills its places from the highest total down. A whole score level (everyone with the same
//! total) enters with weight 1 while it fits in the places left; the first level that does not fit shares the
//! places left equally: each of its `m` members enters with weight `left / m`. The lower group is filled the same
//! way from the lowest total up. The weights of a group always add up to `g`, and the result depends neither on
//! the order of the participants nor on anything but their totals. When everyone has the same total, everyone is
//! in both groups with weight `g / n`, and the upper-minus-lower index is 0.

use super::stats::level;

/// The share of participants in each of the upper and lower groups, in percent.
pub const GROUP_PERCENT: usize = 27;

/// Places in each group for `n` participants; `None` below two participants.
pub fn group_size(n: usize) -> Option<usize> {
    if n < 2 {
        return None;
    }
    Some(((GROUP_PERCENT * n + 50) / 100).clamp(1, n / 2))
}

/// Group weights, one per participant in the order the totals were given (0 = not in the group).
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    pub size: usize,
    pub upper: Vec<f64>,
    pub lower: Vec<f64>,
}

impl Groups {
    pub fn of(totals: &[f64]) -> Option<Self> {
        let size = group_size(totals.len())?;
        Some(Self {
            size,
            upper: weights(totals, size, true),
            lower: weights(totals, size, false),
        })
    }
}

fn weights(totals: &[f64], size: usize, from_top: bool) -> Vec<f64> {
    // Participants ordered by level (highest first for the upper group), then walked one level at a time.
    let mut order: Vec<(i64, usize)> = totals.iter().enumerate().map(|(i, &t)| (level(t), i)).collect();
    order.sort_unstable();
    if from_top {
        order.reverse();
    }
    let mut weights = vec![0.0; totals.len()];
    let mut left = size;
    for members in order.chunk_by(|a, b| a.0 == b.0) {
        if left == 0 {
            break;
        }
        let weight = if members.len() <= left {
            1.0
        } else {
            left as f64 / members.len() as f64
        };
        for &(_, i) in members {
            weights[i] = weight;
        }
        left = left.saturating_sub(members.len());
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_sizes_round_27_percent_half_up_within_half() {
        assert_eq!(group_size(0), None);
        assert_eq!(group_size(1), None);
        // 0.54 → 1; 0.81 → 1; 1.08 → 1; 1.62 → 2; 2.7 → 3; 13.5 → 14 (half up); 27.
        assert_eq!(group_size(2), Some(1));
        assert_eq!(group_size(3), Some(1));
        assert_eq!(group_size(4), Some(1));
        assert_eq!(group_size(6), Some(2));
        assert_eq!(group_size(10), Some(3));
        assert_eq!(group_size(50), Some(14));
        assert_eq!(group_size(100), Some(27));
    }

    #[test]
    fn a_tie_at_the_boundary_shares_the_places_left() {
        // Totals 9, 7, 7, 7, 5, 3, 3, 1, 1, 1: n = 10, g = 3.
        // Upper: 9 (weight 1), then three at 7 for 2 places: 2/3 each.
        // Lower: three at 1 fill the 3 places exactly: 1 each; the 3s are out.
        let g = Groups::of(&[7.0, 9.0, 1.0, 7.0, 3.0, 1.0, 5.0, 7.0, 3.0, 1.0]).expect("groups");
        assert_eq!(g.size, 3);
        let third = 2.0 / 3.0;
        assert_eq!(
            g.upper,
            vec![third, 1.0, 0.0, third, 0.0, 0.0, 0.0, third, 0.0, 0.0]
        );
        assert_eq!(g.lower, vec![0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        assert!((g.upper.iter().sum::<f64>() - 3.0).abs() < 1e-12);
    }

    #[test]
    fn everyone_tied_is_in_both_groups_equally() {
        let g = Groups::of(&[2.0, 2.0, 2.0, 2.0]).expect("groups");
        assert_eq!(g.size, 1);
        assert_eq!(g.upper, vec![0.25; 4]);
        assert_eq!(g.lower, vec![0.25; 4]);
        assert_eq!(Groups::of(&[5.0]), None);
    }
}
