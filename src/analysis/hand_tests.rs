//! Every statistic of a small fixed matrix, checked against values worked out by hand (the arithmetic is in
//! the comments; fractions are exact, decimals rounded).
//!
//! Six participants P1..P6, four items, every item given to everyone:
//!
//! | item | type            | options | key  | max |
//! |------|-----------------|---------|------|-----|
//! | I1   | single          | A B C D | A    | 1   |
//! | I2   | single          | A B C D | B    | 1   |
//! | I3   | true/false      | T F     | T    | 1   |
//! | I4   | multiple, partial credit | A B C D | A C | 2 |
//!
//! What each chose (– = no answer) and scored:
//!
//! |    | I1    | I2    | I3    | I4        | total T |
//! |----|-------|-------|-------|-----------|---------|
//! | P1 | A → 1 | C → 0 | T → 1 | A C → 2   | 4       |
//! | P2 | A → 1 | C → 0 | T → 1 | A C → 2   | 4       |
//! | P3 | A → 1 | B → 1 | T → 1 | A → 1     | 4       |
//! | P4 | A → 1 | B → 1 | T → 1 | A B → 0   | 3       |
//! | P5 | B → 0 | B → 1 | T → 1 | –   → 0   | 2       |
//! | P6 | –  → 0| D → 0 | T → 1 | D → 0     | 1       |
//!
//! Totals 4, 4, 4, 3, 2, 1: ΣT = 18, mean 3.

use super::*;

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const D: usize = 3;

fn cell(score: f64, max: f64, chosen: &[usize], time_ms: u64) -> Option<Cell> {
    Some(Cell {
        answered: true,
        score,
        max_score: max,
        chosen: chosen.to_vec(),
        time_ms: Some(time_ms),
    })
}

fn omitted(max: f64) -> Option<Cell> {
    Some(Cell::unanswered(max))
}

pub(super) fn hand_matrix() -> ResponseMatrix {
    let items = vec![
        ItemSpec {
            id: 1,
            option_count: 4,
            key: vec![A],
        },
        ItemSpec {
            id: 2,
            option_count: 4,
            key: vec![B],
        },
        ItemSpec {
            id: 3,
            option_count: 2,
            key: vec![0],
        },
        ItemSpec {
            id: 4,
            option_count: 4,
            key: vec![A, C],
        },
    ];
    // Times: I1 2, 3, 4, 5, 6 s (P6 none); I2 8, 6, 4, 4, 2, 6 s; I3 1.5 s each; I4 10, 9, 8, 7, –, 6 s.
    let rows = vec![
        (
            1,
            [
                cell(1.0, 1.0, &[A], 2000),
                cell(0.0, 1.0, &[C], 8000),
                cell(1.0, 1.0, &[0], 1500),
                cell(2.0, 2.0, &[A, C], 10_000),
            ],
        ),
        (
            2,
            [
                cell(1.0, 1.0, &[A], 3000),
                cell(0.0, 1.0, &[C], 6000),
                cell(1.0, 1.0, &[0], 1500),
                cell(2.0, 2.0, &[C, A], 9000),
            ],
        ),
        (
            3,
            [
                cell(1.0, 1.0, &[A], 4000),
                cell(1.0, 1.0, &[B], 4000),
                cell(1.0, 1.0, &[0], 1500),
                cell(1.0, 2.0, &[A], 8000),
            ],
        ),
        (
            4,
            [
                cell(1.0, 1.0, &[A], 5000),
                cell(1.0, 1.0, &[B], 4000),
                cell(1.0, 1.0, &[0], 1500),
                cell(0.0, 2.0, &[A, B], 7000),
            ],
        ),
        (
            5,
            [
                cell(0.0, 1.0, &[B], 6000),
                cell(1.0, 1.0, &[B], 2000),
                cell(1.0, 1.0, &[0], 1500),
                omitted(2.0),
            ],
        ),
        (
            6,
            [
                omitted(1.0),
                cell(0.0, 1.0, &[D], 6000),
                cell(1.0, 1.0, &[0], 1500),
                cell(0.0, 2.0, &[D], 6000),
            ],
        ),
    ]
    .into_iter()
    .map(|(participant, cells)| Row {
        participant,
        cells: cells.to_vec(),
    })
    .collect();
    ResponseMatrix::new(items, rows).expect("valid matrix")
}

