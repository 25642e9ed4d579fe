//! The command-line tools on PostgreSQL (`--database-url`): `bank import` into a fresh database, `bank export`,
//! a server on that database playing a contest, `audit verify` finding it clean and naming a changed answer,
//! `admin password` ending the server's organizer logins, and `backup` refusing with a pointer to `pg_dump`.
//! Runs when `JINGSAI_TEST_POSTGRES_URL` names a PostgreSQL server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`, a database to connect to for creating the test's own); prints
//! that it skipped otherwise. On SQLite the same commands are covered by the other tests.

mod common;

use std::process::Command;
use std::str::FromStr;

use common::audit::{Db, assert_audit_verifies, audit_verify};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

const NEW_PASSWORD: &str = "changed-by-the-cli";

/// A database of its own on the test's PostgreSQL server, dropped (with its connections) when the value is.
struct FreshDatabase {
    /// The URL the test was given, to connect for CREATE and DROP.
    admin_url: String,
    name: String,
    /// The new database's URL.
    url: String,
}

impl FreshDatabase {
    async fn create(admin_url: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .subsec_nanos();
        let name = format!("jingsai_t_cli_{}_{nanos}", std::process::id());
        let mut conn = PgConnection::connect(admin_url)
            .await
            .expect("connect to JINGSAI_TEST_POSTGRES_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        conn.close().await.ok();
        Self {
            url: with_database(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        }
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs inside the test's runtime, which cannot block: a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}: {dropped:?}", self.name);
        }
    }
}

/// `url` with its database replaced by `name` (the query string, if any, kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// What a run of the binary gave: exit code, stdout, stderr.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run `jingsai` with `args` (and `envs`), never with a database or data directory from the test's environment.
fn jingsai(args: &[&str], envs: &[(&str, &str)], data_dir: &std::path::Path) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_jingsai"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("JINGSAI_DATABASE_URL")
        .env_remove("JINGSAI_NEW_PASSWORD")
        .envs(envs.iter().copied())
        .env("JINGSAI_LOG", "warn")
        .output()
        .expect("run jingsai");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_tools_work_on_postgres() {
    let Ok(admin_url) = std::env::var("JINGSAI_TEST_POSTGRES_URL") else {
        eprintln!(
            "skipped: set JINGSAI_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run the \
             command-line tools against PostgreSQL"
        );
        return;
    };
    let database = FreshDatabase::create(&admin_url).await;
    let url = database.url.as_str();
    let described = {
        let options = PgConnectOptions::from_str(url).expect("url");
        format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            database.name
        )
    };
    // The commands get a data directory too: on PostgreSQL nothing may be written there.
    let work = tempfile::tempdir().expect("tempdir");
    let data_dir = work.path().join("data");

