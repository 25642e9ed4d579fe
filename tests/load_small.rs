//! A small load in CI: the real `jingsai` binary, and `jingsai-load` with 500 phones through a whole live round
//! (3 questions) and an exam round. Correctness only, never timing: every answer acknowledged and counted by the
//! server, every client ranked, every exam result delivered, no errors, nothing lost. Answers and exam papers go
//! over each phone's WebSocket, so a phone sends no HTTP request but its join.

mod common;

use std::process::Command;

use common::ADMIN_PASSWORD;
use common::process::Process;
use serde_json::Value;

const PARTICIPANTS: i64 = 500;
const LIVE_QUESTIONS: i64 = 3;
const EXAM_QUESTIONS: i64 = 5;

#[test]
fn five_hundred_phones_through_a_live_and_an_exam_round() {
    let data_dir = common::process::DataDir::new();
    let server = Process::spawn(data_dir.path());
    let (url, pid) = (server.base.clone(), server.pid());
    let report_path = data_dir.path().join("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_jingsai-load"))
        .args(["--url", &url, "--admin-password", ADMIN_PASSWORD])
        .args(["--participants", &PARTICIPANTS.to_string()])
        .args(["--questions", &LIVE_QUESTIONS.to_string()])
        .args(["--exam-questions", &EXAM_QUESTIONS.to_string()])
        .args(["--exam-interval-ms", "50", "--answer-window-ms", "1000"])
        .args(["--answer-via", "ws", "--exam-via", "ws", "--source-ips", "4"])
        .args(["--server-pid", &pid.to_string()])
        .args(["--slack-ms", "30000", "--timeout-s", "300"])
        .arg("--json")
        .arg(&report_path)
        .output()
        .expect("run jingsai-load");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let text = std::fs::read_to_string(&report_path)
        .unwrap_or_else(|e| panic!("no report ({e}); stdout:\n{stdout}\nstderr:\n{stderr}"));
    let report: Value = serde_json::from_str(&text).expect("report is JSON");
    let context = format!("report: {report:#}\nstderr:\n{stderr}");

    assert!(
        output.status.success(),
        "exit status {}; {context}",
        output.status
    );
    assert_correct(&report, &context);
    assert_eq!(
        report["phone_http_requests"],
        serde_json::json!({"join": PARTICIPANTS}),
        "{context}"
    );

    // The server figures were read from /proc.
    assert!(
        report["server"]["rss_joined_kib"].as_i64().unwrap_or(0) > 0,
        "{context}"
    );
}

/// What a small load must show, on one instance or several: every answer acknowledged and counted, every phone
/// ranked and given its result, no errors, nothing lost, one connection per phone.
fn assert_correct(report: &Value, context: &str) {
    assert_eq!(report["problems"], serde_json::json!([]), "{context}");
    assert_eq!(report["ok"], true, "{context}");
    assert_eq!(report["error_total"], 0, "{context}");
    assert_eq!(report["lost"], 0, "{context}");
    assert_eq!(report["connected"], PARTICIPANTS, "{context}");

    // Every answer acknowledged, and counted by the server.
    let answers = PARTICIPANTS * (LIVE_QUESTIONS + EXAM_QUESTIONS);
    assert_eq!(report["answers_expected"], answers, "{context}");
    assert_eq!(report["answers_acked"], answers, "{context}");
    assert_eq!(report["duplicates"], 0, "{context}");
    assert_eq!(report["live_acked"], PARTICIPANTS * LIVE_QUESTIONS, "{context}");
    assert_eq!(report["live_counted"], PARTICIPANTS * LIVE_QUESTIONS, "{context}");
    assert_eq!(report["exam_acked"], PARTICIPANTS * EXAM_QUESTIONS, "{context}");
    assert_eq!(report["exam_counted"], PARTICIPANTS * EXAM_QUESTIONS, "{context}");

    // Every phone saw every question open, was ranked after each close, and got its exam result.
    assert_eq!(report["live_questions"], LIVE_QUESTIONS, "{context}");
    assert_eq!(
        report["open_fanout_ms"]["count"],
        PARTICIPANTS * LIVE_QUESTIONS,
        "{context}"
    );
    assert_eq!(
        report["close_to_ranked_ms"]["count"],
        PARTICIPANTS * LIVE_QUESTIONS,
        "{context}"
    );
    assert_eq!(report["exam_rounds"], 1, "{context}");
    assert_eq!(report["exam_start_ms"]["count"], PARTICIPANTS, "{context}");
    assert_eq!(report["exam_submit_ms"]["count"], PARTICIPANTS, "{context}");
    assert_eq!(
        report["end_to_exam_result_ms"]["count"], PARTICIPANTS,
        "{context}"
    );

    // One connection per phone: after its join, everything went over its WebSocket. (Phones started apart from
    // the driver try their join again until the roster is there, so there may be more join requests than phones.)
    let http = report["phone_http_requests"].as_object().expect("phone HTTP");
    assert_eq!(http.keys().collect::<Vec<_>>(), ["join"], "{context}");
    assert!(http["join"].as_i64() >= Some(PARTICIPANTS), "{context}");
}

