//! The native TOML bank format: parsing and validation (see docs/bank-format.md).
//!
//! The document is first parsed into toml's spanned tree (`DeTable`), then the `[bank]` table and
//! each `[[questions]]` table are deserialized one by one, so that a broken question does not hide
//! the problems of the others: every error of a file is collected, each with its line.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::{Range, RangeInclusive};

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::model::{AnswerKey, Bank, MAX_BLANK_CHARS, Question, QuestionType, true_false_labels};
use super::{BankError, count_blanks, option_letter as letter, parse_choice_answer};

/// The languages a bank may declare.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];
/// Choice questions have this many options (A to H).
pub const OPTION_COUNT: RangeInclusive<usize> = 2..=8;
pub const DIFFICULTY: RangeInclusive<i64> = 1..=5;
pub const POINTS: RangeInclusive<i64> = 1..=1000;

/// One parsed file: its bank (with only this file's questions) and the lines that errors spanning
/// several files need.
pub(crate) struct ParsedFile {
    pub bank: Bank,
    /// Line of the `[bank]` header.
    pub header_line: usize,
    /// Line of each question's `id`, parallel to `bank.questions`.
    pub question_lines: Vec<usize>,
    /// Lines of each question's `excludes` and `lint_ok` entries, parallel to `bank.questions`.
    pub link_lines: Vec<LinkLines>,
}

/// The line of every id a question names in `excludes` and `lint_ok` (same order as the fields), so that an id
/// naming no question of the bank can be reported where it is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkLines {
    pub excludes: Vec<usize>,
    pub lint_ok: Vec<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBank {
    id: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
}

const BANK_FIELDS: &[&str] = &["id", "title", "language"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Option<Spanned<String>>,
    #[serde(rename = "type")]
    qtype: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    difficulty: Option<Spanned<i64>>,
    points: Option<Spanned<i64>>,
    tags: Option<Vec<Spanned<String>>>,
    stem: Option<Spanned<String>>,
    options: Option<Spanned<Vec<Spanned<String>>>>,
    answer: Option<Spanned<toml::Value>>,
    explanation: Option<Spanned<String>>,
    source: Option<Spanned<String>>,
    group: Option<Spanned<String>>,
    excludes: Option<Vec<Spanned<String>>>,
    lint_ok: Option<Vec<Spanned<String>>>,
}

#[rustfmt::skip]
const QUESTION_FIELDS: &[&str] = &[
    "id", "type", "category", "difficulty", "points", "tags", "stem", "options", "answer",
    "explanation", "source", "group", "excludes", "lint_ok",
];

const TRUE_FALSE_SHAPE: &str = "the answer of a true_false question is `true` or `false` (no quotes)";
const NO_BLANK: &str = "a fill stem marks each blank with ___ (three or more '_'); this stem has none";

