//! Fault tests against the real server: `kill -9` at random moments of a live round (the real binary), a
//! reconnect storm, and a client that stops reading. Nothing asserts on timing; random choices come from a
//! seed that is printed (set `JINGSAI_FAULT_SEED` to replay a run).

mod common;
#[path = "faults/sockets.rs"]
mod sockets;

use std::collections::BTreeMap;
use std::time::Duration;

use common::process::Process;
use common::*;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

/// splitmix64: enough randomness for choosing moments and people, reproducible from one printed seed.
struct Rng(u64);

impl Rng {
    fn from_env(test: &str) -> Self {
        let seed = std::env::var("JINGSAI_FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(7, |d| d.as_nanos() as u64)
            });
        eprintln!("{test}: seed {seed} (JINGSAI_FAULT_SEED={seed} replays it)");
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The real binary on a data dir, listening on a free port.
/// A response, or `None` when the server died before answering.
type Reply = Option<(u16, Value)>;

/// Like `send`, but a request the dying server never answered is `None` instead of a panic.
async fn try_send(client: &reqwest::Client, url: &str, token: &str, body: Value) -> Reply {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let value = response.json::<Value>().await.ok()?;
    Some((status, value))
}

async fn call(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> Value {
    let (status, value) = send(client, method, url, Some(token), body).await;
    assert!((200..300).contains(&status), "{url}: {status} {value}");
    value
}

fn key_of(question: &Value) -> Vec<u64> {
    question["answer"]["choice"]
        .as_array()
        .expect("organizer view has the key")
        .iter()
        .filter_map(Value::as_u64)
        .collect()
}

/// A wrong single choice for a question whose key is `key`.
fn wrong_of(question: &Value, key: &[u64]) -> u64 {
    let options = question["question"]["options"].as_array().map_or(2, Vec::len) as u64;
    (0..options).find(|o| !key.contains(o)).expect("a wrong option")
}

fn centi(points: &Value) -> i64 {
    (points.as_f64().expect("points") * 100.0).round() as i64
}

const KILL_PEOPLE: usize = 200;
const KILL_CYCLES: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_nine_cycles_lose_no_acknowledged_answer() {
    let mut rng = Rng::from_env("kill -9 cycles");
    let data_dir = common::process::DataDir::new();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut server = Process::spawn(data_dir.path());
    let org = login(&client, &server.base).await;
    let contest = call(
        &client,
        Method::POST,
        &format!("{}/api/contests", server.base),
        &org,
        Some(json!({
            "title": "kill -9",
            "bank_ids": ["party-history"],
            "join_mode": "roster",
            "rounds": [{"title": "live", "kind": "live", "config": {
                "blueprint": {"quotas": [{"type": "single", "count": KILL_CYCLES}]},
                "scoring": {"speed_bonus": 0},
                // Far beyond the test's length: every close here is the organizer's.
                "question_seconds": 3600,
                "close_when_all_answered": false
            }}]
        })),
    )
    .await;
    let contest_id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let response = client
        .post(format!("{}/api/contests/{contest_id}/roster", server.base))
        .bearer_auth(&org)
        .header("content-type", "text/csv")
        .body(roster_csv(KILL_PEOPLE, 7))
        .send()
        .await
        .expect("roster");
    assert_eq!(response.status(), 200);
    let mut tokens = Vec::new();
    for i in 0..KILL_PEOPLE {
        let body = json!({"code": code, "badge": badge(i), "device": format!("device-{i}")});
        let (status, joined) = send(
            &client,
            Method::POST,
            &format!("{}/api/join", server.base),
            None,
            Some(body),
        )
        .await;
        assert_eq!(status, 200, "{joined}");
        tokens.push(joined["token"].as_str().expect("token").to_string());
    }
    let display_token = call(
        &client,
        Method::POST,
        &format!("{}/api/contests/{contest_id}/display-token", server.base),
        &org,
        None,
    )
    .await["token"]
        .as_str()
        .expect("display token")
        .to_string();
    let control = |base: String, action: &'static str| {
        let (client, org) = (client.clone(), org.clone());
        async move {
            let url = format!("{base}/api/contests/{contest_id}/control");
            call(&client, Method::POST, &url, &org, Some(json!({"action": action}))).await
        }
    };
    let round_id = control(server.base.clone(), "start_round").await["round"]["id"]
        .as_i64()
        .expect("round");

    // (question, participant) -> (choice, received_at) of every acknowledged answer.
    let mut acked: BTreeMap<(usize, usize), (u64, i64)> = BTreeMap::new();
    let mut points: Vec<(Vec<u64>, i64)> = Vec::new();
    let mut closed_at: BTreeMap<usize, i64> = BTreeMap::new();
    let mut closed_events: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    let (mut acked_before_kill, mut resent, mut killed_after_close) = (0, 0, 0);
    // How long a whole burst and close took when the kill came later: the window for the next kill.
    let mut burst_ms = 500;
    for q in 0..KILL_CYCLES {
        let display = Capture::connect(&format!(
            "{}/ws?token={display_token}",
            server.base.replacen("http", "ws", 1)
        ))
        .await;
        let opened = control(server.base.clone(), "next").await;
        let view = &opened["question"];
        assert_eq!(view["index"], q, "{opened}");
        let key = key_of(view);
        assert_eq!(key.len(), 1);
        let wrong = wrong_of(view, &key);
        points.push((key.clone(), centi(&view["question"]["points"])));
        // Every tenth person is silent on each question; about a quarter answer wrong.
        let plan: Vec<(usize, u64)> = (0..KILL_PEOPLE)
            .filter(|i| (i + q) % 10 != 0)
            .map(|i| (i, if (i * 7 + q * 3) % 4 == 0 { wrong } else { key[0] }))
            .collect();

        // The burst, then the close, while the process is killed at a random moment.
        let burst = {
            let (client, base, org, tokens, plan) = (
                client.clone(),
                server.base.clone(),
                org.clone(),
                tokens.clone(),
                plan.clone(),
            );
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                let url = format!("{base}/api/answers");
                let acks: Vec<(usize, u64, Reply)> = futures_util::stream::iter(plan)
                    .map(|(i, choice)| {
                        let (client, url, token) = (&client, &url, &tokens[i]);
                        let body = json!({"round_id": round_id, "index": q, "choice": [choice]});
                        async move { (i, choice, try_send(client, url, token, body).await) }
                    })
                    .buffer_unordered(16)
                    .collect()
                    .await;
                let all_acked = acks.iter().all(|(_, _, r)| matches!(r, Some((200, _))));
                let close = if all_acked {
                    let url = format!("{base}/api/contests/{contest_id}/control");
                    try_send(&client, &url, &org, json!({"action": "close"})).await
                } else {
                    None
                };
                (acks, close, started.elapsed())
            })
        };
        // Mostly during the burst, sometimes around or after the close.
        let delay = rng.below(burst_ms * 5 / 4 + 10);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill();
        let (acks, close, took) = burst.await.expect("burst");
        for (i, choice, reply) in acks {
            match reply {
                Some((200, ack)) => {
                    assert_eq!(ack["duplicate"], false, "first answer of {i} to {q}: {ack}");
                    acked.insert(
                        (q, i),
                        (choice, ack["received_at"].as_i64().expect("received_at")),
                    );
                    acked_before_kill += 1;
                }
                Some((status, body)) => panic!("answer of {i} to {q} refused: {status} {body}"),
                None => {}
            }
        }
        let close_ack = match close {
            Some((200, state)) => {
                killed_after_close += 1;
                burst_ms = took.as_millis() as u64;
                Some(
                    state["question"]["result"]["closed_at"]
                        .as_i64()
                        .expect("closed_at"),
                )
            }
            Some((status, body)) => panic!("close of {q} refused: {status} {body}"),
            None => None,
        };
        for m in display.all().iter().filter(|m| m["type"] == "question_closed") {
            let index = m["result"]["index"].as_u64().expect("index") as usize;
            closed_events
                .entry(index)
                .or_default()
                .push(m["result"]["closed_at"].as_i64().expect("closed_at"));
        }

