//! Scoring: points for one answer, the speed bonus, ranking with explained tie-breaks, and unit standings.
//!
//! Scores are integers in hundredths of a point ("centi"), so totals never tie or differ by float noise.
//! Every function here is pure; `jingsai audit verify` recomputes results with exactly these functions.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bank::{AnswerKey, Question, QuestionType, Response};

/// Hundredths per point.
pub const CENTI: i64 = 100;

fn ten() -> u32 {
    10
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoringRules {
    /// Points of a question that has none of its own.
    #[serde(default = "ten")]
    pub default_points: u32,
    /// Speed bonus weight, 0.0..=0.5. The bonus for a correct answer is
    /// points * speed_bonus * remaining_fraction / questions_in_round, so the whole round's bonus is at most half of
    /// one question's points: a faster player never beats one with more correct answers (equal-points rounds).
    #[serde(default)]
    pub speed_bonus: f64,
    /// Multiple-choice (and multi-blank fill) partial credit: when no wrong option is picked, points * picked_correct /
    /// total_correct (fill: correct blanks / blanks). Off = all-or-nothing.
    #[serde(default)]
    pub partial_credit: bool,
    /// Points subtracted for a wrong answer (not for a missing one, nor for a partially credited one).
    #[serde(default)]
    pub wrong_penalty: u32,
}

impl Default for ScoringRules {
    fn default() -> Self {
        ScoringRules {
            default_points: ten(),
            speed_bonus: 0.0,
            partial_credit: false,
            wrong_penalty: 0,
        }
    }
}

impl ScoringRules {
    /// speed_bonus finite and in [0, 0.5]; default_points in 1..=1000; wrong_penalty <= 1000.
    pub fn validate(&self) -> Result<(), String> {
        if !self.speed_bonus.is_finite() || !(0.0..=0.5).contains(&self.speed_bonus) {
            return Err(format!(
                "speed_bonus must be between 0 and 0.5, got {}",
                self.speed_bonus
            ));
        }
        if !(1..=1000).contains(&self.default_points) {
            return Err(format!(
                "default_points must be between 1 and 1000, got {}",
                self.default_points
            ));
        }
        if self.wrong_penalty > 1000 {
            return Err(format!(
                "wrong_penalty must be at most 1000, got {}",
                self.wrong_penalty
            ));
        }
        Ok(())
    }

    /// The points of `question` under these rules, in centi.
    pub fn points_centi(&self, question: &Question) -> i64 {
        i64::from(question.points.unwrap_or(self.default_points)) * CENTI
    }
}

/// How long a participant took over a question with a time limit.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub elapsed_ms: i64,
    pub limit_ms: i64,
}

/// The result of scoring one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Scored {
    /// Fully correct (a partially credited answer is not).
    pub correct: bool,
    /// Points earned, in centi: negative for a penalized wrong answer.
    pub points_centi: i64,
    /// Speed bonus, in centi (only for correct answers).
    pub bonus_centi: i64,
}

impl Scored {
    pub fn total_centi(&self) -> i64 {
        self.points_centi + self.bonus_centi
    }
}

/// Fill-in normalisation: trim, fold full-width ASCII (U+FF01..U+FF5E) to half-width and U+3000 to space, remove all
/// whitespace, lowercase.
pub fn normalize_blank(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            other => other,
        })
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn sorted_set(indices: &[usize]) -> Vec<usize> {
    let mut set = indices.to_vec();
    set.sort_unstable();
    set.dedup();
    set
}

fn blank_matches(alternatives: &[String], answer: &str) -> bool {
    let answer = normalize_blank(answer);
    !answer.is_empty() && alternatives.iter().any(|alt| normalize_blank(alt) == answer)
}

/// Fully correct: the same set of options as the key (order and repeats ignored), or every blank matching one
/// of its alternatives after [`normalize_blank`]. An empty answer is never correct; a response of the other
/// shape than the key is wrong.
pub fn is_correct(key: &AnswerKey, response: &Response) -> bool {
    match (key, response) {
        (AnswerKey::Choice(key), Response::Choice(picked)) => {
            !picked.is_empty() && sorted_set(key) == sorted_set(picked)
        }
        (AnswerKey::Blanks(blanks), Response::Blanks(answers)) => {
            !blanks.is_empty()
                && blanks.len() == answers.len()
                && blanks
                    .iter()
                    .zip(answers)
                    .all(|(alternatives, answer)| blank_matches(alternatives, answer))
        }
        _ => false,
    }
}

