//! `jingsai audit verify` against a real contest: a live round, an exam round and a buzzer round played by five
//! phones of a six-person roster, a score adjustment, judgements, an undo and a team adjustment. The real binary
//! verifies it while the server still runs (exit 0, and its recomputed results equal the results API); then
//! single stored values are changed directly in the database (the SQLite file, or the PostgreSQL database when
//! the server uses one) and each change is named (exit 1), and the database is put back after each one (exit 0
//! again).

#[path = "common/buzzer.rs"]
mod buzzer;
mod common;

use buzzer::{Phone, buzz, learn_teams};
use common::audit::{Verified, assert_audit_verifies, audit_verify};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};

const ROSTER: usize = 6;
const JOINED: usize = 5;

fn rounds() -> Value {
    json!([
        {"title": "必答题", "kind": "live", "config": {
            "blueprint": {"quotas": [
                {"type": "single", "count": 2},
                {"type": "multiple", "count": 1},
                {"type": "fill", "count": 1}
            ]},
            "scoring": {"default_points": 10, "speed_bonus": 0.5, "partial_credit": true, "wrong_penalty": 2},
            "question_seconds": 60,
            "close_when_all_answered": false
        }},
        {"title": "笔试", "kind": "exam", "config": {
            "blueprint": {"quotas": [{"type": "single", "count": 3}, {"type": "true_false", "count": 2}]},
            "time_limit_seconds": 600
        }},
        {"title": "抢答题", "kind": "buzzer", "config": {
            "blueprint": {"quotas": [{"type": "single", "count": 2}]},
            "grace_ms": 0,
            "stage": {"base_score": 100},
            "buzzer": {"points": 20, "wrong_penalty": 10, "late_penalty": 5, "foul_penalty": 10,
                       "on_wrong": "pass", "answer_by": "judge", "answer_seconds": 60, "buzz_window_seconds": 60}
        }}
    ])
}

