//! Shared helpers for the integration tests: a real server on 127.0.0.1:0, an HTTP client, WebSocket capture.
#![allow(dead_code)]

pub mod audit;
pub mod pg;
pub mod process;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

pub const ADMIN_PASSWORD: &str = "test-admin-password";

pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub struct TestServer {
    pub base: String,
    pub ws_base: String,
    pub client: reqwest::Client,
    pub organizer_token: String,
    pub data_dir: tempfile::TempDir,
    /// The PostgreSQL database this server uses (`JINGSAI_TEST_POSTGRES_URL` set, or the one a test chose),
    /// `None` on SQLite.
    pub database_url: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Dropped last: drops the PostgreSQL database created for this server (see `pg.rs`).
    database: Option<pg::TestDatabase>,
}

impl TestServer {
    /// A server with the shipped banks on a fresh data dir (and a fresh PostgreSQL database when
    /// `JINGSAI_TEST_POSTGRES_URL` is set, see `pg.rs`).
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// As [`TestServer::start`], with settings adjusted first. A test that sets `database_url` itself keeps
    /// that database (and looks after it); otherwise the server gets a fresh one on the PostgreSQL pass.
    pub async fn start_with(adjust: impl FnOnce(&mut jingsai::config::Settings)) -> Self {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut settings = jingsai::config::Settings::new(data_dir.path().to_path_buf());
        settings.banks_dir = Some(repo_path("question_banks"));
        settings.admin_password = Some(ADMIN_PASSWORD.to_string());
        adjust(&mut settings);
        let database = match settings.database_url {
            Some(_) => None,
            None => pg::TestDatabase::create_for(&settings.data_dir),
        };
        if let Some(db) = &database {
            settings.database_url = Some(db.url.clone());
        }
        let database_url = settings.database_url.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        jingsai::server::start(settings, listener, async {
            let _ = rx.await;
        })
        .await
        .expect("server starts");
        let client = reqwest::Client::new();
        let base = format!("http://{addr}");
        let organizer_token = login(&client, &base).await;
        Self {
            ws_base: format!("ws://{addr}"),
            base,
            client,
            organizer_token,
            data_dir,
            database_url,
            shutdown: Some(tx),
            database,
        }
    }

    /// Another handle on this server's database: its PostgreSQL database, or the SQLite file in its data dir.
    pub async fn open_store(&self) -> jingsai::store::Store {
        match &self.database_url {
            Some(url) => jingsai::store::Store::connect(url).await,
            None => jingsai::store::Store::open(&self.data_dir.path().join("jingsai.db")).await,
        }
        .expect("open the database")
    }

    /// The keys this server signs tokens with: the secret file in its data dir on SQLite, the secret shared
    /// through the database on PostgreSQL.
    pub async fn signing_keys(&self) -> jingsai::auth::Keys {
        if self.database_url.is_none() {
            return jingsai::auth::Keys::load_or_create(self.data_dir.path()).expect("keys");
        }
        let store = self.open_store().await;
        let jingsai::store::Pool::Postgres(pool) = store.reader() else {
            panic!("a PostgreSQL store");
        };
        let secret: String = sqlx::query_scalar("SELECT value FROM shared_secrets WHERE name = 'jwt'")
            .fetch_one(pool)
            .await
            .expect("the shared token secret");
        store.close().await;
        jingsai::auth::Keys::from_secret(secret.as_bytes()).expect("keys")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Organizer request; returns (status, body).
    pub async fn org(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        send(
            &self.client,
            method,
            &self.url(path),
            Some(&self.organizer_token),
            body,
        )
        .await
    }

    pub async fn org_ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.org(method, path, body).await;
        assert!((200..300).contains(&status), "{path}: {status} {value}");
        value
    }

    pub async fn control(&self, contest_id: i64, action: Value) -> Value {
        self.org_ok(
            reqwest::Method::POST,
            &format!("/api/contests/{contest_id}/control"),
            Some(action),
        )
        .await
    }

