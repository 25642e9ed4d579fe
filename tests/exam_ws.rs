//! An exam round over the participant's WebSocket: `exam_start` → `exam_paper`, `answer` → `answer_ack`,
//! `exam_submit` → `exam_submitted`, refusals as `exam_error` / `answer_error` with the codes of the HTTP
//! endpoints, sent to the asking socket only. A participant on the socket and one on HTTP who answer the same way
//! get the same score.

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Questions on each paper (single choice, 10 points each).
const QUESTIONS: usize = 6;
/// Both participants answer the first `RIGHT` questions correctly and the rest wrongly.
const RIGHT: usize = 4;

fn of_type(messages: &[Value], kind: &str) -> Vec<Value> {
    messages.iter().filter(|m| m["type"] == kind).cloned().collect()
}

fn has_key_fields(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k == "answer" || k == "explanation" || k == "correct" || has_key_fields(v)),
        Value::Array(items) => items.iter().any(has_key_fields),
        _ => false,
    }
}

/// Send a frame with a fresh `ref` and wait for the reply that echoes it.
async fn request(socket: &Capture, mut frame: Value, reference: &str) -> Value {
    frame["ref"] = json!(reference);
    socket.send(&frame.to_string());
    socket
        .wait_for(&format!("the reply to {reference}"), |m| m["ref"] == reference)
        .await
}

/// The display position of the right option, and of a wrong one, for each question of a participant's paper
/// (from the organizer's paper audit and the bank's keys).
async fn right_and_wrong(
    server: &TestServer,
    contest_id: i64,
    round_id: i64,
    pid: i64,
) -> Vec<(usize, usize)> {
    let audit = server
        .org_ok(
            Method::GET,
            &format!("/api/contests/{contest_id}/rounds/{round_id}/papers/{pid}"),
            None,
        )
        .await;
    let mut picks = Vec::new();
    for item in audit["stored"]["items"].as_array().expect("items") {
        let uid = item["uid"].as_i64().expect("uid");
        let question = server
            .org_ok(Method::GET, &format!("/api/questions/{uid}"), None)
            .await;
        let key = question["answer"]["choice"][0]
            .as_u64()
            .expect("single choice key") as usize;
        let order: Vec<usize> = item["option_order"]
            .as_array()
            .expect("order")
            .iter()
            .map(|o| o.as_u64().expect("option") as usize)
            .collect();
        let options = question["options"].as_array().expect("options").len();
        let right = if order.is_empty() {
            key
        } else {
            order.iter().position(|&o| o == key).expect("key shown")
        };
        picks.push((right, (right + 1) % options));
    }
    picks
}

