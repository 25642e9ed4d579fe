//! A participant drops mid-question and reconnects: snapshot first, answer kept, resubmission not double
//! counted. A second login from the same device (same device secret) takes over the session.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_keeps_answer_and_score() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "Reconnect",
                "bank_ids": ["english-sample"],
                "rounds": [{"title": "Live", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 2}], "shuffle_options": true},
                    "question_seconds": 60,
                    "scoring": {"default_points": 10, "speed_bonus": 0.5}
                }}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, _) = server
        .import_roster(id, "name,badge,unit\nAnn,A1,Red\nBob,B2,Blue\n")
        .await;
    assert_eq!(status, 200);
    let ann = server.join(&code, "A1").await;
    // Bob's phone keeps the device secret it was given, as the phone app does in localStorage.
    let (status, bob_join) = send(
        &server.client,
        Method::POST,
        &server.url("/api/join"),
        None,
        Some(json!({"code": code, "badge": "B2"})),
    )
    .await;
    assert_eq!(status, 200, "{bob_join}");
    let bob_device = bob_join["device"].as_str().expect("device secret").to_string();
    let bob_token = bob_join["token"].as_str().expect("token").to_string();
    let phone = server.ws(&ann.token, None).await;
    phone.wait_for("snapshot", |m| m["type"] == "snapshot").await;

    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = server.control(id, json!({"action": "next"})).await;
    let key = opened["question"]["answer"]["choice"].clone();
    phone
        .wait_for("question_open", |m| m["type"] == "question_open")
        .await;

    let answer = json!({"round_id": round_id, "index": 0, "choice": key});
    let (status, ack) = server
        .participant(&ann.token, Method::POST, "/api/answers", Some(answer.clone()))
        .await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(ack["duplicate"], false);
    phone
        .wait_for("answer_ack event", |m| m["type"] == "answer_ack")
        .await;

    // The phone drops and comes back.
    phone.close();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let phone = server.ws(&ann.token, None).await;
    let snapshot = phone
        .wait_for("snapshot after reconnect", |m| m["type"] == "snapshot")
        .await;
    assert_eq!(
        phone.all()[0]["type"],
        "snapshot",
        "the first message after reconnecting is the snapshot"
    );
    assert_eq!(snapshot["question"]["index"], 0);
    assert_eq!(snapshot["question"]["state"], "open");
    assert_eq!(snapshot["question"]["my_answer"]["choice"], key);
    assert!(
        snapshot["question"].get("answer").is_none(),
        "no key in a participant snapshot of an open question"
    );
    assert_eq!(snapshot["me"]["name"], "Ann");

    // Resubmitting the same answer is harmless; a different one is refused.
    let (status, again) = server
        .participant(&ann.token, Method::POST, "/api/answers", Some(answer))
        .await;
    assert_eq!((status, again["duplicate"].as_bool()), (200, Some(true)));
    assert_eq!(again["received_at"], ack["received_at"]);
    let other = (key[0].as_u64().expect("k") + 1) % 4;
    let (status, err) = server
        .participant(
            &ann.token,
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": round_id, "index": 0, "choice": [other]})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(err["error"]["code"], "already_answered");

    server.control(id, json!({"action": "close"})).await;
    let result = phone.wait_for("my_result", |m| m["type"] == "my_result").await;
    assert_eq!(result["correct"], true);
    assert_eq!(result["points"], 10.0);
    let breakdown = server
        .org_ok(
            Method::GET,
            &format!("/api/contests/{id}/participants/{}/breakdown", ann.participant_id),
            None,
        )
        .await;
    let items = breakdown["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "one scored question, counted once");
    let total = items[0]["points"].as_f64().expect("p") + items[0]["bonus"].as_f64().expect("b");
    // Two questions in the round: each may earn at most 10 * 0.5 / 2 = 2.5 bonus points.
    assert!(
        total > 10.0 && total <= 12.5,
        "points plus a speed bonus of at most 2.5: {total}"
    );
    assert_eq!(breakdown["score"].as_f64().expect("score"), total);

    // A second login from the same phone (same device secret, e.g. after a reload) takes over: the old
    // socket is told and closed, the old token refused.
    let bob_phone = server.ws(&bob_token, None).await;
    bob_phone.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let (status, bob_again) = send(
        &server.client,
        Method::POST,
        &server.url("/api/join"),
        None,
        Some(json!({"code": code, "badge": "B2", "device": bob_device})),
    )
    .await;
    assert_eq!(status, 200, "{bob_again}");
    let bob_again_token = bob_again["token"].as_str().expect("token").to_string();
    bob_phone
        .wait_for("session_replaced", |m| m["type"] == "session_replaced")
        .await;
    let (status, err) = server.participant(&bob_token, Method::GET, "/api/me", None).await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["code"], "session_replaced");
    let (status, _) = server
        .participant(&bob_again_token, Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 200);
}
