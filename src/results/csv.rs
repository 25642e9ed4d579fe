//! The individual ranking as CSV: UTF-8 with a byte order mark (so Excel reads Chinese text), CRLF line ends,
//! every field quoted, every text through [`safe_cell`]. The columns of the workbook's ranking sheet.

use super::Results;
use super::lang::{Lang, points};
use crate::export::safe_cell;

pub fn ranking_csv(results: &Results, lang: Lang) -> Result<Vec<u8>, csv::Error> {
    let l = lang.labels();
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        writer.write_record([
            l.rank,
            l.name,
            l.badge,
            l.unit,
            l.score,
            l.correct_count,
            l.answer_time_s,
            l.decided_by,
            l.award,
        ])?;
        for (i, e) in results.standings.entries.iter().enumerate() {
            let (correct, time, decided) = if e.absent {
                (String::new(), String::new(), l.absent.to_owned())
            } else {
                (
                    e.correct.to_string(),
                    e.answer_time_ms
                        .map(|ms| format!("{:.1}", ms as f64 / 1000.0))
                        .unwrap_or_default(),
                    e.decided_by
                        .as_deref()
                        .map(|d| lang.decided_by(d).to_owned())
                        .unwrap_or_default(),
                )
            };
            let record = [
                e.rank.map(|r| r.to_string()).unwrap_or_default(),
                e.name.clone(),
                e.badge.clone().unwrap_or_default(),
                e.unit.clone(),
                points(e.score_centi),
                correct,
                time,
                decided,
                results.award_of(i).unwrap_or_default().to_owned(),
            ];
            writer.write_record(record.iter().map(|v| safe_cell(v).into_owned()))?;
        }
        writer.flush()?;
    }
    Ok(out)
}
