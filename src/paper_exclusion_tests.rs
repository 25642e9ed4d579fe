//! Exclusion sets in the draw: unit tests on small pools and properties checked against independent, naive
//! reference implementations (the link components, the old plain draw, a brute-force feasibility test).

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;

fn linked(uid: i64, category: &str, group: Option<&str>, excludes: &[&str]) -> PoolQuestion {
    PoolQuestion {
        uid,
        qtype: QuestionType::Single,
        category: category.to_owned(),
        difficulty: 1,
        option_count: 4,
        links: DrawLinks {
            bank_id: "bank".to_owned(),
            id: format!("q{uid}"),
            group: group.map(str::to_owned),
            excludes: excludes.iter().map(|s| (*s).to_owned()).collect(),
        },
    }
}

fn quota(category: &str, count: usize) -> Quota {
    Quota {
        category: Some(category.to_owned()),
        difficulty: None,
        qtype: None,
        count,
    }
}

fn blueprint(quotas: Vec<Quota>) -> Blueprint {
    Blueprint {
        quotas,
        shuffle_questions: false,
        shuffle_options: false,
    }
}

fn uids(paper: &Paper) -> Vec<i64> {
    paper.items.iter().map(|i| i.uid).collect()
}

fn draw(
    seed: u64,
    bp: &Blueprint,
    pool: &[PoolQuestion],
    seen: &[i64],
) -> Result<Paper, Vec<BlueprintProblem>> {
    let seen: HashSet<i64> = seen.iter().copied().collect();
    draw_paper(&mut PaperRng::new(seed), bp, pool, &seen)
}

#[test]
fn a_question_of_another_quota_is_left_for_the_quota_that_needs_it() {
    // q1 excludes q3; quota 1 could take q1 or q2, quota 2 has only q3: every seed must draw q2 and q3.
    let pool = vec![
        linked(1, "a", None, &["q3"]),
        linked(2, "a", None, &[]),
        linked(3, "b", None, &[]),
    ];
    let bp = blueprint(vec![quota("a", 1), quota("b", 1)]);
    assert!(check_blueprint(&bp, &pool).is_empty());
    for seed in 0..64 {
        assert_eq!(uids(&draw(seed, &bp, &pool, &[]).unwrap()), [2, 3], "seed {seed}");
    }
}

#[test]
fn a_group_gives_one_question_per_paper_and_links_are_transitive() {
    // q1, q2, q3 share a group; q4 excludes q1 (so q4 is in the same set); q5 is free.
    let pool = vec![
        linked(1, "a", Some("警察节"), &[]),
        linked(2, "a", Some("警察节"), &[]),
        linked(3, "a", Some("警察节"), &[]),
        linked(4, "a", None, &["q1"]),
        linked(5, "a", None, &[]),
    ];
    let bp = blueprint(vec![quota("a", 2)]);
    assert_eq!(available_per_quota(&bp, &pool), [2]);
    for seed in 0..64 {
        let drawn = uids(&draw(seed, &bp, &pool, &[]).unwrap());
        assert!(drawn.contains(&5), "seed {seed}: {drawn:?}");
    }
    let too_many = blueprint(vec![quota("a", 3)]);
    let problems = check_blueprint(&too_many, &pool);
    assert_eq!(
        problems,
        [BlueprintProblem {
            quota: Some(0),
            message: "quota 1 (category a) needs 3 questions, the banks have 5, but only 2 of them can share a paper: \
                      questions that exclude each other (`excludes`, `group`) count once"
                .to_owned(),
            needed: 3,
            available: 2,
        }]
    );
    assert_eq!(draw(1, &too_many, &pool, &[]).unwrap_err(), problems);
}