/// Parse one file. On success the bank holds this file's questions only.
pub(crate) fn parse_file(file: &str, text: &str) -> Result<ParsedFile, Vec<BankError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut cx = Cx::new(file, text);
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        for e in &syntax_errors {
            cx.toml_error(e, 0, "TOML syntax error");
        }
        return Err(cx.finish());
    }
    let mut root = root.into_inner();
    let bank_value = root.remove("bank");
    let questions_value = root.remove("questions");
    for key in root.keys() {
        cx.unknown_key(key, &["bank", "questions"], "top-level key", "");
    }

    let (mut header_line, mut id, mut title, mut language) = (1, None, None, None);
    match bank_value {
        None => cx.error(0, "missing [bank] table (with id, title and language)"),
        Some(value) => {
            let at = value.span().start;
            header_line = cx.line(at);
            if let Some(raw) = cx.deserialize::<RawBank>(value, BANK_FIELDS, "[bank]") {
                (id, title, language) = cx.header(raw, at);
            }
        }
    }
    let mut bank = Bank {
        id: id.unwrap_or_default(),
        title: title.unwrap_or_default(),
        language: language.unwrap_or_else(|| LANGUAGES[0].to_string()),
        questions: Vec::new(),
    };

    let items = match questions_value.map(|v| (v.span(), v.into_inner())) {
        Some((_, DeValue::Array(items))) if !items.is_empty() => items,
        None | Some((_, DeValue::Array(_))) => {
            cx.error(0, "no [[questions]] in this file");
            Default::default()
        }
        Some((span, _)) => {
            cx.error(
                span.start,
                "`questions` must be an array of tables: use [[questions]]",
            );
            Default::default()
        }
    };
    let mut question_lines = Vec::new();
    let mut link_lines = Vec::new();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for item in items {
        let at = item.span().start;
        if !item.get_ref().is_table() {
            cx.error(at, "each entry of `questions` must be a table ([[questions]])");
            continue;
        }
        let Some(raw) = cx.deserialize::<RawQuestion>(item, QUESTION_FIELDS, "[[questions]]") else {
            continue;
        };
        let id_line = cx.line(raw.id.as_ref().map_or(at, |id| id.span().start));
        let id = raw.id.as_ref().map_or("", |id| id.get_ref().trim());
        if let Some(first) = first_line_of.get(id) {
            let msg = format!("duplicate question id `{id}` (first defined at line {first})");
            cx.error_at_line(id_line, msg);
        } else if !id.is_empty() {
            first_line_of.insert(id.to_string(), id_line);
        }
        let lines = LinkLines {
            excludes: cx.lines_of(raw.excludes.as_deref()),
            lint_ok: cx.lines_of(raw.lint_ok.as_deref()),
        };
        if let Some(question) = cx.question(raw, at, &bank) {
            question_lines.push(id_line);
            link_lines.push(lines);
            bank.questions.push(question);
        }
    }

    if !cx.errors.is_empty() {
        return Err(cx.finish());
    }
    Ok(ParsedFile {
        bank,
        header_line,
        question_lines,
        link_lines,
    })
}

/// Every id named in `excludes` or `lint_ok` must be a question of the same bank (of any of its files).
/// `place(i)` is the file of question `i` and the lines of its links. Errors come in question order.
pub(crate) fn unknown_links<'a>(
    bank: &Bank,
    place: impl Fn(usize) -> (&'a str, &'a LinkLines),
) -> Vec<BankError> {
    let ids: std::collections::HashSet<&str> = bank.questions.iter().map(|q| q.id.as_str()).collect();
    let mut errors = Vec::new();
    for (i, q) in bank.questions.iter().enumerate() {
        let (file, lines) = place(i);
        for (field, named, at) in [
            ("excludes", &q.excludes, &lines.excludes),
            ("lint_ok", &q.lint_ok, &lines.lint_ok),
        ] {
            for (k, id) in named.iter().enumerate() {
                if !ids.contains(id.as_str()) {
                    errors.push(BankError {
                        file: file.to_string(),
                        line: at.get(k).copied().unwrap_or(0),
                        message: format!(
                            "`{field}` of question `{}` names `{id}`, which is no question of bank `{}` (it names \
                             questions of the same bank; a bank split across files is checked and imported whole)",
                            q.id, bank.id
                        ),
                    });
                }
            }
        }
    }
    errors
}

/// Error collector for one file; converts byte offsets to 1-based lines.
struct Cx<'a> {
    file: &'a str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    errors: Vec<BankError>,
}

impl<'a> Cx<'a> {
    fn new(file: &'a str, text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let errors = Vec::new();
        Cx {
            file,
            line_starts,
            errors,
        }
    }

    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    fn lines_of(&self, items: Option<&[Spanned<String>]>) -> Vec<usize> {
        (items.unwrap_or_default().iter())
            .map(|item| self.line(item.span().start))
            .collect()
    }

    fn error_at_line(&mut self, line: usize, message: impl Into<String>) {
        let (file, message) = (self.file.to_string(), message.into());
        self.errors.push(BankError { file, line, message });
    }

    fn error(&mut self, offset: usize, message: impl Into<String>) {
        self.error_at_line(self.line(offset), message);
    }

    /// Report an error and give up on the value being checked.
    fn fail<T>(&mut self, offset: usize, message: impl Into<String>) -> Option<T> {
        self.error(offset, message);
        None
    }

    fn finish(mut self) -> Vec<BankError> {
        self.errors.sort_by_key(|e| e.line);
        self.errors
    }

    fn toml_error(&mut self, e: &toml::de::Error, fallback: usize, what: &str) {
        let offset = e.span().map_or(fallback, |s| s.start);
        let message: Vec<&str> = e.message().lines().map(str::trim).collect();
        self.error(offset, format!("{what}: {}", message.join("; ")));
    }

