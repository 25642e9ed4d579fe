//! The Chinese exam-system template shared by xlsx and CSV: one question per row under a header row of
//! 题型, 题干, 选项A…选项H, 答案, 解析, 分值, 难度, 知识点, 来源 (and optionally 编号, 标签, 互斥组, 互斥题号,
//! 复核通过), or their English names, in any order. Cells become [`Draft`]s; the native rules then apply (see [`super::draft`]).

use std::collections::HashMap;

use super::cells::{
    escape, fill_answer, normalize, parse_difficulty, parse_true_false, parse_type, parse_whole,
    split_escaped, type_name,
};
use super::draft::{self, Draft, Header, Labels, Location};
use crate::bank::LocatedBank;
use crate::bank::model::{AnswerKey, Question, QuestionType};
use crate::bank::{BankError, native, option_letter};

/// A column of the template, by the native field it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Id,
    Type,
    Stem,
    Option(usize),
    Answer,
    Explanation,
    Points,
    Difficulty,
    Category,
    Source,
    Tags,
    Group,
    Excludes,
    LintOk,
}

/// Accepted header names, compared after [`normalize`]; the first is the one exports write.
const HEADERS: &[(Column, &[&str])] = &[
    (Column::Id, &["编号", "题号", "题目编号", "id", "questionid"]),
    (Column::Type, &["题型", "题目类型", "type", "questiontype"]),
    (Column::Stem, &["题干", "题目", "题目内容", "stem", "question"]),
    (
        Column::Answer,
        &["答案", "正确答案", "标准答案", "answer", "correctanswer"],
    ),
    (
        Column::Explanation,
        &["解析", "答案解析", "试题解析", "explanation", "analysis"],
    ),
    (Column::Points, &["分值", "分数", "points", "score"]),
    (
        Column::Difficulty,
        &["难度", "难易度", "难易程度", "difficulty", "level"],
    ),
    (
        Column::Category,
        &["知识点", "分类", "类别", "category", "knowledgepoint"],
    ),
    (
        Column::Source,
        &["来源", "出处", "题目来源", "source", "reference"],
    ),
    (Column::Tags, &["标签", "关键词", "tags", "tag", "keywords"]),
    (Column::Group, &["互斥组", "group"]),
    (Column::Excludes, &["互斥题号", "互斥题目", "excludes"]),
    (Column::LintOk, &["复核通过", "lintok"]),
];

/// Columns every sheet must have (the native format requires these fields of every question).
const REQUIRED: [Column; 7] = [
    Column::Type,
    Column::Stem,
    Column::Answer,
    Column::Explanation,
    Column::Difficulty,
    Column::Category,
    Column::Source,
];

/// The header row exports and the template write.
pub fn header_row() -> Vec<String> {
    let name = |c: Column| {
        HEADERS
            .iter()
            .find(|(col, _)| *col == c)
            .map_or("", |(_, names)| names[0])
    };
    let mut row = vec![
        name(Column::Id).to_string(),
        name(Column::Type).into(),
        name(Column::Stem).into(),
    ];
    row.extend((0..OPTIONS).map(|i| format!("选项{}", option_letter(i))));
    for c in [
        Column::Answer,
        Column::Explanation,
        Column::Points,
        Column::Difficulty,
        Column::Category,
        Column::Source,
        Column::Tags,
        Column::Group,
        Column::Excludes,
        Column::LintOk,
    ] {
        row.push(name(c).into());
    }
    row
}

const OPTIONS: usize = 8;

fn recognize(header: &str) -> Option<Column> {
    let name = normalize(header);
    if let Some((column, _)) = HEADERS.iter().find(|(_, names)| names.contains(&name.as_str())) {
        return Some(*column);
    }
    let letter = ["选项", "option", ""]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix).filter(|r| r.chars().count() == 1))?;
    let c = letter.chars().next()?.to_ascii_uppercase();
    ('A'..='H')
        .contains(&c)
        .then(|| Column::Option(usize::from(c as u8 - b'A')))
}

