//! Text as the linter compares it: normalized characters, character bigrams, a question's key texts and its
//! "fact" (what the question says once answered).

use crate::bank::{AnswerKey, Question, QuestionType};

/// Full-width ASCII folded to half-width, lowercase, and only letters and digits kept (CJK characters are
/// letters): punctuation, spaces, blank markers (`____`) and the （　） placeholder are dropped.
pub fn normalize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// The set of character bigrams of normalized text, sorted and deduplicated; a one-character text is its own
/// "bigram".
pub fn bigrams(normalized: &str) -> Vec<[char; 2]> {
    let chars: Vec<char> = normalized.chars().collect();
    let mut grams: Vec<[char; 2]> = match chars.as_slice() {
        [] => Vec::new(),
        [one] => vec![[*one, '\0']],
        _ => chars.windows(2).map(|w| [w[0], w[1]]).collect(),
    };
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// The texts that answer a question: the correct options of a choice question, every accepted alternative of
/// every blank of a fill question; none for true/false.
pub fn key_texts(q: &Question) -> Vec<&str> {
    match (&q.key, q.qtype) {
        (_, QuestionType::TrueFalse) => Vec::new(),
        (AnswerKey::Choice(picked), _) => picked
            .iter()
            .filter_map(|&i| q.options.get(i).map(String::as_str))
            .collect(),
        (AnswerKey::Blanks(blanks), _) => blanks.iter().flatten().map(String::as_str).collect(),
    }
}

/// What the question states once answered: a fill stem with each blank filled by its first accepted answer;
/// a choice stem followed by its correct options; a true/false statement as it is.
pub fn fact_text(q: &Question) -> String {
    match (&q.key, q.qtype) {
        (AnswerKey::Blanks(blanks), _) => {
            let mut answers = blanks.iter().map(|b| b.first().map_or("", String::as_str));
            let mut out = String::new();
            let mut run = 0;
            for c in q.stem.chars().chain(std::iter::once('\0')) {
                if c == '_' {
                    run += 1;
                    continue;
                }
                if run >= 3 {
                    out.push_str(answers.next().unwrap_or(""));
                } else {
                    out.extend(std::iter::repeat_n('_', run));
                }
                run = 0;
                if c != '\0' {
                    out.push(c);
                }
            }
            out
        }
        (_, QuestionType::TrueFalse) => q.stem.clone(),
        (AnswerKey::Choice(_), _) => {
            let mut out = q.stem.clone();
            for key in key_texts(q) {
                out.push(' ');
                out.push_str(key);
            }
            out
        }
    }
}

/// Answers too generic to give anything away.
const COMMON: &[&str] = &[
    "正确",
    "错误",
    "对",
    "错",
    "以上都对",
    "以上都不对",
    "以上都是",
    "以上都不是",
    "以上全部",
    "都对",
    "都不对",
    "都是",
    "都不是",
    "true",
    "false",
    "alloftheabove",
    "noneoftheabove",
];

/// A key text distinctive enough that finding it in another stem gives it away: at least 2 CJK characters or 4
/// characters once normalized, not only digits (`1921` alone is not, `1921年` is), not a generic answer.
pub fn distinctive(normalized_key: &str) -> bool {
    let chars = normalized_key.chars().count();
    let cjk = normalized_key.chars().filter(|&c| is_cjk(c)).count();
    !normalized_key.chars().all(|c| c.is_ascii_digit())
        && !COMMON.contains(&normalized_key)
        && (cjk >= 2 || chars >= 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_letters_and_digits_only() {
        assert_eq!(
            normalize("《中国共产党》成立于（　）１９２１年！ ABC"),
            "中国共产党成立于1921年abc"
        );
        assert_eq!(normalize("在____召开"), "在召开");
    }

    #[test]
    fn bigrams_are_a_sorted_set() {
        assert_eq!(bigrams("abab"), vec![['a', 'b'], ['b', 'a']]);
        assert_eq!(bigrams("中"), vec![['中', '\0']]);
        assert!(bigrams("").is_empty());
    }

    #[test]
    fn distinctive_keys() {
        for key in ["1921年", "遵义", "罗瑞卿", "abcd", "9899万"] {
            assert!(distinctive(&normalize(key)), "{key}");
        }
        for key in ["1921", "13", "中", "abc", "正确", "以上都对", "13人"] {
            assert!(!distinctive(&normalize(key)), "{key}");
        }
    }
}
