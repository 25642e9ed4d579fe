//! Totals, ranking, leaderboards and the per-question breakdown that explains every score.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde_json::{Value, json};

use super::actor::{Actor, Participant};
use super::model::*;
use crate::error::{AppError, AppResult};
use crate::realtime::encode;
use crate::scoring::{Ranked, Standing, UnitMember, rank, unit_standings_of};

/// How many places the public leaderboard shows.
const TOP_N: usize = 10;

pub(super) fn centi_to_points(centi: i64) -> f64 {
    centi as f64 / 100.0
}

/// The ranking of the current scores and what is derived from it, built once per change of scores and shared
/// by every viewer until the next change: a join or a reconnect looks its rank up instead of re-ranking.
pub(super) struct Ranking {
    pub ranked: Vec<Ranked>,
    /// participant -> position in `ranked`
    position: HashMap<i64, usize>,
    pub leaderboard: Value,
    /// Decimals the public board shows its scores with: 2 if a top score has a fraction, else 0. Phones get it
    /// in `my_result` (they get no leaderboard at a close) so they show points as the big screen does.
    pub board_decimals: u8,
}

impl Ranking {
    pub fn of(&self, participant_id: i64) -> Option<&Ranked> {
        self.position.get(&participant_id).map(|i| &self.ranked[*i])
    }
}

/// A participant's own outcome at a close, with their place: one personal frame instead of two.
#[derive(serde::Serialize)]
struct MyResult {
    r#type: &'static str,
    round_id: i64,
    index: usize,
    answered: bool,
    correct: bool,
    points: f64,
    bonus: f64,
    rank: Option<u32>,
    of: usize,
    score: Option<f64>,
    total_correct: Option<u32>,
    board_decimals: u8,
}

impl Actor {
    /// Every participant's totals over what has been scored so far (closed live questions, finished exams),
    /// plus adjustments.
    pub(super) fn standings(&self) -> Vec<Standing> {
        let mut totals: BTreeMap<i64, Standing> = self
            .participants
            .keys()
            .map(|&pid| {
                (
                    pid,
                    Standing {
                        participant_id: pid,
                        score_centi: self.adjustments.get(&pid).copied().unwrap_or(0),
                        correct: 0,
                        answer_time_ms: 0,
                        finished_at_ms: None,
                    },
                )
            })
            .collect();
        for ((round_id, uid), scores) in &self.scored {
            let answers = self.answers.get(&(*round_id, *uid));
            let is_live = self
                .rounds
                .iter()
                .find(|r| r.id == *round_id)
                .is_some_and(|r| r.kind == RoundKind::Live);
            for (pid, scored) in scores {
                let Some(total) = totals.get_mut(pid) else {
                    continue;
                };
                total.score_centi += scored.points_centi + scored.bonus_centi;
                if scored.correct {
                    total.correct += 1;
                }
                if is_live && let Some(a) = answers.and_then(|m| m.get(pid)) {
                    total.answer_time_ms += a.elapsed_ms;
                    total.finished_at_ms = total.finished_at_ms.max(Some(a.received_at));
                }
            }
        }
        // Not answering is the slowest answer: each closed live question left unanswered adds its full time,
        // so silence never wins the answer-time tie-break against a wrong answer.
        for round in self.rounds.iter().filter(|r| r.kind == RoundKind::Live) {
            let limit = round.config.question_ms();
            for q in round.live.iter().filter(|q| q.state == QuestionState::Closed) {
                let answers = self.answers.get(&(round.id, q.uid));
                for (pid, total) in totals.iter_mut() {
                    if !answers.is_some_and(|m| m.contains_key(pid)) {
                        total.answer_time_ms += limit;
                    }
                }
            }
        }
        for round in self
            .rounds
            .iter()
            .filter(|r| r.kind == RoundKind::Exam && r.state == RoundState::Finished)
        {
            let limit = i64::from(round.config.time_limit_seconds) * 1000;
            for (pid, total) in totals.iter_mut() {
                match round.papers.get(pid) {
                    Some(paper) => {
                        let submitted = paper.submitted_at.unwrap_or(paper.deadline_at);
                        total.answer_time_ms += (submitted - paper.started_at).max(0);
                        total.finished_at_ms = total.finished_at_ms.max(Some(submitted));
                    }
                    // Never opened the paper: the whole time limit.
                    None => total.answer_time_ms += limit,
                }
            }
        }
        totals.into_values().collect()
    }

