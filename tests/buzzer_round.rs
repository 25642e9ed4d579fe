//! 抢答 (buzzer) rounds over real sockets: the floor goes to the first buzz the server received, early buzzes are
//! fouls, wrong answers pass the floor on, the organizer judges and undoes, the clock judges a silent floor late,
//! and every team total equals a sum computed here from the published frames. The restart test is in
//! `buzzer_restart.rs`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// A contest with one buzzer round of `questions` single-choice questions, and a roster of `units` units with
/// `per_unit` members each (units 第1大队, 第2大队, …).
async fn buzzer_contest(server: &TestServer, units: usize, per_unit: usize, buzzer: Value) -> (i64, String) {
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "抢答决赛",
                "bank_ids": ["party-history"],
                "seed": "9",
                "rounds": [{"title": "抢答题", "kind": "buzzer", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 4}]},
                    "grace_ms": 0,
                    "stage": {"base_score": 100},
                    "buzzer": buzzer,
                }}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let (status, body) = server
        .import_roster(id, &roster_csv(units * per_unit, units))
        .await;
    assert_eq!(status, 200, "{body}");
    (id, contest["join_code"].as_str().expect("code").to_string())
}

/// A phone: its participant, its socket, its team.
struct Phone {
    joined: Joined,
    ws: Capture,
    team: i64,
}

/// Join every roster member, open their sockets, and learn each one's team from their snapshot.
async fn phones(server: &TestServer, code: &str, count: usize) -> Vec<Phone> {
    let mut phones = Vec::new();
    for i in 0..count {
        let joined = server.join(code, &badge(i)).await;
        let ws = server.ws(&joined.token, None).await;
        phones.push(Phone { joined, ws, team: 0 });
    }
    phones
}

async fn learn_teams(phones: &mut [Phone]) {
    for phone in phones.iter_mut() {
        let snapshot = phone
            .ws
            .wait_for("snapshot with a team", |m| {
                m["type"] == "snapshot" && m["me"]["team"].is_i64()
            })
            .await;
        phone.team = snapshot["me"]["team"]
            .as_i64()
            .expect("a team once the stage round started");
    }
}

async fn control_error(server: &TestServer, id: i64, action: Value) -> (u16, String) {
    let (status, body) = server
        .org(Method::POST, &format!("/api/contests/{id}/control"), Some(action))
        .await;
    (
        status,
        body["error"]["code"].as_str().unwrap_or_default().to_string(),
    )
}

fn frames(capture: &Capture, kind: &str) -> Vec<Value> {
    capture.all().into_iter().filter(|m| m["type"] == kind).collect()
}

/// Wait until `capture` holds at least `n` frames of `kind`.
async fn wait_frames(capture: &Capture, kind: &str, n: usize) -> Vec<Value> {
    eventually(&format!("{n} {kind} frames"), async || {
        let found = frames(capture, kind);
        (found.len() >= n).then_some(found)
    })
    .await
}

/// Send a buzz and wait for this socket's reply (`buzz_ack` or `buzz_error`).
async fn buzz(phone: &Phone, reference: &str) -> Value {
    phone
        .ws
        .send(&json!({"type": "buzz", "client_ms": 5, "ref": reference}).to_string());
    reply(&phone.ws, reference).await
}

async fn reply(capture: &Capture, reference: &str) -> Value {
    capture
        .wait_for(&format!("the reply to {reference}"), |m| m["ref"] == reference)
        .await
}

/// The totals every team must have, computed from the published frames alone: base score, then for every
/// judgement the points or the penalty of its verdict and for every foul the foul penalty, minus what was
/// undone, plus adjustments (the last two read from the ledger entries published in `team_scores`).
fn expected_totals(organizer: &Capture, teams: &[i64], settings: &Value) -> BTreeMap<i64, f64> {
    let points = |field: &str| settings[field].as_f64().expect(field);
    let mut totals: BTreeMap<i64, f64> = teams.iter().map(|t| (*t, 100.0)).collect();
    for m in organizer.all() {
        match m["type"].as_str() {
            Some("buzz_order") if m["buzz"]["foul"] == true => {
                *totals.get_mut(&m["buzz"]["team"].as_i64().unwrap()).unwrap() -= points("foul_penalty");
            }
            Some("buzzer_judged") => {
                let j = &m["judgement"];
                let delta = match j["verdict"].as_str().unwrap() {
                    "right" => points("points"),
                    "wrong" => -points("wrong_penalty"),
                    "late" => -points("late_penalty"),
                    other => panic!("verdict {other}"),
                };
                *totals.get_mut(&j["team"].as_i64().unwrap()).unwrap() += delta;
            }
            Some("team_scores") => {
                for e in m["entries"].as_array().unwrap() {
                    if matches!(e["reason"].as_str(), Some("undo_of" | "adjustment")) {
                        *totals.get_mut(&e["team"].as_i64().unwrap()).unwrap() +=
                            e["delta"].as_f64().unwrap();
                    }
                }
            }
            _ => {}
        }
    }
    totals
}

fn standings(value: &Value) -> BTreeMap<i64, f64> {
    value
        .as_array()
        .expect("standings")
        .iter()
        .map(|s| (s["team"].as_i64().unwrap(), s["total"].as_f64().unwrap()))
        .collect()
}

fn contains_key_named(value: &Value, names: &[&str]) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| names.contains(&k.as_str()) || contains_key_named(v, names)),
        Value::Array(items) => items.iter().any(|v| contains_key_named(v, names)),
        _ => false,
    }
}

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

    // No key reached a phone before its question's result.
    for phone in &phones {
        for m in phone.ws.all() {
            let kind = m["type"].as_str().unwrap_or_default();
            if !matches!(kind, "buzzer_result" | "snapshot") {
                assert!(
                    !contains_key_named(&m, &["answer", "explanation", "response"]),
                    "leak in {m}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizer_judges_undoes_and_adjusts_and_the_clock_judges_a_silent_floor_late() {
    let server = TestServer::start().await;
    let settings = json!({"points": 20, "wrong_penalty": 10, "late_penalty": 5, "foul_penalty": 10,
                          "on_wrong": "pass", "answer_by": "judge", "answer_seconds": 3});
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

    // Question 2: C takes the floor and says nothing: the clock judges it late, nobody is left, void.
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "arm"})).await;
    assert_eq!(buzz(c, "c").await["result"], "floor");
    let late = org
        .wait_for("a late verdict", |m| {
            m["type"] == "buzzer_judged" && m["judgement"]["verdict"] == "late"
        })
        .await;
    assert_eq!(
        (
            late["judgement"]["team"].as_i64(),
            late["judgement"]["by"].as_str()
        ),
        (Some(c.team), Some("timer"))
    );
    let void = org
        .wait_for("the second result", |m| {
            m["type"] == "buzzer_result" && m["result"]["index"] == 1
        })
        .await;
    assert_eq!(void["result"]["outcome"]["reason"], "queue_exhausted");

    let expected = expected_totals(&org, &[a.team, b.team, c.team], &settings);
    assert_eq!(
        expected,
        BTreeMap::from([(a.team, 100.0), (b.team, 120.0), (c.team, 97.5)])
    );
    let snapshot = server
        .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
        .await;
    assert_eq!(standings(&snapshot["stage"]["standings"]), expected);
    // Ending the round keeps the team totals on the leaderboard.
    let ended = server.control(id, json!({"action": "end_round"})).await;
    assert_eq!(standings(&ended["leaderboard"]["teams"]), expected);
    assert_eq!(ended["round"]["state"], "finished");
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