    // A database without jingsai's schema cannot be verified; a server that is not there cannot either.
    let run = audit_verify(Db::Url(url.to_owned()), 1, &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains(&format!("{described} is not a jingsai database")),
        "{}",
        run.stderr
    );
    let run = audit_verify(
        Db::Url("postgres://postgres:not-shown@127.0.0.1:1/jingsai".to_owned()),
        1,
        &[],
    );
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("cannot read the database postgres://postgres@127.0.0.1:1/jingsai: "),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("not-shown"),
        "the password is never printed: {}",
        run.stderr
    );

    // bank import: migrates the empty database and imports.
    let bank_file = repo_path("question_banks/english-sample.toml");
    let bank_path = bank_file.to_str().expect("path");
    let run = jingsai(
        &["bank", "import", bank_path, "--database-url", url],
        &[],
        &data_dir,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.trim(), "imported 30 questions into 1 bank(s)");
    assert!(!data_dir.exists(), "the SQLite data directory was created");

    // bank export: the bank as imported, in both formats.
    let exported = work.path().join("english.toml");
    let run = jingsai(
        &[
            "bank",
            "export",
            "english-sample",
            "--format",
            "native",
            "-o",
            exported.to_str().expect("path"),
            "--database-url",
            url,
        ],
        &[],
        &data_dir,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let options = jingsai::bank::formats::ImportOptions {
        format: None,
        bank: None,
        fallback_bank: None,
    };
    let original = jingsai::bank::formats::load_file(&bank_file, &options).expect("the shipped bank");
    let back = jingsai::bank::formats::load_file(&exported, &options).expect("the exported bank");
    assert_eq!(back, original, "the exported bank is the imported one");
    let run = jingsai(
        &[
            "bank",
            "export",
            "no-such-bank",
            "--format",
            "xlsx",
            "-o",
            work.path().join("none.xlsx").to_str().expect("path"),
            "--database-url",
            url,
        ],
        &[],
        &data_dir,
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains(&format!("no bank `no-such-bank` in {described}")),
        "{}",
        run.stderr
    );

    // A server on the same database sees the import (it imports no shipped banks into a database that has one).
    let mut server = TestServer::start_with(|s| s.database_url = Some(url.to_owned())).await;
    server.database_url = Some(url.to_owned());
    let banks = server.org_ok(Method::GET, "/api/banks", None).await;
    let ids: Vec<&str> = banks
        .as_array()
        .expect("banks")
        .iter()
        .map(|b| b["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["english-sample"], "{banks}");

    // A live round of two questions: participant 0 answers right, participant 1 wrong.
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(
                json!({"title": "PostgreSQL", "bank_ids": ["english-sample"], "seed": "2024", "rounds": [
                    {"title": "Live", "kind": "live", "config": {
                        "blueprint": {"quotas": [{"type": "single", "count": 2}]},
                        "question_seconds": 60, "close_when_all_answered": false}}
                ]}),
            ),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_owned();
    let (status, body) = server.import_roster(id, &roster_csv(2, 1)).await;
    assert_eq!(status, 200, "{body}");
    let phones = [
        server.join(&code, &badge(0)).await,
        server.join(&code, &badge(1)).await,
    ];
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round id");
    let mut first_options = None;
    for index in 0..2 {
        let view = server.control(id, json!({"action": "next"})).await["question"].clone();
        let key = view["answer"]["choice"][0].as_u64().expect("key");
        let options = view["question"]["options"].as_array().expect("options").len() as u64;
        let wrong = (key + 1) % options;
        for (phone, choice) in phones.iter().zip([key, wrong]) {
            let body = json!({"round_id": round_id, "index": index, "choice": [choice]});
            let (status, ack) = server
                .participant(&phone.token, Method::POST, "/api/answers", Some(body))
                .await;
            assert_eq!(status, 200, "{ack}");
        }
        first_options.get_or_insert(options);
        server.control(id, json!({"action": "close"})).await;
    }
    server.control(id, json!({"action": "end_round"})).await;
    server.control(id, json!({"action": "finish"})).await;
    // Opening the analysis stores the question statistics (DOUBLE PRECISION columns), which the verifier reads.
    server
        .org_ok(Method::GET, &format!("/api/contests/{id}/analysis"), None)
        .await;

    // audit verify reads the server's PostgreSQL database while the server runs: clean, and its recomputed
    // results are the API's.
    let text = assert_audit_verifies(&server, id);
    assert!(
        text.contains(&format!("database {described}")),
        "the report names the database without a password:\n{text}"
    );
    let run = audit_verify(&server, id, &["--json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    assert_eq!(report["results"], results, "the recomputed results are the API's");
    assert_eq!(report["checked"]["answers"], 4);
    assert_eq!(report["checked"]["item_stats_compared"], 2);
    assert_eq!(report["database"], described.as_str());

    // The same through JINGSAI_DATABASE_URL; `--database FILE` names a SQLite file and wins over the URL.
    let run = jingsai(
        &["audit", "verify", &id.to_string()],
        &[("JINGSAI_DATABASE_URL", url)],
        &data_dir,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let missing = work.path().join("missing.db");
    let run = audit_verify(&server, id, &["--database", missing.to_str().expect("path")]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no database at"), "{}", run.stderr);
    let run = audit_verify(&server, 999_999, &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains(&format!("the database {described} has no contest 999999")),
        "{}",
        run.stderr
    );

    // A changed answer: participant 0's first (right) answer made wrong is named; put back, clean again.
    let options = first_options.expect("the first question");
    let mut conn = PgConnection::connect(url).await.expect("connect");
    let (uid, stored): (i64, String) = sqlx::query_as(
        "SELECT question_uid, response FROM answers WHERE round_id = $1 AND participant_id = $2 \
         ORDER BY received_at LIMIT 1",
    )
    .bind(round_id)
    .bind(phones[0].participant_id)
    .fetch_one(&mut conn)
    .await
    .expect("the first answer");
    // Stored in the bank's option order (the phone may have shown another): one option further is wrong.
    let right: Value = serde_json::from_str(&stored).expect("response");
    let wrong = (right["choice"][0].as_u64().expect("choice") + 1) % options;
    let change = |response: String| {
        sqlx::query(
            "UPDATE answers SET response = $1 WHERE round_id = $2 AND participant_id = $3 AND question_uid = $4",
        )
        .bind(response)
        .bind(round_id)
        .bind(phones[0].participant_id)
        .bind(uid)
    };
    let changed = change(format!(r#"{{"choice":[{wrong}]}}"#))
        .execute(&mut conn)
        .await
        .expect("change");
    assert_eq!(changed.rows_affected(), 1);
    let run = audit_verify(&server, id, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("DIFFERENCE [results]") && l.contains("score_sum")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("DIFFERENCE [item_stats]")
                && l.contains(&format!("question uid {uid}"))
                && l.contains("facility")),
        "{}",
        run.stdout
    );
    let changed_back = change(stored).execute(&mut conn).await.expect("change back");
    assert_eq!(changed_back.rows_affected(), 1);
    conn.close().await.ok();
    assert_audit_verifies(&server, id);

    // bank import while the server runs: the contest drawing from the bank records it, by `cli`.
    let run = jingsai(
        &["bank", "import", bank_path, "--database-url", url],
        &[],
        &data_dir,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let log = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/audit"), None)
        .await;
    let last = log["entries"]
        .as_array()
        .expect("entries")
        .last()
        .expect("a row")
        .clone();
    assert_eq!(
        (&last["action"], &last["actor"]),
        (&json!("bank_import"), &json!("cli")),
        "{log}"
    );
    assert_eq!(log["chain_ok"], true, "{log}");
    assert_audit_verifies(&server, id);

    // admin password: the running server's organizer logins end at once; the new password logs in.
    let run = jingsai(
        &["admin", "password", "--database-url", url],
        &[("JINGSAI_NEW_PASSWORD", NEW_PASSWORD)],
        &data_dir,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains(NEW_PASSWORD), "{}", run.stdout);
    let (status, body) = server.org(Method::GET, "/api/contests", None).await;
    assert_eq!(status, 401, "the old organizer token still works: {body}");
    let (status, body) = send(
        &server.client,
        Method::POST,
        &server.url("/api/auth/login"),
        None,
        Some(json!({"username": "admin", "password": NEW_PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "login with the new password: {body}");

    // backup: SQLite only; on PostgreSQL it says to use pg_dump and writes nothing.
    let target = work.path().join("backup.db");
    let run = jingsai(
        &["backup", target.to_str().expect("path"), "--database-url", url],
        &[],
        &data_dir,
    );
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("pg_dump"), "{}", run.stderr);
    assert!(!target.exists(), "backup wrote a file");
    assert!(!data_dir.exists(), "a command wrote to the SQLite data directory");

    server.stop().await;
    drop(database);
}
