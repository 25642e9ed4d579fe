//! Bad input gets a clear, specific error and changes nothing: broken banks (CLI and API), malformed JSON,
//! oversized bodies, wrong roles, expired tokens, unknown codes, unfillable blueprints, broken rosters.

mod common;

use std::process::Command;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn bank_check(path: &std::path::Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_jingsai"))
        .args(["bank", "check"])
        .arg(path)
        .output()
        .expect("run jingsai bank check");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr),
    )
}

/// Each broken fixture names its expected line in its first-line comment: `# expect: line N: text`.
#[test]
fn bank_check_reports_file_and_line_for_every_broken_fixture() {
    let dir = repo_path("tests/fixtures/banks");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if !name.starts_with("bad-") {
            continue;
        }
        let (code, output) = bank_check(&path);
        assert_eq!(code, 1, "{name} must fail: {output}");
        let first_line = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let expected_line = first_line
            .split("line ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse::<usize>().ok());
        let wanted = match expected_line {
            Some(line) => format!("{}:{line}: ", path.display()),
            None => format!("{}:", path.display()),
        };
        assert!(
            output.contains(&wanted),
            "{name}: expected `{wanted}` in:\n{output}"
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} broken fixtures");
    let (code, output) = bank_check(&dir.join("good.toml"));
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("single"), "summary by type: {output}");
}

#[test]
fn shipped_banks_pass_bank_check() {
    let (code, output) = bank_check(&repo_path("question_banks"));
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("party-history"), "{output}");
    for period in [
        "新民主主义革命时期",
        "社会主义革命和建设时期",
        "改革开放和社会主义现代化建设新时期",
        "中国特色社会主义新时代",
        "人民公安史",
        "政法队伍教育整顿",
    ] {
        assert!(
            output.contains(period),
            "category {period} missing from:\n{output}"
        );
    }
}

async fn raw(
    server: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = server.client.request(method, server.url(path)).body(body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
    )
}