#[test]
fn quotas_sharing_exclusion_sets_are_named_together() {
    // Two sets, each with a question in both quotas: each quota alone could take 2, together only 2.
    let pool = vec![
        linked(1, "a", Some("x"), &[]),
        linked(2, "b", Some("x"), &[]),
        linked(3, "a", Some("y"), &[]),
        linked(4, "b", Some("y"), &[]),
        linked(5, "c", None, &[]),
    ];
    let bp = blueprint(vec![quota("a", 2), quota("c", 1), quota("b", 1)]);
    let problems = check_blueprint(&bp, &pool);
    assert_eq!(
        problems,
        [BlueprintProblem {
            quota: Some(2),
            message: "quota 1 (category a) and quota 3 (category b) need 3 questions together, but their questions \
                      exclude each other (`excludes`, `group`) so that only 2 of them can share a paper; lower a \
                      count or make the quotas not share exclusions"
                .to_owned(),
            needed: 3,
            available: 2,
        }]
    );
    let fits = blueprint(vec![quota("a", 1), quota("c", 1), quota("b", 1)]);
    assert!(check_blueprint(&fits, &pool).is_empty());
    for seed in 0..32 {
        let drawn = uids(&draw(seed, &fits, &pool, &[]).unwrap());
        assert_eq!(drawn.len(), 3);
        let both = |a: i64, b: i64| drawn.contains(&a) && drawn.contains(&b);
        assert!(!both(1, 2) && !both(3, 4), "{drawn:?}");
    }
}

#[test]
fn links_are_per_bank() {
    let mut other = linked(2, "a", Some("g"), &[]);
    other.links.bank_id = "other".to_owned();
    let mut named = linked(3, "a", None, &[]);
    named.links.bank_id = "other".to_owned();
    // Same group name in another bank, and an exclusion naming an id that only the other bank has: no links.
    let pool = vec![linked(1, "a", Some("g"), &["q3"]), other, named];
    assert_eq!(available_per_quota(&blueprint(vec![quota("a", 3)]), &pool), [3]);
    assert_eq!(
        draw(4, &blueprint(vec![quota("a", 3)]), &pool, &[])
            .unwrap()
            .items
            .len(),
        3
    );
}

#[test]
fn what_an_earlier_round_gave_away_counts_as_seen() {
    // q1 was asked in an earlier round; q2 states its answer. Fresh q3 goes first; q2 only as a top-up.
    let pool = vec![
        linked(1, "a", None, &[]),
        linked(2, "a", None, &["q1"]),
        linked(3, "a", None, &[]),
    ];
    for seed in 0..32 {
        assert_eq!(
            uids(&draw(seed, &blueprint(vec![quota("a", 1)]), &pool, &[1]).unwrap()),
            [3]
        );
        // Two needed: q3 and one of the seen set {q1, q2}, never both.
        let drawn = uids(&draw(seed, &blueprint(vec![quota("a", 2)]), &pool, &[1]).unwrap());
        assert!(drawn.contains(&3) && drawn.len() == 2, "{drawn:?}");
    }
}

// ---- properties ----------------------------------------------------------------------------------------------

const CATEGORIES: [&str; 3] = ["a", "b", "c"];

/// Up to `max` questions in 3 categories and 2 banks; with `links`, random groups and exclusions (some naming
/// ids of the other bank or of nothing).
fn arb_pool(max: usize, links: bool) -> impl Strategy<Value = Vec<PoolQuestion>> {
    let one = (
        0usize..3,
        0usize..2,
        proptest::option::weighted(0.3, 0usize..3),
        proptest::collection::vec(0usize..(max + 2), 0..3),
    );
    (
        proptest::collection::btree_set(0i64..1000, 1..=max),
        proptest::collection::vec(one, max),
    )
        .prop_map(move |(uids, attrs)| {
            let uids: Vec<i64> = uids.into_iter().collect();
            (uids.iter().zip(&attrs))
                .map(|(&uid, (category, bank, group, excludes))| PoolQuestion {
                    uid,
                    qtype: QuestionType::Single,
                    category: CATEGORIES[*category].to_owned(),
                    difficulty: 1,
                    option_count: 4,
                    links: DrawLinks {
                        bank_id: format!("bank{bank}"),
                        id: format!("q{uid}"),
                        group: group.filter(|_| links).map(|g| format!("g{g}")),
                        excludes: (excludes.iter())
                            .filter(|_| links)
                            .map(|&k| uids.get(k).map_or("nothing".to_owned(), |u| format!("q{u}")))
                            .collect(),
                    },
                })
                .collect()
        })
}

