//! `jingsai bank lint`: the quality of a bank beyond its validity (docs/bank-lint.md). Pair rules within each
//! bank (near-duplicate questions, give-aways), and per bank and top-level category the statistics that make
//! a bank guessable (key letters, true/false balance, the longest option, "all but one" keys, difficulty spread,
//! missing explanations and sources). Every warning names its questions with `file:line` when the bank was read
//! from files. A pair that was reviewed (`lint_ok`) or is never drawn together (`excludes`, `group`) is not
//! reported, only counted.

mod pairs;
mod stats;
mod text;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use serde::Serialize;
use utoipa::ToSchema;

pub use stats::{LetterShare, LevelCount, Summary};

use super::{LocatedBank, Question};

/// The default near-duplicate threshold, chosen on the shipped bank (docs/bank-lint.md): at 0.45 the pairs
/// reported ask the same fact or state each other's answer; below, unrelated questions that share boilerplate
/// start to appear.
pub const DEFAULT_SIMILARITY: f64 = 0.45;
/// The default give-away context threshold, chosen the same way.
pub const DEFAULT_GIVE_AWAY: f64 = 0.15;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct LintOptions {
    /// Near duplicates: the least similarity (0 to 1) of two questions' facts that is reported.
    pub similarity: f64,
    /// Give-aways: the least similarity (0 to 1) of the two stems without the answer text that is reported.
    pub give_away: f64,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            similarity: DEFAULT_SIMILARITY,
            give_away: DEFAULT_GIVE_AWAY,
        }
    }
}

/// What a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    NearDuplicate,
    GiveAway,
    KeyLetterBalance,
    TrueFalseBalance,
    LongestOptionKey,
    AllButOne,
    DifficultySpread,
    MissingExplanation,
    MissingSource,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NearDuplicate => "near_duplicate",
            Rule::GiveAway => "give_away",
            Rule::KeyLetterBalance => "key_letter_balance",
            Rule::TrueFalseBalance => "true_false_balance",
            Rule::LongestOptionKey => "longest_option_key",
            Rule::AllButOne => "all_but_one",
            Rule::DifficultySpread => "difficulty_spread",
            Rule::MissingExplanation => "missing_explanation",
            Rule::MissingSource => "missing_source",
        }
    }
}

/// A question named by a warning, and where it was read (null for a bank read from the database).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuestionRef {
    pub id: String,
    pub file: Option<String>,
    pub line: Option<usize>,
}