/// One sheet (or CSV file): its label in errors and its non-empty rows with their 1-based numbers, the header
/// row first.
pub struct Sheet {
    pub label: String,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// The header row's columns: where each is, and its name as written.
struct Columns {
    at: HashMap<Column, usize>,
    written: HashMap<Column, String>,
}

impl Columns {
    fn read(label: &str, row: usize, cells: &[String], errors: &mut Vec<BankError>) -> Self {
        let mut columns = Columns {
            at: HashMap::new(),
            written: HashMap::new(),
        };
        let here = Location::new(label, row);
        for (i, cell) in cells.iter().enumerate() {
            let text = cell.trim();
            if text.is_empty() {
                continue;
            }
            match recognize(text) {
                None => errors.push(here.error(format!(
                    "unknown column `{text}` (the columns are 编号, 题型, 题干, 选项A…选项H, 答案, 解析, 分值, 难度, \
                     知识点, 来源, 标签, 互斥组, 互斥题号, 复核通过, or id, type, stem, A…H, answer, explanation, \
                     points, difficulty, category, source, tags, group, excludes, lint_ok)"
                ))),
                Some(column) => {
                    if let Some(first) = columns.written.get(&column) {
                        errors.push(here.error(format!("columns `{first}` and `{text}` are the same column")));
                    } else {
                        columns.at.insert(column, i);
                        columns.written.insert(column, text.to_string());
                    }
                }
            }
        }
        for column in REQUIRED {
            if !columns.at.contains_key(&column) {
                let names = HEADERS
                    .iter()
                    .find(|(c, _)| *c == column)
                    .map_or(&[][..], |(_, n)| n);
                let chinese = names.first().copied().unwrap_or_default();
                let english = names.iter().find(|n| n.is_ascii()).copied().unwrap_or_default();
                errors.push(here.error(format!("missing column `{chinese}` ({english})")));
            }
        }
        columns
    }

    fn cell<'a>(&self, cells: &'a [String], column: Column) -> Option<&'a str> {
        let text = cells.get(*self.at.get(&column)?)?.trim();
        (!text.is_empty()).then_some(text)
    }

    /// The field's name as the sheet writes it, for errors.
    fn label(&self, field: &str) -> Option<String> {
        let column = match field {
            "id" => Column::Id,
            "type" => Column::Type,
            "category" => Column::Category,
            "difficulty" => Column::Difficulty,
            "points" => Column::Points,
            "tags" => Column::Tags,
            "stem" => Column::Stem,
            "answer" => Column::Answer,
            "explanation" => Column::Explanation,
            "source" => Column::Source,
            "group" => Column::Group,
            "excludes" => Column::Excludes,
            "lint_ok" => Column::LintOk,
            "options" => {
                let mut present: Vec<(usize, &String)> = (self.written.iter())
                    .filter_map(|(c, name)| {
                        if let Column::Option(i) = c {
                            Some((*i, name))
                        } else {
                            None
                        }
                    })
                    .collect();
                present.sort();
                return match (present.first(), present.last()) {
                    (Some(first), Some(last)) if first.0 != last.0 => Some(format!("{}…{}", first.1, last.1)),
                    (Some(first), _) => Some(first.1.clone()),
                    _ => Some("选项A…选项H".into()),
                };
            }
            _ => return None,
        };
        self.written.get(&column).cloned()
    }
}

/// Read a sheet's rows into a validated bank. `extra` are errors found elsewhere (an info sheet).
pub fn load(
    sheet: &Sheet,
    header: Header,
    header_at: Location,
    extra: Vec<BankError>,
) -> Result<LocatedBank, Vec<BankError>> {
    let mut errors = extra;
    let Some(((header_row, header_cells), rows)) = sheet.rows.split_first() else {
        errors.push(
            Location::new(&sheet.label, 0).error("the sheet is empty: it needs a header row and questions"),
        );
        return Err(errors);
    };
    let before = errors.len();
    let columns = Columns::read(&sheet.label, *header_row, header_cells, &mut errors);
    if errors.len() > before {
        return Err(errors);
    }
    let mut drafts = Vec::new();
    let mut at = Vec::new();
    for (row, cells) in rows {
        let here = Location::new(&sheet.label, *row);
        drafts.push(draft_of_row(&columns, cells, &header, *row, &here, &mut errors));
        at.push(here);
    }
    let labels = Labels {
        header_at,
        field: Box::new(move |field| columns.label(field)),
        cells: true,
    };
    draft::validate(&header, &drafts, &at, &labels, errors)
}

