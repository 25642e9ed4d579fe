//! Coalesced publishing: what changed between two ticks goes out once, at the tick.
//!
//! An answer, a join, a socket opening or a tab switch only marks what it changed (O(1)); every
//! [`TICK`] the actor publishes one shared frame per changed counter and one delta of changed participants
//! to the organizers. So the work per event stays constant however many people are connected: nothing is sent
//! to everyone per answer, and organizers never receive the whole participant list except in a snapshot.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use tokio::time::Duration;

use super::actor::Actor;
use super::model::*;
use crate::realtime::encode;

/// How often coalesced counters and deltas go out.
pub const TICK: Duration = Duration::from_millis(250);

/// What changed since the last tick.
#[derive(Default)]
pub(super) struct Pending {
    /// Joined counts (total and per unit).
    pub lobby: bool,
    /// The open live question's answer count.
    pub answer_count: bool,
    /// Participants who answered the open live question since the last progress frame (organizer only).
    pub answered: Vec<i64>,
    /// Papers started or handed in.
    pub exam_progress: bool,
    /// Participants whose organizer-visible status changed (joined, connected, tab switches, paper).
    pub participants: BTreeSet<i64>,
    /// Someone new joined an open contest: the ranking misses them until it is rebuilt.
    pub rerank: bool,
}

impl Pending {
    fn is_empty(&self) -> bool {
        !self.lobby
            && !self.answer_count
            && !self.exam_progress
            && self.participants.is_empty()
            && !self.rerank
    }
}

/// Joined and roster counts, total and per unit, kept up to date on every join instead of being counted.
#[derive(Default)]
pub(super) struct Counts {
    pub joined: usize,
    /// unit -> (joined, on the roster)
    pub units: BTreeMap<String, (u32, u32)>,
}

impl Actor {
    /// Recount from the participants (after loading or reloading the setup).
    pub(super) fn recount(&mut self) {
        let mut counts = Counts::default();
        for p in self.participants.values() {
            let unit = counts.units.entry(p.unit.clone()).or_default();
            unit.1 += 1;
            if p.joined_at.is_some() {
                unit.0 += 1;
                counts.joined += 1;
            }
        }
        self.counts = counts;
    }

    pub(super) fn count_new_participant(&mut self, unit: &str) {
        self.counts.units.entry(unit.to_string()).or_default().1 += 1;
    }

    pub(super) fn count_first_join(&mut self, unit: &str) {
        self.counts.joined += 1;
        self.counts.units.entry(unit.to_string()).or_default().0 += 1;
    }

    pub(super) fn units_joined(&self) -> Vec<Value> {
        self.counts
            .units
            .iter()
            .map(|(unit, (joined, total))| json!({"unit": unit, "joined": joined, "total": total}))
            .collect()
    }

    pub(super) fn lobby_event(&self) -> Value {
        json!({
            "type": "lobby",
            "joined_count": self.joined_count(),
            "roster_count": self.participants.len(),
            "units": self.units_joined(),
        })
    }

    /// Publish everything marked since the last tick. Called by the actor's clock and right before a question
    /// closes, so the final counts go out before the result.
    pub(super) fn flush_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        if pending.rerank {
            self.invalidate_ranking();
        }
        if pending.lobby {
            self.publish_both(self.lobby_event());
        }
        if pending.answer_count {
            self.publish_answer_count(pending.answered);
        }
        if pending.exam_progress
            && let Some(r) = self.running_round()
            && self.rounds[r].kind == RoundKind::Exam
        {
            self.publish_exam_progress(r);
        }
        if !pending.participants.is_empty() {
            let changed: Vec<Value> = pending
                .participants
                .iter()
                .filter_map(|pid| self.participant_status(*pid))
                .collect();
            self.hub.publish_organizer(encode(&json!({
                "type": "participants_delta",
                "participants": changed,
            })));
        }
    }

    /// The open question's answer count for everyone, and for organizers who answered since the last frame.
    fn publish_answer_count(&self, answered_ids: Vec<i64>) {
        let Some(r) = self.running_round() else { return };
        if self.rounds[r].kind != RoundKind::Live {
            return;
        }
        let Some(i) = self.open_question_index(r) else {
            return;
        };
        let round = &self.rounds[r];
        let answered = self
            .answers
            .get(&(round.id, round.live[i].uid))
            .map_or(0, |m| m.len());
        self.hub.publish(encode(&json!({
            "type": "answer_count",
            "round_id": round.id,
            "index": i,
            "answered": answered,
            "joined": self.joined_count(),
        })));
        self.hub.publish_organizer(encode(&json!({
            "type": "progress",
            "round_id": round.id,
            "index": i,
            "answered": answered,
            "joined": self.joined_count(),
            "answered_ids": answered_ids,
        })));
    }

    /// A live answer was accepted: count it at the next tick.
    pub(super) fn mark_answered(&mut self, participant_id: i64) {
        self.pending.answer_count = true;
        self.pending.answered.push(participant_id);
    }

    /// A new live question opened: the organizer's delta starts again from nobody.
    pub(super) fn reset_answered(&mut self) {
        self.pending.answered.clear();
        self.pending.answer_count = true;
    }

    pub(super) fn mark_participant(&mut self, participant_id: i64) {
        self.pending.participants.insert(participant_id);
    }

    pub(super) fn mark_lobby(&mut self) {
        self.pending.lobby = true;
    }

    pub(super) fn mark_exam_progress(&mut self, participant_id: i64) {
        self.pending.exam_progress = true;
        self.pending.participants.insert(participant_id);
    }

    pub(super) fn mark_rerank(&mut self) {
        self.pending.rerank = true;
    }
}
