//! The spreadsheet template (CSV and xlsx), export and the lossless round trip native -> xlsx -> native.

use std::path::PathBuf;

use super::*;
use crate::bank::{AnswerKey, QuestionType, load_path, load_texts};

pub(super) fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/banks/formats")
        .join(name)
}

pub(super) fn into_bank(bank: &str) -> ImportOptions {
    ImportOptions {
        bank: Some(bank.into()),
        ..ImportOptions::default()
    }
}

pub(super) fn load_fixture(name: &str) -> Result<Vec<Bank>, Vec<BankError>> {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    load_bytes(name, &bytes, &into_bank("t"))
}

/// The same cells as a workbook whose sheet is named `sheet`, line n of the text on row n (blank lines stay
/// blank rows; the fixtures have no line breaks inside cells).
fn csv_as_xlsx(csv_text: &str, sheet: &str) -> Vec<u8> {
    let delimiter = if csv_text.lines().next().unwrap_or("").contains('\t') {
        b'\t'
    } else {
        b','
    };
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).expect("name");
    for (r, line) in csv_text.lines().enumerate() {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .from_reader(line.as_bytes());
        for record in reader.records() {
            for (c, cell) in record.expect("record").iter().enumerate() {
                if !cell.is_empty() {
                    ws.write_string(r as u32, c as u16, cell).expect("cell");
                }
            }
        }
    }
    book.save_to_buffer().expect("xlsx")
}

fn only(banks: Vec<Bank>) -> Bank {
    assert_eq!(banks.len(), 1);
    banks.into_iter().next().expect("one bank")
}

#[test]
fn csv_template_maps_every_type() {
    let bank = only(load_fixture("good.csv").expect("valid"));
    assert_eq!(
        (bank.id.as_str(), bank.title.as_str(), bank.language.as_str()),
        ("t", "good", "zh-CN")
    );
    let q = &bank.questions;
    assert_eq!(q.len(), 5);
    // Ids come from the bank id and the row (the header is row 1).
    let ids: Vec<&str> = q.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["t-0002", "t-0003", "t-0004", "t-0005", "t-0006"]);
    assert_eq!(
        (q[0].qtype, &q[0].key, q[0].points, q[0].difficulty),
        (QuestionType::Single, &AnswerKey::Choice(vec![1]), Some(10), 1)
    );
    assert_eq!(
        (q[1].qtype, &q[1].key, q[1].points),
        (QuestionType::Multiple, &AnswerKey::Choice(vec![0, 1]), None)
    );
    assert_eq!(
        (q[2].qtype, &q[2].key, q[2].difficulty),
        (QuestionType::TrueFalse, &AnswerKey::Choice(vec![1]), 1)
    );
    assert_eq!(q[2].options, ["正确", "错误"]);
    // 选项A 正确 / 选项B 错误 on a 判断 row only repeat the labels.
    assert_eq!(
        (q[3].qtype, &q[3].key, q[3].points),
        (QuestionType::TrueFalse, &AnswerKey::Choice(vec![0]), Some(5))
    );
    let blanks = vec![
        vec!["遵义".to_string()],
        vec!["延安".to_string(), "延安市".to_string()],
    ];
    assert_eq!(
        (q[4].qtype, &q[4].key, q[4].options.len()),
        (QuestionType::Fill, &AnswerKey::Blanks(blanks), 0)
    );
    assert_eq!(q[4].category, "新民主主义革命时期/长征");
    assert_eq!(q[0].source, "《中国共产党简史》");
}

#[test]
fn english_headers_in_any_order_with_tabs() {
    let bank = only(load_fixture("good-en.tsv").expect("valid"));
    assert_eq!(bank.language, "en");
    let q = &bank.questions;
    assert_eq!(
        q.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
        ["en-1", "en-2", "en-3", "en-4"]
    );
    assert_eq!(
        (q[0].qtype, &q[0].key),
        (QuestionType::Single, &AnswerKey::Choice(vec![1]))
    );
    assert_eq!(q[0].tags, ["oceans", "water"]);
    assert_eq!(
        (q[1].qtype, &q[1].key, q[1].points),
        (QuestionType::Multiple, &AnswerKey::Choice(vec![0, 2]), Some(5))
    );
    assert_eq!(
        (q[2].qtype, &q[2].options[..]),
        (
            QuestionType::TrueFalse,
            &["True".to_string(), "False".to_string()][..]
        )
    );
    let tokyo = vec![vec!["Tokyo".to_string(), "tokyo city".to_string()]];
    assert_eq!(q[3].key, AnswerKey::Blanks(tokyo));
}

