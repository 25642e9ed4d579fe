//! Officer identity, part two (issue 7, item 4): a per-person secret from the roster, asked on join, with one
//! answer for an unknown badge and a wrong secret, never shown outside the organizer's roster listing; and
//! failed joins limited per client address and per contest. Real server on 127.0.0.1, HTTP and WebSocket.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Distinctive secrets: they must not turn up by chance in any frame.
const ANN_PIN: &str = "73519046";
const BOB_PIN: &str = "86204817";

/// A client whose connections come from `127.0.0.{last}`: the server sees another client address.
fn client_from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .expect("client")
}

/// A request's status, raw body and `Retry-After` header.
async fn raw(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> (u16, String, Option<u64>) {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, response.text().await.expect("body"), retry_after)
}

async fn join_from(client: &reqwest::Client, server: &TestServer, body: Value) -> (u16, Value, Option<u64>) {
    let (status, text, retry_after) = raw(client, Method::POST, &server.url("/api/join"), Some(body)).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        retry_after,
    )
}

/// A contest with one live round of two questions and the given join code; returns its id.
async fn contest_with_code(server: &TestServer, code: &str) -> i64 {
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "Secrets",
                "join_code": code,
                "bank_ids": ["english-sample"],
                "rounds": [{"title": "Live", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 2}]},
                    "question_seconds": 60,
                    "scoring": {"default_points": 10}
                }}]
            })),
        )
        .await;
    contest["id"].as_i64().expect("id")
}

