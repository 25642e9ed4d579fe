//! 加赛: finding the ties that matter, and breaking them question by question.

use super::*;

fn question(id: &str) -> TiebreakEvent {
    TiebreakEvent::Question {
        question: id.to_owned(),
    }
}

fn run(mut t: Tiebreak, events: &[TiebreakEvent]) -> (Tiebreak, Vec<TiebreakOutcome>) {
    let mut all = Vec::new();
    for event in events {
        let (next, out) = t.step(event).unwrap_or_else(|e| panic!("{event:?} refused: {e}"));
        t = next;
        all.extend(out);
    }
    (t, all)
}

fn places(result: &TiebreakResult) -> Vec<(TeamId, u32, bool)> {
    result
        .placings
        .iter()
        .map(|p| (p.team, p.place, p.shared))
        .collect()
}

#[test]
fn only_ties_across_a_cut_matter() {
    let standings = rank_totals(&[(1, 900), (2, 800), (3, 800), (4, 500), (5, 500), (6, 100)]);
    // Podium: 2 and 3 share 2nd-3rd, which must be told apart; 4 and 5 (4th-5th) do not matter.
    let podium = ties_that_matter(&standings, &podium_cuts(3));
    assert_eq!(
        podium,
        [TiedGroup {
            teams: vec![2, 3],
            first_place: 2,
            last_place: 3
        }]
    );
    // Advancing top 4: the 4th-5th tie matters, the 2nd-3rd one does not.
    let cut = ties_that_matter(&standings, &[4]);
    assert_eq!(cut.len(), 1);
    assert_eq!((cut[0].teams.clone(), cut[0].first_place), (vec![4, 5], 4));
    // Both at once.
    assert_eq!(ties_that_matter(&standings, &[1, 2, 3, 4]).len(), 2);
    assert!(ties_that_matter(&standings, &[]).is_empty());
    assert_eq!(podium_cuts(0), Vec::<u32>::new());
}

#[test]
fn a_podium_tie_of_three_repeats_until_every_place_is_decided() {
    let t = Tiebreak::new(vec![1, 2, 3], 1, podium_cuts(3), vec!["used-in-final".to_owned()]).unwrap();
    assert_eq!(
        t.step(&question("used-in-final")),
        Err(RuleError::QuestionAlreadyUsed {
            question: "used-in-final".to_owned()
        })
    );
    // Question 1: nobody answers.
    let (t, out) = run(t, &[question("t1"), TiebreakEvent::Void]);
    assert_eq!(
        out,
        [
            TiebreakOutcome::QuestionStarted {
                question: "t1".to_owned(),
                number: 1
            },
            TiebreakOutcome::NeedQuestion
        ]
    );
    assert_eq!(t.remaining(), [1, 2, 3]);
    // A question is never asked twice.
    assert!(matches!(
        t.step(&question("t1")),
        Err(RuleError::QuestionAlreadyUsed { .. })
    ));
    // Question 2: team 2 is right and takes 1st; 1 and 3 still tie for 2nd-3rd.
    let (t, out) = run(t, &[question("t2"), TiebreakEvent::Right { team: 2 }]);
    assert_eq!(
        out[1..],
        [
            TiebreakOutcome::Placed { team: 2, place: 1 },
            TiebreakOutcome::NeedQuestion
        ]
    );
    assert_eq!(t.remaining(), [1, 3]);
    assert!(t.result().is_none());
    // Question 3: team 3 is wrong and takes 3rd, which leaves 2nd to team 1.
    let (t, out) = run(t, &[question("t3"), TiebreakEvent::Wrong { team: 3 }]);
    assert_eq!(out[1], TiebreakOutcome::Placed { team: 3, place: 3 });
    assert_eq!(out[2], TiebreakOutcome::Placed { team: 1, place: 2 });
    let result = t.result().unwrap();
    assert_eq!(places(result), [(2, 1, false), (1, 2, false), (3, 3, false)]);
    assert_eq!(result.questions, ["t1", "t2", "t3"]);
    assert_eq!(result.draw_seed, None);
    assert!(matches!(out.last(), Some(TiebreakOutcome::Finished { .. })));
    assert_eq!(t.step(&question("t4")), Err(RuleError::TiebreakFinished));
}

