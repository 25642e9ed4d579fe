//! Team play: which of the members' device answers counts for the team.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::settings::TeamAnswerRule;

/// One member's answer as the server received it (the answer itself stays with the engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberAnswer {
    pub member: i64,
    pub is_captain: bool,
    pub server_ms: i64,
    pub seq: u64,
}

impl MemberAnswer {
    fn order_key(&self) -> (i64, u64) {
        (self.server_ms, self.seq)
    }
}

/// The index in `answers` of the answer that counts for the team: the earliest received (server time, then
/// receive sequence) of all members' answers, or of the captain's answers only. None = no answer counts.
/// Every later answer is ignored: a team cannot correct itself by answering again.
pub fn counting_answer(rule: TeamAnswerRule, answers: &[MemberAnswer]) -> Option<usize> {
    answers
        .iter()
        .enumerate()
        .filter(|(_, a)| match rule {
            TeamAnswerRule::FirstAnswer => true,
            TeamAnswerRule::CaptainOnly => a.is_captain,
        })
        .min_by_key(|(_, a)| a.order_key())
        .map(|(i, _)| i)
}

/// The index of `member`'s earliest answer: in an individual turn only that member's answer counts.
pub fn answer_of_member(member: i64, answers: &[MemberAnswer]) -> Option<usize> {
    answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.member == member)
        .min_by_key(|(_, a)| a.order_key())
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(member: i64, is_captain: bool, server_ms: i64, seq: u64) -> MemberAnswer {
        MemberAnswer {
            member,
            is_captain,
            server_ms,
            seq,
        }
    }

    #[test]
    fn the_first_received_answer_counts_by_server_time_then_sequence() {
        let answers = [
            answer(1, true, 2000, 9),
            answer(2, false, 1500, 12),
            answer(3, false, 1500, 11),
        ];
        assert_eq!(counting_answer(TeamAnswerRule::FirstAnswer, &answers), Some(2));
        assert_eq!(counting_answer(TeamAnswerRule::FirstAnswer, &[]), None);
    }

    #[test]
    fn captain_only_ignores_everyone_else() {
        let answers = [
            answer(2, false, 100, 1),
            answer(1, true, 300, 3),
            answer(1, true, 200, 2),
        ];
        assert_eq!(counting_answer(TeamAnswerRule::CaptainOnly, &answers), Some(2));
        let no_captain = [answer(2, false, 100, 1)];
        assert_eq!(counting_answer(TeamAnswerRule::CaptainOnly, &no_captain), None);
    }

    #[test]
    fn an_individual_turn_takes_that_members_first_answer() {
        let answers = [
            answer(7, true, 50, 1),
            answer(8, false, 90, 3),
            answer(8, false, 60, 2),
        ];
        assert_eq!(answer_of_member(8, &answers), Some(2));
        assert_eq!(answer_of_member(9, &answers), None);
    }
}
