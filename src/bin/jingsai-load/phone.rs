//! One simulated phone: joins, keeps its WebSocket open, answers live questions at a random moment of the
//! answer window, works through an exam paper, and records what it measured.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rand::RngExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use crate::net;
use crate::samples::{Kind, ROUND_LEVEL, Recorder, Sample, micros, now_us};

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Via {
    Ws,
    Http,
}

/// What every phone of the process shares.
pub struct Ctx {
    pub base: String,
    pub ws_base: String,
    pub server: SocketAddr,
    pub rec: Recorder,
    pub via: Via,
    /// How exam papers are opened and handed in.
    pub exam_via: Via,
    pub window_ms: u64,
    pub exam_interval_ms: u64,
    /// Nothing waits past this moment.
    pub stop_at: Instant,
    /// Role `phones`: the contest may exist before its roster is imported.
    pub wait_for_roster: bool,
}

/// How often a join is sent again after its connection closed before any response.
const MAX_RESENDS: u32 = 2;

/// How long a phone of role `phones` retries a join refused with `unknown_badge`.
const ROSTER_WAIT: Duration = Duration::from_secs(120);

/// How a phone joins: a roster badge, or (open mode) a name and unit.
pub fn join_body(code: &str, n: usize, open: bool) -> Value {
    if open {
        json!({"code": code, "name": format!("load {n}"), "unit": unit_name(n)})
    } else {
        json!({"code": code, "badge": badge(n)})
    }
}

pub fn badge(n: usize) -> String {
    format!("{:06}", 100_001 + n)
}

pub fn unit_name(n: usize) -> String {
    format!("unit {}", n % 8 + 1)
}

type AckResult = Result<bool, String>;

/// State of one phone that its helper tasks (answers, exam) share with its socket task.
pub struct Phone {
    pub token: String,
    pub http: reqwest::Client,
    /// Frames to send on the WebSocket (answers in `--answer-via ws`, exam requests in `--exam-via ws`).
    pub out: mpsc::UnboundedSender<String>,
    /// WebSocket answers waiting for `answer_ack` / `answer_error`, by (round, index).
    pending: Mutex<HashMap<(i64, i64), oneshot::Sender<AckResult>>>,
    /// WebSocket exam requests waiting for their reply, by `ref` (see exam.rs).
    pub requests: Mutex<HashMap<String, oneshot::Sender<Result<Value, String>>>>,
    /// Acknowledged answers, checked against `my_result` / `exam_result`.
    acked: Mutex<HashSet<(i64, i64)>>,
}

