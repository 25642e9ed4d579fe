//! Two instances of the real binary sharing one PostgreSQL (`JINGSAI_TEST_POSTGRES_URL`; skipped without it):
//! participants split across them, a live round, and the instance that owns the contest killed (SIGKILL) in the
//! middle of a question. The other instance takes the contest over; the question still closes at its deadline,
//! once; every acknowledged answer is scored; every client (those on the surviving instance, and those that
//! reconnect to it) gets the final leaderboard.

mod common;

use std::time::Duration;

use common::process::Process;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const PEOPLE: usize = 12;
const QUESTION_SECONDS: i64 = 6;

async fn call(
    client: &reqwest::Client,
    method: Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Value {
    let (status, value) = send(client, method, &url, Some(token), body).await;
    assert!((200..300).contains(&status), "{url}: {status} {value}");
    value
}

fn ws_url(base: &str, token: &str, contest: Option<i64>) -> String {
    let mut url = format!("{}/ws?token={token}", base.replacen("http://", "ws://", 1));
    if let Some(id) = contest {
        url.push_str(&format!("&contest={id}"));
    }
    url
}

/// Two instances on one fresh PostgreSQL database, an organizer logged in, and a contest created on the first
/// with its console open there first, so the first instance owns it.
struct Pair {
    a: Process,
    b: Process,
    client: reqwest::Client,
    org: String,
    contest_id: i64,
    code: String,
    _console: Capture,
    _dirs: [tempfile::TempDir; 2],
    database: common::pg::TestDatabase,
}

impl Pair {
    /// `None` (the test skips) without `JINGSAI_TEST_POSTGRES_URL`.
    async fn start(contest: Value) -> Option<Self> {
        let Some(database) = common::pg::TestDatabase::create() else {
            eprintln!("skipped: set JINGSAI_TEST_POSTGRES_URL to run the two-instance tests on PostgreSQL");
            return None;
        };
        let dirs = [
            tempfile::tempdir().expect("dir"),
            tempfile::tempdir().expect("dir"),
        ];
        let spawn = |dir: &tempfile::TempDir| {
            Process::spawn_with(dir.path(), None, &["--database-url", &database.url])
        };
        let (a, b) = (spawn(&dirs[0]), spawn(&dirs[1]));
        let client = reqwest::Client::new();
        let org = login(&client, &a.base).await;
        let created = call(
            &client,
            Method::POST,
            format!("{}/api/contests", a.base),
            &org,
            Some(contest),
        )
        .await;
        let contest_id = created["id"].as_i64().expect("id");
        let console = Capture::connect(&ws_url(&a.base, &org, Some(contest_id))).await;
        console
            .wait_for("console snapshot", |m| m["type"] == "snapshot")
            .await;
        Some(Self {
            code: created["join_code"].as_str().expect("code").to_owned(),
            a,
            b,
            client,
            org,
            contest_id,
            _console: console,
            _dirs: dirs,
            database,
        })
    }

    /// An organizer action sent to the instance at `base` (whichever owns the contest runs it).
    async fn control(&self, base: &str, action: &str) -> Value {
        call(
            &self.client,
            Method::POST,
            format!("{base}/api/contests/{}/control", self.contest_id),
            &self.org,
            Some(json!({"action": action})),
        )
        .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_killed_mid_question_another_instance_finishes_the_contest() {
    let Some(mut pair) = Pair::start(json!({
        "title": "两个实例",
        "bank_ids": ["party-history"],
        "rounds": [{"title": "必答", "kind": "live", "config": {
            "blueprint": {"quotas": [{"category": "新民主主义革命时期", "type": "single", "count": 2}]},
            "question_seconds": QUESTION_SECONDS,
            "close_when_all_answered": false
        }}]
    }))
    .await
    else {
        return;
    };
    let Pair {
        ref b,
        ref client,
        ref org,
        contest_id,
        ref code,
        ..
    } = pair;
    let response = client
        .post(format!("{}/api/contests/{contest_id}/roster", pair.a.base))
        .bearer_auth(org)
        .header("content-type", "text/csv")
        .body(roster_csv(PEOPLE, 3))
        .send()
        .await
        .expect("roster");
    assert_eq!(response.status(), 200);
    let a_base = pair.a.base.clone();

    // Even participants join through A, odd ones through B; each keeps a socket to its instance. The token
    // signed by one instance is accepted by the other (the signing secret is in the database).
    let mut tokens = Vec::new();
    let mut phones = Vec::new();
    for i in 0..PEOPLE {
        let base = if i % 2 == 0 { &a_base } else { &b.base };
        let (status, joined) = send(
            client,
            Method::POST,
            &format!("{base}/api/join"),
            None,
            Some(json!({"code": code, "badge": badge(i), "device": format!("phone-{i}")})),
        )
        .await;
        assert_eq!(status, 200, "join {i}: {joined}");
        let token = joined["token"].as_str().expect("token").to_owned();
        phones.push(Capture::connect(&ws_url(base, &token, None)).await);
        tokens.push(token);
    }
    let screen_token = call(
        client,
        Method::POST,
        format!("{}/api/contests/{contest_id}/display-token", b.base),
        org,
        None,
    )
    .await;
    let screen = Capture::connect(&ws_url(
        &b.base,
        screen_token["token"].as_str().expect("display token"),
        Some(contest_id),
    ))
    .await;
    for phone in &phones {
        phone
            .wait_for("phone snapshot", |m| m["type"] == "snapshot")
            .await;
    }
    // The owner learns of B's participants through B: the organizer sees all twelve connected.
    eventually("all twelve connected", async || {
        let state = call(
            client,
            Method::GET,
            format!("{}/api/contests/{contest_id}", b.base),
            org,
            None,
        )
        .await;
        let connected = state["participants"]
            .as_array()
            .map(|all| all.iter().filter(|p| p["connected"] == true).count());
        (connected == Some(PEOPLE)).then_some(())
    })
    .await;

    // Start and open the first question from B's console API (the owner, A, runs it).
    let started = pair.control(&b.base, "start_round").await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = pair.control(&b.base, "next").await;
    let deadline = opened["question"]["deadline"].as_i64().expect("deadline");
    let options = opened["question"]["question"]["options"]
        .as_array()
        .expect("options")
        .len();
    for phone in &phones {
        phone
            .wait_for("question_open", |m| m["type"] == "question_open")
            .await;
    }

    // Eight answer now, through their own instance, and are acknowledged.
    let mut acked: Vec<(usize, usize)> = Vec::new();
    for (i, token) in tokens.iter().enumerate().take(8) {
        let base = if i % 2 == 0 { &a_base } else { &b.base };
        let choice = i % options;
        call(
            client,
            Method::POST,
            format!("{base}/api/answers"),
            token,
            Some(json!({"round_id": round_id, "index": 0, "choice": [choice]})),
        )
        .await;
        acked.push((i, choice));
    }

    // SIGKILL the owner in the middle of the question.
    pair.a.kill();
    let killed_at = jingsai::store::now_ms();
    assert!(
        killed_at < deadline - 2_000,
        "the kill must fall inside the question"
    );

    // B takes the contest over: it answers for it again within seconds.
    eventually("B took the contest over", async || {
        let (status, _) = send(
            client,
            Method::GET,
            &format!("{}/api/contests/{contest_id}", b.base),
            Some(org),
            None,
        )
        .await;
        (status == 200).then_some(())
    })
    .await;
    let took_over = jingsai::store::now_ms() - killed_at;
    assert!(took_over < 2_500, "took over {took_over} ms after the kill");
    // A's participants come back on B; the four who had not answered answer there.
    for i in (0..PEOPLE).step_by(2) {
        phones[i] = Capture::connect(&ws_url(&b.base, &tokens[i], None)).await;
    }
    for (i, token) in tokens.iter().enumerate().skip(8) {
        let choice = i % options;
        let answered = eventually("an answer accepted after the takeover", async || {
            let (status, _) = send(
                client,
                Method::POST,
                &format!("{}/api/answers", b.base),
                Some(token),
                Some(json!({"round_id": round_id, "index": 0, "choice": [choice]})),
            )
            .await;
            (status == 200).then_some(jingsai::store::now_ms())
        })
        .await;
        assert!(answered - killed_at < 6_000, "B took over within seconds");
        acked.push((i, choice));
    }

    // The question closes on its own at the original deadline (plus the grace), once.
    let closed = phones[1]
        .wait_for("question_closed", |m| m["type"] == "question_closed")
        .await;
    let closed_at = closed["server_now"].as_i64().expect("server_now");
    assert!(
        closed_at >= deadline,
        "closed at {closed_at}, deadline {deadline}"
    );
    assert!(
        closed_at - deadline < 3_000,
        "closed {} ms late",
        closed_at - deadline
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (i, phone) in phones.iter().enumerate().filter(|(i, _)| i % 2 == 1) {
        let closes = phone
            .all()
            .iter()
            .filter(|m| m["type"] == "question_closed")
            .count();
        assert_eq!(closes, 1, "phone {i} saw the question close once");
    }

    // Finish: every client gets the final leaderboard; every acknowledged answer is in the scores.
    for action in ["end_round", "finish"] {
        pair.control(&b.base, action).await;
    }
    let finished = |m: &Value| m["type"] == "contest_state" && m["state"] == "finished";
    for phone in &phones {
        let last = phone.wait_for("the final leaderboard", finished).await;
        assert_eq!(last["leaderboard"]["participants"], json!(PEOPLE), "{last}");
        phone.wait_for("my_rank", |m| m["type"] == "my_rank").await;
    }
    screen
        .wait_for("the final leaderboard on the screen", finished)
        .await;
    let results = call(
        client,
        Method::GET,
        format!("{}/api/contests/{contest_id}/results", b.base),
        org,
        None,
    )
    .await;
    let ranking = results["ranking"].as_array().expect("ranking");
    assert_eq!(ranking.len(), PEOPLE);
    let mut found = 0;
    for entry in ranking {
        let pid = entry["participant_id"].as_i64().expect("pid");
        let breakdown = call(
            client,
            Method::GET,
            format!(
                "{}/api/contests/{contest_id}/participants/{pid}/breakdown",
                b.base
            ),
            org,
            None,
        )
        .await;
        let i = (0..PEOPLE)
            .find(|i| badge(*i) == entry["badge"].as_str().unwrap_or_default())
            .expect("known badge");
        let stored = breakdown["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|item| item["index"] == 0 && item["received_at"].is_i64())
            .count();
        let expected = usize::from(acked.iter().any(|(who, _)| *who == i));
        assert_eq!(stored, expected, "answer of participant {i}");
        found += stored;
    }
    assert_eq!(found, PEOPLE, "every acknowledged answer is scored");
}

/// The listener of an instance loses its connection (its PostgreSQL backend is terminated): notifications sent
/// meanwhile are gone, so after it reconnects every socket of that instance is sent a fresh snapshot, and events
/// flow again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_reconnects_resynchronizes_its_sockets() {
    let Some(pair) = Pair::start(json!({
        "title": "重连", "bank_ids": ["party-history"], "join_mode": "open",
        "rounds": [{"title": "一", "kind": "live", "config": {
            "blueprint": {"quotas": [{"category": "新民主主义革命时期", "type": "single", "count": 2}]},
            "question_seconds": 30
        }}]
    }))
    .await
    else {
        return;
    };
    let Pair {
        ref a,
        ref b,
        ref client,
        ref code,
        ..
    } = pair;
    let (status, joined) = send(
        client,
        Method::POST,
        &format!("{}/api/join", b.base),
        None,
        Some(json!({"code": code, "name": "张三", "unit": "一所", "device": "phone-b"})),
    )
    .await;
    assert_eq!(status, 200, "{joined}");
    let phone = Capture::connect(&ws_url(&b.base, joined["token"].as_str().expect("token"), None)).await;
    phone.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let snapshots = || phone.all().iter().filter(|m| m["type"] == "snapshot").count();
    assert_eq!(snapshots(), 1);

    // Terminate the backends listening on the events channel: A's and B's listeners both reconnect.
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(&pair.database.url)
        .await
        .expect("connect");
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN \"jingsai_i%'",
    )
    .fetch_all(&mut db)
    .await
    .expect("terminate");
    assert!(!terminated.is_empty(), "the listeners were found");
    eventually("a fresh snapshot after the listener reconnected", async || {
        (snapshots() >= 2).then_some(())
    })
    .await;

    // Events flow again: the question opened on A reaches the phone on B.
    pair.control(&a.base, "start_round").await;
    pair.control(&a.base, "next").await;
    phone
        .wait_for("question_open after the reconnect", |m| {
            m["type"] == "question_open"
        })
        .await;
}
