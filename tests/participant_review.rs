//! The participant's review of the whole contest (`review` in the participant snapshot): absent until the contest
//! has finished, then every round with the questions that counted (closed live questions, the own exam paper),
//! the own answer and the key in the participant's display order, and points that add up to the own score.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_of_every_round_after_the_finish() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "回顾",
                "bank_ids": ["party-history"],
                "rounds": [
                    {"title": "现场", "kind": "live", "config": {
                        "blueprint": {"quotas": [{"type": "single", "count": 3}]},
                        "scoring": {"speed_bonus": 0.2},
                        "question_seconds": 60, "close_when_all_answered": false}},
                    {"title": "笔试", "kind": "exam", "config": {
                        "blueprint": {"quotas": [{"type": "true_false", "count": 2}]},
                        "time_limit_seconds": 600}}
                ]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code");
    let (status, body) = server.import_roster(id, "姓名,警号,单位\n甲,900001,一队\n").await;
    assert_eq!(status, 200, "{body}");
    let me = server.join(code, "900001").await;
    let snapshot = async || {
        let (status, body) = server.participant(&me.token, Method::GET, "/api/me", None).await;
        assert_eq!(status, 200, "{body}");
        body
    };

    // Live: the first question answered right, the second left out, the third skipped (it never counts).
    server.control(id, json!({"action": "start_round"})).await;
    let round_id = snapshot().await["round"]["id"].as_i64().expect("round");
    let mut keys = Vec::new();
    for index in 0..2 {
        let state = server.control(id, json!({"action": "next"})).await;
        let key = state["question"]["answer"].clone();
        if index == 0 {
            let (status, body) = server
                .participant(
                    &me.token,
                    Method::POST,
                    "/api/answers",
                    Some(json!({"round_id": round_id, "index": 0, "choice": key["choice"]})),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
        assert!(
            snapshot().await.get("review").is_none(),
            "no review while the contest runs"
        );
        server.control(id, json!({"action": "close"})).await;
        keys.push(key);
    }
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "skip"})).await;
    server.control(id, json!({"action": "end_round"})).await;

    // Exam: the first question answered with option 0, the second left out.
    server.control(id, json!({"action": "start_round"})).await;
    let (status, paper) = server
        .participant(&me.token, Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(status, 200, "{paper}");
    let exam_round = paper["round_id"].as_i64().expect("round");
    let (status, body) = server
        .participant(
            &me.token,
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": exam_round, "index": 0, "choice": [0]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    server.control(id, json!({"action": "end_round"})).await;
    let between = snapshot().await;
    assert!(between.get("review").is_none(), "no review between the rounds");

    server.control(id, json!({"action": "finish"})).await;
    let done = snapshot().await;
    let review = &done["review"];
    let rounds = review["rounds"]
        .as_array()
        .unwrap_or_else(|| panic!("rounds: {:?}", done.get("review")));
    assert_eq!(rounds.len(), 2, "{review}");
    assert_eq!(rounds[0]["kind"], "live");
    assert_eq!(rounds[1]["kind"], "exam");
    let live: &Vec<Value> = rounds[0]["items"].as_array().expect("items");
    assert_eq!(live.len(), 2, "the skipped question does not count");
    assert_eq!(live[0]["answer"], keys[0], "the key in display order");
    assert_eq!(live[1]["answer"], keys[1]);
    assert_eq!(live[0]["my_answer"]["choice"], keys[0]["choice"]);
    assert_eq!(live[0]["correct"], true);
    assert!(live[0]["bonus"].as_f64().expect("bonus") > 0.0);
    assert!(live[1]["my_answer"].is_null());
    assert_eq!(live[1]["correct"], false);
    let exam = rounds[1]["items"].as_array().expect("items");
    assert_eq!(exam.len(), 2);
    assert_eq!(exam[0]["my_answer"]["choice"], json!([0]));
    assert!(exam[1]["my_answer"].is_null());
    for item in live.iter().chain(exam) {
        assert!(item["question"]["stem"].is_string() && item["explanation"].is_string());
    }
    // Consistent with the summary: the correct answers and the points add up to `me`.
    let items = live.iter().chain(exam);
    let correct = items.clone().filter(|i| i["correct"] == true).count();
    assert_eq!(correct as u64, done["me"]["correct"].as_u64().expect("correct"));
    let points: f64 = items
        .map(|i| i["points"].as_f64().unwrap_or(0.0) + i["bonus"].as_f64().unwrap_or(0.0))
        .sum::<f64>()
        + review["adjustment"].as_f64().expect("adjustment");
    let score = done["me"]["score"].as_f64().expect("score");
    assert!((points - score).abs() < 0.005, "{points} vs {score}");
}
