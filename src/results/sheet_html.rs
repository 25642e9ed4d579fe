//! The printable answer sheet (答题卡) of one participant (A4 portrait): who they are and their result, then each
//! round with an overview grid (one numbered box per question, marked by outcome) and every question with the
//! options as they were shown, their answer, the key, the points, the time taken, the explanation and the source.

use std::fmt::Write;

use serde_json::Value;

use super::data::centi;
use super::html::{BASE_CSS, Page, esc, page};
use super::lang::{Lang, points};
use super::sheet::{Outcome, SheetItem, SheetRound, blank_lines, key_text, letter, response_text};
use crate::bank::{AnswerKey, QuestionType};

const SHEET_CSS: &str = r#"
@page { size: A4 portrait; margin: 14mm 13mm 15mm; }
.doc { width: 210mm; min-height: 297mm; margin: 14px auto; padding: 14mm 13mm; background: #fff; box-shadow: 0 1px 6px rgba(0,0,0,.25); }
.doc h1 { font-size: 18pt; text-align: center; margin: 0; }
.doc .subtitle { text-align: center; margin: 0 0 8px; color: #4a453f; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 20px; border: 1px solid #b9b2a8; padding: 6px 10px; margin: 6px 0 10px; }
.facts b { font-weight: 700; }
.doc h2 { font-size: 12.5pt; color: #8b1e1e; border-bottom: 2px solid #8b1e1e; padding-bottom: 2px; margin: 14px 0 6px; break-after: avoid; }
.grid { display: flex; flex-wrap: wrap; gap: 3px; margin: 0 0 8px; }
.grid span { width: 9mm; height: 7mm; line-height: 7mm; text-align: center; font-size: 8.5pt; border: 1px solid #8a8378; }
.grid .correct { background: #dcefdc; }
.grid .partial { background: #f7ecc9; }
.grid .wrong { background: #f6d5d2; }
.grid .unanswered { background: #fff; color: #8a8378; }
ol.items { list-style: none; margin: 0; padding: 0; }
.item { border-top: 1px solid #d8d1c6; padding: 5px 0 6px; break-inside: avoid; }
.item-head { display: flex; gap: 10px; align-items: baseline; }
.item-head .n { font-weight: 700; }
.item-head .pts { margin-left: auto; font-variant-numeric: tabular-nums; }
.mark { font-weight: 700; }
.correct .mark { color: #2e7d32; }
.partial .mark { color: #a3770b; }
.wrong .mark { color: #b3261e; }
.unanswered .mark { color: #8a8378; }
.stem { margin: 2px 0; }
ol.opts { list-style: none; margin: 2px 0; padding: 0 0 0 1em; }
ol.opts li.key { font-weight: 700; }
ol.opts li.key::after { content: " ✓"; color: #2e7d32; }
.answers { margin: 2px 0; }
.answers span { margin-right: 16px; }
.explain { margin: 2px 0; color: #39352f; }
@media print { .doc { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; } }
"#;

fn css() -> String {
    format!("{BASE_CSS}{SHEET_CSS}")
}

/// Who the sheet is for and their result, from the score breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetHead {
    pub contest_title: String,
    pub name: String,
    pub badge: Option<String>,
    pub unit: String,
    pub rank: Option<u32>,
    pub score_centi: Option<i64>,
    pub correct: Option<u32>,
    pub adjustment_centi: i64,
}

impl SheetHead {
    pub fn of(contest_title: &str, breakdown: &Value) -> Self {
        let p = &breakdown["participant"];
        Self {
            contest_title: contest_title.to_owned(),
            name: p["name"].as_str().unwrap_or_default().to_owned(),
            badge: p["badge"].as_str().map(str::to_owned),
            unit: p["unit"].as_str().unwrap_or_default().to_owned(),
            rank: breakdown["rank"].as_u64().and_then(|r| u32::try_from(r).ok()),
            score_centi: centi(&breakdown["score"]),
            correct: breakdown["correct"].as_u64().and_then(|r| u32::try_from(r).ok()),
            adjustment_centi: centi(&breakdown["adjustment"]).unwrap_or(0),
        }
    }
}

fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Correct => "correct",
        Outcome::Partial => "partial",
        Outcome::Wrong => "wrong",
        Outcome::Unanswered => "unanswered",
    }
}

fn mark(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Correct => "✓",
        Outcome::Partial => "◐",
        Outcome::Wrong => "✗",
        Outcome::Unanswered => "–",
    }
}

fn item_html(b: &mut String, item: &SheetItem, lang: Lang) {
    let l = lang.labels();
    let q = &item.question;
    let outcome = item.outcome();
    let earned = item.points_centi + item.bonus_centi;
    let _ = write!(
        b,
        "<li class=\"item {class}\" data-testid=\"sheet-item\" data-outcome=\"{class}\"><div class=\"item-head\">\
         <span class=\"mark\">{mark}</span><span class=\"n\">{n}</span><span class=\"muted\">{qtype} · {id}</span>\
         <span class=\"pts\">{earned} / {max} {unit}</span></div><p class=\"stem\">{stem}</p>",
        class = outcome_class(outcome),
        mark = mark(outcome),
        n = esc(&lang.question_n(item.index + 1)),
        qtype = esc(lang.question_type(q.qtype)),
        id = esc(&item.question_id),
        earned = esc(&points(earned)),
        max = esc(&points((q.points * 100.0).round() as i64)),
        unit = esc(l.question_points),
        stem = esc(&q.stem),
    );
    if q.qtype != QuestionType::Fill && q.qtype != QuestionType::TrueFalse {
        let keys = match &item.answer {
            AnswerKey::Choice(k) => k.as_slice(),
            AnswerKey::Blanks(_) => &[],
        };
        b.push_str("<ol class=\"opts\">");
        for (i, option) in q.options.iter().enumerate() {
            let _ = write!(
                b,
                "<li{}>{}. {}</li>",
                if keys.contains(&i) { " class=\"key\"" } else { "" },
                letter(i),
                esc(option)
            );
        }
        b.push_str("</ol>");
    }
    let given = item
        .my_answer
        .as_ref()
        .map(|r| response_text(q, r))
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| l.unanswered.to_owned());
    let _ = write!(
        b,
        "<p class=\"answers\"><span><b>{}</b>{}{}</span><span><b>{}</b>{}{}</span>",
        esc(l.answer_given),
        lang.colon(),
        esc(&given),
        esc(l.key),
        lang.colon(),
        esc(&key_text(q, &item.answer))
    );
    if let Some(ms) = item.elapsed_ms.filter(|_| item.my_answer.is_some()) {
        let _ = write!(
            b,
            "<span><b>{}</b>{}{}</span>",
            esc(l.time_taken),
            lang.colon(),
            esc(&lang.seconds(ms))
        );
    }
    if item.bonus_centi != 0 {
        let _ = write!(
            b,
            "<span>{}{}{}</span>",
            esc(l.bonus),
            lang.colon(),
            esc(&points(item.bonus_centi))
        );
    }
    b.push_str("</p>");
    for line in blank_lines(&item.answer, lang) {
        let _ = write!(b, "<p class=\"explain small\">{}</p>", esc(&line));
    }
    if !item.explanation.is_empty() {
        let _ = write!(
            b,
            "<p class=\"explain\"><b>{}</b>{}{}</p>",
            esc(l.explanation),
            lang.colon(),
            esc(&item.explanation)
        );
    }
    if !item.source.is_empty() {
        let _ = write!(
            b,
            "<p class=\"muted small\">{}{}{}</p>",
            esc(l.source),
            lang.colon(),
            esc(&item.source)
        );
    }
    b.push_str("</li>");
}

/// The printable answer sheet.
pub fn answer_sheet_page(head: &SheetHead, rounds: &[SheetRound], lang: Lang) -> Page {
    let l = lang.labels();
    let mut b = String::new();
    let _ = write!(
        b,
        "<main class=\"doc\" data-testid=\"answer-sheet\">\n<h1>{}</h1><p class=\"subtitle\">{}</p><div class=\"facts\">",
        esc(&head.contest_title),
        esc(l.answer_sheet)
    );
    let mut fact = |label: &str, value: String| {
        let _ = write!(
            b,
            "<span><b>{}</b>{}{}</span>",
            esc(label),
            lang.colon(),
            esc(&value)
        );
    };
    fact(l.name, head.name.clone());
    if let Some(badge) = &head.badge {
        fact(l.badge, badge.clone());
    }
    fact(l.unit, head.unit.clone());
    fact(
        l.rank,
        head.rank.map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
    );
    fact(
        l.total,
        head.score_centi.map(points).unwrap_or_else(|| "–".into()),
    );
    if let Some(correct) = head.correct {
        fact(l.correct_count, correct.to_string());
    }
    if head.adjustment_centi != 0 {
        fact(l.adjustment, points(head.adjustment_centi));
    }
    b.push_str("</div>");
    if rounds.is_empty() {
        let _ = write!(b, "<p class=\"muted\">{}</p>", esc(l.nothing_yet));
    }
    for round in rounds {
        let right = round.items.iter().filter(|i| i.correct).count();
        let earned: i64 = round.items.iter().map(|i| i.points_centi + i.bonus_centi).sum();
        let _ = write!(
            b,
            "<section data-testid=\"sheet-round\" data-round=\"{}\"><h2>{} · {} <span class=\"muted small\">{}</span></h2><div class=\"grid\">",
            round.round_id,
            esc(&round.title),
            esc(lang.round_kind(round.kind)),
            esc(&lang.paren(&format!(
                "{} {}/{}{}{} {}",
                l.correct_count,
                right,
                round.items.len(),
                lang.comma(),
                l.score,
                points(earned)
            )))
        );
        for item in &round.items {
            let _ = write!(
                b,
                "<span class=\"{}\">{}</span>",
                outcome_class(item.outcome()),
                item.index + 1
            );
        }
        b.push_str("</div><ol class=\"items\">");
        for item in &round.items {
            item_html(&mut b, item, lang);
        }
        b.push_str("</ol></section>");
    }
    b.push_str("</main>");
    let title = format!("{} · {} · {}", head.contest_title, l.answer_sheet, head.name);
    page(lang, &title, &css(), &b)
}
