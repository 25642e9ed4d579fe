//! `--protocol quizler`: the live workload of `jingsai-load` against Quizler, an open-source in-memory
//! Kahoot-style quiz server (Rust, axum), for the side-by-side benchmark in docs/benchmarks.md. Quizler is never
//! built or shipped by this repository; point `--url` at one that is running.
//!
//! Quizler's protocol: `POST /api/quiz` (multipart, a `config` field of JSON) stores a quiz and returns its uuid;
//! the host opens `/api/quiz/socket` and sends `Initialize` (reply `Joined` with the 5-letter game token); a
//! player opens the same socket and sends `Connect` (token) then `Join` (name). Every request gets one reply
//! (`"ret": 1`, `Ok`, `Joined` or `Error`), in order; events carry only `ty`. The host's `HostAction Next` moves
//! the game on: lobby → starting (a 5 s timer) → the question is sent → every player and the host send `Ready` →
//! pre-question (a 5 s timer, which the host's `Next` cuts short) → awaiting answers → the host's `Next` marks
//! the answers: each player gets its own `Score`, then everyone gets `Scores` (every player's total).
//!
//! How the figures map onto jingsai's: the host's `Next` out of pre-question is the driver's `next` (open
//! fan-out is until each player gets `GameState AwaitingAnswers`); the `Ok` to an `Answer` is the ack; the host's
//! `Next` while awaiting answers is the `close`; `Scores` is "ranked" (it carries every total, from which a
//! player sees its place), and the own `Score` is reported beside it. Quizler marks a question by itself as
//! soon as every player has answered, so a silent player (joined before the baseline, ready but never
//! answering) keeps each question open until the host ends it, as jingsai's driver does. Every option of the
//! question is correct, so a player's own `Score` shows whether the server recorded its answer: `Correct` counts
//! it, `Incorrect` after an `Ok` is a lost answer.

mod players;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use futures_util::stream::{SplitSink, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::net::{self, Ws};
use crate::procstat::{self, ProcWatch};
use crate::report::{self, Dist};
use crate::samples::{self, Header, Kind, Recorder, Sample, micros, now_us};

/// Which server `jingsai-load` talks to.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Protocol {
    Jingsai,
    Quizler,
}

/// Samples of the Quizler game use round 1; questions are numbered from 0 in the order they arrive.
const ROUND: i64 = 1;
/// Options per question (all of them correct, see the module comment).
const OPTIONS: usize = 4;

/// What every player of the process shares.
struct Ctx {
    ws_url: String,
    server: SocketAddr,
    token: String,
    rec: Recorder,
    window_ms: u64,
    stop_at: Instant,
    /// (question, wall-clock µs) at which each player received its own `Score`.
    scored: Mutex<Vec<(i64, i64)>>,
}