impl QuestionRef {
    /// `file:line`, or `bank/id` when the place is not known.
    fn place(&self, bank: &str) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            _ => format!("{bank}/{}", self.id),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Warning {
    pub rule: Rule,
    pub bank: String,
    /// For a statistic: the top-level category it was computed over; null for the whole bank and for the
    /// question rules.
    pub category: Option<String>,
    /// The questions concerned: a near-duplicate pair; for a give-away first the question whose stem gives the
    /// answer away, then the question whose answer it is; the questions missing an explanation or a source;
    /// none for the other statistics.
    pub questions: Vec<QuestionRef>,
    /// The similarity of a near-duplicate pair, or the context similarity of a give-away.
    pub score: Option<f64>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Report {
    pub options: LintOptions,
    /// Questions linted, in every bank.
    pub questions: usize,
    pub warnings: Vec<Warning>,
    /// Pair warnings not reported because a question lists the other in `lint_ok`.
    pub silenced_by_lint_ok: usize,
    /// Pair warnings not reported because the two are never drawn together (`excludes`, `group`).
    pub silenced_by_exclusion: usize,
    /// The statistics of every bank, and of each top-level category of a bank that has several.
    pub summaries: Vec<Summary>,
}

/// Exclusion sets of one bank, as the draw forms them (links followed transitively): `set[i]` for question `i`.
fn exclusion_sets(questions: &[&Question]) -> Vec<usize> {
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..questions.len()).collect();
    let by_id: HashMap<&str, usize> = (questions.iter().enumerate())
        .map(|(i, q)| (q.id.as_str(), i))
        .collect();
    let mut by_group: HashMap<&str, usize> = HashMap::new();
    for (i, q) in questions.iter().enumerate() {
        let mut linked: Vec<usize> = q
            .excludes
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect();
        if let Some(group) = &q.group {
            linked.push(*by_group.entry(group).or_insert(i));
        }
        for j in linked {
            let (a, b) = (find(&mut parent, i), find(&mut parent, j));
            parent[a.max(b)] = a.min(b);
        }
    }
    (0..questions.len()).map(|i| find(&mut parent, i)).collect()
}

/// Lint every bank. Pair rules stay within a bank (`lint_ok`, `excludes` and `group` name questions of the
/// same bank).
pub fn lint(banks: &[LocatedBank], options: &LintOptions) -> Report {
    let mut report = Report {
        options: *options,
        questions: 0,
        warnings: Vec::new(),
        silenced_by_lint_ok: 0,
        silenced_by_exclusion: 0,
        summaries: Vec::new(),
    };
    for located in banks {
        lint_bank(located, options, &mut report);
    }
    report
}

fn lint_bank(located: &LocatedBank, options: &LintOptions, report: &mut Report) {
    let bank = &located.bank;
    let questions: Vec<&Question> = bank.questions.iter().collect();
    report.questions += questions.len();
    let refer = |i: usize| QuestionRef {
        id: questions[i].id.clone(),
        file: located.places.get(i).map(|p| p.file.clone()),
        line: located.places.get(i).map(|p| p.line),
    };
    let sets = exclusion_sets(&questions);
    let reviewed = |a: usize, b: usize| {
        questions[a].lint_ok.contains(&questions[b].id) || questions[b].lint_ok.contains(&questions[a].id)
    };
    let mut pairs_seen: HashSet<(usize, usize)> = HashSet::new();
    let mut keep = |a: usize, b: usize, report: &mut Report| {
        if !pairs_seen.insert((a.min(b), a.max(b))) {
            return false;
        }
        if reviewed(a, b) {
            report.silenced_by_lint_ok += 1;
            false
        } else if sets[a] == sets[b] {
            report.silenced_by_exclusion += 1;
            false
        } else {
            true
        }
    };
    let mut pair_warnings = Vec::new();
    for f in pairs::near_duplicates(&questions, options.similarity) {
        if keep(f.a, f.b, report) {
            let (a, b) = (&questions[f.a].id, &questions[f.b].id);
            pair_warnings.push(Warning {
                rule: Rule::NearDuplicate,
                bank: bank.id.clone(),
                category: None,
                questions: vec![refer(f.a), refer(f.b)],
                score: Some(f.score),
                message: format!("{a} and {b} ask the same fact (similarity {:.2})", f.score),
            });
        }
    }
    let mut give_aways = pairs::give_aways(&questions, options.give_away);
    // The stronger direction of a pair first, so that it is the one reported.
    give_aways.sort_by(|x, y| y.score.total_cmp(&x.score).then((x.a, x.b).cmp(&(y.a, y.b))));
    for f in give_aways {
        if keep(f.a, f.b, report) {
            let (a, b) = (&questions[f.a].id, &questions[f.b].id);
            let key = f.key.unwrap_or_default();
            pair_warnings.push(Warning {
                rule: Rule::GiveAway,
                bank: bank.id.clone(),
                category: None,
                questions: vec![refer(f.a), refer(f.b)],
                score: Some(f.score),
                message: format!(
                    "the {} of {a} states \"{key}\", the answer of {b} (context similarity {:.2})",
                    if f.in_option { "option" } else { "stem" },
                    f.score
                ),
            });
        }
    }
    let line_of = |w: &Warning| {
        (
            w.questions[0].file.clone(),
            w.questions[0].line,
            w.questions[1].line,
        )
    };
    pair_warnings.sort_by_key(line_of);
    report.warnings.extend(pair_warnings);

    // Statistics: the whole bank, then each top-level category when there are several.
    let mut by_category: BTreeMap<&str, Vec<&Question>> = BTreeMap::new();
    for q in &questions {
        let top = q.category.split('/').next().unwrap_or_default();
        by_category.entry(top).or_default().push(q);
    }
    let whole = stats::summarize(&bank.id, None, &questions);
    let mut summaries = vec![whole.clone()];
    if by_category.len() > 1 {
        summaries.extend((by_category.iter()).map(|(top, qs)| stats::summarize(&bank.id, Some(top), qs)));
    }
    for summary in &summaries {
        for (rule, message) in stats::findings(summary) {
            report.warnings.push(Warning {
                rule,
                bank: bank.id.clone(),
                category: summary.category.clone(),
                questions: Vec::new(),
                score: None,
                message,
            });
        }
    }
    let index: HashMap<&str, usize> = (questions.iter().enumerate())
        .map(|(i, q)| (q.id.as_str(), i))
        .collect();
    for (rule, ids, what) in [
        (
            Rule::MissingExplanation,
            &whole.missing_explanation,
            "explanation",
        ),
        (Rule::MissingSource, &whole.missing_source, "source"),
    ] {
        if !ids.is_empty() {
            report.warnings.push(Warning {
                rule,
                bank: bank.id.clone(),
                category: None,
                questions: ids.iter().map(|id| refer(index[id.as_str()])).collect(),
                score: None,
                message: format!(
                    "{} question(s) have no {what} of their own: {}",
                    ids.len(),
                    ids.join(", ")
                ),
            });
        }
    }
    report.summaries.extend(summaries);
}

impl Report {
    /// The report as `bank lint` prints it: one line per warning (`file:line: rule: message`), then the
    /// statistics of each bank and category, then a summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for w in &self.warnings {
            let _ = writeln!(out, "{}", w.line());
        }
        if !self.warnings.is_empty() {
            out.push('\n');
        }
        for s in &self.summaries {
            summary_text(&mut out, s);
        }
        let mut counts: BTreeMap<Rule, usize> = BTreeMap::new();
        for w in &self.warnings {
            *counts.entry(w.rule).or_default() += 1;
        }
        let counts: Vec<String> = counts
            .iter()
            .map(|(r, n)| format!("{} {n}", r.as_str()))
            .collect();
        let _ = write!(
            out,
            "{} warning(s) in {} question(s)",
            self.warnings.len(),
            self.questions
        );
        if !counts.is_empty() {
            let _ = write!(out, " ({})", counts.join(", "));
        }
        let _ = writeln!(
            out,
            "; pairs not reported: {} reviewed (lint_ok), {} never drawn together (excludes/group); \
             thresholds: similarity {}, give-away {}",
            self.silenced_by_lint_ok,
            self.silenced_by_exclusion,
            self.options.similarity,
            self.options.give_away
        );
        out
    }
}

