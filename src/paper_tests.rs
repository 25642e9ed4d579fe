use std::collections::{BTreeMap, HashSet};

use proptest::prelude::*;

use super::*;

fn pq(uid: i64, qtype: QuestionType, category: &str, difficulty: u8) -> PoolQuestion {
    let option_count = match qtype {
        QuestionType::Single | QuestionType::Multiple => 4,
        QuestionType::TrueFalse => 2,
        QuestionType::Fill => 0,
    };
    PoolQuestion {
        uid,
        qtype,
        category: category.to_owned(),
        difficulty,
        option_count,
        links: DrawLinks::default(),
    }
}

fn quota(category: Option<&str>, difficulty: Option<u8>, qtype: Option<QuestionType>, count: usize) -> Quota {
    Quota {
        category: category.map(str::to_owned),
        difficulty,
        qtype,
        count,
    }
}

fn blueprint(quotas: Vec<Quota>) -> Blueprint {
    Blueprint {
        quotas,
        shuffle_questions: true,
        shuffle_options: true,
    }
}

/// 100 single-choice questions, uids 1..=100, in two categories and five difficulties.
fn big_pool() -> Vec<PoolQuestion> {
    (1..=100)
        .map(|uid| {
            let category = if uid % 2 == 0 {
                "党史/建党"
            } else {
                "党史/抗战"
            };
            pq(uid, QuestionType::Single, category, (uid % 5 + 1) as u8)
        })
        .collect()
}

fn none_seen() -> HashSet<i64> {
    HashSet::new()
}

#[test]
fn golden_first_outputs_of_seed_42() {
    // Computed once from an independent reference implementation of SplitMix64 + xoshiro256**; the same
    // reference reproduces the published xoshiro256** outputs for state [1, 2, 3, 4].
    let mut rng = PaperRng::new(42);
    let outputs: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
    assert_eq!(
        outputs,
        [
            0x1578_0b2e_0c2e_c716,
            0x6104_d986_6d11_3a7e,
            0xae17_5332_39e4_99a1,
            0xecb8_ad47_03b3_60a1,
            0xfde6_dc7f_e2ec_5e64,
        ]
    );
}

#[test]
fn golden_seed_derivation() {
    assert_eq!(derive_seed(42, 1, 0), 0x2da7_a738_f2b8_9a82);
    assert_eq!(derive_seed(20_240_701, 3, -1), 0x9594_f0b3_67e4_d5a2);
    let mut rng = PaperRng::for_paper(42, 1, 7);
    assert_eq!(rng.next_u64(), 0xf7b6_409d_4355_a88e);
    assert_eq!(rng.next_u64(), 0xe9fa_e2e0_bff8_105e);
}

#[test]
fn xoshiro_matches_published_vector() {
    let mut rng = PaperRng { s: [1, 2, 3, 4] };
    let outputs: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
    assert_eq!(outputs, [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240]);
}

#[test]
fn derivation_separates_rounds_and_participants() {
    let seeds: HashSet<u64> = (0..10)
        .flat_map(|round| (0..50).map(move |p| derive_seed(7, round, p)))
        .collect();
    assert_eq!(seeds.len(), 500);
    assert_ne!(derive_seed(7, 1, 2), derive_seed(7, 2, 1));
}

#[test]
fn below_is_in_range_and_roughly_uniform() {
    let mut rng = PaperRng::new(1);
    let mut counts = [0u32; 3];
    for _ in 0..30_000 {
        counts[rng.below(3) as usize] += 1;
    }
    for count in counts {
        assert!((9_500..=10_500).contains(&count), "{counts:?}");
    }
    assert_eq!(rng.below(1), 0);
    assert_eq!(rng.below(0), 0);
    let big = u64::MAX / 2 + 1;
    assert!((0..100).all(|_| rng.below(big) < big));
}

