//! Load generator: how fast are answers acknowledged (committed) when everyone answers at once?
//!
//! It starts the real server in-process on 127.0.0.1:0 with a fresh data dir, creates a live contest, joins N
//! participants over HTTP, opens one question and fires all N answers at once (bounded concurrency), measuring
//! each request's latency until its acknowledgement (which the server sends only after the commit). It runs the
//! same load with group commit (the default batch) and with one commit per answer, and prints both.
//!
//!     cargo run --release --example loadgen -- [participants] [concurrency] [repeats]
//!
//! All traffic goes to 127.0.0.1. See docs/benchmarks.md for the method and the figures.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

async fn post(client: &reqwest::Client, url: &str, token: Option<&str>, body: Value) -> Value {
    let mut request = client.post(url).json(&body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let value: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{url}: {status} {value}");
    value
}

struct Run {
    total: Duration,
    latencies_ms: Vec<f64>,
}

async fn one_run(participants: usize, concurrency: usize, answer_batch: usize) -> Run {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let mut settings = jingsai::config::Settings::new(data_dir.path().to_path_buf());
    settings.banks_dir = Some(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("question_banks"));
    settings.admin_password = Some("loadgen".into());
    settings.answer_batch = answer_batch;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    jingsai::server::start(settings, listener, async {
        let _ = stopped.await;
    })
    .await
    .expect("start");

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let org = post(
        &client,
        &format!("{base}/api/auth/login"),
        None,
        json!({"username": "admin", "password": "loadgen"}),
    )
    .await["token"]
        .as_str()
        .expect("token")
        .to_string();
    let contest = post(
        &client,
        &format!("{base}/api/contests"),
        Some(&org),
        json!({"title": "load", "bank_ids": ["party-history"], "rounds": [{"title": "r", "kind": "live", "config": {
            "blueprint": {"quotas": [{"type": "single", "count": 1}]},
            "question_seconds": 600, "close_when_all_answered": false}}]}),
    )
    .await;
    let id = contest["id"].as_i64().expect("id");
    let code = contest["join_code"].as_str().expect("code").to_string();
    let mut csv = String::from("name,badge,unit\n");
    for i in 0..participants {
        csv.push_str(&format!("p{i},{i},u{}\n", i % 8));
    }
    let response = client
        .post(format!("{base}/api/contests/{id}/roster"))
        .bearer_auth(&org)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("roster");
    assert!(response.status().is_success());
    let mut tokens = Vec::with_capacity(participants);
    for i in 0..participants {
        let joined = post(
            &client,
            &format!("{base}/api/join"),
            None,
            json!({"code": code, "badge": i.to_string()}),
        )
        .await;
        tokens.push(joined["token"].as_str().expect("token").to_string());
    }
    let control = format!("{base}/api/contests/{id}/control");
    let started = post(&client, &control, Some(&org), json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    post(&client, &control, Some(&org), json!({"action": "next"})).await;

    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
    let begin = Instant::now();
    let mut tasks = Vec::with_capacity(participants);
    for (i, token) in tokens.into_iter().enumerate() {
        let client = client.clone();
        let url = format!("{base}/api/answers");
        let permit = semaphore.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permit.acquire_owned().await.expect("permit");
            let sent = Instant::now();
            post(
                &client,
                &url,
                Some(&token),
                json!({"round_id": round_id, "index": 0, "choice": [i % 4]}),
            )
            .await;
            sent.elapsed().as_secs_f64() * 1000.0
        }));
    }
    let mut latencies_ms = Vec::with_capacity(participants);
    for task in tasks {
        latencies_ms.push(task.await.expect("task"));
    }
    let total = begin.elapsed();
    let _ = stop.send(());
    latencies_ms.sort_by(|a, b| a.total_cmp(b));
    Run { total, latencies_ms }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let participants = args.first().copied().unwrap_or(1000);
    let concurrency = args.get(1).copied().unwrap_or(128);
    let repeats = args.get(2).copied().unwrap_or(3);
    println!(
        "{participants} participants answering at once, {concurrency} requests in flight, {repeats} runs each\n"
    );
    println!("| commit mode | answers/s (median of runs) | latency p50 ms | p95 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut throughput_by_mode = Vec::new();
    for (label, batch) in [
        (
            "group commit (batch ≤ 512)",
            jingsai::store::writer::DEFAULT_MAX_BATCH,
        ),
        ("one commit per answer", 1),
    ] {
        let mut throughputs = Vec::new();
        let (mut p50, mut p95, mut p99) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..repeats {
            let run = one_run(participants, concurrency, batch).await;
            throughputs.push(participants as f64 / run.total.as_secs_f64());
            p50.push(percentile(&run.latencies_ms, 0.50));
            p95.push(percentile(&run.latencies_ms, 0.95));
            p99.push(percentile(&run.latencies_ms, 0.99));
        }
        let rate = median(&mut throughputs);
        throughput_by_mode.push(rate);
        println!(
            "| {label} | {rate:.0} | {:.1} | {:.1} | {:.1} |",
            median(&mut p50),
            median(&mut p95),
            median(&mut p99)
        );
    }
    println!(
        "\ngroup commit / per-answer commit throughput ratio: {:.2}",
        throughput_by_mode[0] / throughput_by_mode[1]
    );
}