    fn unknown_key(&mut self, key: &Spanned<Cow<'_, str>>, known: &[&str], kind: &str, place: &str) {
        let name = key.get_ref().as_ref();
        let hint = match known.iter().find(|k| edit_distance(k, name) <= 2) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("expected one of: {}", known.join(", ")),
        };
        let msg = format!("unknown {kind} `{name}`{place} ({hint})");
        self.error(key.span().start, msg);
    }

    /// Report and drop unknown keys of a table, then deserialize it. A type error names its field.
    fn deserialize<T: for<'de> Deserialize<'de>>(
        &mut self,
        mut value: Spanned<DeValue<'_>>,
        fields: &[&str],
        place: &str,
    ) -> Option<T> {
        let fallback = value.span().start;
        let DeValue::Table(table) = value.get_mut() else {
            return self.fail(fallback, format!("{place} must be a table"));
        };
        let unknown: Vec<_> = (table.keys())
            .filter(|k| !fields.contains(&k.get_ref().as_ref()))
            .cloned()
            .collect();
        for key in &unknown {
            self.unknown_key(key, fields, "field", &format!(" in {place}"));
            table.remove(key.get_ref().as_ref());
        }
        let value_spans: Vec<(String, Range<usize>)> = (table.iter())
            .map(|(k, v)| (k.get_ref().to_string(), v.span()))
            .collect();
        T::deserialize(ValueDeserializer::from(value))
            .map_err(|e| {
                let offset = e.span().map_or(fallback, |s| s.start);
                let field = (value_spans.iter())
                    .find(|(_, span)| span.contains(&offset))
                    .map_or(String::new(), |(name, _)| format!(" `{name}`"));
                let message = (e.message())
                    .replace("expected i64", "expected an integer")
                    .replace("expected a sequence", "expected an array");
                let message: Vec<&str> = message.lines().map(str::trim).collect();
                self.error(offset, format!("invalid{field}: {}", message.join("; ")));
            })
            .ok()
    }

    /// A required, trimmed, non-empty string field; None after reporting a problem.
    fn text(&mut self, field: Option<Spanned<String>>, name: &str, at: usize) -> Option<String> {
        let Some(field) = field else {
            return self.fail(at, format!("missing field `{name}`"));
        };
        match field.get_ref().trim() {
            "" => self.fail(field.span().start, format!("`{name}` is empty")),
            text => Some(text.to_string()),
        }
    }

    /// Like [`Cx::text`], then `check` the text; `check` returns a problem to report.
    fn checked_text(
        &mut self,
        field: Option<Spanned<String>>,
        name: &str,
        at: usize,
        check: impl FnOnce(&str) -> Option<String>,
    ) -> Option<String> {
        let offset = field.as_ref().map_or(at, |f| f.span().start);
        let text = self.text(field, name, at)?;
        match check(&text) {
            Some(problem) => self.fail(offset, problem),
            None => Some(text),
        }
    }

    fn header(&mut self, raw: RawBank, at: usize) -> (Option<String>, Option<String>, Option<String>) {
        let id = self.checked_text(raw.id, "bank.id", at, |id| {
            let ok = id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            (!ok).then(|| format!("bank.id `{id}` may only use ASCII letters, digits, '-' and '_'"))
        });
        let title = self.text(raw.title, "bank.title", at);
        let language = self.checked_text(raw.language, "bank.language", at, |lang| {
            let ok = LANGUAGES.contains(&lang);
            (!ok).then(|| format!("bank.language `{lang}` is not one of {}", LANGUAGES.join(", ")))
        });
        (id, title, language)
    }

    /// Validate one question; None when it has errors (all of them reported).
    fn question(&mut self, raw: RawQuestion, at: usize, bank: &Bank) -> Option<Question> {
        let before = self.errors.len();
        let id = self.text(raw.id, "id", at);
        let qtype = match raw.qtype {
            None => self.fail(at, "missing field `type`"),
            Some(t) => match QuestionType::parse(t.get_ref().trim()) {
                None => {
                    let msg = format!(
                        "unknown type `{}` (expected single, multiple, true_false or fill)",
                        t.get_ref()
                    );
                    self.fail(t.span().start, msg)
                }
                parsed => parsed,
            },
        };
        let category = self.checked_text(raw.category, "category", at, |text| {
            let empty_segment = text.split('/').any(|s| s.trim().is_empty());
            empty_segment.then(|| format!("category `{text}` has an empty path segment"))
        });
        let category = category.map(|c| c.split('/').map(str::trim).collect::<Vec<_>>().join("/"));
        let difficulty = match raw.difficulty {
            None => self.fail(at, "missing field `difficulty`"),
            Some(d) => self.in_range(d, "difficulty", DIFFICULTY),
        };
        let points = raw.points.and_then(|p| self.in_range(p, "points", POINTS));
        let mut tags = Vec::new();
        for tag in raw.tags.unwrap_or_default() {
            match tag.get_ref().trim() {
                "" => self.error(tag.span().start, "empty tag"),
                text => tags.push(text.to_string()),
            }
        }
        let stem = self.text(raw.stem, "stem", at);
        let explanation = self.text(raw.explanation, "explanation", at);
        let source = self.text(raw.source, "source", at);
        let group = raw.group.and_then(|g| self.text(Some(g), "group", at));
        let own_id = id.as_deref().unwrap_or_default();
        let excludes = self.id_list(raw.excludes, "excludes", own_id);
        let lint_ok = self.id_list(raw.lint_ok, "lint_ok", own_id);
        let (options, key) = match qtype {
            Some(t) => self.key(t, raw.options, raw.answer, stem.as_deref(), &bank.language, at),
            None => (Vec::new(), None),
        };
        if self.errors.len() > before {
            return None;
        }
        Some(Question {
            bank_id: bank.id.clone(),
            id: id?,
            qtype: qtype?,
            category: category?,
            difficulty: u8::try_from(difficulty?).ok()?,
            points: points.and_then(|p| u32::try_from(p).ok()),
            tags,
            stem: stem?,
            options,
            key: key?,
            explanation: explanation?,
            source: source?,
            group,
            excludes,
            lint_ok,
        })
    }

    /// `excludes` or `lint_ok`: ids of other questions, each trimmed, non-empty, given once, not the question's
    /// own (whether the ids exist is checked once the whole bank is read: [`unknown_links`]).
    fn id_list(&mut self, items: Option<Vec<Spanned<String>>>, name: &str, own_id: &str) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for item in items.unwrap_or_default() {
            let at = item.span().start;
            match item.get_ref().trim() {
                "" => self.error(at, format!("`{name}` has an empty id")),
                id if id == own_id => self.error(at, format!("`{name}` names the question itself (`{id}`)")),
                id if ids.iter().any(|known| known == id) => {
                    self.error(at, format!("`{name}` names `{id}` twice"))
                }
                id => ids.push(id.to_string()),
            }
        }
        ids
    }

    fn in_range(&mut self, field: Spanned<i64>, name: &str, range: RangeInclusive<i64>) -> Option<i64> {
        let value = *field.get_ref();
        if range.contains(&value) {
            return Some(value);
        }
        let (min, max) = range.into_inner();
        self.fail(
            field.span().start,
            format!("`{name}` is {value}, must be {min} to {max}"),
        )
    }

    /// Options and answer key, by type.
    fn key(
        &mut self,
        qtype: QuestionType,
        options: Option<Spanned<Vec<Spanned<String>>>>,
        answer: Option<Spanned<toml::Value>>,
        stem: Option<&str>,
        language: &str,
        at: usize,
    ) -> (Vec<String>, Option<AnswerKey>) {
        let name = qtype.as_str();
        if let Some(options) = &options
            && !matches!(qtype, QuestionType::Single | QuestionType::Multiple)
        {
            let msg = format!("{name} questions take no `options`");
            self.error(options.span().start, msg);
        }
        let Some(answer) = answer else {
            return (Vec::new(), self.fail(at, "missing field `answer`"));
        };
        let answer_at = answer.span().start;
        let outcome = match qtype {
            QuestionType::Single | QuestionType::Multiple => {
                let options = self.options(options, name, at);
                let count = options.as_ref().map_or(usize::MAX, Vec::len);
                choice_answer(qtype, answer.get_ref(), count)
                    .map(|picked| (options.unwrap_or_default(), AnswerKey::Choice(picked)))
            }
            QuestionType::TrueFalse => match answer.get_ref() {
                toml::Value::Boolean(b) => {
                    let labels = true_false_labels(language).map(str::to_string).to_vec();
                    Ok((labels, AnswerKey::Choice(vec![usize::from(!b)])))
                }
                _ => Err(vec![TRUE_FALSE_SHAPE.into()]),
            },
            QuestionType::Fill => fill_answer(answer.get_ref()).and_then(|blanks| {
                match (stem.map(count_blanks), blanks.len()) {
                    (Some(0), _) => Err(vec![NO_BLANK.into()]),
                    (Some(n), m) if n != m => Err(vec![format!(
                        "the stem has {n} blank(s) but the answer has {m} entr{}",
                        if m == 1 { "y" } else { "ies" }
                    )]),
                    _ => Ok((Vec::new(), AnswerKey::Blanks(blanks))),
                }
            }),
        };
        match outcome {
            Ok((options, key)) => (options, Some(key)),
            Err(problems) => {
                for problem in problems {
                    self.error(answer_at, problem);
                }
                (Vec::new(), None)
            }
        }
    }

    fn options(
        &mut self,
        options: Option<Spanned<Vec<Spanned<String>>>>,
        name: &str,
        at: usize,
    ) -> Option<Vec<String>> {
        let (min, max) = (OPTION_COUNT.start(), OPTION_COUNT.end());
        let Some(options) = options else {
            let msg = format!("missing field `options` ({name} questions have {min} to {max})");
            return self.fail(at, msg);
        };
        let before = self.errors.len();
        let count = options.get_ref().len();
        if !OPTION_COUNT.contains(&count) {
            let msg = format!("{name} questions have {min} to {max} options, this one has {count}");
            self.error(options.span().start, msg);
        }
        let mut texts: Vec<String> = Vec::new();
        for (i, option) in options.into_inner().into_iter().enumerate() {
            let text = option.get_ref().trim();
            if text.is_empty() {
                let msg = format!("option {} is empty", letter(i));
                self.error(option.span().start, msg);
            } else if let Some(j) = texts.iter().position(|t| t == text) {
                let (i, j) = (letter(i), letter(j));
                let msg = format!("option {i} repeats option {j}: \"{text}\"");
                self.error(option.span().start, msg);
            }
            texts.push(text.to_string());
        }
        (self.errors.len() == before).then_some(texts)
    }
}