fn arb_blueprint(max_count: usize) -> impl Strategy<Value = Blueprint> {
    (proptest::collection::vec(0usize..=max_count, 3), any::<bool>()).prop_map(
        |(counts, shuffle_questions)| {
            let quotas = (CATEGORIES.iter().zip(counts))
                .filter(|(_, count)| *count > 0)
                .map(|(c, count)| quota(c, count))
                .collect();
            Blueprint {
                quotas,
                shuffle_questions,
                shuffle_options: true,
            }
        },
    )
}

/// Reference: the exclusion set of every pool question, by breadth-first search over naively found links.
fn reference_sets(pool: &[PoolQuestion]) -> Vec<usize> {
    let linked = |a: &PoolQuestion, b: &PoolQuestion| {
        a.links.bank_id == b.links.bank_id
            && (a.links.excludes.contains(&b.links.id)
                || b.links.excludes.contains(&a.links.id)
                || (a.links.group.is_some() && a.links.group == b.links.group))
    };
    let mut set = vec![usize::MAX; pool.len()];
    for start in 0..pool.len() {
        if set[start] != usize::MAX {
            continue;
        }
        set[start] = start;
        let mut queue = vec![start];
        while let Some(i) = queue.pop() {
            for j in 0..pool.len() {
                if set[j] == usize::MAX && linked(&pool[i], &pool[j]) {
                    set[j] = start;
                    queue.push(j);
                }
            }
        }
    }
    set
}

/// Reference: is there any selection meeting every quota exactly with at most one question per set?
fn brute_force_fillable(bp: &Blueprint, pool: &[PoolQuestion]) -> bool {
    let sets = reference_sets(pool);
    (0u32..1 << pool.len()).any(|mask| {
        let chosen: Vec<usize> = (0..pool.len()).filter(|i| mask & (1 << i) != 0).collect();
        let distinct: HashSet<usize> = chosen.iter().map(|&i| sets[i]).collect();
        distinct.len() == chosen.len()
            && chosen
                .iter()
                .all(|&i| bp.quotas.iter().any(|q| q.matches(&pool[i])))
            && (bp.quotas.iter()).all(|q| chosen.iter().filter(|&&i| q.matches(&pool[i])).count() == q.count)
    })
}

