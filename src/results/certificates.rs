//! Award certificates: one A4 landscape page per awardee with their name, unit and award, the contest and its
//! date (荣誉证书). Awardees come best tier first, in ranking order within a tier.

use std::fmt::Write;

use super::Results;
use super::html::{BASE_CSS, Page, esc, page};
use super::lang::Lang;
use super::time;

const CERT_CSS: &str = r#"
@page { size: A4 landscape; margin: 0; }
.cert { width: 297mm; height: 210mm; margin: 14px auto; padding: 11mm; background: #fffdf6; box-shadow: 0 1px 6px rgba(0,0,0,.25); break-after: page; overflow: hidden; }
.cert:last-of-type { break-after: auto; }
.frame { height: 100%; border: 2.5mm double #b8892b; outline: .8mm solid #9c2222; outline-offset: 2mm; padding: 14mm 30mm 12mm; display: flex; flex-direction: column; }
.cert h1 { margin: 2mm 0 9mm; text-align: center; font-size: 46pt; letter-spacing: .35em; color: #a51f1f; font-weight: 700; }
.lines { flex: 1; font-size: 19pt; line-height: 2.1; }
.who { margin: 0; }
.who .name { font-size: 26pt; font-weight: 700; padding: 0 .3em; border-bottom: 1px solid #6b5a3a; }
.who .unit { font-size: 15pt; color: #4a453f; margin-left: .6em; }
.text { margin: 0; text-indent: 2em; }
.award { margin: 4mm 0; text-align: center; font-size: 38pt; font-weight: 700; letter-spacing: .25em; color: #a51f1f; }
.sign { text-align: right; font-size: 15pt; line-height: 1.8; }
.none { width: 210mm; margin: 14px auto; padding: 12mm; background: #fff; }
@media print { .cert { margin: 0; box-shadow: none; } }
"#;

fn css() -> String {
    format!("{BASE_CSS}{CERT_CSS}")
}

/// Every certificate of the contest as one printable page per awardee.
pub fn certificates(results: &Results, lang: Lang, tz: i32) -> Page {
    let l = lang.labels();
    let contest = &results.contest;
    let date = time::long_date(contest.held_at, tz, lang);
    let mut b = String::new();
    let awardees = results.all_awardees();
    if awardees.is_empty() {
        let _ = write!(
            b,
            "<main class=\"none\" data-testid=\"certificates-none\"><h1 class=\"serif\">{}</h1><p>{}</p></main>",
            esc(&contest.title),
            esc(l.no_certificates)
        );
    }
    for (e, award) in awardees {
        let (who, text_before, text_after) = match lang {
            Lang::Zh => (
                format!(
                    "<span class=\"name\" data-testid=\"cert-name\">{}</span> 同志<span class=\"unit\">（{}）</span>：",
                    esc(&e.name),
                    esc(&e.unit)
                ),
                format!("在「{}」中成绩优异，荣获", esc(&contest.title)),
                "特发此证，以资鼓励。".to_owned(),
            ),
            Lang::En => (
                format!(
                    "This certifies that <span class=\"name\" data-testid=\"cert-name\">{}</span><span class=\"unit\">({})</span>",
                    esc(&e.name),
                    esc(&e.unit)
                ),
                format!(
                    "in recognition of an outstanding result in {}, has been awarded",
                    esc(&contest.title)
                ),
                String::new(),
            ),
        };
        let _ = writeln!(
            b,
            "<section class=\"cert serif\" data-testid=\"certificate\" data-pid=\"{pid}\" data-award=\"{award}\"><div class=\"frame\">\
             <h1>{title}</h1><div class=\"lines\"><p class=\"who\">{who}</p><p class=\"text\">{before}</p>\
             <p class=\"award\" data-testid=\"cert-award\">{award}</p><p class=\"text\">{after}</p></div>\
             <div class=\"sign\"><div>{contest}</div><div>{date}</div></div></div></section>",
            pid = e.participant_id,
            award = esc(award),
            title = esc(l.certificate),
            who = who,
            before = text_before,
            after = text_after,
            contest = esc(&contest.title),
            date = esc(&date),
        );
    }
    let title = format!("{} · {}", contest.title, l.certificates);
    page(lang, &title, &css(), &b)
}
