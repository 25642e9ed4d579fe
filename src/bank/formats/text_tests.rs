//! GIFT, Aiken and Moodle XML importers.

use super::tests::{into_bank, load_fixture};
use super::*;
use crate::bank::{AnswerKey, QuestionType};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn gift_subset() {
    let bank = load_fixture("good.gift").expect("valid").remove(0);
    assert_eq!((bank.id.as_str(), bank.language.as_str()), ("t", "zh-CN"));
    let q = &bank.questions;
    assert_eq!(q.len(), 6);
    assert_eq!(
        q.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
        ["t-0001", "t-0002", "t-0003", "t-0004", "t-0005", "t-0006"]
    );
    assert_eq!(
        (q[0].qtype, &q[0].options, &q[0].key),
        (
            QuestionType::Single,
            &strings(&["1921年", "1919年", "1927年"]),
            &AnswerKey::Choice(vec![0])
        )
    );
    assert_eq!(q[0].explanation, "1921年7月，中共一大在上海召开。");
    assert_eq!(q[0].category, "党史/建党");
    assert_eq!(
        (q[0].difficulty, q[0].source.as_str()),
        (defaults::DIFFICULTY as u8, "good.gift")
    );
    assert_eq!(
        (q[1].qtype, &q[1].key, q[1].explanation.as_str()),
        (
            QuestionType::TrueFalse,
            &AnswerKey::Choice(vec![0]),
            "1935年1月。"
        )
    );
    assert_eq!(
        (q[2].qtype, &q[2].key),
        (QuestionType::TrueFalse, &AnswerKey::Choice(vec![1]))
    );
    // Without #### the explanation states the key.
    assert_eq!(q[2].explanation, "正确答案：错误。");
    assert_eq!(q[3].category, "党史/长征");
    assert_eq!(
        (q[3].qtype, q[3].stem.as_str()),
        (QuestionType::Fill, "红军长征的起点是____。")
    );
    assert_eq!(q[3].key, AnswerKey::Blanks(vec![strings(&["瑞金", "江西瑞金"])]));
    assert_eq!(
        (q[4].qtype, &q[4].key),
        (QuestionType::Multiple, &AnswerKey::Choice(vec![0, 1]))
    );
    assert_eq!(
        (q[5].qtype, q[5].stem.as_str(), &q[5].key),
        (
            QuestionType::Single,
            "数学：1 = 1 是____结论。",
            &AnswerKey::Choice(vec![1])
        )
    );
}

#[test]
fn malformed_gift_reports_each_question_by_line() {
    let errors = load_fixture("bad-malformed.gift").expect_err("invalid");
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 4, 6], "{errors:#?}");
    assert!(errors[0].message.contains("no closing `}`"));
    assert!(errors[1].message.contains("matching"));
    assert!(errors[2].message.contains("no answer block"));
    assert!(errors.iter().all(|e| e.file == "bad-malformed.gift"));
}

#[test]
fn aiken_single_and_multiple() {
    let bank = load_fixture("good.aiken").expect("valid").remove(0);
    assert_eq!(bank.language, "en");
    let q = &bank.questions;
    assert_eq!(q.len(), 3);
    assert_eq!(
        (q[0].qtype, &q[0].key, q[0].options.len()),
        (QuestionType::Single, &AnswerKey::Choice(vec![1]), 4)
    );
    assert_eq!(
        (q[1].qtype, &q[1].key),
        (QuestionType::Multiple, &AnswerKey::Choice(vec![0, 2]))
    );
    assert_eq!(
        q[1].stem,
        "Which of these are in Europe?\n(choose all that apply)"
    );
    assert_eq!(
        (q[2].stem.as_str(), &q[2].key),
        ("What is the capital of Australia?", &AnswerKey::Choice(vec![1]))
    );
    assert_eq!(
        (q[0].category.as_str(), q[0].explanation.as_str()),
        ("Uncategorized", "The correct answer is B.")
    );
}

#[test]
fn bad_aiken_reports_every_line() {
    let errors = load_fixture("bad.aiken").expect_err("invalid");
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let expect = [
        (3, "option C where option B was expected"),
        (6, "answer letter E names no option (there are 2)"),
        (11, "no `ANSWER:` line"),
    ];
    for (line, piece) in expect {
        assert!(
            errors.iter().any(|e| e.line == line && e.message.contains(piece)),
            "{piece}: {shown:#?}"
        );
    }
    assert_eq!(errors.len(), expect.len(), "{shown:#?}");
}

#[test]
fn moodle_xml_subset() {
    let bank = load_fixture("good.xml").expect("valid").remove(0);
    let q = &bank.questions;
    assert_eq!(q.len(), 4, "the description is skipped");
    assert_eq!(
        (q[0].id.as_str(), q[0].stem.as_str()),
        ("ph-1", "中共一大在哪一年召开？")
    );
    assert_eq!(
        (q[0].qtype, &q[0].options, &q[0].key),
        (
            QuestionType::Single,
            &strings(&["1921年", "1919年", "1927年"]),
            &AnswerKey::Choice(vec![0])
        )
    );
    assert_eq!(
        (q[0].explanation.as_str(), &q[0].tags, q[0].category.as_str()),
        (
            "1921年7月，中共一大在上海召开。",
            &strings(&["中共一大"]),
            "党史/建党"
        )
    );
    assert_eq!(
        (q[1].id.as_str(), q[1].stem.as_str()),
        ("t-0002", "下列属于“三大法宝”的有 & 哪些？")
    );
    assert_eq!(
        (q[1].qtype, &q[1].key),
        (QuestionType::Multiple, &AnswerKey::Choice(vec![0, 1]))
    );
    assert_eq!(
        (q[2].qtype, &q[2].key),
        (QuestionType::TrueFalse, &AnswerKey::Choice(vec![0]))
    );
    assert_eq!(
        (q[3].qtype, q[3].stem.as_str()),
        (QuestionType::Fill, "红军长征的起点是哪里？____")
    );
    assert_eq!(
        q[3].key,
        AnswerKey::Blanks(vec![strings(&["瑞金", "江西瑞金"])]),
        "partial-credit answers are not accepted"
    );
}

#[test]
fn malformed_and_unsupported_moodle_xml() {
    let errors = load_fixture("bad-malformed.xml").expect_err("invalid");
    assert_eq!((errors.len(), errors[0].line), (1, 5), "{errors:#?}");
    assert!(errors[0].message.starts_with("malformed XML"), "{errors:#?}");
    let errors = load_fixture("bad-unsupported.xml").expect_err("invalid");
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors.iter().map(|e| e.line).collect::<Vec<_>>(),
        [3, 6, 11],
        "{shown:#?}"
    );
    assert!(errors[0].message.contains("`essay` is not supported"));
    assert!(errors[1].message.contains("`stem` is empty"));
    assert!(errors[2].message.contains("`matching` is not supported"));
}

#[test]
fn not_a_quiz() {
    let errors = load_bytes("x.xml", b"<html><body/></html>", &into_bank("t")).expect_err("not moodle");
    assert!(errors[0].message.contains("root element is <html>"), "{errors:?}");
}

proptest::proptest! {
    /// Whatever the text, the text importers answer with a bank or with errors, never a panic.
    #[test]
    fn text_importers_never_panic(text in "(\\PC|[{}=~#%:\\[\\]<>&;\\n])*") {
        for name in ["x.gift", "x.aiken", "x.xml", "x.csv", "x.txt"] {
            let _ = load_bytes(name, text.as_bytes(), &into_bank("t"));
        }
    }
}