#[track_caller]
fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.unwrap_or_else(|| panic!("expected {expected}, got None"));
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}

/// (count, share, upper, lower) of a share.
#[track_caller]
fn share(s: &Share, count: usize, all: f64, upper: f64, lower: f64) {
    assert_eq!(s.count, count, "count");
    close(s.share, all);
    close(s.upper, upper);
    close(s.lower, lower);
}

#[test]
fn paper_statistics_by_hand() {
    let a = analyse(&hand_matrix());
    let p = &a.paper;
    assert_eq!((p.n, p.items, p.same_items), (6, 4, true));
    // mean = 18 / 6 = 3.
    close(p.mean, 3.0);
    // Deviations from 3: 1, 1, 1, 0, −1, −2; squares 1 + 1 + 1 + 0 + 1 + 4 = 8; sample variance 8 / 5 = 1.6;
    // SD = √1.6 = 1.264911.
    close(p.sd, 1.6f64.sqrt());
    // Each participant's maximum is 1 + 1 + 1 + 2 = 5.
    close(p.mean_max, 5.0);
    // Item sample variances (divisor 5):
    //   I1 scores 1,1,1,1,0,0: mean 2/3, Σd² = 4·(1/3)² + 2·(2/3)² = 4/9 + 8/9 = 4/3 → 4/15.
    //   I2 scores 0,0,1,1,1,0: mean 1/2, Σd² = 6·(1/2)² = 3/2 → 3/10.
    //   I3 all 1 → 0.
    //   I4 scores 2,2,1,0,0,0: mean 5/6, Σd² = 2·(7/6)² + (1/6)² + 3·(5/6)² = (98 + 1 + 75)/36 = 29/6 → 29/30.
    //   Σ = 8/30 + 9/30 + 0 + 29/30 = 46/30 = 23/15.
    // α = 4/3 · (1 − (23/15)/(8/5)) = 4/3 · (1 − 115/120) = 4/3 · 1/24 = 1/18 = 0.055556.
    close(p.alpha, 1.0 / 18.0);
    assert_eq!(p.alpha_basis, AlphaBasis::AllItems);
    assert_eq!(p.alpha_items, 4);
    // SEM = √1.6 · √(1 − 1/18) = √(1.6 · 17/18) = √1.511111 = 1.229273.
    close(p.sem, (1.6f64 * 17.0 / 18.0).sqrt());
    assert!((p.sem.unwrap() - 1.229273).abs() < 1e-6);
}

#[test]
fn facility_and_full_marks_by_hand() {
    let a = analyse(&hand_matrix());
    let [i1, i2, i3, i4] = &a.items[..] else {
        panic!("four items")
    };
    // I1: Σscore 4 of Σmax 6 → 2/3; full marks 4 of 6.
    close(i1.facility, 4.0 / 6.0);
    close(i1.fully_correct, 4.0 / 6.0);
    // I2: 3 of 6 → 1/2; full marks 3 of 6.
    close(i2.facility, 0.5);
    close(i2.fully_correct, 0.5);
    // I3: 6 of 6 → 1.
    close(i3.facility, 1.0);
    close(i3.fully_correct, 1.0);
    // I4: Σscore 2+2+1 = 5 of Σmax 6·2 = 12 → 5/12; full marks (2 of 2): P1, P2 → 2/6.
    close(i4.facility, 5.0 / 12.0);
    close(i4.fully_correct, 2.0 / 6.0);
    assert_eq!([i1.n, i2.n, i3.n, i4.n], [6; 4]);
    assert_eq!([i1.answered, i2.answered, i3.answered, i4.answered], [5, 6, 6, 5]);
}

