//! Edge cases (one participant, no spread, unanswered and ungiven items, different papers), the flag
//! thresholds, and the matrix's validation.

use super::*;

fn right(max: f64) -> Option<Cell> {
    Some(Cell {
        answered: true,
        score: max,
        max_score: max,
        chosen: vec![0],
        time_ms: Some(1000),
    })
}

fn wrong(max: f64) -> Option<Cell> {
    Some(Cell {
        answered: true,
        score: 0.0,
        max_score: max,
        chosen: vec![1],
        time_ms: Some(3000),
    })
}

fn item(id: i64) -> ItemSpec {
    ItemSpec {
        id,
        option_count: 2,
        key: vec![0],
    }
}

fn matrix(items: usize, rows: Vec<Vec<Option<Cell>>>) -> ResponseMatrix {
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(p, cells)| Row {
            participant: p as i64 + 1,
            cells,
        })
        .collect();
    ResponseMatrix::new((1..=items as i64).map(item).collect(), rows).expect("valid matrix")
}

/// Every number of an analysis, to check that none is NaN or infinite.
fn numbers(a: &Analysis) -> Vec<f64> {
    let p = &a.paper;
    let mut out: Vec<f64> = [p.mean, p.sd, p.mean_max, p.alpha, p.sem]
        .into_iter()
        .flatten()
        .collect();
    for i in &a.items {
        out.extend(
            [
                i.facility,
                i.fully_correct,
                i.discrimination,
                i.upper_lower,
                i.mean_time_ms,
            ]
            .into_iter()
            .flatten(),
        );
        for s in i.options.iter().map(|o| &o.chosen).chain([&i.omitted]) {
            out.extend([s.share, s.upper, s.lower].into_iter().flatten());
        }
    }
    out
}

#[track_caller]
fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.unwrap_or_else(|| panic!("expected {expected}, got None"));
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}

#[test]
fn a_single_participant_has_facility_but_no_spread_statistics() {
    let a = analyse(&matrix(2, vec![vec![right(1.0), wrong(1.0)]]));
    assert_eq!(a.paper.n, 1);
    close(a.paper.mean, 1.0);
    assert_eq!((a.paper.sd, a.paper.alpha, a.paper.sem), (None, None, None));
    assert_eq!(a.paper.alpha_basis, AlphaBasis::None);
    let [first, second] = &a.items[..] else {
        panic!("two items")
    };
    close(first.facility, 1.0);
    close(second.facility, 0.0);
    for i in [first, second] {
        assert_eq!(i.discrimination, None);
        assert_eq!(i.upper_lower, None);
        assert_eq!(i.group_size, None);
        assert!(
            i.options
                .iter()
                .all(|o| o.chosen.upper.is_none() && o.chosen.lower.is_none())
        );
    }
    // The facility flags still apply (documented): with one participant an item is all or nothing.
    assert_eq!(first.flags, vec![Flag::VeryEasy]);
    assert_eq!(second.flags, vec![Flag::VeryHard]);
    assert!(numbers(&a).iter().all(|x| x.is_finite()));
}

#[test]
fn zero_variance_leaves_alpha_and_correlations_undefined() {
    // Everyone gets everything right: every total is 2, no item and no total varies.
    let a = analyse(&matrix(2, vec![vec![right(1.0), right(1.0)]; 4]));
    close(a.paper.sd, 0.0);
    assert_eq!((a.paper.alpha, a.paper.sem), (None, None));
    assert_eq!(a.paper.alpha_basis, AlphaBasis::None);
    assert_eq!(a.paper.alpha_items, 0);
    for i in &a.items {
        assert_eq!(i.discrimination, None);
        // Everyone tied: each of the 4 is in both groups (g = 1) with weight 1/4; upper − lower = 0.
        close(i.upper_lower, 0.0);
        assert_eq!(i.flags, vec![Flag::VeryEasy]);
    }
    // Items vary but the totals do not (one right answer each, on different items): α undefined too.
    let a = analyse(&matrix(
        2,
        vec![vec![right(1.0), wrong(1.0)], vec![wrong(1.0), right(1.0)]],
    ));
    assert_eq!(a.paper.alpha, None);
    // The item and the rest of the paper still vary (x = 1, 0 against rest = 0, 1): r = −1.
    close(a.items[0].discrimination, -1.0);
    assert!(numbers(&a).iter().all(|x| x.is_finite()));
}

