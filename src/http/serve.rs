//! The accept loop: HTTP/1.1 connections (with WebSocket upgrades) served by hyper under limits that keep
//! one client from exhausting the server's file descriptors, and a graceful drain on shutdown.
//!
//! - A connection must send a complete request head within `header_timeout` of connecting, or of sending
//!   the first byte of its next request; between requests it may stay idle for `idle_timeout`. A socket that
//!   upgraded to a WebSocket leaves this loop and is governed by the WebSocket code alone.
//! - Connections are counted per client address and in total. Excess ones are refused at accept with a short
//!   JSON error and closed. An address that already holds many connections cannot take the last slice of
//!   capacity, which stays free for light clients (a phone holds a handful).
//! - On shutdown: stop accepting, let requests in flight finish (their responses say `Connection: close`),
//!   answer requests that arrive on open connections with 503 `shutting_down`, close idle connections, and
//!   cut whatever is left after a deadline so the process exits within 5 s.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::{Instant, sleep_until};

use crate::config::Settings;
use crate::error::AppError;

/// Idle connections may carry a request that was on its way when shutdown began: they get this long to send
/// it (it is answered with 503 `shutting_down`) before they are closed.
const DRAIN_IDLE_GRACE: Duration = Duration::from_secs(1);
/// Connections still open this long after shutdown began are cut, so the process exits within 5 s.
const DRAIN_DEADLINE: Duration = Duration::from_secs(4);
/// An address holding at least this many connections is a heavy user: it may not take the capacity kept for
/// light clients. A browser opens up to six HTTP/1.1 connections per host plus its WebSocket.
const LIGHT_CLIENT: usize = 16;
/// Refusals are logged at most this often (with a count), so a flood cannot flood the log too.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// The connection limits in force.
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub ws_handshake_timeout: Duration,
    pub max_per_ip: usize,
    pub max_total: usize,
}

impl Limits {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            header_timeout: settings.header_timeout,
            idle_timeout: settings.idle_timeout,
            ws_handshake_timeout: settings.ws_handshake_timeout,
            max_per_ip: settings.max_connections_per_ip.max(1),
            max_total: settings
                .max_connections
                .unwrap_or_else(|| capacity_for_file_limit(file_limit()))
                .max(1),
        }
    }
}

/// Raise the soft open-file limit to the hard limit (the common soft default of 1,024 is far below what a
/// contest hall needs). Returns the soft limit in force afterwards.
pub fn raise_file_limit() -> u64 {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 && limit.rlim_cur < limit.rlim_max
        {
            // An unlimited hard limit is not a valid soft value on every kernel; try a large finite one then.
            for target in [limit.rlim_max, limit.rlim_max.min(1 << 20)] {
                let wanted = libc::rlimit {
                    rlim_cur: target,
                    rlim_max: limit.rlim_max,
                };
                // SAFETY: setrlimit only reads the struct we pass.
                if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) } == 0 {
                    break;
                }
            }
        }
    }
    file_limit()
}

/// The soft open-file limit of this process (a large number where there is none).
pub fn file_limit() -> u64 {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            #[allow(clippy::unnecessary_cast)]
            return limit.rlim_cur as u64;
        }
    }
    65_536
}

/// How many connections fit under an open-file limit: the rest is kept for the database (each pooled
/// connection holds the database, its WAL and shared memory), logs, uploads and the listener.
pub fn capacity_for_file_limit(limit: u64) -> usize {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(1 << 24);
    let reserve = (limit / 8).max(128);
    limit.saturating_sub(reserve).max(16)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serving,
    /// Shutdown began: no new requests, requests in flight finish.
    Draining,
    /// The drain deadline passed: close everything now.
    Closing,
}

