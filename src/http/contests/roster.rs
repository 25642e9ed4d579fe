//! Roster import from CSV: name, badge number (警号), unit, with Chinese or English headers. Excel on a
//! Chinese Windows saves CSV as GBK, so input that is not UTF-8 is decoded as GB18030.

use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::super::AppState;
use super::super::extract::Organizer;
use crate::error::{AppError, AppResult};
use crate::store::RosterEntry;

/// One problem in a roster, with a stable `code` (so the console can word it in the user's language) and the
/// facts it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RosterError {
    /// Line in the file: the header is row 1 (blank lines count).
    pub row: usize,
    /// header_missing, unreadable, missing_fields, too_long, duplicate_badge, badge_exists or empty.
    pub code: &'static str,
    /// The same in English.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub badge: Option<String>,
    /// For duplicate_badge: the row where the badge first appears.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_row: Option<usize>,
    /// For missing_fields: which of name, badge, unit are empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<&'static str>>,
}

impl RosterError {
    fn new(row: usize, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            row,
            code,
            message: message.into(),
            badge: None,
            first_row: None,
            fields: None,
        }
    }
}

const NAME_HEADERS: &[&str] = &["姓名", "name"];
const BADGE_HEADERS: &[&str] = &["警号", "badge", "badge_number", "badge number", "badge no"];
const UNIT_HEADERS: &[&str] = &["单位", "unit", "department", "部门"];

/// UTF-8 (with or without BOM), else GB18030; line endings normalized to `\n`, so row numbers are the same
/// for files saved on Windows (CRLF), on old Macs (CR) and elsewhere.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    };
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Commas normally; tabs when the header has tabs and no commas (cells copied from Excel and pasted).
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    if header.contains('\t') && !header.contains(',') {
        b'\t'
    } else {
        b','
    }
}

fn find_column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
}

/// Parse a roster. All rows valid, or every error with its row.
pub fn parse_roster(bytes: &[u8]) -> Result<Vec<RosterEntry>, Vec<RosterError>> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter(&text))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            vec![RosterError::new(
                1,
                "unreadable",
                format!("cannot read the header row: {e}"),
            )]
        })?
        .clone();
    let (Some(name_col), Some(badge_col), Some(unit_col)) = (
        find_column(&headers, NAME_HEADERS),
        find_column(&headers, BADGE_HEADERS),
        find_column(&headers, UNIT_HEADERS),
    ) else {
        return Err(vec![RosterError::new(
            1,
            "header_missing",
            "the header row needs the columns 姓名, 警号, 单位 (or name, badge, unit)",
        )]);
    };
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut first_row_of_badge = std::collections::HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let row = e.position().map_or(i + 2, |p| p.line() as usize);
                errors.push(RosterError::new(
                    row,
                    "unreadable",
                    format!("unreadable row: {e}"),
                ));
                continue;
            }
        };
        // The line in the file, so blank lines (which the reader skips) do not shift the numbers.
        let row = record.position().map_or(i + 2, |p| p.line() as usize);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let field = |c: usize| record.get(c).unwrap_or("").trim().to_string();
        let (name, badge, unit) = (field(name_col), field(badge_col), field(unit_col));
        let missing: Vec<&'static str> = [("name", &name), ("badge", &badge), ("unit", &unit)]
            .into_iter()
            .filter(|(_, value)| value.is_empty())
            .map(|(label, _)| label)
            .collect();
        if !missing.is_empty() {
            let mut error =
                RosterError::new(row, "missing_fields", format!("missing {}", missing.join(", ")));
            error.fields = Some(missing);
            errors.push(error);
            continue;
        }
        if name.chars().count() > 64 || badge.chars().count() > 32 || unit.chars().count() > 64 {
            errors.push(RosterError::new(
                row,
                "too_long",
                "a field is too long (name/unit 64, badge 32)",
            ));
            continue;
        }
        if let Some(first) = first_row_of_badge.insert(badge.clone(), row) {
            let mut error = RosterError::new(
                row,
                "duplicate_badge",
                format!("badge {badge} already appears on row {first}"),
            );
            error.badge = Some(badge);
            error.first_row = Some(first);
            errors.push(error);
            continue;
        }
        entries.push(RosterEntry {
            name,
            badge,
            unit,
            row,
        });
    }
    if entries.is_empty() && errors.is_empty() {
        errors.push(RosterError::new(2, "empty", "the roster has no rows"));
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

/// Import a roster CSV (columns 姓名, 警号, 单位 or name, badge, unit; UTF-8 or GBK). All rows or none;
/// errors name the row. Badges already in the contest are errors too.
#[utoipa::path(post, path = "/api/contests/{id}/roster", tag = "contests", security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "`{imported}`", body = Object),
              (status = 409, description = "the contest has started: the roster is fixed", body = crate::error::ErrorBody),
              (status = 422, description = "`details` lists every row error (`RosterError` objects)", body = crate::error::ErrorBody)))]