/// Nothing picked or typed: scores 0 and draws no penalty.
fn is_missing(response: &Response) -> bool {
    match response {
        Response::Choice(picked) => picked.is_empty(),
        Response::Blanks(answers) => answers.iter().all(|a| normalize_blank(a).is_empty()),
    }
}

/// A response that fits the question: choice indices within the options for choice types, one entry per blank
/// for fill, and a key of the matching shape.
fn fits(question: &Question, response: &Response) -> bool {
    match (question.qtype.is_choice(), &question.key, response) {
        (true, AnswerKey::Choice(_), Response::Choice(picked)) => {
            picked.iter().all(|&i| i < question.options.len())
        }
        (false, AnswerKey::Blanks(blanks), Response::Blanks(answers)) => blanks.len() == answers.len(),
        _ => false,
    }
}

/// Credit as a fraction (numerator, denominator) for an answer that is not fully correct, when partial credit
/// applies: multiple choice with no wrong pick (picked correct / total correct), multi-blank fill (correct
/// blanks / blanks). None = no partial credit (the answer is simply wrong).
fn partial_fraction(question: &Question, response: &Response) -> Option<(i64, i64)> {
    let (numerator, denominator) = match (question.qtype, &question.key, response) {
        (QuestionType::Multiple, AnswerKey::Choice(key), Response::Choice(picked)) => {
            let key = sorted_set(key);
            let picked = sorted_set(picked);
            if picked.iter().any(|p| !key.contains(p)) {
                return None;
            }
            (picked.len(), key.len())
        }
        (QuestionType::Fill, AnswerKey::Blanks(blanks), Response::Blanks(answers)) if blanks.len() > 1 => {
            let right = blanks
                .iter()
                .zip(answers)
                .filter(|(alternatives, answer)| blank_matches(alternatives, answer))
                .count();
            (right, blanks.len())
        }
        _ => return None,
    };
    (numerator > 0 && numerator < denominator).then_some((numerator as i64, denominator as i64))
}

/// The speed bonus of a correct answer worth `points_centi`, floored. No limit (limit <= 0) means no bonus.
fn speed_bonus_centi(
    points_centi: i64,
    timing: Timing,
    questions_in_round: usize,
    rules: &ScoringRules,
) -> i64 {
    let weight = if rules.speed_bonus.is_finite() {
        rules.speed_bonus.clamp(0.0, 0.5)
    } else {
        0.0
    };
    if timing.limit_ms <= 0 || weight == 0.0 || points_centi <= 0 {
        return 0;
    }
    let n = questions_in_round.max(1) as i64;
    let remaining_ms = (timing.limit_ms.saturating_sub(timing.elapsed_ms)).clamp(0, timing.limit_ms);
    let bonus =
        (points_centi as f64 * weight * remaining_ms as f64 / (timing.limit_ms as f64 * n as f64)).floor();
    // Guard against float rounding: never more than half a question's points spread over the round.
    (bonus as i64).clamp(0, points_centi / (2 * n))
}

/// Score one response. `timing` None (e.g. exam rounds) => no speed bonus. Bonus only for fully correct answers;
/// remaining_fraction = clamp((limit - elapsed)/limit, 0, 1). Round every centi value down (floor) to an integer.
/// A response of the wrong shape (Blanks for a choice question, index out of range) is simply wrong.
///
/// An empty response (nothing picked, every blank blank) is missing: 0 points and no penalty.
/// `questions_in_round` 0 is treated as 1.
pub fn score_response(
    question: &Question,
    response: &Response,
    timing: Option<Timing>,
    questions_in_round: usize,
    rules: &ScoringRules,
) -> Scored {
    let missing = Scored {
        correct: false,
        points_centi: 0,
        bonus_centi: 0,
    };
    if is_missing(response) {
        return missing;
    }
    let wrong = Scored {
        correct: false,
        points_centi: -(i64::from(rules.wrong_penalty) * CENTI),
        bonus_centi: 0,
    };
    if !fits(question, response) {
        return wrong;
    }
    let points = rules.points_centi(question);
    if is_correct(&question.key, response) {
        let bonus_centi = timing.map_or(0, |t| speed_bonus_centi(points, t, questions_in_round, rules));
        return Scored {
            correct: true,
            points_centi: points,
            bonus_centi,
        };
    }
    if rules.partial_credit
        && let Some((numerator, denominator)) = partial_fraction(question, response)
    {
        return Scored {
            correct: false,
            // Non-negative operands: integer division is the floor.
            points_centi: points * numerator / denominator,
            bonus_centi: 0,
        };
    }
    wrong
}

