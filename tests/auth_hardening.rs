//! Auth and API hardening (issue 7, items 3, 5 and 7): organizer login limits and lockout, a login flood beside
//! a live question, logout and password changes that revoke tokens, `?token=` only on `/ws`, the session check on
//! every participant route, the Content-Security-Policy header, repeated options and answers to an exam round
//! that has not started. Every test speaks HTTP (and WebSocket) to a real server on 127.0.0.1.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// The tests of this file run one at a time: argon2 slots are per process, so a login flood in one test would
/// make another test's logins wait (or get `503 login_busy`), and the flood's figures would include the others.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A client whose connections come from `127.0.0.{last}`: the server sees another client address.
fn client_from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .expect("client")
}

/// One login attempt: status, body and the `Retry-After` header in seconds.
async fn try_login(
    client: &reqwest::Client,
    server: &TestServer,
    password: &str,
) -> (u16, Value, Option<u64>) {
    let response = client
        .post(server.url("/api/auth/login"))
        .json(&json!({"username": "admin", "password": password}))
        .send()
        .await
        .expect("login request");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, retry_after)
}

/// Wrong passwords from `client` until one is refused with `code` and a `Retry-After` of at least 2 s: then the
/// bucket holds less than a token with a second or more to go, so the next attempt is refused for certain.
async fn until_firmly_refused(client: &reqwest::Client, server: &TestServer, code: &str) -> u64 {
    for i in 0..100 {
        let (status, body, retry_after) = try_login(client, server, &format!("more-{i}")).await;
        if status == 429 && body["error"]["code"] == code && retry_after.is_some_and(|s| s >= 2) {
            return retry_after.unwrap_or(2);
        }
    }
    panic!("never refused with {code}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_then_the_right_one_is_refused_until_the_window_passes() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let client = client_from(2);
    let (mut unauthorized, mut limited) = (0, 0);
    for i in 0..2_000 {
        let (status, body, retry_after) = try_login(&client, &server, &format!("wrong-{i}")).await;
        match status {
            401 => {
                assert_eq!(body["error"]["code"], "bad_credentials");
                unauthorized += 1;
            }
            429 => {
                assert_eq!(body["error"]["code"], "too_many_requests", "{body}");
                assert!(
                    retry_after.is_some_and(|s| (1..=6).contains(&s)),
                    "{retry_after:?}"
                );
                limited += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    println!("2000 wrong passwords from one address: {unauthorized} checked (401), {limited} refused (429)");
    // The address's burst is 10, and it regains one attempt every 6 s while the loop runs.
    assert!(
        (10..=14).contains(&unauthorized),
        "{unauthorized} reached the password check"
    );
    assert_eq!(unauthorized + limited, 2_000);

    // The right password is refused too while the address is limited: guessing it is not rewarded.
    until_firmly_refused(&client, &server, "too_many_requests").await;
    let (status, body, retry_after) = try_login(&client, &server, ADMIN_PASSWORD).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("too_many_requests")),
        "{body}"
    );
    assert!(body.get("token").is_none());
    let wait = retry_after.expect("Retry-After");
    // Another address (the organizer's laptop) is not locked out meanwhile: one address cannot lock the account.
    let (status, body, _) = try_login(&client_from(3), &server, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "another address logs in: {body}");

    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(200)).await;
    let (status, body, _) = try_login(&client, &server, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "after the window: {body}");
    assert!(body["token"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_addresses_lock_the_account_for_a_while() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let (mut unauthorized, mut locked) = (0, 0);
    for last in 10..15u8 {
        let client = client_from(last);
        for i in 0..10 {
            let (status, body, retry_after) = try_login(&client, &server, &format!("guess-{last}-{i}")).await;
            match (status, body["error"]["code"].as_str()) {
                (401, Some("bad_credentials")) => unauthorized += 1,
                (429, Some("account_locked")) => {
                    assert!(retry_after.is_some());
                    locked += 1;
                }
                other => panic!("unexpected {other:?}: {body}"),
            }
        }
    }
    println!("50 guesses from 5 addresses: {unauthorized} checked, {locked} refused as account_locked");
    // The account's burst is 30 (the test server's own login gave its token back); it regains one every 3 s.
    assert!((30..=40).contains(&unauthorized), "{unauthorized}");
    assert!(locked >= 10, "{locked}");

    // Locked: even the right password from a fresh address is refused. Each guess comes from a new address, so no
    // address limit gets in the way: on a slow machine the account may have regained a token or two while the
    // guesses above were hashed, and those are spent here until the account is firmly locked again.
    let mut firmly = false;
    for last in 100..200u8 {
        let (status, body, retry_after) =
            try_login(&client_from(last), &server, &format!("more-{last}")).await;
        if status == 429 && body["error"]["code"] == "account_locked" {
            if retry_after.is_some_and(|s| s >= 2) {
                firmly = true;
                break;
            }
            // Locked, but the next token is due within a second (a loaded machine took long over the guesses
            // above): wait for it, then spend it.
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        assert_eq!(
            status, 401,
            "a guess is checked or refused as account_locked: {body}"
        );
    }
    assert!(firmly, "the account never locked");
    let fresh = client_from(40);
    let (status, body, retry_after) = try_login(&fresh, &server, ADMIN_PASSWORD).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("account_locked")),
        "{body}"
    );
    let wait = retry_after.expect("Retry-After");
    assert!((1..=3).contains(&wait), "{wait}");
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(200)).await;
    let (status, body, _) = try_login(&fresh, &server, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "after the lockout: {body}");
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Each participant in `people` answers the open question once, one every 100 ms (as people do, spread over the
/// question's time); the acknowledgement times in milliseconds.
async fn answer_all(server: &TestServer, people: &[Joined], round_id: i64, index: usize) -> Vec<f64> {
    let mut times = Vec::new();
    let mut pace = tokio::time::interval(Duration::from_millis(100));
    for p in people {
        pace.tick().await;
        let started = Instant::now();
        let (status, ack) = server
            .participant(
                &p.token,
                Method::POST,
                "/api/answers",
                Some(json!({"round_id": round_id, "index": index, "choice": [0]})),
            )
            .await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(status, 200, "answer: {ack}");
        assert_eq!(ack["round_id"], round_id);
        assert_eq!(ack["index"], index);
        assert_eq!(ack["duplicate"], false);
    }
    times
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_does_not_delay_answers() {
    let _serial = ONE_AT_A_TIME.lock().await;
    const PEOPLE: usize = 30;
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "登录洪水",
                "bank_ids": ["party-history"],
                "rounds": [{"title": "现场", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 2}]},
                    "question_seconds": 120}}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(PEOPLE, 3)).await;
    assert_eq!(status, 200, "{body}");
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        people.push(server.join(&code, &badge(i)).await);
    }
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");

    server.control(id, json!({"action": "next"})).await;
    let mut baseline = answer_all(&server, &people, round_id, 0).await;
    // The question closes by itself once everyone has answered; close it in case it has not yet.
    let _ = server
        .org(
            Method::POST,
            &format!("/api/contests/{id}/control"),
            Some(json!({"action": "close"})),
        )
        .await;
    server.control(id, json!({"action": "next"})).await;

    // 16 concurrent loops of wrong logins, each from its own address.
    let stop = Arc::new(AtomicBool::new(false));
    let counts: Arc<[AtomicUsize; 4]> = Arc::new(Default::default());
    let mut flood = Vec::new();
    for k in 0..16u8 {
        let (stop, counts) = (stop.clone(), counts.clone());
        let client = client_from(100 + k);
        let url = server.url("/api/auth/login");
        flood.push(tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                let status = client
                    .post(&url)
                    .json(&json!({"username": "admin", "password": format!("flood-{k}")}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                let slot = match status {
                    401 => 0,
                    429 => 1,
                    503 => 2,
                    _ => 3,
                };
                counts[slot].fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut during = answer_all(&server, &people, round_id, 1).await;
    stop.store(true, Ordering::Relaxed);
    for task in flood {
        task.await.expect("flood task");
    }
    let [wrong, limited, busy, other] = [0, 1, 2, 3].map(|i| counts[i].load(Ordering::Relaxed));
    let (base_median, flood_median) = (median(&mut baseline), median(&mut during));
    let (base_max, flood_max) = (
        baseline.iter().copied().fold(0.0, f64::max),
        during.iter().copied().fold(0.0, f64::max),
    );
    println!(
        "answer acknowledgement, {PEOPLE} answers each: baseline median {base_median:.1} ms (max {base_max:.1}), \
         during the login flood median {flood_median:.1} ms (max {flood_max:.1}); flood: {wrong} wrong (401), \
         {limited} limited (429), {busy} busy (503), {other} other"
    );
    assert_eq!(other, 0, "every flood request got 401, 429 or 503");
    assert!(
        wrong > 0 && limited > 0,
        "the flood reached the password check and the limits"
    );
    assert!(
        flood_median < 10.0 * base_median + 200.0,
        "median ack {flood_median:.1} ms during the flood vs {base_median:.1} ms before"
    );
}

/// The organizer list endpoint with `token`: status and error code.
async fn contests_with(server: &TestServer, token: &str) -> (u16, Option<String>) {
    let (status, body) = send(
        &server.client,
        Method::GET,
        &server.url("/api/contests"),
        Some(token),
        None,
    )
    .await;
    (status, body["error"]["code"].as_str().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_and_password_change_revoke_organizer_tokens() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let first = server.organizer_token.clone();
    let second = login(&server.client, &server.base).await;
    assert_eq!(contests_with(&server, &first).await, (200, None));

    let (status, body) = send(
        &server.client,
        Method::POST,
        &server.url("/api/auth/logout"),
        Some(&first),
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    for token in [&first, &second] {
        assert_eq!(
            contests_with(&server, token).await,
            (401, Some("token_revoked".into()))
        );
    }
    // A revoked token opens no socket either.
    let refused = tokio_tungstenite::connect_async(format!("{}/ws?token={first}", server.ws_base)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("the revoked token opened a socket: {:?}", other.map(|_| ())),
    }

    // A new login works; then `jingsai admin password` (another process, the password on stdin) ends it.
    let third = login(&server.client, &server.base).await;
    assert_eq!(contests_with(&server, &third).await, (200, None));
    let new_password = "a-new-organizer-password";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jingsai"))
        .args(["admin", "password", "--data-dir"])
        .arg(server.data_dir.path())
        .args(
            server
                .database_url
                .iter()
                .flat_map(|url| ["--database-url", url.as_str()]),
        )
        .env_remove("JINGSAI_NEW_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run jingsai admin password");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{new_password}").expect("write password");
    }
    let output = child.wait_with_output().expect("admin password finishes");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{printed}");
    assert!(
        !printed.contains(new_password),
        "the password is never printed: {printed}"
    );

    assert_eq!(
        contests_with(&server, &third).await,
        (401, Some("token_revoked".into()))
    );
    let (status, _, _) = try_login(&server.client, &server, ADMIN_PASSWORD).await;
    assert_eq!(status, 401, "the old password no longer works");
    let (status, body, _) = try_login(&server.client, &server, new_password).await;
    assert_eq!(status, 200, "{body}");
    let fourth = body["token"].as_str().expect("token").to_string();
    assert_eq!(contests_with(&server, &fourth).await, (200, None));
}

/// A contest with one live and one exam round, a roster of `people`, the live round running.
async fn running_contest(server: &TestServer, people: usize) -> (i64, String, i64, i64) {
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "加固",
                "bank_ids": ["party-history"],
                "rounds": [
                    {"title": "现场", "kind": "live", "config": {
                        "blueprint": {"quotas": [{"type": "multiple", "count": 2}]}, "question_seconds": 120}},
                    {"title": "笔试", "kind": "exam", "config": {
                        "blueprint": {"quotas": [{"type": "single", "count": 2}]}, "time_limit_seconds": 600}}
                ]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(people, 2)).await;
    assert_eq!(status, 200, "{body}");
    let snapshot = server
        .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
        .await;
    let rounds = snapshot["rounds"].as_array().expect("rounds");
    let exam_id = rounds[1]["id"].as_i64().expect("exam round id");
    let started = server.control(id, json!({"action": "start_round"})).await;
    let live_id = started["round"]["id"].as_i64().expect("round");
    server.control(id, json!({"action": "next"})).await;
    (id, code, live_id, exam_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_in_the_query_are_accepted_on_ws_only() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let (id, code, _, _) = running_contest(&server, 2).await;
    let org = &server.organizer_token;
    let (status, body) = send(
        &server.client,
        Method::GET,
        &server.url(&format!("/api/contests?token={org}")),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("missing_token")),
        "{body}"
    );
    let p = server.join(&code, &badge(0)).await;
    for path in ["/api/me", "/api/server-info"] {
        let (status, body) = send(
            &server.client,
            Method::GET,
            &server.url(&format!("{path}?token={}", p.token)),
            None,
            None,
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("missing_token")),
            "{path}: {body}"
        );
    }
    // The same tokens in the header work, and on /ws the query is the way in.
    assert_eq!(contests_with(&server, org).await, (200, None));
    let socket = server.ws(&p.token, None).await;
    socket.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let display = server
        .org_ok(Method::POST, &format!("/api/contests/{id}/display-token"), None)
        .await;
    let display_token = display["token"].as_str().expect("display token");
    let screen = server.ws(display_token, Some(id)).await;
    screen.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    // The big-screen page link keeps working: the page loads and its script reads the token from the URL.
    let response = server
        .client
        .get(server.url(&format!("/screen?token={display_token}")))
        .send()
        .await
        .expect("screen page");
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_session_is_refused_on_every_participant_route() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let (_, code, live_id, _) = running_contest(&server, 2).await;
    let old = server.join(&code, &badge(0)).await;
    let (status, _) = server
        .participant(&old.token, Method::GET, "/api/server-info", None)
        .await;
    assert_eq!(status, 200);
    let new = server.join(&code, &badge(0)).await;
    let answer = json!({"round_id": live_id, "index": 0, "choice": [0]});
    let calls: [(Method, &str, Option<Value>); 6] = [
        (Method::GET, "/api/me", None),
        (Method::GET, "/api/server-info", None),
        (Method::POST, "/api/answers", Some(answer.clone())),
        (Method::POST, "/api/exam/start", None),
        (Method::POST, "/api/exam/submit", None),
        (Method::POST, "/api/tab-switch", None),
    ];
    for (method, path, body) in calls {
        let (status, reply) = server.participant(&old.token, method, path, body).await;
        assert_eq!(
            (status, reply["error"]["code"].as_str()),
            (401, Some("session_replaced")),
            "{path}: {reply}"
        );
    }
    let refused =
        tokio_tungstenite::connect_async(format!("{}/ws?token={}", server.ws_base, old.token)).await;
    assert!(refused.is_err(), "the replaced session opened a socket");
    // The new session works everywhere.
    for path in ["/api/me", "/api/server-info"] {
        let (status, reply) = server.participant(&new.token, Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {reply}");
    }
    let (status, ack) = server
        .participant(&new.token, Method::POST, "/api/answers", Some(answer))
        .await;
    assert_eq!(status, 200, "{ack}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_options_and_answers_to_a_pending_exam_are_refused() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let (_, code, live_id, exam_id) = running_contest(&server, 2).await;
    let p = server.join(&code, &badge(1)).await;
    for choice in [json!([0, 0]), json!([1, 0, 1])] {
        let (status, body) = server
            .participant(
                &p.token,
                Method::POST,
                "/api/answers",
                Some(json!({"round_id": live_id, "index": 0, "choice": choice})),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("invalid_answer")),
            "{body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("more than once")),
            "{body}"
        );
    }
    // Still free to answer properly afterwards: the refusals recorded nothing.
    let (status, ack) = server
        .participant(
            &p.token,
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": live_id, "index": 0, "choice": [0, 1]})),
        )
        .await;
    assert_eq!((status, ack["duplicate"].as_bool()), (200, Some(false)), "{ack}");

    let (status, body) = server
        .participant(
            &p.token,
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": exam_id, "index": 0, "choice": [0]})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("round_not_running")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_content_security_policy() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    for path in [
        "/",
        "/console",
        "/screen",
        "/play/app.js",
        "/api/openapi.json",
        "/healthz",
        "/api/nope",
        "/nope",
    ] {
        let response = server.client.get(server.url(path)).send().await.expect("request");
        let csp = response
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp:?} lacks {directive}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    }
}
