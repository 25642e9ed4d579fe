//! The refused-answer log: one participant hammering the server cannot flood it (the first 10 refusals per
//! participant and round per minute are recorded, the rest only counted), and the organizer reads it in pages.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const KEPT_PER_MINUTE: usize = 10;

async fn page(server: &TestServer, id: i64, query: &str) -> (u16, Value) {
    server
        .org(
            Method::GET,
            &format!("/api/contests/{id}/rejections{query}"),
            None,
        )
        .await
}

fn rows_of(participant_id: i64, rows: &Value) -> usize {
    rows.as_array().map_or(0, |a| {
        a.iter().filter(|r| r["participant_id"] == participant_id).count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_refused_answers_is_capped_and_the_log_is_paged() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "flood",
                "bank_ids": ["english-sample"],
                "rounds": [{"title": "live", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 2}]},
                    "question_seconds": 600
                }}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code");
    let (status, body) = server.import_roster(id, &roster_csv(3, 1)).await;
    assert_eq!(status, 200, "{body}");
    let people = [
        server.join(code, &badge(0)).await,
        server.join(code, &badge(1)).await,
        server.join(code, &badge(2)).await,
    ];
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "close"})).await;

    // One participant sends 300 answers to the closed question: every one is refused.
    let late = json!({"round_id": round_id, "index": 0, "choice": [0]});
    let flooder = &people[0];
    for k in 0..300 {
        let (status, body) = server
            .participant(&flooder.token, Method::POST, "/api/answers", Some(late.clone()))
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("question_closed")),
            "refusal {k}: {body}"
        );
    }
    // Two others are refused a few times each. The writer handles refusals in order, so once the last of
    // these is on record, every refusal before it has been handled.
    for p in &people[1..] {
        for _ in 0..3 {
            let (status, _) = server
                .participant(&p.token, Method::POST, "/api/answers", Some(late.clone()))
                .await;
            assert_eq!(status, 409);
        }
    }
    let last = people[2].participant_id;
    let all = eventually("the last refusal on record", async || {
        let (status, rows) = page(&server, id, "").await;
        assert_eq!(status, 200, "{rows}");
        (rows_of(last, &rows) == 3).then_some(rows)
    })
    .await;
    assert_eq!(
        rows_of(flooder.participant_id, &all),
        KEPT_PER_MINUTE,
        "the flood is capped: {all}"
    );
    assert_eq!(rows_of(people[1].participant_id, &all), 3);
    let total = all.as_array().expect("rows").len();
    assert_eq!(total, KEPT_PER_MINUTE + 6);

    // Pages of 4, oldest first, each starting after the last id of the previous one, add up to the whole log.
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let (status, rows) = page(&server, id, &format!("?limit=4&after={after}")).await;
        assert_eq!(status, 200, "{rows}");
        let rows = rows.as_array().expect("rows").clone();
        assert!(rows.len() <= 4);
        let Some(last) = rows.last() else { break };
        after = last["id"].as_i64().expect("id");
        paged.extend(rows);
    }
    assert_eq!(Value::Array(paged), all);

    // Page sizes outside 1..=1000 are refused with a clear error.
    for bad in ["?limit=0", "?limit=1001"] {
        let (status, body) = page(&server, id, bad).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("invalid_limit")),
            "{bad}: {body}"
        );
    }
    let (status, body) = page(&server, id, "?limit=many").await;
    assert_eq!(status, 400, "{body}");
}