        server = Process::spawn(data_dir.path());
        let state = call(
            &client,
            Method::GET,
            &format!("{}/api/contests/{contest_id}", server.base),
            &org,
            None,
        )
        .await;
        assert_eq!(state["question"]["index"], q, "{state}");
        let result = if state["question"]["state"] == "closed" {
            // Only a close the test sent can have closed it, and it is sent after every answer was acknowledged.
            assert_eq!(
                plan.iter().filter(|(i, _)| acked.contains_key(&(q, *i))).count(),
                plan.len(),
                "question {q} closed by itself"
            );
            state["question"]["result"].clone()
        } else {
            assert_eq!(close_ack, None, "question {q}: its acknowledged close was lost");
            assert_eq!(state["question"]["state"], "open", "{state}");
            let missing: Vec<(usize, u64)> = plan
                .iter()
                .filter(|(i, _)| !acked.contains_key(&(q, *i)))
                .copied()
                .collect();
            for (i, choice) in &missing {
                let body = json!({"round_id": round_id, "index": q, "choice": [choice]});
                let url = format!("{}/api/answers", server.base);
                let (status, ack) = send(&client, Method::POST, &url, Some(&tokens[*i]), Some(body)).await;
                assert_eq!(status, 200, "resent answer of {i} to {q}: {ack}");
                acked.insert(
                    (q, *i),
                    (*choice, ack["received_at"].as_i64().expect("received_at")),
                );
                resent += 1;
            }
            control(server.base.clone(), "close").await["question"]["result"].clone()
        };
        let at = result["closed_at"].as_i64().expect("closed_at");
        if let Some(before) = close_ack {
            assert_eq!(at, before, "question {q}: closed_at changed across the restart");
        }
        closed_at.insert(q, at);
        assert_eq!(
            result["answered"],
            plan.len(),
            "question {q}: acknowledged answers and the closed question's count differ"
        );
    }
    let results = call(
        &client,
        Method::GET,
        &format!("{}/api/contests/{contest_id}/results", server.base),
        &org,
        None,
    )
    .await;
    let mut verified = 0;
    let mut expected = vec![0i64; KILL_PEOPLE];
    for ((q, i), (choice, _)) in &acked {
        if points[*q].0 == [*choice] {
            expected[*i] += points[*q].1;
        }
    }
    let ranking = results["ranking"].as_array().expect("ranking");
    assert_eq!(ranking.len(), KILL_PEOPLE);
    for entry in ranking {
        let badge_no = entry["badge"].as_str().expect("badge");
        let i = (0..KILL_PEOPLE)
            .find(|i| badge(*i) == badge_no)
            .expect("known badge");
        assert_eq!(centi(&entry["score"]), expected[i], "score of {badge_no}");
        let breakdown = call(
            &client,
            Method::GET,
            &format!(
                "{}/api/contests/{contest_id}/participants/{}/breakdown",
                server.base, entry["participant_id"]
            ),
            &org,
            None,
        )
        .await;
        for item in breakdown["items"].as_array().expect("items") {
            let q = item["index"].as_u64().expect("index") as usize;
            let stored = item["received_at"].as_i64();
            assert_eq!(stored, acked.get(&(q, i)).map(|a| a.1), "answer of {i} to {q}");
            verified += usize::from(stored.is_some());
        }
    }
    assert_eq!(
        verified,
        acked.len(),
        "every acknowledged answer is in a breakdown"
    );
    for (q, ats) in &closed_events {
        assert!(ats.len() <= 1, "question {q} closed {} times: {ats:?}", ats.len());
        assert!(
            ats.iter().all(|at| Some(at) == closed_at.get(q)),
            "closed_at of {q}: {ats:?}"
        );
    }
    eprintln!(
        "kill -9: {KILL_CYCLES} cycles, {} answers acknowledged ({acked_before_kill} before a kill, {resent} \
         after a restart), {killed_after_close} kills after the close, lost: 0",
        acked.len()
    );
    server.kill();
}