/// Serve `router` on `listener` until `shutdown` resolves, then drain (see the module comment) and return.
pub async fn run(listener: TcpListener, router: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let limits = Arc::new(limits);
    let limiter = Arc::new(Limiter::new(&limits));
    let (phase_tx, phase_rx) = watch::channel(Phase::Serving);
    // Every connection task holds a sender; `recv` returns `None` once all of them have ended.
    let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
    let admit = |stream: TcpStream, peer: SocketAddr| match limiter.try_acquire(peer.ip()) {
        Ok(permit) => {
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve_connection(
                stream,
                peer,
                router.clone(),
                limits.clone(),
                permit,
                phase_rx.clone(),
                alive_tx.clone(),
            ));
        }
        Err(refusal) => limiter.refuse(stream, peer, refusal),
    };
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => admit(stream, peer),
                Err(e) => on_accept_error(e).await,
            },
        }
    }

    // Connections the kernel completed before we stopped would be reset when the listener closes: take them
    // and serve them like the others. The plain socket is read directly, so connections the reactor has not
    // reported yet are found too. The listener closes at the end of this block, before any response tells a
    // client to reconnect: from then on a new connection is refused, never reset.
    if let Ok(std_listener) = listener.into_std() {
        while let Ok((stream, peer)) = std_listener.accept() {
            if stream.set_nonblocking(true).is_ok()
                && let Ok(stream) = TcpStream::from_std(stream)
            {
                admit(stream, peer);
            }
        }
    }
    let _ = phase_tx.send(Phase::Draining);
    drop(alive_tx);
    if tokio::time::timeout(DRAIN_DEADLINE, alive_rx.recv())
        .await
        .is_err()
    {
        tracing::warn!("shutdown: cutting connections that did not finish in time");
        let _ = phase_tx.send(Phase::Closing);
        let _ = tokio::time::timeout(Duration::from_millis(500), alive_rx.recv()).await;
    }
}

async fn on_accept_error(e: io::Error) {
    let out_of_descriptors =
        matches!(e.raw_os_error(), Some(code) if code == libc::EMFILE || code == libc::ENFILE);
    if out_of_descriptors {
        // Something besides connections used up the descriptors; wait for some to close instead of spinning.
        tracing::warn!(error = %e, "accept: out of file descriptors");
        tokio::time::sleep(Duration::from_millis(100)).await;
    } else {
        tracing::debug!(error = %e, "accept failed");
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Arc<Limits>,
    permit: Permit,
    mut phase: watch::Receiver<Phase>,
    _alive: mpsc::Sender<()>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        stream,
        activity: activity.clone(),
        _permit: permit,
    });
    let service = {
        let (activity, phase, limits) = (activity.clone(), phase.clone(), limits.clone());
        hyper::service::service_fn(move |request| {
            handle(
                request,
                peer,
                router.clone(),
                activity.clone(),
                phase.clone(),
                limits.clone(),
            )
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // Our own timers below replace hyper's header timeout, which also runs while a connection is idle and so
    // cannot be combined with a longer keep-alive.
    builder.header_read_timeout(None);
    let mut connection = pin!(builder.serve_connection(io, service).with_upgrades());

    let mut drain_at =
        (*phase.borrow_and_update() != Phase::Serving).then(|| Instant::now() + DRAIN_IDLE_GRACE);
    loop {
        let deadline = activity.deadline(&limits);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            () = sleep_until(deadline) => {
                if activity.deadline(&limits) <= Instant::now() {
                    tracing::debug!(%peer, "closing a silent connection");
                    return;
                }
            }
            () = activity.changed.notified() => {}
            () = sleep_or_never(drain_at) => {
                drain_at = None;
                if activity.is_reading_head() {
                    // Silent, or still sending a request head: nothing was accepted from it.
                    return;
                }
                // Closes the connection now if it is idle, else after the response in progress.
                connection.as_mut().graceful_shutdown();
            }
            changed = phase.changed() => match changed.map(|()| *phase.borrow_and_update()) {
                Ok(Phase::Serving) => {}
                Ok(Phase::Draining) => drain_at = Some(Instant::now() + DRAIN_IDLE_GRACE),
                Ok(Phase::Closing) | Err(_) => return,
            },
        }
    }
}

async fn sleep_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// One request: the router with the client address attached, or a clear refusal while shutting down.
async fn handle(
    mut request: Request<Incoming>,
    peer: SocketAddr,
    mut router: Router,
    activity: Arc<Activity>,
    phase: watch::Receiver<Phase>,
    limits: Arc<Limits>,
) -> Result<Response<Body>, Infallible> {
    let _in_flight = InFlight::start(activity);
    if *phase.borrow() != Phase::Serving {
        let mut response = AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down; retry when it is back",
        )
        .into_response();
        close_after(&mut response);
        return Ok(response);
    }
    request.extensions_mut().insert(ConnectInfo(peer));
    let is_upgrade = request.headers().contains_key(header::UPGRADE);
    let call = tower_service::Service::call(&mut router, request.map(Body::new));
    let result = if is_upgrade {
        match tokio::time::timeout(limits.ws_handshake_timeout, call).await {
            Ok(result) => result,
            Err(_) => Ok(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "handshake_timeout",
                "the WebSocket handshake took too long; connect again",
            )
            .into_response()),
        }
    } else {
        call.await
    };
    let mut response = match result {
        Ok(response) => response,
        Err(never) => match never {},
    };
    if *phase.borrow() != Phase::Serving && response.status() != StatusCode::SWITCHING_PROTOCOLS {
        close_after(&mut response);
    }
    Ok(response)
}

