//! Question banks: the shared model, the native TOML parser and loading from files.
//!
//! Everything that reads banks goes through [`load_texts`] (or [`load_path`] / [`parse_native`]),
//! so `jingsai bank check` and every import apply the same validation (docs/bank-format.md).

pub mod formats;
pub mod lint;
pub mod model;
pub mod native;

pub use formats::draft::Location;
pub use model::*;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One problem found in a bank file. Display is `file:line: message`.
///
/// `line` is 1-based; 0 means the problem concerns the file as a whole (e.g. it could not be read).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BankError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for BankError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for BankError {}

/// Parse and validate one file's text. `file` is the name used in errors.
pub fn parse_native(file: &str, text: &str) -> Result<Bank, Vec<BankError>> {
    native::parse_file(file, text).map(|parsed| parsed.bank)
}

/// A bank and where each of its questions was read: `places[i]` is the file (for a spreadsheet
/// `file[sheet]`) and line (row) of `bank.questions[i]`; for a native file the line of its `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedBank {
    pub bank: Bank,
    pub places: Vec<Location>,
}

/// Parse several (file name, text) pairs, merge files that share a bank id (title and language must
/// agree, else an error), reject duplicate question ids across files of one bank, and ids in `excludes` or
/// `lint_ok` that name no question of the bank. All or nothing: any error anywhere => Err with every error
/// found.
///
/// Banks come out in order of first appearance; a merged bank's questions keep file order.
pub fn load_texts(files: &[(String, String)]) -> Result<Vec<Bank>, Vec<BankError>> {
    load_texts_located(files).map(|banks| banks.into_iter().map(|b| b.bank).collect())
}

/// [`load_texts`], with where each question was read.
pub fn load_texts_located(files: &[(String, String)]) -> Result<Vec<LocatedBank>, Vec<BankError>> {
    let mut errors = Vec::new();
    let mut banks: Vec<Bank> = Vec::new();
    // Per bank (same index as `banks`), per question: where it is and the lines of its links.
    let mut places: Vec<Vec<(Location, native::LinkLines)>> = Vec::new();
    // Per bank (same index as `banks`): the first file's name, and question id -> (file, line).
    let mut first_file: Vec<String> = Vec::new();
    let mut seen_ids: Vec<HashMap<String, (String, usize)>> = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();

    for (file, text) in files {
        let parsed = match native::parse_file(file, text) {
            Ok(parsed) => parsed,
            Err(mut file_errors) => {
                errors.append(&mut file_errors);
                continue;
            }
        };
        let native::ParsedFile {
            bank,
            header_line,
            question_lines,
            link_lines,
        } = parsed;
        let at = match index_of.get(&bank.id) {
            Some(&at) => at,
            None => {
                index_of.insert(bank.id.clone(), banks.len());
                first_file.push(file.clone());
                seen_ids.push(HashMap::new());
                places.push(Vec::new());
                banks.push(Bank {
                    questions: Vec::new(),
                    ..bank.clone()
                });
                banks.len() - 1
            }
        };
        let target = &mut banks[at];
        for (what, mine, theirs) in [
            ("title", &bank.title, &target.title),
            ("language", &bank.language, &target.language),
        ] {
            if mine != theirs {
                errors.push(BankError {
                    file: file.clone(),
                    line: header_line,
                    message: format!(
                        "bank `{}` has {what} \"{mine}\" here but \"{theirs}\" in {}; \
                         files of one bank must agree",
                        bank.id, first_file[at]
                    ),
                });
            }
        }
        for ((question, line), links) in bank.questions.into_iter().zip(question_lines).zip(link_lines) {
            if let Some((other_file, other_line)) = seen_ids[at].get(&question.id) {
                errors.push(BankError {
                    file: file.clone(),
                    line,
                    message: format!(
                        "duplicate question id `{}` in bank `{}` (first defined at {other_file}:{other_line})",
                        question.id, target.id
                    ),
                });
                continue;
            }
            seen_ids[at].insert(question.id.clone(), (file.clone(), line));
            target.questions.push(question);
            places[at].push((Location::new(file, line), links));
        }
    }
    for (bank, places) in banks.iter().zip(&places) {
        errors.extend(native::unknown_links(bank, |i| {
            (places[i].0.file.as_str(), &places[i].1)
        }));
    }

    if errors.is_empty() {
        Ok((banks.into_iter().zip(places))
            .map(|(bank, places)| LocatedBank {
                bank,
                places: places.into_iter().map(|(place, _)| place).collect(),
            })
            .collect())
    } else {
        // Files in the order given, lines ascending within a file.
        let order: HashMap<&str, usize> = files
            .iter()
            .enumerate()
            .rev()
            .map(|(i, (name, _))| (name.as_str(), i))
            .collect();
        errors.sort_by_key(|e| (order.get(e.file.as_str()).copied(), e.line));
        Err(errors)
    }
}

/// Read a file, or every `*.toml` under a directory (recursively, sorted by path, skipping names that
/// start with '.'), then [`load_texts`]. File names in errors are the paths as given/joined. Unreadable
/// files are errors too (line 0), and so is a directory without any `*.toml` file.
pub fn load_path(path: &Path) -> Result<Vec<Bank>, Vec<BankError>> {
    load_path_located(path).map(|banks| banks.into_iter().map(|b| b.bank).collect())
}

