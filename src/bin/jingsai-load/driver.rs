//! The organizer: creates the contest, keeps the console and big-screen sockets open, runs the rounds, and
//! records when it sent each `next`, `close` and `end_round`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::net;
use crate::phone::{badge, unit_name};
use crate::procstat::ProcWatch;
use crate::samples::{Kind, ROUND_LEVEL, Recorder, Sample, micros, now_us};

/// What the driver sets up and runs.
pub struct Plan {
    pub participants: usize,
    pub open: bool,
    pub live_questions: usize,
    pub exam_questions: usize,
    pub window_ms: u64,
    pub exam_interval_ms: u64,
    pub slack_ms: u64,
    pub settle_ms: u64,
    pub join_code: Option<String>,
    pub admin_password: String,
    /// The phones run in this process (role `all`): wait on their own counts instead of the server's.
    pub local_phones: bool,
}

pub struct Driver {
    http: reqwest::Client,
    base: String,
    token: String,
    pub contest_id: i64,
    pub code: String,
    live_round: Option<i64>,
    exam_round: Option<i64>,
    rec: Recorder,
    view: Arc<OrgView>,
    sockets: Vec<tokio::task::JoinHandle<()>>,
    proc_watch: Option<ProcWatch>,
    /// Participants the rounds wait for: all of them, or those that connected (role `all`).
    expected: usize,
    /// The phones run in this process: wait on their own samples.
    expected_local: bool,
}

/// What the organizer socket has told: the server's own counts, used when the phones are other processes.
#[derive(Default)]
struct OrgView {
    joined: AtomicI64,
    answered: Mutex<HashMap<(i64, i64), i64>>,
    submitted: Mutex<HashMap<i64, i64>>,
}

impl Driver {
    pub async fn setup(
        plan: &Plan,
        base: &str,
        ws_base: &str,
        server: SocketAddr,
        rec: Recorder,
        proc_watch: Option<ProcWatch>,
    ) -> Result<Self, String> {
        let http = net::http_client(None)?;
        let login = json!({"username": "admin", "password": plan.admin_password});
        let token = net::request(
            &http,
            Method::POST,
            &format!("{base}/api/auth/login"),
            None,
            Some(&login),
        )
        .await
        .map_err(|e| format!("login: {e}"))?["token"]
            .as_str()
            .ok_or("login: no token")?
            .to_string();
        let created = net::request(
            &http,
            Method::POST,
            &format!("{base}/api/contests"),
            Some(&token),
            Some(&contest_body(plan)),
        )
        .await
        .map_err(|e| format!("create contest: {e}"))?;
        let contest_id = created["id"].as_i64().ok_or("create contest: no id")?;
        let code = created["join_code"]
            .as_str()
            .ok_or("create contest: no join code")?
            .to_string();
        let detail = net::request(
            &http,
            Method::GET,
            &format!("{base}/api/contests/{contest_id}"),
            Some(&token),
            None,
        )
        .await
        .map_err(|e| format!("contest snapshot: {e}"))?;
        let round_of_kind = |kind: &str| {
            detail["rounds"]
                .as_array()
                .and_then(|rounds| rounds.iter().find(|r| r["kind"] == kind))
                .and_then(|r| r["id"].as_i64())
        };
        let (live_round, exam_round) = (round_of_kind("live"), round_of_kind("exam"));
        if !plan.open {
            let mut csv = String::from("name,badge,unit\n");
            for n in 0..plan.participants {
                csv.push_str(&format!("officer {n},{},{}\n", badge(n), unit_name(n)));
            }
            let response = http
                .post(format!("{base}/api/contests/{contest_id}/roster"))
                .bearer_auth(&token)
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
                .map_err(|e| format!("roster: {e}"))?;
            if !response.status().is_success() {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                return Err(format!("roster: {status} {text}"));
            }
        }
        let display = net::request(
            &http,
            Method::POST,
            &format!("{base}/api/contests/{contest_id}/display-token"),
            Some(&token),
            None,
        )
        .await
        .map_err(|e| format!("display token: {e}"))?;
        let display_token = display["token"].as_str().ok_or("display token: none")?;
        let view = Arc::new(OrgView::default());
        let organizer_ws = net::ws_connect(
            &format!("{ws_base}/ws?token={token}&contest={contest_id}"),
            server,
            None,
        )
        .await
        .map_err(|e| format!("organizer socket: {e}"))?;
        let display_ws = net::ws_connect(&format!("{ws_base}/ws?token={display_token}"), server, None)
            .await
            .map_err(|e| format!("display socket: {e}"))?;
        let sockets = vec![
            tokio::spawn(watch(organizer_ws, "organizer", rec.clone(), Some(view.clone()))),
            tokio::spawn(watch(display_ws, "display", rec.clone(), None)),
        ];
        for (name, value) in [
            ("participants", plan.participants),
            ("exam_questions", plan.exam_questions),
        ] {
            rec.record(Sample {
                d: value as i64,
                e: name.into(),
                ..Sample::new(Kind::Plan)
            });
        }
        println!("contest {contest_id}, join code {code}");
        Ok(Self {
            http,
            base: base.to_string(),
            token,
            contest_id,
            code,
            live_round,
            exam_round,
            rec,
            view,
            sockets,
            proc_watch,
            expected: plan.participants,
            expected_local: plan.local_phones,
        })
    }

