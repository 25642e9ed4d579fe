//! Absentees: roster members who never joined are on no public leaderboard and take no place; the organizer's
//! results list them last, marked absent; unit standings count them as the unit-scoring rule says
//! (docs/scoring.md); a first join puts a participant on the board.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const ROSTER: &str = "姓名,警号,单位\n\
    张伟,200001,刑侦大队\n\
    王芳,200002,刑侦大队\n\
    李娜,200003,刑侦大队\n\
    刘洋,200004,刑侦大队\n\
    陈静,200005,治安大队\n\
    杨帆,200006,治安大队\n";

fn ids(list: &Value, key: &str) -> Vec<i64> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|e| e[key].as_i64().expect("id"))
        .collect()
}

fn unit<'a>(units: &'a Value, name: &str) -> &'a Value {
    units
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["unit"] == name)
        .unwrap_or_else(|| panic!("unit {name} in {units}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absentees_are_off_the_boards_and_marked_in_the_results() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "缺席测试",
                "bank_ids": ["party-history"],
                "join_mode": "roster",
                "unit_scoring": "mean",
                "rounds": [{"title": "必答题", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"category": "新民主主义革命时期", "type": "single", "count": 2}]},
                    "scoring": {"default_points": 10},
                    "question_seconds": 60,
                    "close_when_all_answered": false}}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let (status, body) = server.import_roster(id, ROSTER).await;
    assert_eq!(status, 200, "{body}");
    let listing = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/participants"), None)
        .await;
    let pid_of = |badge: &str| {
        listing["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .find(|p| p["badge"] == badge)
            .expect("on the roster")["id"]
            .as_i64()
            .expect("id")
    };
    let [zhang, wang, li, liu, chen, yang] =
        ["200001", "200002", "200003", "200004", "200005", "200006"].map(pid_of);

    let display = display_socket(&server, id).await;
    // 张伟, 王芳 (刑侦) and 陈静 (治安) join; 李娜, 刘洋 (刑侦) and 杨帆 (治安) stay away.
    let zhang_s = server.join(&code, "200001").await;
    let wang_s = server.join(&code, "200002").await;
    let _chen_s = server.join(&code, "200005").await;

    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let open = server.control(id, json!({"action": "next"})).await;
    let key = open["question"]["answer"]["choice"][0].as_u64().expect("key");
    let wrong = if key == 0 { 1 } else { 0 };
    // 张伟 right, 王芳 wrong (quickly), 陈静 silent: 王芳 and 陈静 tie on 0 and are split by answer time.
    for (token, choice) in [(&zhang_s.token, key), (&wang_s.token, wrong)] {
        let (status, ack) = server
            .participant(
                token,
                Method::POST,
                "/api/answers",
                Some(json!({"round_id": round_id, "index": 0, "choice": [choice]})),
            )
            .await;
        assert_eq!(status, 200, "{ack}");
    }
    server.control(id, json!({"action": "close"})).await;

    // The public leaderboard: the three who joined, nobody else.
    let frame = display
        .wait_for("leaderboard", |m| m["type"] == "leaderboard")
        .await;
    let board = &frame["leaderboard"];
    assert_eq!(
        ids(&board["top"], "participant_id"),
        [zhang, wang, chen],
        "{board}"
    );
    assert_eq!(board["participants"], 3, "absentees are not counted: {board}");
    assert_eq!(board["top"][0]["rank"], 1);
    assert_eq!(board["top"][1]["rank"], 2);
    assert_eq!(board["top"][2]["rank"], 3);
    assert_eq!(board["top"][2]["decided_by"], "answer_time", "{board}");
    // The snapshot of a screen that connects now shows the same board.
    let late_screen = display_socket(&server, id).await;
    let snapshot = late_screen
        .wait_for("snapshot", |m| m["type"] == "snapshot")
        .await;
    assert_eq!(snapshot["leaderboard"]["top"], board["top"]);
    // A phone's place is out of those who joined.
    let (_, me) = server
        .participant(&zhang_s.token, Method::GET, "/api/me", None)
        .await;
    assert_eq!(
        (me["me"]["rank"].as_u64(), me["me"]["of"].as_u64()),
        (Some(1), Some(3)),
        "{me}"
    );

    // Units, mean rule: every roster member counts, absentees with 0. 刑侦: 10 / 4 = 2.5; 治安: 0 / 2.
    let units = &board["units"];
    assert_eq!(unit(units, "刑侦大队")["score"], 2.5, "{units}");
    assert_eq!(unit(units, "刑侦大队")["members"], 4);
    assert_eq!(unit(units, "刑侦大队")["joined"], 2);
    assert_eq!(unit(units, "治安大队")["score"], 0.0);
    assert_eq!(unit(units, "治安大队")["members"], 2);
    assert_eq!(unit(units, "治安大队")["joined"], 1);

    // The organizer's results: the ranked three, then the absentees in roster order, marked.
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    let ranking = &results["ranking"];
    assert_eq!(
        ids(ranking, "participant_id"),
        [zhang, wang, chen, li, liu, yang],
        "{results}"
    );
    for entry in ranking.as_array().expect("ranking") {
        let absent = [li, liu, yang].contains(&entry["participant_id"].as_i64().expect("pid"));
        assert_eq!(entry["absent"], absent, "{entry}");
        if absent {
            assert_eq!(entry["rank"], Value::Null, "{entry}");
            assert_eq!(entry["answer_time_ms"], Value::Null, "{entry}");
            assert_eq!(entry["decided_by"], Value::Null, "{entry}");
            assert!(
                entry["badge"].is_string(),
                "the organizer sees who is missing: {entry}"
            );
        } else {
            assert!(entry["rank"].is_u64(), "{entry}");
        }
    }
    assert_eq!(results["units"], board["units"]);

    // An adjustment for an absentee shows in the results and the unit score, never on the board.
    server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{id}/adjustments"),
            Some(json!({"participant_id": yang, "delta": 3, "reason": "补录笔试成绩"})),
        )
        .await;
    let frame = display
        .wait_for("leaderboard after the adjustment", |m| {
            m["type"] == "leaderboard" && unit(&m["leaderboard"]["units"], "治安大队")["score"] == 1.5
        })
        .await;
    assert_eq!(
        ids(&frame["leaderboard"]["top"], "participant_id"),
        [zhang, wang, chen]
    );
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    let yang_entry = results["ranking"]
        .as_array()
        .expect("ranking")
        .iter()
        .find(|e| e["participant_id"] == yang)
        .expect("listed");
    assert_eq!(
        (yang_entry["absent"].clone(), yang_entry["score"].clone()),
        (json!(true), json!(3.0))
    );

    // A first join puts 李娜 on the board (at the next tick): 0 points and the whole time unanswered, like 陈静,
    // with whom she shares third place.
    let _li_s = server.join(&code, "200003").await;
    let board = eventually("李娜 ranked", async || {
        let state = server
            .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
            .await;
        let board = state["leaderboard"].clone();
        (board["participants"] == 4).then_some(board)
    })
    .await;
    assert_eq!(
        ids(&board["top"], "participant_id"),
        [zhang, wang, li, chen],
        "{board}"
    );
    assert_eq!(ids(&board["top"], "rank"), [1, 2, 3, 3], "{board}");
    assert_eq!(unit(&board["units"], "刑侦大队")["joined"], 3);
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    assert_eq!(
        ids(&results["ranking"], "participant_id"),
        [zhang, wang, li, chen, liu, yang]
    );
    assert_eq!(results["ranking"][2]["absent"], false);
    assert_eq!(results["ranking"][2]["rank"], 3);
    assert_eq!(results["ranking"][4]["absent"], true);
}

