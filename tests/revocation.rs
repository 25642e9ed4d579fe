//! Revoked tokens end their open sockets (issue 7, item 7): an organizer logout closes every console socket of
//! the account at once, a password change made by `jingsai admin password` (another process) closes them at the
//! server's next check, and a revoked big-screen link closes the contest's big screens. Each closed socket gets a
//! `token_revoked` error and a close frame with code 4002; the old token cannot reconnect. Other sockets stay.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// A socket that keeps its messages and the close frame the server sent (code, reason).
struct Socket {
    messages: Arc<Mutex<Vec<Value>>>,
    close: Arc<Mutex<Option<(u16, String)>>>,
    ended: Arc<Mutex<bool>>,
    outgoing: tokio::sync::mpsc::UnboundedSender<String>,
}

impl Socket {
    async fn open(server: &TestServer, token: &str, contest: Option<i64>) -> Self {
        let mut url = format!("{}/ws?token={token}", server.ws_base);
        if let Some(c) = contest {
            url.push_str(&format!("&contest={c}"));
        }
        let (socket, _) = tokio_tungstenite::connect_async(&url).await.expect("ws connect");
        let (mut sink, mut stream) = socket.split();
        let (messages, close, ended) = (
            Arc::new(Mutex::new(Vec::new())),
            Arc::new(Mutex::new(None)),
            Arc::new(Mutex::new(false)),
        );
        let (outgoing, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let (m, c, e) = (messages.clone(), close.clone(), ended.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    incoming = stream.next() => match incoming {
                        Some(Ok(Message::Text(text))) => {
                            m.lock().unwrap().push(serde_json::from_str(&text).unwrap_or(Value::Null));
                        }
                        Some(Ok(Message::Close(frame))) => {
                            *c.lock().unwrap() = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    Some(text) = out_rx.recv() => { let _ = sink.send(Message::Text(text.into())).await; }
                }
            }
            *e.lock().unwrap() = true;
        });
        let socket = Self {
            messages,
            close,
            ended,
            outgoing,
        };
        socket.wait_for("snapshot", |m| m["type"] == "snapshot").await;
        socket
    }

    async fn wait_for(&self, what: &str, predicate: impl Fn(&Value) -> bool) -> Value {
        eventually(what, async || {
            self.messages
                .lock()
                .unwrap()
                .iter()
                .find(|m| predicate(m))
                .cloned()
        })
        .await
    }

    /// Wait until the server closed the socket; returns the close frame's code and reason.
    async fn closed(&self, what: &str) -> (u16, String) {
        let frame = eventually(what, async || {
            (*self.ended.lock().unwrap()).then(|| self.close.lock().unwrap().clone())
        })
        .await;
        frame.unwrap_or_else(|| panic!("{what}: closed without a close frame"))
    }

    /// The socket still answers: a ping gets its pong.
    async fn answers(&self, what: &str) {
        let marker = rand_marker();
        let _ = self
            .outgoing
            .send(json!({"type": "ping", "client_time": marker}).to_string());
        self.wait_for(what, |m| m["type"] == "pong" && m["client_time"] == marker)
            .await;
        assert!(!*self.ended.lock().unwrap(), "{what}: still open");
    }
}

fn rand_marker() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Opening a socket with `token` is refused: the HTTP status and the error code of the body.
async fn refused(server: &TestServer, token: &str, contest: Option<i64>) -> (u16, String) {
    let mut url = format!("{}/ws?token={token}", server.ws_base);
    if let Some(c) = contest {
        url.push_str(&format!("&contest={c}"));
    }
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body: Value = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            (
                response.status().as_u16(),
                body["error"]["code"].as_str().unwrap_or("").to_string(),
            )
        }
        other => panic!("the socket opened: {:?}", other.map(|_| ())),
    }
}

/// A contest with a two-person roster; returns (id, join code).
async fn contest(server: &TestServer, title: &str) -> (i64, String) {
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": title,
                "bank_ids": ["english-sample"],
                "rounds": [{"title": "Live", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 2}]}, "question_seconds": 60}}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(2, 1)).await;
    assert_eq!(status, 200, "{body}");
    (id, code)
}

async fn display_token(server: &TestServer, contest_id: i64) -> String {
    let body = server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{contest_id}/display-token"),
            None,
        )
        .await;
    body["token"].as_str().expect("token").to_string()
}

