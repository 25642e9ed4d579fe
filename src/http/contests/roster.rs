//! Roster import from CSV: name, badge number (警号), unit, with Chinese or English headers, and optionally one
//! per-person secret column (`PIN`, `手机号后四位` or `身份证后四位`; see `crate::identity`). Excel on a Chinese
//! Windows saves CSV as GBK, so input that is not UTF-8 is decoded as GB18030.

use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::super::AppState;
use super::super::extract::Organizer;
use crate::error::{AppError, AppResult};
use crate::identity::SecretKind;
use crate::store::RosterEntry;

/// One problem in a roster, with a stable `code` (so the console can word it in the user's language) and the
/// facts it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RosterError {
    /// Line in the file: the header is row 1 (blank lines count).
    pub row: usize,
    /// header_missing, secret_columns, unreadable, missing_fields, too_long, duplicate_badge, secret_invalid,
    /// badge_exists, secret_kind_mismatch or empty.
    pub code: &'static str,
    /// The same in English.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub badge: Option<String>,
    /// For duplicate_badge: the row where the badge first appears.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_row: Option<usize>,
    /// For missing_fields: which of name, badge, unit, secret are empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<&'static str>>,
    /// For secret_invalid and secret_kind_mismatch: the roster's secret kind (`pin`, `phone_last4`,
    /// `id_last4`, or null for none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_kind: Option<&'static str>,
    /// For secret_kind_mismatch: the kind of the roster already in the contest (null: no secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_kind: Option<Option<&'static str>>,
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
            secret_kind: None,
            existing_kind: None,
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

/// A parsed roster: its secret kind (None: no secret column) and its rows.
#[derive(Debug)]
pub struct Roster {
    pub secret_kind: Option<SecretKind>,
    pub entries: Vec<RosterEntry>,
}

/// The secret column, if the header has one; an error (for row 1) if it has several.
fn secret_column(headers: &csv::StringRecord) -> Result<Option<(usize, SecretKind)>, Vec<RosterError>> {
    let found: Vec<(usize, SecretKind)> = headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| SecretKind::from_header(h).map(|k| (i, k)))
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(vec![RosterError::new(
            1,
            "secret_columns",
            "the header has more than one secret column (PIN, 手机号后四位, 身份证后四位): keep one",
        )]),
    }
}

/// Parse a roster. All rows valid, or every error with its row.
pub fn parse_roster(bytes: &[u8]) -> Result<Roster, Vec<RosterError>> {
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
    let secret = secret_column(&headers)?;
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
        let secret_value = secret.map(|(col, _)| field(col));
        let mut missing: Vec<&'static str> = [("name", &name), ("badge", &badge), ("unit", &unit)]
            .into_iter()
            .filter(|(_, value)| value.is_empty())
            .map(|(label, _)| label)
            .collect();
        if secret_value.as_deref() == Some("") {
            missing.push("secret");
        }
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
        let secret = match (secret, secret_value) {
            (Some((_, kind)), Some(value)) => match kind.normalize(&value) {
                Ok(normalized) => Some(normalized),
                Err(why) => {
                    let mut error = RosterError::new(
                        row,
                        "secret_invalid",
                        format!("the {} of badge {badge} {why}", kind_label(kind)),
                    );
                    error.badge = Some(badge);
                    error.secret_kind = Some(kind.as_str());
                    errors.push(error);
                    continue;
                }
            },
            _ => None,
        };
        entries.push(RosterEntry {
            name,
            badge,
            unit,
            secret,
            row,
        });
    }
    if entries.is_empty() && errors.is_empty() {
        errors.push(RosterError::new(2, "empty", "the roster has no rows"));
    }
    if errors.is_empty() {
        Ok(Roster {
            secret_kind: secret.map(|(_, kind)| kind),
            entries,
        })
    } else {
        Err(errors)
    }
}

/// A kind's name in English messages.
fn kind_label(kind: SecretKind) -> &'static str {
    match kind {
        SecretKind::Pin => "PIN (4 to 8 digits)",
        SecretKind::PhoneLast4 => "last digits of the phone number (4 to 8 digits)",
        SecretKind::IdLast4 => "last digits of the ID card number (4 to 8 digits, the last may be X)",
    }
}

/// Import a roster CSV (columns 姓名, 警号, 单位 or name, badge, unit; UTF-8 or GBK; optionally one secret
/// column `PIN`, `手机号后四位` or `身份证后四位`). All rows or none; errors name the row. Badges already in the
/// contest are errors too, and so is a secret column unlike the one of the roster already imported.
#[utoipa::path(post, path = "/api/contests/{id}/roster", tag = "contests", security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "`{imported, secret_kind}`", body = Object),
              (status = 409, description = "the contest has started: the roster is fixed", body = crate::error::ErrorBody),
              (status = 422, description = "`details` lists every row error (`RosterError` objects)", body = crate::error::ErrorBody)))]
