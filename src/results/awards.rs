//! Award tiers (一等奖/二等奖/三等奖 …): what the organizer sets, and who gets which award.
//!
//! Tiers are ordered best first. Going down the ranking (absentees never get an award):
//!
//! - a tier **by count** takes the next `count` places after the tiers above it;
//! - a tier **by minimum score** takes everyone not yet awarded whose score is at least `min_score`;
//! - **ties at a boundary get the better award**: whoever shares the place (the same `rank`, i.e. equal on score
//!   and on every tie-break, docs/scoring.md) of the last participant a tier took is in that tier too. A tier can
//!   therefore hold more than its `count`; the next tier starts after them and still takes its own `count`.
//!
//! Stored per contest as a JSON array (migration 0010); a contest without saved tiers has [`default_tiers`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lang::Lang;

/// At most this many tiers.
pub const MAX_TIERS: usize = 10;
/// An award name has at most this many characters.
pub const MAX_NAME_CHARS: usize = 20;
/// A tier by count takes at most this many places.
pub const MAX_COUNT: u32 = 100_000;
/// A minimum score lies within ± this many points.
pub const MAX_SCORE: f64 = 100_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AwardRule {
    /// The next `count` places.
    Count,
    /// Everyone left with at least `min_score` points.
    MinScore,
}

/// One award tier as the organizer sets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardTier {
    /// The award's name as printed (一等奖), 1 to 20 characters.
    #[schema(min_length = 1, max_length = 20)]
    pub name: String,
    pub rule: AwardRule,
    /// `rule: count`: how many places, 1 to 100000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 100000)]
    pub count: Option<u32>,
    /// `rule: min_score`: the lowest score that gets the award, in points (steps of 0.01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -100000, maximum = 100000)]
    pub min_score: Option<f64>,
}

/// A checked tier: its rule with the number it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub name: String,
    pub rule: Rule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Count(u32),
    /// Hundredths of a point.
    MinScore(i64),
}

/// One tier's problem, for the error details: `tier` counts from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierProblem {
    pub tier: usize,
    pub message: String,
}

/// Check tiers as sent by the organizer. Every problem is reported, each with its tier.
pub fn check(tiers: &[AwardTier]) -> Result<Vec<Tier>, Vec<TierProblem>> {
    let mut problems = Vec::new();
    if tiers.is_empty() || tiers.len() > MAX_TIERS {
        problems.push(TierProblem {
            tier: 0,
            message: format!("give 1 to {MAX_TIERS} award tiers, not {}", tiers.len()),
        });
    }
    let mut checked = Vec::with_capacity(tiers.len());
    for (i, tier) in tiers.iter().enumerate() {
        let n = i + 1;
        let mut problem = |message: String| problems.push(TierProblem { tier: n, message });
        let name = tier.name.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            problem(format!(
                "tier {n}: the name must have 1 to {MAX_NAME_CHARS} characters"
            ));
        } else if tiers[..i].iter().any(|t| t.name.trim() == name) {
            problem(format!(
                "tier {n}: the name {name} is already used by a tier above"
            ));
        }
        let rule = match (tier.rule, tier.count, tier.min_score) {
            (AwardRule::Count, Some(count), None) if (1..=MAX_COUNT).contains(&count) => {
                Some(Rule::Count(count))
            }
            (AwardRule::Count, Some(_), None) => {
                problem(format!("tier {n}: count must be between 1 and {MAX_COUNT}"));
                None
            }
            (AwardRule::Count, _, _) => {
                problem(format!(
                    "tier {n}: a tier by count needs `count` and no `min_score`"
                ));
                None
            }
            (AwardRule::MinScore, None, Some(score)) if score.is_finite() && score.abs() <= MAX_SCORE => {
                Some(Rule::MinScore((score * 100.0).round() as i64))
            }
            (AwardRule::MinScore, None, Some(_)) => {
                problem(format!(
                    "tier {n}: min_score must be a number of points between −{MAX_SCORE} and {MAX_SCORE}"
                ));
                None
            }
            (AwardRule::MinScore, _, _) => {
                problem(format!(
                    "tier {n}: a tier by minimum score needs `min_score` and no `count`"
                ));
                None
            }
        };
        if let Some(rule) = rule {
            checked.push(Tier {
                name: name.to_owned(),
                rule,
            });
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

/// The tiers of a contest that has none saved: one first, two second and three third prizes.
pub fn default_tiers(lang: Lang) -> Vec<AwardTier> {
    let names = match lang {
        Lang::Zh => ["一等奖", "二等奖", "三等奖"],
        Lang::En => ["First prize", "Second prize", "Third prize"],
    };
    names
        .iter()
        .zip([1, 2, 3])
        .map(|(name, count)| AwardTier {
            name: (*name).to_owned(),
            rule: AwardRule::Count,
            count: Some(count),
            min_score: None,
        })
        .collect()
}

/// A place in the ranking as the assignment needs it: `rank` is `None` for an absentee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub rank: Option<u32>,
    pub score_centi: i64,
}

/// Which tier each entry gets (`None`: no award), for `entries` in ranking order (ranked entries by rank, as the
/// results list them; absentees anywhere). See the module documentation for the rules.
pub fn assign(tiers: &[Tier], entries: &[Placed]) -> Vec<Option<usize>> {
    let ranked: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].rank.is_some())
        .collect();
    let mut awards = vec![None; entries.len()];
    let mut next = 0;
    for (t, tier) in tiers.iter().enumerate() {
        let start = next;
        match tier.rule {
            Rule::Count(count) => next = (start + count as usize).min(ranked.len()),
            Rule::MinScore(min) => {
                while next < ranked.len() && entries[ranked[next]].score_centi >= min {
                    next += 1;
                }
            }
        }
        if next > start {
            let boundary = entries[ranked[next - 1]].rank;
            while next < ranked.len() && entries[ranked[next]].rank == boundary {
                next += 1;
            }
        }
        for &i in &ranked[start..next] {
            awards[i] = Some(t);
        }
    }
    awards
}

