//! Constant cost per event: counters are coalesced on a tick instead of being broadcast per answer, the
//! organizer gets deltas instead of the whole list, answers can go over the socket, one login cannot pile up
//! sockets, and a client that floods frames is limited.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const PEOPLE: usize = 60;

async fn live_contest(server: &TestServer, people: usize) -> (i64, String) {
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "Fan-out",
                "bank_ids": ["english-sample"],
                "rounds": [{"title": "Live", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 2}]},
                    "question_seconds": 60,
                    "close_when_all_answered": false
                }}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(people, 4)).await;
    assert_eq!(status, 200, "{body}");
    (id, code)
}

fn of_type<'a>(messages: &'a [Value], kind: &str) -> Vec<&'a Value> {
    messages.iter().filter(|m| m["type"] == kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_and_joins_are_coalesced_into_ticks_and_deltas() {
    let server = TestServer::start().await;
    let (id, code) = live_contest(&server, PEOPLE).await;
    let console = server.ws(&server.organizer_token, Some(id)).await;
    console.wait_for("snapshot", |m| m["type"] == "snapshot").await;

    let joins_started = Instant::now();
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        people.push(server.join(&code, &badge(i)).await);
    }
    let observer = server.ws(&people[0].token, None).await;
    observer.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    // Every join reaches the console as a delta entry; no join sends the whole list.
    let joined_ids: HashSet<i64> = people.iter().map(|p| p.participant_id).collect();
    let seen = eventually("every join in a participants delta", async || {
        let messages = console.all();
        let seen: HashSet<i64> = of_type(&messages, "participants_delta")
            .iter()
            .flat_map(|m| m["participants"].as_array().cloned().unwrap_or_default())
            .filter(|p| p["joined"] == true)
            .filter_map(|p| p["id"].as_i64())
            .collect();
        joined_ids.is_subset(&seen).then_some(seen)
    })
    .await;
    assert!(seen.is_subset(&joined_ids));
    let join_time = joins_started.elapsed();
    let messages = console.all();
    assert!(
        of_type(&messages, "participants").is_empty(),
        "joins never send the whole participant list"
    );
    let lobby_frames = of_type(&messages, "lobby").len();
    let ticks = (join_time.as_millis() / 250) as usize + 2;
    assert!(
        lobby_frames <= ticks.min(PEOPLE),
        "{lobby_frames} lobby frames for {PEOPLE} joins in {join_time:?}: at most one per tick"
    );
    let last_lobby = console
        .wait_for("final lobby count", |m| {
            m["type"] == "lobby" && m["joined_count"] == PEOPLE
        })
        .await;
    assert_eq!(last_lobby["roster_count"], PEOPLE);

    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = server.control(id, json!({"action": "next"})).await;
    let key = opened["question"]["answer"]["choice"].clone();
    observer
        .wait_for("question_open", |m| m["type"] == "question_open")
        .await;

    // Everyone answers at once, half over HTTP and half over their own socket.
    let answers_started = Instant::now();
    let mut phones = Vec::new();
    for p in people.iter().skip(PEOPLE / 2) {
        let phone = server.ws(&p.token, None).await;
        phone.wait_for("snapshot", |m| m["type"] == "snapshot").await;
        phones.push(phone);
    }
    let body = json!({"round_id": round_id, "index": 0, "choice": key});
    let mut http = Vec::new();
    for p in people.iter().take(PEOPLE / 2) {
        let (client, url, token, body) = (
            server.client.clone(),
            server.url("/api/answers"),
            p.token.clone(),
            body.clone(),
        );
        http.push(tokio::spawn(async move {
            send(&client, Method::POST, &url, Some(&token), Some(body)).await
        }));
    }
    for phone in &phones {
        let mut frame = body.clone();
        frame["type"] = json!("answer");
        phone.send(&frame.to_string());
    }
    for task in http {
        let (status, ack) = task.await.expect("task");
        assert_eq!(status, 200, "{ack}");
    }
    for phone in &phones {
        let ack = phone
            .wait_for("answer_ack over the socket", |m| m["type"] == "answer_ack")
            .await;
        assert_eq!(ack["ack"]["duplicate"], false);
        assert_eq!(ack["ack"]["round_id"], round_id);
    }
    let final_count = observer
        .wait_for("the coalesced count reaches everyone", |m| {
            m["type"] == "answer_count" && m["answered"] == PEOPLE
        })
        .await;
    assert_eq!(final_count["joined"], PEOPLE);
    let answer_time = answers_started.elapsed();
    let counts = of_type(&observer.all(), "answer_count").len();
    let ticks = (answer_time.as_millis() / 250) as usize + 3;
    assert!(
        counts <= ticks && counts < PEOPLE,
        "{counts} answer_count frames for {PEOPLE} answers in {answer_time:?}: at most one per tick"
    );
    // The organizer's progress deltas name every answerer exactly once.
    let progress = console
        .wait_for("progress complete", |m| {
            m["type"] == "progress" && m["answered"] == PEOPLE
        })
        .await;
    assert_eq!(progress["index"], 0);
    let mut answered = Vec::new();
    for m in of_type(&console.all(), "progress") {
        answered.extend(m["answered_ids"].as_array().cloned().unwrap_or_default());
    }
    let unique: HashSet<i64> = answered.iter().filter_map(Value::as_i64).collect();
    assert_eq!(answered.len(), PEOPLE, "each answerer once: {answered:?}");
    assert_eq!(unique, joined_ids);

    // A refused answer over the socket gets a clear error frame of its own.
    let mut wrong = body.clone();
    wrong["type"] = json!("answer");
    wrong["index"] = json!(1);
    phones[0].send(&wrong.to_string());
    let refused = phones[0]
        .wait_for("answer_error", |m| m["type"] == "answer_error")
        .await;
    assert_eq!(refused["code"], "question_not_open");
    assert_eq!(refused["index"], 1);

    // Close: the result and one personal frame with the outcome and the new place; no leaderboard for phones.
    server.control(id, json!({"action": "close"})).await;
    let closed = observer
        .wait_for("question_closed", |m| m["type"] == "question_closed")
        .await;
    assert_eq!(closed["result"]["answered"], PEOPLE);
    let mine = observer.wait_for("my_result", |m| m["type"] == "my_result").await;
    assert_eq!(mine["correct"], true);
    let rank = mine["rank"].as_u64().expect("my_result carries the place");
    assert!((1..=PEOPLE as u64).contains(&rank), "{mine}");
    assert_eq!(mine["of"], PEOPLE);
    assert!(
        of_type(&observer.all(), "my_rank").is_empty(),
        "the place travels in my_result at a close"
    );
    // The board still changes for the screens; a phone that asks gets it in its snapshot.
    let (_, me) = server
        .participant(&people[0].token, Method::GET, "/api/me", None)
        .await;
    assert_eq!(me["leaderboard"]["participants"], PEOPLE, "{me}");
    assert!(
        of_type(&observer.all(), "leaderboard").is_empty(),
        "phones get no leaderboard frame at a close"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_login_cannot_pile_up_sockets_and_floods_are_limited() {
    let server = TestServer::start().await;
    let (id, code) = live_contest(&server, 2).await;
    let phone = server.join(&code, &badge(0)).await;
    let mut sockets = Vec::new();
    for _ in 0..6 {
        let socket = server.ws(&phone.token, None).await;
        socket.wait_for("snapshot", |m| m["type"] == "snapshot").await;
        sockets.push(socket);
    }
    // A participant login holds at most three sockets: each newer one closed the oldest, with a reason.
    for old in &sockets[..3] {
        let notice = old
            .wait_for("closed for too many connections", |m| {
                m["code"] == "too_many_connections"
            })
            .await;
        assert_eq!(notice["type"], "error");
        eventually("the old socket closes", async || old.is_closed().then_some(())).await;
    }
    for newer in &sockets[3..] {
        assert!(!newer.is_closed());
    }
    // The console sees one connected participant, not six.
    let snapshot = server
        .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
        .await;
    let connected = snapshot["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter(|p| p["connected"] == true)
        .count();
    assert_eq!(connected, 1);

    // The same for a display token: at most four screens.
    let display = server
        .org_ok(Method::POST, &format!("/api/contests/{id}/display-token"), None)
        .await;
    let display_token = display["token"].as_str().expect("token").to_string();
    let mut screens = Vec::new();
    for _ in 0..5 {
        let screen = server.ws(&display_token, None).await;
        screen.wait_for("snapshot", |m| m["type"] == "snapshot").await;
        screens.push(screen);
    }
    screens[0]
        .wait_for("oldest screen closed", |m| m["code"] == "too_many_connections")
        .await;

    // A flood of frames from one socket is cut down: the client is told, tab switches count once.
    let flooder = &sockets[5];
    for _ in 0..300 {
        flooder.send(r#"{"type":"tab_switch"}"#);
    }
    flooder
        .wait_for("rate_limited", |m| m["code"] == "rate_limited")
        .await;
    let switches = eventually("the tab switch is counted", async || {
        let snapshot = server
            .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
            .await;
        let me = snapshot["participants"]
            .as_array()?
            .iter()
            .find(|p| p["id"] == phone.participant_id)?
            .clone();
        (me["tab_switches"].as_u64()? > 0).then_some(me["tab_switches"].as_u64()?)
    })
    .await;
    assert_eq!(switches, 1, "a burst of tab switches counts once");
    // The socket survives and still answers a ping after the burst has drained.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    flooder.send(r#"{"type":"ping","client_time":1}"#);
    flooder
        .wait_for("pong after the flood", |m| m["type"] == "pong")
        .await;
    assert!(!flooder.is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_for_organizers_and_count_answers() {
    let server = TestServer::start().await;
    let (status, _) = send(&server.client, Method::GET, &server.url("/metrics"), None, None).await;
    assert_eq!(status, 401, "no token, no metrics");
    let (id, code) = live_contest(&server, 1).await;
    let phone = server.join(&code, &badge(0)).await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = server.control(id, json!({"action": "next"})).await;
    let key = opened["question"]["answer"]["choice"].clone();
    let (status, ack) = server
        .participant(
            &phone.token,
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": round_id, "index": 0, "choice": key})),
        )
        .await;
    assert_eq!(status, 200, "{ack}");
    let response = server
        .client
        .get(server.url("/metrics"))
        .bearer_auth(&server.organizer_token)
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from:\n{text}"))
    };
    assert!(value("jingsai_answers_accepted_total") >= 1.0);
    assert!(value("jingsai_answer_ack_seconds_count") >= 1.0);
    assert!(value("jingsai_joins_total") >= 1.0);
    assert!(value("jingsai_open_contests") >= 1.0);
    assert!(text.contains("jingsai_answers_refused_total{reason=\"answer_late\"}"));
    assert!(
        value("jingsai_writer_batch_size_count") >= 1.0,
        "the writer reports its batches"
    );
    assert!(value("jingsai_writer_commit_seconds_count") >= 1.0);
}