/// One participant's totals, the input of ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Standing {
    pub participant_id: i64,
    pub score_centi: i64,
    pub correct: u32,
    pub answer_time_ms: i64,
    pub finished_at_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    Score,
    CorrectCount,
    AnswerTime,
    FinishTime,
    Tied,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Ranked {
    pub standing: Standing,
    pub rank: u32,
    /// what separated this place from the one above (first place: Score)
    pub decided_by: TieBreak,
}

/// Compares two standings by the ranking criteria alone; the first criterion that differs is returned with
/// the ordering (Less = `a` ranks better).
fn compare(a: &Standing, b: &Standing) -> (Ordering, TieBreak) {
    let finish = |s: &Standing| (s.finished_at_ms.is_none(), s.finished_at_ms);
    let steps = [
        (b.score_centi.cmp(&a.score_centi), TieBreak::Score),
        (b.correct.cmp(&a.correct), TieBreak::CorrectCount),
        (a.answer_time_ms.cmp(&b.answer_time_ms), TieBreak::AnswerTime),
        (finish(a).cmp(&finish(b)), TieBreak::FinishTime),
    ];
    steps
        .into_iter()
        .find(|(ordering, _)| ordering.is_ne())
        .unwrap_or((Ordering::Equal, TieBreak::Tied))
}