/// The rule as the report prints it: `按名次 3 名`, `80 分及以上`.
pub fn rule_text(rule: Rule, lang: Lang) -> String {
    match (rule, lang) {
        (Rule::Count(n), Lang::Zh) => format!("按名次 {n} 名"),
        (Rule::Count(1), Lang::En) => "1 place by rank".to_owned(),
        (Rule::Count(n), Lang::En) => format!("{n} places by rank"),
        (Rule::MinScore(min), Lang::Zh) => format!("{} 分及以上", super::lang::points(min)),
        (Rule::MinScore(min), Lang::En) => format!("{} points or more", super::lang::points(min)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(name: &str, rule: Rule) -> Tier {
        Tier {
            name: name.into(),
            rule,
        }
    }

    /// Ranked entries from (rank, points); absentees as (0, points).
    fn ranking(places: &[(u32, i64)]) -> Vec<Placed> {
        places
            .iter()
            .map(|&(rank, points)| Placed {
                rank: (rank > 0).then_some(rank),
                score_centi: points * 100,
            })
            .collect()
    }

    #[test]
    fn by_count_tiers_take_consecutive_places() {
        let tiers = [
            tier("一等奖", Rule::Count(1)),
            tier("二等奖", Rule::Count(2)),
            tier("三等奖", Rule::Count(3)),
        ];
        let entries = ranking(&[(1, 90), (2, 80), (3, 70), (4, 60), (5, 50), (6, 40), (7, 30)]);
        assert_eq!(
            assign(&tiers, &entries),
            [Some(0), Some(1), Some(1), Some(2), Some(2), Some(2), None]
        );
    }

    #[test]
    fn a_tie_at_a_count_boundary_gets_the_better_award() {
        let tiers = [tier("一等奖", Rule::Count(1)), tier("二等奖", Rule::Count(2))];
        // Two share first place: both get 一等奖; 二等奖 still takes its two places after them.
        let entries = ranking(&[(1, 90), (1, 90), (3, 80), (4, 70), (5, 60)]);
        assert_eq!(
            assign(&tiers, &entries),
            [Some(0), Some(0), Some(1), Some(1), None]
        );
        // A tie across the last place of 二等奖 takes the whole tie in.
        let entries = ranking(&[(1, 90), (2, 80), (3, 70), (3, 70), (3, 70), (6, 60)]);
        assert_eq!(
            assign(&tiers, &entries),
            [Some(0), Some(1), Some(1), Some(1), Some(1), None]
        );
    }

    #[test]
    fn equal_scores_separated_by_a_tie_break_are_not_a_tie() {
        // Same score, but the answer time decided the places (rank 1 and 2): only the first gets 一等奖.
        let tiers = [tier("一等奖", Rule::Count(1))];
        let entries = ranking(&[(1, 90), (2, 90), (3, 80)]);
        assert_eq!(assign(&tiers, &entries), [Some(0), None, None]);
    }

    #[test]
    fn by_minimum_score() {
        let tiers = [
            tier("一等奖", Rule::MinScore(9000)),
            tier("二等奖", Rule::MinScore(7000)),
            tier("三等奖", Rule::Count(1)),
        ];
        let entries = ranking(&[(1, 95), (2, 90), (3, 85), (4, 70), (5, 69), (6, 60)]);
        assert_eq!(
            assign(&tiers, &entries),
            [Some(0), Some(0), Some(1), Some(1), Some(2), None]
        );
        // Nobody reaches the first threshold: the tier is empty and the next one starts at the top.
        let entries = ranking(&[(1, 80), (2, 75), (3, 60)]);
        assert_eq!(assign(&tiers, &entries), [Some(1), Some(1), Some(2)]);
    }

    #[test]
    fn absentees_get_nothing_and_short_rankings_run_out() {
        let tiers = [tier("一等奖", Rule::Count(2)), tier("二等奖", Rule::Count(5))];
        let entries = ranking(&[(1, 50), (2, 40), (3, 30), (0, 0), (0, 5)]);
        assert_eq!(assign(&tiers, &entries), [Some(0), Some(0), Some(1), None, None]);
        assert!(assign(&tiers, &[]).is_empty());
        // A minimum of 0 does not reach absentees either.
        let zero = [tier("参与奖", Rule::MinScore(0))];
        assert_eq!(
            assign(&zero, &ranking(&[(1, 3), (2, 0), (0, 0)])),
            [Some(0), Some(0), None]
        );
    }

    #[test]
    fn checking_reports_every_problem_with_its_tier() {
        let good = default_tiers(Lang::Zh);
        let checked = check(&good).expect("defaults are valid");
        assert_eq!(checked[2], tier("三等奖", Rule::Count(3)));
        let score = AwardTier {
            name: "  优秀奖 ".into(),
            rule: AwardRule::MinScore,
            count: None,
            min_score: Some(59.995),
        };
        assert_eq!(
            check(&[score]).expect("valid")[0],
            tier("优秀奖", Rule::MinScore(6000))
        );

        let bad = vec![
            AwardTier {
                name: "".into(),
                rule: AwardRule::Count,
                count: Some(0),
                min_score: None,
            },
            AwardTier {
                name: "二等奖".into(),
                rule: AwardRule::MinScore,
                count: Some(3),
                min_score: None,
            },
            AwardTier {
                name: "二等奖".into(),
                rule: AwardRule::MinScore,
                count: None,
                min_score: Some(f64::NAN),
            },
        ];
        let problems = check(&bad).expect_err("invalid");
        let tiers: Vec<usize> = problems.iter().map(|p| p.tier).collect();
        assert_eq!(tiers, [1, 1, 2, 3, 3], "{problems:?}");
        assert!(problems[3].message.contains("already used"));
        assert_eq!(check(&[]).expect_err("none")[0].tier, 0);
        assert_eq!(
            check(&vec![good[0].clone(); MAX_TIERS + 1]).expect_err("too many")[0].tier,
            0
        );
    }

    #[test]
    fn rules_read_as_sentences() {
        assert_eq!(rule_text(Rule::Count(3), Lang::Zh), "按名次 3 名");
        assert_eq!(rule_text(Rule::MinScore(8050), Lang::Zh), "80.5 分及以上");
        assert_eq!(rule_text(Rule::Count(1), Lang::En), "1 place by rank");
        assert_eq!(rule_text(Rule::MinScore(-200), Lang::En), "-2 points or more");
    }
}
