//! A full disk during a contest, then space freed: answers and organizer actions get `503 storage_unavailable`
//! (never 500) while the database cannot grow, and work again afterwards without a restart; nothing refused is
//! counted and nothing acknowledged is lost.
//!
//! The fault is real: the server's own writer connection is capped with SQLite's `max_page_count` through
//! `Store::set_write_page_limit`, so writes that need a new page fail with SQLite's genuine "database or disk
//! is full", the same error a full filesystem gives. Before the writer recovered from a failed batch, every
//! answer after the first failure got 503 until a restart.

mod common;

use std::collections::BTreeSet;

use common::*;
use jingsai::store::Store;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Why these tests skip on the PostgreSQL pass (`JINGSAI_TEST_POSTGRES_URL`).
const FULL_DISK_IS_SQLITE: &str = "the full disk is SQLite's max_page_count on the writer connection (Store::set_write_page_limit), a fault PostgreSQL has no counterpart of";

/// A real server on 127.0.0.1:0 whose store the test can reach for the fault hook.
struct Server {
    base: String,
    client: reqwest::Client,
    organizer: String,
    store: Store,
    _data_dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    async fn start() -> Self {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut settings = jingsai::config::Settings::new(data_dir.path().to_path_buf());
        settings.banks_dir = Some(repo_path("question_banks"));
        settings.admin_password = Some(ADMIN_PASSWORD.to_string());
        let prepared = jingsai::server::prepare(settings).await.expect("prepare");
        let store = prepared.state.store.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(prepared.serve(listener, async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::new();
        let organizer = login(&client, &base).await;
        Self {
            base,
            client,
            organizer,
            store,
            _data_dir: data_dir,
            _stop: stop,
        }
    }

    async fn org(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        send(&self.client, method, &url, Some(&self.organizer), body).await
    }

    async fn control(&self, id: i64, action: &str) -> (u16, Value) {
        let path = format!("/api/contests/{id}/control");
        self.org(Method::POST, &path, Some(json!({"action": action})))
            .await
    }

    /// A contest on the shipped party-history bank with one live round and a roster of `n`.
    async fn contest(&self, quotas: Value, n: usize) -> (i64, String) {
        let (status, contest) = self
            .org(
                Method::POST,
                "/api/contests",
                Some(json!({
                    "title": "full disk",
                    "bank_ids": ["party-history"],
                    "seed": "7",
                    "rounds": [{"title": "live", "kind": "live", "config": {
                        "blueprint": {"quotas": quotas},
                        "question_seconds": 600,
                        "close_when_all_answered": false
                    }}],
                })),
            )
            .await;
        assert_eq!(status, 201, "{contest}");
        let id = contest["id"].as_i64().expect("id");
        let code = contest["join_code"].as_str().expect("code").to_string();
        let response = self
            .client
            .post(format!("{}/api/contests/{id}/roster", self.base))
            .bearer_auth(&self.organizer)
            .header("content-type", "text/csv")
            .body(roster_csv(n, 3))
            .send()
            .await
            .expect("roster");
        assert_eq!(response.status().as_u16(), 200);
        (id, code)
    }

    async fn join(&self, code: &str, i: usize) -> Joined {
        let url = format!("{}/api/join", self.base);
        let body = json!({"code": code, "badge": badge(i)});
        let (status, body) = send(&self.client, Method::POST, &url, None, Some(body)).await;
        assert_eq!(status, 200, "join {i}: {body}");
        Joined {
            token: body["token"].as_str().expect("token").to_string(),
            participant_id: body["participant_id"].as_i64().expect("pid"),
        }
    }

    async fn answer(&self, who: &Joined, body: &Value) -> (u16, Value) {
        let url = format!("{}/api/answers", self.base);
        send(
            &self.client,
            Method::POST,
            &url,
            Some(&who.token),
            Some(body.clone()),
        )
        .await
    }

    /// Participants whose answer to this question is stored.
    async fn stored(&self, round_id: i64, index: i64) -> BTreeSet<i64> {
        sqlx::query_scalar(
            "SELECT a.participant_id FROM answers a
             JOIN round_questions q ON q.round_id = a.round_id AND q.question_uid = a.question_uid
             WHERE a.round_id = ? AND q.position = ?",
        )
        .bind(round_id)
        .bind(index)
        .fetch_all(self.store.reader().as_sqlite().expect("a SQLite store"))
        .await
        .expect("stored answers")
        .into_iter()
        .collect()
    }
}

/// A storage refusal: 503 with the storage code, never a 500.
fn assert_storage_unavailable(what: &str, status: u16, body: &Value) {
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("storage_unavailable")),
        "{what}: {}",
        short(body)
    );
}