#[test]
fn shuffle_is_a_permutation_and_seed_dependent() {
    let mut a: Vec<u32> = (0..50).collect();
    let mut b = a.clone();
    PaperRng::new(5).shuffle(&mut a);
    PaperRng::new(6).shuffle(&mut b);
    assert_ne!(a, b);
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    let mut empty: [u8; 0] = [];
    PaperRng::new(5).shuffle(&mut empty);
}

#[test]
fn quota_matching_and_description() {
    let q = pq(1, QuestionType::Multiple, "新民主主义革命时期/建党", 3);
    assert!(
        quota(
            Some("新民主主义革命时期"),
            Some(3),
            Some(QuestionType::Multiple),
            1
        )
        .matches(&q)
    );
    assert!(quota(None, None, None, 1).matches(&q));
    assert!(!quota(Some("新民主"), None, None, 1).matches(&q));
    assert!(!quota(None, Some(2), None, 1).matches(&q));
    assert!(!quota(None, None, Some(QuestionType::Single), 1).matches(&q));
    assert_eq!(
        quota(
            Some("新民主主义革命时期"),
            Some(3),
            Some(QuestionType::Multiple),
            5
        )
        .describe(),
        "category 新民主主义革命时期, difficulty 3, type multiple"
    );
    assert_eq!(quota(None, None, None, 1).describe(), "any question");
}

#[test]
fn check_reports_shortage_with_readable_message() {
    let pool: Vec<_> = (1..=3)
        .map(|uid| pq(uid, QuestionType::Multiple, "新民主主义革命时期/建党", 3))
        .collect();
    let bp = blueprint(vec![
        quota(None, None, Some(QuestionType::Single), 0),
        quota(
            Some("新民主主义革命时期"),
            Some(3),
            Some(QuestionType::Multiple),
            5,
        ),
    ]);
    let problems = check_blueprint(&bp, &pool);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].quota, Some(0));
    assert!(problems[0].message.contains("at least 1"));
    assert_eq!(
        problems[1],
        BlueprintProblem {
            quota: Some(1),
            message: "quota 2 (category 新民主主义革命时期, difficulty 3, type multiple) needs 5 questions, the banks have 3"
                .to_owned(),
            needed: 5,
            available: 3,
        }
    );
    assert_eq!(available_per_quota(&bp, &pool), vec![0, 3]);
}

#[test]
fn check_rejects_overlap_naming_both_quotas() {
    let pool = big_pool();
    let bp = blueprint(vec![
        quota(Some("党史/建党"), None, None, 2),
        quota(None, Some(1), None, 2),
        quota(Some("党史/抗战"), None, None, 2),
    ]);
    let problems = check_blueprint(&bp, &pool);
    // Difficulty 1 = uid % 5 == 0: 10 even (建党) and 10 odd (抗战) questions.
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(
        problems[0].message,
        "quota 1 (category 党史/建党) and quota 2 (difficulty 1) overlap: 10 questions match both; make the quotas disjoint"
    );
    assert_eq!((problems[0].quota, problems[0].available), (Some(1), 10));
    assert!(
        problems[1]
            .message
            .starts_with("quota 2 (difficulty 1) and quota 3 (category 党史/抗战) overlap")
    );
    assert_eq!(problems[1].quota, Some(2));
    let err = draw_paper(&mut PaperRng::new(1), &bp, &pool, &none_seen()).unwrap_err();
    assert_eq!(err, problems);
}

#[test]
fn check_rejects_empty_blueprint_and_accepts_good_one() {
    let pool = big_pool();
    let problems = check_blueprint(&blueprint(vec![]), &pool);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].quota, None);
    let good = blueprint(vec![
        quota(Some("党史/建党"), None, None, 50),
        quota(Some("党史/抗战"), Some(2), None, 10),
    ]);
    assert!(check_blueprint(&good, &pool).is_empty());
    assert_eq!(available_per_quota(&good, &pool), vec![50, 10]);
}