#[test]
fn an_item_nobody_answered_and_an_item_nobody_was_given() {
    // Three participants; item 2 given to all, answered by none; item 3 given to nobody.
    let a = analyse(&matrix(
        3,
        vec![
            vec![right(1.0), Some(Cell::unanswered(1.0)), None],
            vec![wrong(1.0), Some(Cell::unanswered(1.0)), None],
            vec![right(1.0), Some(Cell::unanswered(1.0)), None],
        ],
    ));
    let unanswered = &a.items[1];
    assert_eq!((unanswered.n, unanswered.answered), (3, 0));
    close(unanswered.facility, 0.0);
    close(unanswered.fully_correct, 0.0);
    assert_eq!(unanswered.discrimination, None);
    assert_eq!(unanswered.mean_time_ms, None);
    assert_eq!(unanswered.omitted.count, 3);
    close(unanswered.omitted.share, 1.0);
    assert_eq!(unanswered.flags, vec![Flag::VeryHard, Flag::NoAnswers]);

    let ungiven = &a.items[2];
    assert_eq!((ungiven.n, ungiven.answered), (0, 0));
    assert_eq!(
        (
            ungiven.facility,
            ungiven.fully_correct,
            ungiven.discrimination,
            ungiven.upper_lower
        ),
        (None, None, None, None)
    );
    assert!(
        ungiven
            .options
            .iter()
            .all(|o| o.chosen.count == 0 && o.chosen.share.is_none())
    );
    assert_eq!(ungiven.flags, vec![]);
    // The paper counts only items given to someone; everyone was given the same two.
    assert_eq!((a.paper.items, a.paper.same_items), (2, true));
    assert!(numbers(&a).iter().all(|x| x.is_finite()));
}

#[test]
fn different_papers_use_each_items_own_population_and_alpha_of_the_common_items() {
    // I1, I2 on every paper; I3 only for P1, P2; I4 only for P3, P4.
    //      I1 I2 I3 I4 | T
    //  P1   1  1  1  – | 3
    //  P2   1  0  0  – | 1
    //  P3   0  0  –  1 | 1
    //  P4   1  1  –  0 | 2
    let a = analyse(&matrix(
        4,
        vec![
            vec![right(1.0), right(1.0), right(1.0), None],
            vec![right(1.0), wrong(1.0), wrong(1.0), None],
            vec![wrong(1.0), wrong(1.0), None, right(1.0)],
            vec![right(1.0), right(1.0), None, wrong(1.0)],
        ],
    ));
    let p = &a.paper;
    assert_eq!((p.n, p.items, p.same_items), (4, 4, false));
    // Mean total (7/4) over each participant's own items.
    close(p.mean, 7.0 / 4.0);
    // α over the common items I1, I2. Sums 2, 1, 0, 2 (mean 5/4): Σd² = (9 + 1 + 25 + 9)/16 = 11/4 → 11/12.
    // I1 1,1,0,1: Σd² = 3/16 + 9/16 = 3/4 → 1/4. I2 1,0,0,1: Σd² = 1 → 1/3. Σ = 7/12.
    // α = 2/1 · (1 − (7/12)/(11/12)) = 2 · 4/11 = 8/11.
    assert_eq!(p.alpha_basis, AlphaBasis::CommonItems);
    assert_eq!(p.alpha_items, 2);
    close(p.alpha, 8.0 / 11.0);
    // SEM = √(11/12) · √(3/11) = √(1/4) = 1/2.
    close(p.sem, 0.5);
    // I3 over P1, P2 only: facility 1/2; x = 1, 0 with rest 2, 1: r = 1; groups of 1: P1 (3) over P2 (1).
    let i3 = &a.items[2];
    assert_eq!(i3.n, 2);
    close(i3.facility, 0.5);
    close(i3.discrimination, 1.0);
    close(i3.upper_lower, 1.0);
    // I4 over P3, P4: x = 1, 0 with rest 0, 2: r = −1; upper P4 (total 2) scored 0, lower P3 (1) scored 1.
    // The upper group (P4) chose the wrong option 1, the key 0 nobody of it: the distractor is flagged too.
    let i4 = &a.items[3];
    close(i4.discrimination, -1.0);
    close(i4.upper_lower, -1.0);
    assert_eq!(
        i4.flags,
        vec![
            Flag::NegativeDiscrimination,
            Flag::DistractorBeatsKey { option: 1 }
        ]
    );
}

