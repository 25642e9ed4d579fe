//! Bank formats end to end: the real binary's `bank template|check|import|export` (exit codes, printed counts,
//! every error with its sheet and row), the lossless xlsx round trip through the database, and the console's
//! upload endpoint and template download.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use reqwest::Method;
use serde_json::Value;

/// Run `jingsai ARGS…` with its data dir at DATA: (exit code, stdout, stderr).
fn jingsai(data: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_jingsai"))
        .env("JINGSAI_DATA_DIR", data)
        .args(args)
        .output()
        .expect("run jingsai");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A workbook with a 题库 sheet of these rows (row 1 is the header).
fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("题库").expect("name");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, *cell).expect("cell");
            }
        }
    }
    book.save_to_buffer().expect("xlsx")
}

const HEADER: &[&str] = &[
    "题型",
    "题干",
    "选项A",
    "选项B",
    "选项C",
    "答案",
    "解析",
    "分值",
    "难度",
    "知识点",
    "来源",
];

fn broken_workbook() -> Vec<u8> {
    workbook(&[
        HEADER,
        &[
            "单选", "好题", "甲", "乙", "丙", "A", "解析", "", "1", "分类", "来源",
        ],
        &["单选", "", "甲", "乙", "丙", "D", "解析", "", "1", "分类", "来源"],
        &[
            "问答", "题目", "", "", "", "随便", "解析", "", "1", "分类", "来源",
        ],
        &[
            "多选", "题目", "甲", "乙", "丙", "AB", "解析", "十分", "1", "分类", "来源",
        ],
    ])
}