pub async fn import_roster(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
    body: Bytes,
) -> AppResult<axum::Json<Value>> {
    let contest = state
        .store
        .contest(id)
        .await?
        .ok_or_else(|| AppError::not_found("contest"))?;
    if contest.state == "finished" {
        return Err(AppError::conflict("contest_finished", "the contest has finished"));
    }
    let entries = parse_roster(&body).map_err(|errors| {
        AppError::unprocessable(
            "roster_invalid",
            format!("the roster has {} error(s); nothing was imported", errors.len()),
        )
        .with_details(errors)
    })?;
    let existing = state.store.participants(id).await?;
    let clashes: Vec<RosterError> = entries
        .iter()
        .filter(|e| {
            existing
                .iter()
                .any(|p| p.badge.as_deref() == Some(e.badge.as_str()))
        })
        .map(|e| {
            let mut error = RosterError::new(
                e.row,
                "badge_exists",
                format!("badge {} is already in this contest", e.badge),
            );
            error.badge = Some(e.badge.clone());
            error
        })
        .collect();
    if !clashes.is_empty() {
        return Err(AppError::unprocessable(
            "roster_invalid",
            format!("the roster has {} error(s); nothing was imported", clashes.len()),
        )
        .with_details(clashes));
    }
    let imported = state.store.import_roster(id, &entries).await?;
    state.engine.contest(id).await?.reload().await?;
    Ok(axum::Json(json!({"imported": imported})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_english_headers() {
        let zh = "姓名,警号,单位\n张三,010001,刑侦大队\n李四,010002,治安大队\n";
        let entries = parse_roster(zh.as_bytes()).expect("valid");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].badge, "010002");
        let en = "\u{feff}Unit,Name,Badge\nPatrol,Ann,7\n";
        let entries = parse_roster(en.as_bytes()).expect("valid");
        assert_eq!(
            (entries[0].name.as_str(), entries[0].unit.as_str()),
            ("Ann", "Patrol")
        );
    }

    #[test]
    fn windows_line_endings_and_pasted_excel_cells() {
        let crlf = "姓名,警号,单位\r\na,900001,x\r\nb,900001,y\r\n";
        let errors = parse_roster(crlf.as_bytes()).expect_err("duplicate");
        assert_eq!(
            (errors[0].row, errors[0].first_row),
            (3, Some(2)),
            "rows count like the file's lines"
        );
        let pasted = "姓名\t警号\t单位\n张三\t0001\t一大队\n李四\t0002\t二大队\n";
        let entries = parse_roster(pasted.as_bytes()).expect("tab separated");
        assert_eq!(
            (entries[1].name.as_str(), entries[1].badge.as_str()),
            ("李四", "0002")
        );
    }

    #[test]
    fn gbk_is_decoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode("姓名,警号,单位\n王五,1,交警大队\n");
        let entries = parse_roster(&bytes).expect("valid");
        assert_eq!(entries[0].name, "王五");
    }

    #[test]
    fn errors_name_rows() {
        let csv = "姓名,警号,单位\n张三,1,A\n,2,B\n李四,1,C\n";
        let errors = parse_roster(csv.as_bytes()).expect_err("invalid");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].row, 3);
        assert_eq!(errors[0].code, "missing_fields");
        assert_eq!(errors[0].fields, Some(vec!["name"]));
        assert_eq!(errors[1].row, 4);
        assert_eq!(
            (errors[1].code, errors[1].first_row),
            ("duplicate_badge", Some(2))
        );
        let bad_header = parse_roster("a,b,c\n1,2,3\n".as_bytes()).expect_err("no headers");
        assert_eq!(bad_header[0].row, 1);
    }
}
