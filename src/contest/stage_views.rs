//! What viewers see of the stage rounds: whose turn a 必答 question is, the 风险题 picks, the 加赛, the cuts,
//! and the teams' final places; and the frames that announce them (the same bytes to everyone).

use serde_json::{Value, json};

use super::actor::Actor;
use super::model::*;
use super::stage_rounds::TiebreakPurpose;
use crate::stage::{Cut, ScoreKind, TeamId, WagerPick};
use crate::store::now_ms;

/// A place given by a finished 加赛: (its round id, the place).
type TiebreakPlace = (i64, u32);

impl Actor {
    /// 必答: whose turn question `i` is: `{index, team, unit, member_seat, member}`; null for other questions.
    pub(super) fn turn_view(&self, r: usize, i: usize) -> Value {
        let setup = self.round_stage(r).and_then(|s| s.setups.get(&i));
        let Some(setup) = setup.filter(|s| s.kind == ScoreKind::Compulsory) else {
            return Value::Null;
        };
        let Some(team) = setup.assigned else {
            return Value::Null;
        };
        let member = setup.member_seat.and_then(|seat| {
            let members = self.members_of(team);
            let pid = *members.get(seat as usize)?;
            let p = self.participants.get(&pid)?;
            Some(json!({"participant_id": pid, "name": p.name}))
        });
        json!({
            "index": i,
            "team": team,
            "unit": self.stage.unit_of(team),
            "member_seat": setup.member_seat,
            "member": member,
        })
    }

    fn wager_view(&self, r: usize) -> Value {
        let Some(w) = self.round_stage(r).and_then(|s| s.wager.as_ref()) else {
            return Value::Null;
        };
        let settings = &self.rounds[r].config.wager;
        json!({
            "round_id": self.rounds[r].id,
            "options": settings.options,
            "allow_pass": settings.allow_pass,
            "order": w.order.iter().map(|slot| json!({
                "team": slot.team,
                "unit": self.stage.unit_of(slot.team),
                "total": super::standings::centi_to_points(slot.total_centi),
                "decided_by_draw": slot.decided_by_draw,
            })).collect::<Vec<_>>(),
            "picks": w.questions.iter().map(|&(team, index)| json!({
                "team": team,
                "unit": self.stage.unit_of(team),
                "points": match w.round.pick_of(team) {
                    Some(WagerPick::Value { points }) => json!(points),
                    _ => Value::Null,
                },
                "index": index,
            })).collect::<Vec<_>>(),
            "next_to_pick": w.round.next_to_pick(),
            "draw_seed": w.draw_seed.to_string(),
        })
    }

    fn tiebreak_view(&self, r: usize) -> Value {
        let Some(tb) = self.round_stage(r).and_then(|s| s.tiebreak.as_ref()) else {
            return Value::Null;
        };
        let placings: Vec<Value> = match tb.state.result() {
            Some(result) => result
                .placings
                .iter()
                .map(|p| json!({"team": p.team, "unit": self.stage.unit_of(p.team), "place": p.place, "shared": p.shared}))
                .collect(),
            None => tb
                .state
                .placed()
                .into_iter()
                .map(|(team, place)| json!({"team": team, "unit": self.stage.unit_of(team), "place": place, "shared": false}))
                .collect(),
        };
        json!({
            "round_id": self.rounds[r].id,
            "purpose": match tb.purpose { TiebreakPurpose::Cut { .. } => "cut", TiebreakPurpose::Podium => "podium" },
            "cut_round_id": match tb.purpose { TiebreakPurpose::Cut { round_id } => Some(round_id), TiebreakPurpose::Podium => None },
            "teams": tb.group.teams,
            "first_place": tb.group.first_place,
            "cuts": tb.cuts,
            "remaining": tb.state.remaining(),
            "placings": placings,
            "finished": tb.state.result().is_some(),
            "draw_seed": tb.result_draw_seed(),
        })
    }

    fn cut_view(&self, round_id: i64, cut: &Cut) -> Value {
        json!({
            "round_id": round_id,
            "advance": cut.advance,
            "advanced": cut.advanced,
            "eliminated": cut.eliminated,
            "tied_at_cut": cut.tied_at_cut,
            "open_places": cut.open_places,
            "first_tied_place": cut.first_tied_place,
            "decided_by": cut.decided_by,
        })
    }

    /// Every cut so far, in play order.
    pub(super) fn cuts_view(&self) -> Value {
        let mut cuts: Vec<(i64, Value)> = self
            .rounds
            .iter()
            .filter_map(|round| {
                let cut = self.stage.rounds.get(&round.id)?.cut.as_ref()?;
                Some((round.position, self.cut_view(round.id, cut)))
            })
            .collect();
        cuts.sort_by_key(|(position, _)| *position);
        json!(cuts.into_iter().map(|(_, v)| v).collect::<Vec<_>>())
    }

