//! Failure paths and cross-round rules found in review: a stuck disk, resends racing their commit, keys
//! revealed by an exam, a bank re-imported under connected screens. Each test once demonstrated a bug.
//!
//! Several tests simulate a slow or failing disk by holding the database's write lock from a second connection
//! ([`Lock`]): the server's group-commit writer then waits for 10 s and fails.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

const BANK: &str = "english-sample";

/// A contest on the English sample bank with the given rounds and a roster of `n`; returns (id, code).
async fn contest(server: &TestServer, rounds: Value, n: usize) -> (i64, String) {
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "review",
                "bank_ids": [BANK],
                "seed": "42",
                "rounds": rounds,
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(n, 1)).await;
    assert_eq!(status, 200, "{body}");
    (id, code)
}

fn live_round(count: usize) -> Value {
    json!({"title": "live", "kind": "live", "config": {
        "blueprint": {"quotas": [{"type": "single", "count": count}]},
        "question_seconds": 120,
        "close_when_all_answered": false
    }})
}

fn exam_round(count: usize) -> Value {
    json!({"title": "exam", "kind": "exam", "config": {
        "blueprint": {"quotas": [{"type": "single", "count": count}]},
        "time_limit_seconds": 600
    }})
}

/// How long the server's writes wait for the lock before they fail: SQLite's busy timeout in the store.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// The database's write lock, held from outside the server (a slow or stuck disk, as the server sees it): while
/// it is held the server's writes wait and, after [`LOCK_WAIT`], fail; reads go on.
///
/// SQLite: `BEGIN IMMEDIATE` on a second connection; the server's writer gives up after its busy timeout.
/// PostgreSQL: a second connection's transaction holds every table in EXCLUSIVE mode (reads go on, writes wait),
/// and a watcher cancels each statement of the server that has waited [`LOCK_WAIT`] for it, as the busy timeout
/// fails it on SQLite (the server sets no lock timeout of its own on PostgreSQL).
struct Lock {
    conn: Conn,
    /// PostgreSQL: stops the watcher.
    stop_watcher: Option<tokio::sync::oneshot::Sender<()>>,
}

enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Run `$body` with `$c` bound to the lock's connection, whichever backend it is.
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
        }
    };
}

impl Lock {
    async fn take(server: &TestServer) -> Self {
        let Some(url) = &server.database_url else {
            let path = server.data_dir.path().join("jingsai.db");
            let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path))
                .await
                .expect("open db");
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut conn)
                .await
                .expect("take the write lock");
            return Self {
                conn: Conn::Sqlite(conn),
                stop_watcher: None,
            };
        };
        let mut conn = PgConnection::connect(url).await.expect("open db");
        let holder: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .expect("backend pid");
        let tables: String = sqlx::query_scalar(
            "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname = 'public'",
        )
        .fetch_one(&mut conn)
        .await
        .expect("tables");
        sqlx::query("BEGIN").execute(&mut conn).await.expect("begin");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "LOCK TABLE {tables} IN EXCLUSIVE MODE"
        )))
        .execute(&mut conn)
        .await
        .expect("take the write lock");
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let mut watcher = PgConnection::connect(url).await.expect("open db");
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
                sqlx::query(
                    "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> $1
                       AND wait_event_type = 'Lock' AND query_start < clock_timestamp() - make_interval(secs => $2)",
                )
                .bind(holder)
                .bind(LOCK_WAIT.as_secs_f64())
                .execute(&mut watcher)
                .await
                .expect("cancel statements waiting for the lock");
            }
            let _ = watcher.close().await;
        });
        Self {
            conn: Conn::Postgres(conn),
            stop_watcher: Some(stop),
        }
    }

    /// Let the server write again.
    async fn release(&mut self) {
        on_conn!(&mut self.conn, |c| sqlx::query("ROLLBACK")
            .execute(&mut *c)
            .await
            .map(|_| ()))
        .expect("unlock");
        if let Some(stop) = self.stop_watcher.take() {
            let _ = stop.send(());
        }
    }

    /// How many answers of the participant are stored (committed).
    async fn stored_answers(&mut self, participant_id: i64) -> i64 {
        on_conn!(&mut self.conn, |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM answers WHERE participant_id = $1"
        )
        .bind(participant_id)
        .fetch_one(&mut *c)
        .await)
        .expect("count answers")
    }

    /// The stored state of a live round's question.
    async fn question_state(&mut self, round_id: i64, position: i64) -> String {
        on_conn!(&mut self.conn, |c| sqlx::query_scalar(
            "SELECT state FROM round_questions WHERE round_id = $1 AND position = $2"
        )
        .bind(round_id)
        .bind(position)
        .fetch_one(&mut *c)
        .await)
        .expect("state")
    }
}

