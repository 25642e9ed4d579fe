//! GIFT (Moodle's text format), the multiple-choice, true/false and short-answer subset:
//!
//! ```text
//! // comment
//! $CATEGORY: 党史/建党
//! ::q1:: 中共一大在哪一年召开？{=1921年 ~1919年 ~1927年 ####1921年7月，中共一大在上海召开。}
//! 遵义会议是在1935年召开的。{T}
//! 红军长征的起点是{=瑞金 =江西瑞金}。
//! 下列属于"三大法宝"的有{~%50%统一战线 ~%50%武装斗争 ~%-100%土地革命}
//! ```
//!
//! `{=a ~b ~c}` is single choice; `~%50%` weights without `=` make a multiple choice (options with a positive
//! weight are correct); `{T}`/`{F}` true/false; only `=` answers a fill-in (each `=` an accepted alternative;
//! the blank is where the braces stand). `####text` is the explanation. Matching, numerical, essay and cloze
//! questions are errors. Questions are separated by blank lines.

use super::draft::{self, Draft, Header, Labels, Location};
use super::{Source, defaults, guess_language, moodle::html_to_text};
use crate::bank::model::QuestionType;
use crate::bank::{BankError, LocatedBank, count_blanks, option_letter};

/// A question as GIFT writes it, before defaults.
struct Item {
    line: usize,
    category: Option<String>,
    qtype: QuestionType,
    stem: String,
    options: Vec<String>,
    answer: toml::Value,
    explanation: Option<String>,
}

pub fn load(source: &Source<'_>, text: &str) -> Result<LocatedBank, Vec<BankError>> {
    let mut errors = Vec::new();
    let mut items = Vec::new();
    let mut category: Option<String> = None;
    for (start, block) in blocks(text) {
        let mut body = block.as_str();
        let mut line = start;
        if let Some(rest) = body.trim_start().strip_prefix("$CATEGORY:") {
            let (path, tail) = rest.split_once('\n').unwrap_or((rest, ""));
            category = Some(clean_category(path));
            body = tail;
            line += 1;
            if body.trim().is_empty() {
                continue;
            }
        }
        match item(body, line, category.clone()) {
            Ok(item) => items.push(item),
            Err(e) => errors.push(Location::new(source.name, e.0).error(e.1)),
        }
    }
    finish(source, items, errors)
}

fn finish(
    source: &Source<'_>,
    items: Vec<Item>,
    mut errors: Vec<BankError>,
) -> Result<LocatedBank, Vec<BankError>> {
    let id = source.bank_id(None).map_err(|e| {
        errors.push(e);
        errors.clone()
    })?;
    let language = guess_language(items.iter().map(|i| i.stem.as_str())).to_string();
    let at: Vec<Location> = items.iter().map(|i| Location::new(source.name, i.line)).collect();
    let drafts: Vec<Draft> = (items.into_iter().enumerate())
        .map(|(n, item)| Draft {
            id: Some(format!("{id}-{:04}", n + 1)),
            qtype: Some(item.qtype),
            category: Some(
                item.category
                    .unwrap_or_else(|| defaults::category(&language).into()),
            ),
            difficulty: Some(defaults::DIFFICULTY),
            explanation: Some((item.explanation).unwrap_or_else(|| {
                defaults::explanation(&language, &draft::answer_text(&item.answer, &language))
            })),
            source: Some(source.base_name.clone()),
            stem: Some(item.stem),
            options: (!item.options.is_empty()).then_some(item.options),
            answer: Some(item.answer),
            ..Draft::default()
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
    draft::validate(&header, &drafts, &at, &labels, errors)
}

/// Questions: runs of non-blank lines, comment lines left out, with the line each starts on.
fn blocks(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        if line.trim().is_empty() {
            out.extend(current.take());
            continue;
        }
        let (_, block) = current.get_or_insert_with(|| (i + 1, String::new()));
        if !block.is_empty() {
            block.push('\n');
        }
        block.push_str(line);
    }
    out.extend(current);
    out
}

/// `$course$/top/党史/建党` -> `党史/建党`.
pub(crate) fn clean_category(path: &str) -> String {
    let mut path = path.trim();
    if path.starts_with('$')
        && let Some((_, rest)) = path[1..].split_once("$/")
    {
        path = rest;
    }
    let path = path.strip_prefix("top/").unwrap_or(path);
    path.trim().to_string()
}

/// Byte offset of the first unescaped `target` at or after `from`.
fn find_unescaped(text: &str, target: char, from: usize) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text[from..].char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == target {
            return Some(from + i);
        }
    }
    None
}

fn line_of(text: &str, start: usize, offset: usize) -> usize {
    start + text[..offset].matches('\n').count()
}

/// `\~ \= \# \{ \} \: \\` are literal; `\n` is a line break. Not trimmed (the parts of a stem keep their
/// spaces around the blank); the native parser trims every field.
fn unescape(text: &str, html: bool) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(next) => out.push(next),
            None => out.push('\\'),
        }
    }
    if html { html_to_text(&out) } else { out }
}

type Problem = (usize, String);

