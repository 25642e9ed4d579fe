//! A stage final of 8 units over real sockets: 必答 (compulsory), 抢答 (buzzer) and 风险题 (wager) rounds, an
//! elimination cut that is tied, the 加赛 (tie-break) that settles it, and the podium. Every team total and
//! every place is checked against a calculation made here from the script of the final alone.

#[path = "common/buzzer.rs"]
mod buzzer;
mod common;

use std::collections::BTreeMap;

use buzzer::*;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// One verdict of the script: the team, what it earned or lost.
struct Score {
    team: i64,
    delta: f64,
}

fn stage_config(extra: Value) -> Value {
    let mut config = json!({
        "grace_ms": 0,
        "stage": {"base_score": 100, "podium_places": 3},
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    config
}

async fn final_contest(server: &TestServer) -> (i64, String) {
    let single = |count: usize| json!({"quotas": [{"type": "single", "count": count}]});
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "党史知识竞赛决赛",
                "bank_ids": ["party-history"],
                "seed": "2021",
                "rounds": [
                    {"title": "必答题", "kind": "compulsory", "config": stage_config(json!({
                        "blueprint": single(8),
                        "compulsory": {"points": 10, "wrong_penalty": 0, "answer_seconds": 60},
                    }))},
                    {"title": "抢答题", "kind": "buzzer", "config": stage_config(json!({
                        "blueprint": single(3),
                        "buzzer": {"points": 10, "wrong_penalty": 10, "late_penalty": 10, "foul_penalty": 10,
                                   "on_wrong": "pass", "answer_by": "judge", "answer_seconds": 60,
                                   "buzz_window_seconds": 60},
                    }))},
                    {"title": "风险题", "kind": "wager", "config": stage_config(json!({
                        "blueprint": {"quotas": [
                            {"type": "single", "difficulty": 1, "count": 8},
                            {"type": "single", "difficulty": 2, "count": 8},
                            {"type": "single", "difficulty": 3, "count": 8}]},
                        "wager": {"options": [{"points": 10, "difficulty": 1}, {"points": 20, "difficulty": 2},
                                              {"points": 30, "difficulty": 3}],
                                  "pick_order": "high_to_low", "allow_pass": true, "answer_seconds": 60},
                        "elimination": {"advance": 3, "tie_rule": "tiebreak_round"},
                    }))},
                    {"title": "加赛", "kind": "tiebreak", "config": stage_config(json!({
                        "blueprint": single(4),
                        "tiebreak": {"answer_seconds": 60, "buzz_window_seconds": 60, "on_wrong": "pass"},
                    }))},
                    {"title": "加赛（备用）", "kind": "tiebreak", "config": stage_config(json!({
                        "blueprint": single(2),
                    }))},
                ]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let (status, body) = server.import_roster(id, &roster_csv(8, 8)).await;
    assert_eq!(status, 200, "{body}");
    (id, contest["join_code"].as_str().expect("code").to_string())
}

fn judge(team: i64, correct: bool) -> Value {
    json!({"action": "judge", "correct": correct, "team": team})
}

async fn snapshot(server: &TestServer, id: i64) -> Value {
    server
        .org_ok(Method::GET, &format!("/api/contests/{id}"), None)
        .await
}

/// `(team, total, place, active)` from a snapshot's stage standings, in the order listed.
fn places(stage: &Value) -> Vec<(i64, f64, u64, bool)> {
    stage["standings"]
        .as_array()
        .expect("standings")
        .iter()
        .map(|s| {
            (
                s["team"].as_i64().unwrap(),
                s["total"].as_f64().unwrap(),
                s["place"].as_u64().unwrap(),
                s["active"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stage_final_of_eight_units_ends_in_a_podium_that_matches_the_script() {
    let server = TestServer::start().await;
    let (id, code) = final_contest(&server).await;
    let org = server.ws(&server.organizer_token, Some(id)).await;
    let mut phones = phones(&server, &code, 8).await;
    let mut script: Vec<Score> = Vec::new();

    // ---- Round 1, 必答: each team in seat order gets its own question; 7 and 8 answer wrong (no penalty).
    server.control(id, json!({"action": "start_round"})).await;
    for phone in &mut phones {
        phone.ws.send(r#"{"type": "snapshot"}"#);
    }
    learn_teams(&mut phones).await;
    let team_of = |k: usize| phones[k].team;
    assert_eq!(
        (1..=8).collect::<Vec<i64>>(),
        (0..8).map(team_of).collect::<Vec<_>>()
    );
    for team in 1..=8_i64 {
        let opened = server.control(id, json!({"action": "next"})).await;
        assert_eq!(opened["stage"]["turn"]["team"], team, "seat order");
        assert_eq!(opened["buzzer"]["phase"], "answering", "no buzzing in 必答");
        assert_eq!(opened["buzzer"]["floor"], team);
        // Nobody buzzes a 必答 question.
        let refused = buzz(&phones[0], &format!("c{team}")).await;
        assert_eq!(refused["code"], "no_buzzer_round", "{refused}");
        let correct = team <= 6;
        // Judging another team than the one whose turn it is is refused.
        let other = if team == 1 { 2 } else { 1 };
        assert_eq!(
            control_error(&server, id, judge(other, true)).await,
            (409, "not_floor_holder".into())
        );
        server.control(id, judge(team, correct)).await;
        script.push(Score {
            team,
            delta: if correct { 10.0 } else { 0.0 },
        });
    }
    let turns = frames(&org, "question_open");
    assert_eq!(turns.len(), 8);
    assert!(turns.iter().all(|f| f["turn"]["team"].is_i64()));
    server.control(id, json!({"action": "end_round"})).await;

    // ---- Round 2, 抢答: all eight press at once (order by server receive order, checked in buzzer_round.rs);
    // the organizer voids that question. Then team 8 presses early (foul, −10); team 1 wins the floor and is
    // wrong (−10), the floor passes to team 2, which is right (+10).
    server.control(id, json!({"action": "start_round"})).await;
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "arm"})).await;
    let tasks: Vec<_> = phones
        .iter()
        .map(|p| {
            p.ws.send(&json!({"type": "buzz", "client_ms": 1, "ref": "all"}).to_string());
        })
        .collect();
    assert_eq!(tasks.len(), 8);
    let orders = wait_frames(&org, "buzz_order", 8).await;
    let keys: Vec<(i64, u64)> = orders
        .iter()
        .map(|f| {
            (
                f["buzz"]["server_ms"].as_i64().unwrap(),
                f["buzz"]["seq"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "receive order: {keys:?}");
    server.control(id, json!({"action": "close"})).await;

    server.control(id, json!({"action": "next"})).await;
    assert_eq!(buzz(&phones[7], "early").await["result"], "foul");
    script.push(Score {
        team: 8,
        delta: -10.0,
    });
    server.control(id, json!({"action": "arm"})).await;
    assert_eq!(buzz(&phones[0], "t1").await["result"], "floor");
    assert_eq!(buzz(&phones[1], "t2").await["position"], 1);
    server.control(id, judge(1, false)).await;
    server.control(id, judge(2, true)).await;
    script.push(Score {
        team: 1,
        delta: -10.0,
    });
    script.push(Score { team: 2, delta: 10.0 });
    server.control(id, json!({"action": "end_round"})).await;

    // ---- Round 3, 风险题: teams pick in order of their totals, high to low (equal totals by the recorded
    // draw). Each pick opens a question of the value's difficulty for that team alone.
    server.control(id, json!({"action": "start_round"})).await;
    let order_frame = org.wait_for("wager_order", |m| m["type"] == "wager_order").await;
    let order: Vec<(i64, f64)> = order_frame["wager"]["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["team"].as_i64().unwrap(), s["total"].as_f64().unwrap()))
        .collect();
    let totals_now = totals(&script, 8);
    assert_eq!(order.len(), 8);
    for (team, total) in &order {
        assert_eq!(totals_now[team], *total, "the order carries the current totals");
    }
    assert!(
        order.windows(2).all(|w| w[0].1 >= w[1].1),
        "high to low: {order:?}"
    );
    assert_eq!(order[0].0, 2, "the leader picks first");
    assert_eq!(order[7].0, 8, "the last picks last");
    // Each team's pick and verdict: (points or pass, right).
    let picks: BTreeMap<i64, (Option<u32>, bool)> = BTreeMap::from([
        (1, (Some(20), true)),
        (2, (Some(10), true)),
        (3, (Some(20), false)),
        (4, (Some(10), true)),
        (5, (Some(10), true)),
        (6, (Some(30), false)),
        (7, (Some(10), false)),
        (8, (None, false)),
    ]);
    // Out of turn: refused.
    assert_eq!(
        control_error(
            &server,
            id,
            json!({"action": "wager_pick", "team": order[1].0, "points": 10})
        )
        .await,
        (409, "rule_refused".into())
    );
    assert_eq!(
        control_error(&server, id, json!({"action": "next"})).await,
        (409, "wager_pick_opens".into())
    );
    let difficulty = BTreeMap::from([(10_u32, 1_u64), (20, 2), (30, 3)]);
    for (k, &(team, _)) in order.iter().enumerate() {
        let (points, right) = picks[&team];
        let mut reply = server
            .control(
                id,
                json!({"action": "wager_pick", "team": team, "points": points}),
            )
            .await;
        if k == 0 {
            // A bad question is skipped: the team keeps its pick and gets another of the same difficulty.
            let first = reply["question"]["index"].clone();
            reply = server.control(id, json!({"action": "skip"})).await;
            assert_ne!(reply["question"]["index"], first, "another question");
            assert_eq!(reply["buzzer"]["phase"], "answering");
            assert_eq!(reply["buzzer"]["floor"], team, "the same team");
            assert_eq!(
                reply["stage"]["wager"]["picks"][0]["index"],
                reply["question"]["index"]
            );
        }
        match points {
            Some(points) => {
                assert_eq!(reply["buzzer"]["floor"], team, "{}", reply["buzzer"]);
                assert_eq!(reply["question"]["question"]["points"], points as f64);
                assert_eq!(
                    reply["question"]["question"]["difficulty"], difficulty[&points],
                    "a question of the value's difficulty"
                );
                server.control(id, judge(team, right)).await;
                script.push(Score {
                    team,
                    delta: if right { points as f64 } else { -(points as f64) },
                });
            }
            None => assert!(
                reply["stage"]["wager"]["picks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["team"] == team && p["points"].is_null())
            ),
        }
    }
    // One frame per pick, and one when the skipped question was replaced.
    let picks_seen = frames(&org, "wager_pick");
    assert_eq!(picks_seen.len(), 9);
    let last = &picks_seen[8]["wager"]["picks"];
    assert_eq!(last.as_array().unwrap().len(), 8, "{last}");
    server.control(id, json!({"action": "end_round"})).await;

    // The cut after round 3 (top 3 advance): team 2 (130) is in; teams 1, 4 and 5 (120 each) are tied across
    // the cut for the two places left.
    let expected = totals(&script, 8);
    assert_eq!(
        expected,
        BTreeMap::from([
            (1, 120.0),
            (2, 130.0),
            (3, 90.0),
            (4, 120.0),
            (5, 120.0),
            (6, 80.0),
            (7, 90.0),
            (8, 90.0)
        ])
    );
    let cut = org.wait_for("stage_cut", |m| m["type"] == "stage_cut").await;
    assert_eq!(cut["cut"]["advanced"], json!([2]));
    assert_eq!(cut["cut"]["tied_at_cut"], json!([1, 4, 5]));
    assert_eq!(cut["cut"]["open_places"], 2);
    assert_eq!(cut["cut"]["decided_by"], "tiebreak_pending");

    // ---- Round 4, 加赛 for the cut: only teams 1, 4 and 5 play. Team 4 is right first (2nd place); team 5 is
    // wrong on the next question (4th), which leaves team 1 the 3rd place.
    let started = server.control(id, json!({"action": "start_round"})).await;
    assert_eq!(started["stage"]["tiebreak"]["teams"], json!([1, 4, 5]));
    assert_eq!(started["stage"]["tiebreak"]["first_place"], 2);
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "arm"})).await;
    let outsider = buzz(&phones[2], "outsider").await;
    assert_eq!(outsider["code"], "not_in_this_question", "{outsider}");
    assert_eq!(buzz(&phones[3], "tb4").await["result"], "floor");
    assert_eq!(buzz(&phones[0], "tb1").await["position"], 1);
    server.control(id, judge(4, true)).await;
    let after_first = snapshot(&server, id).await;
    assert_eq!(after_first["stage"]["tiebreak"]["remaining"], json!([1, 5]));
    assert_eq!(
        after_first["stage"]["tiebreak"]["placings"],
        json!([{"team": 4, "unit": "第4大队", "place": 2, "shared": false}])
    );
    let second = server.control(id, json!({"action": "next"})).await;
    assert_eq!(second["buzzer"]["eligible"], json!([1, 5]));
    server.control(id, json!({"action": "arm"})).await;
    assert_eq!(buzz(&phones[4], "tb5").await["result"], "floor");
    server.control(id, judge(5, false)).await;
    let decided = org
        .wait_for("the 加赛 decided", |m| {
            m["type"] == "tiebreak_update" && m["tiebreak"]["finished"] == true
        })
        .await;
    let placings: Vec<(i64, u64)> = decided["tiebreak"]["placings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["team"].as_i64().unwrap(), p["place"].as_u64().unwrap()))
        .collect();
    assert_eq!(placings, [(4, 2), (1, 3), (5, 4)]);
    let settled = org
        .wait_for("the cut settled", |m| {
            m["type"] == "stage_cut" && m["cut"]["decided_by"] == "tiebreak_round"
        })
        .await;
    assert_eq!(settled["cut"]["advanced"], json!([2, 4, 1]));
    let active: Vec<i64> = settled["teams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["active"] == true)
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(active, [1, 2, 4]);
    let ledger_before = snapshot(&server, id).await["stage"]["ledger"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        ledger_before,
        script.len(),
        "a 加赛 changes no score: one ledger entry per scored verdict of the script"
    );
    server.control(id, json!({"action": "end_round"})).await;

    // ---- The podium: no tie is left, so a second 加赛 is refused.
    assert_eq!(
        control_error(&server, id, json!({"action": "start_round"})).await,
        (409, "no_tie_to_break".into())
    );
    server.control(id, json!({"action": "finish"})).await;
    let last = snapshot(&server, id).await;
    let stage = &last["stage"];
    assert_eq!(stage["cuts"][0]["advanced"], json!([2, 4, 1]));
    assert_eq!(stage["cuts"][0]["decided_by"], "tiebreak_round");
    let got = places(stage);
    let want: Vec<(i64, f64, u64, bool)> = vec![
        (2, 130.0, 1, true),
        (4, 120.0, 2, true),
        (1, 120.0, 3, true),
        (5, 120.0, 4, false),
        (3, 90.0, 5, false),
        (7, 90.0, 5, false),
        (8, 90.0, 5, false),
        (6, 80.0, 8, false),
    ];
    assert_eq!(got, want);
    for (team, total, _, _) in &got {
        assert_eq!(expected[team], *total, "team {team}");
    }
    let teams = stage["teams"].as_array().unwrap();
    assert_eq!(teams.iter().filter(|t| t["active"] == true).count(), 3);

    // A phone sees the same standings (its own view of the stage).
    let me = server
        .participant(&phones[5].joined.token, Method::GET, "/api/me", None)
        .await
        .1;
    assert_eq!(places(&me["stage"]), want);
    // Every draw, buzzer log and ledger entry of the final checks out against the rules.
    common::audit::assert_audit_verifies(&server, id);
}

/// Base score plus every scripted change, per team 1..=n.
fn totals(script: &[Score], n: i64) -> BTreeMap<i64, f64> {
    let mut totals: BTreeMap<i64, f64> = (1..=n).map(|t| (t, 100.0)).collect();
    for s in script {
        *totals.get_mut(&s.team).unwrap() += s.delta;
    }
    totals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compulsory_by_seat_takes_device_answers_from_the_member_whose_turn_it_is() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "必答",
                "bank_ids": ["party-history"],
                "seed": "5",
                "rounds": [{"title": "必答题", "kind": "compulsory", "config": stage_config(json!({
                    "blueprint": {"quotas": [{"type": "single", "count": 4}]},
                    "compulsory": {"mode": "individual_by_seat", "answer_by": "device", "points": 20,
                                   "wrong_penalty": 5, "answer_seconds": 60},
                }))}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().unwrap();
    // Two units of two: participants 0 and 2 are unit 1's seats 0 and 1; 1 and 3 unit 2's.
    server.import_roster(id, &roster_csv(4, 2)).await;
    let code = contest["join_code"].as_str().unwrap().to_string();
    let mut phones = phones(&server, &code, 4).await;
    let started = server.control(id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().unwrap();
    for phone in &mut phones {
        phone.ws.send(r#"{"type": "snapshot"}"#);
    }
    learn_teams(&mut phones).await;
    let answer = |phone: &Phone, index: usize, choice: usize, reference: &str| {
        phone.ws.send(
            &json!({"type": "answer", "round_id": round_id, "index": index, "choice": [choice], "ref": reference})
                .to_string(),
        );
    };
    let mut expected = BTreeMap::from([(1_i64, 100.0), (2, 100.0)]);
    // Question k goes to team (k mod 2) + 1, member seat k div 2.
    for k in 0..4_usize {
        let opened = server.control(id, json!({"action": "next"})).await;
        let team = (k % 2) as i64 + 1;
        let seat = k / 2;
        let turn = &opened["stage"]["turn"];
        assert_eq!(
            (turn["team"].as_i64(), turn["member_seat"].as_u64()),
            (Some(team), Some(seat as u64))
        );
        let member = &phones[seat * 2 + (k % 2)];
        let teammate = &phones[(1 - seat) * 2 + (k % 2)];
        assert_eq!(turn["member"]["participant_id"], member.joined.participant_id);
        let key = opened["question"]["answer"]["choice"][0].as_u64().unwrap() as usize;
        let options = opened["question"]["question"]["options"]
            .as_array()
            .unwrap()
            .len();
        answer(teammate, k, key, &format!("mate{k}"));
        assert_eq!(
            reply(&teammate.ws, &format!("mate{k}")).await["code"],
            "not_your_turn"
        );
        let right = k != 3;
        let choice = if right { key } else { (key + 1) % options };
        answer(member, k, choice, &format!("m{k}"));
        assert_eq!(reply(&member.ws, &format!("m{k}")).await["type"], "answer_ack");
        // The teammate sees the answer given for the team.
        let seen = teammate
            .ws
            .wait_for("team_answer", |m| m["type"] == "team_answer" && m["index"] == k)
            .await;
        assert_eq!(seen["judgement"]["response"]["choice"], json!([choice]));
        assert_eq!(seen["judgement"]["participant_id"], member.joined.participant_id);
        *expected.get_mut(&team).unwrap() += if right { 20.0 } else { -5.0 };
    }
    for phone in &phones {
        for m in frames(&phone.ws, "team_answer") {
            let team = m["judgement"]["team"].as_i64().unwrap();
            assert_eq!(team, phone.team, "only the team's members see its answer: {m}");
        }
    }
    let me = server
        .participant(&phones[0].joined.token, Method::GET, "/api/me", None)
        .await
        .1;
    assert_eq!(standings(&me["stage"]["standings"]), expected);
    let reasons: Vec<&str> = me["stage"]["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "compulsory_right",
            "compulsory_right",
            "compulsory_right",
            "compulsory_wrong"
        ]
    );
    common::audit::assert_audit_verifies(&server, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_podium_tie_goes_to_a_tiebreak_that_the_recorded_draw_can_settle() {
    let server = TestServer::start().await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "加赛",
                "bank_ids": ["party-history"],
                "seed": "77",
                "rounds": [
                    {"title": "必答题", "kind": "compulsory", "config": stage_config(json!({
                        "blueprint": {"quotas": [{"type": "single", "count": 3}]},
                    }))},
                    {"title": "加赛", "kind": "tiebreak", "config": stage_config(json!({
                        "blueprint": {"quotas": [{"type": "single", "count": 2}]},
                    }))},
                    {"title": "抢答题", "kind": "buzzer", "config": stage_config(json!({
                        "blueprint": {"quotas": [{"type": "single", "count": 1}]},
                    }))},
                ]
            })),
        )
        .await;
    let id = contest["id"].as_i64().unwrap();
    server.import_roster(id, &roster_csv(3, 3)).await;
    server.control(id, json!({"action": "start_round"})).await;
    for team in 1..=3 {
        server.control(id, json!({"action": "next"})).await;
        server.control(id, judge(team, true)).await;
    }
    server.control(id, json!({"action": "end_round"})).await;
    // All three on 110: places 1 to 3 are shared, so the 加赛 is for all three.
    let started = server.control(id, json!({"action": "start_round"})).await;
    let tiebreak = &started["stage"]["tiebreak"];
    assert_eq!(tiebreak["purpose"], "podium");
    assert_eq!(tiebreak["teams"], json!([1, 2, 3]));
    // The first question is skipped (a bad question), the second nobody buzzes for (closed void): each asks
    // for another question; then the organizer draws.
    server.control(id, json!({"action": "next"})).await;
    server.control(id, json!({"action": "skip"})).await;
    let second = server.control(id, json!({"action": "next"})).await;
    assert_eq!(second["buzzer"]["eligible"], json!([1, 2, 3]));
    server.control(id, json!({"action": "close"})).await;
    let drawn = server.control(id, json!({"action": "draw"})).await;
    let tb = &drawn["stage"]["tiebreak"];
    assert_eq!(tb["finished"], true);
    assert!(tb["draw_seed"].is_string(), "the draw's seed is recorded: {tb}");
    let mut got: Vec<u64> = places(&drawn["stage"]).iter().map(|p| p.2).collect();
    got.sort_unstable();
    assert_eq!(got, [1, 2, 3], "the draw separated every place");
    let order: Vec<i64> = tb["placings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["team"].as_i64().unwrap())
        .collect();
    let standing: Vec<i64> = places(&drawn["stage"]).iter().map(|p| p.0).collect();
    assert_eq!(order, standing, "the standings follow the 加赛's places");
    assert_eq!(
        control_error(&server, id, json!({"action": "draw"})).await,
        (409, "rule_refused".into())
    );
    server.control(id, json!({"action": "end_round"})).await;
    // Stage rounds go on after a podium 加赛: the buzzer round starts normally.
    server.control(id, json!({"action": "start_round"})).await;
    common::audit::assert_audit_verifies(&server, id);
}