/// Join participant `n` and open its WebSocket. On success the phone runs in its own task until the contest
/// finishes, its socket closes, or `ctx.stop_at`.
pub async fn join_and_connect(
    ctx: Arc<Ctx>,
    http: reqwest::Client,
    local: Option<IpAddr>,
    body: Value,
) -> Option<tokio::task::JoinHandle<()>> {
    let url = format!("{}/api/join", ctx.base);
    let retry_until = Instant::now() + ROSTER_WAIT;
    let mut resent = 0;
    let (joined, t, started) = loop {
        let (t, started) = (now_us(), Instant::now());
        ctx.rec.record(Sample {
            e: "join".into(),
            ..Sample::new(Kind::Http)
        });
        match net::request(&http, Method::POST, &url, None, Some(&body)).await {
            Ok(v) => break (v, t, started),
            // Phones of another process than the driver may come before the roster: try again.
            Err(kind)
                if ctx.wait_for_roster
                    && kind.ends_with(":unknown_badge")
                    && Instant::now() < retry_until =>
            {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            // A pooled keep-alive connection the server closed as the request went out: sent again, as a
            // browser does when a reused connection closes before any response.
            // Each attempt counts as a `join` request in the report's phone HTTP figures.
            Err(kind) if kind == "request" && resent < MAX_RESENDS => resent += 1,
            Err(kind) => {
                ctx.rec.error(format!("join:{kind}"), 0, 0);
                return None;
            }
        }
    };
    ctx.rec.record(Sample {
        d: micros(started.elapsed()),
        ..Sample::at(Kind::Join, 0, 0, t)
    });
    let Some(token) = joined["token"].as_str().map(str::to_string) else {
        ctx.rec.error("join:no_token", 0, 0);
        return None;
    };
    let t = now_us();
    let started = Instant::now();
    let ws_url = format!("{}/ws?token={token}", ctx.ws_base);
    let ws = match net::ws_connect(&ws_url, ctx.server, local).await {
        Ok(ws) => ws,
        Err(kind) => {
            ctx.rec.error(kind, 0, 0);
            return None;
        }
    };
    ctx.rec.record(Sample {
        d: micros(started.elapsed()),
        ..Sample::at(Kind::Connect, 0, 0, t)
    });
    let (out, out_rx) = mpsc::unbounded_channel();
    let phone = Arc::new(Phone {
        token,
        http,
        out,
        pending: Mutex::new(HashMap::new()),
        requests: Mutex::new(HashMap::new()),
        acked: Mutex::new(HashSet::new()),
    });
    Some(tokio::spawn(run(ctx, phone, ws, out_rx)))
}

/// What the socket task remembers between frames.
#[derive(Default)]
struct Seen {
    answering: HashSet<(i64, i64)>,
    exams: HashSet<i64>,
    ranked: HashSet<(i64, i64)>,
    /// A `my_result` without `rank` arrived: the next `my_rank` ranks this question.
    rank_pending: Option<(i64, i64)>,
    frames: i64,
    bytes: i64,
}

async fn run(ctx: Arc<Ctx>, phone: Arc<Phone>, ws: net::Ws, mut out_rx: mpsc::UnboundedReceiver<String>) {
    let (mut sink, mut stream) = ws.split();
    let mut seen = Seen::default();
    let stop = tokio::time::Instant::from_std(ctx.stop_at);
    loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    seen.frames += 1;
                    seen.bytes += text.len() as i64;
                    let Ok(value) = serde_json::from_str::<Value>(&text) else {
                        ctx.rec.error("ws_not_json", 0, 0);
                        continue;
                    };
                    if !on_frame(&ctx, &phone, &mut seen, &value) {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None => {
                    ctx.rec.error("ws_closed_by_server", 0, 0);
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) => {
                    ctx.rec.error("ws_read", 0, 0);
                    break;
                }
            },
            Some(frame) = out_rx.recv() => {
                if sink.send(Message::Text(frame.into())).await.is_err() {
                    ctx.rec.error("ws_write", 0, 0);
                    break;
                }
            }
            _ = tokio::time::sleep_until(stop) => {
                ctx.rec.error("phone_timeout", 0, 0);
                break;
            }
        }
    }
    let _ = sink.send(Message::Close(None)).await;
    // Unanswered WebSocket answers and exam requests fail now instead of waiting for their timeout.
    phone.pending.lock().unwrap_or_else(|e| e.into_inner()).clear();
    phone.requests.lock().unwrap_or_else(|e| e.into_inner()).clear();
    ctx.rec.record(Sample {
        d: seen.frames,
        e: "participant".into(),
        ..Sample::new(Kind::Frames)
    });
    ctx.rec.record(Sample {
        d: seen.bytes,
        e: "participant".into(),
        ..Sample::new(Kind::Bytes)
    });
}

