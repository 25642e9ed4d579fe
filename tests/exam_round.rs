//! An exam round for 117: per-participant papers that meet the blueprint, reproducible from the seed, late
//! answers refused and recorded, unfinished papers submitted automatically at their deadline.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const PARTICIPANTS: usize = 117;
/// Participants from this index on answer two questions and never submit: the deadline does it for them.
const LAZY_FROM: usize = 100;
const TIME_LIMIT_SECONDS: u64 = 15;

fn quotas() -> Value {
    json!([
        {"category": "新民主主义革命时期", "difficulty": 1, "type": "single", "count": 3},
        {"category": "社会主义革命和建设时期", "type": "single", "count": 3},
        {"category": "中国特色社会主义新时代", "type": "true_false", "count": 2},
        {"category": "人民公安史", "type": "multiple", "count": 2}
    ])
}

fn quota_of(question: &Value) -> usize {
    let category = question["category"].as_str().expect("category");
    let qtype = question["type"].as_str().expect("type");
    let difficulty = question["difficulty"].as_u64().expect("difficulty");
    if category.starts_with("新民主主义革命时期/") && difficulty == 1 && qtype == "single" {
        0
    } else if category.starts_with("社会主义革命和建设时期/") && qtype == "single" {
        1
    } else if category.starts_with("中国特色社会主义新时代/") && qtype == "true_false" {
        2
    } else if category.starts_with("人民公安史/") && qtype == "multiple" {
        3
    } else {
        panic!("question outside the blueprint: {question}")
    }
}