/// [`load_path`], with where each question was read.
pub fn load_path_located(path: &Path) -> Result<Vec<LocatedBank>, Vec<BankError>> {
    let mut errors = Vec::new();
    let mut paths = Vec::new();
    if path.is_dir() {
        collect_toml(path, &mut paths, &mut errors);
        paths.sort();
        if paths.is_empty() && errors.is_empty() {
            errors.push(io_error(path, "no *.toml files in this directory"));
        }
    } else {
        paths.push(path.to_path_buf());
    }
    let mut files = Vec::new();
    for p in paths {
        match std::fs::read_to_string(&p) {
            Ok(text) => files.push((p.display().to_string(), text)),
            Err(e) => errors.push(io_error(&p, &format!("cannot read: {e}"))),
        }
    }
    match load_texts_located(&files) {
        Ok(banks) if errors.is_empty() => Ok(banks),
        Ok(_) => Err(errors),
        Err(mut more) => {
            errors.append(&mut more);
            Err(errors)
        }
    }
}

fn io_error(path: &Path, message: &str) -> BankError {
    BankError {
        file: path.display().to_string(),
        line: 0,
        message: message.to_string(),
    }
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<BankError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(io_error(dir, &format!("cannot read directory: {e}")));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                errors.push(io_error(dir, &format!("cannot read directory: {e}")));
                continue;
            }
        };
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // Real directories are walked; symlinks are followed only to files (no cycles).
        let is_real_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_real_dir {
            collect_toml(&path, out, errors);
        } else if path.extension().is_some_and(|ext| ext == "toml") && path.is_file() {
            out.push(path);
        }
    }
}

/// Number of blanks in a fill stem: runs of three or more '_' characters.
pub fn count_blanks(stem: &str) -> usize {
    let (mut count, mut run) = (0, 0);
    for c in stem.chars().chain(std::iter::once('\0')) {
        if c == '_' {
            run += 1;
        } else {
            count += usize::from(run >= 3);
            run = 0;
        }
    }
    count
}

/// The letter of an option index: 0 -> 'A'. '?' past 'Z'.
pub fn option_letter(index: usize) -> char {
    u8::try_from(index)
        .ok()
        .filter(|&i| i < 26)
        .map_or('?', |i| char::from(b'A' + i))
}

/// Parse a choice answer such as `"A,c 、D"` into sorted option indices (`[0, 2, 3]`) and check it
/// against the type and the number of options (`option_count`). Letters are case-insensitive
/// (full-width letters too); spaces, commas (full-width too) and 、 separate them. Err holds every
/// problem found, as messages.
pub fn parse_choice_answer(
    qtype: QuestionType,
    text: &str,
    option_count: usize,
) -> Result<Vec<usize>, Vec<String>> {
    let mut picked = Vec::new();
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, ',' | '，' | '、') {
            continue;
        }
        let folded = match c {
            'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        let upper = folded.to_ascii_uppercase();
        if !upper.is_ascii_uppercase() {
            let msg = format!("answer: `{c}` is not an option letter (write e.g. \"B\" or \"A,C\")");
            return Err(vec![msg]);
        }
        let index = usize::from(upper as u8 - b'A');
        if picked.contains(&index) {
            return Err(vec![format!("answer: letter {upper} is given twice")]);
        }
        picked.push(index);
    }
    picked.sort_unstable();
    let mut problems: Vec<String> = (picked.iter())
        .filter(|&&i| i >= option_count)
        .map(|&i| {
            format!(
                "answer letter {} names no option (there are {option_count})",
                option_letter(i)
            )
        })
        .collect();
    match (qtype, picked.len()) {
        (_, 0) => problems.push("answer is empty".into()),
        (QuestionType::Single, n) if n != 1 => problems.push(format!(
            "a single question has exactly one correct option, the answer gives {n}"
        )),
        (QuestionType::Multiple, 1) => {
            problems.push("a multiple question has at least two correct options, the answer gives 1".into())
        }
        _ => {}
    }
    if problems.is_empty() {
        Ok(picked)
    } else {
        Err(problems)
    }
}

/// Human summary for `jingsai bank check`: per bank, total and counts by type, by category (full
/// path, sorted) and by difficulty.
pub fn summary(banks: &[Bank]) -> String {
    let mut out = String::new();
    let mut total = 0;
    for bank in banks {
        total += bank.questions.len();
        let mut by_type: BTreeMap<QuestionType, usize> = BTreeMap::new();
        let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
        let mut by_difficulty: BTreeMap<u8, usize> = BTreeMap::new();
        for q in &bank.questions {
            *by_type.entry(q.qtype).or_default() += 1;
            *by_category.entry(q.category.as_str()).or_default() += 1;
            *by_difficulty.entry(q.difficulty).or_default() += 1;
        }
        let _ = writeln!(
            out,
            "bank {} \"{}\" ({}): {} questions",
            bank.id,
            bank.title,
            bank.language,
            bank.questions.len()
        );
        let types: Vec<String> = QuestionType::ALL
            .iter()
            .map(|t| format!("{} {}", t.as_str(), by_type.get(t).copied().unwrap_or(0)))
            .collect();
        let _ = writeln!(out, "  by type: {}", types.join(", "));
        let levels: Vec<String> = (1..=5u8)
            .map(|d| format!("{d}: {}", by_difficulty.get(&d).copied().unwrap_or(0)))
            .collect();
        let _ = writeln!(out, "  by difficulty: {}", levels.join(", "));
        let _ = writeln!(out, "  by category:");
        for (category, count) in &by_category {
            let _ = writeln!(out, "    {count:>5}  {category}");
        }
    }
    let _ = writeln!(out, "{} bank(s), {total} question(s) in all", banks.len());
    out
}