/// React to one frame; false ends the phone (contest finished, session replaced).
fn on_frame(ctx: &Arc<Ctx>, phone: &Arc<Phone>, seen: &mut Seen, v: &Value) -> bool {
    let round_of = |v: &Value| v["round_id"].as_i64().unwrap_or(0);
    let index_of = |v: &Value| v["index"].as_i64().unwrap_or(0);
    match v["type"].as_str().unwrap_or("") {
        "question_open" => {
            let q = &v["question"];
            let key = (round_of(q), index_of(q));
            ctx.rec.record(Sample::at(Kind::OpenRecv, key.0, key.1, now_us()));
            start_live_answer(ctx, phone, seen, q);
        }
        "snapshot" => {
            // A phone that connected after the question opened (or the exam started) catches up from here.
            let q = &v["question"];
            if q["state"] == "open" && q["my_answer"].is_null() {
                start_live_answer(ctx, phone, seen, q);
            }
            let round = &v["round"];
            if round["kind"] == "exam" && round["state"] == "running" && v["exam"]["submitted_at"].is_null() {
                start_exam(ctx, phone, seen, round["id"].as_i64().unwrap_or(0));
            }
        }
        "round_started" => {
            let round = &v["round"];
            if round["kind"] == "exam" {
                start_exam(ctx, phone, seen, round["id"].as_i64().unwrap_or(0));
            }
        }
        "answer_ack" | "answer_error" => {
            // The WebSocket answer path; acks of HTTP answers also arrive here and are not waited for.
            let body = if v["ack"].is_object() { &v["ack"] } else { v };
            let key = match (body["round_id"].as_i64(), body["index"].as_i64()) {
                (Some(r), Some(i)) => (r, i),
                _ => ref_key(&v["ref"]),
            };
            let waiting = phone
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&key);
            if let Some(tx) = waiting {
                let result = if v["type"] == "answer_ack" {
                    Ok(body["duplicate"].as_bool().unwrap_or(false))
                } else {
                    Err(format!("ws:{}", v["code"].as_str().unwrap_or("answer_error")))
                };
                let _ = tx.send(result);
            }
        }
        "exam_paper" | "exam_submitted" | "exam_error" => crate::exam::on_reply(phone, v),
        "my_result" => {
            let key = (round_of(v), index_of(v));
            let acked = phone
                .acked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&key);
            if acked && v["answered"] != true {
                ctx.rec.record(Sample::at(Kind::Lost, key.0, key.1, now_us()));
            }
            if v.get("rank").is_some_and(|r| !r.is_null()) {
                ranked(ctx, seen, key);
            } else {
                seen.rank_pending = Some(key);
            }
        }
        "my_rank" => {
            if let Some(key) = seen.rank_pending.take() {
                ranked(ctx, seen, key);
            }
        }
        "exam_result" => {
            let r = round_of(v);
            let saved: HashSet<i64> = v["exam"]["answers"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x["index"].as_i64()).collect())
                .unwrap_or_default();
            let acked: Vec<i64> = phone
                .acked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .filter(|(ar, _)| *ar == r)
                .map(|(_, i)| *i)
                .collect();
            let mut found = 0;
            for i in acked {
                if saved.contains(&i) {
                    found += 1;
                } else {
                    ctx.rec.record(Sample::at(Kind::Lost, r, i, now_us()));
                }
            }
            ctx.rec.record(Sample {
                d: found,
                ..Sample::at(Kind::ExamResult, r, ROUND_LEVEL, now_us())
            });
        }
        "contest_state" if v["state"] == "finished" => return false,
        "session_replaced" => {
            ctx.rec.error("session_replaced", 0, 0);
            return false;
        }
        "error" => {
            // An error frame answers this client's own message; a server without WebSocket answers refuses
            // them this way (`unknown_message`), so the answers waiting for an ack fail now.
            let code = v["code"].as_str().unwrap_or("?");
            ctx.rec.error(format!("ws_error:{code}"), 0, 0);
            let waiting: Vec<_> = phone
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .drain()
                .map(|(_, tx)| tx)
                .collect();
            for tx in waiting {
                let _ = tx.send(Err(format!("ws:{code}")));
            }
            let requests: Vec<_> = phone
                .requests
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .drain()
                .map(|(_, tx)| tx)
                .collect();
            for tx in requests {
                let _ = tx.send(Err(format!("ws:{code}")));
            }
        }
        _ => {}
    }
    true
}

