//! A full live contest: 117 participants from a roster CSV across 8 units, 10 questions, scripted answers.
//! The final ranking and unit standings are recomputed here independently and compared with the server's.
//! Every message sent to participant and display sockets is checked for answer-key leaks.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const PARTICIPANTS: usize = 117;
const UNITS: usize = 8;
const QUESTION_MS: i64 = 60_000;

/// What participant `i` does on question `q`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Script {
    Correct,
    Wrong,
    Partial,
    Silent,
}

fn script(i: usize, q: usize) -> Script {
    if i.is_multiple_of(29) {
        return Script::Silent; // five people who never answer: a full tie at the bottom
    }
    match (i * 7 + q * 3) % 10 {
        0..=4 => Script::Correct,
        5 | 6 => Script::Wrong,
        7 => Script::Partial,
        8 => Script::Silent,
        _ if i.is_multiple_of(2) => Script::Correct,
        _ => Script::Wrong,
    }
}

struct OpenQuestion {
    qtype: String,
    option_count: usize,
    key_choice: Vec<usize>,
    key_blanks: Vec<Vec<String>>,
    points_centi: i64,
    deadline: i64,
    explanation: String,
}

fn answer_body(round_id: i64, index: usize, q: &OpenQuestion, what: Script, i: usize) -> Option<Value> {
    let wrong_option = (0..q.option_count).find(|o| !q.key_choice.contains(o));
    match (q.qtype.as_str(), what) {
        (_, Script::Silent) => None,
        ("fill", Script::Correct | Script::Partial) => {
            // Variants the server must accept: surrounding and inner spaces, full-width forms.
            let blanks: Vec<String> = q
                .key_blanks
                .iter()
                .map(|alts| {
                    if i.is_multiple_of(2) {
                        format!(" {} ", alts[0])
                    } else {
                        alts[alts.len() - 1].clone()
                    }
                })
                .collect();
            Some(json!({"round_id": round_id, "index": index, "blanks": blanks}))
        }
        ("fill", Script::Wrong) => {
            let blanks = vec!["不知道".to_string(); q.key_blanks.len()];
            Some(json!({"round_id": round_id, "index": index, "blanks": blanks}))
        }
        ("multiple", Script::Partial) if q.key_choice.len() >= 2 => {
            Some(json!({"round_id": round_id, "index": index, "choice": [q.key_choice[0]]}))
        }
        ("multiple", Script::Wrong) => {
            let choice = vec![q.key_choice[0], wrong_option.expect("a wrong option")];
            Some(json!({"round_id": round_id, "index": index, "choice": choice}))
        }
        (_, Script::Wrong) => {
            Some(json!({"round_id": round_id, "index": index, "choice": [wrong_option.expect("wrong")]}))
        }
        _ => Some(json!({"round_id": round_id, "index": index, "choice": q.key_choice})),
    }
}

/// Points for one scripted answer, computed from the rules written in DESIGN.md, not by calling the server code.
fn expected_points(q: &OpenQuestion, what: Script, elapsed_ms: i64, n: usize) -> (bool, i64, i64) {
    let partial_applies = q.qtype == "multiple" && q.key_choice.len() >= 2;
    match what {
        Script::Silent => (false, 0, 0),
        Script::Wrong => (false, 0, 0),
        Script::Partial if partial_applies => (false, q.points_centi / q.key_choice.len() as i64, 0),
        Script::Correct | Script::Partial => {
            let remaining = (QUESTION_MS - elapsed_ms).clamp(0, QUESTION_MS);
            let raw = (q.points_centi as f64 * 0.5 * remaining as f64 / (QUESTION_MS as f64 * n as f64))
                .floor() as i64;
            (
                true,
                q.points_centi,
                raw.clamp(0, q.points_centi / (2 * n as i64)),
            )
        }
    }
}

#[derive(Default, Clone, Debug)]
struct Totals {
    score: i64,
    correct: u32,
    time: i64,
    finished: Option<i64>,
}