#[test]
fn cli_template_check_import_export_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let file = |name: &str| dir.path().join(name);

    // The template: written, checked, and imported into a named bank only.
    let template = file("template.xlsx");
    let (code, out, err) = jingsai(&data, &["bank", "template", "-o", path_str(&template)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("4 example questions"), "{out}");
    let (code, out, err) = jingsai(&data, &["bank", "check", path_str(&template)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("4 question(s) in all"), "{out}");
    let (code, out, err) = jingsai(&data, &["bank", "import", path_str(&template)]);
    assert_eq!(code, 1, "no bank id: {out}{err}");
    assert!(out.contains("--bank NAME"), "{out}");
    assert!(err.contains("1 error(s); nothing was imported"), "{err}");
    let (code, out, err) = jingsai(&data, &["bank", "import", path_str(&template), "--bank", "demo"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 4 questions into 1 bank(s)"), "{out}");

    // The shipped banks (native, a directory) import as before; export them to xlsx and native TOML.
    let banks = repo_path("question_banks");
    let (code, out, err) = jingsai(&data, &["bank", "import", path_str(&banks)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 671 questions into 2 bank(s)"), "{out}");
    let xlsx = file("party.xlsx");
    let args = [
        "bank",
        "export",
        "party-history",
        "--format",
        "xlsx",
        "-o",
        path_str(&xlsx),
    ];
    let (code, out, err) = jingsai(&data, &args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("exported 641 questions of bank party-history"),
        "{out}"
    );
    let native = file("party.toml");
    let args = [
        "bank",
        "export",
        "party-history",
        "--format",
        "native",
        "-o",
        path_str(&native),
    ];
    let (code, out, err) = jingsai(&data, &args);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = jingsai(&data, &["bank", "check", path_str(&native)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("641 question(s) in all"), "{out}");

    // Lossless: the xlsx (which names its bank) imported into a fresh database exports the same native text.
    let fresh = dir.path().join("fresh");
    let (code, out, err) = jingsai(&fresh, &["bank", "import", path_str(&xlsx)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 641 questions into 1 bank(s)"), "{out}");
    let again = file("again.toml");
    let args = [
        "bank",
        "export",
        "party-history",
        "--format",
        "native",
        "-o",
        path_str(&again),
    ];
    assert_eq!(jingsai(&fresh, &args).0, 0);
    let (first, second) = (
        std::fs::read_to_string(&native).expect("native"),
        std::fs::read_to_string(&again).expect("again"),
    );
    assert!(first == second, "native -> xlsx -> native changed the bank");

    // An unknown bank is an error.
    let (code, _, err) = jingsai(
        &data,
        &[
            "bank",
            "export",
            "nope",
            "--format",
            "xlsx",
            "-o",
            path_str(&file("x.xlsx")),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("no bank `nope`"), "{err}");
}

#[test]
fn cli_reports_every_error_with_sheet_and_row_and_imports_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let bad = dir.path().join("bad.xlsx");
    std::fs::write(&bad, broken_workbook()).expect("write");
    let (code, out, err) = jingsai(&data, &["bank", "import", path_str(&bad), "--bank", "t"]);
    assert_eq!(code, 1, "{out}{err}");
    let sheet = format!("{}[题库]", bad.display());
    let expected = [
        format!("{sheet}:3: `题干` is empty"),
        format!("{sheet}:3: answer letter D names no option (there are 3)"),
        format!("{sheet}:4: unknown 题型 `问答`"),
        format!("{sheet}:5: 分值 `十分` is not a whole number"),
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{out}");
    for (line, want) in lines.iter().zip(&expected) {
        assert!(
            line.starts_with(want.as_str()),
            "`{line}` should start with `{want}`"
        );
    }
    assert!(err.contains("4 error(s); nothing was imported"), "{err}");
    assert!(!data.join("jingsai.db").exists(), "nothing was written");

    // CSV fixtures: the same report, rows counted as a spreadsheet shows them.
    let csv = repo_path("tests/fixtures/banks/formats/bad-many-errors.csv");
    let (code, out, err) = jingsai(&data, &["bank", "check", path_str(&csv), "--bank", "t"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(out.lines().count(), 11, "{out}");
    assert!(
        out.contains(&format!("{}:8: option B is empty", csv.display())),
        "{out}"
    );
    assert!(err.contains("11 error(s)"), "{err}");

    // --format overrides the extension.
    let gift = dir.path().join("quiz.dat");
    std::fs::copy(repo_path("tests/fixtures/banks/formats/good.gift"), &gift).expect("copy");
    let (code, out, _) = jingsai(&data, &["bank", "check", path_str(&gift), "--format", "gift"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("bank unnamed") && out.contains("6 question(s) in all"),
        "{out}"
    );
    let (code, _, err) = jingsai(&data, &["bank", "check", path_str(&gift), "--format", "docx"]);
    assert_eq!(code, 2, "clap rejects an unknown format: {err}");
}

async fn upload(server: &TestServer, query: &str, body: Vec<u8>) -> (u16, Value) {
    let response = server
        .client
        .post(server.url(&format!("/api/banks/import/file?{query}")))
        .bearer_auth(&server.organizer_token)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn console_imports_xlsx_and_reports_errors_with_sheet_and_row() {
    let server = TestServer::start().await;
    let banks_before = server.org_ok(Method::GET, "/api/banks", None).await;

    let (status, body) = upload(&server, "name=bad.xlsx&bank=t", broken_workbook()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("bank_invalid")),
        "{body}"
    );
    let details = body["error"]["details"].as_array().expect("details");
    let places: Vec<(String, u64)> = details
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let sheet = "bad.xlsx[题库]".to_string();
    assert_eq!(
        places,
        [
            (sheet.clone(), 3),
            (sheet.clone(), 3),
            (sheet.clone(), 4),
            (sheet, 5)
        ],
        "{body}"
    );
    assert_eq!(
        server.org_ok(Method::GET, "/api/banks", None).await,
        banks_before,
        "nothing imported"
    );

    // The template, downloaded by an organizer only, imports into the named bank.
    let anonymous = server
        .client
        .get(server.url("/api/banks/template.xlsx"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status().as_u16(), 401);
    let response = server
        .client
        .get(server.url("/api/banks/template.xlsx"))
        .bearer_auth(&server.organizer_token)
        .send()
        .await
        .expect("template");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("type")
        .to_string();
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    let template = response.bytes().await.expect("bytes").to_vec();
    assert!(template.starts_with(b"PK"), "an xlsx is a zip");

    let (status, body) = upload(&server, "name=template.xlsx", template.clone()).await;
    assert_eq!(status, 422, "no bank id: {body}");
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("bank"),
        "{body}"
    );
    let (status, body) = upload(&server, "name=template.xlsx&bank=demo", template).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["banks"][0].as_str(), body["questions"].as_u64()),
        (Some("demo"), Some(4))
    );
    let list = server.org_ok(Method::GET, "/api/questions?bank=demo", None).await;
    assert_eq!(list["total"].as_u64(), Some(4), "{list}");

    // Export from the console: the bank as xlsx imports back with the same questions; native TOML too.
    let export = |path: &str| {
        server
            .client
            .get(server.url(path))
            .bearer_auth(&server.organizer_token)
            .send()
    };
    let response = export("/api/banks/demo/export").await.expect("export");
    assert_eq!(response.status().as_u16(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("disposition")
        .to_string();
    assert!(disposition.contains("demo.xlsx"), "{disposition}");
    let exported = response.bytes().await.expect("bytes").to_vec();
    assert!(exported.starts_with(b"PK"), "an xlsx is a zip");
    let (status, body) = upload(&server, "name=demo.xlsx&bank=demo-again", exported).await;
    assert_eq!((status, body["questions"].as_u64()), (200, Some(4)), "{body}");
    let response = export("/api/banks/demo/export?format=native")
        .await
        .expect("native");
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.expect("text");
    assert!(text.contains("id = \"demo\""), "{text}");
    assert_eq!(
        export("/api/banks/nope/export")
            .await
            .expect("404")
            .status()
            .as_u16(),
        404
    );
    let response = export("/api/banks/demo/export?format=pdf").await.expect("400");
    assert_eq!(response.status().as_u16(), 400);
    let anonymous = server
        .client
        .get(server.url("/api/banks/demo/export"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status().as_u16(), 401);

    // Text formats go through the same endpoint.
    let aiken = std::fs::read(repo_path("tests/fixtures/banks/formats/good.aiken")).expect("aiken");
    let (status, body) = upload(&server, "name=quiz.txt&bank=quiz", aiken).await;
    assert_eq!((status, body["questions"].as_u64()), (200, Some(3)), "{body}");
    let (status, body) = upload(&server, "name=quiz.txt&bank=quiz&format=docx", b"x".to_vec()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_format")),
        "{body}"
    );
}