fn choice_for(picks: &[(usize, usize)], index: usize) -> usize {
    if index < RIGHT {
        picks[index].0
    } else {
        picks[index].1
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exam_over_the_socket_matches_http() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "Exam over the socket",
                "bank_ids": ["party-history"],
                "seed": "777",
                "rounds": [{
                    "title": "Paper",
                    "kind": "exam",
                    "config": {
                        "blueprint": {"quotas": [{"type": "single", "count": QUESTIONS}]},
                        "scoring": {"default_points": 10},
                        "time_limit_seconds": 600
                    }
                }]
            })),
        )
        .await;
    let contest_id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let detail = server
        .org_ok(Method::GET, &format!("/api/contests/{contest_id}"), None)
        .await;
    let round_id = detail["rounds"][0]["id"].as_i64().expect("round id");
    let (status, body) = server.import_roster(contest_id, &roster_csv(3, 1)).await;
    assert_eq!(status, 200, "{body}");
    let ws_person = server.join(&code, &badge(0)).await;
    let http_person = server.join(&code, &badge(1)).await;
    let bystander = server.join(&code, &badge(2)).await;
    let phone = server.ws(&ws_person.token, None).await;
    phone.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    // A second socket of the same participant (a reload overlapping the old page) and another participant's.
    let second_tab = server.ws(&ws_person.token, None).await;
    second_tab.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let other_phone = server.ws(&bystander.token, None).await;
    other_phone
        .wait_for("snapshot", |m| m["type"] == "snapshot")
        .await;
    let screen = server.ws(&server.organizer_token, Some(contest_id)).await;
    screen.wait_for("snapshot", |m| m["type"] == "snapshot").await;

    // Before the round starts: the same refusals as over HTTP.
    let refused = request(&phone, json!({"type": "exam_start"}), "start-early").await;
    let (status, http) = server
        .participant(&http_person.token, Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(refused["type"], "exam_error", "{refused}");
    assert_eq!(refused["request"], "exam_start");
    assert_eq!(refused["code"], "no_exam_running");
    assert_eq!(
        (status, &http["error"]["code"]),
        (409, &refused["code"]),
        "{http}"
    );
    assert_eq!(refused["status"], 409);
    let early = json!({"type": "answer", "round_id": round_id, "index": 0, "choice": [0]});
    let refused = request(&phone, early.clone(), "answer-early").await;
    assert_eq!(refused["type"], "answer_error", "{refused}");
    assert_eq!(refused["code"], "round_not_running");
    let (status, http) = server
        .participant(&http_person.token, Method::POST, "/api/answers", Some(early))
        .await;
    assert_eq!(
        (status, &http["error"]["code"]),
        (409, &refused["code"]),
        "{http}"
    );
    let refused = request(&phone, json!({"type": "exam_submit"}), "submit-early").await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("exam_error"), Some("no_exam_running")),
        "{refused}"
    );
    // Only participants take exams.
    screen.send(&json!({"type": "exam_start", "ref": "console"}).to_string());
    let forbidden = screen
        .wait_for("the console is refused", |m| m["type"] == "error")
        .await;
    assert_eq!(forbidden["code"], "forbidden");

    server
        .control(contest_id, json!({"action": "start_round", "round_id": round_id}))
        .await;
    phone
        .wait_for("round_started", |m| m["type"] == "round_started")
        .await;

    // Answering or handing in before opening the paper.
    let unopened = json!({"type": "answer", "round_id": round_id, "index": 0, "choice": [0]});
    let refused = request(&phone, unopened, "answer-unopened").await;
    assert_eq!(refused["code"], "paper_not_started", "{refused}");
    let refused = request(&phone, json!({"type": "exam_submit"}), "submit-unopened").await;
    assert_eq!(refused["code"], "paper_not_started", "{refused}");

    // Opening the paper: the same paper as over HTTP, without any key.
    let opened = request(&phone, json!({"type": "exam_start"}), "start").await;
    assert_eq!(opened["type"], "exam_paper", "{opened}");
    assert_eq!(opened["round_id"], round_id);
    let paper = &opened["exam"];
    assert_eq!(paper["started"], true);
    assert!(!has_key_fields(paper), "no key in the paper: {paper}");
    let questions = paper["questions"].as_array().expect("questions");
    assert_eq!(questions.len(), QUESTIONS);
    let (status, over_http) = server
        .participant(&ws_person.token, Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(status, 200, "{over_http}");
    for field in ["questions", "started_at", "deadline", "submitted_at", "answers"] {
        assert_eq!(paper[field], over_http[field], "{field}");
    }
    let (status, http_paper) = server
        .participant(&http_person.token, Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(status, 200, "{http_paper}");
    // The organizer sees both papers opened, in one coalesced progress event.
    screen
        .wait_for("exam_progress: two papers opened", |m| {
            m["type"] == "exam_progress" && m["started"] == 2
        })
        .await;

    // Answers over the socket: acknowledged after the commit, with the frame's `ref`.
    let ws_picks = right_and_wrong(&server, contest_id, round_id, ws_person.participant_id).await;
    let http_picks = right_and_wrong(&server, contest_id, round_id, http_person.participant_id).await;
    for index in 0..QUESTIONS {
        let frame = json!({"type": "answer", "round_id": round_id, "index": index,
                           "choice": [choice_for(&ws_picks, index)]});
        let ack = request(&phone, frame, &format!("a{index}")).await;
        assert_eq!(ack["type"], "answer_ack", "{ack}");
        assert_eq!(ack["ack"]["round_id"], round_id);
        assert_eq!(ack["ack"]["index"], index);
        assert_eq!(ack["ack"]["duplicate"], false);
        let body = json!({"round_id": round_id, "index": index, "choice": [choice_for(&http_picks, index)]});
        let (status, ack) = server
            .participant(&http_person.token, Method::POST, "/api/answers", Some(body))
            .await;
        assert_eq!(status, 200, "{ack}");
    }
    // The same answer again is a duplicate, acknowledged as such.
    let again =
        json!({"type": "answer", "round_id": round_id, "index": 0, "choice": [choice_for(&ws_picks, 0)]});
    let ack = request(&phone, again, "a0-again").await;
    assert_eq!(
        (ack["type"].as_str(), &ack["ack"]["duplicate"]),
        (Some("answer_ack"), &json!(true))
    );
    // A change of mind replaces the answer: wrong first, then right again.
    let wrong = json!({"type": "answer", "round_id": round_id, "index": 1, "choice": [ws_picks[1].1]});
    assert_eq!(request(&phone, wrong, "a1-wrong").await["type"], "answer_ack");
    let right = json!({"type": "answer", "round_id": round_id, "index": 1, "choice": [ws_picks[1].0]});
    assert_eq!(request(&phone, right, "a1-right").await["type"], "answer_ack");

    // Bad input: a question that is not on the paper, an option that does not exist. Same codes as HTTP.
    let bad_index = json!({"type": "answer", "round_id": round_id, "index": 99, "choice": [0]});
    let refused = request(&phone, bad_index.clone(), "bad-index").await;
    assert_eq!(
        (refused["code"].as_str(), &refused["status"]),
        (Some("not_found"), &json!(404)),
        "{refused}"
    );
    let (status, http) = server
        .participant(&http_person.token, Method::POST, "/api/answers", Some(bad_index))
        .await;
    assert_eq!(
        (status, &http["error"]["code"]),
        (404, &refused["code"]),
        "{http}"
    );
    let bad_option = json!({"type": "answer", "round_id": round_id, "index": 0, "choice": [9]});
    let refused = request(&phone, bad_option, "bad-option").await;
    assert_eq!(
        (refused["code"].as_str(), &refused["status"]),
        (Some("invalid_answer"), &json!(422)),
        "{refused}"
    );
    let bad_round = json!({"type": "answer", "round_id": round_id + 1000, "index": 0, "choice": [0]});
    let refused = request(&phone, bad_round, "bad-round").await;
    assert_eq!(refused["code"], "not_found", "{refused}");

    // Handing in: acknowledged after the commit, then the personal `paper_submitted` as over HTTP.
    let submitted = request(&phone, json!({"type": "exam_submit"}), "submit").await;
    assert_eq!(submitted["type"], "exam_submitted", "{submitted}");
    assert!(submitted["exam"]["submitted_at"].is_i64(), "{submitted}");
    assert_eq!(submitted["exam"]["auto_submitted"], false);
    assert_eq!(
        submitted["exam"]["answers"].as_array().map(Vec::len),
        Some(QUESTIONS)
    );
    phone
        .wait_for("paper_submitted", |m| {
            m["type"] == "paper_submitted" && m["auto"] == false
        })
        .await;
    let (status, body) = server
        .participant(&http_person.token, Method::POST, "/api/exam/submit", None)
        .await;
    assert_eq!(status, 200, "{body}");
    // Handing in again returns the paper as it is, like HTTP.
    let again = request(&phone, json!({"type": "exam_submit"}), "submit-again").await;
    assert_eq!(again["exam"]["submitted_at"], submitted["exam"]["submitted_at"]);
    // After handing in, answers are refused.
    let late = json!({"type": "answer", "round_id": round_id, "index": 2, "choice": [0]});
    let refused = request(&phone, late.clone(), "after-submit").await;
    assert_eq!(refused["code"], "paper_submitted", "{refused}");
    let (status, http) = server
        .participant(&http_person.token, Method::POST, "/api/answers", Some(late))
        .await;
    assert_eq!(
        (status, &http["error"]["code"]),
        (409, &refused["code"]),
        "{http}"
    );

    // Replies and refusals went to the asking socket only.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (name, socket) in [
        ("second tab", &second_tab),
        ("other participant", &other_phone),
        ("console", &screen),
    ] {
        let all = socket.all();
        for kind in ["exam_paper", "exam_submitted", "exam_error", "answer_error"] {
            let seen: Vec<Value> = of_type(&all, kind)
                .into_iter()
                .filter(|m| m["ref"] != "console")
                .collect();
            assert!(seen.is_empty(), "{name} got {kind}: {seen:?}");
        }
    }
    assert!(
        of_type(&other_phone.all(), "answer_ack").is_empty(),
        "acks are personal"
    );

    // The round ends: both get their result, with the same score.
    server.control(contest_id, json!({"action": "end_round"})).await;
    let result = phone
        .wait_for("exam_result", |m| m["type"] == "exam_result")
        .await;
    let ws_score = result["exam"]["score"].as_f64().expect("score");
    assert_eq!(ws_score, (RIGHT * 10) as f64, "{result}");
    let (status, me) = server
        .participant(&http_person.token, Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["exam"]["score"].as_f64(), Some(ws_score), "{me}");
    for (index, q) in result["exam"]["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .enumerate()
    {
        assert_eq!(q["correct"], index < RIGHT, "question {index}");
    }
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{contest_id}/results"), None)
        .await;
    let score_of = |pid: i64| {
        results["ranking"]
            .as_array()
            .expect("ranking")
            .iter()
            .find(|e| e["participant_id"] == pid)
            .and_then(|e| e["score"].as_f64())
    };
    assert_eq!(score_of(ws_person.participant_id), Some(ws_score));
    assert_eq!(score_of(http_person.participant_id), Some(ws_score));
}
