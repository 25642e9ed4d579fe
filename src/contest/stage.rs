//! Stage rounds at the contest level: the teams, the score ledger (with undo and adjustments) and the team
//! standings every viewer sees. The round formats (`buzzer.rs`, later compulsory, wager and tie-break) record
//! their score changes here; the rules themselves are in `crate::stage`.
//!
//! **Teams.** The teams of a contest are its units. They are fixed when the first stage round starts: every unit
//! of the roster at that moment, numbered 1, 2, ... in the order of the unit names (`stage_teams`). A unit that
//! appears later (a roster import, an open-mode join) is no team; its members cannot buzz. A participant plays
//! for the team of their unit. The captain of a team (for `team_answer: captain_only`) is its member with the
//! lowest participant id, i.e. the first of the unit in the imported roster.
//!
//! **Ledger.** One ledger per contest, on top of the base score of the contest's stage settings (every stage
//! round carries the same, see [`super::model::check_stage_settings`]). Every entry is written to the store in
//! the same transaction as the event that made it, before any frame announces it; a restart rebuilds the ledger
//! with [`Ledger::from_entries`], which checks it entry by entry.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::actor::Actor;
use super::buzzer_log::BuzzerRun;
use super::standings::centi_to_points;
use crate::error::{AppError, AppResult};
use crate::realtime::encode;
use crate::stage::{EntryId, Ledger, LedgerEntry, Reason, RuleError, ScoreChange, StageSettings, TeamId};
use crate::store::{StageEntryRow, StageWrite, now_ms};

pub(super) struct Team {
    pub id: TeamId,
    pub unit: String,
}

/// What the ledger itself does not keep about an entry: where it came from, who made it, when.
pub(super) struct EntryMeta {
    pub round_id: Option<i64>,
    pub position: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Default)]
pub(super) struct Stage {
    /// Empty until the first stage round starts.
    pub teams: Vec<Team>,
    /// `Some` once the teams are fixed.
    pub ledger: Option<Ledger>,
    /// One per ledger entry, in the same order.
    pub meta: Vec<EntryMeta>,
    /// Every buzzer question opened so far, by (round id, index in the round).
    pub runs: BTreeMap<(i64, usize), BuzzerRun>,
    /// The (server time, receive sequence) of the last buzz received: the next one is stamped after it.
    pub last_stamp: (i64, u64),
    /// Each stage round's state document, by round id (`stage_rounds.rs`).
    pub rounds: BTreeMap<i64, super::stage_rounds::RoundStage>,
}

impl Stage {
    pub fn team_ids(&self) -> Vec<TeamId> {
        self.teams.iter().map(|t| t.id).collect()
    }

    pub fn unit_of(&self, team: TeamId) -> Option<&str> {
        self.teams.iter().find(|t| t.id == team).map(|t| t.unit.as_str())
    }
}