pub async fn import_roster(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
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
    let roster = parse_roster(&body).map_err(|errors| {
        AppError::unprocessable(
            "roster_invalid",
            format!("the roster has {} error(s); nothing was imported", errors.len()),
        )
        .with_details(errors)
    })?;
    let existing = state.store.participants(id).await?;
    let kind = roster.secret_kind.map(SecretKind::as_str);
    // Every officer of a contest has a secret of the same kind, or none has: the phone asks one question.
    let existing_kind = contest.secret_kind.as_deref().and_then(SecretKind::parse);
    if existing.iter().any(|p| p.badge.is_some()) && existing_kind != roster.secret_kind {
        let mut error = RosterError::new(
            1,
            "secret_kind_mismatch",
            format!(
                "this contest's roster has {}; the new rows must have the same column",
                existing_kind.map_or("no secret column", |k| k.as_str())
            ),
        );
        error.secret_kind = kind;
        error.existing_kind = Some(existing_kind.map(SecretKind::as_str));
        return Err(AppError::unprocessable(
            "roster_invalid",
            "the roster has 1 error(s); nothing was imported",
        )
        .with_details(vec![error]));
    }
    let entries = roster.entries;
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
    let imported = state.store.import_roster(id, kind, &entries).await?;
    state.engine.contest(id).await?.reload().await?;
    // Counts only: names, badges and secrets stay out of the log.
    let detail = json!({"imported": imported, "secret_kind": kind});
    state
        .store
        .record_action(id, &claims.sub, "import_roster", &detail)
        .await;
    Ok(axum::Json(json!({"imported": imported, "secret_kind": kind})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_english_headers() {
        let zh = "姓名,警号,单位\n张三,010001,刑侦大队\n李四,010002,治安大队\n";
        let entries = parse_roster(zh.as_bytes()).expect("valid").entries;
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].badge, "010002");
        let en = "\u{feff}Unit,Name,Badge\nPatrol,Ann,7\n";
        let entries = parse_roster(en.as_bytes()).expect("valid").entries;
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
        let entries = parse_roster(pasted.as_bytes()).expect("tab separated").entries;
        assert_eq!(
            (entries[1].name.as_str(), entries[1].badge.as_str()),
            ("李四", "0002")
        );
    }

    #[test]
    fn gbk_is_decoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode("姓名,警号,单位\n王五,1,交警大队\n");
        let entries = parse_roster(&bytes).expect("valid").entries;
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

    #[test]
    fn secret_columns() {
        let csv = "姓名,警号,单位,PIN码\n张三,1,A,0420\n李四,2,B, 12345678 \n";
        let roster = parse_roster(csv.as_bytes()).expect("valid");
        assert_eq!(roster.secret_kind, Some(SecretKind::Pin));
        assert_eq!(roster.entries[0].secret.as_deref(), Some("0420"));
        assert_eq!(roster.entries[1].secret.as_deref(), Some("12345678"));
        let id = "name,badge,unit,ID last 4\nAnn,7,Patrol,123x\n";
        let roster = parse_roster(id.as_bytes()).expect("valid");
        assert_eq!(roster.secret_kind, Some(SecretKind::IdLast4));
        assert_eq!(roster.entries[0].secret.as_deref(), Some("123X"));
        let none = parse_roster("姓名,警号,单位\n张三,1,A\n".as_bytes()).expect("valid");
        assert_eq!((none.secret_kind, none.entries[0].secret.clone()), (None, None));
    }

    #[test]
    fn secret_errors_name_rows() {
        let csv = "姓名,警号,单位,手机号后四位\n张三,1,A,123\n李四,2,B,12a4\n王五,3,C,\n赵六,4,D,5678\n";
        let errors = parse_roster(csv.as_bytes()).expect_err("invalid");
        assert_eq!(errors.len(), 3);
        assert_eq!((errors[0].row, errors[0].code), (2, "secret_invalid"));
        assert_eq!(errors[0].badge.as_deref(), Some("1"));
        assert_eq!(errors[0].secret_kind, Some("phone_last4"));
        assert_eq!((errors[1].row, errors[1].code), (3, "secret_invalid"));
        assert_eq!((errors[2].row, errors[2].code), (4, "missing_fields"));
        assert_eq!(errors[2].fields, Some(vec!["secret"]));
        let two = parse_roster("姓名,警号,单位,PIN,身份证后四位\n张三,1,A,1234,5678\n".as_bytes())
            .expect_err("two secret columns");
        assert_eq!((two[0].row, two[0].code), (1, "secret_columns"));
    }
}
