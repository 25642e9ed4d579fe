//! Tests of the native parser and of loading (`super::super` is the `bank` module).
//!
//! Fixtures are read with `include_str!` / paths relative to this file, so the tests run the same in
//! the main crate and in a crate that includes `src/bank` by `#[path]`.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::super::{
    AnswerKey, BankError, QuestionType, count_blanks, load_path, load_texts, parse_native, summary,
};

macro_rules! fixture {
    ($name:literal) => {
        (
            $name.to_string(),
            include_str!(concat!("../../tests/fixtures/banks/", $name)).to_string(),
        )
    };
}

fn fixtures_dir() -> PathBuf {
    Path::new(file!())
        .parent()
        .map_or_else(PathBuf::new, Path::to_path_buf)
        .join("../../tests/fixtures/banks")
}

fn errors_of(file: (String, String)) -> Vec<BankError> {
    match parse_native(&file.0, &file.1) {
        Ok(bank) => panic!("{} parsed but should fail: {bank:?}", file.0),
        Err(errors) => errors,
    }
}

#[test]
fn good_fixture_parses_with_the_right_keys() {
    let (name, text) = fixture!("good.toml");
    let bank = parse_native(&name, &text).expect("good.toml parses");
    assert_eq!(bank.id, "test-good");
    assert_eq!(bank.title, "测试题库");
    assert_eq!(bank.language, "zh-CN");
    let ids: Vec<&str> = bank.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["g-001", "g-002", "g-003", "g-004", "g-005"]);

    let q = &bank.questions[0];
    assert_eq!(q.bank_id, "test-good");
    assert_eq!(q.qtype, QuestionType::Single);
    assert_eq!(q.category, "新民主主义革命时期/建党");
    assert_eq!((q.difficulty, q.points), (1, Some(10)));
    assert_eq!(q.tags, ["中共一大"]);
    assert_eq!(q.options.len(), 4);
    assert_eq!(q.key, AnswerKey::Choice(vec![1]));
    assert_eq!(q.source, "《中国共产党简史》第一章");

    let q = &bank.questions[1];
    assert_eq!(q.qtype, QuestionType::Multiple);
    assert_eq!(q.points, None);
    assert_eq!(q.key, AnswerKey::Choice(vec![0, 1, 4]));

    let q = &bank.questions[2];
    assert_eq!(q.qtype, QuestionType::TrueFalse);
    assert_eq!(q.options, ["正确", "错误"]);
    assert_eq!(q.key, AnswerKey::Choice(vec![1]));
    assert!(q.tags.is_empty());

    let q = &bank.questions[3];
    assert_eq!(q.qtype, QuestionType::Fill);
    assert!(q.options.is_empty());
    assert_eq!(
        q.key,
        AnswerKey::Blanks(vec![
            vec!["遵义".to_string()],
            vec!["延安".to_string(), "延安市".to_string()]
        ])
    );
    assert_eq!(q.blank_count(), 2);
    assert_eq!(count_blanks(&q.stem), 2);
    assert!(q.stem.starts_with("1935年1月") && !q.stem.contains('\n'));

    let q = &bank.questions[4];
    assert_eq!(q.key, AnswerKey::Choice(vec![0]));
    assert_eq!(q.category, "社会主义革命和建设时期");
    assert_eq!(q.stem, "1949年10月1日，中华人民共和国中央人民政府宣告成立。");
}

#[test]
fn every_bad_fixture_fails_on_its_line() {
    // (fixture, how many errors, line, words the message must contain)
    let cases = [
        (
            fixture!("bad-duplicate-id.toml"),
            1,
            19,
            "duplicate question id `q1`",
        ),
        (
            fixture!("bad-single-two-answers.toml"),
            1,
            14,
            "exactly one correct option",
        ),
        (
            fixture!("bad-multiple-one-answer.toml"),
            1,
            14,
            "at least two correct options",
        ),
        (
            fixture!("bad-answer-no-option.toml"),
            1,
            14,
            "letter D names no option",
        ),
        (fixture!("bad-empty-stem.toml"), 1, 12, "`stem` is empty"),
        (
            fixture!("bad-unknown-field.toml"),
            4,
            15,
            "unknown field `explaination`",
        ),
        (fixture!("bad-toml-syntax.toml"), 1, 14, "TOML syntax error"),
        (
            fixture!("bad-fill-blank-count.toml"),
            1,
            14,
            "2 blank(s) but the answer has 1",
        ),
        (
            fixture!("bad-true-false-options.toml"),
            1,
            13,
            "take no `options`",
        ),
        (fixture!("bad-true-false-answer.toml"), 1, 14, "`true` or `false`"),
        (
            fixture!("bad-difficulty.toml"),
            1,
            11,
            "`difficulty` is 6, must be 1 to 5",
        ),
        (
            fixture!("bad-points.toml"),
            1,
            11,
            "`points` is 0, must be 1 to 1000",
        ),
        (fixture!("bad-unknown-type.toml"), 1, 9, "unknown type `essay`"),
        (
            fixture!("bad-duplicate-option.toml"),
            1,
            13,
            "option C repeats option A",
        ),
        (
            fixture!("bad-option-count.toml"),
            1,
            13,
            "2 to 8 options, this one has 1",
        ),
        (
            fixture!("bad-missing-field.toml"),
            2,
            7,
            "missing field `explanation`",
        ),
        (fixture!("bad-bank-header.toml"), 2, 3, "bank.id `test bad`"),
    ];
    for (file, count, line, words) in cases {
        let name = file.0.clone();
        let errors = errors_of(file);
        assert!(
            errors
                .iter()
                .any(|e| e.file == name && e.line == line && e.message.contains(words)),
            "{name}: expected line {line} `{words}`, got {errors:#?}"
        );
        assert_eq!(errors.len(), count, "{name}: {errors:#?}");
        let first_line = errors.first().map_or(0, |e| e.line);
        assert!(errors.iter().all(|e| e.line >= first_line), "sorted by line");
    }
}

