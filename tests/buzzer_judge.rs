//! 抢答 (buzzer) rounds judged by the organizer: verdicts, undo and adjustments in the audited team ledger; the
//! clock judging a silent floor late and voiding a question nobody buzzed; the checks of stage settings when
//! rounds are created.

#[path = "common/buzzer.rs"]
mod buzzer;
mod common;

use std::collections::BTreeMap;

use buzzer::*;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizer_judges_undoes_and_adjusts_in_the_audited_ledger() {
    let server = TestServer::start().await;
    let settings = json!({"points": 20, "wrong_penalty": 10, "late_penalty": 5, "foul_penalty": 10,
                          "on_wrong": "pass", "answer_by": "judge", "answer_seconds": 60,
                          "buzz_window_seconds": 60});
    let (id, code) = buzzer_contest(&server, 3, 1, settings.clone()).await;
    let org = server.ws(&server.organizer_token, Some(id)).await;
    let mut phones = phones(&server, &code, 3).await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().unwrap();
    server.control(id, json!({"action": "next"})).await;
    for phone in &mut phones {
        phone.ws.send(r#"{"type": "snapshot"}"#);
    }
    learn_teams(&mut phones).await;
    let (a, b, c) = (&phones[0], &phones[1], &phones[2]);

    assert_eq!(
        control_error(&server, id, json!({"action": "judge", "correct": true})).await,
        (409, "nobody_holds_floor".into())
    );
    server.control(id, json!({"action": "arm"})).await;
    assert_eq!(
        control_error(&server, id, json!({"action": "arm"})).await,
        (409, "already_armed".into())
    );
    assert_eq!(buzz(a, "a").await["result"], "floor");
    assert_eq!(buzz(b, "b").await["result"], "queued");
    // Answers are spoken in this round: a phone cannot answer.
    a.ws.send(
        &json!({"type": "answer", "round_id": round_id, "index": 0, "choice": [0], "ref": "x"}).to_string(),
    );
    assert_eq!(reply(&a.ws, "x").await["code"], "answer_aloud");
    // A verdict meant for another team than the floor holder is refused.
    let misdirected = json!({"action": "judge", "correct": false, "team": b.team});
    assert_eq!(
        control_error(&server, id, misdirected).await,
        (409, "not_floor_holder".into())
    );
    let after_wrong = server
        .control(id, json!({"action": "judge", "correct": false, "team": a.team}))
        .await;
    assert_eq!(after_wrong["buzzer"]["floor"], b.team);
    let after_right = server
        .control(id, json!({"action": "judge", "correct": true}))
        .await;
    assert_eq!(after_right["buzzer"]["outcome"]["team"], b.team);
    assert_eq!(after_right["question"]["result"]["outcome"]["result"], "won");

    // Undo the wrong verdict on A: a reversing entry, audited; the original stays.
    let ledger = after_right["stage"]["ledger"].as_array().unwrap().clone();
    let wrong_entry = ledger.iter().find(|e| e["reason"] == "buzzer_wrong").unwrap();
    assert_eq!(wrong_entry["created_by"], "admin");
    let entry = wrong_entry["id"].as_u64().unwrap();
    let undone = server
        .control(
            id,
            json!({"action": "undo", "entry": entry, "note": "judged too fast"}),
        )
        .await;
    let undo = undone["stage"]["ledger"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (undo["reason"].as_str(), undo["undoes"].as_u64()),
        (Some("undo_of"), Some(entry))
    );
    assert_eq!(
        (undo["delta"].as_f64(), undo["created_by"].as_str()),
        (Some(10.0), Some("admin"))
    );
    assert_eq!(undo["note"], "judged too fast");
    assert!(undo["created_at"].as_i64().unwrap() > 0);
    assert_eq!(
        undone["stage"]["ledger"][entry as usize - 1]["undone_by"],
        undo["id"]
    );
    assert_eq!(standings(&undone["stage"]["standings"])[&a.team], 100.0);
    let again = json!({"action": "undo", "entry": entry});
    assert_eq!(
        control_error(&server, id, again).await,
        (409, "already_undone".into())
    );
    let undo_undo = json!({"action": "undo", "entry": undo["id"]});
    assert_eq!(
        control_error(&server, id, undo_undo).await,
        (409, "cannot_undo_undo".into())
    );
    assert_eq!(
        control_error(&server, id, json!({"action": "undo", "entry": 99})).await,
        (404, "unknown_entry".into())
    );
    let no_note = json!({"action": "adjust_team", "team": c.team, "delta": 2.5, "note": " "});
    assert_eq!(
        control_error(&server, id, no_note).await,
        (422, "note_required".into())
    );
    server
        .control(
            id,
            json!({"action": "adjust_team", "team": c.team, "delta": 2.5, "note": "appeal upheld"}),
        )
        .await;

    let expected = expected_totals(&org, &[a.team, b.team, c.team], &settings);
    assert_eq!(
        expected,
        BTreeMap::from([(a.team, 100.0), (b.team, 120.0), (c.team, 102.5)])
    );
    let snapshot = server
        .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
        .await;
    assert_eq!(standings(&snapshot["stage"]["standings"]), expected);
    // A skipped question reveals nothing and stops its clock.
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "arm"})).await;
    let skipped = server.control(id, json!({"action": "skip"})).await;
    assert_eq!(skipped["question"]["state"], "skipped");
    assert_eq!(skipped["buzzer"]["phase"], "skipped");
    assert_eq!(skipped["buzzer"]["window_deadline"], Value::Null);
    assert!(skipped["question"].get("result").is_none());
    assert_eq!(frames(&org, "buzzer_result").len(), 1);
    // Ending the round keeps the team totals on the leaderboard.
    let ended = server.control(id, json!({"action": "end_round"})).await;
    assert_eq!(standings(&ended["leaderboard"]["teams"]), expected);
    assert_eq!(ended["round"]["state"], "finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_judges_a_silent_floor_late_and_voids_a_question_nobody_buzzed() {
    let server = TestServer::start().await;
    let settings = json!({"points": 20, "wrong_penalty": 10, "late_penalty": 5, "foul_penalty": 10,
                          "on_wrong": "pass", "answer_by": "judge", "answer_seconds": 3,
                          "buzz_window_seconds": 3});
    let (id, code) = buzzer_contest(&server, 3, 1, settings.clone()).await;
    let org = server.ws(&server.organizer_token, Some(id)).await;
    let mut phones = phones(&server, &code, 3).await;
    server.control(id, json!({"action": "start_round"})).await;
    server.control(id, json!({"action": "next"})).await;
    for phone in &mut phones {
        phone.ws.send(r#"{"type": "snapshot"}"#);
    }
    learn_teams(&mut phones).await;
    let c = &phones[2];

    // Question 1: C takes the floor and says nothing: the clock judges it late; nobody is left: void.
    server.control(id, json!({"action": "arm"})).await;
    let floor = buzz(c, "c").await;
    assert_eq!(floor["result"], "floor", "{floor}");
    let late = org
        .wait_for("a late verdict", |m| m["type"] == "buzzer_judged")
        .await;
    assert_eq!(late["judgement"]["verdict"], "late");
    assert_eq!(late["judgement"]["team"], c.team);
    assert_eq!(late["judgement"]["by"], "timer");
    let floor_frame = org.wait_for("the floor", |m| m["type"] == "buzzer_floor").await;
    let deadline = floor_frame["deadline"].as_i64().unwrap();
    assert!(
        late["judgement"]["at"].as_i64().unwrap() >= deadline,
        "not before the deadline"
    );
    let void = org
        .wait_for("the first result", |m| m["type"] == "buzzer_result")
        .await;
    assert_eq!(void["result"]["outcome"]["reason"], "queue_exhausted");

    // Question 2: nobody buzzes within the window: void, no score.
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "arm"})).await;
    let void = org
        .wait_for("the second result", |m| {
            m["type"] == "buzzer_result" && m["result"]["index"] == 1
        })
        .await;
    assert_eq!(
        void["result"]["outcome"],
        json!({"result": "void", "reason": "no_buzz"})
    );
    let late_buzz = buzz(c, "too-late").await;
    assert_eq!(late_buzz["code"], "no_open_question", "{late_buzz}");

    let teams: Vec<i64> = phones.iter().map(|p| p.team).collect();
    let expected = expected_totals(&org, &teams, &settings);
    assert_eq!(expected[&c.team], 95.0);
    let snapshot = server
        .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
        .await;
    assert_eq!(standings(&snapshot["stage"]["standings"]), expected);
    assert_eq!(snapshot["stage"]["ledger"][0]["created_by"], "timer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_rounds_of_a_contest_must_share_their_stage_settings() {
    let server = TestServer::start().await;
    let round = |base: u32| {
        json!({"title": "抢答", "kind": "buzzer", "config": {
            "blueprint": {"quotas": [{"type": "single", "count": 1}]}, "stage": {"base_score": base}}})
    };
    let (status, body) = server
        .org(
            Method::POST,
            "/api/contests",
            Some(json!({"title": "t", "bank_ids": ["party-history"], "rounds": [round(100), round(50)]})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid_round")),
        "{body}"
    );
    let bad = json!({"title": "t", "bank_ids": ["party-history"], "rounds": [{"title": "x", "kind": "buzzer",
        "config": {"blueprint": {"quotas": [{"type": "single", "count": 1}]}, "buzzer": {"answer_seconds": 1}}}]});
    let (status, body) = server.org(Method::POST, "/api/contests", Some(bad)).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("answer_seconds"),
        "{body}"
    );
    // A later round added with other stage settings is refused too.
    let created = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({"title": "t", "bank_ids": ["party-history"], "rounds": [round(100)]})),
        )
        .await;
    let path = format!("/api/contests/{}/rounds", created["id"]);
    let (status, _) = server.org(Method::POST, &path, Some(round(60))).await;
    assert_eq!(status, 422);
    let (status, _) = server.org(Method::POST, &path, Some(round(100))).await;
    assert_eq!(status, 201);
}
