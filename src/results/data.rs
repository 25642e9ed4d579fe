//! What the documents print, read from the engine's own views (the results, the organizer snapshot) so that every
//! document shows exactly what `GET /api/contests/{id}/results` and the console show.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::contest::{RoundConfig, RoundKind};
use crate::store::RoundRow;

/// Points as decimal numbers in the views, hundredths here.
pub fn centi(points: &Value) -> Option<i64> {
    points.as_f64().map(|p| (p * 100.0).round() as i64)
}

/// The contest as the documents head it.
#[derive(Debug, Clone)]
pub struct ContestInfo {
    pub id: i64,
    pub title: String,
    /// draft | running | finished
    pub state: String,
    /// `sum` or `mean`.
    pub unit_scoring: String,
    /// The day it was held: the start of its first round, else its creation.
    pub held_at: i64,
}

/// A round with its rules.
#[derive(Debug, Clone)]
pub struct RoundInfo {
    pub id: i64,
    pub title: String,
    pub kind: RoundKind,
    /// pending | running | finished
    pub state: String,
    pub question_count: usize,
    pub config: RoundConfig,
}

/// One line of the individual ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// `None` for an absentee.
    pub rank: Option<u32>,
    pub participant_id: i64,
    pub name: String,
    pub badge: Option<String>,
    pub unit: String,
    pub score_centi: i64,
    pub correct: u32,
    pub answer_time_ms: Option<i64>,
    /// The tie-break that decided the place (`score`, `correct_count`, …).
    pub decided_by: Option<String>,
    pub absent: bool,
}

/// A unit as the results rank it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitStanding {
    pub rank: u32,
    pub unit: String,
    pub members: u32,
    pub joined: u32,
    /// By the contest's unit rule (sum or mean).
    pub score_centi: i64,
}

/// A team of the stage rounds with its total (base score plus ledger) and its place.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamStanding {
    /// The place after 加赛 and elimination cuts (`place` of the snapshot; its plain rank by total without one).
    pub place: u32,
    pub team: i64,
    pub unit: String,
    pub total_centi: i64,
    /// False once the team was eliminated at a cut.
    pub active: bool,
}

