//! Bank formats other than native TOML: the Chinese exam-system spreadsheet template (xlsx and CSV), GIFT,
//! Aiken and Moodle XML on the way in; xlsx and native TOML on the way out (docs/bank-formats.md).
//!
//! Every importer turns its file into [`draft::Draft`]s, and [`draft::validate`] writes those out as native
//! TOML and runs the native parser on them: an imported question is held to exactly the rules of a native
//! one, and native errors are mapped back to the sheet and row (or line) the question came from.

pub mod aiken;
pub mod cells;
pub mod csv;
pub mod draft;
pub mod export;
pub mod gift;
pub mod moodle;
pub mod table;
pub mod template;
pub mod xlsx;

use std::path::Path;

use super::{Bank, BankError, LocatedBank};

/// A bank file format. The native format also covers directories of `*.toml` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Native,
    Xlsx,
    Csv,
    Gift,
    Aiken,
    MoodleXml,
}

impl Format {
    pub const NAMES: &'static str = "native, xlsx, csv, gift, aiken, moodle";

    /// `--format` values: native (or toml), xlsx, csv, gift, aiken, moodle (or xml).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "native" | "toml" => Some(Self::Native),
            "xlsx" | "excel" => Some(Self::Xlsx),
            "csv" | "tsv" => Some(Self::Csv),
            "gift" => Some(Self::Gift),
            "aiken" => Some(Self::Aiken),
            "moodle" | "xml" | "moodle-xml" | "moodlexml" => Some(Self::MoodleXml),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
            Self::Gift => "gift",
            Self::Aiken => "aiken",
            Self::MoodleXml => "moodle",
        }
    }

    /// The format of a file, from its name: `.xlsx`, `.csv`/`.tsv`, `.gift`, `.aiken`, `.xml` Moodle XML; a
    /// `.txt` file is GIFT when it has a `{…}` answer block (or a `::title::`, a `$CATEGORY:`), else Aiken when it
    /// has an `ANSWER:` line; anything else (`.toml`, no extension) is native TOML, as before these formats.
    pub fn detect(name: &str, bytes: &[u8]) -> Self {
        let ext = Path::new(name)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "xlsx" => Self::Xlsx,
            "csv" | "tsv" => Self::Csv,
            "gift" => Self::Gift,
            "aiken" => Self::Aiken,
            "xml" => Self::MoodleXml,
            "txt" => sniff_text(&decode_text(bytes)).unwrap_or(Self::Native),
            _ => Self::Native,
        }
    }
}

/// GIFT has `{…}` answer blocks; Aiken has `ANSWER:` lines.
fn sniff_text(text: &str) -> Option<Format> {
    let lines = || text.lines().map(str::trim).filter(|l| !l.starts_with("//"));
    if lines().any(|l| l.contains('{') || l.starts_with("::") || l.starts_with("$CATEGORY")) {
        Some(Format::Gift)
    } else if lines().any(|l| aiken::answer_line(l).is_some()) {
        Some(Format::Aiken)
    } else {
        None
    }
}

/// What the caller knows beyond the file itself.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The format; detected from the name when None.
    pub format: Option<Format>,
    /// The bank to import into (`--bank`). Overrides the id an xlsx 题库信息 sheet gives.
    pub bank: Option<String>,
    /// The id used when neither `bank` nor the file gives one (`bank check` uses `unnamed`); None makes a
    /// missing id an error.
    pub fallback_bank: Option<String>,
}

/// Read and validate one file, or (native format) a directory of `*.toml` files. All or nothing.
pub fn load_file(path: &Path, options: &ImportOptions) -> Result<Vec<Bank>, Vec<BankError>> {
    load_file_located(path, options).map(unlocated)
}

/// [`load_file`], with where each question was read.
pub fn load_file_located(path: &Path, options: &ImportOptions) -> Result<Vec<LocatedBank>, Vec<BankError>> {
    let native_dir = path.is_dir() && matches!(options.format, None | Some(Format::Native));
    if native_dir {
        return super::load_path_located(path);
    }
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => load_bytes_located(&name, &bytes, options),
        Err(e) => Err(vec![file_error(&name, format!("cannot read: {e}"))]),
    }
}

fn unlocated(banks: Vec<LocatedBank>) -> Vec<Bank> {
    banks.into_iter().map(|located| located.bank).collect()
}