#[test]
fn wrong_answers_take_the_lowest_places_and_the_question_goes_on() {
    let t = Tiebreak::new(vec![1, 2, 3, 4], 1, podium_cuts(3), vec![]).unwrap();
    let (t, out) = run(
        t,
        &[
            question("q"),
            TiebreakEvent::Wrong { team: 1 },
            TiebreakEvent::Wrong { team: 2 },
        ],
    );
    assert_eq!(
        out[1..],
        [
            TiebreakOutcome::Placed { team: 1, place: 4 },
            TiebreakOutcome::Placed { team: 2, place: 3 }
        ]
    );
    assert_eq!(t.current_question(), Some("q"));
    assert_eq!(
        t.step(&TiebreakEvent::Right { team: 1 }),
        Err(RuleError::NotInTiebreak { team: 1 })
    );
    let (t, _) = run(t, &[TiebreakEvent::Right { team: 4 }]);
    assert_eq!(
        places(t.result().unwrap()),
        [(4, 1, false), (3, 2, false), (2, 3, false), (1, 4, false)]
    );
}

#[test]
fn at_an_advancement_cut_only_the_cut_is_decided() {
    // Teams 7, 8, 9 tie for places 3-5; the top 4 advance: one of them must go.
    let t = Tiebreak::new(vec![7, 8, 9], 3, vec![4], vec![]).unwrap();
    let (t, out) = run(t, &[question("q"), TiebreakEvent::Wrong { team: 8 }]);
    let result = t.result().expect("one team out decides the cut");
    assert_eq!(places(result), [(7, 3, true), (9, 3, true), (8, 5, false)]);
    assert_eq!(t.current_question(), None);
    assert!(out.contains(&TiebreakOutcome::Placed { team: 9, place: 3 }));

    // A right answer alone does not decide it: the other two still straddle the cut.
    let t = Tiebreak::new(vec![7, 8, 9], 3, vec![4], vec![]).unwrap();
    let (t, out) = run(t, &[question("q"), TiebreakEvent::Right { team: 9 }]);
    assert_eq!(out.last(), Some(&TiebreakOutcome::NeedQuestion));
    let (t, _) = run(t, &[question("r"), TiebreakEvent::Right { team: 7 }]);
    assert_eq!(
        places(t.result().unwrap()),
        [(9, 3, false), (7, 4, false), (8, 5, false)]
    );
}

