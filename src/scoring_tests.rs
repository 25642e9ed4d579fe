use proptest::prelude::*;

use super::*;

fn question(qtype: QuestionType, options: usize, key: AnswerKey, points: Option<u32>) -> Question {
    Question {
        bank_id: "b".to_owned(),
        id: "q".to_owned(),
        qtype,
        category: "党史".to_owned(),
        difficulty: 2,
        points,
        tags: vec![],
        stem: "?".to_owned(),
        options: (0..options).map(|i| format!("option {i}")).collect(),
        key,
        explanation: String::new(),
        source: String::new(),
        group: None,
        excludes: Vec::new(),
        lint_ok: Vec::new(),
    }
}

fn single(points: Option<u32>) -> Question {
    question(QuestionType::Single, 4, AnswerKey::Choice(vec![2]), points)
}

fn multiple() -> Question {
    question(
        QuestionType::Multiple,
        5,
        AnswerKey::Choice(vec![0, 2, 3]),
        Some(6),
    )
}

fn true_false() -> Question {
    question(QuestionType::TrueFalse, 2, AnswerKey::Choice(vec![1]), None)
}

fn fill(blanks: &[&[&str]]) -> Question {
    let key = blanks
        .iter()
        .map(|alts| alts.iter().map(|a| (*a).to_owned()).collect())
        .collect();
    question(QuestionType::Fill, 0, AnswerKey::Blanks(key), None)
}

fn choice(picked: &[usize]) -> Response {
    Response::Choice(picked.to_vec())
}

fn blanks(answers: &[&str]) -> Response {
    Response::Blanks(answers.iter().map(|a| (*a).to_owned()).collect())
}

fn rules() -> ScoringRules {
    ScoringRules::default()
}

fn rules_with(speed_bonus: f64, partial_credit: bool, wrong_penalty: u32) -> ScoringRules {
    ScoringRules {
        speed_bonus,
        partial_credit,
        wrong_penalty,
        ..rules()
    }
}

fn scored(correct: bool, points_centi: i64, bonus_centi: i64) -> Scored {
    Scored {
        correct,
        points_centi,
        bonus_centi,
    }
}

fn score(q: &Question, r: &Response, rules: &ScoringRules) -> Scored {
    score_response(q, r, None, 10, rules)
}

#[test]
fn rules_default_and_validate() {
    let r: ScoringRules = serde_json::from_str("{}").unwrap();
    assert_eq!(r, ScoringRules::default());
    assert_eq!(
        (r.default_points, r.speed_bonus, r.partial_credit, r.wrong_penalty),
        (10, 0.0, false, 0)
    );
    assert!(r.validate().is_ok());
    let bad = [
        rules_with(0.51, false, 0),
        rules_with(-0.1, false, 0),
        rules_with(f64::NAN, false, 0),
        rules_with(f64::INFINITY, false, 0),
        rules_with(0.0, false, 1001),
        ScoringRules {
            default_points: 0,
            ..rules()
        },
        ScoringRules {
            default_points: 1001,
            ..rules()
        },
    ];
    for r in bad {
        assert!(r.validate().is_err(), "{r:?}");
    }
    assert!(
        ScoringRules {
            speed_bonus: 0.5,
            default_points: 1000,
            wrong_penalty: 1000,
            ..rules()
        }
        .validate()
        .is_ok()
    );
}

#[test]
fn single_choice() {
    assert_eq!(
        score(&single(None), &choice(&[2]), &rules()),
        scored(true, 1000, 0)
    );
    assert_eq!(
        score(&single(Some(7)), &choice(&[2]), &rules()),
        scored(true, 700, 0)
    );
    assert_eq!(score(&single(None), &choice(&[1]), &rules()), scored(false, 0, 0));
    assert_eq!(
        score(&single(None), &choice(&[1, 2]), &rules()),
        scored(false, 0, 0)
    );
    // Repeats in a response are ignored.
    assert_eq!(
        score(&single(None), &choice(&[2, 2]), &rules()),
        scored(true, 1000, 0)
    );
}

#[test]
fn true_false_questions() {
    assert_eq!(
        score(&true_false(), &choice(&[1]), &rules()),
        scored(true, 1000, 0)
    );
    assert_eq!(score(&true_false(), &choice(&[0]), &rules()), scored(false, 0, 0));
    assert_eq!(score(&true_false(), &choice(&[2]), &rules()), scored(false, 0, 0));
}

