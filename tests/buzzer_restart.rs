//! Kill the real server (SIGKILL) in the middle of a buzzer question and start it again on the same data dir: the
//! team ledger, the buzz order, the floor, the lockouts and the judged teams come back as they were, the floor
//! holder gets its answer time again, and buzzes after the restart are ordered after every earlier one.

mod common;

use common::process::{Process, Remote as Server};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn buzz(phone: &Capture, reference: &str) -> Value {
    phone.send(&json!({"type": "buzz", "client_ms": 1, "ref": reference}).to_string());
    phone
        .wait_for(reference, |m| m["ref"] == reference && m["type"] != "snapshot")
        .await
}

fn totals(stage: &Value) -> Vec<(i64, f64)> {
    let mut totals: Vec<(i64, f64)> = stage["standings"]
        .as_array()
        .expect("standings")
        .iter()
        .map(|s| (s["team"].as_i64().unwrap(), s["total"].as_f64().unwrap()))
        .collect();
    totals.sort_by_key(|t| t.0);
    totals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_resumes_the_buzzer_question_and_keeps_the_ledger() {
    let data_dir = common::process::DataDir::new();
    let mut first = Process::spawn(data_dir.path());
    let server = Server::login(&first).await;
    let (client, org) = (server.client.clone(), server.org.clone());
    let (status, contest) = server
        .call(
            Method::POST,
            "/api/contests",
            &org,
            Some(json!({
                "title": "重启抢答",
                "bank_ids": ["party-history"],
                "rounds": [{"title": "抢答", "kind": "buzzer", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 3}]},
                    "stage": {"base_score": 100},
                    "buzzer": {"points": 20, "wrong_penalty": 10, "foul_penalty": 15, "answer_seconds": 60,
                               "buzz_window_seconds": 60, "on_wrong": "pass", "answer_by": "judge"}
                }}]
            })),
        )
        .await;
    assert_eq!(status, 201, "{contest}");
    let id = contest["id"].as_i64().unwrap();
    let code = contest["join_code"].as_str().unwrap().to_string();
    let response = client
        .post(format!("{}/api/contests/{id}/roster", server.base))
        .bearer_auth(&org)
        .header("content-type", "text/csv")
        .body(roster_csv(3, 3))
        .send()
        .await
        .expect("roster");
    assert_eq!(response.status(), 200);
    let mut tokens = Vec::new();
    for i in 0..3 {
        let join = json!({"code": code, "badge": badge(i), "device": format!("phone-{i}")});
        let (status, body) = send(
            &client,
            Method::POST,
            &format!("{}/api/join", server.base),
            None,
            Some(join),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        tokens.push(body["token"].as_str().unwrap().to_string());
    }
    server.control(id, json!({"action": "start_round"})).await;
    server.control(id, json!({"action": "next"})).await;
    let mut teams = Vec::new();
    let mut phones = Vec::new();
    for token in &tokens {
        let (_, me) = server.call(Method::GET, "/api/me", token, None).await;
        teams.push(me["me"]["team"].as_i64().expect("team"));
        phones.push(server.phone(token).await);
    }
    let (a, b, c) = (teams[0], teams[1], teams[2]);

    // A fouls; B takes the floor, C waits; B is judged wrong and the floor passes to C.
    assert_eq!(buzz(&phones[0], "a-early").await["result"], "foul");
    server.control(id, json!({"action": "arm"})).await;
    assert_eq!(buzz(&phones[1], "b").await["result"], "floor");
    assert_eq!(buzz(&phones[2], "c").await["result"], "queued");
    let before = server
        .control(id, json!({"action": "judge", "correct": false, "team": b}))
        .await;
    assert_eq!(before["buzzer"]["floor"], c);
    assert_eq!(totals(&before["stage"]), vec![(a, 85.0), (b, 90.0), (c, 100.0)]);
    let last_seq = before["buzzer"]["order"][1]["seq"].as_u64().unwrap();

    // SIGKILL: no graceful shutdown.
    first.kill();
    let restarted_at = now_ms();
    let second = Process::spawn(data_dir.path());
    let server = server.on(&second);
    let (status, after) = server
        .call(Method::GET, &format!("/api/contests/{id}"), &org, None)
        .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(
        after["stage"]["ledger"], before["stage"]["ledger"],
        "every ledger entry, as it was"
    );
    assert_eq!(after["stage"]["standings"], before["stage"]["standings"]);
    assert_eq!(after["leaderboard"]["teams"], before["stage"]["standings"]);
    let state = &after["buzzer"];
    for field in [
        "phase",
        "order",
        "floor",
        "queue",
        "locked_out",
        "answered",
        "judgements",
    ] {
        assert_eq!(state[field], before["buzzer"][field], "{field} after the restart");
    }
    assert_eq!(
        (state["phase"].as_str(), state["floor"].as_i64()),
        (Some("answering"), Some(c))
    );
    assert_eq!(state["locked_out"], json!([a]));
    assert_eq!(state["answered"], json!([b]));
    let deadline = state["floor_deadline"].as_i64().unwrap();
    let old_deadline = before["buzzer"]["floor_deadline"].as_i64().unwrap();
    assert!(
        deadline >= restarted_at + 60_000 && deadline > old_deadline,
        "the floor holder gets its whole answer time again: {deadline}, was {old_deadline}"
    );

    // The question goes on: C is right. New entries continue the numbering.
    let won = server
        .control(id, json!({"action": "judge", "correct": true, "team": c}))
        .await;
    assert_eq!(won["question"]["result"]["outcome"]["team"], c);
    assert_eq!(totals(&won["stage"]), vec![(a, 85.0), (b, 90.0), (c, 120.0)]);
    let entries = won["stage"]["ledger"].as_array().unwrap();
    let ids: Vec<u64> = entries.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert_eq!(entries[2]["reason"], "buzzer_right");

    // A buzz after the restart comes after every buzz before it.
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "arm"})).await;
    let phone = server.phone(&tokens[0]).await;
    let ack = buzz(&phone, "a-after").await;
    assert_eq!(ack["result"], "floor", "{ack}");
    assert!(ack["seq"].as_u64().unwrap() > last_seq, "{ack}");
    drop(second);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
