//! Every rule on small fixture banks (tests/fixtures/lint/), silencing, places in spreadsheets, the JSON shape.

use std::path::PathBuf;

use super::*;
use crate::bank::formats::{ImportOptions, export, load_bytes_located};
use crate::bank::{LocatedBank, load_path_located};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(name)
}

fn load(name: &str) -> Vec<LocatedBank> {
    load_path_located(&fixture(name)).expect(name)
}

fn lint_with(banks: &[LocatedBank], similarity: f64, give_away: f64) -> Report {
    lint(
        banks,
        &LintOptions {
            similarity,
            give_away,
        },
    )
}

/// (rule, ids, first line) of every warning.
fn found(report: &Report) -> Vec<(Rule, Vec<&str>, Option<usize>)> {
    (report.warnings.iter())
        .map(|w| {
            let ids = w.questions.iter().map(|q| q.id.as_str()).collect();
            (w.rule, ids, w.questions.first().and_then(|q| q.line))
        })
        .collect()
}

#[test]
fn near_duplicates_and_give_aways_at_the_default_thresholds() {
    let report = lint(&load("pairs.toml"), &LintOptions::default());
    assert_eq!(
        found(&report),
        [
            (Rule::NearDuplicate, vec!["d-001", "d-002"], Some(10)),
            (Rule::GiveAway, vec!["g-002", "g-001"], Some(64)),
        ]
    );
    let near = &report.warnings[0];
    assert!(near.score.unwrap() >= DEFAULT_SIMILARITY, "{near:?}");
    assert_eq!(
        near.line(),
        format!(
            "{0}:10: near_duplicate: d-001 and d-002 ask the same fact (similarity {1:.2}) (d-002 is at {0}:21)",
            fixture("pairs.toml").display(),
            near.score.unwrap()
        )
    );
    let give = &report.warnings[1];
    assert!(
        give.message
            .contains("the stem of g-002 states \"罗瑞卿\", the answer of g-001"),
        "{give:?}"
    );
    assert_eq!(report.silenced_by_lint_ok + report.silenced_by_exclusion, 0);
}

#[test]
fn the_threshold_decides_what_is_reported() {
    let banks = load("pairs.toml");
    let strict = lint_with(&banks, 0.99, 0.99);
    assert!(found(&strict).is_empty(), "{:?}", found(&strict));
    let ids = |report: &Report, rule: Rule| -> Vec<Vec<String>> {
        (report.warnings.iter())
            .filter(|w| w.rule == rule)
            .map(|w| w.questions.iter().map(|q| q.id.clone()).collect())
            .collect()
    };
    // Parallel questions (same pattern, different answers) are never near duplicates, however low the threshold.
    let near = ids(&lint_with(&banks, 0.0, 0.99), Rule::NearDuplicate);
    assert!(near.len() > 2, "{near:?}");
    assert!(near.contains(&vec!["d-001".to_string(), "d-002".to_string()]));
    assert!(
        !near.contains(&vec!["d-003".to_string(), "d-004".to_string()]),
        "{near:?}"
    );
    // A bare number is no give-away, however low the threshold.
    let give = ids(&lint_with(&banks, 0.99, 0.0), Rule::GiveAway);
    assert!(
        give.contains(&vec!["g-002".to_string(), "g-001".to_string()]),
        "{give:?}"
    );
    assert!(!give.iter().any(|pair| pair[1] == "n-001"), "{give:?}");
}

#[test]
fn reviewed_and_excluded_pairs_are_counted_not_reported() {
    let mut banks = load("reviewed.toml");
    let report = lint(&banks, &LintOptions::default());
    assert!(report.warnings.is_empty(), "{:?}", found(&report));
    assert_eq!((report.silenced_by_lint_ok, report.silenced_by_exclusion), (1, 1));
    // lint_ok on either side of the pair.
    let at = |id: &str| banks[0].bank.questions.iter().position(|q| q.id == id).unwrap();
    let (d1, d2) = (at("d-001"), at("d-002"));
    let questions = &mut banks[0].bank.questions;
    questions[d2].lint_ok.clear();
    questions[d1].lint_ok = vec!["d-002".into()];
    let report = lint(&banks, &LintOptions::default());
    assert_eq!((report.silenced_by_lint_ok, report.warnings.len()), (1, 0));
    banks[0].bank.questions[d1].lint_ok.clear();
    let report = lint(&banks, &LintOptions::default());
    assert_eq!(
        found(&report),
        [(Rule::NearDuplicate, vec!["d-001", "d-002"], Some(10))]
    );
}

#[test]
fn an_answer_in_many_stems_is_a_common_word() {
    let mut banks = load("pairs.toml");
    let template = banks[0].bank.questions[0].clone();
    // g-001's answer appears in g-002 and in 5 more stems about other things: 6 > common_limit(16) = 5.
    for (i, topic) in ["铁路", "港口", "学校", "医院", "工厂"].iter().enumerate() {
        let mut q = template.clone();
        q.id = format!("c-{i}");
        q.stem = format!("罗瑞卿视察过的{topic}位于哪个省份？");
        banks[0].bank.questions.push(q);
        let place = banks[0].places[0].clone();
        banks[0].places.push(place);
    }
    assert_eq!(pairs::common_limit(16), 5);
    let report = lint(&banks, &LintOptions::default());
    assert!(
        !report.warnings.iter().any(|w| w.rule == Rule::GiveAway),
        "{:?}",
        found(&report)
    );
}