async fn logout(server: &TestServer, token: &str) {
    let (status, body) = send(
        &server.client,
        Method::POST,
        &server.url("/api/auth/logout"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
}

fn assert_revoked_notice(socket: &Socket) {
    let notice = socket
        .messages
        .lock()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "error" && m["code"] == "token_revoked")
        .cloned();
    assert!(notice.is_some(), "a token_revoked notice precedes the close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_closes_every_console_socket_of_the_account() {
    let server = TestServer::start().await;
    let (first_id, code) = contest(&server, "One").await;
    let (second_id, _) = contest(&server, "Two").await;
    let other_tab = login(&server.client, &server.base).await;
    let console = Socket::open(&server, &server.organizer_token, Some(first_id)).await;
    let console_two = Socket::open(&server, &server.organizer_token, Some(second_id)).await;
    let other_laptop = Socket::open(&server, &other_tab, Some(first_id)).await;
    let screen = Socket::open(&server, &display_token(&server, first_id).await, None).await;
    let phone = server.join(&code, &badge(0)).await;
    let phone = Socket::open(&server, &phone.token, None).await;

    logout(&server, &server.organizer_token).await;
    // Every organizer socket of the account closes, whichever token and contest it was opened with.
    for (socket, what) in [
        (&console, "the console"),
        (&console_two, "the console of the other contest"),
        (&other_laptop, "the other laptop's console"),
    ] {
        assert_eq!(
            socket.closed(what).await,
            (4002, "token_revoked".to_string()),
            "{what}"
        );
        assert_revoked_notice(socket);
    }
    // The big screen and the phones are not the organizer's login: they stay.
    screen.answers("the big screen").await;
    phone.answers("the phone").await;

    // Reconnecting with a revoked token is refused before the upgrade.
    for token in [&server.organizer_token, &other_tab] {
        assert_eq!(
            refused(&server, token, Some(first_id)).await,
            (401, "token_revoked".to_string())
        );
    }
    // A new login connects as usual.
    let fresh = login(&server.client, &server.base).await;
    Socket::open(&server, &fresh, Some(first_id))
        .await
        .answers("a console after logging in again")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_by_another_process_closes_console_sockets() {
    let server = TestServer::start().await;
    let (id, _) = contest(&server, "Password").await;
    let console = Socket::open(&server, &server.organizer_token, Some(id)).await;
    let screen = Socket::open(&server, &display_token(&server, id).await, None).await;

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_jingsai"))
        .args(["admin", "password", "--data-dir"])
        .arg(server.data_dir.path())
        .args(
            server
                .database_url
                .iter()
                .flat_map(|url| ["--database-url", url.as_str()]),
        )
        .env("JINGSAI_NEW_PASSWORD", "another-organizer-password")
        .output()
        .expect("run jingsai admin password");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The running server learns of it at its next check of the token versions (every few seconds).
    let mut waited = Duration::ZERO;
    while !*console.ended.lock().unwrap() && waited < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
    eprintln!("console closed {waited:?} after the password change (the sweep runs every 5 s)");
    assert_eq!(
        console.closed("the console after the password change").await,
        (4002, "token_revoked".to_string())
    );
    assert_revoked_notice(&console);
    assert_eq!(
        refused(&server, &server.organizer_token, Some(id)).await,
        (401, "token_revoked".to_string())
    );
    screen.answers("the big screen").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_big_screen_links_closes_the_screens_and_refuses_the_old_token() {
    let server = TestServer::start().await;
    let (id, code) = contest(&server, "Screens").await;
    let (other_id, _) = contest(&server, "Other").await;
    let old_token = display_token(&server, id).await;
    let second_old = display_token(&server, id).await;
    let screen = Socket::open(&server, &old_token, None).await;
    let second_screen = Socket::open(&server, &second_old, None).await;
    let other_screen = Socket::open(&server, &display_token(&server, other_id).await, None).await;
    let console = Socket::open(&server, &server.organizer_token, Some(id)).await;
    let phone = server.join(&code, &badge(1)).await;
    let phone = Socket::open(&server, &phone.token, None).await;
    let (status, _) = server
        .participant(&old_token, Method::GET, "/api/server-info", None)
        .await;
    assert_eq!(status, 200);

    // Only an organizer revokes, and only an existing contest.
    let (status, body) = send(
        &server.client,
        Method::DELETE,
        &server.url(&format!("/api/contests/{id}/display-token")),
        Some(&old_token),
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = server
        .org(Method::DELETE, "/api/contests/999999/display-token", None)
        .await;
    assert_eq!(status, 404, "{body}");

    let (status, body) = server
        .org(Method::DELETE, &format!("/api/contests/{id}/display-token"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    for (socket, what) in [
        (&screen, "the big screen"),
        (&second_screen, "the second big screen"),
    ] {
        assert_eq!(
            socket.closed(what).await,
            (4002, "token_revoked".to_string()),
            "{what}"
        );
        assert_revoked_notice(socket);
    }
    // Every link made before is refused, on HTTP and on the socket.
    for token in [&old_token, &second_old] {
        let (status, body) = server
            .participant(token, Method::GET, "/api/server-info", None)
            .await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "token_revoked");
        assert_eq!(
            refused(&server, token, None).await,
            (401, "token_revoked".to_string())
        );
    }
    // Another contest's screen, the console and the phones are untouched.
    other_screen.answers("the other contest's screen").await;
    console.answers("the console").await;
    phone.answers("the phone").await;

    // A link made afterwards works, and the periodic check of token versions leaves it open.
    let new_token = display_token(&server, id).await;
    let new_screen = Socket::open(&server, &new_token, None).await;
    let (status, _) = server
        .participant(&new_token, Method::GET, "/api/server-info", None)
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(jingsai::http::revoke::SWEEP_EVERY + Duration::from_millis(500)).await;
    new_screen.answers("the new big screen after a sweep").await;
}
