//! Quizler players for `--protocol quizler`: each joins over its socket (`Connect`, `Join`), answers `Ready` to
//! every question, answers at a random moment of the window once answers are awaited, and records what it
//! measured. The silent player keeps each question open (see the parent module).

use std::collections::{HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use futures_util::stream::StreamExt;
use rand::RngExt;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use super::{Ctx, ROUND};
use crate::net::{self, Ws};
use crate::samples::{Kind, Sample, micros, now_us};

/// Join players 0..n with at most `concurrency` joins (socket upgrade, `Connect`, `Join`) in flight.
pub async fn join_all(
    ctx: &Arc<Ctx>,
    ips: &[IpAddr],
    n: usize,
    concurrency: usize,
) -> Vec<tokio::task::JoinHandle<()>> {
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let joins: Vec<_> = (0..n)
        .map(|k| {
            let (ctx, permits, ip) = (ctx.clone(), permits.clone(), ips[k % ips.len()]);
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.ok()?;
                join(ctx, k, Some(ip), false).await
            })
        })
        .collect();
    let mut players = Vec::with_capacity(n);
    for handle in joins {
        if let Ok(Some(player)) = handle.await {
            players.push(player);
        }
    }
    players
}

/// Connect player `k` and join the game; on success it runs in its own task until the game stops. The silent
/// player records nothing but its errors.
pub async fn join(
    ctx: Arc<Ctx>,
    k: usize,
    local: Option<IpAddr>,
    silent: bool,
) -> Option<tokio::task::JoinHandle<()>> {
    let (t, started) = (now_us(), Instant::now());
    let ws = match net::ws_connect(&ctx.ws_url, ctx.server, local).await {
        Ok(ws) => ws,
        Err(kind) => {
            ctx.rec.error(kind, 0, 0);
            return None;
        }
    };
    if !silent {
        ctx.rec.record(Sample {
            d: micros(started.elapsed()),
            ..Sample::at(Kind::Connect, 0, 0, t)
        });
    }
    let (joined_tx, joined_rx) = oneshot::channel();
    let player = Player {
        name: if silent {
            "silent".into()
        } else {
            format!("player {k}")
        },
        silent,
        joined: Some(joined_tx),
        ..Player::default()
    };
    let task = tokio::spawn(player.run(ctx.clone(), ws));
    match tokio::time::timeout(net::request_timeout(), joined_rx).await {
        Ok(Ok(true)) => Some(task),
        Ok(_) => None,
        Err(_) => {
            task.abort();
            ctx.rec.error("join:quizler:timeout", 0, 0);
            None
        }
    }
}

/// A request waiting for its reply.
enum Pending {
    Connect { t: i64, started: Instant },
    Join { t: i64, started: Instant },
    Ready,
    Answer { index: i64, t: i64, started: Instant },
}

#[derive(Default)]
struct Player {
    name: String,
    silent: bool,
    joined: Option<oneshot::Sender<bool>>,
    id: Option<i64>,
    pending: VecDeque<Pending>,
    /// The current question, -1 before the first.
    question: i64,
    options: usize,
    acked: HashSet<i64>,
    ranked: HashSet<i64>,
    outbox: Vec<String>,
    frames: i64,
    bytes: i64,
}

