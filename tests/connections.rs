//! Connection exhaustion and graceful shutdown: half-open requests are dropped, one address cannot hold
//! every connection, honest clients are served while hundreds of connections are held, and SIGTERM during
//! a burst of answers leaves no request without a response and no acknowledged answer lost.

mod common;

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::process::Process;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const HALF_HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: jingsai\r\n";

/// A TCP connection from a chosen loopback source address.
async fn connect_from(source: [u8; 4], server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::from((source, 0))).expect("bind source");
    socket.connect(server).await.expect("connect")
}

/// Read until the server closes the connection and return what it sent, or `None` if it was still open
/// after `limit`.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// An HTTP client whose connections come from `source`.
fn client_from(source: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(source))
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

fn server_addr(base: &str) -> SocketAddr {
    base.trim_start_matches("http://")
        .parse()
        .expect("server address")
}

#[tokio::test]
async fn half_open_request_is_dropped_after_the_header_timeout() {
    let server = TestServer::start_with(|s| {
        s.header_timeout = Duration::from_secs(1);
        s.idle_timeout = Duration::from_secs(60);
    })
    .await;
    let mut stream = connect_from([127, 0, 0, 1], server_addr(&server.base)).await;
    stream.write_all(HALF_HEAD).await.expect("write half a head");
    let received = read_until_closed(&mut stream, Duration::from_secs(20)).await;
    assert!(
        received.is_some(),
        "a connection that never finished its request head was still open after 20 s"
    );
    let (status, _) = send(&server.client, Method::GET, &server.url("/healthz"), None, None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let server = TestServer::start_with(|s| {
        s.header_timeout = Duration::from_secs(60);
        s.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let mut stream = connect_from([127, 0, 0, 1], server_addr(&server.base)).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: jingsai\r\n\r\n")
        .await
        .expect("write a request");
    let received = read_until_closed(&mut stream, Duration::from_secs(20))
        .await
        .expect("an idle keep-alive connection was still open after 20 s");
    let text = String::from_utf8_lossy(&received);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "the request was answered first: {text}"
    );
}

#[tokio::test]
async fn request_whose_body_never_comes_is_cut_after_the_idle_timeout() {
    let server = TestServer::start_with(|s| {
        s.header_timeout = Duration::from_secs(60);
        s.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let mut stream = connect_from([127, 0, 0, 1], server_addr(&server.base)).await;
    stream
        .write_all(b"POST /api/join HTTP/1.1\r\nHost: jingsai\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{")
        .await
        .expect("write a head and the start of a body");
    assert!(
        read_until_closed(&mut stream, Duration::from_secs(20))
            .await
            .is_some(),
        "a request whose body never arrived was still open after 20 s"
    );
}

#[tokio::test]
async fn websocket_is_not_cut_by_the_http_timeouts() {
    let server = TestServer::start_with(|s| {
        s.header_timeout = Duration::from_secs(1);
        s.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let contest = server
        .org_ok(
            Method::POST,
            "/api/contests",
            Some(json!({
                "title": "连接",
                "bank_ids": ["party-history"],
                "rounds": [{"title": "现场答题", "kind": "live", "config": {
                    "blueprint": {"quotas": [{"category": "新民主主义革命时期", "type": "single", "count": 1}]},
                    "question_seconds": 30
                }}]
            })),
        )
        .await;
    let contest_id = contest["id"].as_i64().expect("id");
    let socket = server.ws(&server.organizer_token, Some(contest_id)).await;
    socket.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    // Quiet for longer than both HTTP timeouts.
    tokio::time::sleep(Duration::from_secs(3)).await;
    socket.send(r#"{"type":"ping","client_time":7}"#);
    let pong = socket.wait_for("pong", |m| m["type"] == "pong").await;
    assert_eq!(pong["client_time"], 7);
    assert!(!socket.is_closed());
}

#[tokio::test]
async fn per_address_cap_refuses_the_excess_and_serves_other_addresses() {
    let server = TestServer::start_with(|s| {
        s.header_timeout = Duration::from_secs(120);
        s.max_connections_per_ip = 5;
    })
    .await;
    let addr = server_addr(&server.base);
    let mut held = Vec::new();
    for _ in 0..5 {
        let mut stream = connect_from([127, 0, 0, 3], addr).await;
        stream.write_all(HALF_HEAD).await.expect("write");
        held.push(stream);
    }
    let mut excess = connect_from([127, 0, 0, 3], addr).await;
    let received = read_until_closed(&mut excess, Duration::from_secs(20))
        .await
        .expect("the sixth connection from one address was kept open");
    let text = String::from_utf8_lossy(&received);
    assert!(
        text.is_empty() || (text.starts_with("HTTP/1.1 429") && text.contains("too_many_connections")),
        "a refused connection gets a clear error or none: {text}"
    );

    let other = client_from([127, 0, 0, 4]);
    let (status, body) = send(&other, Method::GET, &server.url("/healthz"), None, None).await;
    assert_eq!(status, 200, "{body}");

    // A released slot is free again.
    drop(held.pop());
    let same = client_from([127, 0, 0, 3]);
    let url = server.url("/healthz");
    eventually("a slot for 127.0.0.3 again", async || {
        let response = same.get(&url).send().await.ok()?;
        (response.status() == 200).then_some(())
    })
    .await;
}

/// Near the connection cap, idle keep-alive connections are closed to make room: phones that joined over HTTP
/// would otherwise hold their join connection for the whole idle timeout while they open their WebSocket, and
/// a hall of them would fill the cap with idle sockets. Connections in the middle of a request are kept.
#[tokio::test]
async fn idle_keep_alive_connections_make_room_near_the_cap() {
    let server = TestServer::start_with(|s| {
        s.header_timeout = Duration::from_secs(120);
        s.idle_timeout = Duration::from_secs(120);
        s.max_connections = Some(50);
    })
    .await;
    let addr = server_addr(&server.base);
    // Five connections in the middle of a request head: never reclaimed.
    let mut busy = Vec::new();
    for i in 0..5u8 {
        let mut stream = connect_from([127, 0, 1, i + 1], addr).await;
        stream.write_all(HALF_HEAD).await.expect("write half a head");
        busy.push(stream);
    }
    // Then 120 clients in three waves, each answered once and left idle on its keep-alive connection: more
    // than twice the cap. Connections idle for 50 ms are reclaimed, so a wave finds room.
    let mut idle = Vec::new();
    for i in 0..120u8 {
        if i % 40 == 0 && i > 0 {
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        let mut stream = connect_from([127, 0, 2, i + 1], addr).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: jingsai\r\n\r\n")
            .await
            .expect("write a request");
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("an answer within 20 s")
            .expect("read");
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(
            text.starts_with("HTTP/1.1 200"),
            "client {i} was refused although idle connections could have made room: {text}"
        );
        idle.push(stream);
    }
    // The busy ones are still open: writing the rest of the head gets them their answer.
    for (i, stream) in busy.iter_mut().enumerate() {
        stream.write_all(b"\r\n").await.expect("finish the head");
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("an answer within 20 s")
            .expect("read");
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(
            text.starts_with("HTTP/1.1 200"),
            "busy connection {i} was cut instead of served: {text}"
        );
    }
}

/// A request that arrives on an open keep-alive connection after shutdown began gets a clear 503 and the
/// connection is closed, instead of the request vanishing.
#[tokio::test]
async fn request_on_an_idle_connection_during_shutdown_gets_a_clear_refusal() {
    let mut server = TestServer::start().await;
    let mut stream = connect_from([127, 0, 0, 1], server_addr(&server.base)).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: jingsai\r\n\r\n";
    stream.write_all(request).await.expect("first request");
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.expect("first response");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));

    server.stop().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    stream.write_all(request).await.expect("second request");
    let received = read_until_closed(&mut stream, Duration::from_secs(10))
        .await
        .expect("the connection is closed after the refusal");
    let text = String::from_utf8_lossy(&received).to_lowercase();
    assert!(text.starts_with("http/1.1 503"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    assert!(text.contains("shutting_down"), "{text}");
}

async fn created(client: &reqwest::Client, base: &str, org: &str, body: Value) -> (i64, String) {
    let (status, contest) = send(
        client,
        Method::POST,
        &format!("{base}/api/contests"),
        Some(org),
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{contest}");
    (
        contest["id"].as_i64().expect("id"),
        contest["join_code"].as_str().expect("code").to_string(),
    )
}

async fn import_roster(client: &reqwest::Client, base: &str, org: &str, contest_id: i64, n: usize) {
    let response = client
        .post(format!("{base}/api/contests/{contest_id}/roster"))
        .bearer_auth(org)
        .header("content-type", "text/csv")
        .body(roster_csv(n, 2))
        .send()
        .await
        .expect("roster");
    assert_eq!(response.status(), 200);
}

async fn join(client: &reqwest::Client, base: &str, code: &str, i: usize) -> String {
    let (status, body) = send(
        client,
        Method::POST,
        &format!("{base}/api/join"),
        None,
        Some(json!({"code": code, "badge": badge(i)})),
    )
    .await;
    assert_eq!(status, 200, "join {i}: {body}");
    body["token"].as_str().expect("token").to_string()
}

async fn control(client: &reqwest::Client, base: &str, org: &str, contest_id: i64, action: Value) -> Value {
    let (status, body) = send(
        client,
        Method::POST,
        &format!("{base}/api/contests/{contest_id}/control"),
        Some(org),
        Some(action),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// At the common 1,024 open-file limit, one address holding a thousand half-open connections used to make
/// the server refuse everyone (accept failed with "too many open files"). Now the hoarder is capped below
/// the capacity kept for light clients, and health checks, organizer login, join and answers keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_clients_are_served_while_a_thousand_connections_are_held() {
    // The test itself holds a thousand sockets too.
    jingsai::http::serve::raise_file_limit();
    let data_dir = common::process::DataDir::new();
    // A long header timeout: the caps, not the timeout, must keep the server usable.
    let process = Process::spawn_with(data_dir.path(), Some(1024), &["--header-timeout", "300"]);
    let base = process.base.clone();
    let client = reqwest::Client::new();
    let org = login(&client, &base).await;
    let (contest_id, code) = created(
        &client,
        &base,
        &org,
        json!({
            "title": "满载",
            "bank_ids": ["party-history"],
            "rounds": [{"title": "现场答题", "kind": "live", "config": {
                "blueprint": {"quotas": [{"category": "新民主主义革命时期", "type": "single", "count": 2}]},
                "question_seconds": 300,
                "close_when_all_answered": false
            }}]
        }),
    )
    .await;
    import_roster(&client, &base, &org, contest_id, 4).await;
    let started = control(&client, &base, &org, contest_id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    control(&client, &base, &org, contest_id, json!({"action": "next"})).await;

    let addr = server_addr(&base);
    let mut hoard = Vec::new();
    for _ in 0..1000 {
        let mut stream = connect_from([127, 0, 0, 1], addr).await;
        // A refused connection may already be closed: ignore write errors.
        let _ = stream.write_all(HALF_HEAD).await;
        hoard.push(stream);
    }

    let honest = client_from([127, 0, 0, 2]);
    let (status, body) = send(&honest, Method::GET, &format!("{base}/healthz"), None, None).await;
    assert_eq!(status, 200, "health: {body}");
    let org2 = login(&honest, &base).await;
    assert!(!org2.is_empty());
    let token = join(&client_from([127, 0, 0, 3]), &base, &code, 0).await;
    let phone = client_from([127, 0, 0, 4]);
    let (status, ack) = send(
        &phone,
        Method::POST,
        &format!("{base}/api/answers"),
        Some(&token),
        Some(json!({"round_id": round_id, "index": 0, "choice": [0]})),
    )
    .await;
    assert_eq!(status, 200, "answer: {ack}");
    assert_eq!(ack["duplicate"], false);

    // The hoarder got many connections, and the excess was refused rather than left hanging.
    let (mut held, mut refused) = (0, 0);
    for stream in &hoard {
        let mut buf = [0u8; 512];
        match stream.try_read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => held += 1,
            _ => refused += 1,
        }
    }
    eprintln!("hoard of 1000 at a 1,024 file limit: {held} held, {refused} refused at accept");
    assert!(held >= 500, "only {held} connections were held");
    assert!(refused >= 100, "only {refused} connections were refused");
}

const EXAM_QUOTAS: &str = r#"[
    {"category": "新民主主义革命时期", "type": "single", "count": 3},
    {"category": "社会主义革命和建设时期", "type": "single", "count": 3},
    {"category": "中国特色社会主义新时代", "type": "true_false", "count": 2},
    {"category": "人民公安史", "type": "multiple", "count": 2}
]"#;

/// How one burst worker stopped.
#[derive(Debug, PartialEq)]
enum Ended {
    /// A 503 `shutting_down`: the server said why.
    ShuttingDown,
    /// The connection was refused: the request was never accepted.
    Refused,
}

/// SIGTERM in the middle of a burst of answers: every request gets a response or is never accepted, every
/// acknowledged answer is in the database after a restart, and the process exits promptly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_answers_or_refuses_every_request() {
    const PEOPLE: usize = 40;
    let data_dir = common::process::DataDir::new();
    let mut process = Process::spawn_with(data_dir.path(), None, &[]);
    let base = process.base.clone();
    let client = reqwest::Client::new();
    let org = login(&client, &base).await;
    let quotas: Value = serde_json::from_str(EXAM_QUOTAS).expect("quotas");
    let (contest_id, code) = created(
        &client,
        &base,
        &org,
        json!({
            "title": "停机",
            "bank_ids": ["party-history"],
            "rounds": [{"title": "笔试", "kind": "exam", "config": {
                "blueprint": {"quotas": quotas},
                "time_limit_seconds": 1800
            }}]
        }),
    )
    .await;
    import_roster(&client, &base, &org, contest_id, PEOPLE).await;
    let mut tokens = Vec::new();
    for i in 0..PEOPLE {
        tokens.push(join(&client, &base, &code, i).await);
    }
    let started = control(&client, &base, &org, contest_id, json!({"action": "start_round"})).await;
    let round_id = started["round"]["id"].as_i64().expect("round");
    let mut choices = Vec::new();
    for token in &tokens {
        let (status, paper) = send(
            &client,
            Method::POST,
            &format!("{base}/api/exam/start"),
            Some(token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{paper}");
        let per_question: Vec<Value> = paper["questions"]
            .as_array()
            .expect("questions")
            .iter()
            .map(|q| {
                if q["question"]["type"] == "multiple" {
                    json!([0, 1])
                } else {
                    json!([0])
                }
            })
            .collect();
        choices.push(per_question);
    }

    // Neither a live WebSocket nor a client stuck halfway through a request head holds the shutdown up.
    let ws_base = base.replacen("http://", "ws://", 1);
    let socket = Capture::connect(&format!("{ws_base}/ws?token={org}&contest={contest_id}")).await;
    socket.wait_for("snapshot", |m| m["type"] == "snapshot").await;
    let mut stuck = connect_from([127, 0, 0, 5], server_addr(&base)).await;
    stuck.write_all(HALF_HEAD).await.expect("write");
    // A client that asks for a lot and never reads: its responses cannot be delivered.
    let mut deaf = {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("small receive buffer");
        socket.bind(SocketAddr::from(([127, 0, 0, 6], 0))).expect("bind");
        socket.connect(server_addr(&base)).await.expect("connect")
    };
    let pipelined = b"GET /api/openapi.json HTTP/1.1\r\nHost: jingsai\r\n\r\n".repeat(400);
    deaf.write_all(&pipelined).await.expect("pipelined requests");
    // Give the server time to fill the socket buffers and get stuck writing (this only makes the case
    // more likely; nothing below depends on it).
    tokio::time::sleep(Duration::from_secs(2)).await;

    let acked: Arc<Mutex<BTreeSet<(usize, usize)>>> = Arc::default();
    let ack_count = Arc::new(AtomicUsize::new(0));
    let cut: Arc<Mutex<Vec<String>>> = Arc::default();
    let go = Arc::new(tokio::sync::Barrier::new(PEOPLE + 1));
    let mut workers = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let (token, questions) = (token.clone(), choices[i].clone());
        let (base, acked, ack_count, cut, go) = (
            base.clone(),
            acked.clone(),
            ack_count.clone(),
            cut.clone(),
            go.clone(),
        );
        workers.push(tokio::spawn(async move {
            // Each phone has its own connection, open before the burst.
            let phone = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client");
            let warm = phone
                .get(format!("{base}/healthz"))
                .send()
                .await
                .expect("warm up");
            assert_eq!(warm.status(), 200);
            go.wait().await;
            for round in 0..5000 {
                let index = round % questions.len();
                let body = json!({"round_id": round_id, "index": index, "choice": questions[index]});
                let result = phone
                    .post(format!("{base}/api/answers"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                let response = match result {
                    Ok(response) => response,
                    Err(e) if e.is_connect() => return Some(Ended::Refused),
                    Err(e) => {
                        cut.lock().unwrap().push(format!("participant {i}: {e:?}"));
                        return None;
                    }
                };
                let status = response.status().as_u16();
                let reply: Value = match response.json().await {
                    Ok(reply) => reply,
                    Err(e) => {
                        cut.lock()
                            .unwrap()
                            .push(format!("participant {i}: body of {status} cut: {e:?}"));
                        return None;
                    }
                };
                if status == 200 {
                    acked.lock().unwrap().insert((i, index));
                    ack_count.fetch_add(1, Ordering::SeqCst);
                } else if reply["error"]["code"] == "shutting_down" {
                    return Some(Ended::ShuttingDown);
                } else {
                    assert!(
                        reply["error"]["code"].is_string(),
                        "an unclear error: {status} {reply}"
                    );
                }
            }
            None
        }));
    }
    go.wait().await;
    eventually("a hundred acknowledged answers", async || {
        (ack_count.load(Ordering::SeqCst) >= 100).then_some(())
    })
    .await;
    let pid = i32::try_from(process.child.id()).expect("pid");
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let signalled = std::time::Instant::now();
    let status = loop {
        if let Some(status) = process.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "the server was still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let exit_after = signalled.elapsed();
    eventually("the WebSocket closed", async || socket.is_closed().then_some(())).await;
    assert!(
        read_until_closed(&mut stuck, Duration::from_secs(5))
            .await
            .is_some(),
        "the half-open connection is closed"
    );

    let mut endings = Vec::new();
    for worker in workers {
        endings.push(worker.await.expect("worker"));
    }
    let cut = cut.lock().unwrap().clone();
    assert!(cut.is_empty(), "requests cut without a response: {cut:#?}");
    assert!(
        endings.iter().all(Option::is_some),
        "every phone stopped on a clear refusal: {endings:?}"
    );
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 100);
    let refused = endings.iter().filter(|e| **e == Some(Ended::Refused)).count();
    eprintln!(
        "SIGTERM mid-burst: exited after {exit_after:?}; {} requests acknowledged ({} distinct answers); \
         {} phones told shutting_down, {refused} refused at connect; 0 cut",
        ack_count.load(Ordering::SeqCst),
        acked.len(),
        PEOPLE - refused,
    );

    let second = Process::spawn_with(data_dir.path(), None, &[]);
    for (i, token) in tokens.iter().enumerate() {
        let (status, paper) = send(
            &client,
            Method::POST,
            &format!("{}/api/exam/start", second.base),
            Some(token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{paper}");
        let stored: BTreeSet<usize> = paper["answers"]
            .as_array()
            .expect("answers")
            .iter()
            .filter_map(|a| a["index"].as_u64().map(|i| i as usize))
            .collect();
        for (_, index) in acked.iter().filter(|(who, _)| *who == i) {
            assert!(
                stored.contains(index),
                "participant {i}: acknowledged answer {index} lost after SIGTERM"
            );
        }
    }
}