#[test]
fn wrong_shapes_are_wrong() {
    let penalty = rules_with(0.0, false, 3);
    assert_eq!(
        score(&single(None), &blanks(&["2"]), &penalty),
        scored(false, -300, 0)
    );
    assert_eq!(
        score(&single(None), &choice(&[9]), &penalty),
        scored(false, -300, 0)
    );
    assert_eq!(
        score(&fill(&[&["a"]]), &choice(&[0]), &penalty),
        scored(false, -300, 0)
    );
    assert_eq!(
        score(&fill(&[&["a"], &["b"]]), &blanks(&["a"]), &penalty),
        scored(false, -300, 0)
    );
    assert!(!is_correct(&AnswerKey::Choice(vec![0]), &blanks(&["0"])));
    assert!(!is_correct(
        &AnswerKey::Blanks(vec![vec!["x".into()]]),
        &choice(&[0])
    ));
}

#[test]
fn multiple_all_or_nothing_and_partial() {
    let q = multiple();
    let partial = rules_with(0.0, true, 2);
    let strict = rules_with(0.0, false, 2);
    assert_eq!(score(&q, &choice(&[0, 2, 3]), &strict), scored(true, 600, 0));
    assert_eq!(score(&q, &choice(&[3, 0, 2]), &strict), scored(true, 600, 0));
    assert_eq!(score(&q, &choice(&[0, 2]), &strict), scored(false, -200, 0));
    // Partial: 2 of 3 correct, none wrong => 600 * 2 / 3 = 400; 1 of 3 => 200. No penalty.
    assert_eq!(score(&q, &choice(&[0, 2]), &partial), scored(false, 400, 0));
    assert_eq!(score(&q, &choice(&[3]), &partial), scored(false, 200, 0));
    // A wrong pick voids partial credit and draws the penalty.
    assert_eq!(score(&q, &choice(&[0, 1]), &partial), scored(false, -200, 0));
    assert_eq!(
        score(&q, &choice(&[0, 1, 2, 3]), &partial),
        scored(false, -200, 0)
    );
    assert_eq!(score(&q, &choice(&[0, 2, 3]), &partial), scored(true, 600, 0));
    // Floor: 10 points, 1 of 3 => 333.33 -> 333.
    let ten = question(QuestionType::Multiple, 4, AnswerKey::Choice(vec![0, 1, 2]), None);
    assert_eq!(score(&ten, &choice(&[1]), &partial), scored(false, 333, 0));
    // Partial credit is for multiple choice only.
    let single_partial = score(&single(None), &choice(&[1]), &partial);
    assert_eq!(single_partial, scored(false, -200, 0));
}

#[test]
fn missing_answers_draw_no_penalty() {
    let penalty = rules_with(0.0, false, 5);
    assert_eq!(score(&single(None), &choice(&[]), &penalty), scored(false, 0, 0));
    assert_eq!(
        score(&fill(&[&["a"], &["b"]]), &blanks(&["", " \u{3000}"]), &penalty),
        scored(false, 0, 0)
    );
    assert_eq!(
        score(&fill(&[&["a"]]), &blanks(&[]), &penalty),
        scored(false, 0, 0)
    );
    assert_eq!(
        score(&single(None), &choice(&[0]), &penalty),
        scored(false, -500, 0)
    );
}

#[test]
fn normalize_blank_folds_width_space_and_case() {
    assert_eq!(normalize_blank("  Ｃｈｉｎａ　１９２１ "), "china1921");
    assert_eq!(normalize_blank("中国 共产党\t"), "中国共产党");
    assert_eq!(normalize_blank("ＡＢＣ！"), "abc!");
    assert_eq!(normalize_blank("\u{3000}"), "");
    // Outside the folded range, full-width forms stay.
    assert_eq!(normalize_blank("｟"), "｟");
}

