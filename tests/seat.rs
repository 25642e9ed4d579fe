//! Officer identity: the first device binds a participant's seat. Another phone with the same badge does not
//! take over; it waits for the organizer, who approves (the seat moves) or refuses the change.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn join_raw(server: &TestServer, body: Value) -> (u16, Value) {
    send(
        &server.client,
        Method::POST,
        &server.url("/api/join"),
        None,
        Some(body),
    )
    .await
}

/// A live contest with two roster officers; returns (contest id, join code).
async fn contest(server: &TestServer) -> (i64, String) {
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "Seats",
                "bank_ids": ["english-sample"],
                "rounds": [{"title": "Live", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 2}]},
                    "question_seconds": 60,
                    "scoring": {"default_points": 10}
                }}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server
        .import_roster(id, "name,badge,unit\nAnn,A1,Red\nBob,B2,Blue\n")
        .await;
    assert_eq!(status, 200, "{body}");
    (id, code)
}

fn token(body: &Value) -> String {
    body["token"].as_str().expect("token").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takeover_needs_the_organizer() {
    let server = TestServer::start().await;
    let (id, code) = contest(&server).await;

    // The officer's phone binds the seat and keeps its device secret.
    let (status, officer) = join_raw(&server, json!({"code": code, "badge": "A1"})).await;
    assert_eq!(status, 200, "{officer}");
    let officer_device = officer["device"].as_str().expect("device").to_string();
    let officer_token = token(&officer);
    let pid = officer["participant_id"].as_i64().expect("pid");
    let phone = server.ws(&officer_token, None).await;
    phone.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let console = server.ws(&server.organizer_token, Some(id)).await;

    // An intruder with the projected code and the badge is refused and gets a device secret to wait with.
    let (status, refused) = join_raw(&server, json!({"code": code, "badge": "A1"})).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "seat_taken");
    assert!(refused.get("token").is_none() && refused["error"].get("token").is_none());
    let intruder_device = refused["error"]["details"]["device"]
        .as_str()
        .expect("device")
        .to_string();
    assert_ne!(intruder_device, officer_device);

    // The organizer sees the request, in the list and on the console socket.
    let list = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/device-requests"), None)
        .await;
    assert_eq!(list["requests"][0]["participant_id"], pid, "{list}");
    assert_eq!(list["requests"][0]["badge"], "A1");
    assert!(
        list.to_string().find(&intruder_device).is_none(),
        "secrets never reach the console"
    );
    console
        .wait_for("device_requests", |m| {
            m["type"] == "device_requests" && m["requests"][0]["participant_id"] == pid
        })
        .await;

    // The officer's session survives and the officer's answer counts.
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = server.control(id, json!({"action": "next"})).await;
    let key = opened["question"]["answer"]["choice"].clone();
    let answer = json!({"round_id": round_id, "index": 0, "choice": key});
    let (status, ack) = server
        .participant(&officer_token, Method::POST, "/api/answers", Some(answer.clone()))
        .await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(ack["duplicate"], false);

    // Polling again while the request is pending still waits.
    let (status, again) = join_raw(
        &server,
        json!({"code": code, "badge": "A1", "device": intruder_device}),
    )
    .await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"]["code"], "seat_taken");

    // The organizer refuses: the intruder's phone is told so, and the officer still holds the seat.
    let decided = server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{id}/participants/{pid}/device-change"),
            Some(json!({"approve": false})),
        )
        .await;
    assert_eq!(decided["approved"], false);
    assert_eq!(decided["requests"], json!([]));
    let (status, no) = join_raw(
        &server,
        json!({"code": code, "badge": "A1", "device": intruder_device}),
    )
    .await;
    assert_eq!(status, 403, "{no}");
    assert_eq!(no["error"]["code"], "device_refused");
    let (status, me) = server
        .participant(&officer_token, Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 200, "{me}");

    // Nothing to decide any more.
    let (status, body) = server
        .org(
            Method::POST,
            &format!("/api/contests/{id}/participants/{pid}/device-change"),
            Some(json!({"approve": true})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "no_device_request");

    // The same device rejoins as before and replaces its own older session.
    let (status, rejoin) = join_raw(
        &server,
        json!({"code": code, "badge": "A1", "device": officer_device}),
    )
    .await;
    assert_eq!(status, 200, "{rejoin}");
    assert_eq!(rejoin["device"], officer_device.as_str());
    phone
        .wait_for("session_replaced", |m| m["type"] == "session_replaced")
        .await;
    let (status, me) = server
        .participant(&token(&rejoin), Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 200, "{me}");

    // The officer's answer is the one that counts (the only joined participant answered, so it closed).
    let breakdown = server
        .org_ok(
            Method::GET,
            &format!("/api/contests/{id}/participants/{pid}/breakdown"),
            None,
        )
        .await;
    let items = breakdown["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{breakdown}");
    assert_eq!(items[0]["points"].as_f64(), Some(10.0), "{breakdown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_moves_the_seat() {
    let server = TestServer::start().await;
    let (id, code) = contest(&server).await;
    let (status, old) = join_raw(&server, json!({"code": code, "badge": "B2"})).await;
    assert_eq!(status, 200, "{old}");
    let pid = old["participant_id"].as_i64().expect("pid");
    let old_phone = server.ws(&token(&old), None).await;
    old_phone.wait_for("snapshot", |m| m["type"] == "snapshot").await;

    // The new phone chose its own device secret; the 409 echoes it.
    let new_device = "new-phone-0123456789abcdef";
    let (status, wait) = join_raw(
        &server,
        json!({"code": code, "badge": "B2", "device": new_device}),
    )
    .await;
    assert_eq!(status, 409, "{wait}");
    assert_eq!(wait["error"]["details"]["device"], new_device);

    let decided = server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{id}/participants/{pid}/device-change"),
            Some(json!({"approve": true})),
        )
        .await;
    assert_eq!(decided["approved"], true);

    // The waiting phone's next poll completes the join; the old phone is replaced.
    let (status, new) = join_raw(
        &server,
        json!({"code": code, "badge": "B2", "device": new_device}),
    )
    .await;
    assert_eq!(status, 200, "{new}");
    old_phone
        .wait_for("session_replaced", |m| m["type"] == "session_replaced")
        .await;
    let (status, err) = server
        .participant(&token(&old), Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["code"], "session_replaced");

    // The old phone cannot come back without the organizer now.
    let old_device = old["device"].as_str().expect("device");
    let (status, back) = join_raw(
        &server,
        json!({"code": code, "badge": "B2", "device": old_device}),
    )
    .await;
    assert_eq!(status, 409, "{back}");

    // The new phone answers.
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = server.control(id, json!({"action": "next"})).await;
    let key = opened["question"]["answer"]["choice"].clone();
    let (status, ack) = server
        .participant(
            &token(&new),
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": round_id, "index": 0, "choice": key})),
        )
        .await;
    assert_eq!(status, 200, "{ack}");

    // Releasing the seat lets the next phone bind it without approval.
    server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{id}/participants/{pid}/release-seat"),
            None,
        )
        .await;
    let (status, third) = join_raw(&server, json!({"code": code, "badge": "B2"})).await;
    assert_eq!(status, 200, "{third}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizer_snapshot_carries_pending_device_changes() {
    let server = TestServer::start().await;
    let (id, code) = contest(&server).await;
    let (status, officer) = join_raw(&server, json!({"code": code, "badge": "A1"})).await;
    assert_eq!(status, 200, "{officer}");
    let pid = officer["participant_id"].as_i64().expect("pid");
    let phone = server.ws(&token(&officer), None).await;
    phone.wait_for("snapshot", |m| m["type"] == "snapshot").await;

    // Nothing pending: an empty list, never a missing one.
    let console = server.ws(&server.organizer_token, Some(id)).await;
    let first = console.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    assert_eq!(first["device_requests"], json!([]), "{first}");

    let device = "second-phone-0123456789";
    let (status, wait) = join_raw(&server, json!({"code": code, "badge": "A1", "device": device})).await;
    assert_eq!(status, 409, "{wait}");

    // A console that connects now has the request in its first message, no separate request needed.
    let late = server.ws(&server.organizer_token, Some(id)).await;
    let snapshot = late.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let requests = snapshot["device_requests"].as_array().expect("device_requests");
    assert_eq!(requests.len(), 1, "{snapshot}");
    assert_eq!(requests[0]["participant_id"], pid);
    assert_eq!(requests[0]["badge"], "A1");
    assert_eq!(requests[0]["name"], "Ann");
    assert!(requests[0]["requested_at"].as_i64().is_some());
    assert!(
        !snapshot.to_string().contains(device),
        "device secrets never reach the console"
    );
    // The same list over HTTP: the snapshot endpoint, the reply of a control action, and the old endpoint.
    let over_http = server
        .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
        .await;
    assert_eq!(over_http["device_requests"], snapshot["device_requests"]);
    let started = server.control(id, json!({"action": "start_round"})).await;
    assert_eq!(started["device_requests"], snapshot["device_requests"]);
    let listed = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/device-requests"), None)
        .await;
    assert_eq!(listed["requests"], snapshot["device_requests"]);
    // A participant's snapshot says nothing about seats.
    let (status, me) = server
        .participant(&token(&officer), Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 200, "{me}");
    assert!(me.get("device_requests").is_none(), "{me}");

    // The organizer refuses: the event empties the list, and so does the next snapshot.
    server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{id}/participants/{pid}/device-change"),
            Some(json!({"approve": false})),
        )
        .await;
    late.wait_for("the emptied list", |m| {
        m["type"] == "device_requests" && m["requests"] == json!([])
    })
    .await;
    let before = late.all().iter().filter(|m| m["type"] == "snapshot").count();
    late.send(r#"{"type":"snapshot"}"#);
    let resynced = eventually("a fresh snapshot", async || {
        let all = late.all();
        let snapshots: Vec<&Value> = all.iter().filter(|m| m["type"] == "snapshot").collect();
        (snapshots.len() > before).then(|| snapshots[snapshots.len() - 1].clone())
    })
    .await;
    assert_eq!(resynced["device_requests"], json!([]));

    // The refused phone is told once; when the officer asks again, it is a new request for the organizer.
    let body = json!({"code": code, "badge": "A1", "device": device});
    let (status, refused) = join_raw(&server, body.clone()).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"]["code"], "device_refused");
    let (status, again) = join_raw(&server, body.clone()).await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"]["code"], "seat_taken");
    late.wait_for("the request again", |m| {
        m["type"] == "device_requests" && m["requests"].as_array().is_some_and(|r| r.len() == 1)
    })
    .await;
    server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{id}/participants/{pid}/device-change"),
            Some(json!({"approve": true})),
        )
        .await;
    // The approval ends the old phone's session at once and says why, before the new phone's next poll.
    let notice = phone
        .wait_for("session_replaced", |m| m["type"] == "session_replaced")
        .await;
    assert_eq!(notice["reason"], "seat_moved", "{notice}");
    let (status, err) = server
        .participant(&token(&officer), Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 401, "{err}");
    assert_eq!(err["error"]["code"], "session_replaced");
    let (status, moved) = join_raw(&server, body).await;
    assert_eq!(status, 200, "{moved}");
    let (status, me) = server
        .participant(&token(&moved), Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 200, "{me}");
}