#[test]
fn all_errors_of_a_file_are_collected() {
    let errors = errors_of(fixture!("bad-many-errors.toml"));
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [11, 18, 30, 33, 34, 44], "{errors:#?}");
    assert!(errors[1].message.contains("missing field `answer`"));
    assert!(errors[2].message.contains("empty path segment"));
    assert!(errors[3].message.contains("array with one entry per blank"));
    assert!(errors[5].message.contains("letter X"));
    let header = errors_of(fixture!("bad-bank-header.toml"));
    assert_eq!(header[0].line, 2);
    assert!(header[0].message.contains("missing field `bank.language`"));
    let unknown = errors_of(fixture!("bad-unknown-field.toml"));
    let lines: Vec<usize> = unknown.iter().map(|e| e.line).collect();
    assert_eq!(lines, [7, 15, 18, 26]);
    assert!(unknown[1].message.contains("did you mean `explanation`?"));
}

#[test]
fn bank_error_displays_and_serializes() {
    let e = BankError {
        file: "a/b.toml".into(),
        line: 7,
        message: "oops".into(),
    };
    assert_eq!(e.to_string(), "a/b.toml:7: oops");
    let json = serde_json::to_value(&e).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({"file": "a/b.toml", "line": 7, "message": "oops"})
    );
}

#[test]
fn load_texts_is_all_or_nothing() {
    let errors = load_texts(&[fixture!("good.toml"), fixture!("bad-difficulty.toml")])
        .expect_err("one bad file fails the whole load");
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].file.as_str(), errors[0].line),
        ("bad-difficulty.toml", 11)
    );
    // Errors from every file, in file order.
    let errors = load_texts(&[
        fixture!("bad-points.toml"),
        fixture!("good.toml"),
        fixture!("bad-toml-syntax.toml"),
    ])
    .expect_err("fails");
    let at: Vec<(&str, usize)> = errors.iter().map(|e| (e.file.as_str(), e.line)).collect();
    assert_eq!(at, [("bad-points.toml", 11), ("bad-toml-syntax.toml", 14)]);
}

#[test]
fn files_of_one_bank_merge() {
    let banks = load_texts(&[
        fixture!("split/1-founding.toml"),
        fixture!("good.toml"),
        fixture!("split/2-long-march.toml"),
    ])
    .expect("loads");
    assert_eq!(banks.len(), 2);
    assert_eq!(banks[0].id, "test-split");
    assert_eq!(banks[1].id, "test-good");
    let ids: Vec<&str> = banks[0].questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["s-001", "s-002", "s-003"]);
    assert!(banks[0].questions.iter().all(|q| q.bank_id == "test-split"));
}

#[test]
fn merged_files_must_agree_and_not_repeat_ids() {
    let errors = load_texts(&[
        fixture!("split/1-founding.toml"),
        fixture!("split/2-long-march.toml"),
        fixture!("merge-conflict.toml"),
    ])
    .expect_err("conflict");
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(
        (errors[0].file.as_str(), errors[0].line),
        ("merge-conflict.toml", 2)
    );
    assert!(errors[0].message.contains("title \"另一个标题\""));
    assert!(errors[0].message.contains("split/1-founding.toml"));
    assert_eq!(
        (errors[1].file.as_str(), errors[1].line),
        ("merge-conflict.toml", 8)
    );
    assert!(errors[1].message.contains(
        "duplicate question id `s-001` in bank `test-split` (first defined at split/1-founding.toml:8)"
    ));

    let (name, text) = fixture!("split/2-long-march.toml");
    let english = text.replace("language = \"zh-CN\"", "language = \"en\"");
    let errors =
        load_texts(&[fixture!("split/1-founding.toml"), (name, english)]).expect_err("language differs");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("language \"en\""));
}