#[test]
fn unshuffled_paper_keeps_quota_order_and_ascending_uids() {
    let pool = big_pool();
    let bp = Blueprint {
        quotas: vec![
            quota(Some("党史/抗战"), None, None, 5),
            quota(Some("党史/建党"), None, None, 4),
        ],
        shuffle_questions: false,
        shuffle_options: false,
    };
    let paper = draw_paper(&mut PaperRng::new(9), &bp, &pool, &none_seen()).unwrap();
    let uids: Vec<i64> = paper.items.iter().map(|i| i.uid).collect();
    assert!(uids[..5].iter().all(|u| u % 2 == 1));
    assert!(uids[5..].iter().all(|u| u % 2 == 0));
    assert!(uids[..5].is_sorted() && uids[5..].is_sorted());
    assert!(paper.items.iter().all(|i| i.option_order == vec![0, 1, 2, 3]));
}

#[test]
fn option_orders_by_type() {
    let pool = vec![
        pq(1, QuestionType::Single, "a", 1),
        pq(2, QuestionType::Multiple, "a", 1),
        pq(3, QuestionType::TrueFalse, "a", 1),
        pq(4, QuestionType::Fill, "a", 1),
    ];
    let bp = blueprint(vec![quota(None, None, None, 4)]);
    let mut shuffled_any = false;
    for seed in 0..20 {
        let paper = draw_paper(&mut PaperRng::new(seed), &bp, &pool, &none_seen()).unwrap();
        for item in &paper.items {
            match item.uid {
                3 => assert_eq!(item.option_order, vec![0, 1]),
                4 => assert!(item.option_order.is_empty()),
                _ => {
                    let mut sorted = item.option_order.clone();
                    sorted.sort_unstable();
                    assert_eq!(sorted, vec![0, 1, 2, 3]);
                    shuffled_any |= item.option_order != vec![0, 1, 2, 3];
                }
            }
        }
    }
    assert!(shuffled_any);
}

#[test]
fn seen_questions_are_topped_up_only_when_the_bank_runs_out() {
    let pool = big_pool();
    let bp = blueprint(vec![quota(Some("党史/建党"), None, None, 10)]);
    // 45 of the 50 建党 questions were seen: the 5 unseen ones must all be drawn, plus 5 seen ones.
    let seen: HashSet<i64> = (1..=90).filter(|u| u % 2 == 0).collect();
    let paper = draw_paper(&mut PaperRng::new(3), &bp, &pool, &seen).unwrap();
    let uids: HashSet<i64> = paper.items.iter().map(|i| i.uid).collect();
    assert_eq!(uids.len(), 10);
    for unseen in [92, 94, 96, 98, 100] {
        assert!(uids.contains(&unseen));
    }
}