#[test]
fn fill_blanks_with_variants_and_alternatives() {
    let q = fill(&[&["中国共产党", "中共"], &["1921"]]);
    let r = rules();
    assert_eq!(
        score(&q, &blanks(&["中国 共产党", "１９２１"]), &r),
        scored(true, 1000, 0)
    );
    assert_eq!(score(&q, &blanks(&["中共", " 1921 "]), &r), scored(true, 1000, 0));
    assert_eq!(score(&q, &blanks(&["中共", "1922"]), &r), scored(false, 0, 0));
    let en = fill(&[&["Shanghai"]]);
    assert_eq!(
        score(&en, &blanks(&["ＳＨＡＮＧ　ｈａｉ"]), &r),
        scored(true, 1000, 0)
    );
    // Partial credit for multi-blank fill: correct blanks / blanks, even when another blank is wrong.
    let partial = rules_with(0.0, true, 1);
    assert_eq!(
        score(&q, &blanks(&["中共", "1922"]), &partial),
        scored(false, 500, 0)
    );
    assert_eq!(
        score(&q, &blanks(&["国民党", "1922"]), &partial),
        scored(false, -100, 0)
    );
    assert_eq!(
        score(&en, &blanks(&["Beijing"]), &partial),
        scored(false, -100, 0)
    );
}

#[test]
fn speed_bonus_boundaries() {
    let q = single(None); // 1000 centi
    let r = rules_with(0.5, false, 0);
    let t = |elapsed_ms, limit_ms| Some(Timing { elapsed_ms, limit_ms });
    let bonus = |timing, n| score_response(&q, &choice(&[2]), timing, n, &r).bonus_centi;
    assert_eq!(bonus(t(0, 20_000), 1), 500);
    assert_eq!(bonus(t(-5_000, 20_000), 1), 500); // clock skew: clamped to the whole limit
    assert_eq!(bonus(t(10_000, 20_000), 1), 250);
    assert_eq!(bonus(t(20_000, 20_000), 1), 0);
    assert_eq!(bonus(t(25_000, 20_000), 1), 0);
    assert_eq!(bonus(t(1, 3), 1), 333); // 1000 * 0.5 * 2/3 = 333.33
    assert_eq!(bonus(t(0, 0), 1), 0); // no limit, no bonus
    assert_eq!(bonus(None, 1), 0);
    // Scaled by the round's question count.
    assert_eq!(bonus(t(0, 20_000), 10), 50);
    assert_eq!(bonus(t(0, 20_000), 3), 166);
    assert_eq!(bonus(t(0, 20_000), 0), 500);
    // Only fully correct answers earn a bonus.
    let wrong = score_response(&q, &choice(&[0]), t(0, 20_000), 1, &r);
    assert_eq!(wrong.bonus_centi, 0);
    let part = rules_with(0.5, true, 0);
    let partial = score_response(&multiple(), &choice(&[0]), t(0, 20_000), 1, &part);
    assert_eq!(partial, scored(false, 200, 0));
    // Weight 0.2, 10 questions, 3/4 remaining: 1000 * 0.2 * 0.75 / 10 = 15.
    let light = rules_with(0.2, false, 0);
    assert_eq!(
        score_response(&q, &choice(&[2]), t(5_000, 20_000), 10, &light),
        scored(true, 1000, 15)
    );
    assert_eq!(scored(true, 1000, 15).total_centi(), 1015);
}

fn standing(id: i64, score: i64, correct: u32, time: i64, finished: Option<i64>) -> Standing {
    Standing {
        participant_id: id,
        score_centi: score,
        correct,
        answer_time_ms: time,
        finished_at_ms: finished,
    }
}

fn summary(ranked: &[Ranked]) -> Vec<(i64, u32, TieBreak)> {
    ranked
        .iter()
        .map(|r| (r.standing.participant_id, r.rank, r.decided_by))
        .collect()
}

#[test]
fn ranking_tie_breaks_in_order() {
    let ranked = rank(vec![
        standing(1, 500, 5, 9_000, Some(100)),
        standing(2, 900, 9, 9_000, Some(100)),
        standing(3, 500, 6, 9_000, Some(100)),
        standing(4, 500, 5, 8_000, Some(100)),
        standing(5, 500, 5, 9_000, Some(50)),
        standing(6, 500, 5, 9_000, None),
        standing(7, 500, 5, 9_000, Some(50)),
    ]);
    use TieBreak::*;
    assert_eq!(
        summary(&ranked),
        vec![
            (2, 1, Score),
            (3, 2, Score),
            (4, 3, CorrectCount),
            (5, 4, AnswerTime),
            (7, 4, Tied),
            (1, 6, FinishTime),
            (6, 7, FinishTime),
        ]
    );
}

