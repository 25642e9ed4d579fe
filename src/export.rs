//! Safe cells for spreadsheet exports (CSV and xlsx).
//!
//! A spreadsheet treats a cell that starts with `=`, `+`, `-` or `@` as a formula, and some also after a
//! leading tab or carriage return. Names in open-join contests are chosen by the participants, so a name like
//! `=HYPERLINK("http://…","click")` would become a live formula on the organizer's laptop. Every exported text
//! cell goes through [`safe_cell`], which prefixes such a value with `'`: spreadsheets show the text as typed
//! and never evaluate it. The results workbook and the ranking CSV (`crate::results`) go through it too.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula when they come first.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `value` as a cell that no spreadsheet evaluates: unchanged unless it starts with `= + - @`, a tab or a
/// carriage return, then prefixed with `'`. A plain number such as `-2.5` (a score after a deduction) is left
/// as it is: it is no formula, and it must stay a number for sorting and sums.
pub fn safe_cell(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some(first) if FORMULA_STARTS.contains(&first) && !is_plain_number(value) => {
            Cow::Owned(format!("'{value}"))
        }
        _ => Cow::Borrowed(value),
    }
}

/// `-12`, `+3.5`, `-0.25`: an optional sign, digits, at most one decimal point with digits after it.
fn is_plain_number(value: &str) -> bool {
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized() {
        for value in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+2",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "=",
        ] {
            let cell = safe_cell(value);
            assert_eq!(cell, format!("'{value}"), "{value:?}");
            assert!(matches!(cell, Cow::Owned(_)));
        }
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for value in ["张伟", "刑侦大队", "A=B", "1-2", "", " =1", "'quoted", "x@y"] {
            let cell = safe_cell(value);
            assert_eq!(cell, value);
            assert!(matches!(cell, Cow::Borrowed(_)), "{value:?}");
        }
    }

    #[test]
    fn plain_numbers_stay_numbers() {
        for value in ["-2.5", "-12", "+3", "-0.25"] {
            assert!(matches!(safe_cell(value), Cow::Borrowed(_)), "{value:?}");
        }
        for value in ["-2.5+1", "-", "-.5", "-1.", "+1e3", "-1-1"] {
            assert_eq!(safe_cell(value), format!("'{value}"), "{value:?}");
        }
    }
}
