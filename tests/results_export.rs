//! Results documents over the real server: 117 participants of a 120-person roster (three never join) play a
//! live round (with a speed bonus) and an exam round (options shuffled per paper) over HTTP; then the results
//! workbook is read back with calamine and checked cell by cell against `GET /api/contests/{id}/results` and
//! the breakdown API (ranking: rank, name, badge, unit, score; the matrix: a sample of participants, every
//! question), the CSV is parsed and compared, the report and the certificates list the awardees of each tier
//! (computed here from the ranking), print tickets open the pages without a token and nothing else, and the
//! answer sheet is refused to a phone while `answer_sheet_visible` is off, never carries a round that has not
//! ended, and carries the keys and the phone's own answers once the round has ended.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const JOINED: usize = 117;
const ROSTER: usize = 120;
const UNITS: usize = 6;
const LIVE_TITLE: &str = "现场必答";
const EXAM_TITLE: &str = "笔试";

/// Display letters as the matrix shows a choice: `ABD`.
fn letters(display: &[usize]) -> String {
    let mut sorted = display.to_vec();
    sorted.sort_unstable();
    sorted.iter().map(|&i| char::from(b'A' + i as u8)).collect()
}

/// What participant `i` sends for live question `q` (display positions), or nothing.
fn live_choice(i: usize, q: usize, key: &[usize], option_count: usize) -> Option<Vec<usize>> {
    if (i + q).is_multiple_of(9) {
        return None;
    }
    if !(i * 7 + q * 3).is_multiple_of(4) {
        return Some(key.to_vec());
    }
    let wrong = (0..option_count)
        .find(|o| !key.contains(o))
        .expect("a wrong option");
    Some(vec![wrong])
}

/// What participant `i` sends for their exam paper's question `index`, or nothing.
fn exam_choice(i: usize, index: usize) -> Option<Vec<usize>> {
    (!(i + index).is_multiple_of(5)).then(|| vec![(i + 2 * index) % 4])
}

async fn get_bytes(
    server: &TestServer,
    path: &str,
    token: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = server.client.get(server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.expect("body").to_vec())
}

fn cell_text(range: &Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Int(n)) => n.to_string(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => format!("{other:?}"),
    }
}

fn cell_number(range: &Range<Data>, row: u32, col: u32) -> Option<f64> {
    match range.get_value((row, col)) {
        Some(Data::Float(f)) => Some(*f),
        Some(Data::Int(n)) => Some(*n as f64),
        _ => None,
    }
}

#[track_caller]
fn close_to(got: Option<f64>, expected: f64, what: &str) {
    let got = got.unwrap_or_else(|| panic!("{what}: no number (expected {expected})"));
    assert!((got - expected).abs() < 0.005, "{what}: {got} != {expected}");
}

/// The awardees of each tier, by participant id, computed from the ranking with the documented rules: a tier by
/// count takes the next `count` places, one by minimum score everyone left with at least that score, and
/// whoever shares the place of a tier's last awardee is in that tier too.
fn expected_awards(ranking: &[Value], tiers: &[Value]) -> Vec<Vec<i64>> {
    let ranked: Vec<&Value> = ranking.iter().filter(|e| e["absent"] == false).collect();
    let mut next = 0;
    let mut out = Vec::new();
    for tier in tiers {
        let start = next;
        if let Some(count) = tier["count"].as_u64() {
            next = (start + count as usize).min(ranked.len());
        } else {
            let min = tier["min_score"].as_f64().expect("min_score");
            while next < ranked.len() && ranked[next]["score"].as_f64().expect("score") >= min - 1e-9 {
                next += 1;
            }
        }
        if next > start {
            let boundary = ranked[next - 1]["rank"].clone();
            while next < ranked.len() && ranked[next]["rank"] == boundary {
                next += 1;
            }
        }
        out.push(
            ranked[start..next]
                .iter()
                .map(|e| e["participant_id"].as_i64().expect("pid"))
                .collect(),
        );
    }
    out
}