/// Plays tie-break questions through the buzzer state machine, as the engine will.
#[test]
fn driven_by_buzzer_questions_two_remain_after_one_winner_among_three() {
    let settings = TiebreakSettings::default();
    let mut tiebreak = Tiebreak::new(vec![1, 2, 3], 1, podium_cuts(3), vec![]).unwrap();
    let mut seq = 0u64;
    let mut play = |tiebreak: Tiebreak, id: &str, script: &[BuzzerEvent]| -> Tiebreak {
        let (mut t, _) = tiebreak.step(&question(id)).unwrap();
        let mut q = BuzzerQuestion::new(settings.buzzer_settings(), t.remaining().to_vec()).unwrap();
        for event in script {
            let event = match *event {
                BuzzerEvent::Buzz(b) => {
                    seq += 1;
                    BuzzerEvent::Buzz(Buzz { seq, ..b })
                }
                other => other,
            };
            let (next, outcomes) = q.step(&event).unwrap();
            q = next;
            for outcome in &outcomes {
                if let BuzzerOutcome::Score { change } = outcome {
                    assert_eq!(change.delta_centi, 0, "a tie-break changes no score");
                }
                if t.result().is_some() {
                    break;
                }
                if let Some(e) = TiebreakEvent::from_buzzer(outcome) {
                    t = t.step(&e).unwrap().0;
                }
            }
        }
        t
    };
    let buzz = |team: TeamId, server_ms: i64| {
        BuzzerEvent::Buzz(Buzz {
            team,
            server_ms,
            seq: 0,
            client_ms: None,
        })
    };
    // 1: nobody buzzes within the window.
    tiebreak = play(
        tiebreak,
        "a",
        &[BuzzerEvent::Arm, BuzzerEvent::BuzzWindowTimeout { window: 1 }],
    );
    assert_eq!(tiebreak.remaining(), [1, 2, 3]);
    // 2: team 3 fouls (locked out of this question only), team 2 wins the floor and is right: 1st.
    tiebreak = play(
        tiebreak,
        "b",
        &[
            buzz(3, 10),
            BuzzerEvent::Arm,
            buzz(2, 20),
            BuzzerEvent::Judge {
                team: 2,
                correct: true,
            },
        ],
    );
    assert_eq!(tiebreak.remaining(), [1, 3]);
    // 3: team 1 buzzes first and is wrong: 3rd; team 3 is left with 2nd.
    tiebreak = play(
        tiebreak,
        "c",
        &[
            BuzzerEvent::Arm,
            buzz(1, 30),
            buzz(3, 31),
            BuzzerEvent::Judge {
                team: 1,
                correct: false,
            },
        ],
    );
    let result = tiebreak.result().expect("finished");
    assert_eq!(places(result), [(2, 1, false), (3, 2, false), (1, 3, false)]);
    assert_eq!(result.questions, ["a", "b", "c"]);
}

#[test]
fn a_draw_is_the_last_resort() {
    let t = Tiebreak::new(vec![4, 5, 6], 2, podium_cuts(3), vec![]).unwrap();
    let (t, _) = run(t, &[question("q"), TiebreakEvent::Right { team: 5 }]);
    let (t, _) = run(t, &[TiebreakEvent::Draw { seed: 31 }]);
    let result = t.result().unwrap();
    let drawn = Draw::new(31).order(&[4, 6]);
    assert_eq!(
        places(result),
        [(5, 2, false), (drawn[0], 3, false), (drawn[1], 4, false)]
    );
    assert_eq!(result.draw_seed, Some(31));
}

#[test]
fn illegal_tiebreak_events_are_refused() {
    assert_eq!(
        Tiebreak::new(vec![1, 2], 4, podium_cuts(3), vec![]),
        Err(RuleError::NoTieToBreak)
    );
    assert_eq!(
        Tiebreak::new(vec![1], 1, podium_cuts(3), vec![]),
        Err(RuleError::NoTieToBreak)
    );
    assert_eq!(
        Tiebreak::new(vec![1, 1], 1, podium_cuts(3), vec![]),
        Err(RuleError::DuplicateTeam { team: 1 })
    );
    let t = Tiebreak::new(vec![1, 2], 3, podium_cuts(3), vec![]).unwrap();
    assert_eq!(
        t.step(&TiebreakEvent::Right { team: 1 }),
        Err(RuleError::NoQuestion)
    );
    assert_eq!(t.step(&TiebreakEvent::Void), Err(RuleError::NoQuestion));
    let (t, _) = run(t, &[question("x")]);
    assert_eq!(t.step(&question("y")), Err(RuleError::QuestionInProgress));
    assert_eq!(
        t.step(&TiebreakEvent::Wrong { team: 9 }),
        Err(RuleError::UnknownTeam { team: 9 })
    );
    let candidates = ["x".to_owned(), "y".to_owned()];
    assert_eq!(t.next_unused(&candidates), Some("y"));
    let group = TiedGroup {
        teams: vec![1, 2],
        first_place: 3,
        last_place: 4,
    };
    assert!(Tiebreak::for_group(&group, vec![3], vec![]).is_ok());
}