fn close_after(response: &mut Response<Body>) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// What a connection is doing, for its timers. Times are milliseconds since the connection opened.
struct Activity {
    origin: Instant,
    /// The last byte read or written, or the end of the last request.
    last_io: AtomicU64,
    /// When the request head being read began ([`NO_HEAD`] when none is being read).
    head_since: AtomicU64,
    in_flight: AtomicUsize,
    changed: Notify,
}

const NO_HEAD: u64 = u64::MAX;

impl Activity {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            last_io: AtomicU64::new(0),
            // Connecting starts the first request: a silent connection is dropped after the header timeout.
            head_since: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            changed: Notify::new(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(NO_HEAD - 1)
    }

    fn on_read(&self) {
        let now = self.now();
        self.last_io.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0
            && self
                .head_since
                .compare_exchange(NO_HEAD, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            self.changed.notify_one();
        }
    }

    fn on_write(&self) {
        self.last_io.store(self.now(), Ordering::Relaxed);
    }

    fn is_reading_head(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0 && self.head_since.load(Ordering::Acquire) != NO_HEAD
    }

    /// When this connection is due to be closed if nothing happens before. A request in flight that reads
    /// and writes nothing for the idle timeout is cut too: a client that sends a head announcing a body and
    /// then falls silent must not hold its socket forever (handlers themselves answer within seconds).
    fn deadline(&self, limits: &Limits) -> Instant {
        let head = self.head_since.load(Ordering::Acquire);
        let (since, allowed) = if head == NO_HEAD || self.in_flight.load(Ordering::Acquire) > 0 {
            (self.last_io.load(Ordering::Relaxed), limits.idle_timeout)
        } else {
            (head, limits.header_timeout)
        };
        self.origin + Duration::from_millis(since) + allowed
    }
}

/// Marks a request as running (its head is complete) until dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.last_io.store(activity.now(), Ordering::Relaxed);
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.head_since.store(NO_HEAD, Ordering::Release);
        activity.changed.notify_one();
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.on_write();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_one();
    }
}

/// The socket, reporting its reads and writes to the connection's timers. It holds the connection's permit,
/// so the slot stays taken for as long as the socket lives, including after a WebSocket upgrade.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
    _permit: Permit,
}

