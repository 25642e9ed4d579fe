//! The question model shared by the bank parsers, the paper drawer, scoring and the store.
//!
//! Options are always addressed by their *original* index (0 = the option written first in the bank).
//! Shuffled presentations carry a permutation next to the question; responses are mapped back to
//! original indices before they are scored or stored, so the key never depends on presentation.

use serde::{Deserialize, Serialize};

/// The four question types of the native format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    Single,
    Multiple,
    TrueFalse,
    Fill,
}

impl QuestionType {
    pub const ALL: [QuestionType; 4] = [Self::Single, Self::Multiple, Self::TrueFalse, Self::Fill];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Multiple => "multiple",
            Self::TrueFalse => "true_false",
            Self::Fill => "fill",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Choice-like types are answered by picking option indices.
    pub fn is_choice(self) -> bool {
        !matches!(self, Self::Fill)
    }
}

/// The correct answer of a question. Never sent to a participant before the question closes for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKey {
    /// Sorted original option indices. True/false questions are two-option choices: 0 = true, 1 = false.
    Choice(Vec<usize>),
    /// One entry per blank, each a non-empty list of accepted alternatives.
    Blanks(Vec<Vec<String>>),
}

/// What a participant answered, in original option indices (never display positions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Picked option indices, sorted and deduplicated.
    Choice(Vec<usize>),
    /// The text typed into each blank, in order.
    Blanks(Vec<String>),
}

/// One question as imported from a bank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// The bank this question belongs to.
    pub bank_id: String,
    /// The question's id, unique within its bank.
    pub id: String,
    pub qtype: QuestionType,
    /// A '/'-separated path such as `新民主主义革命时期/建党`.
    pub category: String,
    /// 1 (easy) to 5 (hard).
    pub difficulty: u8,
    /// Points for a correct answer; `None` means the round's default.
    pub points: Option<u32>,
    pub tags: Vec<String>,
    pub stem: String,
    /// Option texts. True/false questions carry their two labels (正确/错误 or True/False); fill has none.
    pub options: Vec<String>,
    pub key: AnswerKey,
    /// 解析: why the answer is right.
    pub explanation: String,
    pub source: String,
    /// Draw exclusion: the questions of the same bank sharing this group name are never drawn together
    /// (docs/bank-format.md, "Exclusion in the draw").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Draw exclusion: ids of questions of the same bank this one is never drawn with (symmetric).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<String>,
    /// Ids of questions of the same bank whose pair warnings (`bank lint`) were reviewed and are fine.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lint_ok: Vec<String>,
}

impl Question {
    /// Number of blanks of a fill question, 0 for other types.
    pub fn blank_count(&self) -> usize {
        match &self.key {
            AnswerKey::Blanks(blanks) => blanks.len(),
            AnswerKey::Choice(_) => 0,
        }
    }

    /// True when `category` equals `prefix` or lies below it in the category path.
    pub fn in_category(&self, prefix: &str) -> bool {
        category_matches(&self.category, prefix)
    }
}

/// `新民主主义革命时期/建党` is in `新民主主义革命时期` and in itself, but not in `新民主`.
pub fn category_matches(category: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty()
        || category == prefix
        || (category.starts_with(prefix) && category[prefix.len()..].starts_with('/'))
}

/// The longest text a participant may type into one blank (characters). Every accepted alternative of a fill
/// key fits in it, so a key can always be typed.
pub const MAX_BLANK_CHARS: usize = 200;

/// The labels of a true/false question's two options, by bank language.
pub fn true_false_labels(language: &str) -> [&'static str; 2] {
    if language.starts_with("zh") {
        ["正确", "错误"]
    } else {
        ["True", "False"]
    }
}

/// A bank: header plus questions, possibly gathered from several files with the same id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bank {
    pub id: String,
    pub title: String,
    pub language: String,
    pub questions: Vec<Question>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_prefix_matches_whole_segments_only() {
        assert!(category_matches("新民主主义革命时期/建党", "新民主主义革命时期"));
        assert!(category_matches("新民主主义革命时期/建党", "新民主主义革命时期/"));
        assert!(category_matches(
            "新民主主义革命时期/建党",
            "新民主主义革命时期/建党"
        ));
        assert!(category_matches("a/b", ""));
        assert!(!category_matches("新民主主义革命时期/建党", "新民主"));
        assert!(!category_matches("ab/c", "a"));
    }

    #[test]
    fn type_names_round_trip() {
        for t in QuestionType::ALL {
            assert_eq!(QuestionType::parse(t.as_str()), Some(t));
        }
        assert_eq!(QuestionType::parse("essay"), None);
    }
}