/// A choice answer must be a string of letters; see [`parse_choice_answer`].
fn choice_answer(qtype: QuestionType, answer: &toml::Value, count: usize) -> Result<Vec<usize>, Vec<String>> {
    match answer {
        toml::Value::String(text) => parse_choice_answer(qtype, text, count),
        _ => {
            let name = qtype.as_str();
            Err(vec![format!(
                "the answer of a {name} question is a string of option letters such as \"B\""
            )])
        }
    }
}

/// `["遵义", ["延安", "延安市"]]` -> one list of accepted alternatives per blank.
fn fill_answer(value: &toml::Value) -> Result<Vec<Vec<String>>, Vec<String>> {
    const SHAPE: &str = "the answer of a fill question is an array with one entry per blank, \
        each a string or an array of accepted strings: [\"遵义\", [\"延安\", \"延安市\"]]";
    let toml::Value::Array(entries) = value else {
        return Err(vec![SHAPE.into()]);
    };
    if entries.is_empty() {
        return Err(vec![
            "answer is empty: a fill question needs one entry per blank".into(),
        ]);
    }
    let mut blanks = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let alternatives = match entry {
            toml::Value::Array(alternatives) => alternatives.as_slice(),
            one => std::slice::from_ref(one),
        };
        if alternatives.is_empty() {
            return Err(vec![format!("answer entry {} is an empty array", i + 1)]);
        }
        let mut accepted: Vec<String> = Vec::new();
        for alternative in alternatives {
            let toml::Value::String(text) = alternative else {
                return Err(vec![SHAPE.into()]);
            };
            match text.trim() {
                "" => return Err(vec![format!("answer entry {} has an empty string", i + 1)]),
                text if text.chars().count() > MAX_BLANK_CHARS => {
                    return Err(vec![format!(
                        "answer entry {} is longer than {MAX_BLANK_CHARS} characters, more than a participant \
                         may type into a blank",
                        i + 1
                    )]);
                }
                text if accepted.iter().any(|a| a == text) => {}
                text => accepted.push(text.to_string()),
            }
        }
        blanks.push(accepted);
    }
    Ok(blanks)
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
#[path = "native_tests.rs"]
mod tests;