#[test]
fn load_path_reads_files_and_directories() {
    let split = fixtures_dir().join("split");
    let banks = load_path(&split).expect("split/ loads");
    assert_eq!(banks.len(), 1);
    assert_eq!(banks[0].questions.len(), 3);
    let banks = load_path(&split.join("2-long-march.toml")).expect("one file loads");
    assert_eq!(banks[0].questions.len(), 2);

    // The whole fixtures directory holds the bad fixtures: errors name the joined paths.
    let errors = load_path(&fixtures_dir()).expect_err("bad fixtures");
    assert!(
        errors
            .iter()
            .any(|e| e.file.ends_with("bad-difficulty.toml") && e.line == 11)
    );
    // merge-conflict.toml sorts before split/, so the split files carry the conflicts.
    assert!(errors.iter().any(|e| e.file.ends_with("1-founding.toml")
        && e.line == 8
        && e.message.contains("first defined at")
        && e.message.contains("merge-conflict.toml:8")));

    let missing = fixtures_dir().join("no-such-file.toml");
    let errors = load_path(&missing).expect_err("missing file");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 0);
    assert_eq!(errors[0].file, missing.display().to_string());

    let tmp = std::env::temp_dir().join(format!("jingsai-bank-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("sub")).expect("temp dir");
    let errors = load_path(&tmp).expect_err("no toml files");
    assert!(errors[0].message.contains("no *.toml files"));
    let (_, good) = fixture!("good.toml");
    std::fs::write(tmp.join("sub/good.toml"), good).expect("write");
    std::fs::write(tmp.join("notes.txt"), "not a bank").expect("write");
    std::fs::write(tmp.join(".hidden.toml"), "not = [a bank").expect("write");
    assert_eq!(load_path(&tmp).expect("loads").len(), 1);
    std::fs::write(tmp.join("latin1.toml"), b"[bank]\nid = \"\xe9\"\n").expect("write");
    let errors = load_path(&tmp).expect_err("not UTF-8");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].file.ends_with("latin1.toml") && errors[0].line == 0);
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn summary_counts_by_type_category_and_difficulty() {
    let banks = load_texts(&[
        fixture!("good.toml"),
        fixture!("split/1-founding.toml"),
        fixture!("split/2-long-march.toml"),
    ])
    .expect("loads");
    let text = summary(&banks);
    assert!(
        text.contains("bank test-good \"测试题库\" (zh-CN): 5 questions"),
        "{text}"
    );
    assert!(
        text.contains("by type: single 1, multiple 1, true_false 2, fill 1"),
        "{text}"
    );
    assert!(
        text.contains("by difficulty: 1: 2, 2: 2, 3: 1, 4: 0, 5: 0"),
        "{text}"
    );
    assert!(
        text.contains("bank test-split \"分文件题库\" (zh-CN): 3 questions"),
        "{text}"
    );
    assert!(text.contains("2 bank(s), 8 question(s) in all"), "{text}");
    // Categories are full paths, sorted (by code point), with counts.
    let good = text.split("bank test-split").next().unwrap_or_default();
    let categories: Vec<&str> = good
        .lines()
        .skip_while(|l| !l.contains("by category:"))
        .skip(1)
        .map(str::trim)
        .collect();
    assert_eq!(
        categories,
        [
            "2  新民主主义革命时期/建党",
            "2  新民主主义革命时期/长征",
            "1  社会主义革命和建设时期",
        ]
    );
}

const HEADER_EN: &str = "[bank]\nid = \"en\"\ntitle = \"English\"\nlanguage = \"en\"\n";

fn question(body: &str) -> String {
    format!(
        "{HEADER_EN}\n[[questions]]\nid = \"q\"\ncategory = \"c\"\ndifficulty = 1\n\
         explanation = \"e\"\nsource = \"s\"\n{body}\n"
    )
}

#[test]
fn english_true_false_labels_and_answer_letters() {
    let bank = parse_native(
        "en.toml",
        &question("type = \"true_false\"\nstem = \"x\"\nanswer = true"),
    )
    .expect("parses");
    assert_eq!(bank.questions[0].options, ["True", "False"]);
    assert_eq!(bank.questions[0].key, AnswerKey::Choice(vec![0]));

    let multiple = |answer: &str| {
        parse_native(
            "en.toml",
            &question(&format!(
                "type = \"multiple\"\nstem = \"x\"\noptions = [\"a\", \"b\", \"c\", \"d\"]\nanswer = \"{answer}\""
            )),
        )
        .map(|b| b.questions[0].key.clone())
    };
    let want = Ok(AnswerKey::Choice(vec![0, 2, 3]));
    for answer in ["ACD", "D,C,A", "a c d", "A、C、D", "ＡｃＤ", "A，C，D"] {
        assert_eq!(multiple(answer), want, "{answer}");
    }
    for (answer, words) in [
        ("AA", "given twice"),
        ("A1", "`1` is not an option letter"),
        ("", "answer is empty"),
        (" , ", "answer is empty"),
        ("AE", "letter E names no option"),
    ] {
        let errors = multiple(answer).expect_err(answer);
        assert!(errors[0].message.contains(words), "{answer}: {errors:?}");
        assert_eq!(errors[0].line, 15);
    }
}