#[test]
fn fewer_than_two_common_items_means_no_alpha() {
    // P1 got I1, I2; P2 got I1, I3: one common item.
    let a = analyse(&matrix(
        3,
        vec![
            vec![right(1.0), wrong(1.0), None],
            vec![wrong(1.0), None, right(1.0)],
        ],
    ));
    assert!(!a.paper.same_items);
    assert_eq!((a.paper.alpha, a.paper.sem), (None, None));
    assert_eq!(a.paper.alpha_basis, AlphaBasis::None);
    // The totals (1, 1) still have a mean and an SD.
    close(a.paper.mean, 1.0);
    close(a.paper.sd, 0.0);
}

#[test]
fn an_empty_matrix_has_nothing_to_say() {
    let a = analyse(&ResponseMatrix::new(vec![], vec![]).expect("empty"));
    assert_eq!(a.paper.n, 0);
    assert_eq!((a.paper.mean, a.paper.sd, a.paper.alpha), (None, None, None));
    assert!(a.items.is_empty());
}

fn stats_with(facility: Option<f64>, discrimination: Option<f64>) -> ItemStats {
    let share = |upper: f64| Share {
        count: 1,
        share: Some(0.5),
        upper: Some(upper),
        lower: Some(0.0),
    };
    ItemStats {
        id: 1,
        n: 20,
        answered: 20,
        facility,
        fully_correct: facility,
        discrimination,
        upper_lower: None,
        group_size: Some(5),
        mean_time_ms: None,
        options: vec![
            OptionStats {
                option: 0,
                is_key: true,
                chosen: share(0.6),
            },
            OptionStats {
                option: 1,
                is_key: false,
                chosen: share(0.6),
            },
        ],
        omitted: share(0.0),
        flags: vec![],
    }
}

#[test]
fn flag_thresholds_are_inclusive_where_documented() {
    // Facility: ≤ 5% and ≥ 95% (1/20 and 19/20 exactly are flagged, just inside is not).
    assert_eq!(
        flags_of(&stats_with(Some(1.0 / 20.0), Some(0.5))),
        vec![Flag::VeryHard]
    );
    assert_eq!(flags_of(&stats_with(Some(0.051), Some(0.5))), vec![]);
    assert_eq!(
        flags_of(&stats_with(Some(19.0 / 20.0), Some(0.5))),
        vec![Flag::VeryEasy]
    );
    assert_eq!(flags_of(&stats_with(Some(0.949), Some(0.5))), vec![]);
    // Discrimination: < 0 negative, 0 ≤ r < 0.2 low, 0.2 fine, undefined says nothing.
    assert_eq!(
        flags_of(&stats_with(Some(0.5), Some(-0.01))),
        vec![Flag::NegativeDiscrimination]
    );
    assert_eq!(
        flags_of(&stats_with(Some(0.5), Some(0.0))),
        vec![Flag::LowDiscrimination]
    );
    assert_eq!(
        flags_of(&stats_with(Some(0.5), Some(0.199))),
        vec![Flag::LowDiscrimination]
    );
    assert_eq!(flags_of(&stats_with(Some(0.5), Some(0.2))), vec![]);
    assert_eq!(flags_of(&stats_with(Some(0.5), None)), vec![]);
}