/// Reference: the draw as it was before exclusion sets (partial Fisher–Yates over unseen, then seen questions).
fn plain_draw(seed: u64, bp: &Blueprint, pool: &[PoolQuestion], seen: &HashSet<i64>) -> Vec<i64> {
    let mut rng = PaperRng::new(seed);
    let mut sorted: Vec<&PoolQuestion> = pool.iter().collect();
    sorted.sort_by_key(|q| q.uid);
    let mut picked = Vec::new();
    for quota in &bp.quotas {
        let start = picked.len();
        let (mut fresh, mut repeats): (Vec<i64>, Vec<i64>) = (sorted.iter())
            .filter(|q| quota.matches(q))
            .map(|q| q.uid)
            .partition(|uid| !seen.contains(uid));
        let mut need = quota.count;
        for list in [&mut fresh, &mut repeats] {
            let k = need.min(list.len());
            for i in 0..k {
                let j = i + rng.below((list.len() - i) as u64) as usize;
                list.swap(i, j);
            }
            picked.extend_from_slice(&list[..k]);
            need -= k;
        }
        if !bp.shuffle_questions {
            picked[start..].sort_unstable();
        }
    }
    if bp.shuffle_questions {
        rng.shuffle(&mut picked);
    }
    picked
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_prepared_pool_draws_the_same_papers(
        pool in arb_pool(40, true),
        bp in arb_blueprint(8),
        seed in any::<u64>(),
        seen_mask in proptest::collection::vec(any::<bool>(), 40),
    ) {
        prop_assume!(!bp.quotas.is_empty() && check_blueprint(&bp, &pool).is_empty());
        let seen: HashSet<i64> = pool.iter().zip(&seen_mask).filter(|(_, s)| **s).map(|(q, _)| q.uid).collect();
        let mut shuffled = pool.clone();
        shuffled.reverse();
        let prepared = PreparedPool::new(&shuffled);
        let direct = draw_paper(&mut PaperRng::new(seed), &bp, &pool, &seen);
        let from_prepared = draw_prepared_paper(&mut PaperRng::new(seed), &bp, &prepared, &seen);
        prop_assert_eq!(direct, from_prepared);
    }

    #[test]
    fn no_paper_holds_two_questions_of_one_exclusion_set(
        pool in arb_pool(40, true),
        bp in arb_blueprint(8),
        seed in any::<u64>(),
        seen_mask in proptest::collection::vec(any::<bool>(), 40),
    ) {
        prop_assume!(!bp.quotas.is_empty());
        let seen: HashSet<i64> = pool.iter().zip(&seen_mask).filter(|(_, s)| **s).map(|(q, _)| q.uid).collect();
        let problems = check_blueprint(&bp, &pool);
        let result = draw_paper(&mut PaperRng::new(seed), &bp, &pool, &seen);
        let paper = match result {
            Err(err) => {
                prop_assert!(!problems.is_empty());
                prop_assert_eq!(err, problems);
                return Ok(());
            }
            Ok(paper) => paper,
        };
        prop_assert!(problems.is_empty());
        let sets = reference_sets(&pool);
        let set_of = |uid: i64| sets[pool.iter().position(|q| q.uid == uid).unwrap()];
        let drawn: Vec<i64> = uids(&paper);
        let distinct: HashSet<usize> = drawn.iter().map(|&u| set_of(u)).collect();
        prop_assert_eq!(distinct.len(), drawn.len(), "two questions of one set: {:?}", drawn);
        for quota in &bp.quotas {
            let n = drawn.iter().filter(|&&u| quota.matches(pool.iter().find(|q| q.uid == u).unwrap())).count();
            prop_assert_eq!(n, quota.count);
        }
        // A set met in an earlier round is drawn from only when the quota cannot be filled without it (with one
        // quota nothing else competes for the sets, so this is exact).
        if let [quota] = bp.quotas.as_slice() {
            let seen_sets: HashSet<usize> = seen.iter().map(|&u| set_of(u)).collect();
            let fresh_sets: HashSet<usize> = (pool.iter())
                .filter(|q| quota.matches(q) && !seen_sets.contains(&set_of(q.uid)))
                .map(|q| set_of(q.uid))
                .collect();
            let repeats = drawn.iter().filter(|&&u| seen_sets.contains(&set_of(u))).count();
            prop_assert_eq!(repeats, quota.count.saturating_sub(fresh_sets.len()));
        }
        // The same seed gives the same paper, whatever the pool's order.
        let mut reordered = pool.clone();
        reordered.reverse();
        let again = draw_paper(&mut PaperRng::new(seed), &bp, &reordered, &seen).unwrap();
        prop_assert_eq!(again, paper);
    }

    #[test]
    fn the_check_is_exact(pool in arb_pool(11, true), bp in arb_blueprint(4), seed in any::<u64>()) {
        prop_assume!(!bp.quotas.is_empty());
        let fillable = brute_force_fillable(&bp, &pool);
        let problems = check_blueprint(&bp, &pool);
        prop_assert_eq!(problems.is_empty(), fillable, "{:?}", problems);
        prop_assert_eq!(draw_paper(&mut PaperRng::new(seed), &bp, &pool, &HashSet::new()).is_ok(), fillable);
    }

    #[test]
    fn without_links_the_draw_is_the_plain_partial_fisher_yates(
        pool in arb_pool(40, false),
        bp in arb_blueprint(12),
        seed in any::<u64>(),
        seen_mask in proptest::collection::vec(any::<bool>(), 40),
    ) {
        // Counts within what each category has, so that (without links) the blueprint can be filled.
        let mut bp = bp;
        for quota in &mut bp.quotas {
            quota.count = quota.count.min(pool.iter().filter(|q| quota.matches(q)).count());
        }
        bp.quotas.retain(|q| q.count > 0);
        if bp.quotas.is_empty() {
            return Ok(());
        }
        prop_assert!(check_blueprint(&bp, &pool).is_empty());
        let seen: HashSet<i64> = pool.iter().zip(&seen_mask).filter(|(_, s)| **s).map(|(q, _)| q.uid).collect();
        let paper = draw_paper(&mut PaperRng::new(seed), &bp, &pool, &seen).unwrap();
        prop_assert_eq!(uids(&paper), plain_draw(seed, &bp, &pool, &seen));
    }
}
