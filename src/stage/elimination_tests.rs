use super::*;
use crate::stage::{Tiebreak, TiebreakEvent};

fn contenders(scores: &[(TeamId, i64, i64)]) -> Vec<Contender> {
    scores
        .iter()
        .map(|&(team, score_centi, previous_centi)| Contender {
            team,
            score_centi,
            previous_centi,
        })
        .collect()
}

fn settings(advance: u32, tie_rule: CutTieRule) -> EliminationSettings {
    EliminationSettings { advance, tie_rule }
}

/// Five teams; 2, 3 and 4 tied at 40 across a cut after place 2.
fn tied_field() -> Vec<Contender> {
    contenders(&[
        (5, 2000, 0),
        (3, 4000, 30),
        (1, 5000, 0),
        (2, 4000, 10),
        (4, 4000, 20),
    ])
}

#[test]
fn the_top_n_advance_when_nobody_is_tied_at_the_cut() {
    let field = contenders(&[(1, 2000, 0), (2, 5000, 0), (3, 3000, 0), (4, 4000, 0)]);
    let cut = eliminate(&settings(2, CutTieRule::TiebreakRound), &field, &Draw::new(0)).unwrap();
    assert_eq!(cut.advanced, [2, 4]);
    assert_eq!(cut.eliminated, [3, 1]);
    assert!(cut.tied_at_cut.is_empty());
    assert_eq!(cut.decided_by, CutDecision::Score);
}

#[test]
fn a_tie_that_fits_above_the_cut_is_no_problem() {
    let field = contenders(&[(1, 5000, 0), (2, 4000, 0), (3, 4000, 0), (4, 2000, 0)]);
    let cut = eliminate(&settings(3, CutTieRule::TiebreakRound), &field, &Draw::new(0)).unwrap();
    assert_eq!(cut.advanced, [1, 2, 3]);
    assert_eq!(cut.eliminated, [4]);
    assert_eq!(cut.decided_by, CutDecision::Score);
    // A tie entirely below the cut is no problem either.
    let field = contenders(&[(1, 5000, 0), (2, 4000, 0), (3, 2000, 0), (4, 2000, 0)]);
    let cut = eliminate(&settings(2, CutTieRule::TiebreakRound), &field, &Draw::new(0)).unwrap();
    assert_eq!((cut.advanced, cut.eliminated), (vec![1, 2], vec![3, 4]));
}

#[test]
fn everyone_advances_when_there_are_no_more_than_n() {
    let field = contenders(&[(1, 0, 0), (2, 0, 0)]);
    let cut = eliminate(&settings(2, CutTieRule::Draw), &field, &Draw::new(0)).unwrap();
    assert_eq!(cut.advanced, [1, 2]);
    assert!(cut.eliminated.is_empty());
    assert_eq!(cut.decided_by, CutDecision::Score);
}

#[test]
fn tiebreak_round_leaves_the_tied_teams_for_a_tiebreak_and_settles_after_it() {
    let cut = eliminate(
        &settings(2, CutTieRule::TiebreakRound),
        &tied_field(),
        &Draw::new(0),
    )
    .unwrap();
    assert_eq!(cut.advanced, [1]);
    assert_eq!(cut.tied_at_cut, [2, 3, 4]);
    assert_eq!((cut.open_places, cut.first_tied_place), (1, 2));
    assert_eq!(cut.eliminated, [5]);
    assert_eq!(cut.decided_by, CutDecision::TiebreakPending);

    // The 加赛 for place 2: team 4 answers right first.
    let tiebreak = Tiebreak::new(
        cut.tied_at_cut.clone(),
        cut.first_tied_place,
        vec![cut.advance],
        vec![],
    )
    .unwrap();
    let (tiebreak, _) = tiebreak
        .step(&TiebreakEvent::Question {
            question: "q-extra-1".to_owned(),
        })
        .unwrap();
    let (tiebreak, _) = tiebreak.step(&TiebreakEvent::Right { team: 4 }).unwrap();
    let result = tiebreak
        .result()
        .expect("one right answer decides a single open place");
    let settled = cut.settle(result).unwrap();
    assert_eq!(settled.advanced, [1, 4]);
    assert_eq!(settled.eliminated, [2, 3, 5]);
    assert!(settled.tied_at_cut.is_empty());
    assert_eq!(settled.decided_by, CutDecision::TiebreakRound);
    assert_eq!(settled.settle(result), Err(RuleError::NoTieAtCut));
}

