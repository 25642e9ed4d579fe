//! Roster import: `jingsai::http::parse_roster`, the parser behind `POST /api/contests/{id}/roster` (CSV or
//! pasted Excel cells, UTF-8 with or without BOM, else GB18030). Input: the raw request body.
//!
//! Properties checked:
//! - parsing never panics;
//! - an accepted roster is not empty, has no duplicate badge, no empty, untrimmed or over-long field, and its
//!   rows are distinct file lines after the header, in increasing order;
//! - a refused roster has at least one error, each with a known code, a row within the file, and for
//!   `duplicate_badge` a first row before the error's row;
//! - the same text saved as GB18030 (Excel on a Chinese Windows) parses to the same result.
#![no_main]

use std::collections::HashSet;

use jingsai::http::{RosterError, parse_roster};
use jingsai::store::RosterEntry;
use libfuzzer_sys::fuzz_target;

const CODES: &[&str] = &[
    "header_missing",
    "unreadable",
    "missing_fields",
    "too_long",
    "duplicate_badge",
    "empty",
];

fuzz_target!(|data: &[u8]| {
    let result = parse_roster(data);
    // Rows count the decoded text's lines (CRLF and CR count as one line break).
    let lines = line_count(data);
    match &result {
        Ok(entries) => check_entries(entries, lines),
        Err(errors) => check_errors(errors, lines),
    }

    // A UTF-8 file re-encoded as GB18030 must read the same, when the re-encoded bytes are not themselves
    // valid UTF-8 (they would then be read as UTF-8, as intended). A BOM is a UTF-8 marker only.
    if let Ok(text) = std::str::from_utf8(data)
        && !text.starts_with('\u{feff}')
    {
        let (gbk, _, unmappable) = encoding_rs::GB18030.encode(text);
        if !unmappable && std::str::from_utf8(&gbk).is_err() && !starts_with_utf16_bom(&gbk) {
            assert_eq!(
                comparable(&parse_roster(&gbk)),
                comparable(&result),
                "GB18030 copy parsed differently"
            );
        }
    }
});

type Comparable<'a> = Result<Vec<(&'a str, &'a str, &'a str, usize)>, &'a [RosterError]>;

fn comparable(result: &Result<Vec<RosterEntry>, Vec<RosterError>>) -> Comparable<'_> {
    match result {
        Ok(entries) => Ok(entries
            .iter()
            .map(|e| (e.name.as_str(), e.badge.as_str(), e.unit.as_str(), e.row))
            .collect()),
        Err(errors) => Err(errors),
    }
}

/// encoding_rs sniffs UTF-16 byte order marks before decoding GB18030.
fn starts_with_utf16_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

fn line_count(data: &[u8]) -> usize {
    let text = match std::str::from_utf8(data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data)) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GB18030.decode(data).0.into_owned(),
    };
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .matches('\n')
        .count()
        + 1
}

fn check_entries(entries: &[RosterEntry], lines: usize) {
    assert!(!entries.is_empty(), "an accepted roster without rows");
    let mut badges = HashSet::new();
    for e in entries {
        assert!(
            badges.insert(e.badge.as_str()),
            "duplicate badge {:?} accepted",
            e.badge
        );
        for (field, max) in [(&e.name, 64), (&e.badge, 32), (&e.unit, 64)] {
            assert!(!field.is_empty() && field.trim() == field, "field {field:?}");
            assert!(field.chars().count() <= max, "field {field:?} longer than {max}");
        }
        assert!((2..=lines).contains(&e.row), "row {} outside 2..={lines}", e.row);
    }
    assert!(
        entries.windows(2).all(|w| w[0].row < w[1].row),
        "rows not increasing"
    );
}

fn check_errors(errors: &[RosterError], lines: usize) {
    assert!(!errors.is_empty(), "Err without any error");
    for e in errors {
        assert!(CODES.contains(&e.code), "unknown code {}", e.code);
        assert!(!e.message.is_empty());
        // `empty` names row 2 even for a file that is only a header line.
        assert!(
            (1..=lines.max(2)).contains(&e.row),
            "row {} outside 1..={lines}: {e:?}",
            e.row
        );
        if e.code == "duplicate_badge" {
            let first = e.first_row.expect("duplicate_badge names the first row");
            assert!(first < e.row, "first row {first} not before {}", e.row);
        }
    }
}