#[test]
fn xlsx_reads_the_same_as_csv() {
    let text = std::fs::read_to_string(fixture("good.csv")).expect("fixture");
    let from_csv = load_bytes("good.csv", text.as_bytes(), &into_bank("t")).expect("csv");
    let from_xlsx = load_bytes("good.xlsx", &csv_as_xlsx(&text, "题库"), &into_bank("t")).expect("xlsx");
    assert_eq!(from_csv, from_xlsx);
}

/// Every error fixture: the errors' rows and a piece of each message, for CSV and for the same cells in xlsx.
#[rustfmt::skip]
const BAD: &[(&str, &[(usize, &str)])] = &[
    ("bad-missing-column.csv", &[(1, "missing column `解析` (explanation)")]),
    ("bad-unknown-column.csv", &[(1, "unknown column `题杆`")]),
    ("bad-answer-letter.csv", &[(3, "答案: `①` is not an option letter")]),
    ("bad-answer-beyond-options.csv", &[(3, "answer letter E names no option (there are 3)")]),
    ("bad-empty-stem.csv", &[(3, "`题干` is empty")]),
    ("bad-unknown-type.csv", &[(3, "unknown 题型 `问答`")]),
    ("bad-points.csv", &[(2, "分值 `十分` is not a whole number"), (3, "`分值` is 0, must be 1 to 1000")]),
    ("bad-duplicate-id.csv", &[(4, "duplicate question id `q1` (first defined at FILE:2)")]),
    ("bad-many-errors.csv", &[
        (3, "`题干` is empty"),
        (3, "answer letter D names no option (there are 3)"),
        (4, "分值 `abc` is not a whole number"),
        (4, "`难度` is 9, must be 1 to 5"),
        (4, "a multiple question has at least two correct options, the answer gives 1"),
        (5, "答案 `也许` is not 正确 or 错误"),
        (5, "`来源` is empty"),
        (6, "a fill stem marks each blank with ___"),
        (6, "category `分类/` has an empty path segment"),
        (8, "option B is empty"),
        (8, "`解析` is empty"),
    ]),
];

fn assert_errors(file: &str, errors: &[BankError], expected: &[(usize, &str)]) {
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for e in errors {
        assert_eq!(e.file, file, "{shown:#?}");
    }
    for (row, piece) in expected {
        let piece = piece.replace("FILE", file);
        assert!(
            errors
                .iter()
                .any(|e| e.line == *row && e.message.contains(&piece)),
            "{file}: no error `{piece}` at row {row} in {shown:#?}"
        );
    }
    assert_eq!(errors.len(), expected.len(), "{file}: {shown:#?}");
}

#[test]
fn every_bad_fixture_reports_every_error_with_its_row() {
    for (name, expected) in BAD {
        let text = std::fs::read_to_string(fixture(name)).expect("fixture");
        let errors = load_bytes(name, text.as_bytes(), &into_bank("t")).expect_err(name);
        assert_errors(name, &errors, expected);
        let xlsx_name = name.replace(".csv", ".xlsx");
        let errors = load_bytes(&xlsx_name, &csv_as_xlsx(&text, "题库"), &into_bank("t")).expect_err(name);
        assert_errors(&format!("{xlsx_name}[题库]"), &errors, expected);
    }
}

#[test]
fn a_file_without_a_bank_id_needs_one() {
    let text = std::fs::read(fixture("good.csv")).expect("fixture");
    let errors = load_bytes("good.csv", &text, &ImportOptions::default()).expect_err("no id");
    assert_eq!((errors.len(), errors[0].line), (1, 0));
    assert!(errors[0].message.contains("--bank"), "{errors:?}");
    let check = ImportOptions {
        fallback_bank: Some("unnamed".into()),
        ..ImportOptions::default()
    };
    assert_eq!(
        only(load_bytes("good.csv", &text, &check).expect("fallback")).id,
        "unnamed"
    );
    // The bank id is held to the native rules.
    let errors = load_bytes("good.csv", &text, &into_bank("党史")).expect_err("bad id");
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("may only use ASCII letters")),
        "{errors:?}"
    );
}