/// The same load on two instances sharing one PostgreSQL (`JINGSAI_TEST_POSTGRES_URL`; skipped without it): the
/// organizer on the first, half the phones on each. Correctness only, as above.
#[test]
fn five_hundred_phones_on_two_instances_sharing_postgresql() {
    let Some(database) = common::pg::TestDatabase::create() else {
        eprintln!("skipped: set JINGSAI_TEST_POSTGRES_URL to run the two-instance load on PostgreSQL");
        return;
    };
    let dirs = [
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    ];
    let servers: Vec<Process> = dirs
        .iter()
        .map(|dir| Process::spawn_with(dir.path(), None, &["--database-url", &database.url]))
        .collect();
    let work = tempfile::tempdir().expect("dir");
    let code = format!("T{}", std::process::id() % 100_000);
    let common_args = |role: &str| -> Vec<String> {
        [
            "--role",
            role,
            "--participants",
            &PARTICIPANTS.to_string(),
            "--join-code",
            &code,
            "--questions",
            &LIVE_QUESTIONS.to_string(),
            "--exam-questions",
            &EXAM_QUESTIONS.to_string(),
            "--exam-interval-ms",
            "50",
            "--answer-window-ms",
            "1000",
            "--slack-ms",
            "30000",
            "--settle-ms",
            "3000",
            "--timeout-s",
            "300",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let phones: Vec<std::process::Child> = (0..2)
        .map(|k| {
            Command::new(env!("CARGO_BIN_EXE_jingsai-load"))
                .args(["--url", &servers[k].base])
                .args(common_args("phones"))
                .args(["--shard", &format!("{k}/2")])
                .args([
                    "--source-ips",
                    if k == 0 {
                        "127.0.0.1-127.0.0.4"
                    } else {
                        "127.0.0.5-127.0.0.8"
                    },
                ])
                .arg("--samples")
                .arg(work.path().join(format!("phones-{k}.samples")))
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("phones")
        })
        .collect();
    let driver = Command::new(env!("CARGO_BIN_EXE_jingsai-load"))
        .args(["--url", &servers[0].base, "--admin-password", ADMIN_PASSWORD])
        .args(common_args("driver"))
        .arg("--samples")
        .arg(work.path().join("driver.samples"))
        .output()
        .expect("driver");
    for mut phone in phones {
        phone.wait().expect("phones finish");
    }
    let report_path = work.path().join("report.json");
    let merged = Command::new(env!("CARGO_BIN_EXE_jingsai-load"))
        .arg("merge")
        .arg(work.path().join("driver.samples"))
        .arg(work.path().join("phones-0.samples"))
        .arg(work.path().join("phones-1.samples"))
        .arg("--json")
        .arg(&report_path)
        .output()
        .expect("merge");
    let text = std::fs::read_to_string(&report_path).unwrap_or_else(|e| {
        panic!(
            "no report ({e}); driver:\n{}\n{}\nmerge:\n{}",
            String::from_utf8_lossy(&driver.stdout),
            String::from_utf8_lossy(&driver.stderr),
            String::from_utf8_lossy(&merged.stdout)
        )
    });
    let report: Value = serde_json::from_str(&text).expect("report is JSON");
    let context = format!(
        "report: {report:#}\ndriver stderr:\n{}",
        String::from_utf8_lossy(&driver.stderr)
    );
    assert!(merged.status.success(), "merge: {context}");
    assert_correct(&report, &context);
    drop(servers);
}
