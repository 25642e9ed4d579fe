//! The neutral form of a question between a file and the model, and the one road from drafts to a validated
//! [`Bank`]: the drafts are written out as native TOML (the same writer as `bank export --format native`) and
//! parsed by the native parser, so every rule of docs/bank-format.md applies unchanged. Each line of the
//! generated text is known to belong to one question (and field), so a native error is reported at the sheet
//! and row, or the line, the question came from, with the field named as the file names it.

use std::fmt::Write as _;

use crate::bank::model::{AnswerKey, Question, QuestionType};
use crate::bank::{BankError, LocatedBank, native, option_letter};

/// Where something is in the imported file: `file` as shown in errors (`bank.xlsx[题库]`), 1-based `line`
/// (a row for spreadsheets), 0 for the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

impl Location {
    pub fn new(file: &str, line: usize) -> Self {
        Self {
            file: file.to_string(),
            line,
        }
    }

    pub fn error(&self, message: impl Into<String>) -> BankError {
        BankError {
            file: self.file.clone(),
            line: self.line,
            message: message.into(),
        }
    }
}

/// One question as read from a file, before validation. A field is None when the file has no value for it;
/// values are given as the native format writes them (`answer` as a TOML value).
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub id: Option<String>,
    pub qtype: Option<QuestionType>,
    pub category: Option<String>,
    pub difficulty: Option<i64>,
    pub points: Option<i64>,
    pub tags: Vec<String>,
    pub stem: Option<String>,
    pub options: Option<Vec<String>>,
    pub answer: Option<toml::Value>,
    pub explanation: Option<String>,
    pub source: Option<String>,
    pub group: Option<String>,
    pub excludes: Vec<String>,
    pub lint_ok: Vec<String>,
    /// Native field names whose problem the importer already reported (e.g. an unknown 题型): the native
    /// "missing field" error for them would only repeat it.
    pub reported: Vec<&'static str>,
}

impl Draft {
    /// The draft of a valid question (for export).
    pub fn of(q: &Question) -> Self {
        let answer = match (&q.key, q.qtype) {
            (AnswerKey::Choice(picked), QuestionType::TrueFalse) => {
                toml::Value::Boolean(picked.first() == Some(&0))
            }
            (AnswerKey::Choice(picked), _) => {
                toml::Value::String(picked.iter().map(|&i| option_letter(i)).collect())
            }
            (AnswerKey::Blanks(blanks), _) => toml::Value::Array(
                (blanks.iter())
                    .map(|alternatives| match alternatives.as_slice() {
                        [one] => toml::Value::String(one.clone()),
                        many => toml::Value::Array(many.iter().cloned().map(toml::Value::String).collect()),
                    })
                    .collect(),
            ),
        };
        Self {
            id: Some(q.id.clone()),
            qtype: Some(q.qtype),
            category: Some(q.category.clone()),
            difficulty: Some(i64::from(q.difficulty)),
            points: q.points.map(i64::from),
            tags: q.tags.clone(),
            stem: Some(q.stem.clone()),
            options: matches!(q.qtype, QuestionType::Single | QuestionType::Multiple)
                .then(|| q.options.clone()),
            answer: Some(answer),
            explanation: Some(q.explanation.clone()),
            source: Some(q.source.clone()),
            group: q.group.clone(),
            excludes: q.excludes.clone(),
            lint_ok: q.lint_ok.clone(),
            reported: Vec::new(),
        }
    }
}

/// The bank header of an import.
#[derive(Debug, Clone)]
pub struct Header {
    pub id: String,
    pub title: String,
    pub language: String,
}

/// What a line of the generated TOML belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Header,
    /// The `[[questions]]` line of question i.
    Question(usize),
    Field(usize, &'static str),
}

/// Native TOML text of a bank: `[bank]`, then one `[[questions]]` table per draft, one field per line.
pub fn native_text(header: &Header, drafts: &[Draft]) -> String {
    emit(header, drafts).0
}

fn emit(header: &Header, drafts: &[Draft]) -> (String, Vec<Owner>) {
    let mut out = String::new();
    let mut owners = Vec::new();
    let mut line = |out: &mut String, owner: Owner, text: &str| {
        out.push_str(text);
        out.push('\n');
        owners.extend(std::iter::repeat_n(owner, text.matches('\n').count() + 1));
    };
    let string = |s: &str| toml::Value::String(s.to_string()).to_string();
    line(&mut out, Owner::Header, "[bank]");
    line(&mut out, Owner::Header, &format!("id = {}", string(&header.id)));
    line(
        &mut out,
        Owner::Header,
        &format!("title = {}", string(&header.title)),
    );
    line(
        &mut out,
        Owner::Header,
        &format!("language = {}", string(&header.language)),
    );
    for (i, d) in drafts.iter().enumerate() {
        line(&mut out, Owner::Header, "");
        line(&mut out, Owner::Question(i), "[[questions]]");
        let mut field = |name: &'static str, value: Option<toml::Value>| {
            if let Some(value) = value {
                line(&mut out, Owner::Field(i, name), &format!("{name} = {value}"));
            }
        };
        let text = |s: &Option<String>| s.as_ref().map(|s| toml::Value::String(s.clone()));
        field("id", text(&d.id));
        field("type", d.qtype.map(|t| toml::Value::String(t.as_str().into())));
        field("category", text(&d.category));
        field("difficulty", d.difficulty.map(toml::Value::Integer));
        field("points", d.points.map(toml::Value::Integer));
        let strings =
            |items: &[String]| toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect());
        field("tags", (!d.tags.is_empty()).then(|| strings(&d.tags)));
        field("stem", text(&d.stem));
        field("options", d.options.as_deref().map(strings));
        field("answer", d.answer.clone());
        field("explanation", text(&d.explanation));
        field("source", text(&d.source));
        field("group", text(&d.group));
        field("excludes", (!d.excludes.is_empty()).then(|| strings(&d.excludes)));
        field("lint_ok", (!d.lint_ok.is_empty()).then(|| strings(&d.lint_ok)));
    }
    (out, owners)
}