    pub async fn import_roster(&self, contest_id: i64, csv: &str) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(&format!("/api/contests/{contest_id}/roster")))
            .bearer_auth(&self.organizer_token)
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .expect("roster request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn join(&self, code: &str, badge: &str) -> Joined {
        let (status, body) = send(
            &self.client,
            reqwest::Method::POST,
            &self.url("/api/join"),
            None,
            // One fixed device secret per badge: every join of the same badge here is the same phone, which
            // binds its seat at the first join and may rejoin (tests/seat.rs covers other phones).
            Some(json!({"code": code, "badge": badge, "device": format!("test-device-{badge}")})),
        )
        .await;
        assert_eq!(status, 200, "join {badge}: {body}");
        Joined {
            token: body["token"].as_str().expect("token").to_string(),
            participant_id: body["participant_id"].as_i64().expect("pid"),
        }
    }

    pub async fn participant(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        send(&self.client, method, &self.url(path), Some(token), body).await
    }

    pub async fn ws(&self, token: &str, contest: Option<i64>) -> Capture {
        let mut url = format!("{}/ws?token={token}", self.ws_base);
        if let Some(c) = contest {
            url.push_str(&format!("&contest={c}"));
        }
        Capture::connect(&url).await
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub struct Joined {
    pub token: String,
    pub participant_id: i64,
}

pub async fn login(client: &reqwest::Client, base: &str) -> String {
    let (status, body) = send(
        client,
        reqwest::Method::POST,
        &format!("{base}/api/auth/login"),
        None,
        Some(json!({"username": "admin", "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "login: {body}");
    body["token"].as_str().expect("token").to_string()
}

pub async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A WebSocket whose every received message is kept, in order.
pub struct Capture {
    pub messages: Arc<Mutex<Vec<Value>>>,
    pub raw: Arc<Mutex<Vec<String>>>,
    closed: Arc<Mutex<bool>>,
    outgoing: tokio::sync::mpsc::UnboundedSender<Option<String>>,
}

impl Capture {
    pub async fn connect(url: &str) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("ws connect");
        let (mut sink, mut stream) = socket.split();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(Mutex::new(false));
        let (outgoing, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<Option<String>>();
        let (m, r, c) = (messages.clone(), raw.clone(), closed.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    incoming = stream.next() => match incoming {
                        Some(Ok(Message::Text(text))) => {
                            r.lock().unwrap().push(text.to_string());
                            m.lock().unwrap().push(serde_json::from_str(&text).unwrap_or(Value::Null));
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    out = out_rx.recv() => match out {
                        Some(Some(text)) => { let _ = sink.send(Message::Text(text.into())).await; }
                        _ => { let _ = sink.send(Message::Close(None)).await; break; }
                    }
                }
            }
            *c.lock().unwrap() = true;
        });
        Self {
            messages,
            raw,
            closed,
            outgoing,
        }
    }

    pub fn send(&self, text: &str) {
        let _ = self.outgoing.send(Some(text.to_string()));
    }

    /// Close from the client side (a dropped phone).
    pub fn close(&self) {
        let _ = self.outgoing.send(None);
    }

    pub fn is_closed(&self) -> bool {
        *self.closed.lock().unwrap()
    }

    pub fn all(&self) -> Vec<Value> {
        self.messages.lock().unwrap().clone()
    }

    /// Wait until a message satisfies `predicate`; returns it.
    pub async fn wait_for(&self, what: &str, predicate: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..400 {
            if let Some(found) = self.messages.lock().unwrap().iter().find(|m| predicate(m)) {
                return found.clone();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("timed out waiting for {what}; got {:#?}", self.all());
    }
}

/// Poll until `f` returns Some, for up to ~10 s.
pub async fn eventually<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..400 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A roster of `n` people across `units` units: name, badge, unit.
pub fn roster_csv(n: usize, units: usize) -> String {
    let mut csv = String::from("姓名,警号,单位\n");
    for i in 0..n {
        csv.push_str(&format!(
            "警员{:03},{:06},第{}大队\n",
            i + 1,
            100_001 + i,
            i % units + 1
        ));
    }
    csv
}

pub fn badge(i: usize) -> String {
    format!("{:06}", 100_001 + i)
}