#[test]
fn every_statistic_over_its_threshold_warns() {
    let report = lint(&load("unbalanced.toml"), &LintOptions::default());
    let rules: Vec<Rule> = report.warnings.iter().map(|w| w.rule).collect();
    assert_eq!(
        rules,
        [
            Rule::KeyLetterBalance,
            Rule::TrueFalseBalance,
            Rule::LongestOptionKey,
            Rule::AllButOne,
            Rule::DifficultySpread,
            Rule::MissingExplanation,
            Rule::MissingSource,
        ]
    );
    let missing = &report.warnings[5];
    assert_eq!(
        (missing.questions[0].id.as_str(), missing.questions[0].line),
        ("u-s01", Some(11))
    );
    assert_eq!(report.warnings[6].questions[0].id, "u-s02");
    let whole = &report.summaries[0];
    assert_eq!(
        (
            whole.single,
            whole.with_longest_option,
            whole.longest_option_is_key,
            whole.multiple,
            whole.all_but_one,
            whole.true_false,
            whole.true_answers
        ),
        (30, 30, 30, 10, 10, 20, 20)
    );
    assert_eq!(whole.key_letters[0].share, 1.0);
    assert_eq!(whole.key_letters[0].expected, 0.25);
    assert!(report.text().contains("7 warning(s) in 60 question(s)"));
}

#[test]
fn a_balanced_bank_has_no_warning() {
    let report = lint(&load("balanced.toml"), &LintOptions::default());
    assert!(report.warnings.is_empty(), "{:?}", found(&report));
    assert_eq!(
        report.summaries.len(),
        1,
        "one top-level category: the bank summary only"
    );
    assert_eq!(report.summaries[0].difficulty.len(), 3);
}

#[test]
fn categories_get_their_own_statistics() {
    let mut banks = load("unbalanced.toml");
    // Move the true/false questions to a second top-level category: both scopes now warn about them.
    for q in banks[0]
        .bank
        .questions
        .iter_mut()
        .filter(|q| q.id.starts_with("u-t"))
    {
        q.category = "另一类/判断".into();
    }
    let report = lint(&banks, &LintOptions::default());
    let scopes: Vec<Option<&str>> = (report.warnings.iter())
        .filter(|w| w.rule == Rule::TrueFalseBalance)
        .map(|w| w.category.as_deref())
        .collect();
    assert_eq!(scopes, [None, Some("另一类")]);
    assert_eq!(report.summaries.len(), 3);
    assert!(
        report
            .text()
            .contains("bank unbalanced, category 另一类: true_false_balance")
    );
}

#[test]
fn spreadsheet_warnings_name_sheet_and_row() {
    let bank = load("pairs.toml").remove(0).bank;
    let bytes = export::to_xlsx(&bank).expect("xlsx");
    let banks = load_bytes_located("pairs.xlsx", &bytes, &ImportOptions::default()).expect("imports");
    let report = lint(&banks, &LintOptions::default());
    let near = &report.warnings[0];
    assert_eq!(near.rule, Rule::NearDuplicate);
    // Row 1 is the header: d-001 is on row 2, d-002 on row 3.
    assert!(
        near.line()
            .starts_with("pairs.xlsx[题库]:2: near_duplicate: d-001 and d-002"),
        "{}",
        near.line()
    );
    assert!(near.line().ends_with("(d-002 is at pairs.xlsx[题库]:3)"));
}

#[test]
fn a_stored_bank_without_places_names_questions_by_id() {
    let mut banks = load("pairs.toml");
    banks[0].places.clear();
    let report = lint(&banks, &LintOptions::default());
    assert_eq!(report.warnings[0].questions[0].file, None);
    assert!(
        report.warnings[0]
            .line()
            .starts_with("pairs/d-001: near_duplicate")
    );
}

#[test]
fn the_report_serializes_as_documented() {
    let report = lint(&load("pairs.toml"), &LintOptions::default());
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["options"]["similarity"], DEFAULT_SIMILARITY);
    assert_eq!(json["questions"], 11);
    let first = &json["warnings"][0];
    assert_eq!(first["rule"], "near_duplicate");
    assert_eq!(first["bank"], "pairs");
    assert_eq!(first["questions"][1]["id"], "d-002");
    assert_eq!(first["questions"][1]["line"], 21);
    assert!(first["category"].is_null());
    assert_eq!(json["summaries"][0]["bank"], "pairs");
    assert!(json["summaries"][0]["key_letters"].is_array());
}

#[test]
fn the_shipped_bank_lints_quickly_enough_to_run_on_every_check() {
    let banks = load_path_located(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question_banks"))
        .expect("shipped banks");
    let started = std::time::Instant::now();
    let report = lint(&banks, &LintOptions::default());
    let elapsed = started.elapsed();
    assert!(report.questions > 600);
    // Generous for an unoptimized build on a busy machine; the measured time is in docs/bank-lint.md.
    assert!(elapsed.as_secs() < 10, "{elapsed:?}");
    for w in &report.warnings {
        if matches!(w.rule, Rule::NearDuplicate | Rule::GiveAway) {
            assert!(
                w.questions.iter().all(|q| q.file.is_some() && q.line.is_some()),
                "{w:?}"
            );
        }
    }
}

#[test]
fn a_statement_option_gives_an_answer_away_but_a_bare_distractor_does_not() {
    let report = lint(&load("options.toml"), &LintOptions::default());
    let give: Vec<_> = found(&report)
        .into_iter()
        .filter(|(rule, _, _)| *rule == Rule::GiveAway)
        .map(|(_, ids, _)| ids)
        .collect();
    assert_eq!(give, [vec!["o-002", "o-001"]], "{:?}", report.warnings);
    let warning = report.warnings.iter().find(|w| w.rule == Rule::GiveAway).unwrap();
    assert!(
        warning
            .message
            .contains("the option of o-002 states \"罗瑞卿\", the answer of o-001"),
        "{warning:?}"
    );
}