#[test]
fn fill_answers_and_blanks() {
    assert_eq!(count_blanks("no blanks __ here"), 0);
    assert_eq!(count_blanks("___"), 1);
    assert_eq!(count_blanks("a___b_____c __ d____"), 3);
    let fill = |stem: &str, answer: &str| {
        parse_native(
            "f.toml",
            &question(&format!("type = \"fill\"\nstem = \"{stem}\"\nanswer = {answer}")),
        )
    };
    assert!(fill("___ and ___", "[\"a\", [\"b\", \"B\"]]").is_ok());
    // A key must fit in what a participant may type into a blank (a property of the `bank` fuzz target).
    let longest = format!("[\"{}\"]", "长".repeat(200));
    assert!(fill("___", &longest).is_ok());
    let too_long = format!("[\"a\", [\"b\", \"{}\"]]", "长".repeat(201));
    let errors = fill("___ ___", &too_long).expect_err("too long");
    assert!(
        errors[0]
            .message
            .contains("entry 2 is longer than 200 characters"),
        "{errors:?}"
    );
    for (stem, answer, words) in [
        ("no blank", "[\"a\"]", "this stem has none"),
        ("___", "[[]]", "entry 1 is an empty array"),
        ("___", "[\" \"]", "entry 1 has an empty string"),
        ("___", "[1]", "one entry per blank"),
        ("___", "[]", "answer is empty"),
        ("___", "\"a\"", "one entry per blank"),
    ] {
        let errors = fill(stem, answer).expect_err(answer);
        assert!(errors[0].message.contains(words), "{answer}: {errors:?}");
    }
    let errors = fill("___", "[\"a\"]\noptions = [\"x\", \"y\"]").expect_err("options");
    assert!(errors[0].message.contains("fill questions take no `options`"));
}

#[test]
fn document_level_problems() {
    let errors = parse_native("e.toml", "").expect_err("empty");
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    assert!(messages[0].contains("missing [bank]"), "{messages:?}");
    assert!(messages[1].contains("no [[questions]]"), "{messages:?}");

    let text = format!("colour = 1\n{HEADER_EN}colour = 2\n[questions]\nid = \"q\"\n");
    let errors = parse_native("t.toml", &text).expect_err("bad shape");
    let at: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(at, [1, 6, 7], "{errors:?}");
    assert!(errors[0].message.contains("unknown top-level key `colour`"));
    assert!(errors[1].message.contains("unknown field `colour` in [bank]"));
    assert!(
        errors[2]
            .message
            .contains("must be an array of tables: use [[questions]]")
    );

    let text = question("type = \"single\"\nstem = \"x\"\noptions = [\"a\", 2]\nanswer = \"A\"");
    let errors = parse_native("t.toml", &text).expect_err("bad option type");
    assert_eq!(errors[0].line, 14);
    assert!(errors[0].message.contains("invalid `options`"), "{errors:?}");

    // Deep nesting is a syntax error, not a stack overflow.
    let deep = format!(
        "{HEADER_EN}[[questions]]\nanswer = {}{}\n",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let errors = parse_native("deep.toml", &deep).expect_err("too deep");
    assert_eq!(errors[0].line, 6, "{errors:?}");

    // A byte-order mark is ignored.
    let text = format!(
        "\u{feff}{}",
        question("type = \"true_false\"\nstem = \"x\"\nanswer = false")
    );
    assert!(parse_native("bom.toml", &text).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_native_never_panics_on_arbitrary_text(text in "\\PC*") {
        let _ = parse_native("any.toml", &text);
    }

    #[test]
    fn parse_native_never_panics_on_damaged_fixtures(
        cut in 0usize..4000,
        len in 0usize..40,
        insert in "[\\[\\]\"'=_,\\n a-zA-Z0-9#.{}-]{0,12}",
    ) {
        let (_, text) = fixture!("good.toml");
        let mut start = cut.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + len).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let damaged = format!("{}{}{}", &text[..start], insert, &text[end..]);
        if let Err(errors) = parse_native("d.toml", &damaged) {
            prop_assert!(!errors.is_empty());
            let lines = damaged.lines().count().max(1);
            for e in errors {
                prop_assert!(e.line <= lines + 1, "{e} beyond {lines} lines");
            }
        }
    }
}