async fn answer(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    server
        .participant(token, Method::POST, "/api/answers", Some(body))
        .await
}

// ---------------------------------------------------------------------------------------------------------
// Invariant 3: a resend of an answer whose commit is still pending is acknowledged at once (duplicate: true),
// before anything is on disk. If the commit then fails (or the process dies), the client holds a "received"
// for an answer that exists nowhere.
// ---------------------------------------------------------------------------------------------------------
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_resend_is_acknowledged_before_the_original_is_committed() {
    let server = TestServer::start().await;
    let (id, code) = contest(&server, json!([live_round(2)]), 2).await;
    let p = server.join(&code, &badge(0)).await;
    server.join(&code, &badge(1)).await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    server.control(id, json!({"action": "next"})).await;

    let mut lock = Lock::take(&server).await;
    let body = json!({"round_id": round_id, "index": 0, "choice": [0]});
    let original = {
        let (client, url, token, body) = (
            server.client.clone(),
            server.url("/api/answers"),
            p.token.clone(),
            body.clone(),
        );
        tokio::spawn(async move { send(&client, Method::POST, &url, Some(&token), Some(body)).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The phone did not hear back and resends (the participant app does exactly this from localStorage).
    let (dup_status, dup_body) = answer(&server, &p.token, body).await;
    let stored_at_ack = lock.stored_answers(p.participant_id).await;
    let (original_status, original_body) = original.await.expect("original");
    lock.release().await;
    let stored_after = lock.stored_answers(p.participant_id).await;

    assert!(
        !(dup_status == 200 && stored_at_ack == 0),
        "the resend was acknowledged ({dup_status} {dup_body}) while the answer was not committed \
         (original later got {original_status} {original_body}; rows now stored: {stored_after})"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Exam: changing an answer whose commit fails makes the actor forget the answer entirely, although the earlier
// version was acknowledged and is still on disk. The paper, the score at round end and a restart disagree.
// ---------------------------------------------------------------------------------------------------------
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_exam_change_forgets_the_earlier_acknowledged_answer() {
    let server = TestServer::start().await;
    let (id, code) = contest(&server, json!([exam_round(2)]), 1).await;
    let p = server.join(&code, &badge(0)).await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let (status, body) = server
        .participant(&p.token, Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = answer(
        &server,
        &p.token,
        json!({"round_id": round_id, "index": 0, "choice": [0]}),
    )
    .await;
    assert_eq!(status, 200, "first answer acknowledged: {body}");

    let mut lock = Lock::take(&server).await;
    let (status, body) = answer(
        &server,
        &p.token,
        json!({"round_id": round_id, "index": 0, "choice": [1]}),
    )
    .await;
    lock.release().await;
    assert_eq!(status, 503, "the change could not be saved: {body}");
    assert_eq!(
        lock.stored_answers(p.participant_id).await,
        1,
        "the first answer is on disk"
    );

    let (status, me) = server.participant(&p.token, Method::GET, "/api/me", None).await;
    assert_eq!(status, 200, "{me}");
    let answers = me["exam"]["answers"].as_array().cloned().unwrap_or_default();
    assert!(
        answers
            .iter()
            .any(|a| a["index"] == 0 && a["choice"] == json!([0])),
        "the acknowledged, stored answer [0] to question 0 must still count; the server now has {answers:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Live: a question that closes while an answer's commit is failing scores that answer (and shows it in the
// distribution), while the participant is told "could not be saved" and can no longer resend. The score is
// not derivable from the stored answers: after a restart it is different.
// ---------------------------------------------------------------------------------------------------------
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn live_close_scores_an_answer_whose_commit_failed() {
    let server = TestServer::start().await;
    let (id, code) = contest(&server, json!([live_round(2)]), 2).await;
    let p = server.join(&code, &badge(0)).await;
    server.join(&code, &badge(1)).await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = server.control(id, json!({"action": "next"})).await;
    let key = opened["question"]["answer"]["choice"].clone();

    let mut lock = Lock::take(&server).await;
    let pending = {
        let (client, url, token) = (server.client.clone(), server.url("/api/answers"), p.token.clone());
        let body = json!({"round_id": round_id, "index": 0, "choice": key});
        tokio::spawn(async move { send(&client, Method::POST, &url, Some(&token), Some(body)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let close = {
        let (client, url, token) = (
            server.client.clone(),
            server.url(&format!("/api/contests/{id}/control")),
            server.organizer_token.clone(),
        );
        tokio::spawn(async move {
            send(
                &client,
                Method::POST,
                &url,
                Some(&token),
                Some(json!({"action": "close"})),
            )
            .await
        })
    };
    let (status, body) = pending.await.expect("answer");
    lock.release().await;
    assert_eq!(status, 503, "the answer could not be saved: {body}");
    let (status, body) = close.await.expect("close");
    assert_eq!(status, 200, "{body}");
    assert_eq!(lock.stored_answers(p.participant_id).await, 0, "nothing stored");

    // The participant was told to send again, but the question has closed.
    let (status, body) = answer(
        &server,
        &p.token,
        json!({"round_id": round_id, "index": 0, "choice": key}),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    let mine = results["ranking"]
        .as_array()
        .expect("ranking")
        .iter()
        .find(|r| r["participant_id"] == p.participant_id)
        .cloned()
        .expect("in ranking");
    assert_eq!(
        (mine["score"].as_f64(), mine["correct"].as_u64()),
        (Some(0.0), Some(0)),
        "an answer that was never stored (and was reported as not saved) is scored: {mine}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Invariant 2: a live round drawn after an exam round may contain questions whose keys every exam participant
// who had them already received at the end of the exam. Live draws only avoid earlier *live* questions.
// ---------------------------------------------------------------------------------------------------------
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_round_after_an_exam_reuses_questions_whose_keys_were_revealed() {
    let server = TestServer::start().await;
    // The sample bank has 14 single-choice questions: 5 in the exam, 5 live leaves room for no repeats.
    let (id, code) = contest(&server, json!([exam_round(5), live_round(5)]), 1).await;
    let p = server.join(&code, &badge(0)).await;
    server.control(id, json!({"action": "start_round"})).await;
    let (status, body) = server
        .participant(&p.token, Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(status, 200, "{body}");
    server.control(id, json!({"action": "end_round"})).await;

    let (_, me) = server.participant(&p.token, Method::GET, "/api/me", None).await;
    let revealed: HashSet<String> = me["exam"]["questions"]
        .as_array()
        .expect("exam questions")
        .iter()
        .filter(|q| !q["answer"].is_null())
        .map(|q| q["question"]["stem"].as_str().expect("stem").to_string())
        .collect();
    assert_eq!(revealed.len(), 5, "the finished exam shows its keys: {me}");

    server.control(id, json!({"action": "start_round"})).await;
    let ws = server.ws(&p.token, None).await;
    let mut repeated = Vec::new();
    for i in 0..5 {
        server.control(id, json!({"action": "next"})).await;
        let open = ws
            .wait_for("question_open", |m| {
                m["type"] == "question_open" && m["question"]["index"] == i
            })
            .await;
        let stem = open["question"]["question"]["stem"]
            .as_str()
            .expect("stem")
            .to_string();
        if revealed.contains(&stem) {
            repeated.push(stem);
        }
        server.control(id, json!({"action": "close"})).await;
    }
    assert!(
        repeated.is_empty(),
        "live questions whose key this participant already saw in the exam results: {repeated:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Re-importing a bank evicts the cached actor of a draft contest that uses it, but sockets already connected
// (phones in the lobby, the big screen, the console) keep the old actor and its hub alive: they never hear of
// the round starting or any question opening.
// ---------------------------------------------------------------------------------------------------------
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_reimport_in_draft_strands_connected_sockets() {
    let server = TestServer::start().await;
    let (id, code) = contest(&server, json!([live_round(2)]), 1).await;
    let p = server.join(&code, &badge(0)).await;
    let phone = server.ws(&p.token, None).await;
    phone.wait_for("snapshot", |m| m["type"] == "snapshot").await;

    // The organizer fixes a typo in the bank before starting.
    let content =
        std::fs::read_to_string(repo_path("question_banks/english-sample.toml")).expect("bank file");
    server
        .org_ok(
            Method::POST,
            "/api/banks/import",
            Some(json!({"files": [{"name": "english-sample.toml", "content": content}]})),
        )
        .await;

    server.control(id, json!({"action": "start_round"})).await;
    server.control(id, json!({"action": "next"})).await;
    let mut heard = false;
    for _ in 0..120 {
        if phone.all().iter().any(|m| m["type"] == "question_open") {
            heard = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        heard,
        "the phone connected before the re-import never hears the question open; it got {:?}",
        phone.all().iter().map(|m| m["type"].clone()).collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------------------
// Invariant 1: "the rejection is recorded". An answer to a live question that arrives after the organizer ended
// the round is refused (round_not_running) but not recorded, unlike one that arrives after the question closed.
// ---------------------------------------------------------------------------------------------------------
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_after_round_end_is_refused_but_not_recorded() {
    let server = TestServer::start().await;
    let (id, code) = contest(&server, json!([live_round(2)]), 2).await;
    let p = server.join(&code, &badge(0)).await;
    server.join(&code, &badge(1)).await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "end_round"})).await;

    let (status, body) = answer(
        &server,
        &p.token,
        json!({"round_id": round_id, "index": 0, "choice": [0]}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let rejections = eventually("rejections", async || {
        let rows = server
            .org_ok(Method::GET, &format!("/api/contests/{id}/rejections"), None)
            .await;
        Some(rows).filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    });
    let rejections = tokio::time::timeout(Duration::from_secs(3), rejections).await;
    assert!(
        rejections.is_ok(),
        "the late answer ({body}) left no rejection record"
    );
}

// ---------------------------------------------------------------------------------------------------------
// A transient store error while closing a live question leaves it closed in memory but unscored, unannounced
// and still open on disk: the organizer cannot close it again (no_open_question), the correct answer never
// counts, and after a restart the question reopens from the store.
// ---------------------------------------------------------------------------------------------------------
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_close_leaves_the_question_stuck_unscored() {
    let server = TestServer::start().await;
    let (id, code) = contest(&server, json!([live_round(2)]), 2).await;
    let p = server.join(&code, &badge(0)).await;
    server.join(&code, &badge(1)).await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = server.control(id, json!({"action": "next"})).await;
    let key = opened["question"]["answer"]["choice"].clone();
    let (status, body) = answer(
        &server,
        &p.token,
        json!({"round_id": round_id, "index": 0, "choice": key}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let mut lock = Lock::take(&server).await;
    let (status, body) = server
        .org(
            Method::POST,
            &format!("/api/contests/{id}/control"),
            Some(json!({"action": "close"})),
        )
        .await;
    lock.release().await;
    assert!(status >= 500, "the close could not be saved: {status} {body}");

    // The store is fine again; the organizer closes the question once more.
    let (status, body) = server
        .org(
            Method::POST,
            &format!("/api/contests/{id}/control"),
            Some(json!({"action": "close"})),
        )
        .await;
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    let score = results["ranking"]
        .as_array()
        .expect("ranking")
        .iter()
        .find(|r| r["participant_id"] == p.participant_id)
        .and_then(|r| r["score"].as_f64());
    let stored_state = lock.question_state(round_id, 0).await;
    assert!(
        status == 200 && score == Some(10.0) && stored_state == "closed",
        "after a failed close: retry {status} {body}; correct answer scores {score:?}; stored state {stored_state}"
    );
}