/// The ranking and the unit standings of `GET /api/contests/{id}/results`.
#[derive(Debug, Clone)]
pub struct Standings {
    pub entries: Vec<Entry>,
    pub units: Vec<UnitStanding>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn count(v: &Value) -> u32 {
    v.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

/// Read the results view.
pub fn standings(results: &Value) -> Result<Standings, String> {
    let ranking = results["ranking"]
        .as_array()
        .ok_or("the results carry no ranking")?;
    let entries = ranking
        .iter()
        .map(|e| {
            Ok(Entry {
                rank: e["rank"].as_u64().and_then(|r| u32::try_from(r).ok()),
                participant_id: e["participant_id"]
                    .as_i64()
                    .ok_or("a ranking entry has no participant_id")?,
                name: text(&e["name"]),
                badge: e["badge"].as_str().map(str::to_owned),
                unit: text(&e["unit"]),
                score_centi: centi(&e["score"]).unwrap_or(0),
                correct: count(&e["correct"]),
                answer_time_ms: e["answer_time_ms"].as_i64(),
                decided_by: e["decided_by"].as_str().map(str::to_owned),
                absent: e["absent"].as_bool().unwrap_or(false),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let units = results["units"]
        .as_array()
        .map(|units| {
            units
                .iter()
                .map(|u| UnitStanding {
                    rank: count(&u["rank"]),
                    unit: text(&u["unit"]),
                    members: count(&u["members"]),
                    joined: count(&u["joined"]),
                    score_centi: centi(&u["score"]).unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Standings { entries, units })
}

/// The rounds of an organizer snapshot (with their settings), in contest order.
pub fn rounds(snapshot: &Value) -> Result<Vec<RoundInfo>, String> {
    snapshot["rounds"]
        .as_array()
        .ok_or("the snapshot carries no rounds")?
        .iter()
        .map(|r| {
            let id = r["id"].as_i64().ok_or("a round has no id")?;
            let kind = r["kind"]
                .as_str()
                .and_then(RoundKind::parse)
                .ok_or_else(|| format!("round {id} has an unknown kind"))?;
            let config: RoundConfig = serde_json::from_value(r["config"].clone())
                .map_err(|e| format!("round {id}: its settings do not read: {e}"))?;
            Ok(RoundInfo {
                id,
                title: text(&r["title"]),
                kind,
                state: text(&r["state"]),
                question_count: r["question_count"]
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(0),
                config,
            })
        })
        .collect()
}

/// A round as the store keeps it (`question_count` from the blueprint).
pub fn round_from_row(row: &RoundRow) -> Result<RoundInfo, String> {
    let kind = RoundKind::parse(&row.kind).ok_or_else(|| format!("round {} has an unknown kind", row.id))?;
    let config: RoundConfig = serde_json::from_str(&row.config)
        .map_err(|e| format!("round {}: its settings do not read: {e}", row.id))?;
    Ok(RoundInfo {
        id: row.id,
        title: row.title.clone(),
        kind,
        state: row.state.clone(),
        question_count: config.blueprint.total(),
        config,
    })
}

/// When the contest was held: the earliest start of a round in the snapshot, else `created_at`.
pub fn held_at(snapshot: &Value, created_at: i64) -> i64 {
    snapshot["rounds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["started_at"].as_i64())
        .min()
        .unwrap_or(created_at)
}

/// The stage team standings of an organizer snapshot (`stage.standings`, best first); `None` when the contest
/// has no stage rounds or none has started (no teams yet).
pub fn teams(snapshot: &Value) -> Option<Vec<TeamStanding>> {
    let standings = snapshot["stage"]["standings"].as_array()?;
    Some(
        standings
            .iter()
            .map(|s| TeamStanding {
                place: if s["place"].is_u64() {
                    count(&s["place"])
                } else {
                    count(&s["rank"])
                },
                team: s["team"].as_i64().unwrap_or(0),
                unit: text(&s["unit"]),
                total_centi: centi(&s["total"]).unwrap_or(0),
                active: s["active"].as_bool().unwrap_or(true),
            })
            .collect(),
    )
}

/// A unit's summary for the report: its standing, and from its members' lines the total, the mean over the
/// whole roster of the unit (absentees count 0, docs/scoring.md) and its best member.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSummary {
    pub standing: UnitStanding,
    pub sum_centi: i64,
    /// The sum over the unit's roster, rounded half away from zero to the hundredth.
    pub mean_centi: i64,
    /// The best placed member who joined: (name, score).
    pub best: Option<(String, i64)>,
}

pub fn unit_summaries(standings: &Standings) -> Vec<UnitSummary> {
    let mut members: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in &standings.entries {
        members.entry(e.unit.as_str()).or_default().push(e);
    }
    standings
        .units
        .iter()
        .map(|u| {
            let of_unit = members.get(u.unit.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let sum_centi: i64 = of_unit.iter().map(|e| e.score_centi).sum();
            let roster = i64::from(u.members.max(1));
            let magnitude = (2 * sum_centi.abs() + roster) / (2 * roster);
            let mean_centi = if sum_centi < 0 { -magnitude } else { magnitude };
            let best = of_unit
                .iter()
                .filter(|e| !e.absent)
                .max_by_key(|e| (e.score_centi, std::cmp::Reverse(e.rank)))
                .map(|e| (e.name.clone(), e.score_centi));
            UnitSummary {
                standing: u.clone(),
                sum_centi,
                mean_centi,
                best,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_results_view_reads_with_absentees() {
        let results = json!({
            "ranking": [
                {"rank": 1, "participant_id": 3, "name": "甲", "badge": "001", "unit": "一队", "score": 20.5,
                 "correct": 2, "answer_time_ms": 4100, "decided_by": "score", "absent": false},
                {"rank": 2, "participant_id": 4, "name": "乙", "badge": "002", "unit": "一队", "score": 9.99,
                 "correct": 1, "answer_time_ms": 5000, "decided_by": "score", "absent": false},
                {"rank": null, "participant_id": 5, "name": "丙", "badge": "003", "unit": "一队", "score": 0,
                 "correct": 0, "answer_time_ms": null, "decided_by": null, "absent": true}
            ],
            "units": [{"rank": 1, "unit": "一队", "members": 3, "joined": 2, "score": 10.16}],
        });
        let s = standings(&results).expect("reads");
        assert_eq!(s.entries[1].score_centi, 999);
        assert_eq!(s.entries[2].rank, None);
        assert!(s.entries[2].absent);
        let summary = &unit_summaries(&s)[0];
        assert_eq!(summary.sum_centi, 3049);
        // 30.49 / 3 = 10.163…: rounded to 10.16, as the results compute it.
        assert_eq!(summary.mean_centi, 1016);
        assert_eq!(summary.best, Some(("甲".to_owned(), 2050)));
        assert!(standings(&json!({})).is_err());
    }

    #[test]
    fn the_mean_rounds_half_away_from_zero() {
        let entry = |score_centi| Entry {
            rank: Some(1),
            participant_id: 1,
            name: "x".into(),
            badge: None,
            unit: "u".into(),
            score_centi,
            correct: 0,
            answer_time_ms: None,
            decided_by: None,
            absent: false,
        };
        let unit = |members| UnitStanding {
            rank: 1,
            unit: "u".into(),
            members,
            joined: members,
            score_centi: 0,
        };
        for (score, members, mean) in [(5, 2, 3), (-5, 2, -3), (1, 3, 0), (2, 3, 1), (0, 4, 0)] {
            let s = Standings {
                entries: vec![entry(score)],
                units: vec![unit(members)],
            };
            assert_eq!(unit_summaries(&s)[0].mean_centi, mean, "{score}/{members}");
        }
    }
}