/// Order: score desc, correct desc, answer_time asc, finished_at asc (None = never finished, last), then
/// participant_id asc only for a stable listing order (not a tie-break: fully equal entries share a rank,
/// standard competition ranking 1,2,2,4, decided_by = Tied).
pub fn rank(mut standings: Vec<Standing>) -> Vec<Ranked> {
    standings.sort_by(|a, b| compare(a, b).0.then(a.participant_id.cmp(&b.participant_id)));
    let mut ranked: Vec<Ranked> = Vec::with_capacity(standings.len());
    for (position, standing) in standings.into_iter().enumerate() {
        let place = u32::try_from(position + 1).unwrap_or(u32::MAX);
        let (rank, decided_by) = match ranked.last() {
            None => (1, TieBreak::Score),
            Some(above) => match compare(&above.standing, &standing) {
                (Ordering::Equal, _) => (above.rank, TieBreak::Tied),
                (_, criterion) => (place, criterion),
            },
        };
        ranked.push(Ranked {
            standing,
            rank,
            decided_by,
        });
    }
    ranked
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitScoring {
    Sum,
    Mean,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UnitStanding {
    pub unit: String,
    /// Everyone of the unit on the roster, absentees included: the divisor of the mean.
    pub members: u32,
    /// Members who joined the contest.
    pub joined: u32,
    pub score_centi: i64,
    pub rank: u32,
}

/// One roster member as the unit standings count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitMember<'a> {
    pub unit: &'a str,
    /// The member's total; for an absentee (never joined) only what the organizer adjusted, normally 0.
    pub score_centi: i64,
    /// Joined the contest at least once.
    pub joined: bool,
}

/// `sum / count` rounded half away from zero (count > 0).
fn mean_half_away(sum: i128, count: i128) -> i128 {
    let magnitude = (2 * sum.abs() + count) / (2 * count);
    if sum < 0 { -magnitude } else { magnitude }
}

/// members: (unit, member score), every member counted as joined. See [`unit_standings_of`].
pub fn unit_standings(members: &[(String, i64)], mode: UnitScoring) -> Vec<UnitStanding> {
    let members: Vec<UnitMember<'_>> = members
        .iter()
        .map(|(unit, score)| UnitMember {
            unit,
            score_centi: *score,
            joined: true,
        })
        .collect();
    unit_standings_of(&members, mode)
}

/// Unit standings over every roster member. Absentees (members who never joined) count under both rules with
/// their score, which is 0 unless the organizer adjusted it: Sum adds every member's score (an absentee adds
/// nothing); Mean = sum / all members, absentees included, rounded half away from zero to an integer centi (so
/// a unit cannot raise its mean by keeping members away). Units ranked by score desc (equal scores share a
/// rank), listed by score desc then unit name asc.
pub fn unit_standings_of(members: &[UnitMember<'_>], mode: UnitScoring) -> Vec<UnitStanding> {
    // unit -> (members, joined, sum)
    let mut units: BTreeMap<&str, (u32, u32, i128)> = BTreeMap::new();
    for m in members {
        let entry = units.entry(m.unit).or_insert((0, 0, 0));
        entry.0 = entry.0.saturating_add(1);
        if m.joined {
            entry.1 = entry.1.saturating_add(1);
        }
        entry.2 += i128::from(m.score_centi);
    }
    let mut standings: Vec<UnitStanding> = units
        .into_iter()
        .map(|(unit, (count, joined, sum))| {
            let score = match mode {
                UnitScoring::Sum => sum,
                UnitScoring::Mean => mean_half_away(sum, i128::from(count)),
            };
            UnitStanding {
                unit: unit.to_owned(),
                members: count,
                joined,
                score_centi: i64::try_from(score).unwrap_or(if score < 0 { i64::MIN } else { i64::MAX }),
                rank: 0,
            }
        })
        .collect();
    standings.sort_by(|a, b| {
        b.score_centi
            .cmp(&a.score_centi)
            .then_with(|| a.unit.cmp(&b.unit))
    });
    for i in 0..standings.len() {
        standings[i].rank = match i {
            0 => 1,
            _ if standings[i - 1].score_centi == standings[i].score_centi => standings[i - 1].rank,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
    }
    standings
}

#[cfg(test)]
mod absentee_tests {
    use super::*;

    fn member(unit: &str, score_centi: i64, joined: bool) -> UnitMember<'_> {
        UnitMember {
            unit,
            score_centi,
            joined,
        }
    }

    /// (unit, members, joined, score, rank)
    fn rows(list: &[UnitStanding]) -> Vec<(&str, u32, u32, i64, u32)> {
        list.iter()
            .map(|u| (u.unit.as_str(), u.members, u.joined, u.score_centi, u.rank))
            .collect()
    }

    #[test]
    fn absentees_count_as_members_with_their_adjusted_score() {
        // 刑侦: two joined (9.00, 7.00) and two absentees; 治安: three joined (6.00 each), nobody away;
        // 交警: one joined (15.00) and one absentee the organizer credited 1.00.
        let m = [
            member("刑侦大队", 900, true),
            member("刑侦大队", 0, false),
            member("治安大队", 600, true),
            member("刑侦大队", 700, true),
            member("治安大队", 600, true),
            member("交警大队", 1500, true),
            member("刑侦大队", 0, false),
            member("治安大队", 600, true),
            member("交警大队", 100, false),
        ];
        // Sum: absentees add only their adjustment.
        assert_eq!(
            rows(&unit_standings_of(&m, UnitScoring::Sum)),
            vec![
                ("治安大队", 3, 3, 1800, 1),
                ("交警大队", 2, 1, 1600, 2),
                ("刑侦大队", 4, 2, 1600, 2),
            ]
        );
        // Mean: over every member, absentees included: 刑侦 1600 / 4 = 400 (not 800 over the two who came),
        // 交警 1600 / 2 = 800, 治安 1800 / 3 = 600.
        assert_eq!(
            rows(&unit_standings_of(&m, UnitScoring::Mean)),
            vec![
                ("交警大队", 2, 1, 800, 1),
                ("治安大队", 3, 3, 600, 2),
                ("刑侦大队", 4, 2, 400, 3),
            ]
        );
        // A unit nobody of which joined is still listed, with 0.
        let away = [
            member("a", 500, true),
            member("b", 0, false),
            member("b", 0, false),
        ];
        assert_eq!(
            rows(&unit_standings_of(&away, UnitScoring::Mean)),
            vec![("a", 1, 1, 500, 1), ("b", 2, 0, 0, 2)]
        );
    }
}

#[cfg(test)]
#[path = "scoring_tests.rs"]
mod tests;
