//! The syntax of the template's cells: 题型 names, 难度 words, 判断 answers, 填空 answers and the escapes of
//! `|`, `;` and `\` in answers and tags.

use crate::bank::model::QuestionType;

/// Lowercase, without spaces, '_', '-', '/', a trailing `*` and a trailing (必填)/(选填) note.
pub fn normalize(header: &str) -> String {
    let mut text = header.trim().to_lowercase();
    for note in ["(必填)", "（必填）", "(选填)", "（选填）", "*", "＊"] {
        if let Some(stripped) = text.strip_suffix(note) {
            text = stripped.to_string();
        }
    }
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '/'))
        .collect()
}

pub fn parse_type(text: &str) -> Option<QuestionType> {
    match normalize(text).as_str() {
        "单选" | "单选题" | "单项选择" | "单项选择题" | "single" | "singlechoice" => {
            Some(QuestionType::Single)
        }
        "多选" | "多选题" | "多项选择" | "多项选择题" | "multiple" | "multiplechoice" => {
            Some(QuestionType::Multiple)
        }
        "判断" | "判断题" | "truefalse" | "judge" | "tf" => Some(QuestionType::TrueFalse),
        "填空" | "填空题" | "fill" | "fillin" | "blank" | "fillintheblank" => Some(QuestionType::Fill),
        _ => None,
    }
}

/// The 题型 a type is written as.
pub fn type_name(t: QuestionType) -> &'static str {
    match t {
        QuestionType::Single => "单选",
        QuestionType::Multiple => "多选",
        QuestionType::TrueFalse => "判断",
        QuestionType::Fill => "填空",
    }
}

pub fn parse_whole(text: &str) -> Option<i64> {
    let text = text.trim();
    text.parse::<i64>().ok().or_else(|| {
        let f = text.parse::<f64>().ok()?;
        (f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64)
    })
}

pub fn parse_difficulty(text: &str) -> Option<i64> {
    parse_whole(text).or(match text.trim() {
        "易" | "简单" | "容易" => Some(1),
        "较易" | "较简单" => Some(2),
        "中" | "中等" | "一般" | "适中" => Some(3),
        "较难" => Some(4),
        "难" | "困难" => Some(5),
        _ => None,
    })
}

/// 正确/错误, 对/错, √/×, T/F, true/false, yes/no, 是/否 (A/B as the options of a 判断 question).
pub fn parse_true_false(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "正确" | "对" | "√" | "✓" | "✔" | "t" | "true" | "y" | "yes" | "是" | "a" => Some(true),
        "错误" | "错" | "×" | "✗" | "✘" | "x" | "f" | "false" | "n" | "no" | "否" | "b" => {
            Some(false)
        }
        _ => None,
    }
}

/// `遵义|延安;延安市` -> one array of accepted alternatives per blank. `\|`, `\;` and `\\` are literal.
pub fn fill_answer(text: &str) -> toml::Value {
    if text.trim().is_empty() {
        return toml::Value::Array(Vec::new());
    }
    let blanks = split_escaped_raw(text, &['|', '｜']);
    toml::Value::Array(
        blanks
            .iter()
            .map(|blank| {
                toml::Value::Array(
                    split_escaped(blank, &[';', '；'])
                        .into_iter()
                        .map(toml::Value::String)
                        .collect(),
                )
            })
            .collect(),
    )
}

/// Split at unescaped separators, then resolve escapes in each piece.
pub fn split_escaped(text: &str, separators: &[char]) -> Vec<String> {
    split_escaped_raw(text, separators)
        .iter()
        .map(|piece| unescape(piece))
        .collect()
}

/// Split at unescaped separators, keeping escapes in the pieces.
fn split_escaped_raw(text: &str, separators: &[char]) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let piece = pieces.last_mut().expect("one piece");
        if c == '\\' {
            piece.push(c);
            if let Some(next) = chars.next() {
                piece.push(next);
            }
        } else if separators.contains(&c) {
            pieces.push(String::new());
        } else {
            piece.push(c);
        }
    }
    pieces
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(next)) if matches!(next, '\\' | '|' | '｜' | ';' | '；') => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Escape the characters that separate blanks, alternatives and tags.
pub fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if matches!(c, '\\' | '|' | '｜' | ';' | '；') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