/// A response body cut to a readable length for assertion messages (organizer snapshots are long).
fn short(body: &Value) -> String {
    body.to_string().chars().take(400).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_refused_while_the_disk_is_full_are_accepted_after_space_is_freed() {
    if pg::skip_on_postgres(
        "answers_refused_while_the_disk_is_full_are_accepted_after_space_is_freed",
        FULL_DISK_IS_SQLITE,
    ) {
        return;
    }
    let server = Server::start().await;
    let n = 30;
    let (id, code) = server.contest(json!([{"type": "fill", "count": 2}]), n).await;
    let mut people = Vec::new();
    for i in 0..n {
        people.push(server.join(&code, i).await);
    }
    let (status, started) = server.control(id, "start_round").await;
    assert_eq!(status, 200, "{}", short(&started));
    let round_id = started["round"]["id"].as_i64().expect("round");
    let (status, opened) = server.control(id, "next").await;
    assert_eq!(status, 200, "{}", short(&opened));
    let blanks = opened["question"]["question"]["blank_count"]
        .as_u64()
        .expect("blank count") as usize;
    // Long answers (200 characters, 600 bytes each) fill pages quickly.
    let long = |i: usize| format!("{i:03}{}", "答".repeat(197));
    let body = |i: usize, index: usize| json!({"round_id": round_id, "index": index, "blanks": vec![long(i); blanks]});

    // The disk fills up. Everyone answers, one after the other: what still fits is acknowledged, the rest is
    // refused with 503 storage_unavailable.
    let limit = server
        .store
        .set_write_page_limit(Some(0))
        .await
        .expect("page limit");
    assert!(limit > 0, "the limit is the current size");
    let mut acknowledged = BTreeSet::new();
    let mut refused = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let (status, ack) = server.answer(p, &body(i, 0)).await;
        if status == 200 {
            acknowledged.insert(p.participant_id);
        } else {
            assert_storage_unavailable(&format!("answer {i} while full"), status, &ack);
            refused.push(i);
        }
    }
    assert!(
        refused.len() >= n / 2,
        "the full database refused only {} of {n} answers",
        refused.len()
    );
    // A resend while still full is refused again.
    let first_refused = refused[0];
    let (status, again) = server
        .answer(&people[first_refused], &body(first_refused, 0))
        .await;
    assert_storage_unavailable("resend while full", status, &again);

    // Space is freed: the same answers, resent, are acknowledged, without a restart. The last four refused
    // participants never resend.
    server
        .store
        .set_write_page_limit(None)
        .await
        .expect("lift the limit");
    let (resent, never) = refused.split_at(refused.len() - 4);
    for &i in resent {
        let (status, ack) = server.answer(&people[i], &body(i, 0)).await;
        assert_eq!(status, 200, "resend of answer {i} after space was freed: {ack}");
        assert_eq!(ack["duplicate"], false, "{ack}");
        acknowledged.insert(people[i].participant_id);
    }

    // Closing publishes exactly the acknowledged answers; nothing refused is counted.
    let (status, closed) = server.control(id, "close").await;
    assert_eq!(status, 200, "{}", short(&closed));
    let result = &closed["question"]["result"];
    assert_eq!(result["answered"], acknowledged.len(), "{result}");
    assert_eq!(
        result["distribution"]["correct"].as_u64().unwrap_or(0)
            + result["distribution"]["wrong"].as_u64().unwrap_or(0),
        acknowledged.len() as u64,
        "{result}"
    );
    assert_eq!(server.stored(round_id, 0).await, acknowledged);
    for &i in never {
        assert!(!acknowledged.contains(&people[i].participant_id));
    }

    // Later answers work as usual.
    let (status, opened) = server.control(id, "next").await;
    assert_eq!(status, 200, "{}", short(&opened));
    let blanks = opened["question"]["question"]["blank_count"]
        .as_u64()
        .expect("blank count") as usize;
    for (i, p) in people.iter().enumerate() {
        let body = json!({"round_id": round_id, "index": 1, "blanks": vec!["x"; blanks]});
        let (status, ack) = server.answer(p, &body).await;
        assert_eq!(status, 200, "answer {i} to the next question: {ack}");
    }
    let (status, closed) = server.control(id, "close").await;
    assert_eq!(status, 200, "{}", short(&closed));
    assert_eq!(closed["question"]["result"]["answered"], n, "{}", short(&closed));
    assert_eq!(server.stored(round_id, 1).await.len(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_action_during_a_full_disk_answers_503_and_works_after_space_is_freed() {
    if pg::skip_on_postgres(
        "an_organizer_action_during_a_full_disk_answers_503_and_works_after_space_is_freed",
        FULL_DISK_IS_SQLITE,
    ) {
        return;
    }
    let server = Server::start().await;
    // Starting this round stores 280 drawn questions: several pages more than the database holds now (280: the
    // shipped bank's single-choice questions that can share a paper, 293, with room to spare).
    let (id, code) = server.contest(json!([{"type": "single", "count": 280}]), 3).await;
    let people = [
        server.join(&code, 0).await,
        server.join(&code, 1).await,
        server.join(&code, 2).await,
    ];
    let free_pages: i64 = sqlx::query_scalar("PRAGMA freelist_count")
        .fetch_one(server.store.reader().as_sqlite().expect("a SQLite store"))
        .await
        .expect("freelist");
    assert!(
        free_pages <= 2,
        "a fresh database has no room to spare: {free_pages} free pages"
    );

    server
        .store
        .set_write_page_limit(Some(0))
        .await
        .expect("page limit");
    for attempt in 0..2 {
        let (status, body) = server.control(id, "start_round").await;
        assert_storage_unavailable(&format!("start #{attempt} while full"), status, &body);
    }

    server
        .store
        .set_write_page_limit(None)
        .await
        .expect("lift the limit");
    let (status, started) = server.control(id, "start_round").await;
    assert_eq!(status, 200, "start after space was freed: {}", short(&started));
    assert_eq!(started["round"]["question_count"], 280, "{}", short(&started));
    let round_id = started["round"]["id"].as_i64().expect("round");
    let (status, opened) = server.control(id, "next").await;
    assert_eq!(status, 200, "{}", short(&opened));
    for p in &people {
        let body = json!({"round_id": round_id, "index": 0, "choice": [0]});
        let (status, ack) = server.answer(p, &body).await;
        assert_eq!(status, 200, "{ack}");
    }
    let (status, closed) = server.control(id, "close").await;
    assert_eq!(status, 200, "{}", short(&closed));
    assert_eq!(closed["question"]["result"]["answered"], 3, "{}", short(&closed));
}

/// Exam papers go through the group-commit writer: a paper that cannot be stored is never handed out
/// (`503`), the phone's retry writes it again once there is room, and the stored paper is the one the phone
/// got, with the start time of the first attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exam_paper_that_cannot_be_stored_is_not_handed_out_and_the_retry_stores_it() {
    if pg::skip_on_postgres(
        "an_exam_paper_that_cannot_be_stored_is_not_handed_out_and_the_retry_stores_it",
        FULL_DISK_IS_SQLITE,
    ) {
        return;
    }
    let server = Server::start().await;
    let (status, contest) = server
        .org(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "full disk exam",
                "bank_ids": ["party-history"],
                "seed": "7",
                // A paper of 150 questions is larger than a page: storing it needs new pages.
                "rounds": [{"title": "exam", "kind": "exam", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 150}]},
                    "time_limit_seconds": 600
                }}],
            })),
        )
        .await;
    assert_eq!(status, 201, "{contest}");
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let response = server
        .client
        .post(format!("{}/api/contests/{id}/roster", server.base))
        .bearer_auth(&server.organizer)
        .header("content-type", "text/csv")
        .body(roster_csv(2, 1))
        .send()
        .await
        .expect("roster");
    assert_eq!(response.status().as_u16(), 200);
    let who = server.join(&code, 0).await;
    let (status, started) = server.control(id, "start_round").await;
    assert_eq!(status, 200, "{}", short(&started));
    let round_id = started["round"]["id"].as_i64().expect("round");
    let start = format!("{}/api/exam/start", server.base);

    server
        .store
        .set_write_page_limit(Some(0))
        .await
        .expect("page limit");
    for attempt in 0..2 {
        let (status, body) = send(&server.client, Method::POST, &start, Some(&who.token), None).await;
        assert_storage_unavailable(&format!("paper #{attempt} while full"), status, &body);
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM papers WHERE round_id = ?")
        .bind(round_id)
        .fetch_one(server.store.reader().as_sqlite().expect("a SQLite store"))
        .await
        .expect("count");
    assert_eq!(stored, 0, "no paper is on disk while the disk is full");

    server
        .store
        .set_write_page_limit(None)
        .await
        .expect("lift the limit");
    let (status, paper) = send(&server.client, Method::POST, &start, Some(&who.token), None).await;
    assert_eq!(status, 200, "{}", short(&paper));
    let (started_at, items): (i64, String) =
        sqlx::query_as("SELECT started_at, items FROM papers WHERE round_id = ? AND participant_id = ?")
            .bind(round_id)
            .bind(who.participant_id)
            .fetch_one(server.store.reader().as_sqlite().expect("a SQLite store"))
            .await
            .expect("the paper is stored after the retry");
    assert_eq!(
        paper["started_at"].as_i64(),
        Some(started_at),
        "{}",
        short(&paper)
    );
    let items: Value = serde_json::from_str(&items).expect("items json");
    let uids = items["items"].as_array().expect("items").len();
    assert_eq!(paper["questions"].as_array().map(Vec::len), Some(uids));
    assert_eq!(uids, 150);

    let submit = format!("{}/api/exam/submit", server.base);
    let (status, body) = send(&server.client, Method::POST, &submit, Some(&who.token), None).await;
    assert_eq!(status, 200, "{}", short(&body));
    let submitted: Option<i64> =
        sqlx::query_scalar("SELECT submitted_at FROM papers WHERE round_id = ? AND participant_id = ?")
            .bind(round_id)
            .bind(who.participant_id)
            .fetch_one(server.store.reader().as_sqlite().expect("a SQLite store"))
            .await
            .expect("paper");
    assert_eq!(
        submitted,
        body["submitted_at"].as_i64(),
        "the hand-in is on disk when it is acknowledged"
    );
}
