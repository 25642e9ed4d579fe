//! Per bank and per top-level category: the answer-key statistics that make a bank guessable, and the
//! thresholds at which they warn (docs/bank-lint.md, "Balance").

use serde::Serialize;
use utoipa::ToSchema;

use crate::bank::{AnswerKey, Question, QuestionType, option_letter};

/// A single-choice key letter may be this much more or less frequent than chance before it warns…
pub const LETTER_TOLERANCE: f64 = 0.15;
/// …once the scope has this many single-choice questions.
pub const LETTER_MIN: usize = 30;
/// The share of `true` answers outside this range warns…
pub const TRUE_SHARE: (f64, f64) = (0.35, 0.65);
/// …once the scope has this many true/false questions.
pub const TRUE_FALSE_MIN: usize = 20;
/// The strictly longest option is the key in more than this share of single-choice questions (chance is about
/// 1 in the number of options)…
pub const LONGEST_MAX: f64 = 0.30;
/// …counted over at least this many single-choice questions that have one strictly longest option.
pub const LONGEST_MIN: usize = 20;
/// The key is every option but one in more than this share of multiple-choice questions with 3 or more options…
pub const ALL_BUT_ONE_MAX: f64 = 0.35;
/// …counted over at least this many of them.
pub const ALL_BUT_ONE_MIN: usize = 10;
/// One difficulty level holds more than this share of the questions (or only one level is used)…
pub const DIFFICULTY_MAX: f64 = 0.60;
/// …once the scope has this many questions.
pub const DIFFICULTY_MIN: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LetterShare {
    pub letter: String,
    /// Single-choice questions whose key is this letter.
    pub keys: usize,
    pub share: f64,
    /// The share chance gives: the mean over the scope's single-choice questions of 1/options where the letter
    /// exists.
    pub expected: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LevelCount {
    pub level: u8,
    pub questions: usize,
}

/// The statistics of one scope: a bank, or one top-level category of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Summary {
    pub bank: String,
    /// The top-level category; null for the whole bank.
    pub category: Option<String>,
    pub questions: usize,
    /// Single-choice questions, and their keys by letter.
    pub single: usize,
    pub key_letters: Vec<LetterShare>,
    /// Single-choice questions with one strictly longest option, and how many of them have it as the key.
    pub with_longest_option: usize,
    pub longest_option_is_key: usize,
    /// Multiple-choice questions with 3 or more options, and how many of them have every option but one as key.
    pub multiple: usize,
    pub all_but_one: usize,
    /// True/false questions, and how many of them are true.
    pub true_false: usize,
    pub true_answers: usize,
    pub difficulty: Vec<LevelCount>,
    /// Ids of questions whose explanation is empty or only the generated "正确答案：X。" of an import.
    pub missing_explanation: Vec<String>,
    /// Ids of questions whose source is empty or only the name of the file they were imported from.
    pub missing_source: Vec<String>,
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        ((part as f64 / whole as f64) * 1000.0).round() / 1000.0
    }
}

/// The explanation GIFT, Aiken and Moodle imports write when a file has none (formats::defaults::explanation).
fn generated_explanation(text: &str) -> bool {
    let text = text.trim();
    text.is_empty()
        || (text.starts_with("正确答案：") && text.ends_with('。') && text.matches('。').count() == 1)
        || (text.starts_with("The correct answer is ") && text.ends_with('.') && !text.contains(". "))
}

/// The source imports write when a file has none: the file's name.
fn generated_source(text: &str) -> bool {
    let lower = text.trim().to_lowercase();
    lower.is_empty()
        || [".gift", ".txt", ".xml", ".aiken", ".csv", ".tsv", ".xlsx"]
            .iter()
            .any(|ext| lower.ends_with(ext) && !lower.contains(char::is_whitespace))
}