    /// The round-kind parts of the stage view for the running (or last) stage round.
    pub(super) fn stage_round_views(&self, view: &mut Value) {
        let current = self.running_round().or_else(|| {
            self.rounds
                .iter()
                .enumerate()
                .filter(|(_, r)| r.kind.is_stage() && r.state == RoundState::Finished)
                .max_by_key(|(_, r)| r.position)
                .map(|(k, _)| k)
        });
        let Some(r) = current.filter(|&r| self.rounds[r].kind.is_stage()) else {
            return;
        };
        view["round_id"] = json!(self.rounds[r].id);
        view["round_kind"] = json!(self.rounds[r].kind);
        if self.rounds[r].kind == RoundKind::Compulsory {
            let i = self
                .open_question_index(r)
                .or_else(|| self.rounds[r].live.iter().rposition(|q| q.opened_at.is_some()));
            view["turn"] = i.map_or(Value::Null, |i| self.turn_view(r, i));
        }
        view["wager"] = self.wager_view(r);
        let tiebreak = self
            .rounds
            .iter()
            .enumerate()
            .filter(|(_, round)| round.kind == RoundKind::Tiebreak && round.state != RoundState::Pending)
            .max_by_key(|(_, round)| round.position)
            .map(|(k, _)| self.tiebreak_view(k));
        view["tiebreak"] = tiebreak.unwrap_or(Value::Null);
    }

    /// A frame with the round's stage view part named by `kind` (`wager_order`, `wager_pick`,
    /// `tiebreak_update`, `stage_cut`), the same bytes to everyone.
    pub(super) fn publish_stage_frame(&self, r: usize, kind: &str) {
        let round_id = self.rounds[r].id;
        let mut frame = json!({"type": kind, "round_id": round_id, "server_now": now_ms()});
        match kind {
            "wager_order" | "wager_pick" => frame["wager"] = self.wager_view(r),
            "tiebreak_update" => frame["tiebreak"] = self.tiebreak_view(r),
            "stage_cut" => {
                if let Some(cut) = self.round_stage(r).and_then(|s| s.cut.as_ref()) {
                    frame["cut"] = self.cut_view(round_id, cut);
                }
                frame["teams"] = self.stage_teams_view();
                frame["standings"] = self.team_standings_view();
            }
            _ => {}
        }
        self.publish_both(frame);
    }

    /// At a round's start: its picking order or tied teams.
    pub(super) fn publish_round_stage(&self, r: usize) {
        match self.rounds[r].kind {
            RoundKind::Wager => self.publish_stage_frame(r, "wager_order"),
            RoundKind::Tiebreak => self.publish_stage_frame(r, "tiebreak_update"),
            _ => {}
        }
    }

    /// `[{id, unit, active}]`.
    pub(super) fn stage_teams_view(&self) -> Value {
        let active = self.active_teams_now();
        json!(
            self.stage
                .teams
                .iter()
                .map(|t| {
                    let members: Vec<Value> = self
                        .members_of(t.id)
                        .into_iter()
                        .filter_map(|pid| self.participants.get(&pid))
                        .map(|p| json!({"participant_id": p.id, "name": p.name}))
                        .collect();
                    json!({"id": t.id, "unit": t.unit, "active": active.contains(&t.id), "members": members})
                })
                .collect::<Vec<_>>()
        )
    }

    /// Final places of the teams: the teams still in first (by total, ties on a podium place in the order a
    /// finished 加赛 placed them), then the teams eliminated at the latest cut, and so on back. Teams with equal
    /// totals that no 加赛 separated share a place. Returns (team, total, place, active), best first.
    pub(super) fn team_places(&self) -> Vec<(TeamId, i64, u32, bool)> {
        let Some(ledger) = &self.stage.ledger else {
            return Vec::new();
        };
        let active = self.active_teams_now();
        // Groups: the teams still in, then each cut's eliminated teams, latest cut first.
        let mut groups: Vec<Vec<TeamId>> = vec![active.clone()];
        let mut cuts: Vec<(i64, &Cut)> = self
            .rounds
            .iter()
            .filter_map(|round| Some((round.position, self.stage.rounds.get(&round.id)?.cut.as_ref()?)))
            .collect();
        cuts.sort_by_key(|(position, _)| std::cmp::Reverse(*position));
        for (_, cut) in cuts {
            let out: Vec<TeamId> = cut
                .eliminated
                .iter()
                .copied()
                .filter(|t| !groups.iter().any(|g| g.contains(t)))
                .collect();
            groups.push(out);
        }
        let placed: Vec<TeamId> = groups.iter().flatten().copied().collect();
        let rest: Vec<TeamId> = ledger
            .teams()
            .iter()
            .copied()
            .filter(|t| !placed.contains(t))
            .collect();
        groups.push(rest);
        let mut out = Vec::new();
        for group in groups {
            let mut rows: Vec<(TeamId, i64, Option<TiebreakPlace>)> = group
                .iter()
                .map(|&t| {
                    (
                        t,
                        ledger.total(t).unwrap_or(ledger.base_centi()),
                        self.tiebreak_place(t),
                    )
                })
                .collect();
            rows.sort_by_key(|&(team, total, tb)| {
                (
                    std::cmp::Reverse(total),
                    tb.map_or(u32::MAX, |(_, place)| place),
                    team,
                )
            });
            let start = out.len();
            for (i, &(team, total, tb)) in rows.iter().enumerate() {
                // Separated from the team above only by a higher total, or by two places of the same 加赛.
                let separated = |above: Option<TiebreakPlace>| match (above, tb) {
                    (Some((ra, pa)), Some((rb, pb))) => ra == rb && pa != pb,
                    _ => false,
                };
                let place = match out.last() {
                    Some(&(_, above_total, above_place, _))
                        if i > 0 && above_total == total && !separated(rows[i - 1].2) =>
                    {
                        above_place
                    }
                    _ => (start + i + 1) as u32,
                };
                out.push((team, total, place, active.contains(&team)));
            }
        }
        out
    }
}
