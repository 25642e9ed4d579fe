//! `jingsai backup FILE` while a contest runs: the copy, restored into a fresh data dir and served, holds every
//! answer acknowledged before the backup.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use reqwest::Method;
use serde_json::json;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

/// Run the real binary: `jingsai backup FILE --data-dir DIR`.
async fn run_backup(data_dir: &Path, file: &Path) -> Output {
    let (data_dir, file) = (data_dir.to_path_buf(), file.to_path_buf());
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_jingsai"))
            .arg("backup")
            .arg(&file)
            .arg("--data-dir")
            .arg(&data_dir)
            .output()
            .expect("run jingsai backup")
    })
    .await
    .expect("backup task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_mid_contest_restores_every_acknowledged_answer() {
    if pg::skip_on_postgres(
        "a_backup_taken_mid_contest_restores_every_acknowledged_answer",
        "`jingsai backup` copies the SQLite database file (VACUUM INTO) and has no PostgreSQL counterpart",
    ) {
        return;
    }
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "backup",
                "bank_ids": ["english-sample"],
                "rounds": [{"title": "live", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 2}]},
                    "question_seconds": 600,
                    "close_when_all_answered": false
                }}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let n = 20;
    let (status, body) = server.import_roster(id, &roster_csv(n, 2)).await;
    assert_eq!(status, 200, "{body}");
    let mut people = Vec::new();
    for i in 0..n {
        people.push(server.join(&code, &badge(i)).await);
    }
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let opened = server.control(id, json!({"action": "next"})).await;
    let options = opened["question"]["question"]["options"]
        .as_array()
        .expect("options")
        .len();

    // 15 of 20 answer, each acknowledged; the question stays open.
    let mut acknowledged = BTreeSet::new();
    let mut counts = vec![0u64; options];
    for (i, p) in people.iter().enumerate().take(15) {
        let choice = i % options;
        let (status, ack) = server
            .participant(
                &p.token,
                Method::POST,
                "/api/answers",
                Some(json!({"round_id": round_id, "index": 0, "choice": [choice]})),
            )
            .await;
        assert_eq!(status, 200, "{ack}");
        acknowledged.insert(p.participant_id);
        counts[choice] += 1;
    }

    // The backup, by the command-line tool, while the server runs.
    let backups = tempfile::tempdir().expect("tempdir");
    let file = backups.path().join("contest.db");
    let output = run_backup(server.data_dir.path(), &file).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "backup failed: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("15 answer(s)"), "{stdout}");
    assert!(
        stdout.contains("jwt.secret"),
        "the output says the secret is not included: {stdout}"
    );
    let left: Vec<PathBuf> = std::fs::read_dir(backups.path())
        .expect("list")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(left, vec![file.clone()], "only the finished backup remains");

    // A backup never overwrites a file.
    let again = run_backup(server.data_dir.path(), &file).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // The contest goes on after the backup: these answers are not in the copy.
    for p in people.iter().skip(15) {
        let (status, ack) = server
            .participant(
                &p.token,
                Method::POST,
                "/api/answers",
                Some(json!({"round_id": round_id, "index": 0, "choice": [0]})),
            )
            .await;
        assert_eq!(status, 200, "{ack}");
    }

    // Restore: the backup becomes jingsai.db of a fresh data dir, and a server starts on it.
    let restored = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&file, restored.path().join("jingsai.db")).expect("restore");
    assert!(!restored.path().join("jwt.secret").exists());
    let mut conn = SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(restored.path().join("jingsai.db"))
            .read_only(true),
    )
    .await
    .expect("open the restored database");
    let stored: BTreeSet<i64> = sqlx::query_scalar("SELECT participant_id FROM answers WHERE round_id = ?")
        .bind(round_id)
        .fetch_all(&mut conn)
        .await
        .expect("answers")
        .into_iter()
        .collect();
    conn.close().await.expect("close");
    assert_eq!(
        stored, acknowledged,
        "the copy holds exactly the answers acknowledged before it"
    );

    // A backup of a stopped data dir works too, including this restored file that is not in WAL mode yet.
    let copy_of_copy = run_backup(restored.path(), &backups.path().join("again.db")).await;
    let stdout = String::from_utf8_lossy(&copy_of_copy.stdout);
    assert!(
        copy_of_copy.status.success() && stdout.contains("15 answer(s)"),
        "{stdout} {}",
        String::from_utf8_lossy(&copy_of_copy.stderr)
    );

    let restored_dir = restored.path().to_path_buf();
    let second = TestServer::start_with(move |settings| settings.data_dir = restored_dir).await;
    // The running contest resumes with its open question; closing it counts every answer from the copy.
    let closed = second.control(id, json!({"action": "close"})).await;
    let result = &closed["question"]["result"];
    assert_eq!(result["answered"], acknowledged.len() as u64, "{result}");
    assert_eq!(result["distribution"]["options"], json!(counts), "{result}");
}
