//! The join address: the server offers only addresses it listens on (and `--public-url` first), the organizer's
//! choice per contest is validated, stored, reaches the big screen (server-info and a live `join_base` frame)
//! and survives a restart; the `jingsai` binary takes `--public-url` / `JINGSAI_PUBLIC_URL`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn live_contest(server: &TestServer) -> i64 {
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "入场地址",
                "bank_ids": ["party-history"],
                "join_mode": "open",
                "rounds": [{"title": "现场", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"category": "新民主主义革命时期", "type": "single", "count": 1}]},
                    "question_seconds": 30}}]
            })),
        )
        .await;
    contest["id"].as_i64().expect("id")
}

async fn display_token(server: &TestServer, contest_id: i64) -> String {
    server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{contest_id}/display-token"),
            None,
        )
        .await["token"]
        .as_str()
        .expect("display token")
        .to_string()
}

async fn server_info(server: &TestServer, token: &str, query: &str) -> Value {
    let (status, info) = server
        .participant(token, Method::GET, &format!("/api/server-info{query}"), None)
        .await;
    assert_eq!(status, 200, "{info}");
    info
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listening_on_loopback_offers_only_loopback() {
    let server = TestServer::start().await;
    let info = server_info(&server, &server.organizer_token, "").await;
    // The test server listens on 127.0.0.1 only: any other interface's address would be a dead join link.
    assert_eq!(info["lan_urls"], json!([server.base]), "{info}");
    assert_eq!(info["public_url"], Value::Null);
    assert_eq!(info["join_base_url"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_url_comes_first() {
    let server = TestServer::start_with(|s| {
        s.public_url = Some("https://quiz.example.org".into());
    })
    .await;
    let id = live_contest(&server).await;
    let screen = display_token(&server, id).await;
    for token in [&server.organizer_token, &screen] {
        let info = server_info(&server, token, "").await;
        assert_eq!(
            info["lan_urls"],
            json!(["https://quiz.example.org", server.base]),
            "{info}"
        );
        assert_eq!(info["public_url"], "https://quiz.example.org");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chosen_join_address_reaches_the_big_screen() {
    let mut server = TestServer::start().await;
    let id = live_contest(&server).await;
    let other = live_contest(&server).await;
    let screen_token = display_token(&server, id).await;
    let screen = server.ws(&screen_token, None).await;
    screen.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let path = format!("/api/contests/{id}/join-base");

    // Only http(s) with a host and an optional port.
    for bad in [
        "ftp://192.0.2.7",
        "192.0.2.7:8080",
        "javascript:alert(1)",
        "http://192.0.2.7:8080/quiz",
        "http://user:secret@192.0.2.7",
    ] {
        let (status, body) = server
            .org(Method::PUT, &path, Some(json!({"join_base_url": bad})))
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("invalid_url")),
            "{bad}: {body}"
        );
    }
    let (status, _) = server
        .org(
            Method::PUT,
            "/api/contests/987654/join-base",
            Some(json!({"join_base_url": "http://192.0.2.7:8080"})),
        )
        .await;
    assert_eq!(status, 404);
    // Only the organizer chooses.
    let (status, _) = server
        .participant(
            &screen_token,
            Method::PUT,
            &path,
            Some(json!({"join_base_url": "http://192.0.2.66"})),
        )
        .await;
    assert_eq!(status, 403);

    let saved = server
        .org_ok(
            Method::PUT,
            &path,
            Some(json!({"join_base_url": "http://192.0.2.7:8080/"})),
        )
        .await;
    assert_eq!(saved["join_base_url"], "http://192.0.2.7:8080", "normalized");

    // The open big screen is told at once, and asks the same on reconnect.
    let frame = screen.wait_for("join_base", |m| m["type"] == "join_base").await;
    assert_eq!(frame["join_base_url"], "http://192.0.2.7:8080");
    let info = server_info(&server, &screen_token, "").await;
    assert_eq!(info["join_base_url"], "http://192.0.2.7:8080");
    assert_eq!(info["contest_id"], id);
    // The console asks for its contest; another contest keeps its own (none).
    let info = server_info(&server, &server.organizer_token, &format!("?contest={id}")).await;
    assert_eq!(info["join_base_url"], "http://192.0.2.7:8080");
    let info = server_info(&server, &server.organizer_token, &format!("?contest={other}")).await;
    assert_eq!(info["join_base_url"], Value::Null);

    // Stored with the contest: a restart keeps it.
    server.stop().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let store = server.open_store().await;
    assert_eq!(
        store.join_base_url(id).await.expect("read"),
        Some(Some("http://192.0.2.7:8080".to_string()))
    );
    assert_eq!(store.join_base_url(other).await.expect("read"), Some(None));
    assert_eq!(store.join_base_url(987654).await.expect("read"), None);
    store.close().await;
    drop(store);

    let server = TestServer::start().await;
    let id = live_contest(&server).await;
    let path = format!("/api/contests/{id}/join-base");
    server
        .org_ok(
            Method::PUT,
            &path,
            Some(json!({"join_base_url": "https://quiz.example.org"})),
        )
        .await;
    // null goes back to the default.
    let cleared = server
        .org_ok(Method::PUT, &path, Some(json!({"join_base_url": null})))
        .await;
    assert_eq!(cleared["join_base_url"], Value::Null);
    let info = server_info(&server, &server.organizer_token, &format!("?contest={id}")).await;
    assert_eq!(info["join_base_url"], Value::Null);
}

/// Start the real binary with `args` and environment `env`; returns the child and the address it printed.
fn spawn_binary(
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, Option<String>, common::process::DataDir) {
    let data_dir = common::process::DataDir::new();
    let banks = data_dir.path().join("banks");
    std::fs::create_dir_all(&banks).expect("banks dir");
    std::fs::copy(
        repo_path("tests/fixtures/banks/good.toml"),
        banks.join("good.toml"),
    )
    .expect("a bank");
    let mut command = Command::new(env!("CARGO_BIN_EXE_jingsai"));
    command
        .arg("--data-dir")
        .arg(data_dir.path())
        .arg("--banks-dir")
        .arg(&banks)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("JINGSAI_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("JINGSAI_LOG", "warn")
        .env_remove("JINGSAI_PUBLIC_URL")
        .env_remove("JINGSAI_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = data_dir.database_url() {
        command.arg("--database-url").arg(url);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("start jingsai");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok);
    // Keep draining stdout: a server whose stdout is closed dies on its next line (EPIPE).
    std::thread::spawn(move || for _ in lines {});
    let addr = first.and_then(|line| line.strip_prefix("jingsai listening on ").map(str::to_owned));
    (child, addr, data_dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_takes_public_url_from_the_flag_or_the_environment() {
    for (args, env, expected) in [
        (
            vec!["--public-url", "https://quiz.example.org/"],
            vec![],
            "https://quiz.example.org",
        ),
        (
            vec![],
            vec![("JINGSAI_PUBLIC_URL", "http://10.20.30.40:9000")],
            "http://10.20.30.40:9000",
        ),
    ] {
        let (mut child, addr, _dir) = spawn_binary(&args, &env);
        let addr = addr.expect("the server printed its address");
        let base = format!("http://{addr}");
        let client = reqwest::Client::new();
        let token = login(&client, &base).await;
        let (status, info) = send(
            &client,
            Method::GET,
            &format!("{base}/api/server-info"),
            Some(&token),
            None,
        )
        .await;
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(status, 200, "{info}");
        assert_eq!(info["lan_urls"], json!([expected, base]), "{info}");
    }

    // An invalid public URL stops the server at start, saying why.
    let (mut child, addr, _dir) = spawn_binary(&["--public-url", "quiz.example.org"], &[]);
    let status = child.wait().expect("wait");
    assert!(addr.is_none(), "must not listen with an invalid --public-url");
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).expect("stderr");
    assert!(stderr.contains("--public-url"), "{stderr}");
}
