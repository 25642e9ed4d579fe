//! The buzzer question: fouls and lockout, floor by server order, judging, pass-on, reopen, void.

use super::*;

const A: TeamId = 1;
const B: TeamId = 2;
const C: TeamId = 3;

fn question(on_wrong: OnWrong) -> BuzzerQuestion {
    let settings = BuzzerSettings {
        on_wrong,
        ..BuzzerSettings::default()
    };
    BuzzerQuestion::new(settings, vec![A, B, C]).unwrap()
}

fn buzz(team: TeamId, server_ms: i64, seq: u64) -> BuzzerEvent {
    BuzzerEvent::Buzz(Buzz {
        team,
        server_ms,
        seq,
        client_ms: Some(server_ms - 40),
    })
}

fn judge(team: TeamId, correct: bool) -> BuzzerEvent {
    BuzzerEvent::Judge { team, correct }
}

/// Apply events that must all be accepted; returns the state and every outcome.
fn run(mut q: BuzzerQuestion, events: &[BuzzerEvent]) -> (BuzzerQuestion, Vec<BuzzerOutcome>) {
    let mut all = Vec::new();
    for event in events {
        let (next, out) = q.step(event).unwrap_or_else(|e| panic!("{event:?} refused: {e}"));
        q = next;
        all.extend(out);
    }
    (q, all)
}