fn contains_key_named(value: &Value, names: &[&str]) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| names.contains(&k.as_str()) || contains_key_named(v, names)),
        Value::Array(items) => items.iter().any(|v| contains_key_named(v, names)),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_live_contest_of_117() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "区公安分局党史知识竞赛",
                "bank_ids": ["party-history"],
                "join_mode": "roster",
                "unit_scoring": "sum",
                "seed": "20210701",
                "rounds": [{
                    "title": "必答题",
                    "kind": "live",
                    "config": {
                        "blueprint": {"quotas": [
                            {"category": "新民主主义革命时期", "type": "single", "count": 4},
                            {"category": "社会主义革命和建设时期", "type": "multiple", "count": 2},
                            {"category": "改革开放和社会主义现代化建设新时期", "type": "true_false", "count": 2},
                            {"category": "中国特色社会主义新时代", "type": "fill", "count": 2}
                        ]},
                        "scoring": {"default_points": 10, "speed_bonus": 0.5, "partial_credit": true},
                        "question_seconds": 60,
                        "close_when_all_answered": false
                    }
                }]
            })),
        )
        .await;
    let contest_id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server
        .import_roster(contest_id, &roster_csv(PARTICIPANTS, UNITS))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], PARTICIPANTS);

    let display_token = server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{contest_id}/display-token"),
            None,
        )
        .await["token"]
        .as_str()
        .expect("display token")
        .to_string();
    let display = server.ws(&display_token, None).await;
    let organizer_ws = server.ws(&server.organizer_token, Some(contest_id)).await;

    let mut people = Vec::new();
    for i in 0..PARTICIPANTS {
        people.push(server.join(&code, &badge(i)).await);
    }
    let mut sockets = Vec::new();
    for p in &people {
        sockets.push(server.ws(&p.token, None).await);
    }
    display
        .wait_for("lobby with everyone", |m| {
            m["type"] == "lobby" && m["joined_count"] == PARTICIPANTS
        })
        .await;

    let started = server.control(contest_id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round id");
    let n = started["round"]["question_count"].as_u64().expect("count") as usize;
    assert_eq!(n, 10);

    let mut totals: BTreeMap<i64, Totals> = people
        .iter()
        .map(|p| (p.participant_id, Totals::default()))
        .collect();
    let mut explanations_closed: HashSet<String> = HashSet::new();
    let mut all_explanations = Vec::new();
    let mut stem_types = HashMap::new();

    for q in 0..n {
        let state = server.control(contest_id, json!({"action": "next"})).await;
        let view = &state["question"];
        assert_eq!(view["index"], q);
        let qtype = view["question"]["type"].as_str().expect("type").to_string();
        stem_types.insert(q, qtype.clone());
        let open = OpenQuestion {
            option_count: view["question"]["options"].as_array().map_or(0, Vec::len),
            key_choice: view["answer"]["choice"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).map(|v| v as usize).collect())
                .unwrap_or_default(),
            key_blanks: view["answer"]["blanks"]
                .as_array()
                .map(|b| {
                    b.iter()
                        .map(|alts| {
                            alts.as_array()
                                .expect("alts")
                                .iter()
                                .map(|s| s.as_str().expect("s").to_string())
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default(),
            points_centi: (view["question"]["points"].as_f64().expect("points") * 100.0).round() as i64,
            deadline: view["deadline"].as_i64().expect("deadline"),
            explanation: view["explanation"]
                .as_str()
                .expect("organizer sees the explanation")
                .to_string(),
            qtype,
        };
        all_explanations.push(open.explanation.clone());

        // Three waves of answers, so answer times differ.
        let mut counts = vec![0usize; open.option_count.max(1)];
        for wave in 0..3 {
            let mut tasks = Vec::new();
            for (i, p) in people.iter().enumerate().filter(|(i, _)| i % 3 == wave) {
                let what = script(i, q);
                let Some(body) = answer_body(round_id, q, &open, what, i) else {
                    continue;
                };
                if let Some(choice) = body["choice"].as_array() {
                    for c in choice {
                        counts[c.as_u64().expect("c") as usize] += 1;
                    }
                }
                let client = server.client.clone();
                let url = server.url("/api/answers");
                let token = p.token.clone();
                let pid = p.participant_id;
                tasks.push(tokio::spawn(async move {
                    let (status, ack) = send(&client, Method::POST, &url, Some(&token), Some(body)).await;
                    assert_eq!(status, 200, "answer: {ack}");
                    assert_eq!(ack["duplicate"], false);
                    (i, pid, what, ack["received_at"].as_i64().expect("received_at"))
                }));
            }
            for task in tasks {
                let (_, pid, what, received_at) = task.await.expect("answer task");
                let elapsed = (QUESTION_MS - (open.deadline - received_at)).clamp(0, QUESTION_MS);
                let (correct, points, bonus) = expected_points(&open, what, elapsed, n);
                let t = totals.get_mut(&pid).expect("totals");
                t.score += points + bonus;
                t.correct += u32::from(correct);
                t.time += elapsed;
                t.finished = t.finished.max(Some(received_at));
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }

        // Not answering counts as taking the whole time (the answer-time tie-break must not reward silence).
        for (i, p) in people.iter().enumerate() {
            if script(i, q) == Script::Silent {
                totals.get_mut(&p.participant_id).expect("totals").time += QUESTION_MS;
            }
        }

        // Resending the same answer is acknowledged as a duplicate and never double counted.
        let (i, p) = people
            .iter()
            .enumerate()
            .find(|(i, _)| script(*i, q) == Script::Correct)
            .expect("someone");
        let body = answer_body(round_id, q, &open, Script::Correct, i).expect("body");
        let (status, ack) = server
            .participant(&p.token, Method::POST, "/api/answers", Some(body))
            .await;
        assert_eq!(status, 200, "{ack}");
        assert_eq!(ack["duplicate"], true);

        server.control(contest_id, json!({"action": "close"})).await;
        let closed = display
            .wait_for("question_closed", |m| {
                m["type"] == "question_closed" && m["result"]["index"] == q
            })
            .await;
        if open.qtype != "fill" {
            let distribution: Vec<usize> = closed["result"]["distribution"]["options"]
                .as_array()
                .expect("distribution")
                .iter()
                .map(|v| v.as_u64().expect("count") as usize)
                .collect();
            assert_eq!(distribution, counts, "distribution of question {q}");
        }
        explanations_closed.insert(open.explanation.clone());
        // A late answer after close is refused with a clear error.
        let late = people
            .iter()
            .enumerate()
            .find(|(i, _)| script(*i, q) == Script::Silent && i % 29 != 0);
        if let Some((i, p)) = late {
            let body = answer_body(round_id, q, &open, Script::Correct, i).expect("body");
            let (status, err) = server
                .participant(&p.token, Method::POST, "/api/answers", Some(body))
                .await;
            assert_eq!(status, 409, "{err}");
            assert_eq!(err["error"]["code"], "question_closed");
        }
    }
    server.control(contest_id, json!({"action": "end_round"})).await;
    server.control(contest_id, json!({"action": "finish"})).await;

    // --- Independent ranking ---
    let mut order: Vec<(i64, Totals)> = totals.clone().into_iter().collect();
    let cmp_key = |t: &Totals| {
        (
            -t.score,
            -(t.correct as i64),
            t.time,
            t.finished.unwrap_or(i64::MAX),
        )
    };
    order.sort_by(|a, b| cmp_key(&a.1).cmp(&cmp_key(&b.1)).then(a.0.cmp(&b.0)));
    let mut expected = Vec::new();
    for (idx, (pid, t)) in order.iter().enumerate() {
        let (rank, decided_by) = if idx == 0 {
            (1, "score")
        } else {
            let (_, prev) = &order[idx - 1];
            let prev_rank = expected
                .last()
                .map(|(_, r, _, _): &(i64, usize, &str, Totals)| *r)
                .unwrap_or(1);
            if prev.score != t.score {
                (idx + 1, "score")
            } else if prev.correct != t.correct {
                (idx + 1, "correct_count")
            } else if prev.time != t.time {
                (idx + 1, "answer_time")
            } else if prev.finished != t.finished {
                (idx + 1, "finish_time")
            } else {
                (prev_rank, "tied")
            }
        };
        expected.push((*pid, rank, decided_by, t.clone()));
    }

    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{contest_id}/results"), None)
        .await;
    let ranking = results["ranking"].as_array().expect("ranking");
    assert_eq!(ranking.len(), PARTICIPANTS);
    for (entry, (pid, rank, decided_by, t)) in ranking.iter().zip(&expected) {
        assert_eq!(entry["participant_id"], *pid, "order: {entry} vs expected {pid}");
        assert_eq!(entry["rank"], *rank, "rank of {pid}");
        assert_eq!(entry["decided_by"], *decided_by, "tie-break of {pid}");
        assert_eq!(
            (entry["score"].as_f64().expect("score") * 100.0).round() as i64,
            t.score,
            "score of {pid}"
        );
        assert_eq!(entry["correct"], t.correct, "correct of {pid}");
        assert_eq!(entry["answer_time_ms"], t.time, "time of {pid}");
    }
    assert!(
        expected.iter().any(|e| e.2 == "tied"),
        "the script produces a full tie"
    );

    // Units: sum of members, ranked by score.
    let unit_of = |pid: i64| {
        let i = people
            .iter()
            .position(|p| p.participant_id == pid)
            .expect("person");
        format!("第{}大队", i % UNITS + 1)
    };
    let mut unit_scores: BTreeMap<String, i64> = BTreeMap::new();
    for (pid, t) in &totals {
        *unit_scores.entry(unit_of(*pid)).or_default() += t.score;
    }
    let units = results["units"].as_array().expect("units");
    assert_eq!(units.len(), UNITS);
    for u in units {
        let name = u["unit"].as_str().expect("unit");
        assert_eq!(
            (u["score"].as_f64().expect("score") * 100.0).round() as i64,
            unit_scores[name],
            "unit {name}"
        );
        let better = unit_scores.values().filter(|s| **s > unit_scores[name]).count();
        assert_eq!(u["rank"], better + 1, "unit rank of {name}");
    }

    // Every score is explained: the breakdown of the winner adds up.
    let winner = expected[0].0;
    let breakdown = server
        .org_ok(
            Method::GET,
            &format!("/api/contests/{contest_id}/participants/{winner}/breakdown"),
            None,
        )
        .await;
    let items = breakdown["items"].as_array().expect("items");
    assert_eq!(items.len(), n);
    let sum: f64 = items
        .iter()
        .map(|i| i["points"].as_f64().unwrap_or(0.0) + i["bonus"].as_f64().unwrap_or(0.0))
        .sum();
    assert_eq!((sum * 100.0).round() as i64, expected[0].3.score);

    // --- No answer key before close, on any participant or display socket ---
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut checked = 0;
    for capture in sockets.iter().chain(std::iter::once(&display)) {
        let mut closed_here: HashSet<usize> = HashSet::new();
        let raw = capture.raw.lock().expect("raw").clone();
        for (text, message) in raw.iter().zip(capture.all()) {
            checked += 1;
            let kind = message["type"].as_str().unwrap_or("");
            if kind == "question_closed" {
                let index = message["result"]["index"].as_u64().expect("index") as usize;
                closed_here.insert(index);
                continue;
            }
            if kind == "snapshot" || kind == "question_open" {
                assert!(
                    !contains_key_named(&message["question"], &["answer", "explanation"])
                        || message["question"]["result"].is_object(),
                    "key in {kind}: {text}"
                );
            } else if kind != "round_finished" && kind != "contest_state" {
                assert!(
                    !contains_key_named(&message, &["answer", "explanation"]),
                    "key-like field in {kind}: {text}"
                );
            }
            for (q, explanation) in all_explanations.iter().enumerate() {
                if !closed_here.contains(&q) {
                    assert!(
                        !text.contains(explanation.as_str()),
                        "explanation of {q} leaked before close: {text}"
                    );
                }
            }
        }
        assert_eq!(closed_here.len(), n, "every close reached this socket");
    }
    assert!(checked > PARTICIPANTS * 20, "captured {checked} messages");
    assert!(!organizer_ws.all().is_empty());
    let _ = (explanations_closed, stem_types);
    common::audit::assert_audit_verifies(&server, contest_id);
}