#[test]
fn ranking_shares_ranks_competition_style() {
    use TieBreak::*;
    let ranked = rank(vec![
        standing(9, 100, 1, 10, Some(1)),
        standing(3, 300, 3, 10, Some(1)),
        standing(2, 200, 2, 10, Some(1)),
        standing(1, 200, 2, 10, Some(1)),
    ]);
    assert_eq!(
        summary(&ranked),
        vec![(3, 1, Score), (1, 2, Score), (2, 2, Tied), (9, 4, Score)]
    );
    let all_tied = rank(vec![standing(2, 0, 0, 0, None), standing(1, 0, 0, 0, None)]);
    assert_eq!(summary(&all_tied), vec![(1, 1, Score), (2, 1, Tied)]);
    assert!(rank(vec![]).is_empty());
}

#[test]
fn tie_break_serializes_snake_case() {
    assert_eq!(
        serde_json::to_string(&TieBreak::CorrectCount).unwrap(),
        r#""correct_count""#
    );
    assert_eq!(serde_json::to_string(&UnitScoring::Mean).unwrap(), r#""mean""#);
}

fn members(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(u, s)| ((*u).to_owned(), *s)).collect()
}

fn units(list: &[UnitStanding]) -> Vec<(&str, u32, i64, u32)> {
    list.iter()
        .map(|u| (u.unit.as_str(), u.members, u.score_centi, u.rank))
        .collect()
}

#[test]
fn unit_sum_and_mean() {
    let m = members(&[
        ("刑侦大队", 900),
        ("治安大队", 1000),
        ("刑侦大队", 700),
        ("交警大队", 1600),
        ("治安大队", 601),
    ]);
    assert_eq!(
        units(&unit_standings(&m, UnitScoring::Sum)),
        vec![
            ("治安大队", 2, 1601, 1),
            ("交警大队", 1, 1600, 2),
            ("刑侦大队", 2, 1600, 2)
        ]
    );
    // Mean: 刑侦 800, 治安 800.5 -> 801 (half away from zero), 交警 1600.
    assert_eq!(
        units(&unit_standings(&m, UnitScoring::Mean)),
        vec![
            ("交警大队", 1, 1600, 1),
            ("治安大队", 2, 801, 2),
            ("刑侦大队", 2, 800, 3)
        ]
    );
}

#[test]
fn unit_mean_rounds_half_away_from_zero() {
    let m = members(&[
        ("a", -1),
        ("a", -2),
        ("b", 1),
        ("b", 2),
        ("c", -1),
        ("c", -1),
        ("c", 0),
    ]);
    assert_eq!(
        units(&unit_standings(&m, UnitScoring::Mean)),
        vec![("b", 2, 2, 1), ("c", 3, -1, 2), ("a", 2, -2, 3)]
    );
    assert!(unit_standings(&[], UnitScoring::Sum).is_empty());
}

fn arb_standing() -> impl Strategy<Value = Standing> {
    (
        0i64..1000,
        0i64..4,
        0u32..3,
        0i64..3,
        proptest::option::of(0i64..3),
    )
        .prop_map(|(id, score, correct, time, finished)| standing(id, score * 100, correct, time, finished))
}