fn every_bank() -> Vec<Bank> {
    let mut banks =
        load_path(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question_banks")).expect("shipped");
    for name in ["every-field.toml", "english.toml"] {
        banks.extend(load_path(&fixture(name)).expect(name));
    }
    let links = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/links.toml");
    banks.extend(load_path(&links).expect("links.toml"));
    assert!(banks.iter().flat_map(|b| &b.questions).any(|q| q.group.is_some()));
    assert!(
        banks
            .iter()
            .flat_map(|b| &b.questions)
            .any(|q| !q.excludes.is_empty())
    );
    assert!(
        banks
            .iter()
            .flat_map(|b| &b.questions)
            .any(|q| !q.lint_ok.is_empty())
    );
    banks
}

#[test]
fn native_to_xlsx_to_native_is_lossless() {
    let banks = every_bank();
    assert!(banks.iter().map(|b| b.questions.len()).sum::<usize>() > 600);
    for bank in banks {
        let bytes = export::to_xlsx(&bank).expect("xlsx");
        let back = only(load_bytes("export.xlsx", &bytes, &ImportOptions::default()).expect("imports back"));
        assert_eq!(back.questions.len(), bank.questions.len());
        for (a, b) in bank.questions.iter().zip(&back.questions) {
            assert_eq!(a, b, "bank {}", bank.id);
        }
        assert_eq!(back, bank);
        // And native text again: the exported TOML parses to the same bank.
        let text = export::to_native(&back);
        assert_eq!(
            only(load_texts(&[("export.toml".into(), text)]).expect("native")),
            bank
        );
    }
}

#[test]
fn xlsx_info_sheet_names_the_bank_and_the_option_overrides_it() {
    let bank = only(load_path(&fixture("english.toml")).expect("fixture"));
    let bytes = export::to_xlsx(&bank).expect("xlsx");
    let other = only(load_bytes("x.xlsx", &bytes, &into_bank("renamed")).expect("imports"));
    assert_eq!(
        (other.id.as_str(), other.title.as_str(), other.language.as_str()),
        ("renamed", "English fields", "en")
    );
    assert!(other.questions.iter().all(|q| q.bank_id == "renamed"));
}

#[test]
fn the_template_imports_one_question_of_each_type() {
    let bytes = export::template_xlsx().expect("template");
    let errors =
        load_bytes("template.xlsx", &bytes, &ImportOptions::default()).expect_err("no id in the template");
    assert!(errors[0].message.contains("--bank"));
    let bank = only(load_bytes("template.xlsx", &bytes, &into_bank("demo")).expect("valid examples"));
    let types: Vec<QuestionType> = bank.questions.iter().map(|q| q.qtype).collect();
    assert_eq!(types, QuestionType::ALL);
    assert_eq!(bank.language, "zh-CN");
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("workbook");
    use calamine::Reader as _;
    assert_eq!(workbook.sheet_names(), ["题库", "说明", "题库信息"]);
    let help = workbook.worksheet_range("说明").expect("help");
    let names: Vec<String> = help
        .rows()
        .skip(1)
        .map(|r| r[0].to_string())
        .filter(|n| !n.is_empty())
        .collect();
    for column in [
        "编号",
        "题型",
        "题干",
        "选项A…选项H",
        "答案",
        "解析",
        "分值",
        "难度",
        "知识点",
        "来源",
        "标签",
        "互斥组",
        "互斥题号",
        "复核通过",
    ] {
        assert!(
            names.iter().any(|n| n == column),
            "说明 lacks {column}: {names:?}"
        );
    }
}

#[test]
fn not_an_xlsx_file_is_one_error() {
    let errors = load_bytes("fake.xlsx", b"not a zip", &into_bank("t")).expect_err("not xlsx");
    assert_eq!(
        (errors.len(), errors[0].file.as_str(), errors[0].line),
        (1, "fake.xlsx", 0)
    );
}

#[test]
fn formats_are_chosen_by_extension_and_txt_by_content() {
    let cases: [(&str, &[u8], Format); 10] = [
        ("a.toml", b"", Format::Native),
        ("a.XLSX", b"", Format::Xlsx),
        ("a.csv", b"", Format::Csv),
        ("a.gift", b"", Format::Gift),
        ("a.aiken", b"", Format::Aiken),
        ("a.xml", b"", Format::MoodleXml),
        ("a.txt", b"// c\nQ {=a ~b}\n", Format::Gift),
        ("a.txt", b"Q?\nA. x\nB. y\nANSWER: A\n", Format::Aiken),
        ("a.txt", b"[bank]\nid = 'x'\n", Format::Native),
        ("bank", b"", Format::Native),
    ];
    for (name, bytes, format) in cases {
        assert_eq!(Format::detect(name, bytes), format, "{name}");
    }
    // A native file names its own bank.
    let good = std::fs::read(fixture("english.toml")).expect("fixture");
    assert!(load_bytes("english.toml", &good, &into_bank("t")).is_err());
    assert_eq!(
        only(load_bytes("english.toml", &good, &ImportOptions::default()).expect("native")).id,
        "every-field-en"
    );
}