/// A contest whose roster has a PIN column.
async fn pin_contest(server: &TestServer, code: &str) -> i64 {
    let id = contest_with_code(server, code).await;
    let csv = format!("姓名,警号,单位,PIN码\nAnn,A1,Red,{ANN_PIN}\nBob,B2,Blue,{BOB_PIN}\n");
    let (status, body) = server.import_roster(id, &csv).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 2);
    assert_eq!(body["secret_kind"], "pin");
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_is_required_and_wrong_ones_look_like_unknown_badges() {
    let server = TestServer::start().await;
    let code = "PIN001";
    let id = pin_contest(&server, code).await;
    let client = &server.client;

    // The phone learns what to ask for.
    let (status, info) = send(
        client,
        Method::GET,
        &server.url(&format!("/api/join/{code}")),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["secret_kind"], "pin");

    // Without a secret: the same refusal whether the badge exists or not.
    let (s1, known, _) = raw(
        client,
        Method::POST,
        &server.url("/api/join"),
        Some(json!({"code": code, "badge": "A1"})),
    )
    .await;
    let (s2, unknown, _) = raw(
        client,
        Method::POST,
        &server.url("/api/join"),
        Some(json!({"code": code, "badge": "ZZ9"})),
    )
    .await;
    assert_eq!((s1, s2), (422, 422), "{known} / {unknown}");
    assert_eq!(
        known, unknown,
        "no secret: one answer for a real and an unknown badge"
    );
    assert!(known.contains("secret_required"), "{known}");

    // A wrong secret for a real badge and any secret for an unknown badge: byte-identical answers.
    let (s1, wrong, _) = raw(
        client,
        Method::POST,
        &server.url("/api/join"),
        Some(json!({"code": code, "badge": "A1", "secret": "11112222"})),
    )
    .await;
    let (s2, unknown, _) = raw(
        client,
        Method::POST,
        &server.url("/api/join"),
        Some(json!({"code": code, "badge": "ZZ9", "secret": "11112222"})),
    )
    .await;
    assert_eq!((s1, s2), (401, 401), "{wrong} / {unknown}");
    assert_eq!(
        wrong, unknown,
        "a wrong secret must not tell that the badge exists"
    );
    assert!(wrong.contains("wrong_badge_or_secret"), "{wrong}");
    // Another officer's secret is wrong too.
    let (status, other, _) = raw(
        client,
        Method::POST,
        &server.url("/api/join"),
        Some(json!({"code": code, "badge": "A1", "secret": BOB_PIN})),
    )
    .await;
    assert_eq!((status, other.as_str()), (401, wrong.as_str()));

    // The right secret joins (surrounding blanks do not matter).
    let (status, ann) = send(
        client,
        Method::POST,
        &server.url("/api/join"),
        None,
        Some(json!({"code": code, "badge": "A1", "secret": format!(" {ANN_PIN} ")})),
    )
    .await;
    assert_eq!(status, 200, "{ann}");
    let ann_token = ann["token"].as_str().expect("token").to_string();
    assert!(
        !ann.to_string().contains(ANN_PIN),
        "the join answer does not echo the secret"
    );

    // The secret never leaves the server except to the organizer's roster listing.
    let phone = server.ws(&ann_token, None).await;
    phone.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let console = server.ws(&server.organizer_token, Some(id)).await;
    console.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let display = server
        .org_ok(Method::POST, &format!("/api/contests/{id}/display-token"), None)
        .await;
    let screen = server.ws(display["token"].as_str().expect("token"), None).await;
    screen.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = server.control(id, json!({"action": "next"})).await;
    let key = opened["question"]["answer"]["choice"].clone();
    let (status, ack) = server
        .participant(
            &ann_token,
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": round_id, "index": 0, "choice": key})),
        )
        .await;
    assert_eq!(status, 200, "{ack}");
    // The only joined officer answered, so the question may have closed already.
    let _ = server
        .org(
            Method::POST,
            &format!("/api/contests/{id}/control"),
            Some(json!({"action": "close"})),
        )
        .await;
    phone.wait_for("my_result", |m| m["type"] == "my_result").await;
    for socket in [&console, &screen] {
        socket
            .wait_for("leaderboard", |m| m["type"] == "leaderboard")
            .await;
    }
    let (_, me) = server.participant(&ann_token, Method::GET, "/api/me", None).await;
    let snapshot = server
        .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
        .await;
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    let mut seen: Vec<String> = vec![
        me.to_string(),
        snapshot.to_string(),
        results.to_string(),
        info.to_string(),
    ];
    for socket in [&phone, &console, &screen] {
        seen.extend(socket.raw.lock().unwrap().iter().cloned());
    }
    assert!(seen.len() > 8, "frames were captured");
    for text in &seen {
        assert!(
            !text.contains(ANN_PIN) && !text.contains(BOB_PIN),
            "a secret leaked: {text}"
        );
    }

    // The organizer's roster listing has every secret, for the join slips.
    let listing = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/participants"), None)
        .await;
    assert_eq!(listing["secret_kind"], "pin");
    let list = listing["participants"].as_array().expect("participants");
    let secret_of = |badge: &str| {
        list.iter()
            .find(|p| p["badge"] == badge)
            .map(|p| p["secret"].clone())
    };
    assert_eq!(secret_of("A1"), Some(json!(ANN_PIN)));
    assert_eq!(secret_of("B2"), Some(json!(BOB_PIN)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_flood_from_one_address_is_refused_while_others_join() {
    let server = TestServer::start_with(|s| {
        s.join_failures_per_ip = 5;
        s.join_failures_per_contest = 1000;
    })
    .await;
    let code = "PIN002";
    pin_contest(&server, code).await;
    let attacker = client_from(2);
    let officer = client_from(3);

    // Five wrong guesses are answered as such; the address is then refused, whatever it sends.
    for guess in 0..5 {
        let (status, body, _) = join_from(
            &attacker,
            &server,
            json!({"code": code, "badge": "A1", "secret": format!("{:04}", 1000 + guess)}),
        )
        .await;
        assert_eq!(status, 401, "guess {guess}: {body}");
    }
    let (status, body, retry_after) = join_from(
        &attacker,
        &server,
        json!({"code": code, "badge": "A1", "secret": "00000000"}),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "join_limited");
    assert!(retry_after.is_some_and(|s| s >= 1), "Retry-After is set");
    // Even the right secret gets no answer from this address now (else guessing would go on unseen).
    let (status, body, _) = join_from(
        &attacker,
        &server,
        json!({"code": code, "badge": "A1", "secret": ANN_PIN}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (429, json!("join_limited"))
    );
    let (status, text, _) = raw(
        &attacker,
        Method::GET,
        &server.url(&format!("/api/join/{code}")),
        None,
    )
    .await;
    assert_eq!(status, 429, "the code lookup is refused too: {text}");

    // An officer on another address is not affected.
    let (status, body, _) = join_from(
        &officer,
        &server,
        json!({"code": code, "badge": "A1", "secret": ANN_PIN}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = join_from(
        &officer,
        &server,
        json!({"code": code, "badge": "B2", "secret": BOB_PIN}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_learn_no_more_than_the_budget() {
    // The budget is checked after the outcome is known, so guesses sent all at once cannot slip past it: of 60
    // parallel wrong guesses from one address, exactly the 5 of the budget are answered as such. (One token
    // comes back every 12 s; the burst is over long before.)
    let server = TestServer::start_with(|s| {
        s.join_failures_per_ip = 5;
        s.join_failures_per_contest = 1000;
    })
    .await;
    let code = "PIN005";
    pin_contest(&server, code).await;
    let attacker = client_from(7);
    let guesses = (0..60).map(|n| {
        let attacker = attacker.clone();
        let url = server.url("/api/join");
        async move {
            let body = json!({"code": code, "badge": "A1", "secret": format!("{:04}", 2000 + n)});
            let (status, _, _) = raw(&attacker, Method::POST, &url, Some(body)).await;
            status
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let answered = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((answered, refused), (5, 55), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_code_scanning_is_throttled_per_address() {
    let server = TestServer::start_with(|s| s.join_failures_per_ip = 5).await;
    let code = "SCAN01";
    contest_with_code(&server, code).await;
    let scanner = client_from(4);
    for n in 0..5 {
        let (status, text, _) = raw(
            &scanner,
            Method::GET,
            &server.url(&format!("/api/join/NOPE{n:02}")),
            None,
        )
        .await;
        assert_eq!(status, 404, "{text}");
        assert!(text.contains("unknown_contest"), "{text}");
    }
    // The sixth lookup is refused, and so is the real code: the scanner cannot tell them apart any more.
    let (status, text, retry_after) = raw(&scanner, Method::GET, &server.url("/api/join/NOPE99"), None).await;
    assert_eq!(status, 429, "{text}");
    assert!(text.contains("join_limited") && retry_after.is_some(), "{text}");
    let (status, _, _) = raw(
        &scanner,
        Method::GET,
        &server.url(&format!("/api/join/{code}")),
        None,
    )
    .await;
    assert_eq!(status, 429);
    // Wrong codes on POST /api/join count the same way.
    let (status, body, _) = join_from(&scanner, &server, json!({"code": "NOPE77", "badge": "1"})).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (429, json!("join_limited"))
    );
    // Another address looks the code up as usual.
    let (status, text, _) = raw(
        &client_from(5),
        Method::GET,
        &server.url(&format!("/api/join/{code}")),
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_from_many_addresses_hits_the_contest_limit() {
    let server = TestServer::start_with(|s| {
        s.join_failures_per_ip = 100;
        s.join_failures_per_contest = 4;
    })
    .await;
    let code = "PIN003";
    pin_contest(&server, code).await;
    let other_code = "PIN004";
    pin_contest(&server, other_code).await;

    // Ann's phone holds its seat before the scan.
    let (status, ann, _) = join_from(
        &client_from(10),
        &server,
        json!({"code": code, "badge": "A1", "secret": ANN_PIN, "device": "ann-phone-0123456789"}),
    )
    .await;
    assert_eq!(status, 200, "{ann}");

    // Four addresses, one wrong guess each: the contest's budget is spent.
    for last in 20..24 {
        let (status, body, _) = join_from(
            &client_from(last),
            &server,
            json!({"code": code, "badge": "B2", "secret": "1234"}),
        )
        .await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, body, retry_after) = join_from(
        &client_from(24),
        &server,
        json!({"code": code, "badge": "B2", "secret": "5678"}),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "contest_join_limited");
    assert!(retry_after.is_some());
    // A right first join cannot be told from a right guess now: it waits too.
    let (status, body, _) = join_from(
        &client_from(25),
        &server,
        json!({"code": code, "badge": "B2", "secret": BOB_PIN}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (429, json!("contest_join_limited"))
    );
    // A phone that holds its seat still rejoins, and other contests are not affected.
    let (status, body, _) = join_from(
        &client_from(10),
        &server,
        json!({"code": code, "badge": "A1", "secret": ANN_PIN, "device": "ann-phone-0123456789"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = join_from(
        &client_from(25),
        &server,
        json!({"code": other_code, "badge": "B2", "secret": BOB_PIN}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_before_the_roster_are_not_counted_as_failures() {
    let server = TestServer::start_with(|s| s.join_failures_per_ip = 3).await;
    let code = "EARLY1";
    let id = contest_with_code(&server, code).await;
    let phone = client_from(6);
    // The load generator's phones may ask before the roster exists: nothing to guess, nothing counted.
    for _ in 0..10 {
        let (status, body, _) = join_from(&phone, &server, json!({"code": code, "badge": "000001"})).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["code"], "unknown_badge");
    }
    let (status, body) = server
        .import_roster(id, "姓名,警号,单位\n张三,000001,一大队\n")
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = join_from(&phone, &server, json!({"code": code, "badge": "000001"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("secret_kind").is_none());
    // With a roster, unknown badges count: three answered, then refused.
    for _ in 0..3 {
        let (status, _, _) = join_from(&phone, &server, json!({"code": code, "badge": "999999"})).await;
        assert_eq!(status, 404);
    }
    let (status, body, _) = join_from(&phone, &server, json!({"code": code, "badge": "999999"})).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (429, json!("join_limited"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_secret_errors_name_rows_and_import_nothing() {
    let server = TestServer::start().await;
    let id = contest_with_code(&server, "ROST01").await;
    let csv = "姓名,警号,单位,身份证后四位\n张三,0001,一大队,123X\n李四,0002,二大队,12\n王五,0003,三大队,\n赵六,0004,四大队,12a4\n";
    let (status, body) = server.import_roster(id, csv).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "roster_invalid");
    let details = body["error"]["details"].as_array().expect("details");
    let rows: Vec<(u64, &str)> = details
        .iter()
        .map(|d| (d["row"].as_u64().unwrap(), d["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (3, "secret_invalid"),
            (4, "missing_fields"),
            (5, "secret_invalid")
        ],
        "{body}"
    );
    assert_eq!(details[0]["secret_kind"], "id_last4");
    assert_eq!(details[1]["fields"], json!(["secret"]));
    let listing = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/participants"), None)
        .await;
    assert_eq!(listing["participants"], json!([]), "all or nothing");

    // Two secret columns are refused at the header.
    let (status, body) = server
        .import_roster(
            id,
            "姓名,警号,单位,PIN,手机号后四位\n张三,0001,一大队,1234,5678\n",
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["details"][0]["code"], "secret_columns");

    // A valid ID roster, then more rows without the column: refused, the kinds must match.
    let (status, body) = server
        .import_roster(id, "姓名,警号,单位,身份证后四位\n张三,0001,一大队,123x\n")
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, info) = send(
        &server.client,
        Method::GET,
        &server.url("/api/join/ROST01"),
        None,
        None,
    )
    .await;
    assert_eq!((status, info["secret_kind"].clone()), (200, json!("id_last4")));
    let (status, body) = server
        .import_roster(id, "姓名,警号,单位\n李四,0002,二大队\n")
        .await;
    assert_eq!(status, 422, "{body}");
    let detail = &body["error"]["details"][0];
    assert_eq!(detail["code"], "secret_kind_mismatch");
    assert_eq!(detail["existing_kind"], "id_last4");
    // The ID secret compares case-insensitively in its X.
    let (status, body) = send(
        &server.client,
        Method::POST,
        &server.url("/api/join"),
        None,
        Some(json!({"code": "ROST01", "badge": "0001", "secret": "123x"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
