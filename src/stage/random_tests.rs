//! Randomized but deterministic (fixed seed): random event streams, legal and illegal, through buzzer
//! questions and the ledger, checking invariants that must hold whatever happens.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::*;

const TEAMS: [TeamId; 4] = [1, 2, 3, 4];

fn random_event(rng: &mut StdRng, clock: &mut (i64, u64)) -> BuzzerEvent {
    let team = TEAMS[rng.random_range(0..TEAMS.len())];
    match rng.random_range(0..10) {
        0 => BuzzerEvent::Arm,
        1..=4 => {
            // Mostly later than the last buzz; sometimes the same millisecond; rarely out of order.
            clock.0 += rng.random_range(-1..3);
            clock.1 += 1;
            if rng.random_bool(0.05) {
                clock.1 -= 2;
            }
            BuzzerEvent::Buzz(Buzz {
                team,
                server_ms: clock.0,
                seq: clock.1,
                client_ms: Some(rng.random_range(0..10_000)),
            })
        }
        5 | 6 => BuzzerEvent::Judge {
            team,
            correct: rng.random_bool(0.4),
        },
        7 => BuzzerEvent::AnswerTimeout { team },
        _ => BuzzerEvent::BuzzWindowTimeout {
            window: rng.random_range(1..4),
        },
    }
}

fn random_settings(rng: &mut StdRng) -> BuzzerSettings {
    BuzzerSettings {
        points: rng.random_range(0..50),
        wrong_penalty: rng.random_range(0..50),
        late_penalty: rng.random_range(0..50),
        foul_penalty: rng.random_range(0..50),
        on_wrong: [OnWrong::Pass, OnWrong::Reopen, OnWrong::Void][rng.random_range(0..3)],
        ..BuzzerSettings::default()
    }
}

#[test]
fn random_buzzer_streams_keep_the_ledger_and_the_rules_consistent() {
    let mut rng = StdRng::seed_from_u64(0x5EED_2024);
    let mut ledger = Ledger::new(100, &TEAMS).unwrap();
    let (mut closed, mut refused, mut undone) = (0, 0, 0);
    for _question in 0..400 {
        let settings = random_settings(&mut rng);
        let mut q = BuzzerQuestion::new(settings.clone(), TEAMS.to_vec()).unwrap();
        let mut clock = (rng.random_range(0..1_000_000), rng.random_range(10..1_000_000));
        let mut changes: Vec<ScoreChange> = Vec::new();
        for _ in 0..40 {
            if q.closure().is_some() {
                break;
            }
            let event = random_event(&mut rng, &mut clock);
            match q.step(&event) {
                Ok((next, outcomes)) => {
                    q = next;
                    for outcome in outcomes {
                        if let BuzzerOutcome::Score { change } = outcome {
                            changes.push(change);
                        }
                    }
                }
                Err(_) => refused += 1,
            }
        }
        // Each team is judged at most once per question; a fouled team is never judged.
        for team in TEAMS {
            let judged = changes
                .iter()
                .filter(|c| c.team == team && c.reason != Reason::Foul)
                .count();
            let fouled = changes
                .iter()
                .filter(|c| c.team == team && c.reason == Reason::Foul)
                .count();
            assert!(judged <= 1 && fouled <= 1 && judged + fouled <= 1, "{changes:?}");
        }
        // Amounts are the configured ones.
        for c in &changes {
            let expected = match c.reason {
                Reason::BuzzerRight => centi(settings.points),
                Reason::BuzzerWrong => -centi(settings.wrong_penalty),
                Reason::BuzzerLate => -centi(settings.late_penalty),
                Reason::Foul => -centi(settings.foul_penalty),
                other => panic!("a buzzer question made a {other:?} change"),
            };
            assert_eq!(c.delta_centi, expected);
        }
        // Won by exactly the team that was right; at most one right answer.
        let rights: Vec<TeamId> = changes
            .iter()
            .filter(|c| c.reason == Reason::BuzzerRight)
            .map(|c| c.team)
            .collect();
        assert!(rights.len() <= 1);
        match q.closure() {
            Some(Closure::Won { team }) => assert_eq!(rights, [team]),
            _ => assert!(rights.is_empty()),
        }
        if q.closure().is_some() {
            closed += 1;
        }
        for change in changes {
            ledger.record(change).unwrap();
        }
        // Now and then the organizer takes a judgement back or corrects a score.
        if rng.random_bool(0.3) && !ledger.entries().is_empty() {
            let id = rng.random_range(1..=ledger.entries().len() as EntryId);
            if ledger.undo(id, "random undo").is_ok() {
                undone += 1;
            }
        }
        if rng.random_bool(0.1) {
            let team = TEAMS[rng.random_range(0..TEAMS.len())];
            ledger
                .adjust(team, rng.random_range(-500..500), "random adjustment")
                .unwrap();
        }
        // Totals: base plus every entry, and equally base plus the entries still in force.
        for team in TEAMS {
            let all: i64 = ledger
                .entries()
                .iter()
                .filter(|e| e.team == team)
                .map(|e| e.delta_centi)
                .sum();
            let effective: i64 = ledger
                .effective()
                .iter()
                .filter(|e| e.team == team)
                .map(|e| e.delta_centi)
                .sum();
            assert_eq!(ledger.total(team), Ok(10_000 + all));
            assert_eq!(all, effective);
        }
    }
    // The stream exercised the interesting paths.
    assert!(closed > 200, "only {closed} questions closed");
    assert!(refused > 1000, "only {refused} events refused");
    assert!(undone > 50, "only {undone} undos");
    // The whole ledger reloads as recorded.
    let reloaded = Ledger::from_entries(100, &TEAMS, ledger.entries().to_vec()).unwrap();
    assert_eq!(reloaded.standings(), ledger.standings());
    let ranks: Vec<u32> = ledger.standings().iter().map(|s| s.rank).collect();
    assert_eq!(ranks[0], 1);
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]));
}