fn item(body: &str, start: usize, category: Option<String>) -> Result<Item, Problem> {
    let mut rest = body.trim_start();
    let lead = body.len() - rest.len();
    let start = line_of(body, start, lead);
    if let Some(titled) = rest.strip_prefix("::") {
        let end = titled
            .find("::")
            .ok_or((start, "the title `::…` has no closing `::`".to_string()))?;
        rest = titled[end + 2..].trim_start();
    }
    let mut html = false;
    if rest.starts_with('[')
        && let Some(end) = rest.find(']')
    {
        html = rest[1..end].eq_ignore_ascii_case("html");
        rest = rest[end + 1..].trim_start();
    }
    let here = |offset: usize| line_of(rest, start, offset);
    let open = find_unescaped(rest, '{', 0).ok_or((
        start,
        "no answer block: a GIFT question has its answers in braces, e.g. `{=right ~wrong}`".to_string(),
    ))?;
    let close = find_unescaped(rest, '}', open + 1)
        .ok_or((here(open), "the answer block `{` has no closing `}`".to_string()))?;
    let (before, inside, after) = (&rest[..open], &rest[open + 1..close], &rest[close + 1..]);
    if find_unescaped(after, '{', 0).is_some() {
        let msg = "more than one answer block: cloze (embedded answers) questions are not supported";
        return Err((here(close), msg.into()));
    }
    let (inside, explanation) = match inside.find("####") {
        Some(at) => (
            &inside[..at],
            Some(unescape(&inside[at + 4..], html)).filter(|e| !e.trim().is_empty()),
        ),
        None => (inside, None),
    };
    let (qtype, options, answer) = answers(inside.trim(), html).map_err(|m| (here(open), m))?;
    let (before, after) = (unescape(before, html), unescape(after, html));
    let stem = match (qtype, after.trim().is_empty()) {
        (QuestionType::Fill, true) if count_blanks(&before) > 0 => before,
        (QuestionType::Fill, _) | (_, false) => format!("{before}____{after}"),
        (_, true) => before,
    };
    let stem = stem.trim().to_string();
    Ok(Item {
        line: start,
        category,
        qtype,
        stem,
        options,
        answer,
        explanation,
    })
}

/// One `=`/`~` entry: its weight (`%50%`) and text (feedback after `#` dropped).
struct Entry {
    right: bool,
    weight: Option<f64>,
    text: String,
}

fn answers(inside: &str, html: bool) -> Result<(QuestionType, Vec<String>, toml::Value), String> {
    const UNSUPPORTED: &str = "only multiple choice, true/false and short answer are imported";
    let upper = inside.split('#').next().unwrap_or("").trim().to_ascii_uppercase();
    match upper.as_str() {
        "T" | "TRUE" => return Ok((QuestionType::TrueFalse, Vec::new(), toml::Value::Boolean(true))),
        "F" | "FALSE" => return Ok((QuestionType::TrueFalse, Vec::new(), toml::Value::Boolean(false))),
        "" => {
            return Err(format!(
                "an empty answer block is an essay question; {UNSUPPORTED}"
            ));
        }
        _ => {}
    }
    if inside.starts_with('#') {
        return Err(format!("`{{#…}}` is a numerical question; {UNSUPPORTED}"));
    }
    if !inside.starts_with(['=', '~']) {
        return Err("each answer starts with `=` (right) or `~` (wrong)".into());
    }
    let entries = entries(inside, html)?;
    if entries.iter().any(|e| e.text.contains("->")) {
        return Err(format!("`->` makes a matching question; {UNSUPPORTED}"));
    }
    let rights = entries.iter().filter(|e| e.right).count();
    if rights == entries.len() {
        if entries.iter().any(|e| e.weight.is_some_and(|w| w < 100.0)) {
            return Err("partial-credit short answers (`=%50%…`) are not supported".into());
        }
        let alternatives = entries.into_iter().map(|e| toml::Value::String(e.text)).collect();
        return Ok((
            QuestionType::Fill,
            Vec::new(),
            toml::Value::Array(vec![toml::Value::Array(alternatives)]),
        ));
    }
    let correct: Vec<usize> = if rights > 0 {
        if entries
            .iter()
            .any(|e| !e.right && e.weight.is_some_and(|w| w > 0.0))
        {
            return Err("partial credit (`~%50%…`) next to `=` is not supported".into());
        }
        (0..entries.len()).filter(|&i| entries[i].right).collect()
    } else {
        (0..entries.len())
            .filter(|&i| entries[i].weight.is_some_and(|w| w > 0.0))
            .collect()
    };
    let qtype = if rights > 0 || correct.len() == 1 {
        QuestionType::Single
    } else {
        QuestionType::Multiple
    };
    let letters: String = correct.iter().map(|&i| option_letter(i)).collect();
    let options = entries.into_iter().map(|e| e.text).collect();
    Ok((qtype, options, toml::Value::String(letters)))
}

fn entries(inside: &str, html: bool) -> Result<Vec<Entry>, String> {
    let mut raw: Vec<(bool, String)> = Vec::new();
    let mut escaped = false;
    for c in inside.chars() {
        match c {
            _ if escaped => {
                escaped = false;
                if let Some((_, text)) = raw.last_mut() {
                    text.push(c);
                }
                continue;
            }
            '\\' => escaped = true,
            '=' | '~' => {
                raw.push((c == '=', String::new()));
                continue;
            }
            _ => {}
        }
        if let Some((_, text)) = raw.last_mut() {
            text.push(c);
        }
    }
    let mut out = Vec::new();
    for (right, text) in raw {
        let mut text = text.as_str();
        let mut weight = None;
        if let Some(rest) = text.trim_start().strip_prefix('%') {
            let (number, tail) = rest.split_once('%').ok_or("a weight `%…` has no closing `%`")?;
            weight = Some(
                number
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`%{number}%` is not a weight"))?,
            );
            text = tail;
        }
        let text = match find_unescaped(text, '#', 0) {
            Some(at) => &text[..at],
            None => text,
        };
        out.push(Entry {
            right,
            weight,
            text: unescape(text, html),
        });
    }
    Ok(out)
}