#[test]
fn corrected_point_biserial_by_hand() {
    let a = analyse(&hand_matrix());
    // r = Σdx·dy / √(Σdx² · Σdy²), x = item score, y = T − x (the rest of the paper).
    // I1: x = 1,1,1,1,0,0 (mean 2/3); y = 3,3,3,2,2,1 (mean 14/6 = 7/3).
    //   dx = 1/3,1/3,1/3,1/3,−2/3,−2/3; dy = 2/3,2/3,2/3,−1/3,−1/3,−4/3.
    //   Σdxdy = (2+2+2−1+2+8)/9 = 15/9 = 5/3; Σdx² = 4/3; Σdy² = (4+4+4+1+1+16)/9 = 30/9 = 10/3.
    //   r = (5/3) / √(40/9) = 5/√40 = 0.790569.
    close(a.items[0].discrimination, 5.0 / 40f64.sqrt());
    // I2: x = 0,0,1,1,1,0 (mean 1/2); y = 4,4,3,2,1,1 (mean 15/6 = 5/2).
    //   dx = −½,−½,½,½,½,−½; dy = 3/2,3/2,1/2,−1/2,−3/2,−3/2.
    //   Σdxdy = (−3−3+1−1−3+3)/4 = −3/2; Σdx² = 3/2; Σdy² = (9+9+1+1+9+9)/4 = 19/2.
    //   r = (−3/2) / √(57/4) = −3/√57 = −0.397360.
    close(a.items[1].discrimination, -3.0 / 57f64.sqrt());
    // I3: every score is 1, no variance: undefined.
    assert_eq!(a.items[2].discrimination, None);
    // I4: x = 2,2,1,0,0,0 (mean 5/6); y = 2,2,3,3,2,1 (mean 13/6).
    //   dx = 7/6,7/6,1/6,−5/6,−5/6,−5/6; dy = −1/6,−1/6,5/6,5/6,−1/6,−7/6.
    //   Σdxdy = (−7−7+5−25+5+35)/36 = 1/6; Σdx² = 174/36 = 29/6; Σdy² = (1+1+25+25+1+49)/36 = 17/6.
    //   r = (1/6) / √(493/36) = 1/√493 = 0.045038.
    close(a.items[3].discrimination, 1.0 / 493f64.sqrt());
}

#[test]
fn upper_lower_27_percent_by_hand() {
    let a = analyse(&hand_matrix());
    // n = 6: g = round(0.27 · 6 = 1.62) = 2 places per group.
    // Totals 4,4,4,3,2,1. Upper: three tied at 4 for 2 places → P1, P2, P3 with weight 2/3 each.
    // Lower: P6 (1) and P5 (2) fill the 2 places exactly, weight 1 each.
    assert!(a.items.iter().all(|i| i.group_size == Some(2)));
    // I1: upper (⅔·1 + ⅔·1 + ⅔·1)/2 = 1; lower (P5 0 + P6 0)/2 = 0 → 1.
    close(a.items[0].upper_lower, 1.0);
    // I2: upper (0 + 0 + ⅔·1)/2 = 1/3; lower (P5 1 + P6 0)/2 = 1/2 → 1/3 − 1/2 = −1/6.
    close(a.items[1].upper_lower, -1.0 / 6.0);
    // I3: 1 − 1 = 0.
    close(a.items[2].upper_lower, 0.0);
    // I4 (max 2): upper (⅔·2 + ⅔·2 + ⅔·1)/(2 places · 2) = (10/3)/4 = 5/6; lower (0 + 0)/4 = 0 → 5/6.
    close(a.items[3].upper_lower, 5.0 / 6.0);
}

