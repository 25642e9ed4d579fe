//! The results workbook: individual ranking, units, stage teams (when there are stage rounds), the answer
//! matrix, question statistics, the audit log and the score adjustments. Each sheet has a bold, frozen header
//! row; every text cell goes through [`safe_cell`]. Sheet names and headers are in the request's language.

use std::collections::HashMap;

use rust_xlsxwriter::{
    ColNum, DocProperties, ExcelDateTime, Format, FormatAlign, RowNum, Workbook, Worksheet, XlsxError,
};

use super::Results;
use super::data::unit_summaries;
use super::lang::{Labels, Lang};
use super::matrix::Matrix;
use super::sheet::Outcome;
use crate::analysis::{Flag, ItemStats, PaperStats};
use crate::bank::QuestionType;
use crate::contest::RoundKind;
use crate::export::safe_cell;
use crate::store::{AdjustmentRow, AuditRow};

/// The question statistics of one round (item analysis, docs/item-analysis.md).
#[derive(Debug, Clone)]
pub struct StatsRound {
    pub title: String,
    pub kind: RoundKind,
    pub paper: PaperStats,
    pub items: Vec<StatsItem>,
}

#[derive(Debug, Clone)]
pub struct StatsItem {
    pub question_id: String,
    pub qtype: Option<QuestionType>,
    pub stem: String,
    pub stats: ItemStats,
}

/// The audit log (with whether its hash chain is whole) and the score adjustments.
pub struct Trail<'a> {
    pub audit: &'a [AuditRow],
    pub chain_ok: bool,
    pub adjustments: &'a [AdjustmentRow],
}

/// A spreadsheet cell holds at most 32,767 characters.
const MAX_CELL_CHARS: usize = 32_000;

struct Formats {
    header: Format,
    group: Format,
    wrap: Format,
    seconds: Format,
    percent: Format,
    fraction: Format,
    datetime: Format,
}

impl Formats {
    fn new() -> Self {
        let header = Format::new()
            .set_bold()
            .set_background_color("#F2E6D9")
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter);
        Self {
            group: header.clone().set_align(FormatAlign::Center),
            header,
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            seconds: Format::new().set_num_format("0.0"),
            percent: Format::new().set_num_format("0.0%"),
            fraction: Format::new().set_num_format("0.00"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        }
    }
}

fn row_num(i: usize) -> RowNum {
    RowNum::try_from(i).unwrap_or(RowNum::MAX)
}

fn col_num(i: usize) -> ColNum {
    ColNum::try_from(i).unwrap_or(ColNum::MAX)
}

/// A text cell, neutralized against formulas; nothing for an empty text.
fn text(sheet: &mut Worksheet, row: RowNum, col: ColNum, value: &str) -> Result<(), XlsxError> {
    write_text(sheet, row, col, value, None)
}

fn write_text(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    value: &str,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    if value.is_empty() {
        return Ok(());
    }
    let value: String = if value.chars().count() > MAX_CELL_CHARS {
        value.chars().take(MAX_CELL_CHARS).collect()
    } else {
        value.to_owned()
    };
    let safe = safe_cell(&value);
    match format {
        Some(f) => sheet.write_string_with_format(row, col, safe.as_ref(), f)?,
        None => sheet.write_string(row, col, safe.as_ref())?,
    };
    Ok(())
}

fn number(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    value: Option<f64>,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    match (value, format) {
        (Some(v), Some(f)) if v.is_finite() => {
            sheet.write_number_with_format(row, col, v, f)?;
        }
        (Some(v), None) if v.is_finite() => {
            sheet.write_number(row, col, v)?;
        }
        _ => {}
    }
    Ok(())
}

fn points(centi: i64) -> Option<f64> {
    Some(centi as f64 / 100.0)
}

