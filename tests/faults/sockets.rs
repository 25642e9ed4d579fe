//! Socket faults: a reconnect storm during open questions, and a client that stops reading. Part of the
//! `faults` test binary (tests/faults.rs holds the shared helpers).

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::common::*;
use super::{Rng, centi, key_of, wrong_of};
const STORM_PEOPLE: usize = 100;
const STORM_QUESTIONS: usize = 2;

/// What one participant does while a question is open.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Storm {
    Silent,
    Answer,
    /// Answers (acknowledged), drops, reconnects, resends the same answer.
    AckedThenDrop,
    /// Sends the answer on the socket and drops it at once, not knowing whether it arrived; then resends.
    MidAnswer,
    /// Drops, reconnects, then answers.
    DropThenAnswer,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconnect_storm_loses_and_doubles_nothing() {
    let mut rng = Rng::from_env("reconnect storm");
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "storm",
                "bank_ids": ["party-history"],
                "join_mode": "roster",
                "rounds": [{"title": "live", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": STORM_QUESTIONS}]},
                    "question_seconds": 3600,
                    "close_when_all_answered": false
                }}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(STORM_PEOPLE, 5)).await;
    assert_eq!(status, 200, "{body}");
    let mut people = Vec::new();
    let mut sockets = Vec::new();
    for i in 0..STORM_PEOPLE {
        let joined = server.join(&code, &badge(i)).await;
        sockets.push(server.ws(&joined.token, None).await);
        people.push(joined);
    }
    for socket in &sockets {
        socket.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    }
    let round_id = server.control(id, json!({"action": "start_round"})).await["round"]["id"]
        .as_i64()
        .expect("round");
    let mut expected_centi = vec![0i64; STORM_PEOPLE];
    let mut expected_correct = vec![0u64; STORM_PEOPLE];
    let (mut reconnected, mut mid_arrived) = (0, 0);
    for q in 0..STORM_QUESTIONS {
        let opened = server.control(id, json!({"action": "next"})).await;
        let key = key_of(&opened["question"]);
        let wrong = wrong_of(&opened["question"], &key);
        let points = centi(&opened["question"]["question"]["points"]);
        for socket in &sockets {
            socket
                .wait_for("question_open", |m| {
                    m["type"] == "question_open" && m["question"]["index"] == q
                })
                .await;
        }
        // 30% of the sockets drop, in three equal groups; a tenth of the rest stays silent.
        let mut order: Vec<usize> = (0..STORM_PEOPLE).collect();
        for k in (1..order.len()).rev() {
            order.swap(k, rng.below(k as u64 + 1) as usize);
        }
        let mut roles = [Storm::Answer; STORM_PEOPLE];
        for (rank, i) in order.iter().enumerate() {
            roles[*i] = match rank * 10 / STORM_PEOPLE {
                0 => Storm::AckedThenDrop,
                1 => Storm::MidAnswer,
                2 => Storm::DropThenAnswer,
                3 => Storm::Silent,
                _ => Storm::Answer,
            };
        }
        let answer_url = server.url("/api/answers");
        let tasks = sockets.drain(..).enumerate().map(|(i, socket)| {
            let (role, token, url) = (roles[i], people[i].token.clone(), &answer_url);
            let choice = if (i + q) % 3 == 0 { wrong } else { key[0] };
            let body = json!({"round_id": round_id, "index": q, "choice": [choice]});
            let server = &server;
            async move {
                let post = || {
                    send(
                        &server.client,
                        Method::POST,
                        url,
                        Some(&token),
                        Some(body.clone()),
                    )
                };
                let mut first_ack = None;
                match role {
                    Storm::Silent => return (socket, None, false),
                    Storm::Answer | Storm::AckedThenDrop => {
                        let (status, ack) = post().await;
                        assert_eq!((status, &ack["duplicate"]), (200, &json!(false)), "{i}: {ack}");
                        first_ack = Some(ack);
                        if role == Storm::Answer {
                            return (socket, first_ack, false);
                        }
                    }
                    Storm::MidAnswer => {
                        let mut frame = body.clone();
                        frame["type"] = json!("answer");
                        socket.send(&frame.to_string());
                    }
                    Storm::DropThenAnswer => {}
                }
                socket.close();
                let socket = server.ws(&token, None).await;
                let snapshot = socket.wait_for("snapshot", |m| m["type"] == "snapshot").await;
                assert_eq!(
                    socket.all()[0]["type"],
                    "snapshot",
                    "{i}: the snapshot comes first"
                );
                assert_eq!(snapshot["question"]["index"], q);
                assert_eq!(snapshot["question"]["state"], "open");
                let stored = snapshot["question"]["my_answer"].clone();
                match role {
                    Storm::AckedThenDrop => assert_eq!(stored["choice"], json!([choice]), "{i}: {snapshot}"),
                    Storm::DropThenAnswer => assert!(stored.is_null(), "{i}: {snapshot}"),
                    _ => {}
                }
                // The phone resends what it sent before (or sends it for the first time).
                let (status, ack) = post().await;
                assert_eq!(status, 200, "{i}: {ack}");
                if !stored.is_null() {
                    assert_eq!(
                        ack["duplicate"], true,
                        "{i}: stored before, so a duplicate: {ack}"
                    );
                }
                if let Some(first) = &first_ack {
                    assert_eq!(
                        ack["received_at"], first["received_at"],
                        "{i}: the first answer stands"
                    );
                }
                let arrived = role == Storm::MidAnswer && ack["duplicate"] == true;
                (socket, Some(ack), arrived)
            }
        });
        let outcomes = futures_util::future::join_all(tasks).await;
        let mut acked = 0;
        for (i, (socket, ack, arrived)) in outcomes.into_iter().enumerate() {
            sockets.push(socket);
            mid_arrived += usize::from(arrived);
            reconnected += usize::from(!matches!(roles[i], Storm::Silent | Storm::Answer));
            if ack.is_some() {
                acked += 1;
                let correct = (i + q) % 3 != 0;
                expected_centi[i] += if correct { points } else { 0 };
                expected_correct[i] += u64::from(correct);
            }
        }
        let closed = server.control(id, json!({"action": "close"})).await;
        assert_eq!(
            closed["question"]["result"]["answered"], acked,
            "question {q}: counted answers vs. distinct acknowledged participants"
        );
        for (i, socket) in sockets.iter().enumerate() {
            socket
                .wait_for("question_closed", |m| {
                    m["type"] == "question_closed" && m["result"]["index"] == q
                })
                .await;
            let mine = socket
                .wait_for("my_result", |m| m["type"] == "my_result" && m["index"] == q)
                .await;
            let silent = roles[i] == Storm::Silent;
            assert_eq!(mine["answered"], !silent, "{i}: {mine}");
            assert_eq!(mine["correct"], !silent && (i + q) % 3 != 0, "{i}: {mine}");
            assert_eq!(
                centi(&mine["score"]),
                expected_centi[i],
                "{i}: running score {mine}"
            );
        }
    }
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    for entry in results["ranking"].as_array().expect("ranking") {
        let i = people
            .iter()
            .position(|p| entry["participant_id"] == p.participant_id)
            .expect("known participant");
        assert_eq!(centi(&entry["score"]), expected_centi[i], "score of {i}");
        assert_eq!(entry["correct"], expected_correct[i], "correct answers of {i}");
    }
    eprintln!(
        "reconnect storm: {STORM_PEOPLE} sockets, {STORM_QUESTIONS} questions, {reconnected} reconnects, \
         {mid_arrived} answers sent just before a drop had arrived (resend: duplicate), lost: 0, doubled: 0"
    );
}