#[test]
fn a_paper_serializes_as_documented() {
    let bp: Blueprint =
        serde_json::from_str(r#"{"quotas":[{"category":"党史","type":"true_false","count":2}]}"#).unwrap();
    assert!(bp.shuffle_questions && bp.shuffle_options);
    assert_eq!(
        bp.quotas[0],
        quota(Some("党史"), None, Some(QuestionType::TrueFalse), 2)
    );
    let item = PaperItem {
        uid: 5,
        option_order: vec![1, 0],
    };
    assert_eq!(
        serde_json::to_string(&item).unwrap(),
        r#"{"uid":5,"option_order":[1,0]}"#
    );
}

#[test]
fn openapi_schema_lists_question_types() {
    let schema = serde_json::to_string(&<Quota as utoipa::PartialSchema>::schema()).unwrap();
    assert!(
        schema.contains("true_false") && schema.contains("\"type\""),
        "{schema}"
    );
}

#[test]
fn participants_get_different_papers() {
    let pool = big_pool();
    for shuffle_questions in [true, false] {
        let bp = Blueprint {
            quotas: vec![quota(None, None, None, 20)],
            shuffle_questions,
            shuffle_options: false,
        };
        let papers: HashSet<Vec<i64>> = (1..=117)
            .map(|p| {
                let paper =
                    draw_paper(&mut PaperRng::for_paper(2024, 1, p), &bp, &pool, &none_seen()).unwrap();
                paper.items.iter().map(|i| i.uid).collect()
            })
            .collect();
        assert!(papers.len() > 100, "{} distinct papers", papers.len());
    }
}

#[test]
fn every_question_can_be_drawn() {
    let pool = big_pool();
    let bp = blueprint(vec![quota(None, None, None, 10)]);
    let mut hits = BTreeMap::new();
    for p in 0..200 {
        let paper = draw_paper(&mut PaperRng::for_paper(1, 1, p), &bp, &pool, &none_seen()).unwrap();
        for item in paper.items {
            *hits.entry(item.uid).or_insert(0) += 1;
        }
    }
    // 2000 draws over 100 questions: each is expected 20 times.
    assert_eq!(hits.len(), 100);
    assert!(hits.values().all(|&n| (5..=40).contains(&n)), "{hits:?}");
}

const CATEGORIES: [&str; 5] = ["a", "a/x", "a/y", "b", "b/z"];

fn arb_pool() -> impl Strategy<Value = Vec<PoolQuestion>> {
    let question = (0usize..4, 0usize..5, 1u8..=3, 2usize..=6);
    (
        proptest::collection::btree_set(0i64..10_000, 1..80),
        proptest::collection::vec(question, 80),
    )
        .prop_map(|(uids, attrs)| {
            uids.into_iter()
                .zip(attrs)
                .map(|(uid, (t, c, difficulty, options))| {
                    let qtype = QuestionType::ALL[t];
                    let option_count = match qtype {
                        QuestionType::Single | QuestionType::Multiple => options,
                        QuestionType::TrueFalse => 2,
                        QuestionType::Fill => 0,
                    };
                    PoolQuestion {
                        uid,
                        qtype,
                        category: CATEGORIES[c].to_owned(),
                        difficulty,
                        option_count,
                        links: DrawLinks::default(),
                    }
                })
                .collect()
        })
}

/// Disjoint cell families: every quota of a blueprint is one cell of one family.
fn cells(family: usize) -> Vec<Quota> {
    match family {
        0 => (1..=3)
            .flat_map(|d| ["a", "b"].map(|c| quota(Some(c), Some(d), None, 0)))
            .collect(),
        1 => QuestionType::ALL.map(|t| quota(None, None, Some(t), 0)).to_vec(),
        2 => ["a/x", "a/y", "b"]
            .map(|c| quota(Some(c), None, None, 0))
            .to_vec(),
        _ => vec![quota(None, None, None, 0)],
    }
}

/// A pool plus a blueprint that passes check_blueprint (when any cell has questions).
fn arb_case() -> impl Strategy<Value = (Vec<PoolQuestion>, Blueprint)> {
    (
        arb_pool(),
        0usize..4,
        proptest::collection::vec((any::<bool>(), 0.0f64..1.0), 8),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(pool, family, picks, shuffle_questions, shuffle_options)| {
            let mut quotas = Vec::new();
            for (mut cell, (take, fraction)) in cells(family).into_iter().zip(picks) {
                let available = pool.iter().filter(|q| cell.matches(q)).count();
                if take && available > 0 {
                    cell.count = 1 + (fraction * available as f64) as usize % available;
                    quotas.push(cell);
                }
            }
            let bp = Blueprint {
                quotas,
                shuffle_questions,
                shuffle_options,
            };
            (pool, bp)
        })
        .prop_filter("blueprint has quotas", |(_, bp)| !bp.quotas.is_empty())
}

fn quota_of(bp: &Blueprint, pool: &[PoolQuestion], uid: i64) -> usize {
    let q = pool.iter().find(|q| q.uid == uid).unwrap();
    let matching: Vec<usize> = (0..bp.quotas.len())
        .filter(|&i| bp.quotas[i].matches(q))
        .collect();
    assert_eq!(matching.len(), 1, "uid {uid} matches quotas {matching:?}");
    matching[0]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn drawn_papers_meet_their_blueprint(
        (pool, bp) in arb_case(),
        seed in any::<u64>(),
        seen_mask in proptest::collection::vec(any::<bool>(), 80),
        rotation in 0usize..80,
    ) {
        prop_assert!(check_blueprint(&bp, &pool).is_empty());
        let seen: HashSet<i64> = pool.iter().zip(&seen_mask).filter(|(_, s)| **s).map(|(q, _)| q.uid).collect();
        let paper = draw_paper(&mut PaperRng::new(seed), &bp, &pool, &seen).unwrap();

        // Exact counts per quota, no duplicates, seen questions only when the unseen ran out.
        prop_assert_eq!(paper.items.len(), bp.total());
        let uids: HashSet<i64> = paper.items.iter().map(|i| i.uid).collect();
        prop_assert_eq!(uids.len(), paper.items.len());
        for (i, quota) in bp.quotas.iter().enumerate() {
            let drawn: Vec<i64> = paper.items.iter().map(|it| it.uid).filter(|&u| quota_of(&bp, &pool, u) == i).collect();
            prop_assert_eq!(drawn.len(), quota.count);
            let unseen_available = pool.iter().filter(|q| quota.matches(q) && !seen.contains(&q.uid)).count();
            let seen_drawn = drawn.iter().filter(|u| seen.contains(u)).count();
            prop_assert_eq!(seen_drawn, quota.count.saturating_sub(unseen_available));
        }

        // Option orders are permutations, identity where options are never shuffled.
        for item in &paper.items {
            let q = pool.iter().find(|q| q.uid == item.uid).unwrap();
            let mut sorted = item.option_order.clone();
            sorted.sort_unstable();
            prop_assert_eq!(sorted, (0..q.option_count).collect::<Vec<_>>());
            if !bp.shuffle_options || q.qtype == QuestionType::TrueFalse {
                prop_assert_eq!(&item.option_order, &(0..q.option_count).collect::<Vec<_>>());
            }
        }
        if !bp.shuffle_questions {
            let quotas: Vec<usize> = paper.items.iter().map(|it| quota_of(&bp, &pool, it.uid)).collect();
            prop_assert!(quotas.is_sorted());
        }

        // Deterministic, and independent of the pool's order.
        let again = draw_paper(&mut PaperRng::new(seed), &bp, &pool, &seen).unwrap();
        prop_assert_eq!(&again, &paper);
        let mut rotated = pool.clone();
        let len = rotated.len();
        rotated.rotate_left(rotation % len);
        rotated.reverse();
        let reordered = draw_paper(&mut PaperRng::new(seed), &bp, &rotated, &seen).unwrap();
        prop_assert_eq!(&reordered, &paper);
    }

    #[test]
    fn draw_fails_exactly_when_check_fails(
        pool in arb_pool(),
        raw in proptest::collection::vec((proptest::option::of(0usize..5), proptest::option::of(1u8..=3),
            proptest::option::of(0usize..4), 0usize..12), 0..4),
        seed in any::<u64>(),
    ) {
        let bp = blueprint(raw.into_iter().map(|(c, d, t, count)| Quota {
            category: c.map(|c| CATEGORIES[c].to_owned()),
            difficulty: d,
            qtype: t.map(|t| QuestionType::ALL[t]),
            count,
        }).collect());
        let problems = check_blueprint(&bp, &pool);
        let available = available_per_quota(&bp, &pool);
        prop_assert_eq!(available.len(), bp.quotas.len());
        for (quota, &n) in bp.quotas.iter().zip(&available) {
            if n < quota.count || quota.count == 0 {
                prop_assert!(!problems.is_empty());
            }
        }
        match draw_paper(&mut PaperRng::new(seed), &bp, &pool, &HashSet::new()) {
            Ok(paper) => {
                prop_assert!(problems.is_empty());
                prop_assert_eq!(paper.items.len(), bp.total());
            }
            Err(err) => prop_assert_eq!(err, problems),
        }
    }

    #[test]
    fn below_stays_below(seed in any::<u64>(), n in 1u64..) {
        let mut rng = PaperRng::new(seed);
        for _ in 0..16 {
            prop_assert!(rng.below(n) < n);
        }
    }
}
