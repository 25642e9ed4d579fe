//! CSV files in the template (the same columns as xlsx; UTF-8 or GBK; comma-separated, or tab-separated when
//! the header has tabs and no commas). A CSV file names no bank: its id comes from the bank option. Errors
//! give the row as a spreadsheet shows it (the header is row 1).

use super::draft::{Header, Location};
use super::table::{self, Sheet};
use super::{Source, guess_language};
use crate::bank::{BankError, LocatedBank};

pub fn load(source: &Source<'_>, text: &str) -> Result<LocatedBank, Vec<BankError>> {
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = if header_line.contains('\t') && !header_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    // A spreadsheet row per record and per blank line: the line the record starts on, less the line breaks
    // inside the quoted cells of the records before it.
    let mut inner_breaks = 0;
    let mut record = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(1, |p| start_line(text, p));
                let cells: Vec<String> = record.iter().map(str::to_string).collect();
                if cells.iter().any(|c| !c.trim().is_empty()) {
                    rows.push((line - inner_breaks, cells));
                }
                inner_breaks += record.iter().map(|c| c.matches('\n').count()).sum::<usize>();
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
                errors.push(
                    Location::new(source.name, line.saturating_sub(inner_breaks)).error(format!("CSV: {e}")),
                );
                if e.position().is_none() {
                    break;
                }
            }
        }
    }
    let id = source.bank_id(None).map_err(|e| {
        let mut all = errors.clone();
        all.push(e);
        all
    })?;
    let texts = rows
        .iter()
        .skip(1)
        .flat_map(|(_, cells)| cells.iter().map(String::as_str));
    let header = Header {
        id,
        title: source.default_title(),
        language: guess_language(texts).to_string(),
    };
    let sheet = Sheet {
        label: source.name.to_string(),
        rows,
    };
    table::load(&sheet, header, Location::new(source.name, 0), errors)
}

/// The line a record starts on. The reader's position is where the previous record ended: blank lines it
/// skipped before this record are not counted in it.
fn start_line(text: &str, position: &::csv::Position) -> usize {
    let from = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let skipped = text
        .as_bytes()
        .get(from..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| b == b'\n').count());
    usize::try_from(position.line()).unwrap_or(1) + skipped
}