proptest! {
    #[test]
    fn score_never_exceeds_points_plus_bonus_cap(
        points in proptest::option::of(1u32..=1000),
        weight in 0.0f64..=0.5,
        elapsed in -10_000i64..40_000,
        limit in 0i64..30_000,
        n in 0usize..50,
        picked in proptest::collection::vec(0usize..6, 0..6),
        partial_credit in any::<bool>(),
    ) {
        let rules = rules_with(weight, partial_credit, 0);
        let q = question(QuestionType::Multiple, 5, AnswerKey::Choice(vec![1, 3]), points);
        let s = score_response(&q, &Response::Choice(picked), Some(Timing { elapsed_ms: elapsed, limit_ms: limit }), n, &rules);
        let p = i64::from(points.unwrap_or(10)) * 100;
        prop_assert!(s.points_centi <= p);
        prop_assert!(s.bonus_centi >= 0);
        prop_assert!(s.bonus_centi <= p / (2 * n.max(1) as i64));
        prop_assert!(s.correct || s.bonus_centi == 0);
    }

    #[test]
    fn round_bonus_is_at_most_half_a_question(
        points in 1u32..=1000,
        weight in 0.0f64..=0.5,
        elapsed in proptest::collection::vec(-1_000i64..20_000, 1..30),
    ) {
        let rules = rules_with(weight, false, 0);
        let q = single(Some(points));
        let total: i64 = elapsed.iter().map(|&e| {
            score_response(&q, &choice(&[2]), Some(Timing { elapsed_ms: e, limit_ms: 15_000 }), elapsed.len(), &rules).bonus_centi
        }).sum();
        prop_assert!(total * 2 <= i64::from(points) * 100);
    }

    #[test]
    fn more_correct_answers_always_rank_higher(
        points in 1u32..=100,
        weight in 0.0f64..=0.5,
        answers in proptest::collection::vec((any::<bool>(), any::<bool>(), 0i64..20_000, 0i64..20_000), 1..25),
    ) {
        let rules = rules_with(weight, false, 0);
        let q = single(Some(points));
        let n = answers.len();
        let totals = |who: usize| -> (i64, u32) {
            answers.iter().fold((0, 0), |(score, correct), a| {
                let (right, elapsed) = if who == 0 { (a.0, a.2) } else { (a.1, a.3) };
                let response = if right { choice(&[2]) } else { choice(&[0]) };
                let s = score_response(&q, &response, Some(Timing { elapsed_ms: elapsed, limit_ms: 20_000 }), n, &rules);
                (score + s.total_centi(), correct + u32::from(s.correct))
            })
        };
        let ((score_a, correct_a), (score_b, correct_b)) = (totals(0), totals(1));
        prop_assume!(correct_a != correct_b);
        let ranked = rank(vec![standing(1, score_a, correct_a, 0, None), standing(2, score_b, correct_b, 0, None)]);
        let winner = if correct_a > correct_b { 1 } else { 2 };
        prop_assert_eq!(ranked[0].standing.participant_id, winner);
        prop_assert_eq!(ranked[1].rank, 2);
        prop_assert_eq!(ranked[1].decided_by, TieBreak::Score);
    }

    #[test]
    fn rank_is_a_sorted_permutation(standings in proptest::collection::vec(arb_standing(), 0..30)) {
        let ranked = rank(standings.clone());
        prop_assert_eq!(ranked.len(), standings.len());
        let mut input: Vec<_> = standings.iter().map(|s| format!("{s:?}")).collect();
        let mut output: Vec<_> = ranked.iter().map(|r| format!("{:?}", r.standing)).collect();
        input.sort();
        output.sort();
        prop_assert_eq!(input, output);
        for (i, r) in ranked.iter().enumerate() {
            if i == 0 {
                prop_assert_eq!((r.rank, r.decided_by), (1, TieBreak::Score));
                continue;
            }
            let above = &ranked[i - 1];
            prop_assert!(above.rank <= r.rank);
            prop_assert_ne!(compare(&above.standing, &r.standing).0, Ordering::Greater);
            if r.decided_by == TieBreak::Tied {
                prop_assert_eq!(r.rank, above.rank);
                prop_assert!(above.standing.participant_id <= r.standing.participant_id);
            } else {
                prop_assert_eq!(r.rank as usize, i + 1);
            }
        }
    }

    #[test]
    fn unit_sum_preserves_the_total(list in proptest::collection::vec((0usize..4, -1000i64..1000), 0..40)) {
        let m: Vec<(String, i64)> = list.iter().map(|(u, s)| (format!("unit{u}"), *s)).collect();
        let sum = unit_standings(&m, UnitScoring::Sum);
        prop_assert_eq!(sum.iter().map(|u| u.score_centi).sum::<i64>(), m.iter().map(|x| x.1).sum::<i64>());
        prop_assert_eq!(sum.iter().map(|u| u.members as usize).sum::<usize>(), m.len());
        for w in sum.windows(2) {
            prop_assert!(w[0].score_centi >= w[1].score_centi);
            prop_assert!(w[0].rank <= w[1].rank);
        }
    }
}
