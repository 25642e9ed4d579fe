//! Kill the real server process (SIGKILL) in the middle of a question and start it again on the same data dir:
//! every acknowledged answer is there, and the question closes at its original deadline.

mod common;

use std::time::Duration;

use common::process::Process;
use common::*;
use reqwest::Method;
use serde_json::json;

async fn get(client: &reqwest::Client, base: &str, token: &str, path: &str) -> serde_json::Value {
    let (status, body) = send(client, Method::GET, &format!("{base}{path}"), Some(token), None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_question_resumes_with_answers_and_deadline() {
    let data_dir = common::process::DataDir::new();
    let client = reqwest::Client::new();
    let mut first = Process::spawn(data_dir.path());
    let base = first.base.clone();
    let org = login(&client, &base).await;

    let (status, contest) = send(
        &client,
        Method::POST,
        &format!("{base}/api/contests"),
        Some(&org),
        Some(json!({
            "title": "重启测试",
            "bank_ids": ["party-history"],
            "rounds": [{"title": "抢答前", "kind": "live", "config": {
                "blueprint": {"quotas": [{"category": "新民主主义革命时期", "type": "single", "count": 3}]},
                "question_seconds": 8,
                "close_when_all_answered": false
            }}]
        })),
    )
    .await;
    assert_eq!(status, 201, "{contest}");
    let contest_id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let roster = roster_csv(10, 2);
    let response = client
        .post(format!("{base}/api/contests/{contest_id}/roster"))
        .bearer_auth(&org)
        .header("content-type", "text/csv")
        .body(roster)
        .send()
        .await
        .expect("roster");
    assert_eq!(response.status(), 200);
    let mut tokens = Vec::new();
    for i in 0..10 {
        let (status, body) = send(
            &client,
            Method::POST,
            &format!("{base}/api/join"),
            None,
            Some(json!({"code": code, "badge": badge(i)})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        tokens.push(body["token"].as_str().expect("token").to_string());
    }
    let control = |action: serde_json::Value, base: String, org: String, client: reqwest::Client| async move {
        let (status, body) = send(
            &client,
            Method::POST,
            &format!("{base}/api/contests/{contest_id}/control"),
            Some(&org),
            Some(action),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body
    };
    let started = control(
        json!({"action": "start_round"}),
        base.clone(),
        org.clone(),
        client.clone(),
    )
    .await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = control(
        json!({"action": "next"}),
        base.clone(),
        org.clone(),
        client.clone(),
    )
    .await;
    let deadline = opened["question"]["deadline"].as_i64().expect("deadline");
    let option_count = opened["question"]["question"]["options"]
        .as_array()
        .expect("options")
        .len();

    // Six participants answer and are acknowledged.
    let mut acked = Vec::new();
    for (i, token) in tokens.iter().enumerate().take(6) {
        let choice = i % option_count;
        let (status, ack) = send(
            &client,
            Method::POST,
            &format!("{base}/api/answers"),
            Some(token),
            Some(json!({"round_id": round_id, "index": 0, "choice": [choice]})),
        )
        .await;
        assert_eq!(status, 200, "{ack}");
        acked.push((i, choice, ack["received_at"].as_i64().expect("received_at")));
    }

    // SIGKILL: no graceful shutdown, no flush.
    first.kill();

    let mut second = Process::spawn(data_dir.path());
    let base = second.base.clone();
    // Tokens survive: the signing secret is kept in the data dir.
    let state = get(&client, &base, &org, &format!("/api/contests/{contest_id}")).await;
    assert_eq!(state["question"]["state"], "open", "{state}");
    assert_eq!(
        state["question"]["deadline"], deadline,
        "the deadline is the original one"
    );
    for (i, choice, received_at) in &acked {
        let me = get(&client, &base, &tokens[*i], "/api/me").await;
        assert_eq!(
            me["question"]["my_answer"]["choice"],
            json!([choice]),
            "answer of {i} kept"
        );
        // Resubmitting after the restart is recognised as the same answer.
        let (status, ack) = send(
            &client,
            Method::POST,
            &format!("{base}/api/answers"),
            Some(&tokens[*i]),
            Some(json!({"round_id": round_id, "index": 0, "choice": [choice]})),
        )
        .await;
        assert_eq!(status, 200, "{ack}");
        assert_eq!(ack["duplicate"], true);
        assert_eq!(ack["received_at"], *received_at);
    }
    // The clock kept running: someone can still answer before the deadline.
    let (status, ack) = send(
        &client,
        Method::POST,
        &format!("{base}/api/answers"),
        Some(&tokens[7]),
        Some(json!({"round_id": round_id, "index": 0, "choice": [0]})),
    )
    .await;
    assert_eq!(status, 200, "{ack}");

    // The question closes by itself at the original deadline (plus grace), on the restarted server.
    let ws_base = base.replacen("http://", "ws://", 1);
    let display_token = {
        let (status, body) = send(
            &client,
            Method::POST,
            &format!("{base}/api/contests/{contest_id}/display-token"),
            Some(&org),
            None,
        )
        .await;
        assert_eq!(status, 200);
        body["token"].as_str().expect("token").to_string()
    };
    let display = Capture::connect(&format!("{ws_base}/ws?token={display_token}")).await;
    let closed = {
        let start = std::time::Instant::now();
        loop {
            if let Some(m) = display.all().into_iter().find(|m| m["type"] == "question_closed") {
                break m;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "question never closed: {:#?}",
                display.all()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let closed_at = closed["result"]["closed_at"].as_i64().expect("closed_at");
    assert!(
        closed_at >= deadline,
        "closed at {closed_at}, before the deadline {deadline}"
    );
    assert_eq!(
        closed["result"]["answered"], 7,
        "six acknowledged before the kill, one after"
    );

    common::audit::assert_audit_verifies(&data_dir, contest_id);
    second.kill();
}