/// The participant ids of the report's award section, per tier name, in order.
fn report_awardees(html: &str) -> BTreeMap<String, Vec<i64>> {
    let awards = html
        .split("data-testid=\"report-awards\"")
        .nth(1)
        .expect("an award section")
        .split("</section>")
        .next()
        .expect("its end");
    let mut out = BTreeMap::new();
    for chunk in awards.split("data-testid=\"award-tier\"").skip(1) {
        let name = chunk
            .split("data-tier=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("tier name")
            .to_string();
        let pids = chunk
            .split("data-testid=\"awardee\" data-pid=\"")
            .skip(1)
            .map(|s| s.split('"').next().expect("pid").parse::<i64>().expect("number"))
            .collect();
        out.insert(name, pids);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_documents_of_a_117_participant_contest() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "成绩导出测试赛",
                "bank_ids": ["party-history"],
                "unit_scoring": "mean",
                "rounds": [
                    {"title": LIVE_TITLE, "kind": "live", "config": {
                        "blueprint": {"quotas": [{"type": "single", "count": 4}, {"type": "multiple", "count": 2}]},
                        "scoring": {"speed_bonus": 0.2},
                        "question_seconds": 60, "close_when_all_answered": false}},
                    {"title": EXAM_TITLE, "kind": "exam", "config": {
                        "blueprint": {"quotas": [{"type": "single", "count": 3}],
                                      "shuffle_questions": true, "shuffle_options": true},
                        "time_limit_seconds": 600}}
                ]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(ROSTER, UNITS)).await;
    assert_eq!(status, 200, "{body}");
    let mut people = Vec::new();
    for i in 0..JOINED {
        people.push(server.join(&code, &badge(i)).await);
    }
    let me = &people[0];
    let sheet_of = async |token: &str| {
        server
            .participant(token, Method::GET, "/api/me/answer-sheet", None)
            .await
    };

    // Hidden by default.
    let (status, body) = sheet_of(&me.token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("answer_sheet_hidden")),
        "{body}"
    );
    let phone = server.ws(&me.token, None).await;

    // --- The live round: six questions, everyone answering over HTTP at once. ---
    let started = server.control(id, json!({"action": "start_round"})).await;
    let live_id = started["round"]["id"].as_i64().expect("round");
    // (participant index, question) -> the display positions sent.
    let mut sent_live: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for q in 0..6 {
        let state = server.control(id, json!({"action": "next"})).await;
        let key: Vec<usize> =
            serde_json::from_value(state["question"]["answer"]["choice"].clone()).expect("key");
        let option_count = state["question"]["question"]["options"]
            .as_array()
            .expect("options")
            .len();
        let mut requests = Vec::new();
        for (i, p) in people.iter().enumerate() {
            if let Some(choice) = live_choice(i, q, &key, option_count) {
                sent_live.insert((i, q), choice.clone());
                requests.push(server.participant(
                    &p.token,
                    Method::POST,
                    "/api/answers",
                    Some(json!({"round_id": live_id, "index": q, "choice": choice})),
                ));
            }
        }
        for (status, body) in futures_util::future::join_all(requests).await {
            assert_eq!(status, 200, "{body}");
        }
        server.control(id, json!({"action": "close"})).await;
        if q == 0 {
            // Opened while the round runs: the phone is told, and the sheet has no round yet (none has ended),
            // so no key of this round reaches it.
            let (status, body) = server
                .org(
                    Method::PUT,
                    &format!("/api/contests/{id}/answer-sheet-visibility"),
                    Some(json!({"visible": true})),
                )
                .await;
            assert_eq!((status, &body), (200, &json!({"visible": true})));
            phone
                .wait_for("answer_sheet event", |m| {
                    m["type"] == "answer_sheet" && m["visible"] == true
                })
                .await;
            let (status, body) = sheet_of(&me.token).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["rounds"], json!([]), "no round has ended: {body}");
        }
    }
    server.control(id, json!({"action": "end_round"})).await;

    // --- The exam round: own papers with shuffled options; three of five answers given. ---
    let started = server.control(id, json!({"action": "start_round"})).await;
    let exam_id = started["round"]["id"].as_i64().expect("round");
    let mut sent_exam: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    let papers = futures_util::future::join_all(
        people
            .iter()
            .map(|p| server.participant(&p.token, Method::POST, "/api/exam/start", None)),
    )
    .await;
    let mut requests = Vec::new();
    for (i, (status, paper)) in papers.iter().enumerate() {
        assert_eq!(*status, 200, "{paper}");
        let count = paper["questions"].as_array().expect("questions").len();
        assert_eq!(count, 3);
        for index in 0..count {
            if let Some(choice) = exam_choice(i, index) {
                sent_exam.insert((i, index), choice.clone());
                requests.push(server.participant(
                    &people[i].token,
                    Method::POST,
                    "/api/answers",
                    Some(json!({"round_id": exam_id, "index": index, "choice": choice})),
                ));
            }
        }
    }
    for (status, body) in futures_util::future::join_all(requests).await {
        assert_eq!(status, 200, "{body}");
    }
    // The live round has ended, the exam runs: the sheet has the live round with its keys, never the exam.
    let (status, mid) = sheet_of(&me.token).await;
    assert_eq!(status, 200, "{mid}");
    let rounds = mid["rounds"].as_array().expect("rounds");
    assert_eq!(rounds.len(), 1, "{mid}");
    assert_eq!(rounds[0]["round_id"], live_id);
    assert!(
        !mid.to_string().contains(&format!("\"round_id\":{exam_id}")),
        "no exam yet: {mid}"
    );
    let first = &rounds[0]["items"][0];
    assert!(
        first["answer"]["choice"].is_array() && first["explanation"].is_string(),
        "{first}"
    );
    server.control(id, json!({"action": "end_round"})).await;

    // A score adjustment (audited), then the contest ends.
    let adjusted = people[5].participant_id;
    server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{id}/adjustments"),
            Some(json!({"participant_id": adjusted, "delta": 1.5, "reason": "现场纠错：第 3 题判分有误"})),
        )
        .await;
    server.control(id, json!({"action": "finish"})).await;

    // The phone's sheet now: both rounds, every key, its own answers in its own display order.
    let (status, done) = sheet_of(&me.token).await;
    assert_eq!(status, 200, "{done}");
    let rounds = done["rounds"].as_array().expect("rounds");
    assert_eq!(rounds.len(), 2, "{done}");
    for (q, item) in rounds[0]["items"].as_array().expect("items").iter().enumerate() {
        assert_eq!(item["index"], q);
        assert!(item["answer"]["choice"].is_array(), "{item}");
        let sent = sent_live.get(&(0, q)).map(|c| json!({"choice": c}));
        assert_eq!(item["my_answer"], sent.unwrap_or(Value::Null), "{item}");
    }
    for (index, item) in rounds[1]["items"].as_array().expect("items").iter().enumerate() {
        let sent = sent_exam.get(&(0, index)).map(|c| json!({"choice": c}));
        assert_eq!(item["my_answer"], sent.unwrap_or(Value::Null), "{item}");
        assert!(
            item["answer"]["choice"].is_array() && item["source"].is_string(),
            "{item}"
        );
    }
    // Closed again: refused.
    server
        .org_ok(
            Method::PUT,
            &format!("/api/contests/{id}/answer-sheet-visibility"),
            Some(json!({"visible": false})),
        )
        .await;
    let (status, body) = sheet_of(&me.token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("answer_sheet_hidden")),
        "{body}"
    );

    // --- Award tiers: by count, by minimum score, by count. ---
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    let ranking = results["ranking"].as_array().expect("ranking").clone();
    assert_eq!(ranking.len(), ROSTER);
    assert_eq!(
        ranking.iter().filter(|e| e["absent"] == true).count(),
        ROSTER - JOINED
    );
    let threshold = ranking[12]["score"].as_f64().expect("score");
    let tiers = json!([
        {"name": "一等奖", "rule": "count", "count": 3},
        {"name": "二等奖", "rule": "min_score", "min_score": threshold},
        {"name": "三等奖", "rule": "count", "count": 20}
    ]);
    let (status, body) = server
        .org(
            Method::PUT,
            &format!("/api/contests/{id}/awards"),
            Some(json!({"tiers": [{"name": "", "rule": "count"}]})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid_awards")),
        "{body}"
    );
    assert_eq!(body["error"]["details"][0]["tier"], 1, "{body}");
    let saved = server
        .org_ok(
            Method::PUT,
            &format!("/api/contests/{id}/awards"),
            Some(json!({"tiers": tiers})),
        )
        .await;
    assert_eq!(saved["saved"], true);
    let expected = expected_awards(&ranking, tiers.as_array().expect("tiers"));
    let counts: Vec<u64> = saved["awarded"]
        .as_array()
        .expect("awarded")
        .iter()
        .map(|a| a["count"].as_u64().expect("count"))
        .collect();
    assert_eq!(
        counts,
        expected.iter().map(|e| e.len() as u64).collect::<Vec<_>>()
    );
    assert!(
        expected.iter().all(|e| !e.is_empty()),
        "every tier has awardees: {expected:?}"
    );
    let award_of: HashMap<i64, &str> = expected
        .iter()
        .zip(["一等奖", "二等奖", "三等奖"])
        .flat_map(|(pids, name)| pids.iter().map(move |p| (*p, name)))
        .collect();

    // --- The workbook. ---
    let (status, headers, bytes) = get_bytes(
        &server,
        &format!("/api/contests/{id}/results.xlsx"),
        Some(&server.organizer_token),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("filename*=UTF-8''")
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx file");
    assert_eq!(
        book.sheet_names(),
        [
            "个人排名",
            "单位排名",
            "答题矩阵",
            "试题统计",
            "审计日志",
            "成绩调整"
        ],
        "no stage rounds: no team sheet"
    );

    // The ranking, cell by cell.
    let sheet = book.worksheet_range("个人排名").expect("ranking sheet");
    assert_eq!(
        (0..9).map(|c| cell_text(&sheet, 0, c)).collect::<Vec<_>>(),
        [
            "名次",
            "姓名",
            "警号",
            "单位",
            "得分",
            "答对题数",
            "答题用时（秒）",
            "名次依据",
            "奖项"
        ]
    );
    for (i, e) in ranking.iter().enumerate() {
        let r = i as u32 + 1;
        match e["rank"].as_u64() {
            Some(rank) => close_to(cell_number(&sheet, r, 0), rank as f64, "rank"),
            None => assert_eq!(cell_text(&sheet, r, 0), "", "an absentee has no rank"),
        }
        assert_eq!(
            cell_text(&sheet, r, 1),
            e["name"].as_str().expect("name"),
            "row {r}"
        );
        assert_eq!(
            cell_text(&sheet, r, 2),
            e["badge"].as_str().expect("badge"),
            "row {r}"
        );
        assert_eq!(
            cell_text(&sheet, r, 3),
            e["unit"].as_str().expect("unit"),
            "row {r}"
        );
        close_to(
            cell_number(&sheet, r, 4),
            e["score"].as_f64().expect("score"),
            "score",
        );
        let pid = e["participant_id"].as_i64().expect("pid");
        assert_eq!(
            cell_text(&sheet, r, 8),
            award_of.get(&pid).copied().unwrap_or(""),
            "award of row {r}"
        );
        if e["absent"] == true {
            assert_eq!(cell_text(&sheet, r, 7), "未参赛");
        } else {
            close_to(
                cell_number(&sheet, r, 5),
                e["correct"].as_f64().expect("correct"),
                "correct",
            );
            close_to(
                cell_number(&sheet, r, 6),
                e["answer_time_ms"].as_f64().expect("time") / 1000.0,
                "time",
            );
        }
    }
    assert_eq!(
        cell_text(&sheet, ROSTER as u32 + 1, 1),
        "",
        "nothing after the last row"
    );

    // Units as the results give them.
    let units = book.worksheet_range("单位排名").expect("units sheet");
    assert_eq!(cell_text(&units, 0, 4), "单位成绩（单位平均分）");
    for (i, u) in results["units"].as_array().expect("units").iter().enumerate() {
        let r = i as u32 + 1;
        assert_eq!(cell_text(&units, r, 1), u["unit"].as_str().expect("unit"));
        close_to(
            cell_number(&units, r, 2),
            u["members"].as_f64().expect("members"),
            "members",
        );
        close_to(
            cell_number(&units, r, 4),
            u["score"].as_f64().expect("score"),
            "unit score",
        );
    }

    // The matrix: groups of columns per question, located by their headers.
    let matrix = book.worksheet_range("答题矩阵").expect("matrix sheet");
    let width = matrix.end().expect("cells").1;
    // (round title, question number) -> (first column, has a question column)
    let mut groups: HashMap<(String, usize), (u32, bool)> = HashMap::new();
    for c in 4..=width {
        let label = cell_text(&matrix, 0, c);
        if label.is_empty() {
            continue;
        }
        let (title, rest) = label.split_once(" · 第").expect("round · 第n题");
        let n: usize = rest.split('题').next().expect("n").parse().expect("number");
        groups.insert((title.to_string(), n), (c, cell_text(&matrix, 1, c) == "题目"));
    }
    assert_eq!(
        groups.len(),
        6 + 3,
        "six live questions, three per paper: {groups:?}"
    );
    assert_eq!(cell_text(&matrix, 1, 4), "作答");
    let index_of: HashMap<i64, usize> = people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.participant_id, i))
        .collect();
    let adjustments: HashMap<i64, f64> = HashMap::from([(adjusted, 1.5)]);
    let mut sampled = 0;
    for (row, e) in ranking.iter().enumerate() {
        let r = row as u32 + 2;
        let pid = e["participant_id"].as_i64().expect("pid");
        assert_eq!(cell_text(&matrix, r, 1), e["name"].as_str().expect("name"));
        // Every row: the points of its questions and the adjustment make the score.
        let mut sum = adjustments.get(&pid).copied().unwrap_or(0.0);
        for ((title, _), (c, exam)) in &groups {
            let points_col = c + if *exam { 3 } else { 2 };
            sum += cell_number(&matrix, r, points_col).unwrap_or(0.0);
            let _ = title;
        }
        close_to(
            Some(sum),
            e["score"].as_f64().expect("score"),
            &format!("row sum of {pid}"),
        );
        if !row.is_multiple_of(9) {
            continue;
        }
        // A sample of rows, cell by cell against the breakdown and what the phone sent.
        sampled += 1;
        let breakdown = server
            .org_ok(
                Method::GET,
                &format!("/api/contests/{id}/participants/{pid}/breakdown"),
                None,
            )
            .await;
        let items = breakdown["items"].as_array().expect("items");
        assert_eq!(
            items.len(),
            if e["absent"] == true { 6 } else { 9 },
            "{breakdown}"
        );
        for item in items {
            let title = item["round_title"].as_str().expect("title").to_string();
            let index = item["index"].as_u64().expect("index") as usize;
            let (c, exam) = groups[&(title.clone(), index + 1)];
            let mut c = c;
            if exam {
                assert_eq!(
                    cell_text(&matrix, r, c),
                    item["question_id"].as_str().expect("qid")
                );
                c += 1;
            }
            let sent = index_of.get(&pid).and_then(|i| {
                if title == LIVE_TITLE {
                    sent_live.get(&(*i, index))
                } else {
                    sent_exam.get(&(*i, index))
                }
            });
            assert_eq!(
                cell_text(&matrix, r, c),
                sent.map(|s| letters(s)).unwrap_or_default(),
                "{item}"
            );
            let right = if item["correct"] == true {
                "对"
            } else if item["answered"] == true {
                "错"
            } else {
                "未答"
            };
            assert_eq!(cell_text(&matrix, r, c + 1), right, "{item}");
            let points = item["points"].as_f64().expect("points") + item["bonus"].as_f64().expect("bonus");
            close_to(cell_number(&matrix, r, c + 2), points, "cell points");
            match item["elapsed_ms"].as_f64() {
                Some(ms) => close_to(cell_number(&matrix, r, c + 3), ms, "cell time"),
                None => assert_eq!(cell_number(&matrix, r, c + 3), None),
            }
        }
    }
    assert!(sampled >= 13, "{sampled} rows sampled");

    // Question statistics: every question of both rounds, facility in 0..=1.
    let stats = book.worksheet_range("试题统计").expect("stats sheet");
    assert_eq!(cell_text(&stats, 0, 7), "难度系数");
    let mut stat_rows = 0;
    for r in 1.. {
        let round = cell_text(&stats, r, 0);
        if round.is_empty() {
            break;
        }
        let facility = cell_number(&stats, r, 7).expect("facility");
        assert!((0.0..=1.0).contains(&facility), "{facility}");
        stat_rows += 1;
    }
    assert!(stat_rows >= 6 + 3, "{stat_rows} questions analysed");

    // The audit log as the API has it, and the adjustment.
    let audit = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/audit"), None)
        .await;
    let entries = audit["entries"].as_array().expect("entries");
    let log = book.worksheet_range("审计日志").expect("audit sheet");
    for (i, entry) in entries.iter().enumerate() {
        let r = i as u32 + 1;
        close_to(
            cell_number(&log, r, 0),
            entry["id"].as_f64().expect("id"),
            "audit id",
        );
        assert!(
            matches!(log.get_value((r, 1)), Some(Data::DateTime(_))),
            "a date cell"
        );
        assert_eq!(cell_text(&log, r, 3), entry["action"].as_str().expect("action"));
        assert_eq!(cell_text(&log, r, 5), entry["outcome"].as_str().expect("outcome"));
    }
    let actions: Vec<String> = (1..=entries.len() as u32)
        .map(|r| cell_text(&log, r, 3))
        .collect();
    for action in [
        "start_round",
        "next",
        "close",
        "finish",
        "answer_sheet_visibility",
        "set_awards",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
    assert_eq!(cell_text(&log, entries.len() as u32 + 2, 0), "哈希链完整");
    let adjustments_sheet = book.worksheet_range("成绩调整").expect("adjustments sheet");
    assert_eq!(cell_text(&adjustments_sheet, 1, 5), "现场纠错：第 3 题判分有误");
    close_to(cell_number(&adjustments_sheet, 1, 4), 1.5, "delta");

    // English sheet names and headers.
    let (status, _, bytes) = get_bytes(
        &server,
        &format!("/api/contests/{id}/results.xlsx?lang=en"),
        Some(&server.organizer_token),
    )
    .await;
    assert_eq!(status, 200);
    let mut english: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
    assert_eq!(
        english.sheet_names(),
        [
            "Ranking",
            "Units",
            "Answers",
            "Question statistics",
            "Audit log",
            "Adjustments"
        ]
    );
    assert_eq!(
        cell_text(&english.worksheet_range("Ranking").expect("sheet"), 0, 1),
        "Name"
    );
    let (status, _, body) = get_bytes(
        &server,
        &format!("/api/contests/{id}/results.xlsx?lang=fr"),
        Some(&server.organizer_token),
    )
    .await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));

    // --- The CSV. ---
    let (status, headers, bytes) = get_bytes(
        &server,
        &format!("/api/contests/{id}/results.csv"),
        Some(&server.organizer_token),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a byte order mark");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(
        reader.headers().expect("header").iter().collect::<Vec<_>>(),
        [
            "名次",
            "姓名",
            "警号",
            "单位",
            "得分",
            "答对题数",
            "答题用时（秒）",
            "名次依据",
            "奖项"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    assert_eq!(records.len(), ROSTER);
    for (record, e) in records.iter().zip(&ranking) {
        assert_eq!(
            record[0],
            e["rank"].as_u64().map(|r| r.to_string()).unwrap_or_default()
        );
        assert_eq!(&record[1], e["name"].as_str().expect("name"));
        close_to(
            record[4].parse().ok(),
            e["score"].as_f64().expect("score"),
            "csv score",
        );
        let pid = e["participant_id"].as_i64().expect("pid");
        assert_eq!(&record[8], award_of.get(&pid).copied().unwrap_or(""));
    }

    // --- The report and the certificates: each tier's awardees, as computed here. ---
    let (status, headers, bytes) = get_bytes(
        &server,
        &format!("/api/contests/{id}/report"),
        Some(&server.organizer_token),
    )
    .await;
    assert_eq!(status, 200);
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("style-src 'sha256-") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let report = String::from_utf8(bytes).expect("utf-8");
    assert!(
        report.contains("<h1>成绩导出测试赛</h1>")
            && report.contains(LIVE_TITLE)
            && report.contains(EXAM_TITLE)
    );
    let in_report = report_awardees(&report);
    for (name, pids) in ["一等奖", "二等奖", "三等奖"].iter().zip(&expected) {
        assert_eq!(in_report.get(*name), Some(pids), "{name}");
    }
    assert_eq!(report.matches("data-testid=\"report-row\"").count(), ROSTER);
    let (status, _, bytes) = get_bytes(
        &server,
        &format!("/api/contests/{id}/certificates"),
        Some(&server.organizer_token),
    )
    .await;
    assert_eq!(status, 200);
    let certificates = String::from_utf8(bytes).expect("utf-8");
    assert!(certificates.contains("荣誉证书"));
    let total: usize = expected.iter().map(Vec::len).sum();
    assert_eq!(certificates.matches("data-testid=\"certificate\"").count(), total);
    for (pid, award) in &award_of {
        let needle = format!("data-pid=\"{pid}\" data-award=\"{award}\"");
        assert!(certificates.contains(&needle), "{needle}");
        let name = ranking
            .iter()
            .find(|e| e["participant_id"] == *pid)
            .and_then(|e| e["name"].as_str())
            .expect("name");
        assert!(certificates.contains(name), "{name}");
    }

    // --- Print tickets: the pages without a token, for this contest only, never the JSON API. ---
    let (status, _, _) = get_bytes(&server, &format!("/api/contests/{id}/report"), None).await;
    assert_eq!(status, 401);
    let ticket = server
        .org_ok(Method::POST, &format!("/api/contests/{id}/print-tickets"), None)
        .await;
    let ticket = ticket["ticket"].as_str().expect("ticket").to_string();
    for path in [
        format!("/api/contests/{id}/report?ticket={ticket}"),
        format!("/api/contests/{id}/certificates?ticket={ticket}&lang=en"),
        format!(
            "/api/contests/{id}/participants/{}/answer-sheet.html?ticket={ticket}",
            me.participant_id
        ),
    ] {
        let (status, headers, body) = get_bytes(&server, &path, None).await;
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        assert!(
            headers["content-type"]
                .to_str()
                .expect("type")
                .starts_with("text/html")
        );
    }
    for path in [
        format!("/api/contests/{id}/report?ticket=not-a-ticket"),
        format!("/api/contests/{}/report?ticket={ticket}", id + 1),
        format!("/api/contests/{id}/results?ticket={ticket}"),
        format!("/api/contests/{id}/results.xlsx?ticket={ticket}"),
    ] {
        let (status, _, body) = get_bytes(&server, &path, None).await;
        assert_eq!(status, 401, "{path}: {}", String::from_utf8_lossy(&body));
    }

    // --- The organizer's answer sheet: the breakdown's points, the phone's answers, printable. ---
    let sheet = server
        .org_ok(
            Method::GET,
            &format!(
                "/api/contests/{id}/participants/{}/answer-sheet",
                me.participant_id
            ),
            None,
        )
        .await;
    assert_eq!(
        sheet["rounds"], done["rounds"],
        "the phone saw the organizer's sheet"
    );
    let (status, _, html) = get_bytes(
        &server,
        &format!(
            "/api/contests/{id}/participants/{}/answer-sheet.html",
            me.participant_id
        ),
        Some(&server.organizer_token),
    )
    .await;
    assert_eq!(status, 200);
    let html = String::from_utf8(html).expect("utf-8");
    assert!(
        html.contains("答题卡")
            && html.contains(
                ranking
                    .iter()
                    .find(|e| e["participant_id"] == me.participant_id)
                    .and_then(|e| e["name"].as_str())
                    .expect("name")
            )
    );
    assert_eq!(html.matches("data-testid=\"sheet-item\"").count(), 9);
    let (status, _) = server
        .org(
            Method::GET,
            &format!("/api/contests/{id}/participants/999999/answer-sheet"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    // The settings changes are in the audit log, which still verifies.
    common::audit::assert_audit_verifies(&server, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_rounds_add_the_team_sheet_and_standings() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "团体决赛",
                "bank_ids": ["party-history"],
                "rounds": [{"title": "抢答题", "kind": "buzzer", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 2}]},
                    "stage": {"base_score": 100},
                    "buzzer": {"points": 10, "wrong_penalty": 5}}}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, &roster_csv(6, 3)).await;
    assert_eq!(status, 200, "{body}");
    for i in 0..6 {
        server.join(&code, &badge(i)).await;
    }
    server.control(id, json!({"action": "start_round"})).await;
    server
        .control(
            id,
            json!({"action": "adjust_team", "team": 2, "delta": 15, "note": "现场加分"}),
        )
        .await;
    server.control(id, json!({"action": "end_round"})).await;
    let finished = server.control(id, json!({"action": "finish"})).await;
    let standings = finished["stage"]["standings"]
        .as_array()
        .expect("team standings")
        .clone();
    assert_eq!(standings.len(), 3);

    let (status, _, bytes) = get_bytes(
        &server,
        &format!("/api/contests/{id}/results.xlsx"),
        Some(&server.organizer_token),
    )
    .await;
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
    assert_eq!(
        book.sheet_names(),
        [
            "个人排名",
            "单位排名",
            "团体排名",
            "答题矩阵",
            "试题统计",
            "审计日志",
            "成绩调整"
        ]
    );
    let teams = book.worksheet_range("团体排名").expect("team sheet");
    assert_eq!(cell_text(&teams, 0, 3), "团体总分");
    for (i, s) in standings.iter().enumerate() {
        let r = i as u32 + 1;
        let place = s["place"].as_f64().or_else(|| s["rank"].as_f64()).expect("place");
        close_to(cell_number(&teams, r, 0), place, "place");
        close_to(
            cell_number(&teams, r, 1),
            s["team"].as_f64().expect("team"),
            "team",
        );
        assert_eq!(cell_text(&teams, r, 2), s["unit"].as_str().expect("unit"));
        close_to(
            cell_number(&teams, r, 3),
            s["total"].as_f64().expect("total"),
            "total",
        );
    }
    close_to(cell_number(&teams, 1, 3), 115.0, "the adjusted team leads");

    let (status, _, bytes) = get_bytes(
        &server,
        &format!("/api/contests/{id}/report"),
        Some(&server.organizer_token),
    )
    .await;
    assert_eq!(status, 200);
    let report = String::from_utf8(bytes).expect("utf-8");
    assert_eq!(report.matches("data-testid=\"report-team\"").count(), 3);
    common::audit::assert_audit_verifies(&server, id);
    assert!(
        report.contains("抢答每题 10 分，答错扣 5 分，计入团体成绩"),
        "the buzzer round's rules"
    );
}
