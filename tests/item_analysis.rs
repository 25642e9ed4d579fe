//! Item analysis over the real server: six participants take an exam round (shuffled questions and options)
//! and a live round with known answer patterns; the analysis endpoint's numbers equal those of the pure module
//! on the same response matrix (and the hand-worked values of src/analysis/hand_tests.rs, which this exam
//! reproduces), the flags are the expected ones, the statistics reach the bank browser at the finish, and a
//! question's review mark is kept across a re-import of its bank.

mod common;

use std::collections::HashMap;

use common::*;
use jingsai::analysis::{Cell, ItemSpec, ResponseMatrix, Row, analyse};
use reqwest::Method;
use serde_json::{Value, json};

const BANK: &str = r#"
[bank]
id = "item-analysis"
title = "Item analysis test bank"
language = "en"

[[questions]]
id = "i1"
type = "single"
category = "exam"
difficulty = 1
stem = "Item one?"
options = ["one-A", "one-B", "one-C", "one-D"]
answer = "A"
explanation = "A."
source = "test"

[[questions]]
id = "i2"
type = "single"
category = "exam"
difficulty = 1
stem = "Item two?"
options = ["two-A", "two-B", "two-C", "two-D"]
answer = "B"
explanation = "B."
source = "test"

[[questions]]
id = "i3"
type = "true_false"
category = "exam"
difficulty = 1
stem = "Item three?"
answer = true
explanation = "True."
source = "test"

[[questions]]
id = "i4"
type = "multiple"
category = "exam"
difficulty = 1
points = 2
stem = "Item four?"
options = ["four-A", "four-B", "four-C", "four-D"]
answer = "AC"
explanation = "A and C."
source = "test"

[[questions]]
id = "l1"
type = "single"
category = "live"
difficulty = 1
stem = "Live one?"
options = ["live1-A", "live1-B", "live1-C"]
answer = "A"
explanation = "A."
source = "test"

[[questions]]
id = "l2"
type = "single"
category = "live"
difficulty = 1
stem = "Live two?"
options = ["live2-A", "live2-B", "live2-C"]
answer = "C"
explanation = "C."
source = "test"
"#;

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const D: usize = 3;

/// What P1..P6 pick on the exam, by bank option (the hand-worked matrix of src/analysis/hand_tests.rs):
/// `None` = no answer. Stems in bank order i1..i4.
fn exam_script(p: usize) -> [Option<Vec<usize>>; 4] {
    let one = |o: usize| Some(vec![o]);
    match p {
        0 => [one(A), one(C), one(0), Some(vec![A, C])],
        1 => [one(A), one(C), one(0), Some(vec![C, A])],
        2 => [one(A), one(B), one(0), one(A)],
        3 => [one(A), one(B), one(0), Some(vec![A, B])],
        4 => [one(B), one(B), one(0), None],
        _ => [None, one(D), one(0), one(D)],
    }
}

const STEMS: [&str; 4] = ["Item one?", "Item two?", "Item three?", "Item four?"];

fn options_of(stem: &str) -> Vec<String> {
    let prefix = ["one", "two", "", "four"][STEMS.iter().position(|s| *s == stem).expect("stem")];
    if prefix.is_empty() {
        return vec!["True".into(), "False".into()];
    }
    ["A", "B", "C", "D"]
        .iter()
        .map(|l| format!("{prefix}-{l}"))
        .collect()
}

fn flag_kinds(stats: &Value) -> Vec<String> {
    stats["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| match f["option"].as_u64() {
            Some(o) => format!("{}:{o}", f["kind"].as_str().expect("kind")),
            None => f["kind"].as_str().expect("kind").to_string(),
        })
        .collect()
}

