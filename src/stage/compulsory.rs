//! 必答: each team in turn gets its own question, in seat order.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::settings::{CompulsoryMode, CompulsorySettings};
use super::{Reason, RuleError, ScoreChange, TeamId, Verdict, centi, check_teams};

/// A team in its seat (the order of the slice is the seat order) and how many members sit for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SeatedTeam {
    pub team: TeamId,
    /// Members in seat order 0, 1, ...; only used by `individual_by_seat`.
    pub members: u32,
}

/// Who answers question number `question` (0-based) of a compulsory round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CompulsoryTurn {
    pub question: usize,
    pub team: TeamId,
    /// 0 for the first pass over all teams, 1 for the second, ...
    pub cycle: usize,
    /// `individual_by_seat`: the seat (0-based) of the member who answers; None = the team answers together.
    pub member_seat: Option<u32>,
}

/// Question `question` goes to team `(start + question) mod n` in seat order, where `start` is 0, or the cycle
/// number when `rotate_start` is set. In `individual_by_seat` mode the team's member in seat `cycle mod members`
/// answers (each team answers once per cycle, so this walks its members in seat order).
pub fn compulsory_turn(
    settings: &CompulsorySettings,
    seating: &[SeatedTeam],
    question: usize,
) -> Result<CompulsoryTurn, RuleError> {
    let teams: Vec<TeamId> = seating.iter().map(|s| s.team).collect();
    check_teams(&teams)?;
    let n = seating.len();
    let cycle = question / n;
    let start = if settings.rotate_start { cycle % n } else { 0 };
    let seat = seating[(start + question % n) % n];
    let member_seat = match settings.mode {
        CompulsoryMode::TeamCommon => None,
        CompulsoryMode::IndividualBySeat => {
            if seat.members == 0 {
                return Err(RuleError::NoMembers { team: seat.team });
            }
            Some((cycle % seat.members as usize) as u32)
        }
    };
    Ok(CompulsoryTurn {
        question,
        team: seat.team,
        cycle,
        member_seat,
    })
}

/// The turns of a round of `questions` questions.
pub fn compulsory_order(
    settings: &CompulsorySettings,
    seating: &[SeatedTeam],
    questions: usize,
) -> Result<Vec<CompulsoryTurn>, RuleError> {
    (0..questions)
        .map(|q| compulsory_turn(settings, seating, q))
        .collect()
}

/// A right answer earns `points`; a wrong, incomplete or late one costs `wrong_penalty` (0 by default). The
/// change is returned even when it is 0, so the judgement is on the record.
pub fn score_compulsory(settings: &CompulsorySettings, team: TeamId, verdict: Verdict) -> ScoreChange {
    match verdict {
        Verdict::Right => ScoreChange {
            team,
            delta_centi: centi(settings.points),
            reason: Reason::CompulsoryRight,
        },
        Verdict::Wrong | Verdict::Incomplete | Verdict::Late => ScoreChange {
            team,
            delta_centi: -centi(settings.wrong_penalty),
            reason: Reason::CompulsoryWrong,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seating(members: &[(TeamId, u32)]) -> Vec<SeatedTeam> {
        members
            .iter()
            .map(|&(team, members)| SeatedTeam { team, members })
            .collect()
    }

    fn teams_of(turns: &[CompulsoryTurn]) -> Vec<TeamId> {
        turns.iter().map(|t| t.team).collect()
    }

    #[test]
    fn teams_answer_in_seat_order_round_after_round() {
        let seats = seating(&[(30, 1), (10, 1), (20, 1)]);
        let turns = compulsory_order(&CompulsorySettings::default(), &seats, 7).unwrap();
        assert_eq!(teams_of(&turns), [30, 10, 20, 30, 10, 20, 30]);
        assert_eq!(turns[3].cycle, 1);
        assert_eq!(turns[6].cycle, 2);
        assert!(turns.iter().all(|t| t.member_seat.is_none()));
    }

    #[test]
    fn rotate_start_moves_the_first_seat_each_cycle() {
        let settings = CompulsorySettings {
            rotate_start: true,
            ..CompulsorySettings::default()
        };
        let seats = seating(&[(1, 1), (2, 1), (3, 1)]);
        let turns = compulsory_order(&settings, &seats, 9).unwrap();
        assert_eq!(teams_of(&turns), [1, 2, 3, 2, 3, 1, 3, 1, 2]);
    }

    #[test]
    fn individual_mode_walks_each_teams_members_in_seat_order() {
        let settings = CompulsorySettings {
            mode: CompulsoryMode::IndividualBySeat,
            ..CompulsorySettings::default()
        };
        // Team 2 has only two members: its third question goes back to its first seat.
        let seats = seating(&[(1, 3), (2, 2)]);
        let turns = compulsory_order(&settings, &seats, 6).unwrap();
        let who: Vec<(TeamId, Option<u32>)> = turns.iter().map(|t| (t.team, t.member_seat)).collect();
        assert_eq!(
            who,
            [
                (1, Some(0)),
                (2, Some(0)),
                (1, Some(1)),
                (2, Some(1)),
                (1, Some(2)),
                (2, Some(0))
            ]
        );
        assert_eq!(
            compulsory_turn(&settings, &seating(&[(1, 3), (2, 0)]), 1),
            Err(RuleError::NoMembers { team: 2 })
        );
    }

    #[test]
    fn seating_must_list_teams_once() {
        let settings = CompulsorySettings::default();
        assert_eq!(compulsory_turn(&settings, &[], 0), Err(RuleError::NoTeams));
        assert_eq!(
            compulsory_turn(&settings, &seating(&[(1, 1), (1, 1)]), 0),
            Err(RuleError::DuplicateTeam { team: 1 })
        );
    }

    #[test]
    fn right_earns_points_and_wrong_costs_nothing_by_default() {
        let settings = CompulsorySettings::default();
        assert_eq!(
            score_compulsory(&settings, 4, Verdict::Right),
            ScoreChange {
                team: 4,
                delta_centi: 1000,
                reason: Reason::CompulsoryRight
            }
        );
        for verdict in [Verdict::Wrong, Verdict::Incomplete, Verdict::Late] {
            assert_eq!(
                score_compulsory(&settings, 4, verdict),
                ScoreChange {
                    team: 4,
                    delta_centi: 0,
                    reason: Reason::CompulsoryWrong
                }
            );
        }
        let strict = CompulsorySettings {
            points: 20,
            wrong_penalty: 5,
            ..CompulsorySettings::default()
        };
        assert_eq!(score_compulsory(&strict, 4, Verdict::Right).delta_centi, 2000);
        assert_eq!(score_compulsory(&strict, 4, Verdict::Late).delta_centi, -500);
    }
}