fn has_key_fields(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k == "answer" || k == "explanation" || k == "correct" || has_key_fields(v)),
        Value::Array(items) => items.iter().any(has_key_fields),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exam_round_for_117() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "党史知识在线考试",
                "bank_ids": ["party-history"],
                "seed": "4242",
                "rounds": [{
                    "title": "笔试",
                    "kind": "exam",
                    "config": {
                        "blueprint": {"quotas": quotas()},
                        "scoring": {"default_points": 10},
                        "time_limit_seconds": TIME_LIMIT_SECONDS,
                        "grace_ms": 500
                    }
                }]
            })),
        )
        .await;
    let contest_id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server
        .import_roster(contest_id, &roster_csv(PARTICIPANTS, 8))
        .await;
    assert_eq!(status, 200, "{body}");
    let mut people = Vec::new();
    for i in 0..PARTICIPANTS {
        people.push(server.join(&code, &badge(i)).await);
    }
    // The last to open a paper (papers open one after another below) is the last to reach its deadline: once it
    // is submitted automatically, every lazy paper is past its deadline.
    let lazy_socket = server.ws(&people[PARTICIPANTS - 1].token, None).await;

    let started = server.control(contest_id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");

    // Everyone opens their paper.
    let mut papers = Vec::new();
    for p in &people {
        let (status, paper) = server
            .participant(&p.token, Method::POST, "/api/exam/start", None)
            .await;
        assert_eq!(status, 200, "{paper}");
        assert!(
            !has_key_fields(&paper),
            "a paper must carry no key before the round ends: {paper}"
        );
        papers.push(paper);
    }

    // Papers meet the blueprint and differ between participants.
    let mut distinct = HashSet::new();
    for paper in &papers {
        let questions = paper["questions"].as_array().expect("questions");
        assert_eq!(questions.len(), 10);
        let mut per_quota = [0; 4];
        let mut stems = Vec::new();
        for q in questions {
            per_quota[quota_of(&q["question"])] += 1;
            stems.push(q["question"]["stem"].as_str().expect("stem").to_string());
        }
        assert_eq!(per_quota, [3, 3, 2, 2], "blueprint quotas");
        let unique: HashSet<_> = stems.iter().collect();
        assert_eq!(unique.len(), stems.len(), "no duplicate question in a paper");
        distinct.insert(stems.join("|"));
    }
    assert!(
        distinct.len() > 110,
        "papers differ: only {} distinct of {PARTICIPANTS}",
        distinct.len()
    );

    // Every participant answers: the first option of every question (right or wrong, a deterministic script).
    // Opening the paper again returns the same paper (a refresh).
    let (_, again) = server
        .participant(&people[0].token, Method::POST, "/api/exam/start", None)
        .await;
    assert_eq!(again["questions"], papers[0]["questions"]);
    let mut tasks = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let count = if i >= LAZY_FROM { 2 } else { 10 };
        let client = server.client.clone();
        let url = server.url("/api/answers");
        let token = p.token.clone();
        let questions = papers[i]["questions"].as_array().expect("q").clone();
        tasks.push(tokio::spawn(async move {
            for (index, q) in questions.iter().enumerate().take(count) {
                let choice = if q["question"]["type"] == "multiple" {
                    json!([0, 1])
                } else {
                    json!([0])
                };
                let body = json!({"round_id": round_id, "index": index, "choice": choice});
                let (status, ack) = send(&client, Method::POST, &url, Some(&token), Some(body)).await;
                assert_eq!(status, 200, "{ack}");
            }
        }));
    }
    for t in tasks {
        t.await.expect("answers");
    }
    // Change of mind: participant 1 replaces an answer; it is stored once, with the new choice.
    let body = json!({"round_id": round_id, "index": 0, "choice": [1]});
    let (status, ack) = server
        .participant(&people[1].token, Method::POST, "/api/answers", Some(body))
        .await;
    assert_eq!(status, 200, "{ack}");
    for p in &people[..LAZY_FROM] {
        let (status, body) = server
            .participant(&p.token, Method::POST, "/api/exam/submit", None)
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["submitted_at"].is_i64());
    }
    // After submitting, answers are refused.
    let body = json!({"round_id": round_id, "index": 2, "choice": [0]});
    let (status, err) = server
        .participant(&people[0].token, Method::POST, "/api/answers", Some(body))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("paper_submitted")),
        "{err}"
    );

    // The lazy ones are submitted automatically at their deadline.
    lazy_socket
        .wait_for_long(
            "auto submission",
            Duration::from_secs(TIME_LIMIT_SECONDS + 20),
            |m| m["type"] == "paper_submitted" && m["auto"] == true,
        )
        .await;
    // A late answer is refused with a clear error, and recorded.
    let body = json!({"round_id": round_id, "index": 5, "choice": [0]});
    let (status, err) = server
        .participant(
            &people[LAZY_FROM + 1].token,
            Method::POST,
            "/api/answers",
            Some(body),
        )
        .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["code"], "deadline_passed");
    assert!(
        err["error"]["message"]
            .as_str()
            .expect("message")
            .contains("ran out")
    );
    // The refusal is recorded by the answer writer, right after the reply: wait for its commit.
    let late = people[LAZY_FROM + 1].participant_id;
    eventually("the late answer's refusal is recorded", async || {
        let rejections = server
            .org_ok(
                Method::GET,
                &format!("/api/contests/{contest_id}/rejections"),
                None,
            )
            .await;
        rejections
            .as_array()?
            .iter()
            .any(|r| {
                r["participant_id"] == late
                    && r["reason"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("deadline_passed"))
            })
            .then_some(())
    })
    .await;

    // Every paper regenerates identically from the seed.
    for p in &people {
        let audit = server
            .org_ok(
                Method::GET,
                &format!(
                    "/api/contests/{contest_id}/rounds/{round_id}/papers/{}",
                    p.participant_id
                ),
                None,
            )
            .await;
        assert_eq!(audit["identical"], true, "{audit}");
        assert_eq!(audit["stored"], audit["regenerated"]);
        assert_eq!(audit["seed"], "4242");
    }
    let lazy_audit = server
        .org_ok(
            Method::GET,
            &format!(
                "/api/contests/{contest_id}/rounds/{round_id}/papers/{}",
                people[LAZY_FROM].participant_id
            ),
            None,
        )
        .await;
    assert_eq!(lazy_audit["auto_submitted"], true);

    server.control(contest_id, json!({"action": "end_round"})).await;

    // After the round: keys are visible in the participant's review, and scores match the script.
    let mut expected: BTreeMap<i64, (i64, u32)> = BTreeMap::new();
    for (i, p) in people.iter().enumerate() {
        let (status, me) = server.participant(&p.token, Method::GET, "/api/me", None).await;
        assert_eq!(status, 200);
        let exam = &me["exam"];
        let questions = exam["questions"].as_array().expect("questions");
        let answered = if i >= LAZY_FROM { 2 } else { 10 };
        let mut score = 0;
        let mut correct = 0;
        for (index, q) in questions.iter().enumerate() {
            let key: Vec<u64> = q["answer"]["choice"]
                .as_array()
                .expect("key after end")
                .iter()
                .filter_map(Value::as_u64)
                .collect();
            let picked: Vec<u64> = if index >= answered {
                vec![]
            } else if i == 1 && index == 0 {
                vec![1]
            } else if q["question"]["type"] == "multiple" {
                vec![0, 1]
            } else {
                vec![0]
            };
            if !picked.is_empty() && picked == key {
                score += 1000;
                correct += 1;
            }
            assert_eq!(
                q["correct"],
                !picked.is_empty() && picked == key,
                "participant {i} question {index}"
            );
        }
        assert_eq!(
            (exam["score"].as_f64().expect("score") * 100.0).round() as i64,
            score
        );
        expected.insert(p.participant_id, (score, correct));
    }
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{contest_id}/results"), None)
        .await;
    let ranking = results["ranking"].as_array().expect("ranking");
    assert_eq!(ranking.len(), PARTICIPANTS);
    let mut previous = i64::MAX;
    for entry in ranking {
        let pid = entry["participant_id"].as_i64().expect("pid");
        let score = (entry["score"].as_f64().expect("score") * 100.0).round() as i64;
        assert_eq!(
            (score, entry["correct"].as_u64().expect("c") as u32),
            expected[&pid],
            "participant {pid}"
        );
        assert!(score <= previous, "ranking is ordered by score");
        previous = score;
    }
    common::audit::assert_audit_verifies(&server, contest_id);
}

trait WaitLong {
    async fn wait_for_long(&self, what: &str, limit: Duration, predicate: impl Fn(&Value) -> bool) -> Value;
}

impl WaitLong for Capture {
    async fn wait_for_long(&self, what: &str, limit: Duration, predicate: impl Fn(&Value) -> bool) -> Value {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if let Some(found) = self.all().into_iter().find(|m| predicate(m)) {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}: {:#?}", self.all());
    }
}