/// The `"ref": "ROUND:INDEX"` a WebSocket answer carries, echoed by an error that names no question.
fn ref_key(reference: &Value) -> (i64, i64) {
    let text = reference.as_str().unwrap_or("");
    let (r, i) = text.split_once(':').unwrap_or(("0", "0"));
    (r.parse().unwrap_or(0), i.parse().unwrap_or(0))
}

fn ranked(ctx: &Ctx, seen: &mut Seen, key: (i64, i64)) {
    if seen.ranked.insert(key) {
        ctx.rec.record(Sample::at(Kind::Ranked, key.0, key.1, now_us()));
    }
}

/// Answer a live question (a random option) at a uniform random moment within the answer window.
fn start_live_answer(ctx: &Arc<Ctx>, phone: &Arc<Phone>, seen: &mut Seen, q: &Value) {
    let key = (
        q["round_id"].as_i64().unwrap_or(0),
        q["index"].as_i64().unwrap_or(0),
    );
    if !seen.answering.insert(key) {
        return;
    }
    let options = q["question"]["options"].as_array().map_or(0, Vec::len);
    let (delay, choice) = {
        let mut rng = rand::rng();
        (
            rng.random_range(0..=ctx.window_ms),
            rng.random_range(0..options.max(1)),
        )
    };
    let (ctx, phone) = (ctx.clone(), phone.clone());
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        answer(&ctx, &phone, key.0, key.1, choice).await;
    });
}

/// Work through the exam paper of `round`, once per round (see exam.rs).
fn start_exam(ctx: &Arc<Ctx>, phone: &Arc<Phone>, seen: &mut Seen, round: i64) {
    if seen.exams.insert(round) {
        crate::exam::start(ctx, phone, round);
    }
}

/// Send one answer and wait for its acknowledgement; records an `Ack` sample or an error for (round, index), and
/// tells whether it was acknowledged.
pub async fn answer(ctx: &Ctx, phone: &Phone, round: i64, index: i64, choice: usize) -> bool {
    let body = json!({"round_id": round, "index": index, "choice": [choice]});
    let t = now_us();
    let started = Instant::now();
    let result = match ctx.via {
        Via::Http => {
            let url = format!("{}/api/answers", ctx.base);
            ctx.rec.record(Sample {
                e: "answer".into(),
                ..Sample::new(Kind::Http)
            });
            net::request(&phone.http, Method::POST, &url, Some(&phone.token), Some(&body))
                .await
                .map(|v| v["duplicate"].as_bool().unwrap_or(false))
        }
        Via::Ws => {
            let (tx, rx) = oneshot::channel();
            phone
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((round, index), tx);
            let mut frame = body;
            frame["type"] = json!("answer");
            frame["ref"] = json!(format!("{round}:{index}"));
            if phone.out.send(frame.to_string()).is_err() {
                Err("ws:socket_gone".to_string())
            } else {
                match tokio::time::timeout(net::request_timeout(), rx).await {
                    Ok(Ok(result)) => result,
                    Ok(Err(_)) => Err("ws:socket_gone".to_string()),
                    Err(_) => Err("ws:ack_timeout".to_string()),
                }
            }
        }
    };
    match result {
        Ok(duplicate) => {
            // Remember the ack before counting it: the driver closes the question once every ack is counted,
            // and the `my_result` that follows is checked against this set.
            phone
                .acked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((round, index));
            ctx.rec.record(Sample {
                d: micros(started.elapsed()),
                e: if duplicate {
                    "duplicate".into()
                } else {
                    String::new()
                },
                ..Sample::at(Kind::Ack, round, index, t)
            });
            true
        }
        Err(kind) => {
            ctx.rec.error(format!("answer:{kind}"), round, index);
            false
        }
    }
}
