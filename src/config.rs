//! Server settings, from flags and environment (see `main.rs` for the flag names).

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Holds `jingsai.db`, its WAL files and `jwt.secret`.
    pub data_dir: PathBuf,
    /// Banks imported on first start (when the database has none). `None` imports nothing.
    pub banks_dir: Option<PathBuf>,
    /// Set the `admin` password to this on every start; otherwise one is generated on first start.
    pub admin_password: Option<String>,
    pub organizer_token_ttl: Duration,
    pub participant_token_ttl: Duration,
    pub display_token_ttl: Duration,
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Largest bank or roster upload.
    pub max_upload_bytes: usize,
    /// Most answers committed together by the group-commit writer (1 = a commit per answer).
    pub answer_batch: usize,
    /// A client must send a complete request head within this time of connecting (or of starting its next
    /// request), or it is disconnected: half-open requests cannot pin file descriptors.
    pub header_timeout: Duration,
    /// An HTTP keep-alive connection with no request for this long is closed. Upgraded WebSockets are not
    /// affected (they have their own liveness rules).
    pub idle_timeout: Duration,
    /// The server must answer a WebSocket upgrade request within this time.
    pub ws_handshake_timeout: Duration,
    /// Most connections (HTTP and WebSocket) one client address may hold. A phone uses a handful; the load
    /// generator spreads over many 127.x addresses, so a generous default only stops a single hoarder.
    pub max_connections_per_ip: usize,
    /// Most connections in total. `None` derives it from the open-file limit, keeping a reserve of file
    /// descriptors for the database and logs.
    pub max_connections: Option<usize>,
    /// Failed joins (unknown join code, unknown badge, wrong secret) one client address may make per minute:
    /// this many at once, then refilled evenly. Also counts unknown codes looked up. 0: no limit.
    pub join_failures_per_ip: u32,
    /// Failed joins (unknown badge, wrong secret) per contest and minute from all addresses together: caps a
    /// scan spread over many addresses. 0: no limit.
    pub join_failures_per_contest: u32,
    /// The base URL phones use to reach this server when it is not one of the addresses it listens on (a
    /// reverse proxy, a DNS name): offered first for join links and QR codes. Normalized by
    /// [`parse_base_url`] (no trailing slash).
    pub public_url: Option<String>,
    /// `postgres://…`: the PostgreSQL database several instances can share (docs/deployment.md). `None`: the
    /// SQLite file in the data directory.
    pub database_url: Option<String>,
}

impl Settings {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            banks_dir: None,
            admin_password: None,
            organizer_token_ttl: Duration::from_secs(12 * 3600),
            participant_token_ttl: Duration::from_secs(24 * 3600),
            display_token_ttl: Duration::from_secs(7 * 24 * 3600),
            max_body_bytes: 64 * 1024,
            max_upload_bytes: 16 * 1024 * 1024,
            answer_batch: crate::store::writer::DEFAULT_MAX_BATCH,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            ws_handshake_timeout: Duration::from_secs(10),
            max_connections_per_ip: 2000,
            max_connections: None,
            join_failures_per_ip: 30,
            join_failures_per_contest: 120,
            public_url: None,
            database_url: None,
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("jingsai.db")
    }

    /// Open the configured database: PostgreSQL when a URL is set, else the SQLite file in the data directory.
    pub async fn open_store(&self) -> anyhow::Result<crate::store::Store> {
        match &self.database_url {
            Some(url) => crate::store::Store::connect(url).await,
            None => crate::store::Store::open(&self.database_path()).await,
        }
    }
}

/// Longest join base URL: the join link adds `/?c=` and a code of up to 32 characters, and the QR code endpoint
/// takes at most 256 characters.
pub const MAX_BASE_URL_CHARS: usize = 200;

/// A base URL for join links (`--public-url`, a contest's chosen join address): `http` or `https`, a host, an
/// optional port, nothing else (no path, query, fragment or user info: the web apps live at the root of their
/// origin). Returned as `scheme://host[:port]`, without a trailing slash.
pub fn parse_base_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_BASE_URL_CHARS {
        return Err(format!(
            "the address must have 1 to {MAX_BASE_URL_CHARS} characters"
        ));
    }
    let url = reqwest::Url::parse(text).map_err(|e| format!("not a URL ({e}): {text}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("the address must start with http:// or https://: {text}"));
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(format!("the address has no host: {text}"));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the address must not contain a user name or password: {text}"
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "the address must be just scheme, host and port (the apps live at the root): {text}"
        ));
    }
    Ok(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_base_url;

    #[test]
    fn base_urls_are_normalized_or_refused() {
        assert_eq!(
            parse_base_url("http://192.168.1.20:8080/").as_deref(),
            Ok("http://192.168.1.20:8080")
        );
        assert_eq!(
            parse_base_url(" https://Quiz.Example.org ").as_deref(),
            Ok("https://quiz.example.org")
        );
        assert_eq!(
            parse_base_url("https://quiz.example.org:443").as_deref(),
            Ok("https://quiz.example.org")
        );
        assert_eq!(
            parse_base_url("http://[fd00::5]:8080").as_deref(),
            Ok("http://[fd00::5]:8080")
        );
        for bad in [
            "",
            "quiz.example.org",
            "ftp://quiz.example.org",
            "javascript:alert(1)",
            "http://user:pw@quiz.example.org",
            "http://quiz.example.org/sub/",
            "http://quiz.example.org/?c=1",
            "http://quiz.example.org/#x",
            "http://",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad:?} must be refused");
        }
        let long = format!("http://{}.org", "a".repeat(200));
        assert!(parse_base_url(&long).is_err());
    }
}