#[test]
fn a_distractor_is_flagged_only_when_strictly_above_the_key_in_the_upper_group() {
    // Equal upper shares (0.6 and 0.6): not flagged.
    let mut s = stats_with(Some(0.5), Some(0.5));
    assert_eq!(flags_of(&s), vec![]);
    s.options[1].chosen.upper = Some(0.61);
    assert_eq!(flags_of(&s), vec![Flag::DistractorBeatsKey { option: 1 }]);
    // A multiple-choice key: compared with the key option the upper group chose least.
    s.options.push(OptionStats {
        option: 2,
        is_key: true,
        chosen: Share {
            count: 1,
            share: Some(0.1),
            upper: Some(0.3),
            lower: Some(0.0),
        },
    });
    s.options[1].chosen.upper = Some(0.4);
    assert_eq!(flags_of(&s), vec![Flag::DistractorBeatsKey { option: 1 }]);
    // Without groups there is nothing to compare.
    for o in &mut s.options {
        o.chosen.upper = None;
    }
    assert_eq!(flags_of(&s), vec![]);
}

#[test]
fn the_matrix_refuses_inconsistent_cells() {
    let row = |cells| Row {
        participant: 7,
        cells,
    };
    let bad = |cell: Cell| ResponseMatrix::new(vec![item(1)], vec![row(vec![Some(cell)])]);
    let base = right(1.0).expect("cell");
    assert_eq!(
        ResponseMatrix::new(vec![item(1)], vec![row(vec![])]),
        Err(MatrixError::RowLength {
            participant: 7,
            got: 0,
            expected: 1
        })
    );
    assert_eq!(
        bad(Cell {
            score: 1.5,
            ..base.clone()
        }),
        Err(MatrixError::BadScore {
            participant: 7,
            item: 1
        })
    );
    assert_eq!(
        bad(Cell {
            score: f64::NAN,
            ..base.clone()
        }),
        Err(MatrixError::BadScore {
            participant: 7,
            item: 1
        })
    );
    assert_eq!(
        bad(Cell {
            max_score: 0.0,
            score: 0.0,
            ..base.clone()
        }),
        Err(MatrixError::BadMax {
            participant: 7,
            item: 1
        })
    );
    assert_eq!(
        bad(Cell {
            chosen: vec![2],
            ..base.clone()
        }),
        Err(MatrixError::BadOption {
            participant: 7,
            item: 1,
            option: 2,
            option_count: 2
        })
    );
    assert_eq!(
        bad(Cell {
            answered: false,
            ..base.clone()
        }),
        Err(MatrixError::UnansweredWithContent {
            participant: 7,
            item: 1
        })
    );
    let key_out = ItemSpec {
        id: 9,
        option_count: 2,
        key: vec![5],
    };
    assert_eq!(
        ResponseMatrix::new(vec![key_out], vec![]),
        Err(MatrixError::BadKey {
            item: 9,
            option: 5,
            option_count: 2
        })
    );
    // Choices are normalised: order and repeats do not matter.
    let m = ResponseMatrix::new(
        vec![ItemSpec {
            id: 1,
            option_count: 3,
            key: vec![2, 0, 2],
        }],
        vec![row(vec![Some(Cell {
            chosen: vec![2, 0, 2],
            ..base
        })])],
    )
    .expect("valid");
    assert_eq!(m.items()[0].key, vec![0, 2]);
    assert_eq!(
        m.rows()[0].cells[0].as_ref().map(|c| c.chosen.clone()),
        Some(vec![0, 2])
    );
}
