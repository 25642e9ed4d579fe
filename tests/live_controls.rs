//! Organizer controls (pause, resume, skip, end), open-join mode, mean unit scoring, and the rule that nobody
//! meets the same question twice in one contest.

mod common;

use std::collections::HashSet;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_skip_and_no_repeats_across_rounds() {
    let server = TestServer::start().await;
    // The police-history category has exactly as many multiple-choice questions as the two rounds take together
    // only if the draw avoids repeats; use a category small enough to make repeats likely otherwise.
    let multiple_count = server
        .org_ok(
            Method::GET,
            "/api/questions?category=人民公安史&type=multiple&limit=1",
            None,
        )
        .await["total"]
        .as_u64()
        .expect("total") as usize;
    assert!(
        multiple_count >= 6,
        "need a few police-history multiple-choice questions"
    );
    let live_count = multiple_count / 2;
    let exam_count = multiple_count - live_count;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "开放赛",
                "bank_ids": ["party-history"],
                "join_mode": "open",
                "unit_scoring": "mean",
                "rounds": [
                    {"title": "现场", "kind": "live", "config": {
                        "blueprint": {"quotas": [{"category": "人民公安史", "type": "multiple", "count": live_count}]},
                        "question_seconds": 30}},
                    {"title": "笔试", "kind": "exam", "config": {
                        "blueprint": {"quotas": [{"category": "人民公安史", "type": "multiple", "count": exam_count}]},
                        "time_limit_seconds": 600}}
                ]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code");

    // Open mode: name and unit, no roster.
    let mut people = Vec::new();
    for (name, unit) in [("甲", "一队"), ("乙", "一队"), ("丙", "二队")] {
        let (status, body) = send(
            &server.client,
            Method::POST,
            &server.url("/api/join"),
            None,
            Some(json!({"code": code, "name": name, "unit": unit})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        people.push(body);
    }
    let (status, body) = send(
        &server.client,
        Method::POST,
        &server.url("/api/join"),
        None,
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("name_required"))
    );
    let token = |i: usize| people[i]["token"].as_str().expect("token").to_string();

    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    // Actions that do not fit the state are refused clearly.
    let (status, body) = server
        .org(
            Method::POST,
            &format!("/api/contests/{id}/control"),
            Some(json!({"action": "resume"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("not_paused"))
    );

    let opened = server.control(id, json!({"action": "next"})).await;
    let key = opened["question"]["answer"]["choice"].clone();
    let (status, body) = server
        .org(
            Method::POST,
            &format!("/api/contests/{id}/control"),
            Some(json!({"action": "next"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("question_open"))
    );

    // Pause: the clock stops and answers wait; resume gives back the remaining time.
    let paused = server.control(id, json!({"action": "pause"})).await;
    assert_eq!(paused["question"]["state"], "paused");
    let remaining = paused["question"]["remaining_ms"].as_i64().expect("remaining");
    assert!(remaining > 20_000 && remaining <= 30_000, "{remaining}");
    let (status, body) = server
        .participant(
            &token(0),
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": round_id, "index": 0, "choice": key})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("question_paused"))
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let resumed = server.control(id, json!({"action": "resume"})).await;
    let deadline = resumed["question"]["deadline"].as_i64().expect("deadline");
    let now = resumed["server_now"].as_i64().expect("now");
    assert!(
        (deadline - now - remaining).abs() < 1000,
        "resumed with the remaining time"
    );
    for i in 0..2 {
        let (status, body) = server
            .participant(
                &token(i),
                Method::POST,
                "/api/answers",
                Some(json!({"round_id": round_id, "index": 0, "choice": key})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    server.control(id, json!({"action": "close"})).await;

    // Skip the next question: it is never scored.
    server.control(id, json!({"action": "next"})).await;
    let (status, _) = server
        .participant(
            &token(2),
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": round_id, "index": 1, "choice": [0]})),
        )
        .await;
    assert_eq!(status, 200);
    let skipped = server.control(id, json!({"action": "skip"})).await;
    assert_eq!(skipped["question"]["state"], "skipped");
    let ended = server.control(id, json!({"action": "end_round"})).await;
    assert_eq!(ended["round"]["state"], "finished");

    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    let score_of = |name: &str| {
        results["ranking"]
            .as_array()
            .expect("r")
            .iter()
            .find(|e| e["name"] == name)
            .expect("entry")["score"]
            .as_f64()
            .expect("score")
    };
    assert_eq!(score_of("甲"), 10.0);
    assert_eq!(score_of("乙"), 10.0);
    assert_eq!(score_of("丙"), 0.0, "a skipped question scores nothing");
    let units = results["units"].as_array().expect("units");
    assert_eq!(units[0]["unit"], "一队");
    assert_eq!(units[0]["score"], 10.0, "mean of 10 and 10");
    assert_eq!(units[1]["score"], 0.0);

    // The exam draws from the same small category: no question of the live round comes back.
    let state = server
        .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
        .await;
    let live_questions: HashSet<String> = state["round_questions"]
        .as_array()
        .expect("the organizer sees the live round's questions")
        .iter()
        .map(|q| q["stem"].as_str().expect("stem").to_string())
        .collect();
    assert_eq!(live_questions.len(), live_count);
    server.control(id, json!({"action": "start_round"})).await;
    let (status, paper) = server
        .participant(&token(0), Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(status, 200, "{paper}");
    let exam_stems: HashSet<String> = paper["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| q["question"]["stem"].as_str().expect("stem").to_string())
        .collect();
    assert_eq!(exam_stems.len(), exam_count);
    assert!(
        live_questions.is_disjoint(&exam_stems),
        "a question came back in a later round"
    );
    let _: Value = server.control(id, json!({"action": "finish"})).await;
}