/// A live answer: right, wrong or (multiple choice) partly right, from the organizer's view of the question.
fn live_answer(round_id: i64, index: usize, view: &Value, how: usize) -> Value {
    let qtype = view["question"]["type"].as_str().expect("type");
    let options = view["question"]["options"].as_array().map_or(0, Vec::len);
    let key: Vec<u64> = view["answer"]["choice"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    if qtype == "fill" {
        let blanks: Vec<String> = view["answer"]["blanks"]
            .as_array()
            .expect("blanks")
            .iter()
            .map(|alts| match how {
                0 => "不知道".to_owned(),
                _ => alts[0].as_str().expect("alt").to_owned(),
            })
            .collect();
        return json!({"round_id": round_id, "index": index, "blanks": blanks});
    }
    let wrong = (0..options as u64)
        .find(|o| !key.contains(o))
        .expect("a wrong option");
    let choice = match how {
        0 => vec![wrong],
        1 if key.len() > 1 => vec![key[0]],
        _ => key,
    };
    json!({"round_id": round_id, "index": index, "choice": choice})
}

/// The server's database, opened beside the server to change stored values behind its back.
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Run `$body` with `$c` bound to the pool of `$db`, once per backend (queries use `$N` placeholders).
macro_rules! on_db {
    ($db:expr, |$c:ident| $body:expr) => {
        match $db {
            Db::Sqlite($c) => $body,
            Db::Postgres($c) => $body,
        }
    };
}

async fn database(server: &TestServer) -> Db {
    match &server.database_url {
        Some(url) => Db::Postgres(
            PgPoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .expect("connect to the server's PostgreSQL database"),
        ),
        None => Db::Sqlite(
            SqlitePoolOptions::new()
                .max_connections(1)
                .connect(&format!(
                    "sqlite://{}",
                    server.data_dir.path().join("jingsai.db").display()
                ))
                .await
                .expect("open the database file"),
        ),
    }
}

async fn exec(db: &Db, sql: &str) {
    on_db!(db, |c| sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(c)
        .await
        .map(|_| ()))
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The verifier finds differences: exit 1, each `needles` in one `DIFFERENCE` line of its report.
fn assert_differs(run: &Verified, needles: &[&[&str]]) {
    assert_eq!(run.code, 1, "expected differences:\n{}{}", run.stdout, run.stderr);
    for needle in needles {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with("DIFFERENCE") && needle.iter().all(|n| l.contains(n))),
            "no difference line with {needle:?}:\n{}",
            run.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_played_contest_verifies_and_each_tampered_value_is_named() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(
                json!({"title": "审计验证", "bank_ids": ["party-history"], "seed": "31337",
                        "rounds": rounds()}),
            ),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(ROSTER, 3)).await;
    assert_eq!(status, 200, "{body}");
    let mut phones = Vec::new();
    for i in 0..JOINED {
        let joined = server.join(&code, &badge(i)).await;
        let ws = server.ws(&joined.token, None).await;
        phones.push(Phone { joined, ws, team: 0 });
    }
    let pids: Vec<i64> = phones.iter().map(|p| p.joined.participant_id).collect();
    let pid = |i: usize| pids[i];

    // Live round: four questions; participant 4 never answers, the others vary right, wrong and partly right.
    let started = server.control(id, json!({"action": "start_round"})).await;
    let live_id = started["round"]["id"].as_i64().expect("round id");
    for q in 0..4 {
        let view = server.control(id, json!({"action": "next"})).await["question"].clone();
        for (i, phone) in phones.iter().enumerate().take(JOINED - 1) {
            let body = live_answer(live_id, q, &view, (i + q) % 3);
            let (status, ack) = server
                .participant(&phone.joined.token, Method::POST, "/api/answers", Some(body))
                .await;
            assert_eq!(status, 200, "{ack}");
        }
        server.control(id, json!({"action": "close"})).await;
    }
    server.control(id, json!({"action": "end_round"})).await;

    // The server runs, the contest is half played: the verifier reads it as it is.
    let midway = assert_audit_verifies(&server, id);
    assert!(midway.contains("the contest is running"), "{midway}");

    let adjusted = server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{id}/adjustments"),
            Some(json!({"participant_id": pid(2), "delta": 1.5, "reason": "申诉成立"})),
        )
        .await;
    let adjustment_id = adjusted["id"].as_i64().expect("adjustment id");

    // Exam round: four papers; participant 3 leaves it open (handed in when the round ends).
    let started = server.control(id, json!({"action": "start_round"})).await;
    let exam_id = started["round"]["id"].as_i64().expect("round id");
    for (i, phone) in phones.iter().enumerate().take(4) {
        let (status, paper) = server
            .participant(&phone.joined.token, Method::POST, "/api/exam/start", None)
            .await;
        assert_eq!(status, 200, "{paper}");
        let audit = server
            .org_ok(
                Method::GET,
                &format!("/api/contests/{id}/rounds/{exam_id}/papers/{}", pid(i)),
                None,
            )
            .await;
        let items = audit["stored"]["items"].as_array().expect("items").clone();
        for (k, item) in items.iter().enumerate().take(if i == 3 { 2 } else { 5 }) {
            let uid = item["uid"].as_i64().expect("uid");
            let question = server
                .org_ok(Method::GET, &format!("/api/questions/{uid}"), None)
                .await;
            let key = question["answer"]["choice"][0].as_u64().expect("key") as usize;
            let order: Vec<usize> = item["option_order"]
                .as_array()
                .expect("order")
                .iter()
                .map(|o| o.as_u64().expect("option") as usize)
                .collect();
            let options = question["options"].as_array().expect("options").len();
            let right = if order.is_empty() {
                key
            } else {
                order.iter().position(|&o| o == key).expect("key shown")
            };
            let pick = if (i + k) % 2 == 0 {
                right
            } else {
                (right + 1) % options
            };
            let body = json!({"round_id": exam_id, "index": k, "choice": [pick]});
            let (status, ack) = server
                .participant(&phone.joined.token, Method::POST, "/api/answers", Some(body))
                .await;
            assert_eq!(status, 200, "{ack}");
        }
        if i != 3 {
            let (status, body) = server
                .participant(&phone.joined.token, Method::POST, "/api/exam/submit", None)
                .await;
            assert_eq!(status, 200, "{body}");
        }
    }
    server.control(id, json!({"action": "end_round"})).await;

    // Buzzer round: a wrong and a right verdict, a foul, an undo and a team adjustment.
    server.control(id, json!({"action": "start_round"})).await;
    server.control(id, json!({"action": "next"})).await;
    for phone in &mut phones {
        phone.ws.send(r#"{"type": "snapshot"}"#);
    }
    learn_teams(&mut phones).await;
    server.control(id, json!({"action": "arm"})).await;
    assert_eq!(buzz(&phones[0], "a1").await["result"], "floor");
    assert_eq!(buzz(&phones[1], "b1").await["result"], "queued");
    server
        .control(id, json!({"action": "judge", "correct": false}))
        .await;
    let judged = server
        .control(id, json!({"action": "judge", "correct": true}))
        .await;
    let wrong_entry = judged["stage"]["ledger"]
        .as_array()
        .expect("ledger")
        .iter()
        .find(|e| e["reason"] == "buzzer_wrong")
        .expect("the wrong verdict's entry")["id"]
        .as_u64()
        .expect("entry id");
    server.control(id, json!({"action": "next"})).await;
    assert_eq!(buzz(&phones[2], "c2").await["result"], "foul");
    server.control(id, json!({"action": "arm"})).await;
    assert_eq!(buzz(&phones[0], "a2").await["result"], "floor");
    server
        .control(id, json!({"action": "judge", "correct": true}))
        .await;
    server
        .control(
            id,
            json!({"action": "undo", "entry": wrong_entry, "note": "judged too fast"}),
        )
        .await;
    let team_c = phones[2].team;
    server
        .control(
            id,
            json!({"action": "adjust_team", "team": team_c, "delta": 2.5, "note": " appeal upheld "}),
        )
        .await;
    server.control(id, json!({"action": "end_round"})).await;
    let finished = server.control(id, json!({"action": "finish"})).await;

    // Clean: exit 0 with a report of what was checked; the JSON report's recomputed results are the API's.
    let text = assert_audit_verifies(&server, id);
    let entries = finished["stage"]["ledger"].as_array().expect("ledger").len();
    for line in [
        "2 shared draws (6 questions) and 4 exam papers (20 questions) regenerated from the seed".to_owned(),
        "6 participants (5 ranked, 1 absent), 3 units, 1 adjustment; compared with the results recorded in audit row"
            .to_owned(),
        format!("3 teams, {entries} entries; 2 buzzer questions replayed"),
        "hash chain whole".to_owned(),
    ] {
        assert!(text.contains(&line), "missing `{line}` in:\n{text}");
    }
    let run = audit_verify(&server, id, &["--json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    assert_eq!(report["ok"], true);
    assert_eq!(report["differences"], json!([]));
    let answered_live = 4 * (JOINED - 1);
    let answered_exam = 5 * 3 + 2;
    assert_eq!(report["checked"]["answers"], answered_live + answered_exam);
    assert_eq!(report["checked"]["answers_scored"], answered_live + answered_exam);
    assert!(report["checked"]["item_stats_compared"].as_u64().expect("count") >= 4 + 5);
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    assert_eq!(report["results"], results, "the recomputed results are the API's");
    let standings: Vec<Value> = finished["stage"]["standings"]
        .as_array()
        .expect("standings")
        .iter()
        .map(|s| json!({"team": s["team"], "unit": s["unit"], "total": s["total"], "rank": s["rank"]}))
        .collect();
    assert_eq!(
        report["teams"],
        json!(standings),
        "the recomputed team standings are the engine's"
    );

    // The audit log has every organizer action, by the organizer, with the server's time.
    let log = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/audit"), None)
        .await;
    assert_eq!(log["chain_ok"], true, "{log}");
    let entries = log["entries"].as_array().expect("entries");
    for action in [
        "create_contest",
        "import_roster",
        "start_round",
        "next",
        "close",
        "end_round",
        "adjust_score",
        "arm",
        "judge",
        "undo",
        "adjust_team",
        "finish",
        "results_recorded",
    ] {
        let row = entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no `{action}` in the audit log: {log}"));
        assert_eq!(row["actor"], "admin", "{row}");
        assert_eq!(row["outcome"], "ok", "{row}");
        assert!(row["at_ms"].as_i64().expect("at_ms") > 1_600_000_000_000, "{row}");
    }
    let adjust_row = entries
        .iter()
        .find(|e| e["action"] == "adjust_score")
        .expect("row");
    let detail: Value = serde_json::from_str(adjust_row["detail"].as_str().expect("detail")).expect("json");
    assert_eq!(
        detail,
        json!({"adjustment_id": adjustment_id, "participant_id": pid(2), "delta_centi": 150, "reason": "申诉成立"})
    );
    let roster_row = entries
        .iter()
        .find(|e| e["action"] == "import_roster")
        .expect("row");
    assert_eq!(
        roster_row["detail"], r#"{"imported":6,"secret_kind":null}"#,
        "counts only, no names"
    );

    // Tampering, with the server still running. Scores are never stored (docs/scoring.md): an answer's stored
    // score is its response against the key, so changing the response changes the score.
    let db = database(&server).await;
    let answers: Vec<(i64, String)> = on_db!(&db, |c| sqlx::query_as(
        "SELECT question_uid, response FROM answers WHERE round_id = $1 AND participant_id = $2 \
         ORDER BY question_uid",
    )
    .bind(live_id)
    .bind(pid(1))
    .fetch_all(c)
    .await)
    .expect("live answers");
    let mut right_single = None;
    for (uid, response) in answers {
        let question = server
            .org_ok(Method::GET, &format!("/api/questions/{uid}"), None)
            .await;
        let key = &question["answer"]["choice"];
        if question["type"] == "single"
            && serde_json::from_str::<Value>(&response).expect("json")["choice"] == *key
        {
            let options = question["options"].as_array().expect("options").len() as u64;
            let wrong = (key[0].as_u64().expect("key") + 1) % options;
            right_single = Some((uid, response, format!(r#"{{"choice":[{wrong}]}}"#)));
            break;
        }
    }
    let (uid, response, changed) = right_single.expect("a right single-choice live answer of participant 1");
    let where_answer = format!(
        "round_id = {live_id} AND participant_id = {} AND question_uid = {uid}",
        pid(1)
    );
    exec(
        &db,
        &format!("UPDATE answers SET response = '{changed}' WHERE {where_answer}"),
    )
    .await;
    let run = audit_verify(&server, id, &[]);
    assert_differs(
        &run,
        &[
            &["[results]", "audit row", "score_sum"],
            &[
                "[item_stats]",
                "round 1 “必答题”",
                &format!("question uid {uid}"),
                "facility",
            ],
        ],
    );
    exec(
        &db,
        &format!("UPDATE answers SET response = '{response}' WHERE {where_answer}"),
    )
    .await;
    assert_audit_verifies(&server, id);

    // An answer time.
    let where_exam = format!("round_id = {exam_id} AND participant_id = {}", pid(0));
    exec(
        &db,
        &format!("UPDATE answers SET elapsed_ms = elapsed_ms + 1000 WHERE {where_exam}"),
    )
    .await;
    let run = audit_verify(&server, id, &[]);
    assert_differs(
        &run,
        &[&[
            "[answer]",
            "round 2 “笔试”",
            &format!("participant {}", pid(0)),
            "elapsed_ms",
        ]],
    );
    exec(
        &db,
        &format!("UPDATE answers SET elapsed_ms = elapsed_ms - 1000 WHERE {where_exam}"),
    )
    .await;

    // A paper's question order: its first two questions swapped.
    let items: String = on_db!(&db, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT items FROM papers WHERE {where_exam}"
    )))
    .fetch_one(c)
    .await)
    .expect("paper");
    let mut paper: Value = serde_json::from_str(&items).expect("paper json");
    paper["items"].as_array_mut().expect("items").swap(0, 1);
    exec(
        &db,
        &format!("UPDATE papers SET items = '{paper}' WHERE {where_exam}"),
    )
    .await;
    let run = audit_verify(&server, id, &[]);
    assert_differs(
        &run,
        &[
            &[
                "[paper]",
                "round 2 “笔试”",
                &format!("participant {}", pid(0)),
                "item 0",
                ": question: stored",
            ],
            &[
                "[paper]",
                &format!("participant {}", pid(0)),
                "item 1",
                ": question: stored",
            ],
        ],
    );
    let run = audit_verify(&server, id, &["--json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    let first = &report["differences"][0];
    assert_eq!(
        (&first["check"], &first["field"]),
        (&json!("paper"), &json!("question"))
    );
    let served: Value = serde_json::from_str(&items).expect("paper");
    assert_eq!(
        first["location"],
        json!({"round_id": exam_id, "round": 2, "round_title": "笔试", "participant_id": pid(0),
               "participant": "警员001", "index": 0, "question_uid": paper["items"][0]["uid"],
               "question_id": first["location"]["question_id"]})
    );
    assert_eq!(
        (&first["stored"], &first["recomputed"]),
        (&paper["items"][0]["uid"], &served["items"][0]["uid"])
    );
    exec(
        &db,
        &format!("UPDATE papers SET items = '{items}' WHERE {where_exam}"),
    )
    .await;

    // A score adjustment's points.
    exec(
        &db,
        &format!("UPDATE score_adjustments SET delta_centi = 1500 WHERE id = {adjustment_id}"),
    )
    .await;
    let run = audit_verify(&server, id, &[]);
    assert_differs(
        &run,
        &[
            &[
                "[audit_log]",
                &format!("adjustment {adjustment_id}"),
                "delta_centi: stored 1500, recomputed 150",
            ],
            &["[results]", "score_sum"],
        ],
    );
    exec(
        &db,
        &format!("UPDATE score_adjustments SET delta_centi = 150 WHERE id = {adjustment_id}"),
    )
    .await;

    // A team's ledger entry made by the rules.
    let (entry, delta): (i64, i64) = on_db!(&db, |c| sqlx::query_as(
        "SELECT id, delta_centi FROM stage_entries WHERE contest_id = $1 AND reason = 'buzzer_right' \
         ORDER BY id LIMIT 1",
    )
    .bind(id)
    .fetch_one(c)
    .await)
    .expect("entry");
    exec(
        &db,
        &format!("UPDATE stage_entries SET delta_centi = 3000 WHERE contest_id = {id} AND id = {entry}"),
    )
    .await;
    let run = audit_verify(&server, id, &[]);
    assert_differs(
        &run,
        &[&[
            "[ledger]",
            &format!("ledger entry {entry}"),
            "delta: stored 30.0, recomputed 20.0",
        ]],
    );
    exec(
        &db,
        &format!("UPDATE stage_entries SET delta_centi = {delta} WHERE contest_id = {id} AND id = {entry}"),
    )
    .await;

    // A team adjustment's note in the ledger, against the organizer's action in the audit log.
    let where_note = format!("contest_id = {id} AND reason = 'adjustment'");
    exec(
        &db,
        &format!("UPDATE stage_entries SET note = 'no reason' WHERE {where_note}"),
    )
    .await;
    let run = audit_verify(&server, id, &[]);
    assert_differs(
        &run,
        &[&[
            "[audit_log]",
            "ledger entry",
            "note: stored \"no reason\", recomputed \"appeal upheld\"",
        ]],
    );
    exec(
        &db,
        &format!("UPDATE stage_entries SET note = 'appeal upheld' WHERE {where_note}"),
    )
    .await;

    // An audit row, once its table lets it be changed.
    let drop_trigger = match db {
        Db::Sqlite(_) => "DROP TRIGGER audit_log_no_update",
        Db::Postgres(_) => "DROP TRIGGER audit_log_no_update ON audit_log",
    };
    exec(&db, drop_trigger).await;
    exec(
        &db,
        &format!("UPDATE audit_log SET actor = 'someone' WHERE contest_id = {id} AND id = 3"),
    )
    .await;
    let run = audit_verify(&server, id, &[]);
    assert_differs(
        &run,
        &[&[
            "[audit_log]",
            "audit row 3",
            "hash",
            "changed after it was written",
        ]],
    );
    assert!(run.stdout.contains("hash chain BROKEN"), "{}", run.stdout);
    exec(
        &db,
        &format!("UPDATE audit_log SET actor = 'admin' WHERE contest_id = {id} AND id = 3"),
    )
    .await;

    // Everything put back: clean again.
    assert_audit_verifies(&server, id);

    // Usage errors: exit 2 with a clear message.
    let run = audit_verify(&server, 999_999, &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("has no contest 999999"), "{}", run.stderr);
    let missing = server.data_dir.path().join("nowhere.db");
    let run = audit_verify(&server, id, &["--database", missing.to_str().expect("path")]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no database at"), "{}", run.stderr);
}

/// The contest's audit log as (action, detail) pairs, after checking every row is the organizer's and `ok`.
async fn logged(server: &TestServer, id: i64) -> Vec<(String, Value)> {
    let log = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/audit"), None)
        .await;
    assert_eq!(log["chain_ok"], true, "{log}");
    log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            assert_eq!(
                (&e["actor"], &e["outcome"]),
                (&json!("admin"), &json!("ok")),
                "{e}"
            );
            let detail = serde_json::from_str(e["detail"].as_str().expect("detail")).expect("detail json");
            (e["action"].as_str().expect("action").to_owned(), detail)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_seat_and_bank_actions_are_logged_and_a_regrade_is_recorded() {
    let server = TestServer::start().await;
    let round = json!({"title": "Quick", "kind": "live", "config": {
        "blueprint": {"quotas": [{"type": "single", "count": 2}]}, "question_seconds": 30,
        "close_when_all_answered": false}});
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({"title": "Setup", "bank_ids": ["english-sample"], "rounds": [round.clone()]})),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let added = server
        .org_ok(Method::POST, &format!("/api/contests/{id}/rounds"), Some(round))
        .await;
    let extra_round = added["id"].as_i64().expect("round id");
    let (status, _) = server
        .org(
            Method::DELETE,
            &format!("/api/contests/{id}/rounds/{extra_round}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = server.import_roster(id, &roster_csv(3, 1)).await;
    assert_eq!(status, 200, "{body}");
    let display = server
        .org_ok(Method::POST, &format!("/api/contests/{id}/display-token"), None)
        .await;
    let display_token = display["token"].as_str().expect("token").to_string();
    let (status, _) = server
        .org(Method::DELETE, &format!("/api/contests/{id}/display-token"), None)
        .await;
    assert_eq!(status, 204);
    server
        .org_ok(
            Method::PUT,
            &format!("/api/contests/{id}/join-base"),
            Some(json!({"join_base_url": "http://192.168.1.20:8080"})),
        )
        .await;

    // A second phone asks for the seat of participant 0; the organizer approves; then frees another seat.
    let first = server.join(&code, &badge(0)).await;
    let (status, refused) = send(
        &server.client,
        Method::POST,
        &server.url("/api/join"),
        None,
        Some(json!({"code": code, "badge": badge(0), "device": "another-phone"})),
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (409, &json!("seat_taken")),
        "{refused}"
    );
    server
        .org_ok(
            Method::POST,
            &format!(
                "/api/contests/{id}/participants/{}/device-change",
                first.participant_id
            ),
            Some(json!({"approve": true})),
        )
        .await;
    let second = server.join(&code, &badge(1)).await;
    server
        .org_ok(
            Method::POST,
            &format!(
                "/api/contests/{id}/participants/{}/release-seat",
                second.participant_id
            ),
            None,
        )
        .await;

    // Played and finished: one question answered, one skipped.
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round id");
    server.control(id, json!({"action": "next"})).await;
    let body = json!({"round_id": round_id, "index": 0, "choice": [0]});
    let (status, ack) = server
        .participant(&second.token, Method::POST, "/api/answers", Some(body))
        .await;
    assert_eq!(status, 200, "{ack}");
    server.control(id, json!({"action": "close"})).await;
    server.control(id, json!({"action": "skip"})).await;
    server.control(id, json!({"action": "finish"})).await;

    // The bank is imported again: the finished contest is regraded, and its results are recorded again.
    let content =
        std::fs::read_to_string(repo_path("question_banks/english-sample.toml")).expect("bank file");
    server
        .org_ok(
            Method::POST,
            "/api/banks/import",
            Some(json!({"files": [{"name": "english-sample.toml", "content": content}]})),
        )
        .await;

    let log = logged(&server, id).await;
    let actions: Vec<&str> = log.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create_contest",
            "add_round",
            "delete_round",
            "import_roster",
            "display_link",
            "revoke_display_links",
            "set_join_base",
            "device_change",
            "release_seat",
            "start_round",
            "next",
            "close",
            "skip",
            "finish",
            "results_recorded",
            "bank_import",
            "results_recorded",
        ],
        "{log:#?}"
    );
    let detail = |action: &str| log.iter().find(|(a, _)| a == action).expect(action).1.clone();
    assert_eq!(
        detail("create_contest"),
        json!({"title": "Setup", "bank_ids": ["english-sample"], "rounds": 1, "join_mode": "roster",
               "unit_scoring": "sum", "seed": "generated"})
    );
    assert_eq!(detail("delete_round"), json!({"round_id": extra_round}));
    assert_eq!(
        detail("device_change"),
        json!({"participant_id": first.participant_id, "approve": true})
    );
    assert_eq!(
        detail("release_seat"),
        json!({"participant_id": second.participant_id})
    );
    assert_eq!(
        detail("set_join_base"),
        json!({"join_base_url": "http://192.168.1.20:8080"})
    );
    assert_eq!(
        detail("bank_import"),
        json!({"banks": [{"id": "english-sample", "questions": 30}]})
    );
    let text = serde_json::to_string(&log).expect("log");
    assert!(!text.contains(&display_token), "a token in the audit log");
    let regrade = &log.last().expect("row").1;
    assert_eq!(
        (&regrade["cause"], &regrade["ranked"]),
        (&json!("bank_import"), &json!(2)),
        "{regrade}"
    );

    // The regraded results verify; the question statistics computed before the import are not compared.
    let text = assert_audit_verifies(&server, id);
    assert!(
        text.contains("computed before the contest finished or before a later bank import"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_refused_before_the_engine_keep_their_reason() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({"title": "Refusals", "bank_ids": ["english-sample"], "rounds": [
                {"title": "Live", "kind": "live", "config": {"blueprint": {"quotas": [{"type": "single", "count": 1}]}}}
            ]})),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(1, 1)).await;
    assert_eq!(status, 200, "{body}");
    let phone = server.join(&code, &badge(0)).await;
    let socket = server.ws(&phone.token, None).await;
    socket.wait_for("snapshot", |m| m["type"] == "snapshot").await;

    // Over HTTP, a body that is no answer; over the socket, an answer frame without a round.
    let (status, body) = server
        .participant(
            &phone.token,
            Method::POST,
            "/api/answers",
            Some(json!({"index": 0, "choice": [0]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    socket.send(&json!({"type": "answer", "index": 2, "choice": [1], "ref": "r"}).to_string());
    let error = socket.wait_for("answer_error", |m| m["ref"] == "r").await;
    assert_eq!(error["code"], "invalid_answer");
    // A round id that names no round of the contest: recorded without a round.
    let body = json!({"round_id": 987_654, "index": 1, "choice": [0]});
    let (status, _) = server
        .participant(&phone.token, Method::POST, "/api/answers", Some(body))
        .await;
    assert_eq!(status, 404);

    let rows = eventually("the refusals recorded", async || {
        let rows = server
            .org_ok(Method::GET, &format!("/api/contests/{id}/rejections"), None)
            .await;
        (rows.as_array()?.len() == 3).then_some(rows)
    })
    .await;
    let rows = rows.as_array().expect("rows");
    assert!(
        rows.iter()
            .all(|r| r["participant_id"] == phone.participant_id && r["received_at"].is_i64()),
        "{rows:?}"
    );
    let reasons: Vec<(&str, &Value, &Value)> = rows
        .iter()
        .map(|r| {
            let reason = r["reason"].as_str().expect("reason");
            (
                reason.split(':').next().expect("code"),
                &r["round_id"],
                &r["question_ref"],
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("invalid_field", &Value::Null, &Value::Null),
            ("invalid_answer", &Value::Null, &json!("2")),
            ("not_found", &Value::Null, &json!("1")),
        ]
    );
    let report = assert_audit_verifies(&server, id);
    assert!(report.contains("rejections  3 recorded"), "{report}");
}