/// The header row (bold, frozen below) with column widths.
fn header(sheet: &mut Worksheet, columns: &[(&str, f64)], f: &Formats) -> Result<(), XlsxError> {
    for (c, (name, width)) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, col_num(c), safe_cell(name).as_ref(), &f.header)?;
        sheet.set_column_width(col_num(c), *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A time of the server (ms) as a date cell in the reader's zone.
fn datetime(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    ms: i64,
    tz: i32,
    f: &Formats,
) -> Result<(), XlsxError> {
    let local = ms.div_euclid(1000) + i64::from(tz) * 60;
    let at = ExcelDateTime::from_timestamp(local)?;
    sheet.write_datetime_with_format(row, col, at, &f.datetime)?;
    Ok(())
}

/// The whole workbook, as the bytes of an .xlsx file.
pub fn workbook(
    results: &Results,
    matrix: &Matrix,
    stats: &[StatsRound],
    trail: &Trail<'_>,
    lang: Lang,
    tz: i32,
) -> Result<Vec<u8>, XlsxError> {
    let l = lang.labels();
    let f = Formats::new();
    let mut book = Workbook::new();
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("{} · {}", results.contest.title, l.report))
            .set_author("jingsai"),
    );
    ranking(book.add_worksheet(), results, l, lang, &f)?;
    units(book.add_worksheet(), results, l, lang, &f)?;
    if let Some(teams) = &results.teams {
        let sheet = book.add_worksheet();
        sheet.set_name(l.sheet_teams)?;
        header(
            sheet,
            &[
                (l.rank, 8.0),
                (l.team, 8.0),
                (l.unit, 24.0),
                (l.team_total, 12.0),
                (l.eliminated, 10.0),
            ],
            &f,
        )?;
        for (i, t) in teams.iter().enumerate() {
            let r = row_num(i + 1);
            number(sheet, r, 0, Some(f64::from(t.place)), None)?;
            number(sheet, r, 1, Some(t.team as f64), None)?;
            text(sheet, r, 2, &t.unit)?;
            number(sheet, r, 3, points(t.total_centi), None)?;
            if !t.active {
                text(sheet, r, 4, l.eliminated)?;
            }
        }
    }
    answer_matrix(book.add_worksheet(), results, matrix, l, lang, &f)?;
    statistics(book.add_worksheet(), stats, l, lang, &f)?;
    audit(book.add_worksheet(), trail, l, tz, &f)?;
    adjustments(book.add_worksheet(), results, trail, l, tz, &f)?;
    book.save_to_buffer()
}

fn ranking(
    sheet: &mut Worksheet,
    results: &Results,
    l: &Labels,
    lang: Lang,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(l.sheet_ranking)?;
    header(
        sheet,
        &[
            (l.rank, 8.0),
            (l.name, 14.0),
            (l.badge, 12.0),
            (l.unit, 24.0),
            (l.score, 10.0),
            (l.correct_count, 10.0),
            (l.answer_time_s, 14.0),
            (l.decided_by, 12.0),
            (l.award, 12.0),
        ],
        f,
    )?;
    let entries = &results.standings.entries;
    for (i, e) in entries.iter().enumerate() {
        let r = row_num(i + 1);
        number(sheet, r, 0, e.rank.map(f64::from), None)?;
        text(sheet, r, 1, &e.name)?;
        text(sheet, r, 2, e.badge.as_deref().unwrap_or_default())?;
        text(sheet, r, 3, &e.unit)?;
        number(sheet, r, 4, points(e.score_centi), None)?;
        if e.absent {
            text(sheet, r, 7, l.absent)?;
        } else {
            number(sheet, r, 5, Some(f64::from(e.correct)), None)?;
            number(
                sheet,
                r,
                6,
                e.answer_time_ms.map(|ms| ms as f64 / 1000.0),
                Some(&f.seconds),
            )?;
            text(
                sheet,
                r,
                7,
                e.decided_by
                    .as_deref()
                    .map(|d| lang.decided_by(d))
                    .unwrap_or_default(),
            )?;
        }
        text(sheet, r, 8, results.award_of(i).unwrap_or_default())?;
    }
    sheet.autofilter(0, 0, row_num(entries.len()), 8)?;
    Ok(())
}

fn units(
    sheet: &mut Worksheet,
    results: &Results,
    l: &Labels,
    lang: Lang,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(l.sheet_units)?;
    let rule = format!(
        "{}（{}）",
        l.unit_score,
        lang.unit_scoring_short(&results.contest.unit_scoring)
    );
    header(
        sheet,
        &[
            (l.rank, 8.0),
            (l.unit, 24.0),
            (l.members, 10.0),
            (l.joined, 10.0),
            (&rule, 16.0),
            (l.unit_sum, 10.0),
            (l.unit_mean, 10.0),
            (l.best, 10.0),
            (l.name, 14.0),
        ],
        f,
    )?;
    for (i, u) in unit_summaries(&results.standings).iter().enumerate() {
        let r = row_num(i + 1);
        number(sheet, r, 0, Some(f64::from(u.standing.rank)), None)?;
        text(sheet, r, 1, &u.standing.unit)?;
        number(sheet, r, 2, Some(f64::from(u.standing.members)), None)?;
        number(sheet, r, 3, Some(f64::from(u.standing.joined)), None)?;
        number(sheet, r, 4, points(u.standing.score_centi), None)?;
        number(sheet, r, 5, points(u.sum_centi), None)?;
        number(sheet, r, 6, points(u.mean_centi), None)?;
        if let Some((name, best)) = &u.best {
            number(sheet, r, 7, points(*best), None)?;
            text(sheet, r, 8, name)?;
        }
    }
    Ok(())
}

