//! Coalesced publishing: what changed between two ticks goes out once, at the tick.
//!
//! An answer, a join, a socket opening or a tab switch only marks what it changed (O(1)); every
//! [`TICK`] the actor publishes one shared frame per changed counter and one delta of changed participants
//! to the organizers. So the work per event stays constant however many people are connected: nothing is sent
//! to everyone per answer, and organizers never receive the whole participant list except in a snapshot.
//!
//! Screens and organizers get the counters at every tick. Participants get them too, but at a cadence that slows
//! down as their number grows ([`phone_interval`]): one tick up to 250 connected, one second at 1,000, two
//! seconds from 1,751 on. A phone shows "n of m have answered"; a few updates per question are enough, and the counters
//! then cost the server about the same number of frames per second whatever the size of the contest.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::time::{Duration, Instant};

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

/// Participants connected per tick of counter cadence: up to this many, phones get every tick. Each counter frame
/// is one socket write per phone (about 10-15 µs of server CPU on loopback); at 1,000 connected, every tick
/// would cost more than the answers themselves.
const PHONES_PER_TICK: usize = 250;
/// The slowest cadence for phones, in ticks.
const MAX_PHONE_TICKS: u32 = 8;

/// How often participants get the live counters, with `connected` sockets' owners.
pub fn phone_interval(connected: usize) -> Duration {
    let ticks = connected
        .div_ceil(PHONES_PER_TICK)
        .clamp(1, MAX_PHONE_TICKS as usize) as u32;
    TICK * ticks
}

/// Counters that changed since the participants were last sent them.
#[derive(Default)]
pub(super) struct PhoneCounters {
    lobby: bool,
    answer_count: bool,
    /// Not before this instant (none: at the next tick).
    next_at: Option<Instant>,
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
        let now = Instant::now();
        let phones_due = self.phone_counters.next_at.is_none_or(|at| now >= at)
            && (self.phone_counters.lobby
                || self.phone_counters.answer_count
                || self.pending.lobby
                || self.pending.answer_count);
        if self.pending.is_empty() && !phones_due {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        if pending.rerank {
            self.invalidate_ranking();
        }
        if pending.lobby {
            let bytes = encode(&self.lobby_event());
            self.hub.publish_screen(bytes.clone());
            self.hub.publish_organizer(bytes);
            self.phone_counters.lobby = true;
        }
        if pending.answer_count {
            self.publish_answer_count(pending.answered);
            self.phone_counters.answer_count = true;
        }
        if phones_due {
            self.flush_phone_counters(now);
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

    /// The participants' share of the counters: the latest values, once per phone interval.
    fn flush_phone_counters(&mut self, now: Instant) {
        if std::mem::take(&mut self.phone_counters.lobby) {
            self.hub.publish_participants(encode(&self.lobby_event()));
        }
        if std::mem::take(&mut self.phone_counters.answer_count)
            && let Some(bytes) = self.answer_count_frame()
        {
            self.hub.publish_participants(bytes);
        }
        self.phone_counters.next_at = Some(now + phone_interval(self.hub.connected_owners()));
    }

    /// The open live question: (round id, index, answers so far).
    fn open_live_count(&self) -> Option<(i64, usize, usize)> {
        let r = self.running_round()?;
        let round = &self.rounds[r];
        if round.kind != RoundKind::Live {
            return None;
        }
        let i = self.open_question_index(r)?;
        let answered = self
            .answers
            .get(&(round.id, round.live[i].uid))
            .map_or(0, |m| m.len());
        Some((round.id, i, answered))
    }

    /// The open live question's answer count, as participants and screens see it.
    fn answer_count_frame(&self) -> Option<Bytes> {
        self.open_live_count().map(|count| self.answer_count_bytes(count))
    }

    fn answer_count_bytes(&self, (round_id, index, answered): (i64, usize, usize)) -> Bytes {
        encode(&json!({
            "type": "answer_count",
            "round_id": round_id,
            "index": index,
            "answered": answered,
            "joined": self.joined_count(),
        }))
    }

    /// The open question's answer count for the screens, and for organizers who answered since the last frame.
    fn publish_answer_count(&self, answered_ids: Vec<i64>) {
        let Some(count) = self.open_live_count() else {
            return;
        };
        let (round_id, index, answered) = count;
        self.hub.publish_screen(self.answer_count_bytes(count));
        self.hub.publish_organizer(encode(&json!({
            "type": "progress",
            "round_id": round_id,
            "index": index,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_get_every_tick_in_a_small_contest_and_slower_in_a_large_one() {
        assert_eq!(phone_interval(0), TICK);
        assert_eq!(phone_interval(117), TICK);
        assert_eq!(phone_interval(250), TICK);
        assert_eq!(phone_interval(251), TICK * 2);
        assert_eq!(phone_interval(1_000), Duration::from_secs(1));
        assert_eq!(phone_interval(1_751), Duration::from_secs(2));
        assert_eq!(phone_interval(19_000), Duration::from_secs(2));
        assert_eq!(phone_interval(100_000), Duration::from_secs(2));
    }
}
