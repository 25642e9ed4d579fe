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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RosterError {
    /// Spreadsheet row number: the header is row 1.
    pub row: usize,
    pub message: String,
}

const NAME_HEADERS: &[&str] = &["姓名", "name"];
const BADGE_HEADERS: &[&str] = &["警号", "badge", "badge_number", "badge number", "badge no"];
const UNIT_HEADERS: &[&str] = &["单位", "unit", "department", "部门"];

fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
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
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let err = |row: usize, message: String| vec![RosterError { row, message }];
    let headers = reader
        .headers()
        .map_err(|e| err(1, format!("cannot read the header row: {e}")))?
        .clone();
    let (Some(name_col), Some(badge_col), Some(unit_col)) = (
        find_column(&headers, NAME_HEADERS),
        find_column(&headers, BADGE_HEADERS),
        find_column(&headers, UNIT_HEADERS),
    ) else {
        return Err(err(
            1,
            "the header row needs the columns 姓名, 警号, 单位 (or name, badge, unit)".to_string(),
        ));
    };
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut first_row_of_badge = std::collections::HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let row = e.position().map_or(i + 2, |p| p.line() as usize);
                errors.push(RosterError {
                    row,
                    message: format!("unreadable row: {e}"),
                });
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
        let mut missing = Vec::new();
        if name.is_empty() {
            missing.push("姓名/name");
        }
        if badge.is_empty() {
            missing.push("警号/badge");
        }
        if unit.is_empty() {
            missing.push("单位/unit");
        }
        if !missing.is_empty() {
            errors.push(RosterError {
                row,
                message: format!("missing {}", missing.join(", ")),
            });
            continue;
        }
        if name.chars().count() > 64 || badge.chars().count() > 32 || unit.chars().count() > 64 {
            errors.push(RosterError {
                row,
                message: "a field is too long (name/unit 64, badge 32)".into(),
            });
            continue;
        }
        if let Some(first) = first_row_of_badge.insert(badge.clone(), row) {
            errors.push(RosterError {
                row,
                message: format!("badge {badge} already appears on row {first}"),
            });
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
        errors.push(RosterError {
            row: 2,
            message: "the roster has no rows".into(),
        });
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
              (status = 422, description = "`details` lists every row error", body = [RosterError])))]
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
        .map(|e| RosterError {
            row: e.row,
            message: format!("badge {} is already in this contest", e.badge),
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
        assert!(errors[0].message.contains("姓名"));
        assert_eq!(errors[1].row, 4);
        assert!(errors[1].message.contains("row 2"));
        let bad_header = parse_roster("a,b,c\n1,2,3\n".as_bytes()).expect_err("no headers");
        assert_eq!(bad_header[0].row, 1);
    }
}
