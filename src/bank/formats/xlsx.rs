//! Excel workbooks in the template (read with calamine). The questions are on the sheet named 题库 (or
//! `questions`), else on the first sheet; an optional sheet 题库信息 (or `bank`) gives the bank's id, title and
//! language as key/value rows. Errors name the sheet: `bank.xlsx[题库]:5: …`.

use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};

use super::draft::{Header, Location};
use super::table::{self, Sheet};
use super::{Source, file_error, guess_language};
use crate::bank::{BankError, LocatedBank};

/// Names of the questions sheet, of the bank info sheet and of the explanation sheet (compared trimmed,
/// case-insensitively).
pub const QUESTIONS_SHEET: &str = "题库";
pub const INFO_SHEET: &str = "题库信息";
pub const HELP_SHEET: &str = "说明";
const QUESTIONS_NAMES: [&str; 3] = [QUESTIONS_SHEET, "questions", "题目"];
const INFO_NAMES: [&str; 3] = [INFO_SHEET, "bank", "bank info"];

/// Keys of the info sheet: the first is the one exports write.
pub const INFO_ID: [&str; 4] = ["题库编号", "编号", "id", "bank id"];
pub const INFO_TITLE: [&str; 4] = ["题库名称", "名称", "title", "bank title"];
pub const INFO_LANGUAGE: [&str; 2] = ["语言", "language"];

fn is_one_of(name: &str, names: &[&str]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name.trim()))
}

pub fn load(source: &Source<'_>, bytes: &[u8]) -> Result<LocatedBank, Vec<BankError>> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(|e| {
        vec![file_error(
            source.name,
            format!("not a readable xlsx workbook: {e}"),
        )]
    })?;
    let names = workbook.sheet_names();
    let questions_name = (names.iter())
        .find(|n| is_one_of(n, &QUESTIONS_NAMES))
        .or_else(|| {
            names
                .iter()
                .find(|n| !is_one_of(n, &INFO_NAMES) && !is_one_of(n, &[HELP_SHEET]))
        })
        .cloned()
        .ok_or_else(|| {
            vec![file_error(
                source.name,
                format!("the workbook has no sheet `{QUESTIONS_SHEET}`"),
            )]
        })?;
    let info_name = names.iter().find(|n| is_one_of(n, &INFO_NAMES)).cloned();
    let label = |sheet: &str| format!("{}[{sheet}]", source.name);
    let mut read = |sheet: &str| {
        (workbook.worksheet_range(sheet))
            .map(|range| rows_of(&range))
            .map_err(|e| vec![file_error(&label(sheet), format!("cannot read the sheet: {e}"))])
    };
    let sheet = Sheet {
        label: label(&questions_name),
        rows: read(&questions_name)?,
    };
    let mut errors = Vec::new();
    let mut info = Info::default();
    if let Some(name) = &info_name {
        info = Info::read(&label(name), &read(name)?, &mut errors);
    }
    let id = match source.bank_id(info.id.as_ref().map(|(id, _)| id.as_str())) {
        Ok(id) => id,
        Err(e) => {
            errors.push(e);
            return Err(errors);
        }
    };
    let header_at = match (&source.options.bank, &info.id) {
        (None, Some((_, at))) => at.clone(),
        _ => Location::new(source.name, 0),
    };
    let texts = sheet
        .rows
        .iter()
        .skip(1)
        .flat_map(|(_, cells)| cells.iter().map(String::as_str));
    let header = Header {
        id,
        title: info.title.unwrap_or_else(|| source.default_title()),
        language: info.language.unwrap_or_else(|| guess_language(texts).to_string()),
    };
    table::load(&sheet, header, header_at, errors)
}

/// The bank info sheet: key/value rows.
#[derive(Default)]
struct Info {
    id: Option<(String, Location)>,
    title: Option<String>,
    language: Option<String>,
}

impl Info {
    fn read(label: &str, rows: &[(usize, Vec<String>)], errors: &mut Vec<BankError>) -> Self {
        let mut info = Info::default();
        for (row, cells) in rows {
            let key = cells.first().map_or("", |k| k.trim());
            let value = cells
                .get(1)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            let here = Location::new(label, *row);
            if is_one_of(key, &INFO_ID) {
                info.id = value.map(|v| (v, here));
            } else if is_one_of(key, &INFO_TITLE) {
                info.title = value;
            } else if is_one_of(key, &INFO_LANGUAGE) {
                info.language = value;
            } else if !key.is_empty() {
                errors.push(here.error(format!(
                    "unknown key `{key}` (the keys are {}, {} and {})",
                    INFO_ID[0], INFO_TITLE[0], INFO_LANGUAGE[0]
                )));
            }
        }
        info
    }
}

/// The non-empty rows of a sheet with their 1-based row numbers, cells as text from column A.
fn rows_of(range: &Range<Data>) -> Vec<(usize, Vec<String>)> {
    let Some((first_row, first_column)) = range.start() else {
        return Vec::new();
    };
    let lead = usize::try_from(first_column).unwrap_or(0);
    let mut out = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let mut cells = vec![String::new(); lead];
        cells.extend(row.iter().map(cell_text));
        if cells.iter().any(|c| !c.trim().is_empty()) {
            out.push((usize::try_from(first_row).unwrap_or(0) + i + 1, cells));
        }
    }
    out
}

/// A cell as text: numbers without a needless `.0`, booleans as `true`/`false`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}