/// A rule's refusal as an API error: its own stable code, the rule error itself as `details`.
pub(super) fn rule_error(e: RuleError) -> AppError {
    use axum::http::StatusCode;
    let (status, code) = match &e {
        RuleError::QuestionClosed => (StatusCode::CONFLICT, "question_closed"),
        RuleError::AlreadyArmed => (StatusCode::CONFLICT, "already_armed"),
        RuleError::BuzzOutOfOrder { .. } => (StatusCode::CONFLICT, "buzz_out_of_order"),
        RuleError::AlreadyBuzzed { .. } => (StatusCode::CONFLICT, "already_buzzed"),
        RuleError::LockedOut { .. } => (StatusCode::CONFLICT, "locked_out"),
        RuleError::AlreadyAnswered { .. } => (StatusCode::CONFLICT, "team_already_answered"),
        RuleError::NobodyHoldsFloor => (StatusCode::CONFLICT, "nobody_holds_floor"),
        RuleError::NotFloorHolder { .. } => (StatusCode::CONFLICT, "not_floor_holder"),
        RuleError::NoOpenBuzzWindow | RuleError::StaleBuzzWindow { .. } => {
            (StatusCode::CONFLICT, "no_open_buzz_window")
        }
        RuleError::UnknownTeam { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_team"),
        RuleError::UnknownEntry { .. } => (StatusCode::NOT_FOUND, "unknown_entry"),
        RuleError::AlreadyUndone { .. } => (StatusCode::CONFLICT, "already_undone"),
        RuleError::CannotUndoUndo { .. } => (StatusCode::CONFLICT, "cannot_undo_undo"),
        RuleError::EmptyNote => (StatusCode::UNPROCESSABLE_ENTITY, "note_required"),
        RuleError::NoTeams => (StatusCode::CONFLICT, "no_teams"),
        _ => (StatusCode::CONFLICT, "rule_refused"),
    };
    AppError::new(status, code, e.to_string()).with_details(&e)
}

/// A reason as stored: its name, and for an undo the entry it reverses.
fn reason_text(reason: Reason) -> (String, Option<i64>) {
    match reason {
        Reason::UndoOf(entry) => ("undo_of".into(), Some(entry as i64)),
        other => (
            serde_json::to_value(other)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            None,
        ),
    }
}

fn parse_reason(text: &str, undoes: Option<i64>) -> Option<Reason> {
    match (text, undoes) {
        ("undo_of", Some(entry)) => Some(Reason::UndoOf(u64::try_from(entry).ok()?)),
        _ => serde_json::from_value(Value::String(text.to_owned())).ok(),
    }
}

fn entry_row(entry: &LedgerEntry, meta: &EntryMeta) -> StageEntryRow {
    let (reason, undoes) = reason_text(entry.reason);
    StageEntryRow {
        id: entry.id as i64,
        team_id: entry.team,
        delta_centi: entry.delta_centi,
        reason,
        undoes,
        note: entry.note.clone(),
        round_id: meta.round_id,
        position: meta.position,
        created_by: meta.created_by.clone(),
        created_at: meta.created_at,
    }
}

impl Actor {
    /// The contest's stage settings: those of its first stage round (all stage rounds carry the same).
    pub(super) fn stage_settings(&self) -> StageSettings {
        self.rounds
            .iter()
            .find(|r| r.kind.is_stage())
            .map(|r| r.config.stage.clone())
            .unwrap_or_default()
    }

    /// Teams and ledger from the store (the buzzer questions are replayed by `load_buzzer_runs`).
    pub(super) async fn load_stage(&mut self) -> anyhow::Result<()> {
        let teams = self.store.stage_teams(self.contest.id).await?;
        self.stage.teams = teams
            .into_iter()
            .map(|t| Team {
                id: t.id,
                unit: t.unit,
            })
            .collect();
        self.stage.ledger = None;
        self.stage.meta.clear();
        if !self.stage.teams.is_empty() {
            let rows = self.store.stage_entries(self.contest.id).await?;
            let mut entries = Vec::with_capacity(rows.len());
            for row in &rows {
                let reason = parse_reason(&row.reason, row.undoes).ok_or_else(|| {
                    anyhow::anyhow!("ledger entry {}: unknown reason {}", row.id, row.reason)
                })?;
                entries.push(LedgerEntry {
                    id: u64::try_from(row.id)?,
                    team: row.team_id,
                    delta_centi: row.delta_centi,
                    reason,
                    note: row.note.clone(),
                });
                self.stage.meta.push(EntryMeta {
                    round_id: row.round_id,
                    position: row.position,
                    created_by: row.created_by.clone(),
                    created_at: row.created_at,
                });
            }
            let base = self.stage_settings().base_score;
            let ledger = Ledger::from_entries(base, &self.stage.team_ids(), entries)
                .map_err(|e| anyhow::anyhow!("the stored stage ledger is inconsistent: {e}"))?;
            self.stage.ledger = Some(ledger);
            self.load_round_stages().await?;
        }
        self.load_buzzer_runs().await
    }

    /// Fix the teams if no stage round has fixed them yet: every unit of the roster, in the order of the names.
    pub(super) async fn ensure_teams(&mut self) -> AppResult<()> {
        if self.stage.ledger.is_some() {
            return Ok(());
        }
        let mut units: Vec<String> = self.participants.values().map(|p| p.unit.clone()).collect();
        units.sort();
        units.dedup();
        if units.is_empty() {
            return Err(AppError::conflict(
                "no_teams",
                "a stage round is played between the contest's units: import the roster first",
            ));
        }
        let stored = self.store.fix_stage_teams(self.contest.id, &units).await?;
        self.stage.teams = stored
            .into_iter()
            .map(|t| Team {
                id: t.id,
                unit: t.unit,
            })
            .collect();
        let ledger =
            Ledger::new(self.stage_settings().base_score, &self.stage.team_ids()).map_err(rule_error)?;
        self.stage.ledger = Some(ledger);
        self.stage.meta.clear();
        self.invalidate_ranking();
        Ok(())
    }

    /// The team a participant plays for: the team of their unit, if it is one.
    pub(super) fn team_of(&self, participant_id: i64) -> Option<TeamId> {
        let unit = &self.participants.get(&participant_id)?.unit;
        self.stage.teams.iter().find(|t| &t.unit == unit).map(|t| t.id)
    }

    /// The team's captain: its member with the lowest participant id (the first of the unit in the roster).
    pub(super) fn captain_of(&self, team: TeamId) -> Option<i64> {
        let unit = self.stage.unit_of(team)?;
        self.participants.values().find(|p| p.unit == unit).map(|p| p.id)
    }

    fn ledger(&self) -> AppResult<&Ledger> {
        self.stage.ledger.as_ref().ok_or_else(|| {
            AppError::conflict(
                "no_stage",
                "no stage round has started yet: there are no teams and no team scores",
            )
        })
    }

    /// The ledger with `changes` recorded, and the rows to store for them; `None` when there are no changes.
    pub(super) fn ledger_with(
        &self,
        changes: &[ScoreChange],
        question: Option<(i64, usize)>,
        by: &str,
        at: i64,
    ) -> AppResult<Option<(Ledger, Vec<StageEntryRow>)>> {
        if changes.is_empty() {
            return Ok(None);
        }
        let mut ledger = self.ledger()?.clone();
        let mut rows = Vec::with_capacity(changes.len());
        for change in changes {
            let id = ledger.record(*change).map_err(rule_error)?;
            let entry = ledger.entry(id).expect("just recorded");
            rows.push(entry_row(entry, &meta(question, by, at)));
        }
        Ok(Some((ledger, rows)))
    }

    /// Make a ledger whose new entries are committed the current one.
    pub(super) fn commit_ledger(&mut self, ledger: Ledger, rows: &[StageEntryRow]) {
        for row in rows {
            self.stage.meta.push(EntryMeta {
                round_id: row.round_id,
                position: row.position,
                created_by: row.created_by.clone(),
                created_at: row.created_at,
            });
        }
        self.stage.ledger = Some(ledger);
        self.invalidate_ranking();
    }

    /// `undo`: take back a ledger entry by appending its reverse (audited: who, when, why).
    pub(super) async fn undo_entry(&mut self, entry: EntryId, note: &str, by: &str) -> AppResult<()> {
        let mut ledger = self.ledger()?.clone();
        let id = ledger.undo(entry, note).map_err(rule_error)?;
        self.store_manual_entry(ledger, id, by).await
    }

    /// `adjust_team`: a manual correction of a team's score; the note is required.
    pub(super) async fn adjust_team(
        &mut self,
        team: TeamId,
        delta_centi: i64,
        note: &str,
        by: &str,
    ) -> AppResult<()> {
        let mut ledger = self.ledger()?.clone();
        let id = ledger.adjust(team, delta_centi, note).map_err(rule_error)?;
        self.store_manual_entry(ledger, id, by).await
    }

    async fn store_manual_entry(&mut self, ledger: Ledger, id: EntryId, by: &str) -> AppResult<()> {
        let entry = ledger.entry(id).expect("just made");
        let rows = vec![entry_row(entry, &meta(None, by, now_ms()))];
        self.store
            .record_stage(
                self.contest.id,
                &StageWrite {
                    entries: rows.clone(),
                    ..StageWrite::default()
                },
            )
            .await?;
        self.commit_ledger(ledger, &rows);
        self.publish_team_scores(&rows);
        Ok(())
    }

    /// Team standings: `[{team, unit, total, rank}]`, best first; `null` before the teams are fixed.
    pub(super) fn team_standings_view(&self) -> Value {
        let Some(ledger) = &self.stage.ledger else {
            return Value::Null;
        };
        let ranks: BTreeMap<TeamId, u32> = ledger.standings().iter().map(|s| (s.team, s.rank)).collect();
        json!(
            self.team_places()
                .into_iter()
                .map(|(team, total, place, active)| {
                    json!({
                        "team": team,
                        "unit": self.stage.unit_of(team),
                        "total": centi_to_points(total),
                        "rank": ranks.get(&team),
                        "place": place,
                        "active": active,
                    })
                })
                .collect::<Vec<_>>()
        )
    }

    fn ledger_entry_view(&self, entry: &LedgerEntry, meta: Option<&EntryMeta>, organizer: bool) -> Value {
        let ledger = self.stage.ledger.as_ref();
        let (reason, undoes) = reason_text(entry.reason);
        let mut view = json!({
            "id": entry.id,
            "team": entry.team,
            "unit": self.stage.unit_of(entry.team),
            "delta": centi_to_points(entry.delta_centi),
            "reason": reason,
            "undoes": undoes,
            "undone_by": ledger.and_then(|l| l.undone_by(entry.id)),
            "note": entry.note,
            "round_id": meta.and_then(|m| m.round_id),
            "index": meta.and_then(|m| m.position),
            "created_at": meta.map(|m| m.created_at),
        });
        if organizer {
            view["created_by"] = json!(meta.map(|m| m.created_by.as_str()));
        }
        view
    }

    /// The stage part of a snapshot: settings, teams with totals, the whole ledger; `null` before the teams are
    /// fixed.
    pub(super) fn stage_view(&self, organizer: bool) -> Value {
        let Some(ledger) = &self.stage.ledger else {
            return Value::Null;
        };
        let entries: Vec<Value> = ledger
            .entries()
            .iter()
            .enumerate()
            .map(|(i, e)| self.ledger_entry_view(e, self.stage.meta.get(i), organizer))
            .collect();
        let mut view = json!({
            "settings": self.stage_settings(),
            "teams": self.stage_teams_view(),
            "standings": self.team_standings_view(),
            "ledger": entries,
            "cuts": self.cuts_view(),
        });
        self.stage_round_views(&mut view);
        view
    }

    /// After ledger entries are committed: `team_scores` with the new standings and the new entries.
    pub(super) fn publish_team_scores(&self, rows: &[StageEntryRow]) {
        let Some(ledger) = &self.stage.ledger else {
            return;
        };
        let frame = |organizer: bool| {
            let entries: Vec<Value> = rows
                .iter()
                .filter_map(|row| {
                    let id = u64::try_from(row.id).ok()?;
                    let entry = ledger.entry(id)?;
                    Some(self.ledger_entry_view(entry, self.stage.meta.get(id as usize - 1), organizer))
                })
                .collect();
            encode(&json!({
                "type": "team_scores",
                "server_now": now_ms(),
                "standings": self.team_standings_view(),
                "entries": entries,
            }))
        };
        self.hub.publish(frame(false));
        self.hub.publish_organizer(frame(true));
    }
}

fn meta(question: Option<(i64, usize)>, by: &str, at: i64) -> EntryMeta {
    EntryMeta {
        round_id: question.map(|q| q.0),
        position: question.map(|q| q.1 as i64),
        created_by: by.to_owned(),
        created_at: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_through_their_stored_text() {
        for reason in [
            Reason::BuzzerRight,
            Reason::BuzzerWrong,
            Reason::BuzzerLate,
            Reason::Foul,
            Reason::Adjustment,
            Reason::UndoOf(7),
        ] {
            let (text, undoes) = reason_text(reason);
            assert_eq!(parse_reason(&text, undoes), Some(reason), "{text}");
        }
        assert_eq!(reason_text(Reason::Foul).0, "foul");
        assert_eq!(parse_reason("undo_of", None), None);
        assert_eq!(parse_reason("no_such_reason", None), None);
    }
}