async fn display_socket(server: &TestServer, contest_id: i64) -> Capture {
    let token = server
        .org_ok(
            Method::POST,
            &format!("/api/contests/{contest_id}/display-token"),
            None,
        )
        .await["token"]
        .as_str()
        .expect("display token")
        .to_string();
    server.ws(&token, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sum_scoring_absentees_add_nothing() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "缺席测试（总分）",
                "bank_ids": ["party-history"],
                "join_mode": "roster",
                "unit_scoring": "sum",
                "rounds": [{"title": "必答题", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"category": "新民主主义革命时期", "type": "single", "count": 1}]},
                    "scoring": {"default_points": 10},
                    "question_seconds": 60,
                    "close_when_all_answered": false}}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    server.import_roster(id, ROSTER).await;
    let zhang = server.join(&code, "200001").await;
    let _chen = server.join(&code, "200005").await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let open = server.control(id, json!({"action": "next"})).await;
    let key = open["question"]["answer"]["choice"][0].as_u64().expect("key");
    let (status, _) = server
        .participant(
            &zhang.token,
            Method::POST,
            "/api/answers",
            Some(json!({"round_id": round_id, "index": 0, "choice": [key]})),
        )
        .await;
    assert_eq!(status, 200);
    server.control(id, json!({"action": "close"})).await;
    let results = server
        .org_ok(Method::GET, &format!("/api/contests/{id}/results"), None)
        .await;
    // Sum: 刑侦 is 张伟's 10 (three absentees add nothing), 治安 陈静's 0.
    assert_eq!(unit(&results["units"], "刑侦大队")["score"], 10.0, "{results}");
    assert_eq!(unit(&results["units"], "刑侦大队")["members"], 4);
    assert_eq!(unit(&results["units"], "刑侦大队")["joined"], 1);
    assert_eq!(unit(&results["units"], "治安大队")["score"], 0.0);
    let absent: Vec<bool> = results["ranking"]
        .as_array()
        .expect("ranking")
        .iter()
        .map(|e| e["absent"].as_bool().expect("absent"))
        .collect();
    assert_eq!(absent, [false, false, true, true, true, true]);
}