#[test]
fn distractors_by_hand() {
    let a = analyse(&hand_matrix());
    // Shares: overall count/6; upper and lower are weighted shares of the 2 places (upper P1,P2,P3 at ⅔ each;
    // lower P5, P6 at 1 each).
    let i1 = &a.items[0].options;
    assert_eq!(
        i1.iter().map(|o| o.is_key).collect::<Vec<_>>(),
        [true, false, false, false]
    );
    // A: P1..P4 → 4/6; upper 3·⅔/2 = 1; lower 0.
    share(&i1[A].chosen, 4, 4.0 / 6.0, 1.0, 0.0);
    // B: P5 → 1/6; upper 0; lower 1/2.
    share(&i1[B].chosen, 1, 1.0 / 6.0, 0.0, 0.5);
    share(&i1[C].chosen, 0, 0.0, 0.0, 0.0);
    share(&i1[D].chosen, 0, 0.0, 0.0, 0.0);
    // Omitted: P6 → 1/6; lower 1/2.
    share(&a.items[0].omitted, 1, 1.0 / 6.0, 0.0, 0.5);

    let i2 = &a.items[1].options;
    share(&i2[A].chosen, 0, 0.0, 0.0, 0.0);
    // B (key): P3, P4, P5 → 3/6; upper ⅔/2 = 1/3; lower (P5) 1/2.
    share(&i2[B].chosen, 3, 0.5, 1.0 / 3.0, 0.5);
    // C: P1, P2 → 2/6; upper (⅔ + ⅔)/2 = 2/3 — more than the key's 1/3; lower 0.
    share(&i2[C].chosen, 2, 2.0 / 6.0, 2.0 / 3.0, 0.0);
    // D: P6 → 1/6; lower 1/2.
    share(&i2[D].chosen, 1, 1.0 / 6.0, 0.0, 0.5);

    let i3 = &a.items[2].options;
    assert_eq!(i3.len(), 2);
    share(&i3[0].chosen, 6, 1.0, 1.0, 1.0);
    share(&i3[1].chosen, 0, 0.0, 0.0, 0.0);

    // I4 (a multiple choice: a participant may pick several options, so the shares add up to more than 1).
    let i4 = &a.items[3].options;
    // A: P1, P2, P3, P4 → 4/6; upper 1; lower 0.
    share(&i4[A].chosen, 4, 4.0 / 6.0, 1.0, 0.0);
    // B: P4 → 1/6; neither group.
    share(&i4[B].chosen, 1, 1.0 / 6.0, 0.0, 0.0);
    // C: P1, P2 → 2/6; upper (⅔ + ⅔)/2 = 2/3; lower 0.
    share(&i4[C].chosen, 2, 2.0 / 6.0, 2.0 / 3.0, 0.0);
    // D: P6 → 1/6; lower 1/2.
    share(&i4[D].chosen, 1, 1.0 / 6.0, 0.0, 0.5);
    // Omitted: P5 → 1/6; lower 1/2.
    share(&a.items[3].omitted, 1, 1.0 / 6.0, 0.0, 0.5);
}

#[test]
fn mean_times_by_hand() {
    let a = analyse(&hand_matrix());
    // I1: (2 + 3 + 4 + 5 + 6) s / 5 answers = 4 s (P6 did not answer).
    close(a.items[0].mean_time_ms, 4000.0);
    // I2: (8 + 6 + 4 + 4 + 2 + 6) / 6 = 5 s.
    close(a.items[1].mean_time_ms, 5000.0);
    close(a.items[2].mean_time_ms, 1500.0);
    // I4: (10 + 9 + 8 + 7 + 6) / 5 = 8 s.
    close(a.items[3].mean_time_ms, 8000.0);
}

#[test]
fn flags_by_hand() {
    let a = analyse(&hand_matrix());
    let flags: Vec<&[Flag]> = a.items.iter().map(|i| i.flags.as_slice()).collect();
    // I1: facility 2/3, r 0.79: nothing to say.
    assert_eq!(flags[0], &[] as &[Flag]);
    // I2: r −0.40 < 0; upper group chose C (2/3) over the key B (1/3).
    assert_eq!(
        flags[1],
        &[
            Flag::NegativeDiscrimination,
            Flag::DistractorBeatsKey { option: C }
        ]
    );
    // I3: facility 1 ≥ 95%; r undefined, so no discrimination flag.
    assert_eq!(flags[2], &[Flag::VeryEasy]);
    // I4: 0 ≤ r = 0.045 < 0.2. Distractors B and D: upper 0, below the key options' smallest upper share
    // (C, 2/3).
    assert_eq!(flags[3], &[Flag::LowDiscrimination]);
}