#[test]
fn settle_needs_the_result_for_exactly_the_tied_teams() {
    let cut = eliminate(
        &settings(2, CutTieRule::TiebreakRound),
        &tied_field(),
        &Draw::new(0),
    )
    .unwrap();
    let other = Tiebreak::new(vec![2, 3], 2, vec![2], vec![]).unwrap();
    let (other, _) = other.step(&TiebreakEvent::Draw { seed: 1 }).unwrap();
    assert_eq!(
        cut.settle(other.result().unwrap()),
        Err(RuleError::TiebreakMismatch)
    );
}

#[test]
fn keep_all_tied_lets_more_than_n_advance() {
    let cut = eliminate(
        &settings(2, CutTieRule::KeepAllTied),
        &tied_field(),
        &Draw::new(0),
    )
    .unwrap();
    assert_eq!(cut.advanced, [1, 2, 3, 4]);
    assert_eq!(cut.eliminated, [5]);
    assert_eq!(cut.decided_by, CutDecision::KeepAllTied);
}

#[test]
fn previous_round_score_decides_then_the_draw() {
    // Two places among 2 (prev 10), 3 (prev 30), 4 (prev 20): 3 and 4 go on.
    let cut = eliminate(
        &settings(3, CutTieRule::PreviousRoundScore),
        &tied_field(),
        &Draw::new(0),
    )
    .unwrap();
    assert_eq!(cut.advanced, [1, 3, 4]);
    assert_eq!(cut.eliminated, [2, 5]);
    assert_eq!(cut.decided_by, CutDecision::PreviousRoundScore);

    // 2 and 4 equal in the previous round too: the draw picks one of them.
    let field = contenders(&[(1, 5000, 0), (2, 4000, 10), (3, 4000, 30), (4, 4000, 10)]);
    for seed in 0..8 {
        let draw = Draw::new(seed);
        let cut = eliminate(&settings(3, CutTieRule::PreviousRoundScore), &field, &draw).unwrap();
        let winner = if draw.number(2) < draw.number(4) { 2 } else { 4 };
        assert_eq!(cut.advanced, [1, 3, winner], "seed {seed}");
        assert_eq!(cut.decided_by, CutDecision::Draw);
        assert_eq!(cut.eliminated.len(), 1);
    }
}

#[test]
fn draw_decides_directly() {
    let draw = Draw::new(99);
    let cut = eliminate(&settings(2, CutTieRule::Draw), &tied_field(), &draw).unwrap();
    let first_drawn = draw.order(&[2, 3, 4])[0];
    assert_eq!(cut.advanced, [1, first_drawn]);
    assert_eq!(cut.eliminated.len(), 3);
    assert!(!cut.eliminated.contains(&first_drawn));
    assert_eq!(cut.eliminated.last(), Some(&5));
    assert_eq!(cut.decided_by, CutDecision::Draw);
}

#[test]
fn bad_input_is_refused() {
    let field = contenders(&[(1, 0, 0), (1, 5, 0)]);
    assert_eq!(
        eliminate(&settings(1, CutTieRule::Draw), &field, &Draw::new(0)),
        Err(RuleError::DuplicateTeam { team: 1 })
    );
    assert_eq!(
        eliminate(&settings(0, CutTieRule::Draw), &tied_field(), &Draw::new(0)),
        Err(RuleError::InvalidSettings {
            message: "advance must be between 1 and 1000, got 0".to_owned()
        })
    );
}
