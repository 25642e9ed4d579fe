//! Inputs that broke a property of the fuzz targets in `fuzz/` (docs/reliability.md, "Fuzzing"), replayed on
//! every `cargo test` against the same property. One directory per target under `tests/fixtures/fuzz/`.
//!
//! Bank inputs are one or more files separated by NUL bytes, as in the `bank` target. A first line
//! `# expect: line N: TEXT` says the input must be refused with an error on line N whose message contains TEXT.

use std::path::PathBuf;

use jingsai::bank::{self, AnswerKey, BankError, Question, Response};
use jingsai::contest::{AnswerInput, to_response};
use jingsai::scoring::{ScoringRules, score_response};

/// (file name, contents) of every input kept for `target`.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let name = path.file_name().expect("file name").to_string_lossy().to_string();
            (name, std::fs::read(&path).expect("read fixture"))
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no inputs in {}", dir.display());
    found
}

/// `# expect: line N: TEXT` on the first line.
fn expectation(text: &str) -> Option<(usize, String)> {
    let rest = text.lines().next()?.strip_prefix("# expect: line ")?;
    let (line, message) = rest.split_once(": ")?;
    Some((line.parse().ok()?, message.to_string()))
}

/// The key of `q`, typed or picked as a participant would (each alternative of each blank in turn), is accepted
/// by the server's answer check and scores as correct.
fn assert_key_answerable(name: &str, q: &Question) {
    let answers: Vec<AnswerInput> = match &q.key {
        AnswerKey::Choice(picked) => vec![input(Some(picked.clone()), None)],
        AnswerKey::Blanks(blanks) => {
            let most = blanks.iter().map(Vec::len).max().unwrap_or(0);
            (0..most)
                .map(|i| {
                    let typed = blanks
                        .iter()
                        .map(|alts| alts[i.min(alts.len() - 1)].clone())
                        .collect();
                    input(None, Some(typed))
                })
                .collect()
        }
    };
    for answer in answers {
        let response: Response = to_response(q, &[], &answer).unwrap_or_else(|e| {
            panic!(
                "{name}: the key of question {} is refused as an answer: {}: {}",
                q.id, e.code, e.message
            )
        });
        let scored = score_response(q, &response, None, 1, &ScoringRules::default());
        assert!(
            scored.correct,
            "{name}: the key of question {} scores as wrong",
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

#[test]
fn bank_inputs_found_by_fuzzing_are_refused_clearly_or_answerable() {
    for (name, bytes) in inputs("bank") {
        let files: Vec<(String, String)> = (bytes.split(|&b| b == 0).enumerate())
            .map(|(i, part)| {
                let text = String::from_utf8(part.to_vec()).expect("bank inputs are UTF-8");
                (format!("{name}#{i}"), text)
            })
            .collect();
        let expected = expectation(&files[0].1);
        match (bank::load_texts(&files), expected) {
            (Err(errors), Some((line, text))) => {
                let hit = |e: &BankError| e.file == files[0].0 && e.line == line && e.message.contains(&text);
                assert!(
                    errors.iter().any(hit),
                    "{name}: expected line {line}: {text}, got {errors:?}"
                );
            }
            (Ok(_), Some((line, text))) => panic!("{name}: accepted, expected line {line}: {text}"),
            (Ok(banks), None) => {
                for q in banks.iter().flat_map(|b| &b.questions) {
                    assert_key_answerable(&name, q);
                }
            }
            (Err(_), None) => {}
        }
    }
}