impl Player {
    async fn run(mut self, ctx: Arc<Ctx>, ws: Ws) {
        self.question = -1;
        let (mut sink, mut stream) = ws.split();
        let (due_tx, mut due_rx) = mpsc::unbounded_channel::<(i64, usize)>();
        let stop = tokio::time::Instant::from_std(ctx.stop_at);
        self.outbox
            .push(json!({"ty": "Connect", "token": ctx.token}).to_string());
        self.pending.push_back(Pending::Connect {
            t: now_us(),
            started: Instant::now(),
        });
        loop {
            for frame in std::mem::take(&mut self.outbox) {
                if sink.send(Message::text(frame)).await.is_err() {
                    self.error(&ctx, "ws_write", None);
                    return self.end(&ctx);
                }
            }
            tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        if !self.on_frame(&ctx, text.as_str(), &due_tx) {
                            break;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => {
                        self.error(&ctx, "ws_closed_by_server", None);
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) => {
                        self.error(&ctx, "ws_read", None);
                        break;
                    }
                },
                Some((index, choice)) = due_rx.recv() => {
                    let answer = json!({"ty": "Answer", "answer": {"ty": "Single", "answer": choice}});
                    self.outbox.push(answer.to_string());
                    self.pending.push_back(Pending::Answer { index, t: now_us(), started: Instant::now() });
                }
                _ = tokio::time::sleep_until(stop) => {
                    self.error(&ctx, "phone_timeout", None);
                    break;
                }
            }
        }
        let _ = sink.send(Message::Close(None)).await;
        self.end(&ctx);
    }

    /// Record an error, for question `index` when it belongs to an answer (the host waits on those).
    fn error(&self, ctx: &Ctx, kind: &str, index: Option<i64>) {
        let kind = if self.silent {
            format!("silent player: {kind}")
        } else {
            kind.to_string()
        };
        match index {
            Some(i) => ctx.rec.error(kind, ROUND, i),
            None => ctx.rec.error(kind, 0, 0),
        }
    }

    fn end(mut self, ctx: &Ctx) {
        if let Some(joined) = self.joined.take() {
            let _ = joined.send(false);
        }
        for pending in std::mem::take(&mut self.pending) {
            if let Pending::Answer { index, .. } = pending {
                ctx.rec.error("answer:ws:no_ack", ROUND, index);
            }
        }
        if !self.silent {
            for (k, d) in [(Kind::Frames, self.frames), (Kind::Bytes, self.bytes)] {
                ctx.rec.record(Sample {
                    d,
                    e: "participant".into(),
                    ..Sample::new(k)
                });
            }
        }
    }

    /// React to one frame; false ends the player (the game stopped).
    fn on_frame(&mut self, ctx: &Ctx, text: &str, due: &mpsc::UnboundedSender<(i64, usize)>) -> bool {
        self.frames += 1;
        self.bytes += text.len() as i64;
        // The two frames whose size grows with the players are recognized by their start, not parsed.
        if text.starts_with(r#"{"ty":"PlayerData""#) {
            return true;
        }
        if text.starts_with(r#"{"ty":"Scores""#) {
            if !self.silent && self.ranked.insert(self.question) {
                ctx.rec
                    .record(Sample::at(Kind::Ranked, ROUND, self.question, now_us()));
            }
            return true;
        }
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            self.error(ctx, "ws_not_json", None);
            return true;
        };
        if v["ret"] == 1 {
            return self.on_reply(ctx, &v);
        }
        match v["ty"].as_str().unwrap_or("") {
            "Question" => {
                self.question += 1;
                self.options = v["question"]["answers"].as_array().map_or(0, Vec::len);
                self.outbox.push(json!({"ty": "Ready"}).to_string());
                self.pending.push_back(Pending::Ready);
            }
            "GameState" if v["state"] == "AwaitingAnswers" && !self.silent => {
                let index = self.question;
                ctx.rec.record(Sample::at(Kind::OpenRecv, ROUND, index, now_us()));
                let (delay, choice) = {
                    let mut rng = rand::rng();
                    (
                        rng.random_range(0..=ctx.window_ms),
                        rng.random_range(0..self.options.max(1)),
                    )
                };
                let due = due.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    let _ = due.send((index, choice));
                });
            }
            "Score" if !self.silent => {
                let index = self.question;
                ctx.scored
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((index, now_us()));
                if self.acked.contains(&index) {
                    if v["score"]["ty"] == "Correct" {
                        ctx.rec.record(Sample {
                            d: 1,
                            ..Sample::at(Kind::Counted, ROUND, index, now_us())
                        });
                    } else {
                        ctx.rec.record(Sample::at(Kind::Lost, ROUND, index, now_us()));
                    }
                }
            }
            "Kicked" if v["id"].as_i64() == self.id => {
                if v["reason"] != "HostDisconnect" {
                    self.error(
                        ctx,
                        &format!("kicked:{}", v["reason"].as_str().unwrap_or("?")),
                        None,
                    );
                }
                return false;
            }
            _ => {}
        }
        true
    }

    /// A reply to the oldest request; false ends the player (its join was refused).
    fn on_reply(&mut self, ctx: &Ctx, v: &Value) -> bool {
        let error = (v["ty"] == "Error").then(|| v["error"].as_str().unwrap_or("?").to_string());
        match (self.pending.pop_front(), error) {
            (Some(Pending::Connect { t, started }), None) => {
                self.outbox
                    .push(json!({"ty": "Join", "name": self.name}).to_string());
                self.pending.push_back(Pending::Join { t, started });
            }
            (Some(Pending::Join { t, started }), None) => {
                self.id = v["id"].as_i64();
                if !self.silent {
                    ctx.rec.record(Sample {
                        d: micros(started.elapsed()),
                        ..Sample::at(Kind::Join, 0, 0, t)
                    });
                }
                if let Some(joined) = self.joined.take() {
                    let _ = joined.send(true);
                }
            }
            (Some(Pending::Ready), None) => {}
            (Some(Pending::Answer { index, t, started }), None) => {
                self.acked.insert(index);
                ctx.rec.record(Sample {
                    d: micros(started.elapsed()),
                    ..Sample::at(Kind::Ack, ROUND, index, t)
                });
            }
            (Some(Pending::Answer { index, .. }), Some(code)) => {
                self.error(ctx, &format!("answer:quizler:{code}"), Some(index))
            }
            (Some(Pending::Connect { .. } | Pending::Join { .. }), Some(code)) => {
                self.error(ctx, &format!("join:quizler:{code}"), None);
                return false;
            }
            (Some(Pending::Ready), Some(code)) => self.error(ctx, &format!("ready:quizler:{code}"), None),
            (None, _) => self.error(ctx, "quizler:unexpected_reply", None),
        }
        true
    }
}
