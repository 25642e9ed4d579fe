//! The printable results report (A4 portrait): title and date, the rounds with their rules, the award list by
//! tier, the individual ranking, the units' summaries and, with stage rounds, the team standings.

use std::fmt::Write;

use super::Results;
use super::awards::rule_text;
use super::data::{RoundInfo, unit_summaries};
use super::html::{BASE_CSS, Page, esc, page};
use super::lang::{Lang, points};
use super::time;
use crate::contest::RoundKind;

const REPORT_CSS: &str = r#"
@page { size: A4 portrait; margin: 15mm 14mm 16mm; }
.doc { width: 210mm; min-height: 297mm; margin: 14px auto; padding: 15mm 14mm; background: #fff; box-shadow: 0 1px 6px rgba(0,0,0,.25); }
.doc h1 { font-size: 20pt; text-align: center; margin: 0 0 2px; letter-spacing: .05em; }
.doc .subtitle { text-align: center; margin: 0 0 10px; color: #4a453f; }
.doc h2 { font-size: 13pt; color: #8b1e1e; border-bottom: 2px solid #8b1e1e; padding-bottom: 2px; margin: 16px 0 8px; break-after: avoid; }
.doc h3 { font-size: 11pt; margin: 10px 0 4px; break-after: avoid; }
.doc h3 .muted { font-weight: 400; font-size: 9.5pt; }
.tier { break-inside: avoid; }
.award { font-weight: 700; color: #8b1e1e; }
.absent td { color: #7b766f; }
.doc footer { margin-top: 14px; text-align: right; }
@media print { .doc { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; } }
"#;

fn css() -> String {
    format!("{BASE_CSS}{REPORT_CSS}")
}

/// The rules of a round in one line.
fn rules(round: &RoundInfo, lang: Lang) -> (String, String) {
    let c = &round.config;
    let l = lang.labels();
    match round.kind {
        RoundKind::Buzzer => (
            lang.answer_seconds(c.buzzer.answer_seconds),
            lang.buzzer_points(c.buzzer.points, c.buzzer.wrong_penalty),
        ),
        RoundKind::Compulsory => (
            lang.answer_seconds(c.compulsory.answer_seconds),
            lang.compulsory_points(c.compulsory.points, c.compulsory.wrong_penalty),
        ),
        RoundKind::Wager => {
            let values: Vec<String> = c.wager.options.iter().map(|o| o.points.to_string()).collect();
            (
                lang.answer_seconds(c.wager.answer_seconds),
                lang.wager_values(&values.join("/")),
            )
        }
        RoundKind::Tiebreak => (
            lang.answer_seconds(c.tiebreak.answer_seconds),
            l.tiebreak_rule.to_owned(),
        ),
        kind => {
            let timing = if kind == RoundKind::Live {
                lang.seconds_per_question(c.question_seconds)
            } else {
                lang.time_limit(c.time_limit_seconds)
            };
            let mut scoring = vec![lang.points_each(c.scoring.default_points)];
            if kind == RoundKind::Live && c.scoring.speed_bonus > 0.0 {
                scoring.push(lang.speed_bonus(c.scoring.speed_bonus));
            }
            if c.scoring.partial_credit {
                scoring.push(l.partial_credit.to_owned());
            }
            if c.scoring.wrong_penalty > 0 {
                scoring.push(lang.wrong_penalty(c.scoring.wrong_penalty));
            }
            let separator = if lang == Lang::Zh { "；" } else { "; " };
            (timing, scoring.join(separator))
        }
    }
}

/// The report page; `now` stamps the footer.
pub fn report(results: &Results, lang: Lang, tz: i32, now: i64) -> Page {
    let l = lang.labels();
    let contest = &results.contest;
    let entries = &results.standings.entries;
    let took_part = entries.iter().filter(|e| !e.absent).count();
    let mut b = String::new();
    let _ = write!(
        b,
        "<main class=\"doc\" data-testid=\"report\">\n<h1>{title}</h1>\n<p class=\"subtitle\">{report} · {held}{colon}{date} · {count}</p>\n",
        title = esc(&contest.title),
        report = esc(l.report),
        held = esc(l.held_on),
        colon = lang.colon(),
        date = esc(&time::long_date(contest.held_at, tz, lang)),
        count = esc(&lang.took_part(took_part)),
    );
    if !results.finished() {
        let _ = writeln!(
            b,
            "<p class=\"alert\" data-testid=\"report-provisional\">{}</p>",
            esc(l.provisional)
        );
    }

    // Rounds and rules.
    let _ = write!(
        b,
        "<section><h2>{}</h2><table data-testid=\"report-rounds\"><thead><tr><th class=\"num\">#</th><th>{}</th><th>{}</th>\
         <th class=\"num\">{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(l.rounds_and_rules),
        esc(l.round),
        esc(l.kind),
        esc(l.questions),
        esc(l.timing),
        esc(l.scoring)
    );
    for (i, round) in results.rounds.iter().enumerate() {
        let (timing, scoring) = rules(round, lang);
        let _ = write!(
            b,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(&round.title),
            esc(lang.round_kind(round.kind)),
            round.question_count,
            esc(&timing),
            esc(&scoring)
        );
    }
    b.push_str("</tbody></table></section>\n");

    // Awards.
    let _ = write!(
        b,
        "<section data-testid=\"report-awards\"><h2>{}</h2>",
        esc(l.awards)
    );
    for (t, tier) in results.tiers.iter().enumerate() {
        let awardees = results.awardees(t);
        let _ = write!(
            b,
            "<div class=\"tier\" data-testid=\"award-tier\" data-tier=\"{name}\"><h3>{name} <span class=\"muted\">{rule}</span></h3>",
            name = esc(&tier.name),
            rule = esc(&lang.paren(&format!(
                "{}{}{}",
                rule_text(tier.rule, lang),
                lang.comma(),
                lang.people(awardees.len())
            ))),
        );
        if awardees.is_empty() {
            let _ = write!(b, "<p class=\"muted\">{}</p></div>", esc(l.no_awardees));
            continue;
        }
        let _ = write!(
            b,
            "<table><thead><tr><th class=\"num\">{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
            esc(l.rank),
            esc(l.name),
            esc(l.unit),
            esc(l.score)
        );
        for e in awardees {
            let _ = write!(
                b,
                "<tr data-testid=\"awardee\" data-pid=\"{}\"><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                e.participant_id,
                e.rank.map(|r| r.to_string()).unwrap_or_default(),
                esc(&e.name),
                esc(&e.unit),
                esc(&points(e.score_centi))
            );
        }
        b.push_str("</tbody></table></div>");
    }
    b.push_str("</section>\n");

    // The individual ranking.
    let _ = write!(
        b,
        "<section><h2>{}</h2><table data-testid=\"report-ranking\"><thead><tr><th class=\"num\">{}</th><th>{}</th><th>{}</th>\
         <th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(l.ranking),
        esc(l.rank),
        esc(l.name),
        esc(l.badge),
        esc(l.unit),
        esc(l.score),
        esc(l.correct_count),
        esc(l.answer_time_s),
        esc(l.decided_by),
        esc(l.award)
    );
    for (i, e) in entries.iter().enumerate() {
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
        let _ = write!(
            b,
            "<tr{absent} data-testid=\"report-row\" data-pid=\"{pid}\"><td class=\"num\">{rank}</td><td>{name}</td><td>{badge}</td>\
             <td>{unit}</td><td class=\"num\">{score}</td><td class=\"num\">{correct}</td><td class=\"num\">{time}</td>\
             <td>{decided}</td><td class=\"award\">{award}</td></tr>",
            absent = if e.absent { " class=\"absent\"" } else { "" },
            pid = e.participant_id,
            rank = e.rank.map(|r| r.to_string()).unwrap_or_default(),
            name = esc(&e.name),
            badge = esc(e.badge.as_deref().unwrap_or_default()),
            unit = esc(&e.unit),
            score = esc(&points(e.score_centi)),
            correct = correct,
            time = time,
            decided = esc(&decided),
            award = esc(results.award_of(i).unwrap_or_default()),
        );
    }
    b.push_str("</tbody></table></section>\n");

    // Units: the figure they are ranked by (sum or mean, as the contest's rule says), the other one, the best.
    let by_mean = contest.unit_scoring == "mean";
    let _ = write!(
        b,
        "<section><h2>{}</h2><p class=\"muted small\">{}</p><table data-testid=\"report-units\"><thead><tr><th class=\"num\">{}</th>\
         <th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th>\
         <th>{}</th></tr></thead><tbody>",
        esc(l.units),
        esc(lang.unit_scoring(&contest.unit_scoring)),
        esc(l.rank),
        esc(l.unit),
        esc(l.members),
        esc(l.joined),
        esc(lang.unit_scoring_short(&contest.unit_scoring)),
        esc(if by_mean { l.unit_sum } else { l.unit_mean }),
        esc(l.best)
    );
    for u in unit_summaries(&results.standings) {
        let best = u
            .best
            .as_ref()
            .map(|(name, score)| format!("{}{}", esc(name), esc(&lang.paren(&points(*score)))))
            .unwrap_or_default();
        let other = if by_mean { u.sum_centi } else { u.mean_centi };
        let _ = write!(
            b,
            "<tr data-testid=\"report-unit\"><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            u.standing.rank,
            esc(&u.standing.unit),
            u.standing.members,
            u.standing.joined,
            esc(&points(u.standing.score_centi)),
            esc(&points(other)),
            best
        );
    }
    b.push_str("</tbody></table></section>\n");

    // Stage teams.
    if let Some(teams) = &results.teams {
        let _ = write!(
            b,
            "<section><h2>{}</h2><table data-testid=\"report-teams\"><thead><tr><th class=\"num\">{}</th><th class=\"num\">{}</th>\
             <th>{}</th><th class=\"num\">{}</th><th></th></tr></thead><tbody>",
            esc(l.teams),
            esc(l.rank),
            esc(l.team),
            esc(l.unit),
            esc(l.team_total)
        );
        for t in teams {
            let _ = write!(
                b,
                "<tr data-testid=\"report-team\"><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>\
                 <td class=\"num\">{}</td><td>{}</td></tr>",
                t.place,
                t.team,
                esc(&t.unit),
                esc(&points(t.total_centi)),
                if t.active { "" } else { l.eliminated }
            );
        }
        b.push_str("</tbody></table></section>\n");
    }
    let _ = write!(
        b,
        "<footer class=\"muted small\">{}{}{}{}</footer>\n</main>",
        esc(l.generated),
        lang.colon(),
        esc(&time::date_time(now, tz)),
        esc(&lang.paren(&time::zone(tz)))
    );
    let title = format!("{} · {}", contest.title, l.report);
    page(lang, &title, &css(), &b)
}
