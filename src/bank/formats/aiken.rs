//! Aiken: multiple choice in plain text. The first line is the stem (more lines may follow it), then the
//! options `A.` or `A)` (also `A、`, `A．`) in order, then `ANSWER: B` (also `答案：B`). Several answer letters
//! (`ANSWER: A,C`) make a multiple choice question, an extension of plain Aiken. Blank lines between
//! questions are optional.

use super::draft::{self, Draft, Header, Labels, Location};
use super::{Source, defaults, guess_language};
use crate::bank::model::QuestionType;
use crate::bank::{BankError, LocatedBank, option_letter};

/// The answer letters of an `ANSWER:` line (also `答案：`), None for other lines.
pub fn answer_line(line: &str) -> Option<&str> {
    let line = line.trim();
    for prefix in ["ANSWER", "答案"] {
        if line.len() >= prefix.len()
            && line.is_char_boundary(prefix.len())
            && line[..prefix.len()].eq_ignore_ascii_case(prefix)
            && let Some(rest) = line[prefix.len()..].trim_start().strip_prefix([':', '：'])
        {
            return Some(rest.trim());
        }
    }
    None
}

/// `B. text` -> (1, "text").
fn option_line(line: &str) -> Option<(usize, &str)> {
    let mut chars = line.trim_start().char_indices();
    let (_, letter) = chars.next()?;
    let (at, mark) = chars.next()?;
    if !letter.is_ascii_uppercase() || !matches!(mark, '.' | ')' | '、' | '．' | '）') {
        return None;
    }
    let text = &line.trim_start()[at + mark.len_utf8()..];
    Some((usize::from(letter as u8 - b'A'), text))
}

struct Item {
    line: usize,
    stem: Vec<String>,
    options: Vec<String>,
    answer: Option<String>,
}

pub fn load(source: &Source<'_>, text: &str) -> Result<LocatedBank, Vec<BankError>> {
    let mut errors = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut open: Option<Item> = None;
    let at = |line: usize| Location::new(source.name, line);
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let Some(item) = open.as_mut() else {
            if answer_line(line).is_some() {
                errors.push(at(number).error("`ANSWER:` without a question before it"));
            } else {
                open = Some(Item {
                    line: number,
                    stem: vec![line.trim().to_string()],
                    options: Vec::new(),
                    answer: None,
                });
            }
            continue;
        };
        if let Some(letters) = answer_line(line) {
            if item.options.is_empty() {
                errors
                    .push(at(number).error("the question has no options (`A. …`, `B. …`) before `ANSWER:`"));
            }
            item.answer = Some(letters.to_string());
            items.extend(open.take());
        } else if let Some((index, option)) = option_line(line) {
            if index != item.options.len() {
                let expected = option_letter(item.options.len());
                let msg = format!(
                    "option {} where option {expected} was expected (options go A, B, C… in order)",
                    option_letter(index)
                );
                errors.push(at(number).error(msg));
            }
            item.options.push(option.trim().to_string());
        } else if item.options.is_empty() {
            item.stem.push(line.trim().to_string());
        } else {
            let msg = "a line after the options that is neither an option (`C. …`) nor `ANSWER: …`; \
                       a question may be missing its ANSWER line";
            errors.push(at(number).error(msg));
        }
    }
    if let Some(item) = open {
        errors.push(at(item.line).error("the question has no `ANSWER:` line"));
    }
    let id = source.bank_id(None).map_err(|e| {
        errors.push(e);
        errors.clone()
    })?;
    let language = guess_language(items.iter().flat_map(|i| i.stem.iter().map(String::as_str))).to_string();
    let places: Vec<Location> = items.iter().map(|i| at(i.line)).collect();
    let drafts: Vec<Draft> = (items.into_iter().enumerate())
        .map(|(n, item)| {
            let answer = item.answer.unwrap_or_default();
            let letters = answer.chars().filter(char::is_ascii_alphabetic).count();
            Draft {
                id: Some(format!("{id}-{:04}", n + 1)),
                qtype: Some(if letters > 1 {
                    QuestionType::Multiple
                } else {
                    QuestionType::Single
                }),
                category: Some(defaults::category(&language).into()),
                difficulty: Some(defaults::DIFFICULTY),
                stem: Some(item.stem.join("\n")),
                options: Some(item.options),
                explanation: Some(defaults::explanation(&language, &answer)),
                source: Some(source.base_name.clone()),
                answer: Some(toml::Value::String(answer)),
                ..Draft::default()
            }
        })
        .collect();
    let header = Header {
        id,
        title: source.default_title(),
        language,
    };
    let labels = Labels {
        header_at: Location::new(source.name, 0),
        field: Box::new(|_| None),
        cells: false,
    };
    draft::validate(&header, &drafts, &places, &labels, errors)
}
