//! Participants as the organizer and the lobby see them: joins and session takeover, presence, tab
//! switches, score adjustments.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use super::ParticipantRef;
use super::actor::{Actor, Participant};
use super::model::*;
use crate::error::{AppError, AppResult};
use crate::realtime::encode;
use crate::store::now_ms;

impl Actor {
    pub(super) async fn on_joined(&mut self, participant_id: i64, session_id: String) {
        if !self.participants.contains_key(&participant_id) {
            // An open-mode newcomer: fetch just this row (a full reload would be quadratic in a big open contest).
            match self.store.participant(participant_id).await {
                Ok(Some(p)) if p.contest_id == self.contest.id => {
                    self.participants.insert(p.id, Participant::from(p));
                }
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(error = %e, "loading a new participant failed");
                    return;
                }
            }
        }
        if let Some(p) = self.participants.get_mut(&participant_id) {
            p.joined_at.get_or_insert_with(now_ms);
            p.session_id = Some(session_id.clone());
        }
        let notice = encode(&json!({
            "type": "session_replaced",
            "message": "this participant logged in on another device",
        }));
        self.hub.replace_sessions(participant_id, &session_id, notice);
        self.publish_lobby();
    }

    pub fn publish_lobby(&self) {
        let event = encode(&json!({
            "type": "lobby",
            "joined_count": self.joined_count(),
            "roster_count": self.participants.len(),
            "units": self.units_joined(),
        }));
        self.hub.publish(event.clone());
        self.hub.publish_organizer(event);
        self.publish_presence();
    }

    pub(super) fn units_joined(&self) -> Vec<Value> {
        let mut units: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
        for p in self.participants.values() {
            let entry = units.entry(p.unit.as_str()).or_default();
            entry.1 += 1;
            if p.joined_at.is_some() {
                entry.0 += 1;
            }
        }
        units
            .into_iter()
            .map(|(unit, (joined, total))| json!({"unit": unit, "joined": joined, "total": total}))
            .collect()
    }

    /// Organizer only: who is connected, who joined, tab switches.
    pub fn publish_presence(&self) {
        self.hub.publish_organizer(encode(&json!({
            "type": "participants",
            "participants": self.participants_status(),
        })));
    }

    pub fn participants_status(&self) -> Vec<Value> {
        let connected: HashSet<i64> = self.hub.connected_participants().into_iter().collect();
        // During an exam round: who opened and who handed in their paper.
        let exam = self
            .running_round()
            .filter(|r| self.rounds[*r].kind == RoundKind::Exam)
            .map(|r| &self.rounds[r].papers);
        self.participants
            .values()
            .map(|p| {
                let mut status = json!({
                    "id": p.id,
                    "name": p.name,
                    "badge": p.badge,
                    "unit": p.unit,
                    "joined": p.joined_at.is_some(),
                    "connected": connected.contains(&p.id),
                    "tab_switches": p.tab_switches,
                });
                if let Some(papers) = exam {
                    let paper = papers.get(&p.id);
                    status["exam_started_at"] = json!(paper.map(|x| x.started_at));
                    status["exam_submitted_at"] = json!(paper.and_then(|x| x.submitted_at));
                }
                status
            })
            .collect()
    }

    pub(super) async fn tab_switch(&mut self, who: &ParticipantRef) -> AppResult<u32> {
        self.check_session(who)?;
        self.store.add_tab_switch(who.participant_id).await?;
        let count = match self.participants.get_mut(&who.participant_id) {
            Some(p) => {
                p.tab_switches += 1;
                p.tab_switches
            }
            None => 0,
        };
        self.publish_presence();
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
        self.publish_leaderboard();
        Ok(serde_json::to_value(row).unwrap_or(Value::Null))
    }
}