fn scores(outcomes: &[BuzzerOutcome]) -> Vec<(TeamId, i64, Reason)> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            BuzzerOutcome::Score { change } => Some((change.team, change.delta_centi, change.reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn first_buzz_after_arming_wins_and_a_right_answer_scores() {
    let (q, out) = run(
        question(OnWrong::Pass),
        &[
            BuzzerEvent::Arm,
            buzz(B, 1000, 5),
            buzz(A, 1001, 6),
            judge(B, true),
        ],
    );
    assert_eq!(
        out,
        [
            BuzzerOutcome::Armed { window: 1 },
            BuzzerOutcome::Floor { team: B },
            BuzzerOutcome::Queued { team: A, position: 1 },
            BuzzerOutcome::Judged {
                team: B,
                verdict: Verdict::Right
            },
            BuzzerOutcome::Score {
                change: ScoreChange {
                    team: B,
                    delta_centi: 1000,
                    reason: Reason::BuzzerRight
                }
            },
            BuzzerOutcome::Closed {
                result: Closure::Won { team: B }
            },
        ]
    );
    assert_eq!(q.closure(), Some(Closure::Won { team: B }));
    assert_eq!(q.step(&judge(A, true)), Err(RuleError::QuestionClosed));
    assert_eq!(q.step(&buzz(C, 2000, 9)), Err(RuleError::QuestionClosed));
}

#[test]
fn a_buzz_before_arming_is_a_foul_with_penalty_and_lockout() {
    let (q, out) = run(question(OnWrong::Pass), &[buzz(A, 500, 1)]);
    assert_eq!(out[0], BuzzerOutcome::Foul { team: A });
    assert_eq!(scores(&out), [(A, -1000, Reason::Foul)]);
    assert_eq!(q.locked_out(), [A]);
    // A second buzz before arming: refused, no second penalty.
    assert_eq!(q.step(&buzz(A, 600, 2)), Err(RuleError::LockedOut { team: A }));
    // Locked out for the whole question, also once armed.
    let (q, out) = run(q, &[BuzzerEvent::Arm]);
    assert_eq!(out, [BuzzerOutcome::Armed { window: 1 }]);
    assert_eq!(q.step(&buzz(A, 700, 3)), Err(RuleError::LockedOut { team: A }));
    let (q, _) = run(q, &[buzz(B, 800, 4)]);
    assert_eq!(q.phase(), Phase::Answering { team: B });
    assert_eq!(q.eligible(), [B, C]);
}

#[test]
fn the_foul_penalty_is_configurable() {
    let settings = BuzzerSettings {
        foul_penalty: 5,
        ..BuzzerSettings::default()
    };
    let q = BuzzerQuestion::new(settings, vec![A, B]).unwrap();
    let (_, out) = run(q, &[buzz(B, 1, 1)]);
    assert_eq!(scores(&out), [(B, -500, Reason::Foul)]);
}

#[test]
fn when_every_team_fouled_arming_voids_the_question() {
    let q = BuzzerQuestion::new(BuzzerSettings::default(), vec![A, B]).unwrap();
    let (q, out) = run(q, &[buzz(A, 1, 1), buzz(B, 2, 2), BuzzerEvent::Arm]);
    assert_eq!(
        out.last(),
        Some(&BuzzerOutcome::Closed {
            result: Closure::Void {
                reason: VoidReason::NoEligibleTeam
            }
        })
    );
    assert_eq!(scores(&out), [(A, -1000, Reason::Foul), (B, -1000, Reason::Foul)]);
    assert!(q.closure().is_some());
}

#[test]
fn same_millisecond_buzzes_are_ordered_by_receive_sequence_not_client_time() {
    // C's device claims it buzzed much earlier; the server received A first (same ms, lower sequence).
    let c_early = BuzzerEvent::Buzz(Buzz {
        team: C,
        server_ms: 5000,
        seq: 42,
        client_ms: Some(1),
    });
    let (q, out) = run(
        question(OnWrong::Pass),
        &[BuzzerEvent::Arm, buzz(A, 5000, 41), c_early],
    );
    assert_eq!(q.phase(), Phase::Answering { team: A });
    assert_eq!(out[2], BuzzerOutcome::Queued { team: C, position: 1 });
    // Both times are recorded.
    assert_eq!(q.buzzes()[1].client_ms, Some(1));
    assert_eq!(q.buzzes()[1].server_ms, 5000);
    // A later-received message can never carry an earlier (time, sequence): the engine fed them out of order.
    assert_eq!(
        q.step(&buzz(B, 5000, 40)),
        Err(RuleError::BuzzOutOfOrder {
            server_ms: 5000,
            seq: 40,
            last_server_ms: 5000,
            last_seq: 42
        })
    );
    // The same message fed twice (same time and sequence) is refused as well.
    assert!(matches!(
        q.step(&buzz(B, 5000, 42)),
        Err(RuleError::BuzzOutOfOrder { .. })
    ));
    assert!(matches!(
        q.step(&buzz(B, 4999, 50)),
        Err(RuleError::BuzzOutOfOrder { .. })
    ));
    // The pass goes to the next in server order.
    let (q, _) = run(q, &[judge(A, false)]);
    assert_eq!(q.phase(), Phase::Answering { team: C });
}

#[test]
fn a_wrong_answer_costs_the_penalty_and_passes_to_the_next_buzzer() {
    let (q, out) = run(
        question(OnWrong::Pass),
        &[
            BuzzerEvent::Arm,
            buzz(A, 10, 1),
            buzz(B, 20, 2),
            buzz(C, 30, 3),
            judge(A, false),
        ],
    );
    assert_eq!(scores(&out), [(A, -1000, Reason::BuzzerWrong)]);
    assert_eq!(out.last(), Some(&BuzzerOutcome::Floor { team: B }));
    assert_eq!(q.queue(), [C]);
    // A, having answered wrong, cannot buzz again.
    assert_eq!(
        q.step(&buzz(A, 40, 4)),
        Err(RuleError::AlreadyAnswered { team: A })
    );
    let (q, out) = run(q, &[judge(B, false), judge(C, true)]);
    assert_eq!(
        scores(&out),
        [(B, -1000, Reason::BuzzerWrong), (C, 1000, Reason::BuzzerRight)]
    );
    assert_eq!(q.closure(), Some(Closure::Won { team: C }));
    assert_eq!(q.answered(), [A, B]);
}

#[test]
fn pass_with_nobody_else_in_line_voids() {
    let (q, out) = run(
        question(OnWrong::Pass),
        &[BuzzerEvent::Arm, buzz(A, 10, 1), judge(A, false)],
    );
    assert_eq!(
        q.closure(),
        Some(Closure::Void {
            reason: VoidReason::QueueExhausted
        })
    );
    assert_eq!(scores(&out), [(A, -1000, Reason::BuzzerWrong)]);
}

#[test]
fn on_wrong_void_ends_the_question_even_with_others_in_line() {
    let (q, out) = run(
        question(OnWrong::Void),
        &[BuzzerEvent::Arm, buzz(A, 10, 1), buzz(B, 11, 2), judge(A, false)],
    );
    assert_eq!(
        q.closure(),
        Some(Closure::Void {
            reason: VoidReason::WrongAnswer
        })
    );
    assert!(!out.contains(&BuzzerOutcome::Floor { team: B }));
    assert_eq!(q.step(&judge(B, true)), Err(RuleError::QuestionClosed));
}

#[test]
fn reopen_arms_a_new_window_for_the_teams_still_in() {
    let (q, out) = run(
        question(OnWrong::Reopen),
        &[BuzzerEvent::Arm, buzz(A, 10, 1), judge(A, false)],
    );
    assert_eq!(out.last(), Some(&BuzzerOutcome::Armed { window: 2 }));
    assert_eq!(q.eligible(), [B, C]);
    // The old window's timer is stale.
    assert_eq!(
        q.step(&BuzzerEvent::BuzzWindowTimeout { window: 1 }),
        Err(RuleError::StaleBuzzWindow {
            window: 1,
            current: 2
        })
    );
    let (q, _) = run(q, &[buzz(C, 30, 2), judge(C, false)]);
    assert_eq!(q.phase(), Phase::Armed { window: 3 });
    let (q, _) = run(q, &[buzz(B, 40, 3), BuzzerEvent::AnswerTimeout { team: B }]);
    // Nobody left: void.
    assert_eq!(
        q.closure(),
        Some(Closure::Void {
            reason: VoidReason::NoEligibleTeam
        })
    );
}

#[test]
fn reopened_window_running_out_voids() {
    let (q, _) = run(
        question(OnWrong::Reopen),
        &[BuzzerEvent::Arm, buzz(A, 10, 1), judge(A, false)],
    );
    let (q, out) = run(q, &[BuzzerEvent::BuzzWindowTimeout { window: 2 }]);
    assert_eq!(
        out,
        [BuzzerOutcome::Closed {
            result: Closure::Void {
                reason: VoidReason::NoBuzz
            }
        }]
    );
    assert!(q.closure().is_some());
}

#[test]
fn a_late_answer_costs_the_late_penalty_and_passes_on() {
    let settings = BuzzerSettings {
        late_penalty: 5,
        wrong_penalty: 20,
        ..BuzzerSettings::default()
    };
    let q = BuzzerQuestion::new(settings, vec![A, B, C]).unwrap();
    let (q, out) = run(
        q,
        &[
            BuzzerEvent::Arm,
            buzz(A, 10, 1),
            buzz(B, 12, 2),
            BuzzerEvent::AnswerTimeout { team: A },
        ],
    );
    assert!(out.contains(&BuzzerOutcome::Judged {
        team: A,
        verdict: Verdict::Late
    }));
    assert_eq!(scores(&out), [(A, -500, Reason::BuzzerLate)]);
    assert_eq!(q.phase(), Phase::Answering { team: B });
    // A stale timeout for A (it no longer holds the floor) must not hit B.
    assert_eq!(
        q.step(&BuzzerEvent::AnswerTimeout { team: A }),
        Err(RuleError::NotFloorHolder { holder: B, team: A })
    );
}

#[test]
fn no_buzz_within_the_window_voids() {
    let (q, out) = run(
        question(OnWrong::Pass),
        &[BuzzerEvent::Arm, BuzzerEvent::BuzzWindowTimeout { window: 1 }],
    );
    assert_eq!(
        q.closure(),
        Some(Closure::Void {
            reason: VoidReason::NoBuzz
        })
    );
    assert!(scores(&out).is_empty());
}

#[test]
fn illegal_events_are_refused_and_change_nothing() {
    let q = question(OnWrong::Pass);
    assert_eq!(q.step(&judge(A, true)), Err(RuleError::NobodyHoldsFloor));
    assert_eq!(
        q.step(&BuzzerEvent::AnswerTimeout { team: A }),
        Err(RuleError::NobodyHoldsFloor)
    );
    assert_eq!(
        q.step(&BuzzerEvent::BuzzWindowTimeout { window: 1 }),
        Err(RuleError::NoOpenBuzzWindow)
    );
    assert_eq!(q.step(&buzz(9, 1, 1)), Err(RuleError::UnknownTeam { team: 9 }));
    let (armed, _) = run(q.clone(), &[BuzzerEvent::Arm]);
    assert_eq!(armed.step(&BuzzerEvent::Arm), Err(RuleError::AlreadyArmed));
    assert_eq!(armed.step(&judge(A, true)), Err(RuleError::NobodyHoldsFloor));
    let (floor, _) = run(armed, &[buzz(A, 10, 1), buzz(B, 11, 2)]);
    assert_eq!(
        floor.step(&buzz(A, 12, 3)),
        Err(RuleError::AlreadyBuzzed { team: A })
    );
    assert_eq!(
        floor.step(&buzz(B, 12, 3)),
        Err(RuleError::AlreadyBuzzed { team: B })
    );
    assert_eq!(
        floor.step(&judge(B, true)),
        Err(RuleError::NotFloorHolder { holder: A, team: B })
    );
    assert_eq!(
        floor.step(&BuzzerEvent::BuzzWindowTimeout { window: 1 }),
        Err(RuleError::NoOpenBuzzWindow)
    );
    assert_eq!(floor.step(&BuzzerEvent::Arm), Err(RuleError::AlreadyArmed));
    // The refused events left the state as it was.
    assert_eq!(floor.phase(), Phase::Answering { team: A });
    assert_eq!(floor.queue(), [B]);
    assert_eq!(floor.buzzes().len(), 2);
}

#[test]
fn a_team_list_needs_teams_without_repeats() {
    let settings = BuzzerSettings::default;
    assert_eq!(BuzzerQuestion::new(settings(), vec![]), Err(RuleError::NoTeams));
    assert_eq!(
        BuzzerQuestion::new(settings(), vec![A, B, A]),
        Err(RuleError::DuplicateTeam { team: A })
    );
}

#[test]
fn events_and_state_round_trip_as_json() {
    let event: BuzzerEvent =
        serde_json::from_str(r#"{"event": "buzz", "team": 2, "server_ms": 7, "seq": 3, "client_ms": 5}"#)
            .unwrap();
    assert_eq!(event, buzz(B, 7, 3).with_client(5));
    let judge: BuzzerEvent =
        serde_json::from_str(r#"{"event": "judge", "team": 2, "correct": false}"#).unwrap();
    assert_eq!(
        judge,
        BuzzerEvent::Judge {
            team: B,
            correct: false
        }
    );
    let (q, _) = run(question(OnWrong::Pass), &[BuzzerEvent::Arm, event]);
    let json = serde_json::to_string(&q).unwrap();
    let back: BuzzerQuestion = serde_json::from_str(&json).unwrap();
    assert_eq!(back, q);
}

trait WithClient {
    fn with_client(self, client_ms: i64) -> Self;
}

impl WithClient for BuzzerEvent {
    fn with_client(self, client_ms: i64) -> Self {
        match self {
            BuzzerEvent::Buzz(b) => BuzzerEvent::Buzz(Buzz {
                client_ms: Some(client_ms),
                ..b
            }),
            other => other,
        }
    }
}

#[test]
fn the_free_function_is_the_method() {
    let q = question(OnWrong::Pass);
    assert_eq!(buzzer_step(&q, &BuzzerEvent::Arm), q.step(&BuzzerEvent::Arm));
}

fn assigned(kind: ScoreKind, points: u32, penalty: u32) -> BuzzerQuestion {
    let settings = BuzzerSettings {
        points,
        wrong_penalty: penalty,
        late_penalty: penalty,
        foul_penalty: 0,
        on_wrong: OnWrong::Void,
        ..BuzzerSettings::default()
    };
    BuzzerQuestion::assigned(settings, vec![A, B, C], kind).unwrap()
}

fn changes(outcomes: &[BuzzerOutcome]) -> Vec<ScoreChange> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            BuzzerOutcome::Score { change } => Some(*change),
            _ => None,
        })
        .collect()
}

#[test]
fn an_assigned_question_gives_the_floor_without_a_buzz_and_scores_with_its_own_reasons() {
    let (q, out) = run(
        assigned(ScoreKind::Compulsory, 10, 0),
        &[BuzzerEvent::Assign { team: B }, judge(B, true)],
    );
    assert_eq!(out[0], BuzzerOutcome::Floor { team: B });
    assert_eq!(
        changes(&out),
        [ScoreChange {
            team: B,
            delta_centi: 1000,
            reason: Reason::CompulsoryRight
        }]
    );
    assert_eq!(q.closure(), Some(Closure::Won { team: B }));

    // A wager lost by a late answer: the value goes, and the question ends (nobody else gets it).
    let (q, out) = run(
        assigned(ScoreKind::Wager, 30, 30),
        &[
            BuzzerEvent::Assign { team: C },
            BuzzerEvent::AnswerTimeout { team: C },
        ],
    );
    assert_eq!(
        changes(&out),
        [ScoreChange {
            team: C,
            delta_centi: -3000,
            reason: Reason::WagerWrong
        }]
    );
    assert_eq!(
        q.closure(),
        Some(Closure::Void {
            reason: VoidReason::WrongAnswer
        })
    );
}

#[test]
fn nobody_buzzes_or_arms_an_assigned_question_and_it_is_assigned_once() {
    let q = assigned(ScoreKind::Compulsory, 10, 0);
    assert_eq!(
        q.step(&BuzzerEvent::Assign { team: 9 }),
        Err(RuleError::UnknownTeam { team: 9 })
    );
    assert_eq!(q.step(&buzz(A, 100, 1)), Err(RuleError::NoBuzzing));
    let (q, _) = run(q, &[BuzzerEvent::Assign { team: A }]);
    assert_eq!(q.step(&buzz(B, 100, 1)), Err(RuleError::NoBuzzing));
    assert_eq!(q.step(&BuzzerEvent::Arm), Err(RuleError::AlreadyArmed));
    assert_eq!(
        q.step(&BuzzerEvent::Assign { team: B }),
        Err(RuleError::AlreadyArmed)
    );
    assert_eq!(
        q.step(&judge(B, true)),
        Err(RuleError::NotFloorHolder { holder: A, team: B })
    );
}
