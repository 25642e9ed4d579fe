//! Process metrics in the Prometheus text format (`GET /metrics`, see docs/operations.md).
//!
//! The registry is a process-wide static of atomic counters and fixed-bucket histograms: recording a sample is a
//! few relaxed atomic additions, so it can sit on the answer path without changing its cost. Metrics describe
//! the process, not one server instance: tests that run several servers in one process share them, which is
//! harmless because no behaviour depends on them.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A monotonically increasing count.
#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Self {
        Self(AtomicU64::new(0))
    }
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down (connected sockets, open contests).
#[derive(Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub const fn new() -> Self {
        Self(AtomicI64::new(0))
    }
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A histogram with fixed upper bounds (Prometheus `le` buckets, cumulative when rendered).
pub struct Histogram {
    bounds: &'static [f64],
    buckets: [AtomicU64; 16],
    count: AtomicU64,
    /// The sum in millionths of the unit, so it can be an integer atomic.
    sum_micro: AtomicU64,
}

impl Histogram {
    pub const fn new(bounds: &'static [f64]) -> Self {
        assert!(bounds.len() <= 16);
        Self {
            bounds,
            buckets: [const { AtomicU64::new(0) }; 16],
            count: AtomicU64::new(0),
            sum_micro: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, value: f64) {
        if let Some(i) = self.bounds.iter().position(|b| value <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micro
            .fetch_add((value.max(0.0) * 1e6) as u64, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in self.bounds.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micro.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

const SECONDS: &[f64] = &[
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];
const BATCH: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];

/// Why an answer was refused, as a fixed set of labels (the error codes of the answer path).
pub const REFUSAL_REASONS: &[&str] = &[
    "answer_late",
    "question_closed",
    "question_not_open",
    "question_paused",
    "already_answered",
    "invalid_answer",
    "round_not_running",
    "deadline_passed",
    "paper_submitted",
    "paper_not_started",
    "session_replaced",
    "rate_limited",
    "other",
];

pub struct Metrics {
    pub ws_participants: Gauge,
    pub ws_displays: Gauge,
    pub ws_organizers: Gauge,
    pub joins: Counter,
    pub answers_accepted: Counter,
    pub answers_duplicate: Counter,
    refused: [Counter; 13],
    pub answer_ack_seconds: Histogram,
    pub writer_batch_size: Histogram,
    pub writer_commit_seconds: Histogram,
    pub writer_failed_batches: Counter,
    pub broadcast_frames: Counter,
    pub broadcast_bytes: Counter,
    pub personal_frames: Counter,
    pub personal_bytes: Counter,
    pub lagging_resyncs: Counter,
    pub sockets_closed_for_limit: Counter,
    pub client_frames_dropped: Counter,
    pub open_contests: Gauge,
}

pub static METRICS: Metrics = Metrics {
    ws_participants: Gauge::new(),
    ws_displays: Gauge::new(),
    ws_organizers: Gauge::new(),
    joins: Counter::new(),
    answers_accepted: Counter::new(),
    answers_duplicate: Counter::new(),
    refused: [const { Counter::new() }; 13],
    answer_ack_seconds: Histogram::new(SECONDS),
    writer_batch_size: Histogram::new(BATCH),
    writer_commit_seconds: Histogram::new(SECONDS),
    writer_failed_batches: Counter::new(),
    broadcast_frames: Counter::new(),
    broadcast_bytes: Counter::new(),
    personal_frames: Counter::new(),
    personal_bytes: Counter::new(),
    lagging_resyncs: Counter::new(),
    sockets_closed_for_limit: Counter::new(),
    client_frames_dropped: Counter::new(),
    open_contests: Gauge::new(),
};

impl Metrics {
    /// Count a refused answer under its error code (unknown codes count as `other`).
    pub fn answer_refused(&self, code: &str) {
        let i = REFUSAL_REASONS
            .iter()
            .position(|r| *r == code)
            .unwrap_or(REFUSAL_REASONS.len() - 1);
        self.refused[i].inc();
    }

    pub fn refused(&self, code: &str) -> u64 {
        REFUSAL_REASONS
            .iter()
            .position(|r| *r == code)
            .map_or(0, |i| self.refused[i].get())
    }

    /// The whole registry in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let gauge = |out: &mut String, name: &str, help: &str, labels: &[(&str, i64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for (label, value) in labels {
                let _ = writeln!(out, "{name}{label} {value}");
            }
        };
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        };
        gauge(
            &mut out,
            "jingsai_websockets_connected",
            "Open WebSocket connections by role.",
            &[
                ("{role=\"participant\"}", self.ws_participants.get()),
                ("{role=\"display\"}", self.ws_displays.get()),
                ("{role=\"organizer\"}", self.ws_organizers.get()),
            ],
        );
        gauge(
            &mut out,
            "jingsai_open_contests",
            "Contest actors loaded in this process.",
            &[("", self.open_contests.get())],
        );
        counter(
            &mut out,
            "jingsai_joins_total",
            "Successful joins.",
            self.joins.get(),
        );
        counter(
            &mut out,
            "jingsai_answers_accepted_total",
            "Answers accepted (new or changed).",
            self.answers_accepted.get(),
        );
        counter(
            &mut out,
            "jingsai_answers_duplicate_total",
            "Resent answers recognised as duplicates.",
            self.answers_duplicate.get(),
        );
        let _ = writeln!(
            out,
            "# HELP jingsai_answers_refused_total Answers refused, by reason.\n\
             # TYPE jingsai_answers_refused_total counter"
        );
        for (i, reason) in REFUSAL_REASONS.iter().enumerate() {
            let _ = writeln!(
                out,
                "jingsai_answers_refused_total{{reason=\"{reason}\"}} {}",
                self.refused[i].get()
            );
        }
        self.answer_ack_seconds.render(
            &mut out,
            "jingsai_answer_ack_seconds",
            "From receiving an answer to acknowledging it (after its commit).",
        );
        self.writer_batch_size.render(
            &mut out,
            "jingsai_writer_batch_size",
            "Jobs written per group commit.",
        );
        self.writer_commit_seconds.render(
            &mut out,
            "jingsai_writer_commit_seconds",
            "Time to write and commit one batch.",
        );
        counter(
            &mut out,
            "jingsai_writer_failed_batches_total",
            "Batches whose commit failed (their answers were refused with 503).",
            self.writer_failed_batches.get(),
        );
        counter(
            &mut out,
            "jingsai_broadcast_frames_total",
            "Frames published to a broadcast audience (each serialized once).",
            self.broadcast_frames.get(),
        );
        counter(
            &mut out,
            "jingsai_broadcast_bytes_total",
            "Bytes of the frames published to a broadcast audience.",
            self.broadcast_bytes.get(),
        );
        counter(
            &mut out,
            "jingsai_personal_frames_total",
            "Frames queued for one participant's connections.",
            self.personal_frames.get(),
        );
        counter(
            &mut out,
            "jingsai_personal_bytes_total",
            "Bytes of the frames queued for one participant's connections.",
            self.personal_bytes.get(),
        );
        counter(
            &mut out,
            "jingsai_lagging_resyncs_total",
            "Sockets that fell behind and were resynchronized with a snapshot.",
            self.lagging_resyncs.get(),
        );
        counter(
            &mut out,
            "jingsai_sockets_closed_for_limit_total",
            "Sockets closed because their token opened more than its limit.",
            self.sockets_closed_for_limit.get(),
        );
        counter(
            &mut out,
            "jingsai_client_frames_dropped_total",
            "Client WebSocket frames dropped by the per-socket rate limit.",
            self.client_frames_dropped.get(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_in_the_text_format() {
        static H: Histogram = Histogram::new(&[1.0, 10.0]);
        H.observe(0.5);
        H.observe(5.0);
        H.observe(50.0);
        let mut out = String::new();
        H.render(&mut out, "h", "test");
        assert!(out.contains("h_bucket{le=\"1\"} 1\n"), "{out}");
        assert!(out.contains("h_bucket{le=\"10\"} 2\n"), "{out}");
        assert!(out.contains("h_bucket{le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("h_sum 55.5\n"), "{out}");
        assert!(out.contains("h_count 3\n"), "{out}");
    }

    #[test]
    fn unknown_refusal_reasons_count_as_other() {
        let before = METRICS.refused("other");
        METRICS.answer_refused("something_new");
        assert_eq!(METRICS.refused("other"), before + 1);
    }
}