/// Validate one file's bytes. `name` is used for the format (by extension) and in errors.
pub fn load_bytes(name: &str, bytes: &[u8], options: &ImportOptions) -> Result<Vec<Bank>, Vec<BankError>> {
    load_bytes_located(name, bytes, options).map(unlocated)
}

/// [`load_bytes`], with where each question was read (sheet and row for spreadsheets).
pub fn load_bytes_located(
    name: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<Vec<LocatedBank>, Vec<BankError>> {
    let format = options.format.unwrap_or_else(|| Format::detect(name, bytes));
    let source = Source {
        name,
        base_name: Path::new(name)
            .file_name()
            .map_or(name.to_string(), |n| n.to_string_lossy().into_owned()),
        options,
    };
    match format {
        Format::Native => {
            if options.bank.is_some() {
                return Err(vec![file_error(
                    name,
                    "a native bank names itself in [bank] id; the bank option is for xlsx, csv, GIFT, Aiken and \
                     Moodle XML files",
                )]);
            }
            super::load_texts_located(&[(name.to_string(), decode_text(bytes))])
        }
        Format::Xlsx => xlsx::load(&source, bytes).map(|bank| vec![bank]),
        Format::Csv => csv::load(&source, &decode_text(bytes)).map(|bank| vec![bank]),
        Format::Gift => gift::load(&source, &decode_text(bytes)).map(|bank| vec![bank]),
        Format::Aiken => aiken::load(&source, &decode_text(bytes)).map(|bank| vec![bank]),
        Format::MoodleXml => moodle::load(&source, &decode_text(bytes)).map(|bank| vec![bank]),
    }
}

/// The file being imported, as the importers see it.
pub struct Source<'a> {
    /// The name used in errors (a path as given, or an uploaded file's name).
    pub name: &'a str,
    /// The name without directories: the default `source` of questions from formats that have none.
    pub base_name: String,
    pub options: &'a ImportOptions,
}

impl Source<'_> {
    /// The bank id: the option, else the file's own, else the fallback; an error when there is none.
    pub fn bank_id(&self, from_file: Option<&str>) -> Result<String, BankError> {
        let from_file = from_file.map(str::trim).filter(|id| !id.is_empty());
        (self.options.bank.as_deref().map(str::trim))
            .filter(|id| !id.is_empty())
            .or(from_file)
            .or(self.options.fallback_bank.as_deref())
            .map(str::to_string)
            .ok_or_else(|| {
                file_error(
                    self.name,
                    "this file does not name its bank: give the bank id to import into (`--bank NAME` on the \
                     command line, the bank field in the console)",
                )
            })
    }

    /// The title of a bank whose file has none: the file name without its extension.
    pub fn default_title(&self) -> String {
        Path::new(&self.base_name)
            .file_stem()
            .map_or(self.base_name.clone(), |s| s.to_string_lossy().into_owned())
    }
}

pub(crate) fn file_error(file: &str, message: impl Into<String>) -> BankError {
    BankError {
        file: file.to_string(),
        line: 0,
        message: message.into(),
    }
}

/// UTF-8 (with or without BOM), else GB18030 (Windows saves Chinese text files as GBK); line endings
/// normalized to `\n` so line numbers are the same for files saved anywhere.
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    };
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// zh-CN when any question text has a CJK character, else en: what formats without a language field get.
pub fn guess_language<'a>(texts: impl IntoIterator<Item = &'a str>) -> &'static str {
    let cjk =
        |c: char| matches!(c, '\u{3400}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}');
    if texts.into_iter().any(|t| t.chars().any(cjk)) {
        "zh-CN"
    } else {
        "en"
    }
}

/// Defaults for the fields that GIFT, Aiken and Moodle XML cannot carry (documented in docs/bank-formats.md).
pub mod defaults {
    /// Difficulty of questions from formats without one: the middle of 1-5.
    pub const DIFFICULTY: i64 = 3;

    pub fn category(language: &str) -> &'static str {
        if language.starts_with("zh") {
            "未分类"
        } else {
            "Uncategorized"
        }
    }

    /// An explanation that states the key, for files that carry none.
    pub fn explanation(language: &str, answer: &str) -> String {
        if language.starts_with("zh") {
            format!("正确答案：{answer}。")
        } else {
            format!("The correct answer is {answer}.")
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod text_tests;
