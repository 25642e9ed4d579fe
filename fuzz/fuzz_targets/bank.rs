//! Bank files: the parser behind `jingsai bank check`, `jingsai bank import` and `POST /api/banks/import`
//! (`bank::parse_native` for one file, `bank::load_texts` for several).
//!
//! Input: up to four bank files separated by NUL bytes (a TOML document cannot contain a raw NUL). Files
//! that are not UTF-8 are skipped: `read_to_string` and the JSON import body refuse them before parsing.
//!
//! Properties checked:
//! - parsing never panics; an error list is never empty, names its file, is sorted by line, and every
//!   line lies within the file;
//! - a file that parses alone passes `load_texts` alone with the same bank;
//! - a parsed bank satisfies the invariants of docs/bank-format.md, and survives the JSON round trip the
//!   store makes;
//! - every question's own key, sent as a participant's answer, passes the server's answer check and
//!   scores as correct (a bank that validates can be answered);
//! - several files: `load_texts` succeeds only if each file parses alone, keeps each file's errors, sorts
//!   errors by file then line, and a merged bank holds its files' questions in file order, ids unique.
#![no_main]

use std::collections::HashSet;

use jingsai::bank::{self, AnswerKey, Bank, BankError, Question, QuestionType, Response};
use jingsai::contest::{AnswerInput, to_response};
use jingsai::scoring::{ScoringRules, score_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(texts) = data
        .split(|&b| b == 0)
        .take(4)
        .map(std::str::from_utf8)
        .collect::<Result<Vec<&str>, _>>()
    else {
        return;
    };
    let files: Vec<(String, String)> = (texts.iter().enumerate())
        .map(|(i, text)| (format!("f{i}.toml"), text.to_string()))
        .collect();

    let mut singles = Vec::new();
    for (name, text) in &files {
        let parsed = bank::parse_native(name, text);
        match &parsed {
            Ok(bank) => {
                check_bank(bank);
                let alone = bank::load_texts(&[(name.clone(), text.clone())]);
                assert_eq!(
                    alone,
                    Ok(vec![bank.clone()]),
                    "load_texts disagrees with parse_native"
                );
            }
            Err(errors) => check_file_errors(errors, name, text),
        }
        singles.push(parsed);
    }
    if files.len() > 1 {
        check_merge(&files, &singles, bank::load_texts(&files));
    }
});

fn check_file_errors(errors: &[BankError], name: &str, text: &str) {
    assert!(!errors.is_empty(), "Err without any error");
    let lines = text.matches('\n').count() + 1;
    for e in errors {
        assert_eq!(e.file, name);
        assert!(
            (1..=lines).contains(&e.line),
            "line {} outside 1..={lines}: {e}",
            e.line
        );
        assert!(!e.message.is_empty());
    }
    assert!(
        errors.windows(2).all(|w| w[0].line <= w[1].line),
        "errors not sorted by line"
    );
}

fn trimmed_nonempty(text: &str) -> bool {
    !text.is_empty() && text.trim() == text
}

fn strictly_increasing(indices: &[usize]) -> bool {
    indices.windows(2).all(|w| w[0] < w[1])
}

