//! The refused-answer log: a cap on what one participant can write into it, and paged reading.
//!
//! Rule: per participant and round (a refusal outside any round counts under "no round"), the first
//! [`REJECTIONS_KEPT_PER_MINUTE`] refusals of a one-minute window are recorded one by one; further refusals in
//! that window are only counted, and one summary row (reason `rate_limited: …`) records how many there were and
//! the last one's reason once the window ends. A participant hammering the server thus writes at most
//! `K + 1` rows a minute per round, whatever index they send, and nothing refused goes uncounted.

use super::db::on_pool;
use std::collections::HashMap;

use super::answers::Rejection;
use super::{RejectionRow, Store};

/// Refusals recorded one by one per participant and round in each minute.
pub const REJECTIONS_KEPT_PER_MINUTE: u32 = 10;
/// The largest page `GET /api/contests/{id}/rejections` returns (also the default).
pub const MAX_REJECTIONS_PAGE: u32 = 1000;
const WINDOW_MS: i64 = 60_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    contest_id: i64,
    participant_id: i64,
    round_id: Option<i64>,
}

#[derive(Debug)]
struct Window {
    started_at: i64,
    kept: u32,
    suppressed: u32,
    /// The latest refusal not recorded one by one: its question and reason go into the summary row.
    last: Option<Rejection>,
}

impl Window {
    fn summary(&self) -> Option<Rejection> {
        let last = self.last.as_ref().filter(|_| self.suppressed > 0)?;
        Some(Rejection {
            reason: format!(
                "rate_limited: {} more refused answer(s) in this minute were counted but not recorded one by \
                 one (the first {REJECTIONS_KEPT_PER_MINUTE} per participant and round are); the last one: {}",
                self.suppressed, last.reason
            ),
            ..last.clone()
        })
    }
}

/// Lives in the answer writer task; decides which refusals become rows.
#[derive(Debug, Default)]
pub(super) struct RejectionLimiter {
    windows: HashMap<Key, Window>,
}

impl RejectionLimiter {
    /// Take one refusal; push the rows to write now (none, the refusal itself, and/or the summary of the
    /// participant's previous window).
    pub(super) fn admit(&mut self, rejection: Rejection, out: &mut Vec<Rejection>) {
        let key = Key {
            contest_id: rejection.contest_id,
            participant_id: rejection.participant_id,
            round_id: rejection.round_id,
        };
        let at = rejection.received_at;
        if let Some(window) = self.windows.get_mut(&key)
            && at < window.started_at + WINDOW_MS
        {
            if window.kept < REJECTIONS_KEPT_PER_MINUTE {
                window.kept += 1;
                out.push(rejection);
            } else {
                window.suppressed += 1;
                window.last = Some(rejection);
            }
            return;
        }
        if let Some(previous) = self.windows.remove(&key) {
            out.extend(previous.summary());
        }
        self.windows.insert(
            key,
            Window {
                started_at: at,
                kept: 1,
                suppressed: 0,
                last: None,
            },
        );
        out.push(rejection);
    }

    /// Close the windows that ended by `now`: push their summary rows and forget them (this bounds memory).
    pub(super) fn flush_ended(&mut self, now: i64, out: &mut Vec<Rejection>) {
        self.windows.retain(|_, window| {
            if now < window.started_at + WINDOW_MS {
                return true;
            }
            out.extend(window.summary());
            false
        });
    }

    /// Every pending summary, whether or not its window ended (the writer is stopping).
    pub(super) fn flush_all(&mut self, out: &mut Vec<Rejection>) {
        out.extend(self.windows.drain().filter_map(|(_, window)| window.summary()));
    }

    /// When the next summary row falls due, if any refusal is waiting to be summarized.
    pub(super) fn next_due(&self) -> Option<i64> {
        self.windows
            .values()
            .filter(|w| w.suppressed > 0)
            .map(|w| w.started_at + WINDOW_MS)
            .min()
    }
}

impl Store {
    /// One page of a contest's refused answers in the order they were recorded: rows with `id > after`, at most
    /// `limit` (capped at [`MAX_REJECTIONS_PAGE`]). The next page starts after the last row's `id`.
    pub async fn rejections_page(
        &self,
        contest_id: i64,
        after: i64,
        limit: u32,
    ) -> sqlx::Result<Vec<RejectionRow>> {
        on_pool!(self.reader(), |exe| sqlx::query_as(
            "SELECT id, participant_id, round_id, question_ref, reason, received_at
             FROM rejections WHERE contest_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(contest_id)
        .bind(after)
        .bind(i64::from(limit.clamp(1, MAX_REJECTIONS_PAGE)))
        .fetch_all(exe)
        .await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(participant_id: i64, round_id: Option<i64>, at: i64, reason: &str) -> Rejection {
        Rejection {
            contest_id: 1,
            participant_id,
            round_id,
            question_ref: Some("0".into()),
            reason: reason.into(),
            received_at: at,
        }
    }

    #[test]
    fn keeps_the_first_k_per_minute_and_summarizes_the_rest() {
        let mut limiter = RejectionLimiter::default();
        let mut rows = Vec::new();
        for k in 0..3000 {
            limiter.admit(refusal(7, Some(2), 1_000 + k, &format!("late {k}")), &mut rows);
        }
        // Another participant and another round are counted separately.
        limiter.admit(refusal(8, Some(2), 1_500, "other participant"), &mut rows);
        limiter.admit(refusal(7, Some(3), 1_500, "other round"), &mut rows);
        assert_eq!(rows.len(), REJECTIONS_KEPT_PER_MINUTE as usize + 2);
        assert_eq!(limiter.next_due(), Some(61_000));

        limiter.flush_ended(60_999, &mut rows);
        assert_eq!(
            rows.len(),
            REJECTIONS_KEPT_PER_MINUTE as usize + 2,
            "window still open"
        );
        limiter.flush_ended(61_000, &mut rows);
        let summary = rows.last().expect("summary");
        assert!(
            summary.reason.starts_with("rate_limited: 2990 more"),
            "{}",
            summary.reason
        );
        assert!(summary.reason.ends_with("late 2999"), "{}", summary.reason);
        assert_eq!(summary.received_at, 3_999);
        assert_eq!(
            limiter.windows.len(),
            2,
            "the ended window is forgotten, the later ones kept"
        );
        assert_eq!(limiter.next_due(), None, "nothing else to summarize");
        let before = rows.len();
        limiter.flush_ended(61_500, &mut rows);
        assert_eq!(
            rows.len(),
            before,
            "windows without suppressed refusals end silently"
        );
        assert!(limiter.windows.is_empty());
    }

    #[test]
    fn a_new_window_writes_the_previous_summary_first() {
        let mut limiter = RejectionLimiter::default();
        let mut rows = Vec::new();
        for k in 0..12 {
            limiter.admit(refusal(1, None, k, "closed"), &mut rows);
        }
        limiter.admit(refusal(1, None, 70_000, "closed again"), &mut rows);
        let reasons: Vec<&str> = rows.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(reasons.len(), 12);
        assert!(reasons[10].starts_with("rate_limited: 2 more"), "{reasons:?}");
        assert_eq!(reasons[11], "closed again");
        let mut rest = Vec::new();
        limiter.flush_all(&mut rest);
        assert!(rest.is_empty(), "nothing suppressed in the new window");
    }
}
