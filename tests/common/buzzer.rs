//! Helpers of the buzzer round tests (`buzzer_round.rs`, `buzzer_judge.rs`), included with `#[path]`.
#![allow(dead_code)]

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

/// A contest with one buzzer round of `questions` single-choice questions, and a roster of `units` units with
/// `per_unit` members each (units 第1大队, 第2大队, …).
pub async fn buzzer_contest(
    server: &TestServer,
    units: usize,
    per_unit: usize,
    buzzer: Value,
) -> (i64, String) {
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "抢答决赛",
                "bank_ids": ["party-history"],
                "seed": "9",
                "rounds": [{"title": "抢答题", "kind": "buzzer", "config": {
                    "blueprint": {"quotas": [{"type": "single", "count": 4}]},
                    "grace_ms": 0,
                    "stage": {"base_score": 100},
                    "buzzer": buzzer,
                }}]
            })),
        )
        .await;
    let id = contest["id"].as_i64().expect("id");
    let (status, body) = server
        .import_roster(id, &roster_csv(units * per_unit, units))
        .await;
    assert_eq!(status, 200, "{body}");
    (id, contest["join_code"].as_str().expect("code").to_string())
}

/// A phone: its participant, its socket, its team.
pub struct Phone {
    pub joined: Joined,
    pub ws: Capture,
    pub team: i64,
}

/// Join every roster member, open their sockets, and learn each one's team from their snapshot.
pub async fn phones(server: &TestServer, code: &str, count: usize) -> Vec<Phone> {
    let mut phones = Vec::new();
    for i in 0..count {
        let joined = server.join(code, &badge(i)).await;
        let ws = server.ws(&joined.token, None).await;
        phones.push(Phone { joined, ws, team: 0 });
    }
    phones
}

pub async fn learn_teams(phones: &mut [Phone]) {
    for phone in phones.iter_mut() {
        let snapshot = phone
            .ws
            .wait_for("snapshot with a team", |m| {
                m["type"] == "snapshot" && m["me"]["team"].is_i64()
            })
            .await;
        phone.team = snapshot["me"]["team"]
            .as_i64()
            .expect("a team once the stage round started");
    }
}

pub async fn control_error(server: &TestServer, id: i64, action: Value) -> (u16, String) {
    let (status, body) = server
        .org(Method::POST, &format!("/api/contests/{id}/control"), Some(action))
        .await;
    (
        status,
        body["error"]["code"].as_str().unwrap_or_default().to_string(),
    )
}

pub fn frames(capture: &Capture, kind: &str) -> Vec<Value> {
    capture.all().into_iter().filter(|m| m["type"] == kind).collect()
}

/// Wait until `capture` holds at least `n` frames of `kind`.
pub async fn wait_frames(capture: &Capture, kind: &str, n: usize) -> Vec<Value> {
    eventually(&format!("{n} {kind} frames"), async || {
        let found = frames(capture, kind);
        (found.len() >= n).then_some(found)
    })
    .await
}

/// Send a buzz and wait for this socket's reply (`buzz_ack` or `buzz_error`).
pub async fn buzz(phone: &Phone, reference: &str) -> Value {
    phone
        .ws
        .send(&json!({"type": "buzz", "client_ms": 5, "ref": reference}).to_string());
    reply(&phone.ws, reference).await
}

pub async fn reply(capture: &Capture, reference: &str) -> Value {
    capture
        .wait_for(&format!("the reply to {reference}"), |m| m["ref"] == reference)
        .await
}

/// The totals every team must have, computed from the published frames alone: base score, then for every
/// judgement the points or the penalty of its verdict and for every foul the foul penalty, minus what was
/// undone, plus adjustments (the last two read from the ledger entries published in `team_scores`).
pub fn expected_totals(organizer: &Capture, teams: &[i64], settings: &Value) -> BTreeMap<i64, f64> {
    let points = |field: &str| settings[field].as_f64().expect(field);
    let mut totals: BTreeMap<i64, f64> = teams.iter().map(|t| (*t, 100.0)).collect();
    for m in organizer.all() {
        match m["type"].as_str() {
            Some("buzz_order") if m["buzz"]["foul"] == true => {
                *totals.get_mut(&m["buzz"]["team"].as_i64().unwrap()).unwrap() -= points("foul_penalty");
            }
            Some("buzzer_judged") => {
                let j = &m["judgement"];
                let delta = match j["verdict"].as_str().unwrap() {
                    "right" => points("points"),
                    "wrong" => -points("wrong_penalty"),
                    "late" => -points("late_penalty"),
                    other => panic!("verdict {other}"),
                };
                *totals.get_mut(&j["team"].as_i64().unwrap()).unwrap() += delta;
            }
            Some("team_scores") => {
                for e in m["entries"].as_array().unwrap() {
                    if matches!(e["reason"].as_str(), Some("undo_of" | "adjustment")) {
                        *totals.get_mut(&e["team"].as_i64().unwrap()).unwrap() +=
                            e["delta"].as_f64().unwrap();
                    }
                }
            }
            _ => {}
        }
    }
    totals
}

pub fn standings(value: &Value) -> BTreeMap<i64, f64> {
    value
        .as_array()
        .expect("standings")
        .iter()
        .map(|s| (s["team"].as_i64().unwrap(), s["total"].as_f64().unwrap()))
        .collect()
}

pub fn contains_key_named(value: &Value, names: &[&str]) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| names.contains(&k.as_str()) || contains_key_named(v, names)),
        Value::Array(items) => items.iter().any(|v| contains_key_named(v, names)),
        _ => false,
    }
}