    /// The current ranking, built on first use after a change of scores.
    pub(super) fn ranking(&self) -> Arc<Ranking> {
        self.ranking
            .get_or_init(|| {
                // Absentees (never joined) are left out of the ranking: they are on no board and take no
                // place; the organizer's results list them last, marked absent.
                let mut standings = self.standings();
                standings.retain(|s| self.has_joined(s.participant_id));
                let ranked = rank(standings);
                let position = ranked
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.standing.participant_id, i))
                    .collect();
                let leaderboard = json!({
                    "top": ranked.iter().take(TOP_N).map(|r| self.entry_view(r, false)).collect::<Vec<_>>(),
                    "units": self.units_view(&ranked),
                    "unit_scoring": self.contest.unit_scoring,
                    "participants": ranked.len(),
                    // Stage rounds: team totals (base score + ledger), best first; null before the teams are fixed.
                    "teams": self.team_standings_view(),
                });
                let fractional = |r: &&Ranked| r.standing.score_centi % crate::scoring::CENTI != 0;
                let board_decimals = if ranked.iter().take(TOP_N).any(|r| fractional(&r)) {
                    2
                } else {
                    0
                };
                Arc::new(Ranking {
                    ranked,
                    position,
                    leaderboard,
                    board_decimals,
                })
            })
            .clone()
    }

    /// Scores, adjustments or the set of participants changed: the next use re-ranks.
    pub(super) fn invalidate_ranking(&mut self) {
        self.ranking = OnceLock::new();
    }

    /// Joined the contest at least once (a roster member who never did is an absentee).
    fn has_joined(&self, participant_id: i64) -> bool {
        self.participants
            .get(&participant_id)
            .is_some_and(|p| p.joined_at.is_some())
    }

    /// An organizer's result line for someone not in the ranking (an absentee): no place, no answer time.
    fn absent_entry_view(&self, p: &Participant) -> Value {
        json!({
            "rank": Value::Null,
            "participant_id": p.id,
            "name": p.name,
            "badge": p.badge,
            "unit": p.unit,
            "score": centi_to_points(self.adjustments.get(&p.id).copied().unwrap_or(0)),
            "correct": 0,
            "answer_time_ms": Value::Null,
            "finished_at": Value::Null,
            "decided_by": Value::Null,
            "absent": p.joined_at.is_none(),
        })
    }

    fn entry_view(&self, r: &Ranked, with_badge: bool) -> Value {
        let p = self.participants.get(&r.standing.participant_id);
        json!({
            "rank": r.rank,
            "participant_id": r.standing.participant_id,
            "name": p.map(|p| p.name.as_str()),
            // Badge numbers are personal data: only the organizer's results carry them, never the public board.
            "badge": if with_badge { p.and_then(|p| p.badge.as_deref()) } else { None },
            "unit": p.map(|p| p.unit.as_str()),
            "score": centi_to_points(r.standing.score_centi),
            "correct": r.standing.correct,
            "answer_time_ms": r.standing.answer_time_ms,
            "finished_at": r.standing.finished_at_ms,
            "decided_by": r.decided_by,
        })
    }

    /// Unit standings over the whole roster: the ranked members with their totals, and every member not in the
    /// ranking (absentees) with their adjustments only, as `unit_standings_of` documents.
    fn units_view(&self, ranked: &[Ranked]) -> Vec<Value> {
        let mut in_ranking = std::collections::HashSet::with_capacity(ranked.len());
        let mut members: Vec<UnitMember<'_>> = Vec::with_capacity(self.participants.len());
        for r in ranked {
            if let Some(p) = self.participants.get(&r.standing.participant_id) {
                in_ranking.insert(p.id);
                members.push(UnitMember {
                    unit: &p.unit,
                    score_centi: r.standing.score_centi,
                    joined: true,
                });
            }
        }
        for p in self.participants.values().filter(|p| !in_ranking.contains(&p.id)) {
            members.push(UnitMember {
                unit: &p.unit,
                score_centi: self.adjustments.get(&p.id).copied().unwrap_or(0),
                joined: p.joined_at.is_some(),
            });
        }
        unit_standings_of(&members, self.contest.unit_scoring)
            .into_iter()
            .map(|u| {
                json!({
                    "rank": u.rank,
                    "unit": u.unit,
                    "members": u.members,
                    "joined": u.joined,
                    "score": centi_to_points(u.score_centi),
                })
            })
            .collect()
    }

    /// The public leaderboard: top places and unit standings.
    pub(super) fn leaderboard_view(&self) -> Value {
        self.ranking().leaderboard.clone()
    }

    /// The leaderboard for everyone (one shared frame). Personal places are sent separately where needed.
    pub(super) fn publish_leaderboard(&self) {
        self.publish_both(json!({"type": "leaderboard", "leaderboard": self.leaderboard_view()}));
    }

    /// Each connected participant's own place, sent only to them.
    pub(super) fn send_personal_ranks(&self) {
        let ranking = self.ranking();
        let total = ranking.ranked.len();
        let connected = self.hub.connected_participants();
        self.hub
            .send_personal_many(connected.into_iter().filter_map(|pid| {
                let r = ranking.of(pid)?;
                Some((
                    pid,
                    encode(&json!({
                        "type": "my_rank",
                        "rank": r.rank,
                        "of": total,
                        "score": centi_to_points(r.standing.score_centi),
                        "correct": r.standing.correct,
                    })),
                ))
            }));
    }

    /// After a live question closes: the shared frame (the result), then each connected participant's own
    /// outcome and new place, queued per participant in that order.
    pub(super) fn send_personal_results(&self, r: usize, i: usize, shared: [Bytes; 1]) {
        let round = &self.rounds[r];
        let uid = round.live[i].uid;
        let scores = self.scored.get(&(round.id, uid));
        let answers = self.answers.get(&(round.id, uid));
        let ranking = self.ranking();
        let of = ranking.ranked.len();
        let connected = self.hub.connected_participants();
        self.hub.send_personal_bundles(
            &shared,
            connected.into_iter().map(|pid| {
                let scored = scores.and_then(|s| s.get(&pid));
                let place = ranking.of(pid);
                let result = MyResult {
                    r#type: "my_result",
                    round_id: round.id,
                    index: i,
                    answered: answers.is_some_and(|m| m.contains_key(&pid)),
                    correct: scored.is_some_and(|s| s.correct),
                    points: centi_to_points(scored.map_or(0, |s| s.points_centi)),
                    bonus: centi_to_points(scored.map_or(0, |s| s.bonus_centi)),
                    rank: place.map(|p| p.rank),
                    of,
                    score: place.map(|p| centi_to_points(p.standing.score_centi)),
                    total_correct: place.map(|p| p.standing.correct),
                    board_decimals: ranking.board_decimals,
                };
                (pid, encode(&result))
            }),
        );
    }

    /// Full results for the organizer: every place with its tie-break, units, adjustments. Absentees (roster
    /// members who never joined) follow the ranked places in roster order, with `"absent": true` and no rank.
    pub(super) fn results_view(&self) -> Value {
        let ranking = self.ranking();
        let ranked = &ranking.ranked;
        let mut entries: Vec<Value> = ranked
            .iter()
            .map(|r| {
                let mut entry = self.entry_view(r, true);
                entry["absent"] = Value::Bool(false);
                entry
            })
            .collect();
        entries.extend(
            self.participants
                .values()
                .filter(|p| ranking.of(p.id).is_none())
                .map(|p| self.absent_entry_view(p)),
        );
        json!({
            "contest_id": self.contest.id,
            "state": self.contest.state,
            "ranking": entries,
            "units": ranking.leaderboard["units"].clone(),
            "unit_scoring": self.contest.unit_scoring,
        })
    }

    /// Why a participant has their score: every scored question with points and bonus, and adjustments.
    pub(super) fn breakdown_view(&self, pid: i64) -> AppResult<Value> {
        let p = self
            .participants
            .get(&pid)
            .ok_or_else(|| AppError::not_found("participant"))?;
        let mut items = Vec::new();
        for round in &self.rounds {
            let uids: Vec<(usize, i64, Option<i64>)> = match round.kind {
                RoundKind::Live => round
                    .live
                    .iter()
                    .enumerate()
                    .filter(|(_, q)| q.state == QuestionState::Closed)
                    .map(|(i, q)| (i, q.uid, None))
                    .collect(),
                RoundKind::Exam if round.state == RoundState::Finished => round
                    .papers
                    .get(&pid)
                    .map(|paper| {
                        paper
                            .paper
                            .items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| (i, item.uid, Some(paper.started_at)))
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            for (index, uid, _) in uids {
                let question = self.questions.get(&uid);
                let answer = self.answers.get(&(round.id, uid)).and_then(|m| m.get(&pid));
                let scored = self.scored.get(&(round.id, uid)).and_then(|m| m.get(&pid));
                items.push(json!({
                    "round_id": round.id,
                    "round_title": round.title,
                    "index": index,
                    "question_uid": uid,
                    "question_id": question.map(|q| q.id.as_str()),
                    "stem": question.map(|q| q.stem.as_str()),
                    "answered": answer.is_some(),
                    "response": answer.map(|a| &a.response),
                    "received_at": answer.map(|a| a.received_at),
                    "elapsed_ms": answer.map(|a| a.elapsed_ms),
                    "correct": scored.is_some_and(|s| s.correct),
                    "points": centi_to_points(scored.map_or(0, |s| s.points_centi)),
                    "bonus": centi_to_points(scored.map_or(0, |s| s.bonus_centi)),
                }));
            }
        }
        let ranking = self.ranking();
        let me = ranking.of(pid);
        Ok(json!({
            "participant": {"id": p.id, "name": p.name, "badge": p.badge, "unit": p.unit},
            "rank": me.map(|r| r.rank),
            "score": me.map(|r| centi_to_points(r.standing.score_centi)),
            "correct": me.map(|r| r.standing.correct),
            "adjustment": centi_to_points(self.adjustments.get(&pid).copied().unwrap_or(0)),
            "items": items,
        }))
    }
}