fn draft_of_row(
    columns: &Columns,
    cells: &[String],
    header: &Header,
    row: usize,
    here: &Location,
    errors: &mut Vec<BankError>,
) -> Draft {
    let cell = |c: Column| columns.cell(cells, c);
    let text = |c: Column| Some(cell(c).unwrap_or("").to_string());
    let label = |field: &str| columns.label(field).unwrap_or_else(|| field.to_string());
    let mut draft = Draft {
        id: Some(cell(Column::Id).map_or_else(|| format!("{}-{row:04}", header.id), str::to_string)),
        stem: text(Column::Stem),
        category: text(Column::Category),
        explanation: text(Column::Explanation),
        source: text(Column::Source),
        tags: cell(Column::Tags)
            .map(|t| split_escaped(t, &[';', '；']))
            .unwrap_or_default(),
        ..Draft::default()
    };
    draft.tags.retain(|t| !t.trim().is_empty());
    draft.group = cell(Column::Group).map(str::to_string);
    let ids = |c: Column| {
        let mut ids = cell(c)
            .map(|t| split_escaped(t, &[';', '；']))
            .unwrap_or_default();
        ids.retain(|id| !id.trim().is_empty());
        ids
    };
    draft.excludes = ids(Column::Excludes);
    draft.lint_ok = ids(Column::LintOk);
    match cell(Column::Type).map(|t| (t, parse_type(t))) {
        None => {}
        Some((_, Some(t))) => draft.qtype = Some(t),
        Some((written, None)) => {
            draft.reported.push("type");
            errors.push(here.error(format!(
                "unknown {} `{written}` (expected 单选, 多选, 判断 or 填空; single, multiple, true_false or fill)",
                label("type")
            )));
        }
    }
    match cell(Column::Difficulty).map(|d| (d, parse_difficulty(d))) {
        None => {}
        Some((_, Some(d))) => draft.difficulty = Some(d),
        Some((written, None)) => {
            draft.reported.push("difficulty");
            draft.difficulty = Some(*native::DIFFICULTY.start());
            errors.push(here.error(format!(
                "{} `{written}` is not a whole number 1 to 5 (or 易, 较易, 中, 较难, 难)",
                label("difficulty")
            )));
        }
    }
    if let Some(written) = cell(Column::Points) {
        match parse_whole(written.strip_suffix('分').unwrap_or(written)) {
            Some(p) => draft.points = Some(p),
            None => errors.push(here.error(format!("{} `{written}` is not a whole number", label("points")))),
        }
    }
    let mut options: Vec<(usize, String)> = (0..OPTIONS)
        .filter_map(|i| cell(Column::Option(i)).map(|t| (i, t.to_string())))
        .collect();
    if draft.qtype == Some(QuestionType::TrueFalse) && is_true_false_labels(&options) {
        options.clear();
    }
    if let Some(&(last, _)) = options.last() {
        let mut texts = vec![String::new(); last + 1];
        for (i, t) in options {
            texts[i] = t;
        }
        draft.options = Some(texts);
    }
    let answer = cell(Column::Answer).unwrap_or("");
    draft.answer = match draft.qtype {
        None => None,
        Some(QuestionType::Single | QuestionType::Multiple) => {
            Some(toml::Value::String(answer.replace([';', '；'], ",")))
        }
        Some(QuestionType::TrueFalse) => match parse_true_false(answer) {
            Some(b) => Some(toml::Value::Boolean(b)),
            None => {
                draft.reported.push("answer");
                let what = if answer.is_empty() {
                    "is empty".to_string()
                } else {
                    format!("`{answer}` is not")
                };
                errors.push(here.error(format!(
                    "{} {what} 正确 or 错误 (also 对/错, √/×, T/F, true/false)",
                    label("answer")
                )));
                None
            }
        },
        Some(QuestionType::Fill) => Some(fill_answer(answer)),
    };
    draft
}

/// Options that only repeat a 判断 question's labels (templates often fill 选项A 正确, 选项B 错误).
fn is_true_false_labels(options: &[(usize, String)]) -> bool {
    matches!(options, [(0, a), (1, b)] if parse_true_false(a) == Some(true) && parse_true_false(b) == Some(false))
}

/// A question as a template row (the cells of [`header_row`]).
pub fn row_of(q: &Question) -> Vec<String> {
    let mut row = vec![q.id.clone(), type_name(q.qtype).to_string(), q.stem.clone()];
    let options = if q.qtype == QuestionType::TrueFalse {
        &[][..]
    } else {
        &q.options[..]
    };
    row.extend((0..OPTIONS).map(|i| options.get(i).cloned().unwrap_or_default()));
    let answer = match &q.key {
        AnswerKey::Choice(picked) if q.qtype == QuestionType::TrueFalse => if picked.first() == Some(&0) {
            "正确"
        } else {
            "错误"
        }
        .to_string(),
        AnswerKey::Choice(picked) => picked.iter().map(|&i| option_letter(i)).collect(),
        AnswerKey::Blanks(blanks) => {
            let blanks: Vec<String> = blanks
                .iter()
                .map(|alternatives| {
                    alternatives
                        .iter()
                        .map(|a| escape(a))
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .collect();
            blanks.join("|")
        }
    };
    row.push(answer);
    row.push(q.explanation.clone());
    row.push(q.points.map(|p| p.to_string()).unwrap_or_default());
    row.push(q.difficulty.to_string());
    row.push(q.category.clone());
    row.push(q.source.clone());
    let list = |items: &[String]| items.iter().map(|t| escape(t)).collect::<Vec<_>>().join(";");
    row.push(list(&q.tags));
    row.push(q.group.clone().unwrap_or_default());
    row.push(list(&q.excludes));
    row.push(list(&q.lint_ok));
    row
}
