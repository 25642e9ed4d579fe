//! Sockets: source addresses, HTTP clients bound to them, WebSockets connected from them, and one JSON request
//! helper whose errors are short kinds for the report (`http_409:question_closed`, `timeout`, …).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub type Ws = WebSocketStream<TcpStream>;

/// Seconds after which every HTTP request, WebSocket handshake and WebSocket answer gives up (`--request-timeout-s`):
/// a phone does not wait forever, and the report counts it as a `timeout` error.
static REQUEST_TIMEOUT_S: AtomicU64 = AtomicU64::new(30);

pub fn set_request_timeout(seconds: u64) {
    REQUEST_TIMEOUT_S.store(seconds.max(1), Ordering::Relaxed);
}

pub fn request_timeout() -> Duration {
    Duration::from_secs(REQUEST_TIMEOUT_S.load(Ordering::Relaxed))
}

/// `127.0.0.1-127.0.0.8`, a list `127.0.0.1,127.0.0.2`, or a count `8` (127.0.0.1 upwards). Only loopback
/// addresses: load goes to 127.0.0.0/8 and nowhere else.
pub fn parse_source_ips(spec: &str) -> Result<Vec<IpAddr>, String> {
    let spec = spec.trim();
    let ips: Vec<Ipv4Addr> = if let Ok(count) = spec.parse::<u32>() {
        if count == 0 || count > 65_000 {
            return Err(format!("--source-ips {count}: give 1 to 65000 addresses"));
        }
        (0..count)
            .map(|k| Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 1)) + k))
            .collect()
    } else if let Some((a, b)) = spec.split_once('-') {
        let a: Ipv4Addr = a
            .trim()
            .parse()
            .map_err(|_| format!("--source-ips: bad address {a:?}"))?;
        let b: Ipv4Addr = b
            .trim()
            .parse()
            .map_err(|_| format!("--source-ips: bad address {b:?}"))?;
        let (a, b) = (u32::from(a), u32::from(b));
        if b < a || b - a >= 65_000 {
            return Err(format!("--source-ips {spec}: the range is empty or too long"));
        }
        (a..=b).map(Ipv4Addr::from).collect()
    } else {
        spec.split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .map_err(|_| format!("--source-ips: bad address {s:?}"))
            })
            .collect::<Result<_, _>>()?
    };
    if let Some(bad) = ips.iter().find(|ip| !ip.is_loopback()) {
        return Err(format!(
            "--source-ips: {bad} is not a loopback address (127.0.0.0/8)"
        ));
    }
    Ok(ips.into_iter().map(IpAddr::V4).collect())
}

/// One HTTP client per source address. Idle connections are capped so a burst of answers does not leave
/// thousands of open files behind.
pub fn http_client(local: Option<IpAddr>) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .local_address(local)
        .pool_max_idle_per_host(256)
        .timeout(request_timeout())
        .connect_timeout(request_timeout())
        .tcp_nodelay(true)
        .build()
        .map_err(|e| format!("http client: {e}"))
}

/// Send a JSON request. `Ok` for a 2xx with its body (JSON, or null); `Err(kind)` otherwise, where kind is
/// `http_STATUS:code` from the server's error body, `timeout`, or `connect`/`request`.
pub async fn request(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<Value, String> {
    let mut req = client.request(method, url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    let response = req.send().await.map_err(|e| transport_kind(&e))?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| transport_kind(&e))?;
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_success() {
        Ok(value)
    } else {
        let code = value["error"]["code"].as_str().unwrap_or("no_error_body");
        Err(format!("http_{}:{code}", status.as_u16()))
    }
}

fn transport_kind(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect".into()
    } else {
        "request".into()
    }
}

/// Small read buffers: a phone receives small frames, and the default (128 KiB per socket) would cost gigabytes
/// at 19,000 sockets. Larger messages (a snapshot) still arrive whole; the buffer only sets the read chunk.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(64 << 20))
}

/// Connect a WebSocket to `server` from `local` (bound before connecting, so each source address has its own
/// range of ephemeral ports). `url` is the full `ws://…/ws?token=…`.
pub async fn ws_connect(url: &str, server: SocketAddr, local: Option<IpAddr>) -> Result<Ws, String> {
    let attempt = async {
        let socket = if server.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }
        .map_err(|e| format!("ws_socket:{}", e.kind()))?;
        if let Some(ip) = local {
            socket
                .bind(SocketAddr::new(ip, 0))
                .map_err(|e| format!("ws_bind:{}", e.kind()))?;
        }
        let stream = socket
            .connect(server)
            .await
            .map_err(|e| format!("ws_connect:{}", e.kind()))?;
        let _ = stream.set_nodelay(true);
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(ws_config()))
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(r) => format!("ws_http_{}", r.status().as_u16()),
                _ => "ws_handshake".to_string(),
            })?;
        Ok(ws)
    };
    tokio::time::timeout(request_timeout(), attempt)
        .await
        .unwrap_or_else(|_| Err("ws_timeout".into()))
}

/// `http://host:port` → (the `ws://host:port` base, the server's socket address).
pub async fn resolve(base: &str) -> Result<(String, SocketAddr), String> {
    let url = reqwest::Url::parse(base).map_err(|e| format!("--url {base}: {e}"))?;
    if url.scheme() != "http" {
        return Err(format!("--url {base}: only http:// is supported"));
    }
    let host = url.host_str().ok_or_else(|| format!("--url {base}: no host"))?;
    let port = url.port_or_known_default().unwrap_or(80);
    let addr = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("--url {base}: {e}"))?
        .next()
        .ok_or_else(|| format!("--url {base}: no address"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "--url {base}: load goes only to 127.0.0.0/8 (or ::1), not {}",
            addr.ip()
        ));
    }
    Ok((format!("ws://{host}:{port}"), addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_ip_specs() {
        let ips = parse_source_ips("127.0.0.1-127.0.0.3").expect("range");
        assert_eq!(ips.len(), 3);
        assert_eq!(ips[2].to_string(), "127.0.0.3");
        assert_eq!(parse_source_ips("2").expect("count")[1].to_string(), "127.0.0.2");
        assert_eq!(parse_source_ips("127.0.0.5,127.0.0.9").expect("list").len(), 2);
        assert!(parse_source_ips("10.0.0.1").is_err());
        assert!(parse_source_ips("127.0.0.3-127.0.0.1").is_err());
    }
}
