//! What `jingsai audit verify` found: counts of what it checked, every difference with where it is, and notes
//! on what it could not check. Printed as a short text or, with `--json`, as this structure.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

/// Where a difference is. Only the fields that apply are set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_id: Option<i64>,
    /// The round's place in the contest, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant: Option<String>,
    /// The question's place in the round's draw or in the paper, from 0 (as the API's `index`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question_uid: Option<i64>,
    /// The question's id in its bank.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question_id: Option<String>,
    /// A team ledger entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<i64>,
    /// A buzzer log event (its number within the question).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_row: Option<i64>,
}

impl Location {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(round) = self.round {
            let title = self
                .round_title
                .as_deref()
                .map(|t| format!(" “{t}”"))
                .unwrap_or_default();
            parts.push(format!(
                "round {round}{title} (id {})",
                self.round_id.unwrap_or_default()
            ));
        } else if let Some(id) = self.round_id {
            parts.push(format!("round id {id}"));
        }
        if let Some(pid) = self.participant_id {
            let name = self
                .participant
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            parts.push(format!("participant {pid}{name}"));
        }
        if let Some(index) = self.index {
            parts.push(format!("item {index}"));
        }
        if let Some(uid) = self.question_uid {
            let id = self
                .question_id
                .as_deref()
                .map(|q| format!(" [{q}]"))
                .unwrap_or_default();
            parts.push(format!("question uid {uid}{id}"));
        }
        if let Some(entry) = self.entry {
            parts.push(format!("ledger entry {entry}"));
        }
        if let Some(event) = self.event {
            parts.push(format!("buzzer event {event}"));
        }
        if let Some(adjustment) = self.adjustment {
            parts.push(format!("adjustment {adjustment}"));
        }
        if let Some(row) = self.audit_row {
            parts.push(format!("audit row {row}"));
        }
        parts.join(" · ")
    }
}

/// One thing the stored data says differently from the recomputation (or from itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// Which check found it: draw, paper, answer, results, item_stats, adjustment, ledger, buzzer, audit_log.
    pub check: &'static str,
    pub location: Location,
    /// What differs, e.g. `question`, `option_order`, `elapsed_ms`, `score_sum`.
    pub field: String,
    /// What the database holds (null when it holds nothing).
    pub stored: Value,
    /// What the recomputation gives (null when it gives nothing).
    pub recomputed: Value,
    /// The difference in one English sentence.
    pub message: String,
}

/// Counts of what was checked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Checked {
    /// Shared draws of live and buzzer rounds regenerated from the seed, and their questions.
    pub draws: usize,
    pub draw_questions: usize,
    /// Exam papers regenerated from the seed, and their questions.
    pub papers: usize,
    pub paper_questions: usize,
    /// Answer rows read; of those, answers scored (closed live questions, finished exam rounds).
    pub answers: usize,
    pub answers_scored: usize,
    pub participants: usize,
    pub ranked: usize,
    pub absent: usize,
    pub units: usize,
    pub adjustments: usize,
    /// The results fingerprint compared (its audit row), if the log has one.
    pub results_record: Option<i64>,
    pub item_stats_compared: usize,
    pub item_stats_skipped: usize,
    pub teams: usize,
    pub ledger_entries: usize,
    pub buzzer_questions: usize,
    pub buzzer_events: usize,
    pub audit_rows: usize,
    pub chain_ok: bool,
    pub rejections: usize,
}

/// The whole outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub contest_id: i64,
    pub title: String,
    pub state: String,
    /// The contest seed, as a decimal u64.
    pub seed: String,
    pub database: String,
    /// No difference found.
    pub ok: bool,
    pub checked: Checked,
    pub differences: Vec<Difference>,
    /// What could not be checked, and why.
    pub notes: Vec<String>,
    /// The recomputed results, in the shape of `GET /api/contests/{id}/results`.
    pub results: Value,
    /// The recomputed team standings of the stage ledger (`[{team, unit, total, rank}]`), null without teams.
    pub teams: Value,
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

impl Report {
    pub fn add(&mut self, difference: Difference) {
        self.differences.push(difference);
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The short text report.
    pub fn to_text(&self) -> String {
        let c = &self.checked;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "audit of contest {} “{}” ({}), seed {}, database {}",
            self.contest_id, self.title, self.state, self.seed, self.database
        );
        let _ = writeln!(out, "checked:");
        let mut line = |label: &str, text: String| {
            let _ = writeln!(out, "  {label:<12}{text}");
        };
        line(
            "draws",
            format!(
                "{} ({}) and {} ({}) regenerated from the seed",
                plural(c.draws, "shared draw", "shared draws"),
                plural(c.draw_questions, "question", "questions"),
                plural(c.papers, "exam paper", "exam papers"),
                plural(c.paper_questions, "question", "questions"),
            ),
        );
        line(
            "answers",
            format!(
                "{} read, {} rescored from the raw response and the key; receive times checked",
                plural(c.answers, "answer", "answers"),
                thousands(c.answers_scored)
            ),
        );
        let record = match c.results_record {
            Some(row) => format!("compared with the results recorded in audit row {row}"),
            None => "no recorded results to compare with".to_owned(),
        };
        line(
            "results",
            format!(
                "{} ({} ranked, {} absent), {}, {}; {record}",
                plural(c.participants, "participant", "participants"),
                thousands(c.ranked),
                thousands(c.absent),
                plural(c.units, "unit", "units"),
                plural(c.adjustments, "adjustment", "adjustments"),
            ),
        );
        line(
            "item stats",
            format!(
                "{} compared, {} skipped",
                plural(
                    c.item_stats_compared,
                    "stored question statistic",
                    "stored question statistics"
                ),
                thousands(c.item_stats_skipped)
            ),
        );
        line(
            "team ledger",
            format!(
                "{}, {}; {} replayed ({})",
                plural(c.teams, "team", "teams"),
                plural(c.ledger_entries, "entry", "entries"),
                plural(c.buzzer_questions, "buzzer question", "buzzer questions"),
                plural(c.buzzer_events, "event", "events"),
            ),
        );
        line(
            "audit log",
            format!(
                "{}, hash chain {}",
                plural(c.audit_rows, "row", "rows"),
                if c.chain_ok { "whole" } else { "BROKEN" }
            ),
        );
        line("rejections", format!("{} recorded", thousands(c.rejections)));
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        if self.differences.is_empty() {
            let _ = writeln!(out, "result: OK, no differences");
        } else {
            for d in &self.differences {
                let _ = writeln!(
                    out,
                    "DIFFERENCE [{}] {}: {}: stored {}, recomputed {} — {}",
                    d.check,
                    d.location.describe(),
                    d.field,
                    d.stored,
                    d.recomputed,
                    d.message
                );
            }
            let _ = writeln!(
                out,
                "result: {}",
                plural(self.differences.len(), "difference", "differences")
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_locations_read_as_a_path() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_170), "1,170");
        assert_eq!(thousands(1_234_567), "1,234,567");
        let location = Location {
            round_id: Some(12),
            round: Some(2),
            round_title: Some("笔试".into()),
            participant_id: Some(5),
            participant: Some("警员005".into()),
            index: Some(3),
            question_uid: Some(44),
            question_id: Some("q-044".into()),
            ..Location::default()
        };
        assert_eq!(
            location.describe(),
            "round 2 “笔试” (id 12) · participant 5 (警员005) · item 3 · question uid 44 [q-044]"
        );
    }
}