    /// Record a server figure when `--server-pid` was given.
    fn server_figure(&self, name: &str, r: i64, i: i64, value: i64) {
        self.rec.record(Sample {
            d: value,
            e: name.into(),
            ..Sample::at(Kind::Server, r, i, now_us())
        });
    }

    /// The server before the joins, once the contest is set up: loading its banks and pools is a fixed cost, not
    /// a participant's.
    pub fn server_baseline(&self) -> Option<(i64, i64)> {
        let watch = self.proc_watch.as_ref()?;
        let rss = watch.rss_kib();
        self.server_figure("rss_baseline_kib", 0, 0, rss);
        Some((rss, watch.cpu_us()))
    }

    /// After the joins: server memory and the CPU the joins took.
    pub fn server_after_joins(&self, baseline: Option<(i64, i64)>) {
        if let (Some(watch), Some((_, cpu0))) = (&self.proc_watch, baseline) {
            self.server_figure("rss_joined_kib", 0, 0, watch.rss_kib());
            self.server_figure("cpu_joins_us", 0, 0, watch.cpu_us() - cpu0);
        }
    }

    /// Role `driver`: wait until the phones of the other processes have joined and connected.
    pub async fn wait_for_remote_phones(&mut self, plan: &Plan, stop_at: Instant) -> Result<(), String> {
        let want = plan.participants as i64;
        println!("waiting for {want} participants to join");
        while self.view.joined.load(Ordering::Relaxed) < want {
            if Instant::now() >= stop_at {
                return Err(format!(
                    "only {} of {want} joined",
                    self.view.joined.load(Ordering::Relaxed)
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        loop {
            let list = net::request(
                &self.http,
                Method::GET,
                &format!("{}/api/contests/{}/participants", self.base, self.contest_id),
                Some(&self.token),
                None,
            )
            .await?;
            let connected = list["participants"]
                .as_array()
                .map_or(0, |a| a.iter().filter(|p| p["connected"] == true).count());
            if connected as i64 >= want {
                break;
            }
            if Instant::now() >= stop_at {
                return Err(format!("only {connected} of {want} connected"));
            }
            tokio::time::sleep(Duration::from_millis(1000)).await;
        }
        Ok(())
    }

    /// Role `all`: the rounds wait for the phones that did connect.
    pub fn expect(&mut self, connected: usize) {
        self.expected = connected;
    }

    async fn control(&self, action: Value) -> Result<Value, String> {
        let url = format!("{}/api/contests/{}/control", self.base, self.contest_id);
        net::request(&self.http, Method::POST, &url, Some(&self.token), Some(&action))
            .await
            .map_err(|e| format!("control {action}: {e}"))
    }

    pub async fn run_live(&self, plan: &Plan) -> Result<(), String> {
        let Some(round) = self.live_round else {
            return Ok(());
        };
        self.control(json!({"action": "start_round", "round_id": round}))
            .await?;
        let want = self.expected;
        for index in 0..plan.live_questions as i64 {
            let cpu0 = self.proc_watch.as_ref().map(ProcWatch::cpu_us);
            let sent = Instant::now();
            self.rec
                .record(Sample::at(Kind::OpenSent, round, index, now_us()));
            let opened = self.control(json!({"action": "next"})).await?;
            if opened["question"]["index"].as_i64() != Some(index) {
                return Err(format!(
                    "next opened {}, expected index {index}",
                    opened["question"]["index"]
                ));
            }
            let deadline = sent + Duration::from_millis(plan.window_ms + plan.slack_ms);
            let all_answered = if plan.local_phones {
                self.rec
                    .wait_until(deadline, |rec| {
                        rec.count(Kind::Ack, round, index) + rec.count(Kind::Error, round, index) >= want
                    })
                    .await
            } else {
                let view = self.view.clone();
                let answered = move || {
                    view.answered
                        .lock()
                        .map_or(0, |m| m.get(&(round, index)).copied().unwrap_or(0))
                };
                self.rec.wait_until(deadline, |_| answered() >= want as i64).await
            };
            if !all_answered {
                eprintln!("question {index}: not every answer was acknowledged in time; closing anyway");
            }
            let close_at = Instant::now();
            self.rec
                .record(Sample::at(Kind::CloseSent, round, index, now_us()));
            let closed = self.control(json!({"action": "close"})).await?;
            let counted = closed["question"]["result"]["answered"].as_i64().unwrap_or(-1);
            self.rec.record(Sample {
                d: counted,
                ..Sample::at(Kind::Counted, round, index, now_us())
            });
            self.wait_settled(plan, close_at, |rec| {
                rec.count(Kind::Ranked, round, index) >= want
            })
            .await;
            if let (Some(watch), Some(cpu0)) = (&self.proc_watch, cpu0) {
                self.server_figure("cpu_question_us", round, index, watch.cpu_us() - cpu0);
            }
            println!(
                "question {index}: open→close {:.2} s, server counted {counted} answers",
                micros(close_at - sent) as f64 / 1e6
            );
        }
        self.control(json!({"action": "end_round"})).await?;
        Ok(())
    }

    pub async fn run_exam(&self, plan: &Plan) -> Result<(), String> {
        let Some(round) = self.exam_round else {
            return Ok(());
        };
        let cpu0 = self.proc_watch.as_ref().map(ProcWatch::cpu_us);
        let started = Instant::now();
        self.control(json!({"action": "start_round", "round_id": round}))
            .await?;
        let want = self.expected;
        // Papers take as long as the server needs to acknowledge their answers: wait while the phones make
        // progress, and give up after `--slack-ms` without any (or at the papers' time limit).
        let hard_stop = started + Duration::from_secs(exam_time_limit_s(plan));
        let idle = Duration::from_millis(plan.slack_ms);
        let (mut seen, mut last_change) = (-1i64, Instant::now());
        let all_submitted = loop {
            let (done, activity) = self.exam_progress(round, plan.exam_questions);
            if done >= want as i64 {
                break true;
            }
            if activity != seen {
                (seen, last_change) = (activity, Instant::now());
            }
            if last_change.elapsed() > idle || Instant::now() > hard_stop {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        if !all_submitted {
            eprintln!("exam: not every paper was submitted in time; ending the round anyway");
        }
        let end_at = Instant::now();
        self.rec
            .record(Sample::at(Kind::EndSent, round, ROUND_LEVEL, now_us()));
        self.control(json!({"action": "end_round"})).await?;
        self.wait_settled(plan, end_at, |rec| {
            rec.count(Kind::ExamResult, round, ROUND_LEVEL) >= want
        })
        .await;
        if let (Some(watch), Some(cpu0)) = (&self.proc_watch, cpu0) {
            self.server_figure("cpu_exam_us", round, ROUND_LEVEL, watch.cpu_us() - cpu0);
        }
        println!("exam: start→end {:.2} s", micros(end_at - started) as f64 / 1e6);
        Ok(())
    }

    /// (papers done, a count that grows while the phones work on them). Phones here: their submissions, errors
    /// and acknowledged answers; phones elsewhere: the server's count of submitted papers.
    fn exam_progress(&self, round: i64, questions: usize) -> (i64, i64) {
        if self.expected_local {
            let rec = &self.rec;
            let done =
                rec.count(Kind::Submitted, round, ROUND_LEVEL) + rec.count(Kind::Error, round, ROUND_LEVEL);
            let opened = rec.count(Kind::ExamStarted, round, ROUND_LEVEL);
            let answers: usize = (0..questions as i64)
                .map(|i| rec.count(Kind::Ack, round, i) + rec.count(Kind::Error, round, i))
                .sum();
            (done as i64, (done + opened + answers) as i64)
        } else {
            let submitted = self
                .view
                .submitted
                .lock()
                .map_or(0, |m| m.get(&round).copied().unwrap_or(0));
            (submitted, submitted)
        }
    }

    /// After a close or an end: wait for this process's phones, or (phones elsewhere) a fixed settle time.
    async fn wait_settled(&self, plan: &Plan, since: Instant, done: impl Fn(&Recorder) -> bool) {
        if plan.local_phones {
            let deadline = since + Duration::from_millis(plan.slack_ms);
            if !self.rec.wait_until(deadline, done).await {
                eprintln!("not every phone got its result within {} ms", plan.slack_ms);
            }
        } else {
            tokio::time::sleep(Duration::from_millis(plan.settle_ms)).await;
        }
    }

    /// Finish the contest (every phone ends on `contest_state: finished`) and close the console sockets.
    pub async fn finish(self) -> Result<(), String> {
        let result = self.control(json!({"action": "finish"})).await.map(|_| ());
        if let Some(watch) = &self.proc_watch {
            self.server_figure("rss_end_kib", 0, 0, watch.rss_kib());
        }
        for socket in self.sockets {
            // They end on `contest_state: finished`; do not wait forever for it.
            let _ = tokio::time::timeout(Duration::from_secs(10), socket).await;
        }
        result
    }
}

fn contest_body(plan: &Plan) -> Value {
    let mut rounds = Vec::new();
    if plan.live_questions > 0 {
        // Long enough that only the driver closes questions, so close → ranked is measured from its `close`.
        let seconds = ((plan.window_ms + plan.slack_ms) / 1000 + 30).clamp(3, 3600);
        rounds.push(json!({"title": "live", "kind": "live", "config": {
            "blueprint": {"quotas": [{"type": "single", "count": plan.live_questions}]},
            "question_seconds": seconds, "close_when_all_answered": false}}));
    }
    if plan.exam_questions > 0 {
        let seconds = exam_time_limit_s(plan);
        rounds.push(json!({"title": "exam", "kind": "exam", "config": {
            "blueprint": {"quotas": [{"type": "single", "count": plan.exam_questions}]},
            "time_limit_seconds": seconds}}));
    }
    let mut body = json!({
        "title": format!("jingsai-load {}", plan.participants),
        "bank_ids": ["party-history"],
        "join_mode": if plan.open { "open" } else { "roster" },
        "rounds": rounds,
    });
    if let Some(code) = &plan.join_code {
        body["join_code"] = json!(code);
    }
    body
}

/// The papers' time limit: ample, so that the driver (not the clock) ends the exam.
fn exam_time_limit_s(plan: &Plan) -> u64 {
    let work = plan.exam_interval_ms * plan.exam_questions as u64 / 1000;
    (work + plan.slack_ms / 1000 * 3 + 600).clamp(5, 86_400)
}

/// Drain a console socket (organizer or display): count its frames and bytes, and keep the server's counts.
async fn watch(ws: net::Ws, role: &'static str, rec: Recorder, view: Option<Arc<OrgView>>) {
    let (mut sink, mut stream) = ws.split();
    let (mut frames, mut bytes) = (0i64, 0i64);
    while let Some(Ok(message)) = stream.next().await {
        let Message::Text(text) = message else { continue };
        frames += 1;
        bytes += text.len() as i64;
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if let Some(view) = &view {
            note(view, &v);
        }
        if v["type"] == "contest_state" && v["state"] == "finished" {
            break;
        }
    }
    let _ = sink.send(Message::Close(None)).await;
    for (k, d) in [(Kind::Frames, frames), (Kind::Bytes, bytes)] {
        rec.record(Sample {
            d,
            e: role.into(),
            ..Sample::new(k)
        });
    }
}

/// The server's counts, from whichever organizer events carry them (they may come coalesced).
fn note(view: &OrgView, v: &Value) {
    let joined = v["joined_count"].as_i64().or_else(|| v["joined"].as_i64());
    if let Some(joined) = joined
        && matches!(
            v["type"].as_str(),
            Some("lobby" | "snapshot" | "progress" | "answer_count")
        )
    {
        view.joined.fetch_max(joined, Ordering::Relaxed);
    }
    match v["type"].as_str() {
        Some("progress" | "answer_count") => {
            if let (Some(r), Some(i), Some(n)) = (
                v["round_id"].as_i64(),
                v["index"].as_i64(),
                v["answered"].as_i64(),
            ) && let Ok(mut map) = view.answered.lock()
            {
                let entry = map.entry((r, i)).or_default();
                *entry = (*entry).max(n);
            }
        }
        Some("exam_progress") => {
            if let (Some(r), Some(n)) = (v["round_id"].as_i64(), v["submitted"].as_i64())
                && let Ok(mut map) = view.submitted.lock()
            {
                let entry = map.entry(r).or_default();
                *entry = (*entry).max(n);
            }
        }
        _ => {}
    }
}
