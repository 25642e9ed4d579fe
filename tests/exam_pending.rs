//! The console's "not handed in" list of an exam round, and the time each paper has left, are derived from the
//! organizer's participant list (as the live round's "not answered" list is): the snapshot carries every
//! participant's paper state, and the organizers' `participants_delta` carries only the participants whose paper
//! changed, never the whole list. This pins that contract: each paper's own deadline (started + limit, clipped by
//! the round window), its submission, and the deltas' size.

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const ROSTER: usize = 8;
const JOINED: usize = 6;

fn round(title: &str, limit_seconds: u64, window_seconds: u64) -> Value {
    json!({
        "title": title,
        "kind": "exam",
        "config": {
            "blueprint": {"quotas": [{"category": "新民主主义革命时期", "type": "single", "count": 2}]},
            "time_limit_seconds": limit_seconds,
            "window_seconds": window_seconds
        }
    })
}

/// The organizer's view of one participant in a snapshot.
fn person(snapshot: &Value, pid: i64) -> &Value {
    snapshot["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["id"] == pid)
        .unwrap_or_else(|| panic!("participant {pid} in {snapshot}"))
}

/// Who the console lists as not handed in: joined, paper not submitted.
fn pending(snapshot: &Value) -> BTreeSet<i64> {
    snapshot["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter(|p| p["joined"] == true && p["exam_submitted_at"].is_null())
        .map(|p| p["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn not_handed_in_with_each_papers_deadline() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "未交卷名单",
                "bank_ids": ["party-history"],
                // Round 1: the personal limit ends first. Round 2: the window ends first.
                "rounds": [round("笔试一", 60, 3600), round("笔试二", 3600, 60)]
            })),
        )
        .await;
    let contest_id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(contest_id, &roster_csv(ROSTER, 2)).await;
    assert_eq!(status, 200, "{body}");
    let mut people = Vec::new();
    for i in 0..JOINED {
        people.push(server.join(&code, &badge(i)).await);
    }
    let console = server.ws(&server.organizer_token, Some(contest_id)).await;
    console.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    // Let the joins' deltas go out before the round starts: what follows must be the papers' deltas only.
    console
        .wait_for("the last join's delta", |m| {
            m["type"] == "participants_delta"
                && m["participants"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|p| p["id"] == people[JOINED - 1].participant_id))
        })
        .await;

    // --- Round 1: limit 60 s inside a window of an hour ---
    let started = server.control(contest_id, json!({"action": "start_round"})).await;
    let r1 = started["round"].clone();
    let r1_start = r1["started_at"].as_i64().expect("started_at");
    assert_eq!(r1["ends_at"].as_i64(), Some(r1_start + 3_600_000), "{r1}");
    let seen_before_papers = console.all().len();

    let (a, b) = (&people[0], &people[1]);
    let (status, paper) = server
        .participant(&a.token, Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(status, 200, "{paper}");
    let (status, paper) = server
        .participant(&b.token, Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(status, 200, "{paper}");
    let (status, done) = server
        .participant(&b.token, Method::POST, "/api/exam/submit", None)
        .await;
    assert_eq!(status, 200, "{done}");

    let snapshot = server
        .org_ok(Method::GET, &format!("/api/contests/{contest_id}"), None)
        .await;
    let sa = person(&snapshot, a.participant_id);
    let a_start = sa["exam_started_at"].as_i64().expect("A opened the paper");
    assert!(a_start >= r1_start, "{sa}");
    assert_eq!(
        sa["exam_deadline"].as_i64(),
        Some(a_start + 60_000),
        "A's own deadline is opened + limit: {sa}"
    );
    assert!(sa["exam_submitted_at"].is_null(), "{sa}");
    let sb = person(&snapshot, b.participant_id);
    assert!(sb["exam_submitted_at"].as_i64().is_some(), "B handed in: {sb}");
    let sc = person(&snapshot, people[2].participant_id);
    assert!(
        sc["exam_started_at"].is_null() && sc["exam_deadline"].is_null() && sc["exam_submitted_at"].is_null(),
        "C has joined but not opened the paper: {sc}"
    );
    let absent = snapshot["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter(|p| p["joined"] == false)
        .count();
    assert_eq!(absent, ROSTER - JOINED);

    // The list the console shows agrees with the counters beside it ("已交卷 1/6").
    let not_in = pending(&snapshot);
    let progress = &snapshot["exam_progress"];
    assert_eq!(progress["started"], 2, "{progress}");
    assert_eq!(progress["submitted"], 1, "{progress}");
    assert_eq!(progress["joined"], JOINED);
    assert_eq!(not_in.len(), JOINED - 1);
    assert!(not_in.contains(&a.participant_id) && !not_in.contains(&b.participant_id));

    // The organizers learnt this from deltas naming only A and B, each time with the paper's fields.
    let b_submitted = console
        .wait_for("B's submission in a delta", |m| {
            m["type"] == "participants_delta"
                && m["participants"].as_array().is_some_and(|l| {
                    l.iter()
                        .any(|p| p["id"] == b.participant_id && p["exam_submitted_at"].is_i64())
                })
        })
        .await;
    assert!(b_submitted["participants"].as_array().expect("list").len() <= 2);
    let a_opened = console
        .wait_for("A's paper in a delta", |m| {
            m["type"] == "participants_delta"
                && m["participants"].as_array().is_some_and(|l| {
                    l.iter().any(|p| {
                        p["id"] == a.participant_id && p["exam_deadline"].as_i64() == Some(a_start + 60_000)
                    })
                })
        })
        .await;
    assert!(a_opened["participants"].as_array().expect("list").len() <= 2);
    let changed = BTreeSet::from([a.participant_id, b.participant_id]);
    for message in &console.all()[seen_before_papers..] {
        assert_ne!(
            message["type"], "participants",
            "no full list during the round: {message}"
        );
        if message["type"] == "participants_delta" {
            for p in message["participants"].as_array().expect("list") {
                let id = p["id"].as_i64().expect("id");
                assert!(changed.contains(&id), "only changed papers go out: {message}");
            }
        }
    }

    // --- Round 2: a window of 60 s inside a limit of an hour: the window is every paper's deadline ---
    server.control(contest_id, json!({"action": "end_round"})).await;
    let started = server.control(contest_id, json!({"action": "start_round"})).await;
    let r2 = started["round"].clone();
    assert_eq!(r2["title"], "笔试二");
    let r2_end = r2["ends_at"].as_i64().expect("a window: ends_at");
    assert_eq!(r2_end, r2["started_at"].as_i64().expect("started_at") + 60_000);
    let fresh = server
        .org_ok(Method::GET, &format!("/api/contests/{contest_id}"), None)
        .await;
    assert_eq!(
        pending(&fresh).len(),
        JOINED,
        "a new exam round starts with nobody handed in: {fresh}"
    );
    let (status, paper) = server
        .participant(&a.token, Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(status, 200, "{paper}");
    let snapshot = server
        .org_ok(Method::GET, &format!("/api/contests/{contest_id}"), None)
        .await;
    let sa = person(&snapshot, a.participant_id);
    assert_eq!(
        sa["exam_deadline"].as_i64(),
        Some(r2_end),
        "the round window clips the limit: {sa}"
    );
    assert!(sa["exam_submitted_at"].is_null(), "{sa}");
    assert_eq!(pending(&snapshot).len(), JOINED);
}
