//! Kill the real server (SIGKILL) in the middle of a 风险题 question and in the middle of a 加赛, and start it
//! again on the same data dir: the picks, the team whose question it is, the elimination cut and the 加赛's
//! tied teams come back as they were, and the contest goes on to the same result.

mod common;

use common::process::{Process, Remote};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn places(stage: &Value) -> Vec<(i64, f64, u64)> {
    stage["standings"]
        .as_array()
        .expect("standings")
        .iter()
        .map(|s| {
            (
                s["team"].as_i64().unwrap(),
                s["total"].as_f64().unwrap(),
                s["place"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn snapshot(server: &Remote, id: i64) -> Value {
    let (status, body) = server
        .call(Method::GET, &format!("/api/contests/{id}"), &server.org, None)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn judge(team: i64, correct: bool) -> Value {
    json!({"action": "judge", "correct": correct, "team": team})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_resumes_a_wager_question_and_a_tiebreak() {
    let data_dir = common::process::DataDir::new();
    let mut first = Process::spawn(data_dir.path());
    let server = Remote::login(&first).await;
    let stage = json!({"base_score": 100});
    let (status, contest) = server
        .call(
            Method::POST,
            "/api/contests",
            &server.org,
            Some(json!({
                "title": "重启决赛",
                "bank_ids": ["party-history"],
                "seed": "31",
                "rounds": [
                    {"title": "风险题", "kind": "wager", "config": {
                        "blueprint": {"quotas": [{"type": "single", "difficulty": 1, "count": 3},
                                                 {"type": "single", "difficulty": 2, "count": 3}]},
                        "grace_ms": 0, "stage": stage,
                        "wager": {"options": [{"points": 10, "difficulty": 1}, {"points": 20, "difficulty": 2}],
                                  "answer_seconds": 120},
                        "elimination": {"advance": 1},
                    }},
                    {"title": "加赛", "kind": "tiebreak", "config": {
                        "blueprint": {"quotas": [{"type": "single", "count": 3}]},
                        "grace_ms": 0, "stage": stage,
                        "tiebreak": {"answer_seconds": 120, "buzz_window_seconds": 120},
                    }},
                ]
            })),
        )
        .await;
    assert_eq!(status, 201, "{contest}");
    let id = contest["id"].as_i64().unwrap();
    let code = contest["join_code"].as_str().unwrap().to_string();
    let response = server
        .client
        .post(format!("{}/api/contests/{id}/roster", server.base))
        .bearer_auth(&server.org)
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
            &server.client,
            Method::POST,
            &format!("{}/api/join", server.base),
            None,
            Some(join),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        tokens.push(body["token"].as_str().unwrap().to_string());
    }

    // All three on 100: the recorded draw orders the picks. The first picker's question is open when the
    // server dies.
    let started = server.control(id, json!({"action": "start_round"})).await;
    let order: Vec<i64> = started["stage"]["wager"]["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["team"].as_i64().unwrap())
        .collect();
    assert!(
        started["stage"]["wager"]["order"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["decided_by_draw"] == true)
    );
    let (x, y, z) = (order[0], order[1], order[2]);
    let before = server
        .control(id, json!({"action": "wager_pick", "team": x, "points": 20}))
        .await;
    assert_eq!(before["buzzer"]["floor"], x);

    first.kill();
    let second = Process::spawn(data_dir.path());
    let server = server.on(&second);
    let after = snapshot(&server, id).await;
    assert_eq!(
        after["stage"]["wager"], before["stage"]["wager"],
        "picks and order"
    );
    assert_eq!(after["buzzer"]["phase"], "answering");
    assert_eq!(after["buzzer"]["floor"], x);
    assert_eq!(after["buzzer"]["settings"]["points"], 20, "the value wagered");
    assert_eq!(after["question"]["question"]["points"], 20.0);

    // The round goes on: x right (+20), y picks 20 and is right, z picks 10 and is wrong.
    server.control(id, judge(x, true)).await;
    server
        .control(id, json!({"action": "wager_pick", "team": y, "points": 20}))
        .await;
    server.control(id, judge(y, true)).await;
    server
        .control(id, json!({"action": "wager_pick", "team": z, "points": 10}))
        .await;
    server.control(id, judge(z, false)).await;
    let ended = server.control(id, json!({"action": "end_round"})).await;
    let cut = &ended["stage"]["cuts"][0];
    assert_eq!(cut["decided_by"], "tiebreak_pending");
    let mut tied: Vec<i64> = cut["tied_at_cut"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    tied.sort_unstable();
    let mut want = vec![x, y];
    want.sort_unstable();
    assert_eq!(tied, want);

    // The 加赛 for the one place: x buzzes and holds the floor when the server dies again.
    let phone_of = |team: i64| &tokens[(team - 1) as usize];
    server.control(id, json!({"action": "start_round"})).await;
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "arm"})).await;
    let phone = server.phone(phone_of(x)).await;
    phone.send(&json!({"type": "buzz", "client_ms": 1, "ref": "x"}).to_string());
    let ack = phone
        .wait_for("x", |m| m["ref"] == "x" && m["type"] != "snapshot")
        .await;
    assert_eq!(ack["result"], "floor", "{ack}");
    let before = snapshot(&server, id).await;
    drop(phone);

    let mut second = second;
    second.kill();
    let third = Process::spawn(data_dir.path());
    let server = server.on(&third);
    let after = snapshot(&server, id).await;
    assert_eq!(after["stage"]["tiebreak"], before["stage"]["tiebreak"]);
    assert_eq!(after["buzzer"]["floor"], x);
    assert_eq!(after["buzzer"]["eligible"], before["buzzer"]["eligible"]);
    assert_eq!(after["stage"]["cuts"], before["stage"]["cuts"]);

    let won = server.control(id, judge(x, true)).await;
    assert_eq!(won["stage"]["tiebreak"]["finished"], true);
    assert_eq!(won["stage"]["cuts"][0]["advanced"], json!([x]));
    assert_eq!(
        places(&won["stage"]),
        vec![(x, 120.0, 1), (y, 120.0, 2), (z, 90.0, 3)]
    );
    assert_eq!(
        won["buzzer"]["phase"], "closed",
        "the decided 加赛's question ended"
    );
    common::audit::assert_audit_verifies(&data_dir, id);
}