/// The sub-columns of one question: exam rounds name the question in each cell (papers differ).
fn sub_columns(kind: RoundKind, l: &Labels) -> Vec<&'static str> {
    let mut columns = Vec::with_capacity(5);
    if kind == RoundKind::Exam {
        columns.push(l.question);
    }
    columns.extend([l.answer_given, l.right, l.points_earned, l.time_ms]);
    columns
}

fn answer_matrix(
    sheet: &mut Worksheet,
    results: &Results,
    matrix: &Matrix,
    l: &Labels,
    lang: Lang,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(l.sheet_matrix)?;
    for (c, (name, width)) in [(l.rank, 8.0), (l.name, 14.0), (l.badge, 12.0), (l.unit, 20.0)]
        .into_iter()
        .enumerate()
    {
        sheet.merge_range(0, col_num(c), 1, col_num(c), name, &f.header)?;
        sheet.set_column_width(col_num(c), width)?;
    }
    // Where each column group starts.
    let mut starts = Vec::with_capacity(matrix.columns.len());
    let mut next = 4usize;
    for column in &matrix.columns {
        let subs = sub_columns(column.kind, l);
        starts.push(next);
        let mut label = format!("{} · {}", column.round_title, lang.question_n(column.index + 1));
        if let Some(id) = &column.question_id {
            label.push_str(&format!("（{id}）"));
        }
        let last = next + subs.len() - 1;
        sheet.merge_range(
            0,
            col_num(next),
            0,
            col_num(last),
            safe_cell(&label).as_ref(),
            &f.group,
        )?;
        for (k, sub) in subs.iter().enumerate() {
            sheet.write_string_with_format(1, col_num(next + k), *sub, &f.header)?;
            let width = if *sub == l.time_ms { 11.0 } else { 8.0 };
            sheet.set_column_width(col_num(next + k), width)?;
        }
        next = last + 1;
    }
    sheet.set_freeze_panes(2, 4)?;
    for (i, e) in results.standings.entries.iter().enumerate() {
        let r = row_num(i + 2);
        number(sheet, r, 0, e.rank.map(f64::from), None)?;
        text(sheet, r, 1, &e.name)?;
        text(sheet, r, 2, e.badge.as_deref().unwrap_or_default())?;
        text(sheet, r, 3, &e.unit)?;
        let Some(cells) = matrix.rows.get(&e.participant_id) else {
            continue;
        };
        for ((column, cell), start) in matrix.columns.iter().zip(cells).zip(&starts) {
            let Some(cell) = cell else { continue };
            let mut c = *start;
            if column.kind == RoundKind::Exam {
                text(sheet, r, col_num(c), &cell.question_id)?;
                c += 1;
            }
            text(sheet, r, col_num(c), &cell.answer)?;
            let right = match cell.outcome {
                Outcome::Correct => l.yes,
                Outcome::Partial | Outcome::Wrong => l.no,
                Outcome::Unanswered => l.unanswered,
            };
            text(sheet, r, col_num(c + 1), right)?;
            number(sheet, r, col_num(c + 2), points(cell.points_centi), None)?;
            number(
                sheet,
                r,
                col_num(c + 3),
                cell.elapsed_ms.map(|ms| ms as f64),
                None,
            )?;
        }
    }
    Ok(())
}

fn flag_text(flag: &Flag, l: &Labels) -> String {
    match flag {
        Flag::VeryHard => l.flag_very_hard.to_owned(),
        Flag::VeryEasy => l.flag_very_easy.to_owned(),
        Flag::NegativeDiscrimination => l.flag_negative_discrimination.to_owned(),
        Flag::LowDiscrimination => l.flag_low_discrimination.to_owned(),
        Flag::DistractorBeatsKey { option } => {
            format!("{} {}", l.flag_distractor, super::sheet::letter(*option))
        }
        Flag::NoAnswers => l.flag_no_answers.to_owned(),
    }
}