impl AsyncRead for Tracked {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.on_read();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.on_write();
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.on_write();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[derive(Debug, Clone, Copy)]
enum Refusal {
    TooManyFromAddress,
    Full,
}

/// Counts connections per address and in total.
struct Limiter {
    max_per_ip: usize,
    max_total: usize,
    /// Heavy addresses stop here; the rest of `max_total` is for light clients.
    max_total_heavy: usize,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
    refused_since_log: u64,
    last_log: Option<Instant>,
}

impl Limiter {
    fn new(limits: &Limits) -> Self {
        Self {
            max_per_ip: limits.max_per_ip,
            max_total: limits.max_total,
            max_total_heavy: limits.max_total - limits.max_total / 10,
            counts: Mutex::new(Counts::default()),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Refusal> {
        let ip = ip.to_canonical();
        let mut counts = self.counts();
        let held = counts.per_ip.get(&ip).copied().unwrap_or(0);
        if held >= self.max_per_ip {
            return Err(Refusal::TooManyFromAddress);
        }
        let cap = if held >= LIGHT_CLIENT {
            self.max_total_heavy
        } else {
            self.max_total
        };
        if counts.total >= cap {
            return Err(Refusal::Full);
        }
        counts.total += 1;
        *counts.per_ip.entry(ip).or_insert(0) += 1;
        Ok(Permit {
            limiter: self.clone(),
            ip,
        })
    }

    /// Tell the client why, without waiting for it, and close.
    fn refuse(&self, stream: TcpStream, peer: SocketAddr, refusal: Refusal) {
        let (status, code, message) = match refusal {
            Refusal::TooManyFromAddress => (
                "429 Too Many Requests",
                "too_many_connections",
                "this address holds too many connections; close some and retry",
            ),
            Refusal::Full => (
                "503 Service Unavailable",
                "server_busy",
                "the server is at its connection limit; retry shortly",
            ),
        };
        let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.try_write(response.as_bytes());
        drop(stream);
        let mut counts = self.counts();
        counts.refused_since_log += 1;
        let now = Instant::now();
        if counts
            .last_log
            .is_none_or(|at| now.duration_since(at) >= REFUSAL_LOG_EVERY)
        {
            tracing::warn!(
                %peer,
                reason = code,
                refused = counts.refused_since_log,
                open = counts.total,
                "refusing connections"
            );
            counts.refused_since_log = 0;
            counts.last_log = Some(now);
        }
    }
}

/// One connection slot, released when the socket is dropped.
struct Permit {
    limiter: Arc<Limiter>,
    ip: IpAddr,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.limiter.counts();
        counts.total = counts.total.saturating_sub(1);
        if let Some(held) = counts.per_ip.get_mut(&self.ip) {
            *held -= 1;
            if *held == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max_per_ip: usize, max_total: usize) -> Arc<Limiter> {
        Arc::new(Limiter::new(&Limits {
            header_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(1),
            ws_handshake_timeout: Duration::from_secs(1),
            max_per_ip,
            max_total,
        }))
    }

    #[test]
    fn per_address_cap_and_release() {
        let limiter = limiter(2, 100);
        let a: IpAddr = "127.0.0.2".parse().expect("ip");
        let b: IpAddr = "127.0.0.3".parse().expect("ip");
        let first = limiter.try_acquire(a).expect("first");
        let _second = limiter.try_acquire(a).expect("second");
        assert!(matches!(limiter.try_acquire(a), Err(Refusal::TooManyFromAddress)));
        assert!(limiter.try_acquire(b).is_ok(), "another address is still served");
        drop(first);
        assert!(limiter.try_acquire(a).is_ok(), "a released slot is free again");
    }

    #[test]
    fn heavy_addresses_leave_room_for_light_clients() {
        let limiter = limiter(1000, 100);
        let heavy: IpAddr = "127.0.0.9".parse().expect("ip");
        let mut held = Vec::new();
        while let Ok(permit) = limiter.try_acquire(heavy) {
            held.push(permit);
        }
        assert_eq!(held.len(), 90, "a heavy address stops at 90% of capacity");
        let mut light = Vec::new();
        for i in 0..10u8 {
            light.push(
                limiter
                    .try_acquire(IpAddr::from([10, 0, 0, i]))
                    .expect("light client"),
            );
        }
        assert!(matches!(
            limiter.try_acquire(IpAddr::from([10, 0, 1, 1])),
            Err(Refusal::Full)
        ));
    }

    #[test]
    fn capacity_keeps_a_reserve() {
        assert_eq!(capacity_for_file_limit(1024), 896);
        assert_eq!(capacity_for_file_limit(20_000), 17_500);
        assert_eq!(capacity_for_file_limit(100), 16);
    }
}