#[track_caller]
fn close(value: &Value, expected: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("expected {expected}, got {value}"));
    assert!((got - expected).abs() < 1e-9, "expected {expected}, got {got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_equals_the_pure_module_on_the_same_matrix() {
    let server = TestServer::start().await;
    server
        .org_ok(
            Method::POST,
            "/api/banks/import",
            Some(json!({"files": [{"name": "item-analysis.toml", "content": BANK}]})),
        )
        .await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "Item analysis",
                "bank_ids": ["item-analysis"],
                "rounds": [
                    {"title": "Exam", "kind": "exam", "config": {
                        "blueprint": {"quotas": [{"category": "exam", "count": 4}],
                                      "shuffle_questions": true, "shuffle_options": true},
                        // Partial credit for {A}; the penalty makes {A, B} and wrong singles negative in the
                        // ranking, but the analysis scores a penalized answer 0.
                        "scoring": {"default_points": 1, "partial_credit": true, "wrong_penalty": 1},
                        "time_limit_seconds": 600}},
                    {"title": "Live", "kind": "live", "config": {
                        "blueprint": {"quotas": [{"category": "live", "count": 2}], "shuffle_questions": false},
                        "scoring": {"default_points": 1},
                        "question_seconds": 60, "close_when_all_answered": false}}
                ]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(6, 2)).await;
    assert_eq!(status, 200, "{body}");
    let mut people = Vec::new();
    for i in 0..6 {
        people.push(server.join(&code, &badge(i)).await);
    }

    // --- The exam: each participant's own paper, options shown in a shuffled order. ---
    let started = server.control(id, json!({"action": "start_round"})).await;
    let exam_id = started["round"]["id"].as_i64().expect("round");
    let mut shuffled = false;
    for (i, p) in people.iter().enumerate() {
        let (status, paper) = server
            .participant(&p.token, Method::POST, "/api/exam/start", None)
            .await;
        assert_eq!(status, 200, "{paper}");
        for q in paper["questions"].as_array().expect("questions") {
            let stem = q["question"]["stem"].as_str().expect("stem");
            let shown: Vec<String> = q["question"]["options"]
                .as_array()
                .expect("options")
                .iter()
                .map(|o| o.as_str().expect("text").to_string())
                .collect();
            let bank = options_of(stem);
            shuffled |= shown != bank;
            let item = STEMS.iter().position(|s| *s == stem).expect("stem");
            let Some(picks) = &exam_script(i)[item] else {
                continue;
            };
            // Bank option -> the position this paper shows it at.
            let choice: Vec<usize> = picks
                .iter()
                .map(|&o| shown.iter().position(|s| *s == bank[o]).expect("shown"))
                .collect();
            let (status, ack) = server
                .participant(
                    &p.token,
                    Method::POST,
                    "/api/answers",
                    Some(json!({"round_id": exam_id, "index": q["index"], "choice": choice})),
                )
                .await;
            assert_eq!(status, 200, "{ack}");
        }
    }
    assert!(
        shuffled,
        "some paper shows its options in another order than the bank"
    );
    server.control(id, json!({"action": "end_round"})).await;

    // --- The live round: nobody answers the first question, everyone answers the second right. ---
    let started = server.control(id, json!({"action": "start_round"})).await;
    let live_id = started["round"]["id"].as_i64().expect("round");
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "close"})).await;
    let opened = server.control(id, json!({"action": "next"})).await;
    let key = opened["question"]["answer"]["choice"].clone();
    for p in &people {
        let (status, ack) = server
            .participant(
                &p.token,
                Method::POST,
                "/api/answers",
                Some(json!({"round_id": live_id, "index": 1, "choice": key})),
            )
            .await;
        assert_eq!(status, 200, "{ack}");
    }
    server.control(id, json!({"action": "close"})).await;
    server.control(id, json!({"action": "finish"})).await;

    // --- The finish stored every question's statistics for the bank browser. ---
    let listing = server
        .org_ok(Method::GET, "/api/questions?bank=item-analysis&limit=50", None)
        .await;
    let by_id: HashMap<String, Value> = listing["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| (q["id"].as_str().expect("id").to_string(), q.clone()))
        .collect();
    for qid in ["i1", "i2", "i3", "i4", "l1", "l2"] {
        let stats = &by_id[qid]["stats"];
        assert_eq!(stats["n"], 6, "{qid}: {stats}");
        assert_eq!(by_id[qid]["review"]["review"], false);
    }
    // I2: a distractor (C = option 2) beats the key in the upper group; the discrimination is negative.
    assert_eq!(
        flag_kinds(&by_id["i2"]["stats"]),
        ["negative_discrimination", "distractor_beats_key:2"]
    );
    close(&by_id["i1"]["stats"]["discrimination"], 5.0 / 40f64.sqrt());
    assert_eq!(by_id["i1"]["stats"]["round_id"], exam_id);

    // --- The endpoint ---
    let analysis = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/analysis"), None)
        .await;
    assert_eq!(analysis["state"], "finished");
    let rounds = analysis["rounds"].as_array().expect("rounds");
    assert_eq!(rounds.len(), 2);
    let exam = &rounds[0];
    assert_eq!(exam["round_id"], exam_id);
    let questions = exam["questions"].as_array().expect("questions");
    assert_eq!(questions.len(), 4);

    // The same matrix, built here: items in the endpoint's order, rows by participant id, scores by the hand
    // rules, times from each participant's breakdown (elapsed since the paper opened).
    let uid_of: HashMap<String, i64> = by_id
        .iter()
        .map(|(qid, q)| (qid.clone(), q["uid"].as_i64().expect("uid")))
        .collect();
    let order: Vec<usize> = questions
        .iter()
        .map(|q| {
            ["i1", "i2", "i3", "i4"]
                .iter()
                .position(|id| *id == q["question"]["id"])
                .expect("id")
        })
        .collect();
    let items: Vec<ItemSpec> = order
        .iter()
        .map(|&k| ItemSpec {
            id: uid_of[["i1", "i2", "i3", "i4"][k]],
            option_count: if k == 2 { 2 } else { 4 },
            key: [vec![A], vec![B], vec![0], vec![A, C]][k].clone(),
        })
        .collect();
    let mut rows = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let breakdown = server
            .org_ok(
                Method::GET,
                &format!("/api/contests/{id}/participants/{}/breakdown", p.participant_id),
                None,
            )
            .await;
        let elapsed: HashMap<i64, u64> = breakdown["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|it| it["round_id"] == exam_id && it["answered"] == true)
            .map(|it| {
                (
                    it["question_uid"].as_i64().expect("uid"),
                    it["elapsed_ms"].as_u64().expect("ms"),
                )
            })
            .collect();
        let cells = order
            .iter()
            .map(|&k| {
                let max = if k == 3 { 2.0 } else { 1.0 };
                let Some(chosen) = exam_script(i)[k].clone() else {
                    return Some(Cell::unanswered(max));
                };
                let mut sorted = chosen.clone();
                sorted.sort_unstable();
                let score = match (k, sorted.as_slice()) {
                    (0, [A]) | (1, [B]) | (2, [0]) => 1.0,
                    (3, [A, C]) => 2.0,
                    (3, [A]) | (3, [C]) => 1.0,
                    _ => 0.0,
                };
                Some(Cell {
                    answered: true,
                    score,
                    max_score: max,
                    chosen,
                    time_ms: Some(elapsed[&uid_of[["i1", "i2", "i3", "i4"][k]]]),
                })
            })
            .collect();
        rows.push(Row {
            participant: p.participant_id,
            cells,
        });
    }
    let expected = analyse(&ResponseMatrix::new(items, rows).expect("matrix"));
    assert_eq!(
        exam["paper"],
        serde_json::to_value(&expected.paper).expect("json")
    );
    for (q, stats) in questions.iter().zip(&expected.items) {
        assert_eq!(
            q["stats"],
            serde_json::to_value(stats).expect("json"),
            "{}",
            q["question"]["id"]
        );
    }
    // And the hand-worked values: α = 1/18, SD = √1.6, the four items' flags.
    close(&exam["paper"]["alpha"], 1.0 / 18.0);
    close(&exam["paper"]["sd"], 1.6f64.sqrt());
    assert_eq!(exam["paper"]["alpha_basis"], "all_items");
    let flags: HashMap<String, Vec<String>> = questions
        .iter()
        .map(|q| {
            (
                q["question"]["id"].as_str().expect("id").to_string(),
                flag_kinds(&q["stats"]),
            )
        })
        .collect();
    assert_eq!(flags["i1"], Vec::<String>::new());
    assert_eq!(flags["i2"], ["negative_discrimination", "distractor_beats_key:2"]);
    assert_eq!(flags["i3"], ["very_easy"]);
    assert_eq!(flags["i4"], ["low_discrimination"]);
    // Options are reported by bank identity: on I2 the upper group's C share is 2/3 whatever letter it wore.
    let i2 = questions
        .iter()
        .find(|q| q["question"]["id"] == "i2")
        .expect("i2");
    close(&i2["stats"]["options"][C]["upper"], 2.0 / 3.0);
    assert_eq!(i2["stats"]["options"][C]["count"], 2);
    assert_eq!(i2["question"]["options"][C], "two-C");

    // The live round: the unanswered question is very hard with no answers, the other very easy; every total
    // is 1, so α is undefined (null, not NaN).
    let live = &rounds[1];
    assert_eq!(live["kind"], "live");
    let live_flags: Vec<Vec<String>> = live["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| flag_kinds(&q["stats"]))
        .collect();
    assert_eq!(live_flags, [vec!["very_hard", "no_answers"], vec!["very_easy"]]);
    assert_eq!(live["paper"]["n"], 6);
    assert_eq!(live["paper"]["alpha"], Value::Null);
    assert_eq!(live["paper"]["alpha_basis"], "none");
    close(&live["paper"]["sd"], 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_mark_is_kept_across_a_reimport() {
    let server = TestServer::start().await;
    let import = || {
        server.org_ok(
            Method::POST,
            "/api/banks/import",
            Some(json!({"files": [{"name": "item-analysis.toml", "content": BANK}]})),
        )
    };
    import().await;
    let listing = server
        .org_ok(Method::GET, "/api/questions?bank=item-analysis&q=i2", None)
        .await;
    let q = &listing["questions"][0];
    let uid = q["uid"].as_i64().expect("uid");
    // Never analysed: no statistics; not marked.
    assert_eq!(q["stats"], Value::Null);
    assert_eq!(q["review"]["review"], false);

    let marked = server
        .org_ok(
            Method::PUT,
            &format!("/api/questions/{uid}/review"),
            Some(json!({"review": true, "note": "  distractor C too attractive  "})),
        )
        .await;
    assert_eq!(marked["review"], true);
    assert_eq!(marked["review_note"], "distractor C too attractive");
    import().await;
    let q = server
        .org_ok(Method::GET, &format!("/api/questions/{uid}"), None)
        .await;
    assert_eq!(q["review"]["review"], true);
    assert_eq!(q["review"]["note"], "distractor C too attractive");
    assert!(q["review"]["at"].as_i64().is_some());

    let (status, body) = server
        .org(
            Method::PUT,
            &format!("/api/questions/{uid}/review"),
            Some(json!({"review": true, "note": "x".repeat(501)})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid_note")),
        "{body}"
    );
    let (status, _) = server
        .org(
            Method::PUT,
            "/api/questions/987654/review",
            Some(json!({"review": true})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = server
        .org(Method::GET, "/api/contests/987654/analysis", None)
        .await;
    assert_eq!(status, 404);
    // Organizer only.
    let (status, _) = send(
        &server.client,
        Method::GET,
        &server.url("/api/contests/1/analysis"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);

    let cleared = server
        .org_ok(
            Method::PUT,
            &format!("/api/questions/{uid}/review"),
            Some(json!({"review": false})),
        )
        .await;
    assert_eq!(
        (cleared["review"].as_bool(), cleared["review_note"].as_str()),
        (Some(false), Some(""))
    );
}