/// The statistics of `questions` (one bank's, or one category's of it).
pub fn summarize(bank: &str, category: Option<&str>, questions: &[&Question]) -> Summary {
    let mut letters: Vec<(usize, f64)> = Vec::new();
    let mut summary = Summary {
        bank: bank.to_string(),
        category: category.map(str::to_string),
        questions: questions.len(),
        single: 0,
        key_letters: Vec::new(),
        with_longest_option: 0,
        longest_option_is_key: 0,
        multiple: 0,
        all_but_one: 0,
        true_false: 0,
        true_answers: 0,
        difficulty: Vec::new(),
        missing_explanation: Vec::new(),
        missing_source: Vec::new(),
    };
    for q in questions {
        let picked = match &q.key {
            AnswerKey::Choice(picked) => picked.as_slice(),
            AnswerKey::Blanks(_) => &[],
        };
        match q.qtype {
            QuestionType::Single => {
                summary.single += 1;
                let n = q.options.len();
                if letters.len() < n {
                    letters.resize(n, (0, 0.0));
                }
                for slot in &mut letters[..n] {
                    slot.1 += 1.0 / n as f64;
                }
                if let Some(&key) = picked.first() {
                    letters[key].0 += 1;
                    let lengths: Vec<usize> = q.options.iter().map(|o| o.chars().count()).collect();
                    let longest = lengths.iter().copied().max().unwrap_or(0);
                    if lengths.iter().filter(|&&l| l == longest).count() == 1 {
                        summary.with_longest_option += 1;
                        summary.longest_option_is_key += usize::from(lengths[key] == longest);
                    }
                }
            }
            QuestionType::Multiple if q.options.len() >= 3 => {
                summary.multiple += 1;
                summary.all_but_one += usize::from(picked.len() + 1 == q.options.len());
            }
            QuestionType::TrueFalse => {
                summary.true_false += 1;
                summary.true_answers += usize::from(picked.first() == Some(&0));
            }
            QuestionType::Multiple | QuestionType::Fill => {}
        }
        match summary.difficulty.iter_mut().find(|l| l.level == q.difficulty) {
            Some(level) => level.questions += 1,
            None => summary.difficulty.push(LevelCount {
                level: q.difficulty,
                questions: 1,
            }),
        }
        if generated_explanation(&q.explanation) {
            summary.missing_explanation.push(q.id.clone());
        }
        if generated_source(&q.source) {
            summary.missing_source.push(q.id.clone());
        }
    }
    summary.difficulty.sort_by_key(|l| l.level);
    summary.key_letters = (letters.iter().enumerate())
        .map(|(i, &(keys, expected))| LetterShare {
            letter: option_letter(i).to_string(),
            keys,
            share: share(keys, summary.single),
            expected: ((expected / summary.single.max(1) as f64) * 1000.0).round() / 1000.0,
        })
        .collect();
    summary
}

/// A statistic over its threshold: (rule, message).
pub type Finding = (super::Rule, String);

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The thresholds a summary crosses (missing explanations and sources are reported per bank by the caller).
pub fn findings(s: &Summary) -> Vec<Finding> {
    use super::Rule;
    let mut out = Vec::new();
    if s.single >= LETTER_MIN {
        let off: Vec<String> = (s.key_letters.iter())
            .filter(|l| (l.share - l.expected).abs() > LETTER_TOLERANCE)
            .map(|l| {
                format!(
                    "{} {} (chance {})",
                    l.letter,
                    percent(l.share),
                    percent(l.expected)
                )
            })
            .collect();
        if !off.is_empty() {
            let message = format!(
                "single-choice keys are unbalanced over {} questions: {} (warns when a letter is more than {} \
                 percentage points from chance)",
                s.single,
                off.join(", "),
                LETTER_TOLERANCE * 100.0
            );
            out.push((Rule::KeyLetterBalance, message));
        }
    }
    if s.true_false >= TRUE_FALSE_MIN {
        let t = share(s.true_answers, s.true_false);
        if t < TRUE_SHARE.0 || t > TRUE_SHARE.1 {
            let message = format!(
                "{} of {} true/false answers are true ({}; warns outside {}–{})",
                s.true_answers,
                s.true_false,
                percent(t),
                percent(TRUE_SHARE.0),
                percent(TRUE_SHARE.1)
            );
            out.push((Rule::TrueFalseBalance, message));
        }
    }
    if s.with_longest_option >= LONGEST_MIN {
        let rate = share(s.longest_option_is_key, s.with_longest_option);
        if rate > LONGEST_MAX {
            let message = format!(
                "the strictly longest option is the key in {} of {} single-choice questions ({}; warns above {})",
                s.longest_option_is_key,
                s.with_longest_option,
                percent(rate),
                percent(LONGEST_MAX)
            );
            out.push((Rule::LongestOptionKey, message));
        }
    }
    if s.multiple >= ALL_BUT_ONE_MIN {
        let rate = share(s.all_but_one, s.multiple);
        if rate > ALL_BUT_ONE_MAX {
            let message = format!(
                "the key is every option but one in {} of {} multiple-choice questions ({}; warns above {})",
                s.all_but_one,
                s.multiple,
                percent(rate),
                percent(ALL_BUT_ONE_MAX)
            );
            out.push((Rule::AllButOne, message));
        }
    }
    if s.questions >= DIFFICULTY_MIN
        && let Some(top) = s
            .difficulty
            .iter()
            .max_by_key(|l| (l.questions, std::cmp::Reverse(l.level)))
    {
        let rate = share(top.questions, s.questions);
        if s.difficulty.len() < 2 || rate > DIFFICULTY_MAX {
            let levels: Vec<String> = (s.difficulty.iter())
                .map(|l| format!("{}: {}", l.level, l.questions))
                .collect();
            let message = format!(
                "difficulty {} holds {} of {} questions ({}; warns above {} or when one level is used): {}",
                top.level,
                top.questions,
                s.questions,
                percent(rate),
                percent(DIFFICULTY_MAX),
                levels.join(", ")
            );
            out.push((Rule::DifficultySpread, message));
        }
    }
    out
}