impl Warning {
    /// `file:line: rule: message`, naming where the other question of a pair is.
    pub fn line(&self) -> String {
        let rule = self.rule.as_str();
        match (self.rule, self.questions.as_slice()) {
            (Rule::NearDuplicate | Rule::GiveAway, [first, second]) => format!(
                "{}: {rule}: {} ({} is at {})",
                first.place(&self.bank),
                self.message,
                second.id,
                second.place(&self.bank)
            ),
            (_, [first, ..]) => format!("{}: {rule}: {}", first.place(&self.bank), self.message),
            _ => {
                let scope = match &self.category {
                    Some(category) => format!("bank {}, category {category}", self.bank),
                    None => format!("bank {}", self.bank),
                };
                format!("{scope}: {rule}: {}", self.message)
            }
        }
    }
}

fn summary_text(out: &mut String, s: &Summary) {
    let pct = |part: usize, whole: usize| {
        if whole == 0 {
            "-".to_string()
        } else {
            format!("{:.1}%", part as f64 * 100.0 / whole as f64)
        }
    };
    let scope = match &s.category {
        Some(category) => format!("  {category}"),
        None => format!("bank {}", s.bank),
    };
    let letters: Vec<String> = (s.key_letters.iter())
        .map(|l| format!("{} {:.0}%", l.letter, l.share * 100.0))
        .collect();
    let levels: Vec<String> = (s.difficulty.iter())
        .map(|l| format!("{}:{}", l.level, l.questions))
        .collect();
    let _ = writeln!(
        out,
        "{scope}: {} questions | single keys {} (n={}) | longest option is key {} ({}/{}) | all-but-one {} \
         ({}/{}) | true {} ({}/{}) | difficulty {} | no explanation {}, no source {}",
        s.questions,
        letters.join(" "),
        s.single,
        pct(s.longest_option_is_key, s.with_longest_option),
        s.longest_option_is_key,
        s.with_longest_option,
        pct(s.all_but_one, s.multiple),
        s.all_but_one,
        s.multiple,
        pct(s.true_answers, s.true_false),
        s.true_answers,
        s.true_false,
        levels.join(" "),
        s.missing_explanation.len(),
        s.missing_source.len()
    );
}

#[cfg(test)]
mod tests;
