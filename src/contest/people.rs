//! Participants as the organizer and the lobby see them: joins and session takeover, presence, tab
//! switches, score adjustments.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use super::ParticipantRef;
use super::actor::{Actor, Participant};
use super::model::*;
use crate::error::{AppError, AppResult};
use crate::realtime::Closing;
use crate::store::now_ms;

/// A burst of tab switches within this time counts once (a phone flapping between apps, or a client that
/// repeats the report).
const TAB_SWITCH_DEBOUNCE_MS: i64 = 2_000;

impl Actor {
    /// A participant joined (or rejoined on another device). O(1): one row for an open-mode newcomer, counters
    /// and marks for the next tick; the lobby and the organizer's list are updated at the tick.
    pub(super) async fn on_joined(&mut self, participant_id: i64, session_id: String) {
        if !self.participants.contains_key(&participant_id) {
            match self.store.participant(participant_id).await {
                Ok(Some(p)) if p.contest_id == self.contest.id => {
                    let p = Participant::from(p);
                    self.count_new_participant(&p.unit);
                    // The join handler stored the join time before telling the actor.
                    if p.joined_at.is_some() {
                        self.count_first_join(&p.unit);
                    }
                    self.participants.insert(p.id, p);
                    self.mark_rerank();
                }
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(error = %e, "loading a new participant failed");
                    return;
                }
            }
        }
        let mut first_join_unit = None;
        if let Some(p) = self.participants.get_mut(&participant_id) {
            if p.joined_at.is_none() {
                p.joined_at = Some(now_ms());
                first_join_unit = Some(p.unit.clone());
            }
            p.session_id = Some(session_id.clone());
        }
        if let Some(unit) = first_join_unit {
            self.count_first_join(&unit);
            // Absentees are left out of the ranking: a first join puts the participant in at the next tick.
            self.mark_rerank();
        }
        crate::metrics::METRICS.joins.inc();
        self.hub
            .replace_sessions(participant_id, &session_id, Closing::session_replaced());
        self.mark_lobby();
        self.mark_participant(participant_id);
    }

    /// The organizer moved the seat to another phone: the old phone's session ends now, its sockets are told
    /// why (`session_replaced` with `reason: "seat_moved"`), and the new phone's join starts the next session.
    pub(super) fn on_seat_moved(&mut self, participant_id: i64, session_id: String) {
        let Some(p) = self.participants.get_mut(&participant_id) else {
            return;
        };
        p.session_id = Some(session_id.clone());
        self.hub
            .replace_sessions(participant_id, &session_id, Closing::seat_moved());
        self.mark_participant(participant_id);
    }

    /// Organizer only: one participant's status (joined, connected, tab switches, exam paper).
    pub(super) fn participant_status(&self, participant_id: i64) -> Option<Value> {
        let p = self.participants.get(&participant_id)?;
        let exam = self
            .running_round()
            .filter(|r| self.rounds[*r].kind == RoundKind::Exam)
            .map(|r| &self.rounds[r].papers);
        Some(self.status_of(p, self.hub.is_connected(p.id), exam))
    }

    fn status_of(
        &self,
        p: &Participant,
        connected: bool,
        exam: Option<&BTreeMap<i64, super::actor::PaperState>>,
    ) -> Value {
        let mut status = json!({
            "id": p.id,
            "name": p.name,
            "badge": p.badge,
            "unit": p.unit,
            "joined": p.joined_at.is_some(),
            "connected": connected,
            "tab_switches": p.tab_switches,
        });
        if let Some(papers) = exam {
            let paper = papers.get(&p.id);
            status["exam_started_at"] = json!(paper.map(|x| x.started_at));
            status["exam_submitted_at"] = json!(paper.and_then(|x| x.submitted_at));
            status["exam_deadline"] = json!(paper.map(|x| x.deadline_at));
        }
        status
    }

    /// Every participant's status: only for a snapshot, never per event.
    pub fn participants_status(&self) -> Vec<Value> {
        let connected: HashSet<i64> = self.hub.connected_participants().into_iter().collect();
        // During an exam round: who opened and who handed in their paper.
        let exam = self
            .running_round()
            .filter(|r| self.rounds[*r].kind == RoundKind::Exam)
            .map(|r| &self.rounds[r].papers);
        self.participants
            .values()
            .map(|p| self.status_of(p, connected.contains(&p.id), exam))
            .collect()
    }

    pub(super) async fn tab_switch(&mut self, who: &ParticipantRef) -> AppResult<u32> {
        self.check_session(who)?;
        let now = now_ms();
        let Some(p) = self.participants.get(&who.participant_id) else {
            return Ok(0);
        };
        if now - p.last_tab_switch_at < TAB_SWITCH_DEBOUNCE_MS {
            return Ok(p.tab_switches);
        }
        self.store.add_tab_switch(who.participant_id).await?;
        let count = match self.participants.get_mut(&who.participant_id) {
            Some(p) => {
                p.tab_switches += 1;
                p.last_tab_switch_at = now;
                p.tab_switches
            }
            None => 0,
        };
        self.mark_participant(who.participant_id);
        Ok(count)
    }

    pub(super) async fn adjust(
        &mut self,
        participant_id: i64,
        delta_centi: i64,
        reason: String,
        by: String,
    ) -> AppResult<Value> {
        if !self.participants.contains_key(&participant_id) {
            return Err(AppError::not_found("participant"));
        }
        if reason.trim().is_empty() {
            return Err(AppError::unprocessable(
                "reason_required",
                "a score adjustment needs a reason",
            ));
        }
        let row = self
            .store
            .add_adjustment(self.contest.id, participant_id, delta_centi, reason.trim(), &by)
            .await?;
        *self.adjustments.entry(participant_id).or_default() += delta_centi;
        self.invalidate_ranking();
        self.publish_leaderboard();
        self.send_personal_ranks();
        Ok(serde_json::to_value(row).unwrap_or(Value::Null))
    }
}