const STALL_QUESTIONS: usize = 10;
const STALL_PEOPLE: usize = 16;

/// A bank of big questions: together twice the largest kernel send buffer (`tcp_wmem`, 4 MB by default, which
/// with the reader's buffer held about 3 MB here), so a socket that is never read must fill up.
fn big_bank() -> (String, usize) {
    let wmem_max = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2).and_then(|v| v.parse::<usize>().ok()))
        .unwrap_or(4 << 20);
    let each = (2 * wmem_max / STALL_QUESTIONS).clamp(400_000, 1_400_000);
    let mut toml = String::from("[bank]\nid = \"big\"\ntitle = \"Big\"\nlanguage = \"en\"\n");
    for n in 0..STALL_QUESTIONS {
        let option = |o: usize| format!("\"option {o} {}\"", "o".repeat(each / 10));
        toml.push_str(&format!(
            "\n[[questions]]\nid = \"big-{n}\"\ntype = \"single\"\ncategory = \"Big\"\ndifficulty = 1\n\
             stem = \"Question {n} {}\"\noptions = [{}]\nanswer = \"A\"\nexplanation = \"Big.\"\nsource = \"Test\"\n",
            "s".repeat(each * 6 / 10),
            (0..4).map(option).collect::<Vec<_>>().join(", ")
        ));
    }
    (toml, each)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_stops_reading_is_dropped_without_slowing_others() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = TestServer::start().await;
    let (bank, each) = big_bank();
    let imported = server
        .org_ok(
            Method::POST,
            "/api/banks/import",
            Some(json!({"files": [{"name": "big.toml", "content": bank}]})),
        )
        .await;
    assert_eq!(imported["questions"], STALL_QUESTIONS);
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "stall",
                "bank_ids": ["big"],
                "join_mode": "roster",
                "rounds": [{"title": "live", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": STALL_QUESTIONS}]},
                    "question_seconds": 3600,
                    "close_when_all_answered": false
                }}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(STALL_PEOPLE, 2)).await;
    assert_eq!(status, 200, "{body}");
    let mut people = Vec::new();
    for i in 0..STALL_PEOPLE {
        people.push(server.join(&code, &badge(i)).await);
    }

    // Participant 0's phone freezes: the upgrade completes, then nothing is ever read again.
    let addr = server.base.trim_start_matches("http://").parse().expect("addr");
    let stalled_socket = tokio::net::TcpSocket::new_v4().expect("socket");
    stalled_socket
        .set_recv_buffer_size(4096)
        .expect("small receive buffer");
    let mut stalled = stalled_socket.connect(addr).await.expect("connect");
    let upgrade = format!(
        "GET /ws?token={} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        people[0].token
    );
    stalled
        .write_all(upgrade.as_bytes())
        .await
        .expect("upgrade request");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stalled.read_exact(&mut byte).await.expect("upgrade response");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let stalled_pid = people[0].participant_id;
    let connected = || async {
        let list = server
            .org_ok(Method::GET, &format!("/api/contests/{id}/participants"), None)
            .await;
        list["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .find(|p| p["id"] == stalled_pid)
            .map(|p| p["connected"] == true)
            .expect("stalled participant listed")
    };
    eventually("the stalled phone counts as connected", async || {
        connected().await.then_some(())
    })
    .await;

    let display_token = server
        .org_ok(Method::POST, &format!("/api/contests/{id}/display-token"), None)
        .await["token"]
        .as_str()
        .expect("display token")
        .to_string();
    let mut readers = vec![server.ws(&display_token, None).await];
    for p in &people[1..] {
        readers.push(server.ws(&p.token, None).await);
    }
    let round_id = server.control(id, json!({"action": "start_round"})).await["round"]["id"]
        .as_i64()
        .expect("round");
    for q in 0..STALL_QUESTIONS {
        server.control(id, json!({"action": "next"})).await;
        let answers = people[1..].iter().map(|p| {
            let body = json!({"round_id": round_id, "index": q, "choice": [0]});
            server.participant(&p.token, Method::POST, "/api/answers", Some(body))
        });
        for (status, ack) in futures_util::future::join_all(answers).await {
            assert_eq!(status, 200, "{ack}");
        }
        let closed = server.control(id, json!({"action": "close"})).await;
        assert_eq!(closed["question"]["result"]["answered"], STALL_PEOPLE - 1);
        for reader in &readers {
            reader
                .wait_for("question_closed", |m| {
                    m["type"] == "question_closed" && m["result"]["index"] == q
                })
                .await;
        }
    }
    assert!(
        readers.iter().all(|r| !r.is_closed()),
        "the reading clients stay connected"
    );

    // The server gives up on the frozen phone (its write does not complete), within a generous bound.
    let since = std::time::Instant::now();
    while connected().await {
        assert!(
            since.elapsed() < Duration::from_secs(60),
            "the socket that stopped reading is still held after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let dropped_after = since.elapsed();
    // And it really closed the connection: what was buffered drains, then end of stream.
    let mut drained = 0usize;
    let mut buffer = vec![0u8; 64 * 1024];
    let eof = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match stalled.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
    assert!(eof.is_ok(), "the server never closed the stalled connection");
    eprintln!(
        "stalled reader: {STALL_QUESTIONS} questions of {} KB, {} readers got every close; the stalled socket \
         was dropped {dropped_after:?} after the last close, {drained} bytes were still buffered for it",
        each / 1000,
        readers.len()
    );
}
