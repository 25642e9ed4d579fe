//! 抢答 (buzzer) rounds over real sockets: the floor goes to the first buzz the server received, early buzzes are
//! fouls, and a wrong device answer passes the floor on, with every team total equal to a sum computed here from
//! the published frames. Organizer judging is in `buzzer_judge.rs`, the restart in `buzzer_restart.rs`.

#[path = "common/buzzer.rs"]
mod buzzer;
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use buzzer::*;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_phones_buzzing_at_once_get_the_floor_in_server_receive_order() {
    let server = TestServer::start().await;
    let (id, code) = buzzer_contest(&server, 8, 1, json!({"answer_by": "judge"})).await;
    let org = server.ws(&server.organizer_token, Some(id)).await;
    let mut phones = phones(&server, &code, 8).await;
    server.control(id, json!({"action": "start_round"})).await;
    server.control(id, json!({"action": "next"})).await;
    for phone in &mut phones {
        phone.ws.send(r#"{"type": "snapshot"}"#);
    }
    learn_teams(&mut phones).await;
    server.control(id, json!({"action": "arm"})).await;
    for phone in &phones {
        phone
            .ws
            .wait_for("buzzer_armed", |m| m["type"] == "buzzer_armed")
            .await;
    }

    // Eight phones press within the same few milliseconds. The phones' clocks disagree on purpose: a phone
    // reporting an earlier time must not win by it.
    let barrier = Arc::new(tokio::sync::Barrier::new(phones.len()));
    let tasks: Vec<_> = phones
        .into_iter()
        .enumerate()
        .map(|(k, phone)| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let frame = json!({"type": "buzz", "client_ms": 1_000_000 - k as i64 * 7, "ref": "go"});
                phone.ws.send(&frame.to_string());
                phone
            })
        })
        .collect();
    let mut phones = Vec::new();
    for task in tasks {
        phones.push(task.await.expect("phone task"));
    }

    // The organizer's socket receives the broadcasts in the order the engine handled the buzzes.
    let orders = wait_frames(&org, "buzz_order", 8).await;
    let received: Vec<Value> = orders.iter().map(|f| f["buzz"].clone()).collect();
    let key = |b: &Value| (b["server_ms"].as_i64().unwrap(), b["seq"].as_u64().unwrap());
    for pair in received.windows(2) {
        assert!(
            key(&pair[0]) < key(&pair[1]),
            "not in (server time, sequence) order: {pair:?}"
        );
        assert_eq!(
            key(&pair[1]).1,
            key(&pair[0]).1 + 1,
            "sequence numbers are consecutive"
        );
    }
    let published = &orders.last().unwrap()["order"];
    assert_eq!(
        published,
        &Value::Array(received.clone()),
        "the published order is the receive order"
    );
    let teams: Vec<i64> = received.iter().map(|b| b["team"].as_i64().unwrap()).collect();
    let mut distinct = teams.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 8, "every team buzzed once: {teams:?}");

    let floor = org
        .wait_for("buzzer_floor", |m| m["type"] == "buzzer_floor")
        .await;
    assert_eq!(floor["team"], teams[0], "the first buzz received holds the floor");
    assert_eq!(frames(&org, "buzzer_floor").len(), 1);

    // Each phone's own reply agrees: its sequence number, and floor or place in line.
    for (k, phone) in phones.iter().enumerate() {
        let ack = reply(&phone.ws, "go").await;
        assert_eq!(ack["type"], "buzz_ack", "{ack}");
        let at = teams.iter().position(|t| *t == phone.team).unwrap();
        assert_eq!(ack["seq"], received[at]["seq"]);
        assert_eq!(ack["server_ms"], received[at]["server_ms"]);
        assert_eq!(received[at]["participant_id"], phone.joined.participant_id);
        if at == 0 {
            assert_eq!(ack["result"], "floor");
        } else {
            assert_eq!(
                (ack["result"].as_str(), ack["position"].as_u64()),
                (Some("queued"), Some(at as u64))
            );
        }
        // The phone's own clock is recorded as it was sent, and decided nothing.
        assert_eq!(received[at]["client_ms"], 1_000_000 - k as i64 * 7);
        let last = frames(&phone.ws, "buzz_order").pop();
        assert_eq!(
            last.map(|f| f["order"].clone()),
            Some(published.clone()),
            "every phone saw the same order"
        );
    }

    // A snapshot (what a reconnecting client gets) has the same state.
    let snapshot = server
        .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
        .await;
    let state = &snapshot["buzzer"];
    assert_eq!(state["phase"], "answering");
    assert_eq!(state["floor"], teams[0]);
    assert_eq!(&state["order"], published);
    assert_eq!(state["queue"], json!(teams[1..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_buzz_is_a_foul_penalized_and_locked_out() {
    let server = TestServer::start().await;
    let settings = json!({"foul_penalty": 15, "answer_by": "judge"});
    let (id, code) = buzzer_contest(&server, 4, 1, settings).await;
    let org = server.ws(&server.organizer_token, Some(id)).await;
    let mut phones = phones(&server, &code, 4).await;
    server.control(id, json!({"action": "start_round"})).await;
    server.control(id, json!({"action": "next"})).await;
    for phone in &mut phones {
        phone.ws.send(r#"{"type": "snapshot"}"#);
    }
    learn_teams(&mut phones).await;
    let (early, other) = (&phones[2], &phones[0]);

    let ack = buzz(early, "early").await;
    assert_eq!(
        (ack["type"].as_str(), ack["result"].as_str()),
        (Some("buzz_ack"), Some("foul")),
        "{ack}"
    );
    let scores = org.wait_for("team_scores", |m| m["type"] == "team_scores").await;
    assert_eq!(scores["entries"][0]["reason"], "foul");
    assert_eq!(scores["entries"][0]["team"], early.team);
    assert_eq!(scores["entries"][0]["delta"], -15.0);
    assert_eq!(standings(&scores["standings"])[&early.team], 85.0);

    // Pressing again before or after arming: refused, and no second penalty.
    let again = buzz(early, "early-again").await;
    assert_eq!(
        (again["type"].as_str(), again["code"].as_str()),
        (Some("buzz_error"), Some("locked_out"))
    );
    server.control(id, json!({"action": "arm"})).await;
    let armed = org
        .wait_for("buzzer_armed", |m| m["type"] == "buzzer_armed")
        .await;
    assert!(
        !armed["eligible"].as_array().unwrap().contains(&json!(early.team)),
        "{armed}"
    );
    let after = buzz(early, "after-arm").await;
    assert_eq!(after["code"], "locked_out", "{after}");
    let ok = buzz(other, "other").await;
    assert_eq!(ok["result"], "floor", "{ok}");

    let me = server
        .participant(&other.joined.token, Method::GET, "/api/me", None)
        .await
        .1;
    assert_eq!(me["buzzer"]["locked_out"], json!([early.team]));
    assert_eq!(me["buzzer"]["floor"], other.team);
    assert_eq!(me["buzzer"]["order"][0]["foul"], true);
    assert_eq!(
        me["stage"]["ledger"].as_array().unwrap().len(),
        1,
        "one penalty only"
    );
    let board = standings(&me["leaderboard"]["teams"]);
    assert_eq!(board[&early.team], 85.0);
    assert!(
        board
            .iter()
            .filter(|(t, _)| **t != early.team)
            .all(|(_, total)| *total == 100.0),
        "{board:?}"
    );
    assert!(
        me["stage"]["ledger"][0].get("created_by").is_none(),
        "who made an entry is for organizers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_device_answer_passes_the_floor_and_totals_match_the_published_events() {
    let server = TestServer::start().await;
    let settings = json!({"points": 20, "wrong_penalty": 10, "late_penalty": 5, "foul_penalty": 15,
                          "on_wrong": "pass", "answer_by": "device", "answer_seconds": 60});
    let (id, code) = buzzer_contest(&server, 3, 2, settings.clone()).await;
    let org = server.ws(&server.organizer_token, Some(id)).await;
    let mut phones = phones(&server, &code, 6).await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().unwrap();
    for phone in &mut phones {
        phone.ws.send(r#"{"type": "snapshot"}"#);
    }
    learn_teams(&mut phones).await;
    // Participants 0..3 are the first members of teams A, B, C; 3..6 their second members.
    let (a, b, c, a2) = (&phones[0], &phones[1], &phones[2], &phones[3]);
    assert_eq!(a.team, a2.team);
    let answer = |phone: &Phone, index: usize, choice: usize, reference: &str| {
        phone.ws.send(
            &json!({"type": "answer", "round_id": round_id, "index": index, "choice": [choice], "ref": reference})
                .to_string(),
        );
    };

    // Question 1: A, B, C buzz in that order; A's second member answers wrong, B answers right.
    let opened = server.control(id, json!({"action": "next"})).await;
    assert_eq!(
        opened["question"]["question"]["points"], 20.0,
        "the buzzer points, not the bank's"
    );
    let key = opened["question"]["answer"]["choice"][0].as_u64().unwrap() as usize;
    let wrong = (key + 1)
        % opened["question"]["question"]["options"]
            .as_array()
            .unwrap()
            .len();
    server.control(id, json!({"action": "arm"})).await;
    assert_eq!(buzz(a, "q1").await["result"], "floor");
    assert_eq!(buzz(b, "q1").await["position"], 1);
    assert_eq!(buzz(c, "q1").await["position"], 2);
    answer(c, 0, key, "c-too-early");
    assert_eq!(reply(&c.ws, "c-too-early").await["code"], "not_floor_holder");
    answer(a2, 0, wrong, "a2");
    assert_eq!(reply(&a2.ws, "a2").await["type"], "answer_ack");
    let floor_b = org
        .wait_for("the floor passed to B", |m| {
            m["type"] == "buzzer_floor" && m["team"] == b.team
        })
        .await;
    assert_eq!(floor_b["answered"], json!([a.team]));
    answer(a, 0, key, "a-after");
    assert_eq!(
        reply(&a.ws, "a-after").await["code"],
        "not_floor_holder",
        "A has answered already"
    );
    answer(b, 0, key, "b");
    assert_eq!(reply(&b.ws, "b").await["type"], "answer_ack");
    let result = org
        .wait_for("buzzer_result", |m| m["type"] == "buzzer_result")
        .await;
    assert_eq!(
        result["result"]["outcome"],
        json!({"result": "won", "team": b.team, "unit": "第2大队"})
    );
    assert_eq!(result["result"]["answer"]["choice"], json!([key]));
    let judged: Vec<Value> = frames(&org, "buzzer_judged")
        .iter()
        .map(|f| f["judgement"].clone())
        .collect();
    assert_eq!(judged[0]["verdict"], "wrong");
    assert_eq!(judged[0]["participant_id"], a2.joined.participant_id);
    assert_eq!(
        judged[0]["response"]["choice"],
        json!([wrong]),
        "organizers see the device answer"
    );
    assert_eq!(judged[1]["verdict"], "right");
    // Resending the judged answer is acknowledged as a duplicate, not judged twice.
    answer(b, 0, key, "b-again");
    assert_eq!(reply(&b.ws, "b-again").await["ack"]["duplicate"], true);

    // Question 2: an early buzz by C, then only A buzzes and is wrong: nobody is left, the question is void.
    let opened = server.control(id, json!({"action": "next"})).await;
    let key2 = opened["question"]["answer"]["choice"][0].as_u64().unwrap() as usize;
    let wrong2 = (key2 + 1)
        % opened["question"]["question"]["options"]
            .as_array()
            .unwrap()
            .len();
    assert_eq!(buzz(c, "q2-early").await["result"], "foul");
    server.control(id, json!({"action": "arm"})).await;
    assert_eq!(buzz(a, "q2").await["result"], "floor");
    answer(a, 1, wrong2, "a-q2");
    assert_eq!(reply(&a.ws, "a-q2").await["type"], "answer_ack");
    let void = org
        .wait_for("the second result", |m| {
            m["type"] == "buzzer_result" && m["result"]["index"] == 1
        })
        .await;
    assert_eq!(
        void["result"]["outcome"],
        json!({"result": "void", "reason": "queue_exhausted"})
    );

    // Every total equals the sum computed from the published events.
    let final_scores = wait_frames(&org, "team_scores", 4).await.pop().unwrap();
    let teams = [a.team, b.team, c.team];
    let expected = expected_totals(&org, &teams, &settings);
    assert_eq!(
        expected,
        BTreeMap::from([(a.team, 80.0), (b.team, 120.0), (c.team, 85.0)])
    );
    assert_eq!(standings(&final_scores["standings"]), expected);
    let me = server
        .participant(&c.joined.token, Method::GET, "/api/me", None)
        .await
        .1;
    assert_eq!(standings(&me["leaderboard"]["teams"]), expected);
    assert_eq!(me["leaderboard"]["teams"][0]["team"], b.team, "best first");

    // No key reached a phone before its question's result. A team's members see the answer given for their
    // own team (team play), never another team's.
    for phone in &phones {
        for m in phone.ws.all() {
            let kind = m["type"].as_str().unwrap_or_default();
            if kind == "team_answer" {
                assert_eq!(m["judgement"]["team"], phone.team, "another team's answer: {m}");
                assert!(!contains_key_named(&m, &["answer", "explanation"]), "leak in {m}");
            } else if !matches!(kind, "buzzer_result" | "snapshot") {
                assert!(
                    !contains_key_named(&m, &["answer", "explanation", "response"]),
                    "leak in {m}"
                );
            }
        }
    }
}
