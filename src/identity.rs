//! Officer identity: the optional per-person secret of a roster (a PIN, the last digits of a phone number or of
//! an ID card number), how a roster column names it, how a value is checked, and how a typed value is compared.
//!
//! The secret is stored as given (normalized), because the organizer prints it on join slips; it never leaves
//! the server except to the organizer (roster listing). A contest records which kind its roster uses, so the
//! phone can ask with the right label.

use subtle::ConstantTimeEq;

/// Which secret a roster carries. One kind per contest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A PIN handed out by the organizer (PIN码).
    Pin,
    /// The last digits of the officer's mobile number (手机号后四位).
    PhoneLast4,
    /// The last digits of the officer's ID card number (身份证后四位); may end in X.
    IdLast4,
}

/// Shortest and longest secret accepted.
pub const MIN_SECRET_LEN: usize = 4;
pub const MAX_SECRET_LEN: usize = 8;

impl SecretKind {
    pub const ALL: [SecretKind; 3] = [SecretKind::Pin, SecretKind::PhoneLast4, SecretKind::IdLast4];

    /// The stable name stored in the database and sent to the phone (`secret_kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Pin => "pin",
            SecretKind::PhoneLast4 => "phone_last4",
            SecretKind::IdLast4 => "id_last4",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Column headers that name this kind (compared trimmed, ASCII case-insensitively, inner spaces ignored).
    fn headers(self) -> &'static [&'static str] {
        match self {
            SecretKind::Pin => &["pin", "pin码", "pincode"],
            SecretKind::PhoneLast4 => &[
                "手机号后四位",
                "手机后四位",
                "手机号码后四位",
                "phonelast4",
                "phonelastfour",
                "phone_last4",
            ],
            SecretKind::IdLast4 => &[
                "身份证后四位",
                "身份证号后四位",
                "身份证号码后四位",
                "idlast4",
                "idlastfour",
                "id_last4",
            ],
        }
    }

    /// The kind a roster column header names, if any.
    pub fn from_header(header: &str) -> Option<Self> {
        let folded: String = header
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|k| k.headers().iter().any(|h| *h == folded))
    }

    /// The normalized secret, or why `value` is not one: 4 to 8 digits; for an ID card number the last may
    /// be `X` (either case; stored upper-case).
    pub fn normalize(self, value: &str) -> Result<String, &'static str> {
        let value = value.trim().to_ascii_uppercase();
        let len = value.chars().count();
        if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&len) {
            return Err("must have 4 to 8 characters");
        }
        let body_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        let ok = match self {
            SecretKind::IdLast4 => match value.strip_suffix('X') {
                Some(head) => body_ok(head),
                None => body_ok(&value),
            },
            SecretKind::Pin | SecretKind::PhoneLast4 => body_ok(&value),
        };
        if ok {
            Ok(value)
        } else if self == SecretKind::IdLast4 {
            Err("must be digits, the last one may be X")
        } else {
            Err("must be digits only")
        }
    }
}

/// Whether the secret a phone typed matches the stored one, in time that does not depend on where they differ.
/// The typed value is normalized like the roster's (trimmed, upper-case X); a value of another length is
/// compared against the stored one all the same, so the time does not tell the length either.
pub fn secret_matches(stored: &str, typed: &str) -> bool {
    let typed = typed.trim().to_ascii_uppercase();
    let (a, b) = (stored.as_bytes(), typed.as_bytes());
    // Compare fixed-size buffers so that a length mismatch costs the same as a content mismatch.
    let mut left = [0u8; 64];
    let mut right = [0u8; 64];
    if a.len() > left.len() || b.len() > right.len() {
        return false;
    }
    left[..a.len()].copy_from_slice(a);
    right[..b.len()].copy_from_slice(b);
    let same_len = (a.len() as u64).ct_eq(&(b.len() as u64));
    let same_bytes = left.ct_eq(&right);
    bool::from(same_len & same_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_name_kinds() {
        assert_eq!(SecretKind::from_header("PIN"), Some(SecretKind::Pin));
        assert_eq!(SecretKind::from_header(" pin码 "), Some(SecretKind::Pin));
        assert_eq!(SecretKind::from_header("Pin"), Some(SecretKind::Pin));
        assert_eq!(
            SecretKind::from_header("手机号后四位"),
            Some(SecretKind::PhoneLast4)
        );
        assert_eq!(
            SecretKind::from_header("Phone last 4"),
            Some(SecretKind::PhoneLast4)
        );
        assert_eq!(SecretKind::from_header("身份证后四位"), Some(SecretKind::IdLast4));
        assert_eq!(SecretKind::from_header("ID last 4"), Some(SecretKind::IdLast4));
        assert_eq!(SecretKind::from_header("姓名"), None);
        assert_eq!(SecretKind::from_header("badge"), None);
        for kind in SecretKind::ALL {
            assert_eq!(SecretKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn values_are_checked_and_normalized() {
        assert_eq!(SecretKind::Pin.normalize(" 0123 "), Ok("0123".into()));
        assert_eq!(SecretKind::Pin.normalize("12345678"), Ok("12345678".into()));
        assert!(SecretKind::Pin.normalize("123").is_err());
        assert!(SecretKind::Pin.normalize("123456789").is_err());
        assert!(SecretKind::Pin.normalize("12a4").is_err());
        assert!(SecretKind::Pin.normalize("123X").is_err());
        assert!(
            SecretKind::PhoneLast4.normalize("１２３４").is_err(),
            "full-width digits are not ASCII"
        );
        assert_eq!(SecretKind::IdLast4.normalize("123x"), Ok("123X".into()));
        assert_eq!(SecretKind::IdLast4.normalize("0042"), Ok("0042".into()));
        assert!(SecretKind::IdLast4.normalize("X123").is_err());
        assert!(SecretKind::IdLast4.normalize("12XX").is_err());
    }

    #[test]
    fn comparison() {
        assert!(secret_matches("123X", "123x"));
        assert!(secret_matches("0420", " 0420 "));
        assert!(!secret_matches("0420", "0421"));
        assert!(!secret_matches("0420", "042"));
        assert!(!secret_matches("0420", "04200"));
        assert!(!secret_matches("0420", ""));
        assert!(!secret_matches("0420", &"9".repeat(100)));
    }
}