fn check_bank(bank: &Bank) {
    assert!(!bank.id.is_empty());
    assert!(
        bank.id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
    assert!(trimmed_nonempty(&bank.title));
    assert!(bank::native::LANGUAGES.contains(&bank.language.as_str()));
    assert!(!bank.questions.is_empty());
    let mut ids = HashSet::new();
    for q in &bank.questions {
        assert!(ids.insert(q.id.as_str()), "duplicate question id {}", q.id);
        check_question(bank, q);
        check_key_is_answerable(q);
    }
    let json = serde_json::to_string(bank).expect("serialize");
    let back: Bank = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(&back, bank, "JSON round trip changed the bank");
}

fn check_question(bank: &Bank, q: &Question) {
    assert_eq!(q.bank_id, bank.id);
    assert!(trimmed_nonempty(&q.id));
    assert!(
        q.category.split('/').all(trimmed_nonempty),
        "category {:?}",
        q.category
    );
    assert!(bank::native::DIFFICULTY.contains(&i64::from(q.difficulty)));
    assert!(
        q.points
            .is_none_or(|p| bank::native::POINTS.contains(&i64::from(p)))
    );
    assert!(q.tags.iter().all(|t| trimmed_nonempty(t)));
    for text in [&q.stem, &q.explanation, &q.source] {
        assert!(trimmed_nonempty(text));
    }
    match (q.qtype, &q.key) {
        (QuestionType::Single | QuestionType::Multiple, AnswerKey::Choice(picked)) => {
            assert!(bank::native::OPTION_COUNT.contains(&q.options.len()));
            assert!(q.options.iter().all(|o| trimmed_nonempty(o)));
            let distinct: HashSet<&String> = q.options.iter().collect();
            assert_eq!(distinct.len(), q.options.len(), "repeated option");
            assert!(strictly_increasing(picked) && picked.iter().all(|&i| i < q.options.len()));
            match q.qtype {
                QuestionType::Single => assert_eq!(picked.len(), 1),
                _ => assert!(picked.len() >= 2),
            }
        }
        (QuestionType::TrueFalse, AnswerKey::Choice(picked)) => {
            assert_eq!(
                q.options,
                bank::true_false_labels(&bank.language).map(String::from)
            );
            assert!(picked == &[0] || picked == &[1]);
        }
        (QuestionType::Fill, AnswerKey::Blanks(blanks)) => {
            assert!(q.options.is_empty());
            assert!(!blanks.is_empty());
            assert_eq!(blanks.len(), bank::count_blanks(&q.stem));
            for alternatives in blanks {
                assert!(!alternatives.is_empty());
                assert!(alternatives.iter().all(|a| trimmed_nonempty(a)));
                let distinct: HashSet<&String> = alternatives.iter().collect();
                assert_eq!(distinct.len(), alternatives.len(), "repeated alternative");
            }
        }
        (qtype, key) => panic!("{qtype:?} question with key {key:?}"),
    }
}

/// The key, typed or picked by a participant in the bank's option order, is accepted and scores as correct.
/// For fill questions, each accepted alternative is tried (alternative i of every blank, or its last one).
fn check_key_is_answerable(q: &Question) {
    let rules = ScoringRules::default();
    let answers: Vec<(AnswerInput, Response)> = match &q.key {
        AnswerKey::Choice(picked) => vec![(
            input(Some(picked.clone()), None),
            Response::Choice(picked.clone()),
        )],
        AnswerKey::Blanks(blanks) => {
            let most = blanks.iter().map(Vec::len).max().unwrap_or(0);
            (0..most)
                .map(|i| {
                    let typed: Vec<String> = (blanks.iter())
                        .map(|alternatives| alternatives[i.min(alternatives.len() - 1)].clone())
                        .collect();
                    (input(None, Some(typed.clone())), Response::Blanks(typed))
                })
                .collect()
        }
    };
    for (answer, expected) in answers {
        match to_response(q, &[], &answer) {
            Ok(response) => assert_eq!(response, expected),
            Err(e) => panic!(
                "the key of question {} is refused as an answer: {}: {}",
                q.id, e.code, e.message
            ),
        }
        let scored = score_response(q, &expected, None, 1, &rules);
        assert!(
            scored.correct,
            "the key of question {} does not score as correct",
            q.id
        );
    }
}

fn input(choice: Option<Vec<usize>>, blanks: Option<Vec<String>>) -> AnswerInput {
    AnswerInput {
        round_id: 1,
        index: 0,
        choice,
        blanks,
    }
}

fn check_merge(
    files: &[(String, String)],
    singles: &[Result<Bank, Vec<BankError>>],
    merged: Result<Vec<Bank>, Vec<BankError>>,
) {
    match merged {
        Ok(banks) => {
            let parsed: Vec<&Bank> = singles
                .iter()
                .map(|s| s.as_ref().expect("load_texts accepted a file that fails alone"))
                .collect();
            let mut order: Vec<&str> = Vec::new();
            for bank in &parsed {
                if !order.contains(&bank.id.as_str()) {
                    order.push(&bank.id);
                }
            }
            let ids: Vec<&str> = banks.iter().map(|b| b.id.as_str()).collect();
            assert_eq!(ids, order, "banks not in order of first appearance");
            for bank in &banks {
                check_bank(bank);
                let expected: Vec<&Question> = (parsed.iter())
                    .filter(|p| p.id == bank.id)
                    .flat_map(|p| &p.questions)
                    .collect();
                assert_eq!(bank.questions.iter().collect::<Vec<_>>(), expected);
                let first = parsed.iter().find(|p| p.id == bank.id).expect("bank from a file");
                assert_eq!((&bank.title, &bank.language), (&first.title, &first.language));
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            let position = |file: &str| {
                files
                    .iter()
                    .position(|(name, _)| name == file)
                    .expect("known file")
            };
            let keys: Vec<(usize, usize)> = errors.iter().map(|e| (position(&e.file), e.line)).collect();
            assert!(
                keys.windows(2).all(|w| w[0] <= w[1]),
                "errors not sorted by file, line"
            );
            let mut any_file_failed = false;
            for single in singles {
                if let Err(own) = single {
                    any_file_failed = true;
                    assert!(
                        own.iter().all(|e| errors.contains(e)),
                        "a file's own error is missing"
                    );
                }
            }
            if !any_file_failed {
                // Only cross-file problems remain: disagreeing headers and repeated question ids.
                assert!(
                    errors
                        .iter()
                        .all(|e| e.message.contains("must agree")
                            || e.message.contains("duplicate question id")),
                    "unexpected error {errors:?}"
                );
            }
        }
    }
}