/// The name of a native field in a file's terms (`stem` -> `题干`); None keeps the native name.
pub type FieldLabel = Box<dyn Fn(&str) -> Option<String>>;

/// How an importer names things in errors.
pub struct Labels {
    /// Where the bank header came from (the option, or an xlsx 题库信息 sheet).
    pub header_at: Location,
    pub field: FieldLabel,
    /// Spreadsheets: "missing field `X`" becomes "`X` is empty" (a cell, not a key, is missing).
    pub cells: bool,
}

/// Validate drafts with the native parser. `at[i]` is where draft i came from; `errors` are the importer's
/// own (reported together with the native ones). All or nothing. On success the bank's questions are the
/// drafts, in order, so `at` is where each question came from.
pub fn validate(
    header: &Header,
    drafts: &[Draft],
    at: &[Location],
    labels: &Labels,
    mut errors: Vec<BankError>,
) -> Result<LocatedBank, Vec<BankError>> {
    let (text, owners) = emit(header, drafts);
    let owner = |line: usize| line.checked_sub(1).and_then(|l| owners.get(l)).copied();
    let place = |owner: Option<Owner>| match owner {
        Some(Owner::Question(i) | Owner::Field(i, _)) => at[i].clone(),
        _ => labels.header_at.clone(),
    };
    let native_errors = match native::parse_file(&labels.header_at.file, &text) {
        Ok(parsed) => {
            let file = labels.header_at.file.as_str();
            let unknown = native::unknown_links(&parsed.bank, |i| (file, &parsed.link_lines[i]));
            if unknown.is_empty() && errors.is_empty() {
                return Ok(LocatedBank {
                    bank: parsed.bank,
                    places: at.to_vec(),
                });
            }
            unknown
        }
        Err(native_errors) => native_errors,
    };
    for e in native_errors {
        let who = owner(e.line);
        if let Some(Owner::Question(i)) = who
            && let Some(field) = e
                .message
                .strip_prefix("missing field `")
                .and_then(|m| m.split('`').next())
            && drafts[i].reported.contains(&field)
        {
            continue;
        }
        let message = relabel(&e.message, labels, |line| place(owner(line)));
        errors.push(place(who).error(message));
    }
    errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    errors.dedup();
    Err(errors)
}

const FIELDS: [&str; 14] = [
    "id",
    "type",
    "category",
    "difficulty",
    "points",
    "tags",
    "stem",
    "options",
    "answer",
    "explanation",
    "source",
    "group",
    "excludes",
    "lint_ok",
];

/// A native message in the file's terms: field names, the place a duplicate id was first defined.
fn relabel(message: &str, labels: &Labels, place_of_line: impl Fn(usize) -> Location) -> String {
    let mut message = message.replace("no [[questions]] in this file", "no questions in this file");
    if let Some((before, rest)) = message.split_once("(first defined at line ")
        && let Some((number, after)) = rest.split_once(')')
        && let Ok(line) = number.parse::<usize>()
    {
        let first = place_of_line(line);
        message = format!("{before}(first defined at {}:{}){after}", first.file, first.line);
    }
    if labels.cells
        && let Some(rest) = message.strip_prefix("missing field `")
        && let Some((name, after)) = rest.split_once('`')
    {
        message = format!("`{name}` is empty{after}");
    }
    for name in FIELDS {
        if let Some(label) = (labels.field)(name) {
            message = message.replace(&format!("`{name}`"), &format!("`{label}`"));
            if let Some(rest) = message.strip_prefix(&format!("{name}: ")) {
                message = format!("{label}: {rest}");
            }
        }
    }
    message
}

/// The answer of a draft as plain text, for default explanations: `B`, `正确`, `遵义；延安/延安市`.
pub fn answer_text(answer: &toml::Value, language: &str) -> String {
    let plain = |value: &toml::Value| match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(alternatives) => {
            let texts: Vec<String> = alternatives
                .iter()
                .map(|a| a.as_str().unwrap_or_default().to_string())
                .collect();
            texts.join("/")
        }
        other => other.to_string(),
    };
    match answer {
        toml::Value::Boolean(b) => crate::bank::true_false_labels(language)[usize::from(!b)].to_string(),
        toml::Value::Array(blanks) => {
            let mut out = String::new();
            for (i, blank) in blanks.iter().enumerate() {
                if i > 0 {
                    out.push_str(if language.starts_with("zh") { "；" } else { "; " });
                }
                let _ = write!(out, "{}", plain(blank));
            }
            out
        }
        other => plain(other),
    }
}
