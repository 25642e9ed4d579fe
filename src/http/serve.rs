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

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

use crate::error::AppError;

mod limits;

use limits::{Limiter, Permit};
pub use limits::{Limits, capacity_for_file_limit, file_limit, raise_file_limit};

/// Idle connections may carry a request that was on its way when shutdown began: they get this long to send
/// it (it is answered with 503 `shutting_down`) before they are closed.
const DRAIN_IDLE_GRACE: Duration = Duration::from_secs(1);
/// Connections still open this long after shutdown began are cut, so the process exits within 5 s.
const DRAIN_DEADLINE: Duration = Duration::from_millis(3500);
/// Near the connection cap, a connection between requests for at least this long is closed to make room. A
/// client in the middle of a series of requests is left alone; one that finished (a phone that joined and moved
/// on to its WebSocket) is not.
const RECLAIM_MIN_IDLE: Duration = Duration::from_millis(50);

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
        let _ = tokio::time::timeout(Duration::from_millis(250), alive_rx.recv()).await;
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
    let limiter = permit.limiter();
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
            () = limiter.reclaim_requested() => {
                // Near the connection cap: an idle keep-alive connection makes room for a new one (the
                // client opens another when it needs one). Busy and upgraded connections are not affected.
                if activity.idle_for() >= RECLAIM_MIN_IDLE {
                    connection.as_mut().graceful_shutdown();
                }
            }
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

    /// How long the connection has been between requests (nothing in flight, no head started); zero if it
    /// is not.
    fn idle_for(&self) -> Duration {
        if self.in_flight.load(Ordering::Acquire) != 0 || self.head_since.load(Ordering::Acquire) != NO_HEAD {
            return Duration::ZERO;
        }
        Duration::from_millis(self.now().saturating_sub(self.last_io.load(Ordering::Relaxed)))
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
