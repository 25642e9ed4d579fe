//! Raw samples: every measured event is kept as it happened, so one report can be computed from one process or
//! from the files of several processes (`jingsai-load merge`).
//!
//! Times are wall-clock microseconds since the Unix epoch: the driver (which sends `next`) and the phones (which
//! receive `question_open`) may be different processes on the same machine, and only the wall clock is shared.

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The `i` of samples that belong to a whole exam round rather than to one question.
pub const ROUND_LEVEL: i64 = -1;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Driver: `e` names a planned figure (`participants`, `exam_questions`), `d` its value.
    Plan,
    /// Phone: `POST /api/join` sent at `t`, answered after `d` µs.
    Join,
    /// Phone: WebSocket connect started at `t`, upgraded after `d` µs.
    Connect,
    /// Driver: control `next` for question (`r`, `i`) sent at `t`.
    OpenSent,
    /// Phone: `question_open` (`r`, `i`) received at `t`.
    OpenRecv,
    /// Phone: answer to (`r`, `i`) sent at `t`, acknowledged after `d` µs; `e` = `duplicate` for a duplicate.
    Ack,
    /// Driver: control `close` for (`r`, `i`) sent at `t`.
    CloseSent,
    /// Driver: the server counted `d` answers for live question (`r`, `i`).
    Counted,
    /// Phone: first `my_result` with a rank, or `my_rank`, for (`r`, `i`) received at `t`.
    Ranked,
    /// Phone: the exam paper of round `r` requested (`exam_start` frame or `POST /api/exam/start`) at `t`, received
    /// after `d` µs (`i` = ROUND_LEVEL).
    ExamStarted,
    /// Phone: exam paper of round `r` handed in at `t`, acknowledged after `d` µs (`i` = ROUND_LEVEL).
    Submitted,
    /// Driver: control `end_round` for exam round `r` sent at `t`.
    EndSent,
    /// Phone: `exam_result` of round `r` received at `t`; `d` acknowledged answers found in it.
    ExamResult,
    /// Phone: an acknowledged answer to (`r`, `i`) that the server's per-participant result does not show.
    Lost,
    /// Anyone: an error of kind `e` (for (`r`, `i`) when it belongs to an answer or an exam paper).
    Error,
    /// Anyone: frames (`d`) received by sockets of role `e`.
    Frames,
    /// Anyone: bytes (`d`) received by sockets of role `e`.
    Bytes,
    /// Driver with `--server-pid`: figure `e` (see `report.rs`) with value `d`, for (`r`, `i`) when per question.
    Server,
    /// Phone: one HTTP request `e` (`join`, `answer`, `exam_start`, `exam_submit`) sent, besides its WebSocket.
    Http,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Sample {
    pub k: Kind,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub r: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub i: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub t: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub d: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub e: String,
}

impl Sample {
    pub fn new(k: Kind) -> Self {
        Self {
            k,
            r: 0,
            i: 0,
            t: 0,
            d: 0,
            e: String::new(),
        }
    }
    pub fn at(k: Kind, r: i64, i: i64, t: i64) -> Self {
        Self {
            r,
            i,
            t,
            ..Self::new(k)
        }
    }
}

/// First line of a samples file: which contest the samples were taken in, so that `merge` matches the driver's
/// `next` with the phones' `question_open` of the same contest: the join code when the processes were given one
/// (phones may then be connected to other instances than the driver's), else the server.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Header {
    pub url: String,
    pub role: String,
    #[serde(default)]
    pub join_code: Option<String>,
}

impl Header {
    /// What `merge` groups samples by.
    pub fn contest_key(&self) -> &str {
        self.join_code.as_deref().unwrap_or(&self.url)
    }
}

pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

pub fn micros(d: Duration) -> i64 {
    d.as_micros() as i64
}

/// Shared by every task of the process: the samples, and counts of them by (kind, round, index) so the driver
/// can wait for "every phone acknowledged / ranked" without scanning.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    samples: Vec<Sample>,
    counts: HashMap<(Kind, i64, i64), usize>,
}

impl Recorder {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                samples: Vec::new(),
                counts: HashMap::new(),
            })),
        }
    }

    pub fn record(&self, sample: Sample) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *inner.counts.entry((sample.k, sample.r, sample.i)).or_default() += 1;
        inner.samples.push(sample);
    }

    pub fn error(&self, kind: impl Into<String>, r: i64, i: i64) {
        let kind = kind.into();
        // The first few are printed as they happen; the report counts all of them by kind.
        if self.count(Kind::Error, r, i) < 5 {
            eprintln!("error: {kind} (round {r}, index {i})");
        }
        self.record(Sample {
            e: kind,
            ..Sample::at(Kind::Error, r, i, now_us())
        });
    }

    pub fn count(&self, k: Kind, r: i64, i: i64) -> usize {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.counts.get(&(k, r, i)).copied().unwrap_or(0)
    }

    /// Wait until `done()` holds or the deadline passes; true when it holds.
    pub async fn wait_until(&self, deadline: Instant, done: impl Fn(&Recorder) -> bool) -> bool {
        loop {
            if done(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .samples
            .clone()
    }
}

pub fn write_file(path: &Path, header: &Header, samples: &[Sample]) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer(&mut out, header)?;
    out.write_all(b"\n")?;
    for sample in samples {
        serde_json::to_writer(&mut out, sample)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

pub fn read_file(path: &Path) -> Result<(Header, Vec<Sample>), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = std::io::BufReader::new(file).lines();
    let first = lines
        .next()
        .ok_or_else(|| format!("{}: empty samples file", path.display()))?
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let header: Header = serde_json::from_str(&first)
        .map_err(|e| format!("{}:1: not a samples header: {e}", path.display()))?;
    let mut samples = Vec::new();
    for (n, line) in lines.enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let sample = serde_json::from_str(&line)
            .map_err(|e| format!("{}:{}: bad sample: {e}", path.display(), n + 2))?;
        samples.push(sample);
    }
    Ok((header, samples))
}