pub async fn run(args: &crate::RunArgs) -> Result<bool, String> {
    if args.role != crate::Role::All
        || args.mode == crate::Mode::Exam
        || args.answer_via == crate::phone::Via::Http
    {
        return Err(
            "--protocol quizler runs live questions with organizer and players in one process, answering over \
             the socket: use it without --role, --mode exam or --answer-via http"
                .into(),
        );
    }
    let stop_at = Instant::now() + Duration::from_secs(args.timeout_s);
    match procstat::raise_nofile_limit() {
        Ok(limit) => println!("open-file limit: {limit}"),
        Err(e) => eprintln!("cannot raise the open-file limit: {e}"),
    }
    net::set_request_timeout(args.request_timeout_s);
    let base = args.url.trim_end_matches('/').to_string();
    let (ws_base, server) = net::resolve(&base).await?;
    let ips = net::parse_source_ips(&args.source_ips)?;
    let watch = args.server_pid.map(ProcWatch::new).transpose()?;
    let (n, questions) = (args.participants, args.questions.max(1));
    let rec = Recorder::new();

    let uuid = create_quiz(&base, n, questions, args.answer_window_ms + args.slack_ms).await?;
    let mut host = Host::connect(&format!("{ws_base}/api/quiz/socket"), server, rec.clone()).await?;
    let joined = host
        .request(json!({"ty": "Initialize", "uuid": uuid}), stop_at)
        .await?;
    let token = joined["token"]
        .as_str()
        .ok_or("Initialize: no game token")?
        .to_string();
    println!("quizler game {token}");
    let ctx = Arc::new(Ctx {
        ws_url: format!("{ws_base}/api/quiz/socket"),
        server,
        token,
        rec: rec.clone(),
        window_ms: args.answer_window_ms,
        stop_at,
        scored: Mutex::new(Vec::new()),
    });
    let sentinel = players::join(ctx.clone(), n, None, true)
        .await
        .ok_or("the silent player could not join")?;
    for (name, value) in [("participants", n), ("exam_questions", 0)] {
        rec.record(Sample {
            d: value as i64,
            e: name.into(),
            ..Sample::new(Kind::Plan)
        });
    }
    let figure = |name: &str, i: i64, value: i64| {
        rec.record(Sample {
            d: value,
            e: name.into(),
            ..Sample::at(Kind::Server, ROUND, i, now_us())
        })
    };
    let baseline = watch.as_ref().map(|w| (w.rss_kib(), w.cpu_us()));
    if let Some((rss, _)) = baseline {
        figure("rss_baseline_kib", 0, rss);
    }

    println!(
        "joining {n} players from {} source address(es), {} at a time",
        ips.len(),
        args.join_concurrency
    );
    let started = Instant::now();
    let players = players::join_all(&ctx, &ips, n, args.join_concurrency).await;
    println!(
        "{} of {n} joined in {:.2} s",
        players.len(),
        started.elapsed().as_secs_f64()
    );
    if let (Some(w), Some((_, cpu0))) = (&watch, baseline) {
        figure("rss_joined_kib", 0, w.rss_kib());
        figure("cpu_joins_us", 0, w.cpu_us() - cpu0);
    }

    let want = players.len();
    let mut settled_rss = None;
    let mut failure = None;
    for index in 0..questions as i64 {
        match question(&mut host, &rec, watch.as_ref(), args, index, want, stop_at).await {
            Ok(rss) => {
                settled_rss.get_or_insert(rss);
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if let Some(w) = &watch {
        figure("rss_end_kib", 0, w.rss_kib());
    }
    if let Some(e) = failure {
        rec.error(format!("driver: {e}"), 0, 0);
    }
    // The host leaving stops the game: every player gets `Kicked` (HostDisconnect) and ends.
    host.close().await;
    let deadline = stop_at.min(Instant::now() + Duration::from_millis(args.slack_ms));
    for mut player in players.into_iter().chain([sentinel]) {
        let left = deadline.saturating_duration_since(Instant::now());
        if tokio::time::timeout(left, &mut player).await.is_err() {
            player.abort();
            rec.error("phone_not_finished", 0, 0);
        }
    }

    let header = Header {
        url: base,
        role: "all".into(),
        join_code: None,
    };
    let all = rec.samples();
    if let Some(path) = &args.samples {
        samples::write_file(path, &header, &all).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let mut report = report::build(&[(header, all.clone())]);
    join_span(&mut report, &all);
    let own_score = own_score_latencies(&all, &ctx.scored.lock().unwrap_or_else(|e| e.into_inner()));
    report::print(&report);
    println!("close → own Score {}", line(&own_score));
    let settled = settled_rss.flatten();
    let settled_per = match (&report.server, settled) {
        (Some(s), Some(rss)) if report.connected > 0 => {
            let per = (rss - s.rss_baseline_kib) as f64 / report.connected as f64;
            println!(
                "server memory     {rss} KiB once the joins' frames were delivered ({per:.1} KiB per player)"
            );
            Some(per)
        }
        _ => None,
    };
    if let Some(path) = &args.json {
        let mut value = serde_json::to_value(&report).map_err(|e| e.to_string())?;
        value["quizler"] = json!({
            "close_to_own_score_ms": own_score,
            "rss_settled_kib": settled,
            "rss_settled_per_participant_kib": settled_per,
        });
        let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(report.ok)
}

/// One question, from the host's `Next` that sends it until every player has its `Scores`. Returns the server's
/// RSS once every player was ready (all frames of the joins delivered), when `--server-pid` was given.
async fn question(
    host: &mut Host,
    rec: &Recorder,
    watch: Option<&ProcWatch>,
    args: &crate::RunArgs,
    index: i64,
    want: usize,
    stop_at: Instant,
) -> Result<Option<i64>, String> {
    // Out of the lobby the game counts down 5 s (its own timer) before the question; after a marked question
    // the host's `Next` sends the next one.
    host.request(json!({"ty": "HostAction", "action": "Next"}), stop_at)
        .await?;
    host.event(|v| v["ty"] == "Question", stop_at).await?;
    host.request(json!({"ty": "Ready"}), stop_at).await?;
    // Every player (and the silent one) answers the question with `Ready`; the last one starts pre-question.
    host.event(|v| v["ty"] == "GameState" && v["state"] == "PreQuestion", stop_at)
        .await?;
    let rss = watch.map(ProcWatch::rss_kib);
    let cpu0 = watch.map(ProcWatch::cpu_us);
    let sent = Instant::now();
    rec.record(Sample::at(Kind::OpenSent, ROUND, index, now_us()));
    host.request(json!({"ty": "HostAction", "action": "Next"}), stop_at)
        .await?;
    let deadline = sent + Duration::from_millis(args.answer_window_ms + args.slack_ms);
    let all_answered = rec
        .wait_until(deadline, |rec| {
            rec.count(Kind::Ack, ROUND, index) + rec.count(Kind::Error, ROUND, index) >= want
        })
        .await;
    if !all_answered {
        eprintln!("question {index}: not every answer was acknowledged in time; closing anyway");
    }
    let close_at = Instant::now();
    rec.record(Sample::at(Kind::CloseSent, ROUND, index, now_us()));
    host.request(json!({"ty": "HostAction", "action": "Next"}), stop_at)
        .await?;
    let deadline = close_at + Duration::from_millis(args.slack_ms);
    if !rec
        .wait_until(deadline, |rec| rec.count(Kind::Ranked, ROUND, index) >= want)
        .await
    {
        eprintln!("not every player got its scores within {} ms", args.slack_ms);
    }
    if let (Some(w), Some(cpu0)) = (watch, cpu0) {
        rec.record(Sample {
            d: w.cpu_us() - cpu0,
            e: "cpu_question_us".into(),
            ..Sample::at(Kind::Server, ROUND, index, now_us())
        });
    }
    println!(
        "question {index}: open→close {:.2} s",
        micros(close_at - sent) as f64 / 1e6
    );
    Ok(rss)
}

/// Store the quiz: `questions` single-choice questions of four options, all correct, open as long as the answer
/// window plus the slack (only the host ends them), for `n` players and the silent one.
async fn create_quiz(base: &str, n: usize, questions: usize, open_ms: u64) -> Result<String, String> {
    let config = quiz_config(n, questions, open_ms + 30_000);
    let boundary = format!("jingsai-load-{}", now_us());
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"config\"\r\n\r\n{config}\r\n--{boundary}--\r\n"
    );
    let response = net::http_client(None)?
        .post(format!("{base}/api/quiz"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .map_err(|e| format!("create quiz: {e}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("create quiz: {status} {text}"));
    }
    let created: Value = serde_json::from_str(&text).map_err(|e| format!("create quiz: {e}: {text}"))?;
    created["uuid"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("create quiz: no uuid in {text}"))
}

fn quiz_config(n: usize, questions: usize, answer_ms: u64) -> Value {
    let options: Vec<Value> = (0..OPTIONS)
        .map(|k| json!({"value": format!("option {}", k + 1), "correct": true}))
        .collect();
    let questions: Vec<Value> = (0..questions)
        .map(|k| {
            json!({"ty": "Single", "answers": options, "text": format!("jingsai-load question {}", k + 1),
                "image": null, "answer_time": answer_ms, "bonus_score_time": 0,
                "scoring": {"min_score": 100, "max_score": 1000, "bonus_score": 0}})
        })
        .collect();
    json!({"name": format!("jingsai-load {n}"), "text": "side-by-side load", "max_players": n + 1,
        "filtering": "None", "questions": questions})
}

/// The host's socket: a task drains it (counting frames, as the console sockets are counted in jingsai mode)
/// and passes on everything but the per-join `PlayerData`.
struct Host {
    sink: SplitSink<Ws, Message>,
    events: mpsc::UnboundedReceiver<Value>,
    reader: tokio::task::JoinHandle<()>,
}

impl Host {
    async fn connect(url: &str, server: SocketAddr, rec: Recorder) -> Result<Self, String> {
        let ws = net::ws_connect(url, server, None)
            .await
            .map_err(|e| format!("host socket: {e}"))?;
        let (sink, mut stream) = ws.split();
        let (tx, events) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            let (mut frames, mut bytes) = (0i64, 0i64);
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else { continue };
                frames += 1;
                bytes += text.len() as i64;
                if text.starts_with(r#"{"ty":"PlayerData""#) {
                    continue;
                }
                if let Ok(v) = serde_json::from_str::<Value>(&text) {
                    let _ = tx.send(v);
                }
            }
            for (k, d) in [(Kind::Frames, frames), (Kind::Bytes, bytes)] {
                rec.record(Sample {
                    d,
                    e: "organizer".into(),
                    ..Sample::new(k)
                });
            }
        });
        Ok(Self { sink, events, reader })
    }

    /// Send a request and wait for its reply (`Error` is an error). Replies come before the events the request
    /// caused: the server writes them straight to the socket and queues the events.
    async fn request(&mut self, frame: Value, stop_at: Instant) -> Result<Value, String> {
        let what = frame["action"]
            .as_str()
            .or(frame["ty"].as_str())
            .unwrap_or("?")
            .to_string();
        self.sink
            .send(Message::text(frame.to_string()))
            .await
            .map_err(|e| format!("host {what}: {e}"))?;
        let reply = self.event(|v| v["ret"] == 1, stop_at).await?;
        if reply["ty"] == "Error" {
            return Err(format!("host {what}: {}", reply["error"]));
        }
        Ok(reply)
    }

    /// The next frame that matches, skipping the others.
    async fn event(&mut self, matches: impl Fn(&Value) -> bool, stop_at: Instant) -> Result<Value, String> {
        let stop = tokio::time::Instant::from_std(stop_at);
        loop {
            match tokio::time::timeout_at(stop, self.events.recv()).await {
                Ok(Some(v)) if matches(&v) => return Ok(v),
                Ok(Some(_)) => {}
                Ok(None) => return Err("the host socket closed".into()),
                Err(_) => return Err("timed out waiting for the game".into()),
            }
        }
    }

    async fn close(mut self) {
        let _ = self.sink.send(Message::Close(None)).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.reader).await;
    }
}

/// Join all, as Quizler joins: first socket upgrade started → last `Joined` reply (the report's own span assumes
/// jingsai's order, the join request before the socket).
fn join_span(report: &mut report::Report, all: &[Sample]) {
    let first = all.iter().filter(|s| s.k == Kind::Connect).map(|s| s.t).min();
    let last = all.iter().filter(|s| s.k == Kind::Join).map(|s| s.t + s.d).max();
    if let (Some(first), Some(last)) = (first, last) {
        report.join_seconds = (last - first) as f64 / 1e6;
        if report.join_seconds > 0.0 {
            report.joins_per_second = report.connected as f64 / report.join_seconds;
        }
    }
}

/// The host's `Next` that ends each question → each player's own `Score`.
fn own_score_latencies(all: &[Sample], scored: &[(i64, i64)]) -> Dist {
    let closed: Vec<(i64, i64)> = all
        .iter()
        .filter(|s| s.k == Kind::CloseSent)
        .map(|s| (s.i, s.t))
        .collect();
    let latencies = scored
        .iter()
        .filter_map(|(i, t)| closed.iter().find(|(ci, _)| ci == i).map(|(_, t0)| t - t0))
        .collect();
    Dist::of_micros(latencies)
}

fn line(d: &Dist) -> String {
    if d.count == 0 {
        return "-".into();
    }
    format!(
        "p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms  ({} samples)",
        d.p50_ms, d.p99_ms, d.max_ms, d.count
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_of_every_question_is_correct() {
        let config = quiz_config(1000, 2, 41_000);
        assert_eq!(config["max_players"], 1001);
        let questions = config["questions"].as_array().expect("questions");
        assert_eq!(questions.len(), 2);
        for q in questions {
            assert_eq!(q["ty"], "Single");
            assert_eq!(q["answer_time"], 41_000);
            let options = q["answers"].as_array().expect("answers");
            assert_eq!(options.len(), OPTIONS);
            assert!(options.iter().all(|o| o["correct"] == true));
        }
    }

    #[test]
    fn own_score_is_measured_from_the_close_of_its_question() {
        let all = vec![
            Sample::at(Kind::CloseSent, ROUND, 0, 1_000_000),
            Sample::at(Kind::CloseSent, ROUND, 1, 5_000_000),
        ];
        let d = own_score_latencies(&all, &[(0, 1_020_000), (1, 5_004_000), (2, 9_000_000)]);
        assert_eq!((d.count, d.p50_ms, d.max_ms), (2, 4.0, 20.0));
    }
}