fn code_of(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

#[tokio::test]
async fn api_rejects_bad_input_with_json_errors() {
    let server = TestServer::start().await;
    let org = server.organizer_token.clone();

    // Broken bank over the API: 422 with every error, and nothing imported (not even the good file).
    let banks_before = server.org_ok(Method::GET, "/api/banks", None).await;
    let good = std::fs::read_to_string(repo_path("tests/fixtures/banks/good.toml")).expect("good");
    let bad = std::fs::read_to_string(repo_path("tests/fixtures/banks/bad-duplicate-id.toml")).expect("bad");
    let (status, body) = server
        .org(
            Method::POST,
            "/api/banks/import",
            Some(json!({"files": [{"name": "good.toml", "content": good}, {"name": "bad.toml", "content": bad}]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code_of(&body), "bank_invalid");
    let details = body["error"]["details"].as_array().expect("details");
    assert!(
        details
            .iter()
            .all(|d| d["file"] == "bad.toml" && d["line"].as_u64().is_some_and(|l| l > 0)),
        "{body}"
    );
    assert_eq!(
        server.org_ok(Method::GET, "/api/banks", None).await,
        banks_before,
        "nothing half-imported"
    );
    // The good file alone imports.
    let (status, body) = server
        .org(
            Method::POST,
            "/api/banks/import",
            Some(json!({"files": [{"name": "good.toml", "content": good}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Malformed JSON, wrong field types, missing content type, oversized bodies.
    let (status, body) = raw(
        &server,
        Method::POST,
        "/api/contests",
        Some(&org),
        Some("application/json"),
        b"{\"title\": ".to_vec(),
    )
    .await;
    assert_eq!((status, code_of(&body)), (400, "malformed_json"), "{body}");
    let (status, body) = raw(
        &server,
        Method::POST,
        "/api/contests",
        Some(&org),
        Some("application/json"),
        br#"{"title": 5, "bank_ids": []}"#.to_vec(),
    )
    .await;
    assert_eq!((status, code_of(&body)), (422, "invalid_field"), "{body}");
    let (status, body) = raw(
        &server,
        Method::POST,
        "/api/auth/login",
        None,
        None,
        b"{}".to_vec(),
    )
    .await;
    assert_eq!((status, code_of(&body)), (415, "expected_json"), "{body}");
    let huge = format!(
        "{{\"username\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(200_000)
    );
    let (status, body) = raw(
        &server,
        Method::POST,
        "/api/auth/login",
        None,
        Some("application/json"),
        huge.into_bytes(),
    )
    .await;
    assert_eq!((status, code_of(&body)), (413, "body_too_large"), "{body}");

    // Authentication and roles.
    let (status, body) = raw(&server, Method::GET, "/api/contests", None, None, vec![]).await;
    assert_eq!((status, code_of(&body)), (401, "missing_token"));
    let (status, body) = raw(
        &server,
        Method::GET,
        "/api/contests",
        Some("not.a.token"),
        None,
        vec![],
    )
    .await;
    assert_eq!((status, code_of(&body)), (401, "invalid_token"));
    let (status, body) = server
        .org(
            Method::POST,
            "/api/auth/login",
            Some(json!({"username": "admin", "password": "wrong"})),
        )
        .await;
    assert_eq!((status, code_of(&body)), (401, "bad_credentials"));

    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({"title": "Roles", "bank_ids": ["english-sample"], "rounds": [{"title": "R", "kind": "live",
                "config": {"blueprint": {"quotas": [{"count": 2}]}}}]})),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, _) = server
        .import_roster(id, "姓名,警号,单位\n张三,0001,一大队\n")
        .await;
    assert_eq!(status, 200);
    let participant = server.join(&code, "0001").await;
    let (status, body) = server
        .participant(&participant.token, Method::GET, "/api/contests", None)
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (403, "forbidden"),
        "a participant is no organizer"
    );
    let display = server
        .org_ok(Method::POST, &format!("/api/contests/{id}/display-token"), None)
        .await;
    let display = display["token"].as_str().expect("token");
    let (status, body) = server
        .participant(
            display,
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": 1, "index": 0, "choice": [0]})),
        )
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (403, "forbidden"),
        "a display cannot answer"
    );
    let (status, body) = server
        .participant(
            display,
            Method::POST,
            &format!("/api/contests/{id}/control"),
            Some(json!({"action": "next"})),
        )
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (403, "forbidden"),
        "a display cannot control"
    );

    // An expired token, signed with the server's own secret.
    let keys = server.signing_keys().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("now")
        .as_secs() as i64;
    let expired = keys
        .sign(&jingsai::auth::Claims {
            sub: "admin".into(),
            role: jingsai::auth::Role::Organizer,
            contest_id: None,
            participant_id: None,
            sid: None,
            ver: None,
            iat: now - 7200,
            exp: now - 3600,
        })
        .expect("sign");
    let (status, body) = raw(
        &server,
        Method::GET,
        "/api/contests",
        Some(&expired),
        None,
        vec![],
    )
    .await;
    assert_eq!((status, code_of(&body)), (401, "token_expired"), "{body}");

    // Join errors are specific.
    let (status, body) = send(
        &server.client,
        Method::POST,
        &server.url("/api/join"),
        None,
        Some(json!({"code": "000000x", "badge": "0001"})),
    )
    .await;
    assert_eq!((status, code_of(&body)), (404, "unknown_contest"));
    let (status, body) = send(
        &server.client,
        Method::POST,
        &server.url("/api/join"),
        None,
        Some(json!({"code": code, "badge": "9999"})),
    )
    .await;
    assert_eq!((status, code_of(&body)), (404, "unknown_badge"));
    assert!(body["error"]["message"].as_str().expect("m").contains("9999"));

    // A blueprint that cannot be filled names its quota, before any round starts.
    let (status, body) = server
        .org(
            Method::POST,
            "/api/contests",
            Some(json!({"title": "Too big", "bank_ids": ["english-sample"], "rounds": [{"title": "R", "kind": "exam",
                "config": {"blueprint": {"quotas": [{"type": "single", "count": 5}, {"type": "fill", "count": 50}]}}}]})),
        )
        .await;
    assert_eq!((status, code_of(&body)), (422, "blueprint_unfillable"), "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("quota 2") && message.contains("needs 50"),
        "{message}"
    );

    // A roster with errors imports nothing and names the rows.
    let (status, body) = server
        .import_roster(
            id,
            "姓名,警号,单位\n李四,0002,二大队\n,0003,二大队\n王五,0002,三大队\n",
        )
        .await;
    assert_eq!((status, code_of(&body)), (422, "roster_invalid"), "{body}");
    let rows: Vec<u64> = body["error"]["details"]
        .as_array()
        .expect("d")
        .iter()
        .filter_map(|d| d["row"].as_u64())
        .collect();
    assert_eq!(rows, vec![3, 4]);
    let participants = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/participants"), None)
        .await;
    assert_eq!(
        participants["participants"].as_array().expect("p").len(),
        1,
        "nothing half-imported"
    );

    // Unknown API paths are JSON 404s; the OpenAPI document lists the endpoints.
    let (status, body) = raw(&server, Method::GET, "/api/nope", None, None, vec![]).await;
    assert_eq!((status, code_of(&body)), (404, "no_such_endpoint"));
    let (status, doc) = raw(&server, Method::GET, "/api/openapi.json", None, None, vec![]).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in [
        "/api/join",
        "/api/answers",
        "/api/contests/{id}/control",
        "/api/banks/import",
        "/api/contests/{id}/roster",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    // axum's own rejections are JSON too: a bad path parameter, a wrong method.
    let (status, body) = raw(
        &server,
        Method::GET,
        "/api/contests/not-a-number",
        Some(&org),
        None,
        vec![],
    )
    .await;
    assert_eq!((status, code_of(&body)), (400, "bad_request"), "{body}");
    let (status, body) = raw(&server, Method::PATCH, "/api/contests", Some(&org), None, vec![]).await;
    assert_eq!((status, code_of(&body)), (405, "method_not_allowed"), "{body}");
    let (status, body) = raw(
        &server,
        Method::DELETE,
        &format!("/api/contests/{id}/rounds/987654"),
        Some(&org),
        None,
        vec![],
    )
    .await;
    assert_eq!((status, code_of(&body)), (404, "not_found"), "{body}");

    // Badge clashes with the existing roster name the CSV row, blank lines included.
    let (status, body) = server
        .import_roster(id, "姓名,警号,单位\n\n赵六,0009,四大队\n张三,0001,一大队\n")
        .await;
    assert_eq!((status, code_of(&body)), (422, "roster_invalid"), "{body}");
    assert_eq!(body["error"]["details"][0]["row"], 4, "{body}");

    // A bank used by a running contest cannot be re-imported mid-contest.
    server.control(id, json!({"action": "start_round"})).await;
    let sample = std::fs::read_to_string(repo_path("question_banks/english-sample.toml")).expect("sample");
    let (status, body) = server
        .org(
            Method::POST,
            "/api/banks/import",
            Some(json!({"files": [{"name": "english-sample.toml", "content": sample}]})),
        )
        .await;
    assert_eq!((status, code_of(&body)), (409, "bank_in_use"), "{body}");

    let (status, health) = raw(&server, Method::GET, "/healthz", None, None, vec![]).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
}
