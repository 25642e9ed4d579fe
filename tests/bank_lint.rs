//! The bank linter and exclusions end to end: `jingsai bank lint` and `bank check --lint` as a real process (exit
//! codes, text and JSON), the import errors of `excludes` and `lint_ok`, `GET /api/banks/{id}/lint`, and the
//! exclusions of a stored bank in blueprint checks and in the live draw across rounds.

mod common;

use std::process::Command;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn jingsai(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_jingsai"))
        .args(args)
        .output()
        .expect("run jingsai");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

fn fixture(name: &str) -> String {
    repo_path("tests/fixtures/lint").join(name).display().to_string()
}

#[test]
fn lint_prints_file_and_line_and_exits_1_only_when_strict() {
    let pairs = fixture("pairs.toml");
    let (code, out, err) = jingsai(&["bank", "lint", &pairs]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "{pairs}:10: near_duplicate: d-001 and d-002 ask the same fact"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("(d-002 is at {pairs}:21)")), "{out}");
    assert!(
        out.contains(&format!(
            "{pairs}:64: give_away: the stem of g-002 states \"罗瑞卿\", the answer of g-001"
        )),
        "{out}"
    );
    assert!(
        out.contains("2 warning(s) in 11 question(s) (near_duplicate 1, give_away 1)"),
        "{out}"
    );
    assert!(err.contains("linted 11 question(s) in"), "{err}");

    let (code, out, _) = jingsai(&["bank", "lint", &pairs, "--strict"]);
    assert_eq!(code, 1, "{out}");
    // Thresholds above every score: nothing to report, so --strict passes.
    let (code, out, _) = jingsai(&[
        "bank",
        "lint",
        &pairs,
        "--strict",
        "--threshold",
        "0.99",
        "--give-away-threshold",
        "0.99",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 warning(s) in 11 question(s)"), "{out}");
    let (code, out, _) = jingsai(&["bank", "lint", &fixture("balanced.toml"), "--strict"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = jingsai(&["bank", "lint", &fixture("unbalanced.toml"), "--strict"]);
    assert_eq!(code, 1, "{out}");
    for rule in [
        "key_letter_balance",
        "true_false_balance",
        "longest_option_key",
        "all_but_one",
        "difficulty_spread",
        "missing_explanation",
        "missing_source",
    ] {
        assert!(out.contains(&format!(": {rule}: ")), "{rule} missing: {out}");
    }
}

#[test]
fn lint_json_is_the_report() {
    let (code, out, err) = jingsai(&["bank", "lint", &fixture("reviewed.toml"), "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(report["warnings"], json!([]));
    assert_eq!(report["silenced_by_lint_ok"], 1);
    assert_eq!(report["silenced_by_exclusion"], 1);
    assert_eq!(report["questions"], 6);
    assert_eq!(report["options"]["similarity"], 0.45);
}

#[test]
fn lint_rejects_bad_thresholds_and_invalid_banks() {
    let (code, _, err) = jingsai(&["bank", "lint", &fixture("pairs.toml"), "--threshold", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a number from 0 to 1"), "{err}");
    let bad = fixture("bad-unknown-excludes.toml");
    for args in [vec!["bank", "lint", &bad], vec!["bank", "check", &bad]] {
        let (code, out, err) = jingsai(&args);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            out.contains(&format!(
                "{bad}:28: `excludes` of question `x-002` names `x-999`, which is no question of bank \
                 `unknown-excludes`"
            )),
            "{out}"
        );
        assert!(err.contains("1 error(s)"), "{err}");
    }
}

#[test]
fn check_with_lint_prints_both_and_strict_needs_lint() {
    let pairs = fixture("pairs.toml");
    let (code, out, _) = jingsai(&["bank", "check", &pairs, "--lint"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("bank pairs \"配对规则\" (zh-CN): 11 questions"),
        "{out}"
    );
    assert!(out.contains("near_duplicate: d-001 and d-002"), "{out}");
    let (code, _, _) = jingsai(&["bank", "check", &pairs, "--lint", "--strict"]);
    assert_eq!(code, 1);
    let (code, _, err) = jingsai(&["bank", "check", &pairs, "--strict"]);
    assert_eq!(code, 2, "--strict alone is a usage error: {err}");
    // Without --lint, check is what it was: no lint output.
    let (code, out, _) = jingsai(&["bank", "check", &pairs]);
    assert_eq!(code, 0);
    assert!(!out.contains("near_duplicate"), "{out}");
}

#[test]
fn lint_names_sheet_and_row_of_a_spreadsheet() {
    let bank = jingsai::bank::load_path(&repo_path("tests/fixtures/lint/pairs.toml"))
        .expect("fixture")
        .remove(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pairs.xlsx");
    std::fs::write(
        &path,
        jingsai::bank::formats::export::to_xlsx(&bank).expect("xlsx"),
    )
    .expect("write");
    let path = path.display().to_string();
    let (code, out, err) = jingsai(&["bank", "lint", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("{path}[题库]:2: near_duplicate: d-001 and d-002")),
        "{out}"
    );
    assert!(out.contains(&format!("(d-002 is at {path}[题库]:3)")), "{out}");
}

#[test]
fn the_shipped_bank_lints() {
    let (code, out, err) = jingsai(&["bank", "lint", &repo_path("question_banks").display().to_string()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("bank party-history: "), "{out}");
    assert!(err.contains("linted "), "{err}");
}

const TEXT: &str = "中国共产党第一次全国代表大会";

fn link_bank(excludes_of_003: &str) -> String {
    format!(
        r#"[bank]
id = "cross"
title = "跨轮互斥"
language = "zh-CN"

[[questions]]
id = "c-001"
type = "true_false"
category = "党史/建党"
difficulty = 1
stem = "{TEXT}于1921年召开。"
answer = true
explanation = "中共一大于1921年7月召开。"
source = "《中国共产党简史》"
excludes = ["c-002"]

[[questions]]
id = "c-002"
type = "fill"
category = "党史/建党"
difficulty = 1
stem = "{TEXT}于____年召开。"
answer = ["1921"]
explanation = "1921年。"
source = "《中国共产党简史》"
lint_ok = ["c-001"]

[[questions]]
id = "c-003"
type = "true_false"
category = "党史/长征"
difficulty = 1
stem = "遵义会议是党的历史上一个生死攸关的转折点。"
answer = true
explanation = "遵义会议挽救了党、挽救了红军、挽救了中国革命。"
source = "《中国共产党简史》第四章"
excludes = [{excludes_of_003}]
"#
    )
}

fn code_of(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn import(server: &TestServer, content: &str) -> (u16, Value) {
    server
        .org(
            Method::POST,
            "/api/banks/import",
            Some(json!({"files": [{"name": "cross.toml", "content": content}]})),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_endpoint_and_stored_exclusions() {
    let server = TestServer::start().await;

    // The shipped bank, linted as stored: clean, its exclusions and reviewed pairs kept by the import.
    let report = server
        .org_ok(Method::GET, "/api/banks/party-history/lint", None)
        .await;
    assert!(report["questions"].as_u64().expect("questions") > 600, "{report}");
    assert_eq!(report["warnings"], json!([]), "{report}");
    assert!(
        report["silenced_by_exclusion"].as_u64().expect("excluded") > 0,
        "{report}"
    );
    assert!(
        report["silenced_by_lint_ok"].as_u64().expect("reviewed") > 0,
        "{report}"
    );

    // A bank with a duplicate, linted as stored: warnings name questions by id, without a file.
    let pairs_bank = std::fs::read_to_string(fixture("pairs.toml")).expect("pairs fixture");
    let (status, body) = import(&server, &pairs_bank).await;
    assert_eq!(status, 200, "{body}");
    let report = server.org_ok(Method::GET, "/api/banks/pairs/lint", None).await;
    let warnings = report["warnings"].as_array().expect("warnings");
    let pair = (warnings.iter())
        .find(|w| w["rule"] == "near_duplicate")
        .expect("the fixture has a near duplicate");
    assert!(pair["questions"][0]["file"].is_null() && pair["questions"][1]["id"].is_string());
    let strict = server
        .org_ok(
            Method::GET,
            "/api/banks/pairs/lint?threshold=1&give_away_threshold=1",
            None,
        )
        .await;
    let pairs = |r: &Value| {
        (r["warnings"].as_array().expect("w").iter())
            .filter(|w| w["rule"] == "near_duplicate" || w["rule"] == "give_away")
            .filter(|w| w["score"].as_f64().expect("score") < 1.0)
            .count()
    };
    assert_eq!(pairs(&strict), 0, "{strict}");
    let (status, body) = server
        .org(Method::GET, "/api/banks/party-history/lint?threshold=1.5", None)
        .await;
    assert_eq!((status, code_of(&body)), (400, "invalid_threshold"), "{body}");
    let (status, body) = server
        .org(Method::GET, "/api/banks/no-such-bank/lint", None)
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = send(
        &server.client,
        Method::GET,
        &server.url("/api/banks/party-history/lint"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);

    // An unknown id in `excludes` is an import error with its line; nothing is imported.
    let (status, body) = import(&server, &link_bank("\"c-404\"")).await;
    assert_eq!(status, 422, "{body}");
    let details = body["error"]["details"].as_array().expect("details");
    assert_eq!(details.len(), 1, "{body}");
    assert_eq!(details[0]["file"], "cross.toml");
    assert_eq!(details[0]["line"], 37, "the line of c-003's `excludes`");
    assert!(
        details[0]["message"]
            .as_str()
            .expect("m")
            .contains("names `c-404`"),
        "{body}"
    );

    // Stored, the links survive export and silence the linter; the draw check counts c-001/c-002 once.
    let (status, body) = import(&server, &link_bank("")).await;
    assert_eq!(status, 200, "{body}");
    let report = server.org_ok(Method::GET, "/api/banks/cross/lint", None).await;
    assert_eq!(report["warnings"], json!([]), "{report}");
    assert_eq!(report["silenced_by_lint_ok"], 1, "{report}");
    let response = (server.client)
        .get(server.url("/api/banks/cross/export?format=native"))
        .bearer_auth(&server.organizer_token)
        .send()
        .await
        .expect("export");
    let text = response.text().await.expect("text");
    assert!(
        text.contains("excludes = [\"c-002\"]") && text.contains("lint_ok = [\"c-001\"]"),
        "{text}"
    );
    let round = |count: usize| {
        json!({"title": "必答", "kind": "live", "config": {
            "blueprint": {"quotas": [{"category": "党史", "count": count}]},
            "question_seconds": 30}})
    };
    let (status, body) = server
        .org(
            Method::POST,
            "/api/contests",
            Some(json!({"title": "Too many", "bank_ids": ["cross"], "rounds": [round(3)]})),
        )
        .await;
    assert_eq!((status, code_of(&body)), (422, "blueprint_unfillable"), "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("the banks have 3, but only 2 of them can share a paper"),
        "{message}"
    );

    // Across live rounds: whatever the first round draws, the second never draws its excluded partner (nor
    // repeats it while another question is left).
    let mut first_rounds = std::collections::BTreeSet::new();
    for seed in 1..=8 {
        let contest = server
            .org_ok(
                Method::POST,
                "/api/contests",
                Some(
                    json!({"title": format!("跨轮 {seed}"), "bank_ids": ["cross"], "seed": seed.to_string(),
                    "rounds": [round(1), round(1)]}),
                ),
            )
            .await;
        let id = contest["id"].as_i64().expect("id");
        let mut drawn = Vec::new();
        for _ in 0..2 {
            let state = server.control(id, json!({"action": "start_round"})).await;
            let questions = state["round_questions"].as_array().expect("round_questions");
            assert_eq!(questions.len(), 1, "{state}");
            drawn.push(
                questions[0]["question_id"]
                    .as_str()
                    .expect("question_id")
                    .to_string(),
            );
            server.control(id, json!({"action": "end_round"})).await;
        }
        assert_ne!(
            drawn[0], drawn[1],
            "seed {seed}: a repeat while another question was left"
        );
        assert!(
            drawn.iter().any(|id| id == "c-003"),
            "seed {seed}: c-001 and c-002 in one contest: {drawn:?}"
        );
        first_rounds.insert(drawn.swap_remove(0));
    }
    assert!(
        first_rounds.len() >= 2,
        "the seeds should vary the first draw: {first_rounds:?}"
    );
}

/// One question with the given extra lines, in a bank `v`.
fn one_file(extra: &str) -> String {
    format!(
        "[bank]\nid = \"v\"\ntitle = \"V\"\nlanguage = \"zh-CN\"\n\n[[questions]]\nid = \"v-001\"\ntype = \"true_false\"\n\
         category = \"c\"\ndifficulty = 1\nstem = \"遵义会议在1935年召开。\"\nanswer = true\nexplanation = \"是。\"\n\
         source = \"s\"\n{extra}\n\n[[questions]]\nid = \"v-002\"\ntype = \"true_false\"\ncategory = \"c\"\n\
         difficulty = 1\nstem = \"古田会议在1929年召开。\"\nanswer = true\nexplanation = \"是。\"\nsource = \"s\"\n"
    )
}

#[test]
fn link_fields_are_validated_where_they_are_written() {
    let errors = |extra: &str| -> Vec<String> {
        match jingsai::bank::load_texts(&[("v.toml".to_string(), one_file(extra))]) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    };
    assert_eq!(
        errors("excludes = [\"v-002\"]\ngroup = \"会议\"\nlint_ok = [\"v-002\"]"),
        Vec::<String>::new()
    );
    assert_eq!(
        errors("excludes = [\"v-001\"]"),
        ["v.toml:15: `excludes` names the question itself (`v-001`)"]
    );
    assert_eq!(
        errors("excludes = [\"v-002\", \"v-002\"]"),
        ["v.toml:15: `excludes` names `v-002` twice"]
    );
    assert_eq!(
        errors("lint_ok = [\" \"]"),
        ["v.toml:15: `lint_ok` has an empty id"]
    );
    assert_eq!(errors("group = \"  \""), ["v.toml:15: `group` is empty"]);
    assert_eq!(
        errors("lint_ok = [\"v-003\"]"),
        [
            "v.toml:15: `lint_ok` of question `v-001` names `v-003`, which is no question of bank `v` (it names \
          questions of the same bank; a bank split across files is checked and imported whole)"
        ]
    );
    let unknown = errors("excludes = 3");
    assert!(
        unknown[0].starts_with("v.toml:15: invalid `excludes`"),
        "{unknown:?}"
    );

    // Ids in another file of the same bank are found when the files are read together.
    let other = "[bank]\nid = \"v\"\ntitle = \"V\"\nlanguage = \"zh-CN\"\n\n[[questions]]\nid = \"v-003\"\n\
                 type = \"true_false\"\ncategory = \"c\"\ndifficulty = 1\nstem = \"洛川会议在1937年召开。\"\n\
                 answer = true\nexplanation = \"是。\"\nsource = \"s\"\nexcludes = [\"v-001\"]\n";
    let banks = jingsai::bank::load_texts(&[
        ("v.toml".to_string(), one_file("excludes = [\"v-003\"]")),
        ("w.toml".to_string(), other.to_string()),
    ])
    .expect("links across the files of one bank");
    assert_eq!(banks[0].questions.len(), 3);
    assert_eq!(banks[0].questions[0].excludes, ["v-003"]);

    // From a spreadsheet, the error names the sheet and row of the question.
    let mut bank = jingsai::bank::parse_native("v.toml", &one_file("excludes = [\"v-002\"]")).expect("valid");
    bank.questions[1].excludes = vec!["v-404".into()];
    let bytes = jingsai::bank::formats::export::to_xlsx(&bank).expect("xlsx");
    let errors =
        jingsai::bank::formats::load_bytes("v.xlsx", &bytes, &Default::default()).expect_err("unknown id");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].file.as_str(), errors[0].line), ("v.xlsx[题库]", 3));
    assert!(
        errors[0]
            .message
            .starts_with("`互斥题号` of question `v-002` names `v-404`"),
        "{errors:?}"
    );
}