fn statistics(
    sheet: &mut Worksheet,
    stats: &[StatsRound],
    l: &Labels,
    lang: Lang,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(l.sheet_stats)?;
    header(
        sheet,
        &[
            (l.round, 16.0),
            (l.position, 6.0),
            (l.question_id, 14.0),
            (l.qtype, 8.0),
            (l.stem, 48.0),
            (l.given, 10.0),
            (l.answered, 10.0),
            (l.facility, 10.0),
            (l.fully_correct, 10.0),
            (l.discrimination, 10.0),
            (l.upper_lower, 10.0),
            (l.mean_time_s, 12.0),
            (l.flags, 24.0),
        ],
        f,
    )?;
    let mut r: RowNum = 1;
    for round in stats {
        for (n, item) in round.items.iter().enumerate() {
            let s = &item.stats;
            text(sheet, r, 0, &round.title)?;
            number(sheet, r, 1, Some((n + 1) as f64), None)?;
            text(sheet, r, 2, &item.question_id)?;
            text(
                sheet,
                r,
                3,
                item.qtype.map(|t| lang.question_type(t)).unwrap_or_default(),
            )?;
            write_text(sheet, r, 4, &item.stem, Some(&f.wrap))?;
            number(sheet, r, 5, Some(s.n as f64), None)?;
            number(sheet, r, 6, Some(s.answered as f64), None)?;
            number(sheet, r, 7, s.facility, Some(&f.percent))?;
            number(sheet, r, 8, s.fully_correct, Some(&f.percent))?;
            number(sheet, r, 9, s.discrimination, Some(&f.fraction))?;
            number(sheet, r, 10, s.upper_lower, Some(&f.fraction))?;
            number(
                sheet,
                r,
                11,
                s.mean_time_ms.map(|ms| ms / 1000.0),
                Some(&f.seconds),
            )?;
            let flags: Vec<String> = s.flags.iter().map(|flag| flag_text(flag, l)).collect();
            text(sheet, r, 12, &flags.join("、"))?;
            r += 1;
        }
    }
    // The rounds' paper statistics below, after an empty row.
    r += 1;
    for (c, name) in [
        l.rounds_summary,
        l.kind,
        l.given,
        l.items,
        l.mean,
        l.sd,
        l.alpha,
        l.sem,
    ]
    .into_iter()
    .enumerate()
    {
        sheet.write_string_with_format(r, col_num(c), name, &f.header)?;
    }
    for round in stats {
        r += 1;
        let p = &round.paper;
        text(sheet, r, 0, &round.title)?;
        text(sheet, r, 1, lang.round_kind(round.kind))?;
        number(sheet, r, 2, Some(p.n as f64), None)?;
        number(sheet, r, 3, Some(p.items as f64), None)?;
        number(sheet, r, 4, p.mean, Some(&f.fraction))?;
        number(sheet, r, 5, p.sd, Some(&f.fraction))?;
        number(sheet, r, 6, p.alpha, Some(&f.fraction))?;
        number(sheet, r, 7, p.sem, Some(&f.fraction))?;
    }
    Ok(())
}

fn audit(
    sheet: &mut Worksheet,
    trail: &Trail<'_>,
    l: &Labels,
    tz: i32,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(l.sheet_audit)?;
    header(
        sheet,
        &[
            (l.number, 6.0),
            (l.time, 20.0),
            (l.actor, 12.0),
            (l.action, 14.0),
            (l.detail, 48.0),
            (l.outcome, 14.0),
            (l.hash, 20.0),
        ],
        f,
    )?;
    for (i, row) in trail.audit.iter().enumerate() {
        let r = row_num(i + 1);
        number(sheet, r, 0, Some(row.id as f64), None)?;
        datetime(sheet, r, 1, row.at_ms, tz, f)?;
        text(sheet, r, 2, &row.actor)?;
        text(sheet, r, 3, &row.action)?;
        write_text(sheet, r, 4, &row.detail, Some(&f.wrap))?;
        text(sheet, r, 5, &row.outcome)?;
        text(sheet, r, 6, &row.hash)?;
    }
    let status = if trail.chain_ok {
        l.chain_whole
    } else {
        l.chain_broken
    };
    sheet.write_string_with_format(row_num(trail.audit.len() + 2), 0, status, &f.header)?;
    Ok(())
}

fn adjustments(
    sheet: &mut Worksheet,
    results: &Results,
    trail: &Trail<'_>,
    l: &Labels,
    tz: i32,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(l.sheet_adjustments)?;
    header(
        sheet,
        &[
            (l.number, 6.0),
            (l.time, 20.0),
            (l.name, 14.0),
            (l.badge, 12.0),
            (l.delta, 10.0),
            (l.reason, 40.0),
            (l.actor, 12.0),
        ],
        f,
    )?;
    let people: HashMap<i64, (&str, &str)> = results
        .standings
        .entries
        .iter()
        .map(|e| {
            (
                e.participant_id,
                (e.name.as_str(), e.badge.as_deref().unwrap_or_default()),
            )
        })
        .collect();
    for (i, a) in trail.adjustments.iter().enumerate() {
        let r = row_num(i + 1);
        number(sheet, r, 0, Some(a.id as f64), None)?;
        datetime(sheet, r, 1, a.created_at, tz, f)?;
        let (name, badge) = people.get(&a.participant_id).copied().unwrap_or_default();
        text(sheet, r, 2, name)?;
        text(sheet, r, 3, badge)?;
        number(sheet, r, 4, points(a.delta_centi), None)?;
        write_text(sheet, r, 5, &a.reason, Some(&f.wrap))?;
        text(sheet, r, 6, &a.created_by)?;
    }
    Ok(())
}
