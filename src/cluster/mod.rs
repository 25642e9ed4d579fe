//! Several `jingsai serve` instances sharing one PostgreSQL database.
//!
//! - **Ownership.** Exactly one instance runs each contest's actor (its state, its timers): the one holding the
//!   contest's PostgreSQL advisory lock, taken on a connection of its own ([`Cluster::try_own`]). PostgreSQL
//!   releases the lock when that connection ends, so when the owner dies (even by `kill -9`) the lock is free at
//!   once; every other instance that has the contest loaded tries to take it twice a second, and the first to get
//!   it loads the contest from the store, as after a restart (deadlines, answers, everything committed), and runs
//!   it from then on.
//! - **Commands.** An instance that does not own a contest sends its commands (an answer, a snapshot, an
//!   organizer action) as NOTIFY on the contest's channel `jingsai_c<id>`, which only the owner LISTENs to; the
//!   owner hands them to the actor in arrival order and replies on the sender's channel `jingsai_i<instance>`.
//!   An answer is acknowledged only after the owner committed it, as on one instance.
//! - **Events.** What a hub publishes goes to every instance on `jingsai_ev` and is delivered to their sockets
//!   in order; personal frames go only to the instance the participant is connected to.
//! - **Large payloads** (over 7,900 bytes, the NOTIFY limit is 8,000) are written to `cluster_blobs` and the
//!   notification carries their id. Notifications are sent in batches, one statement per batch.
//! - **Gaps.** When the listener's connection drops, notifications sent meanwhile are lost: after it reconnects,
//!   every socket of this instance gets a fresh snapshot and the owners learn again who is connected here.

mod outbox;
mod wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use tokio::sync::{mpsc, oneshot, watch};

use crate::contest::{ContestHandle, Engine, Request};
use crate::error::{AppError, AppResult};
use crate::realtime::{Relay, RelayEvent};
use wire::{Envelope, WireEvent};

/// The channel every instance listens to for broadcast events.
const EVENTS: &str = "jingsai_ev";
/// How long an instance waits for the owner's reply before the request fails (503; the client retries). A reply
/// from a busy owner comes late but comes; an owner that died is noticed by the takeover, which fails the
/// requests waiting on it at once, so this only bounds the unexpected.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How often an instance tries to take over the contests it follows (and checks its own locks).
const TAKEOVER_EVERY: Duration = Duration::from_millis(500);
/// The advisory-lock namespace of contest ownership (the first key of the two-key lock; the second is the id).
const LOCK_NAMESPACE: i32 = 0x6a73;

/// A request waiting for its reply: its contest, and who waits.
type Waiting = (i64, oneshot::Sender<AppResult<Value>>);

/// This instance's part in a cluster. See the module documentation.
pub struct Cluster {
    instance: u64,
    pool: PgPool,
    options: PgConnectOptions,
    /// The connection that holds this instance's contest locks.
    locks: tokio::sync::Mutex<PgConnection>,
    outbox: mpsc::UnboundedSender<(String, String)>,
    /// Requests waiting for their reply: the contest and who waits.
    pending: Mutex<HashMap<u64, Waiting>>,
    next_request: AtomicU64,
    /// Per contest loaded here: the queue of its incoming events, delivered in order.
    deliveries: Mutex<HashMap<i64, mpsc::UnboundedSender<String>>>,
    engine: OnceLock<Engine>,
    shutdown: watch::Receiver<bool>,
}

/// The other instances' way to a contest's owner (`crate::contest::Route::Remote`).
pub type Link = Cluster;

impl Cluster {
    /// Join the cluster of the database at `url`: start the listener, the sender and the takeover loop.
    pub async fn start(
        url: &str,
        engine: Engine,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<Arc<Self>> {
        let options: PgConnectOptions = url.parse()?;
        // The sender and blob reads (the listeners have connections of their own): a few connections per
        // instance, so six instances stay well inside PostgreSQL's default 100.
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // Notifications and blobs are not data: no need to wait for the disk at their commits.
                    sqlx::query("SET synchronous_commit = off").execute(conn).await?;
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        let locks = PgConnection::connect_with(&options).await?;
        let (outbox, outgoing) = mpsc::unbounded_channel();
        let cluster = Arc::new(Self {
            instance: rand::random::<u64>() >> 1,
            pool: pool.clone(),
            options: options.clone(),
            locks: tokio::sync::Mutex::new(locks),
            outbox,
            pending: Mutex::new(HashMap::new()),
            next_request: AtomicU64::new(1),
            deliveries: Mutex::new(HashMap::new()),
            engine: OnceLock::new(),
            shutdown,
        });
        let _ = cluster.engine.set(engine.clone());
        let listening = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options.clone());
        let mut listener = PgListener::connect_with(&listening).await?;
        listener.listen(EVENTS).await?;
        listener
            .listen(&cluster.instance_channel(cluster.instance))
            .await?;
        tokio::spawn(outbox::send_outbox(pool, outgoing, cluster.shutdown.clone()));
        tokio::spawn(cluster.clone().listen(listener));
        tokio::spawn(cluster.clone().take_over());
        tokio::spawn(cluster.clone().sweep_blobs());
        engine.join_cluster(cluster.clone());
        tracing::info!(
            instance = cluster.instance,
            "joined the instances sharing this database"
        );
        Ok(cluster)
    }

    pub fn instance(&self) -> u64 {
        self.instance
    }

    fn instance_channel(&self, instance: u64) -> String {
        format!("jingsai_i{instance:x}")
    }

    fn contest_channel(contest_id: i64) -> String {
        format!("jingsai_c{contest_id}")
    }

    /// Take the contest's lock if it is free. `true`: this instance owns the contest from now on.
    pub async fn try_own(&self, contest_id: i64) -> sqlx::Result<bool> {
        let mut conn = self.locks.lock().await;
        let owned = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(LOCK_NAMESPACE)
            .bind(contest_id as i32)
            .fetch_one(&mut *conn)
            .await?;
        tracing::debug!(
            contest_id,
            owned,
            instance = self.instance,
            "tried the contest lock"
        );
        Ok(owned)
    }

    /// This instance runs the contest now: serve the other instances' requests for it, and tell them.
    pub(crate) fn owning(self: &Arc<Self>, handle: ContestHandle) {
        let contest_id = handle.contest_id();
        tokio::spawn(self.clone().serve_requests(handle));
        self.send_event(contest_id, &WireEvent::Owner);
    }

    /// The hub relay of a contest loaded here.
    pub fn relay(self: &Arc<Self>, contest_id: i64) -> Arc<dyn Relay> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(contest_id, tx);
        tokio::spawn(self.clone().deliver(contest_id, rx));
        Arc::new(ContestRelay {
            cluster: self.clone(),
            contest_id,
        })
    }

    fn post(&self, channel: String, contest_id: i64, body: &Envelope) {
        match serde_json::to_string(body) {
            Ok(json) => {
                let _ = self
                    .outbox
                    .send((channel, format!("{}|{contest_id}|{json}", self.instance)));
            }
            Err(e) => tracing::error!(error = %e, "cannot encode a message for the other instances"),
        }
    }

    fn send_event(&self, contest_id: i64, event: &WireEvent) {
        self.post(EVENTS.to_owned(), contest_id, &Envelope::Event(event.clone()));
    }

    /// Send a request to the contest's owner now (in the caller's order); the future waits for the reply.
    pub fn send(
        self: &Arc<Self>,
        contest_id: i64,
        request: Request,
    ) -> impl Future<Output = AppResult<Value>> + Send + use<> {
        let id = self.next_request.fetch_add(1, Ordering::Relaxed);
        let (reply, wait) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, (contest_id, reply));
        self.post(
            Self::contest_channel(contest_id),
            contest_id,
            &Envelope::Request { id, request },
        );
        let cluster = self.clone();
        async move {
            let outcome = tokio::time::timeout(REQUEST_TIMEOUT, wait).await;
            cluster
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            match outcome {
                Ok(Ok(result)) => result,
                _ => Err(AppError::unavailable(
                    "the server instance running this contest did not answer in time; try again",
                )),
            }
        }
    }

    /// A request and its reply.
    pub async fn request(self: &Arc<Self>, contest_id: i64, request: Request) -> AppResult<Value> {
        self.send(contest_id, request).await
    }

    /// A request whose reply nobody waits for.
    pub fn tell(&self, contest_id: i64, request: Request) {
        self.post(
            Self::contest_channel(contest_id),
            contest_id,
            &Envelope::Request { id: 0, request },
        );
    }

    /// The listener: replies, events and personal frames for this instance.
    async fn listen(self: Arc<Self>, mut listener: PgListener) {
        let mut shutdown = self.shutdown.clone();
        loop {
            let next = tokio::select! {
                _ = shutdown.changed() => return,
                next = listener.try_recv() => next,
            };
            match next {
                Ok(Some(notification)) => self.dispatch(notification.payload()),
                Ok(None) => {
                    tracing::warn!(
                        "the cluster listener reconnected; resynchronizing every socket of this instance"
                    );
                    self.resynchronize().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the cluster listener failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }

    fn dispatch(self: &Arc<Self>, payload: &str) {
        let Some((from, contest_id, body)) = split(payload) else {
            return;
        };
        if from == self.instance {
            return;
        }
        if contest_id == 0 {
            // A reply to one of this instance's requests.
            let cluster = self.clone();
            let body = body.to_owned();
            tokio::spawn(async move {
                if let Ok(Envelope::Reply { id, result }) = cluster.open(0, &body).await {
                    let waiting = cluster
                        .pending
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&id);
                    if let Some((_, waiting)) = waiting {
                        let _ = waiting.send(result.map_err(wire::WireError::into_app));
                    }
                }
            });
            return;
        }
        let deliveries = self.deliveries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(queue) = deliveries.get(&contest_id) {
            let _ = queue.send(body.to_owned());
        }
    }

    /// A message body: inline JSON, or `@id` of a blob.
    async fn open(&self, contest_id: i64, body: &str) -> anyhow::Result<Envelope> {
        let text = match body.strip_prefix('@') {
            Some(id) => {
                let id: i64 = id.parse()?;
                sqlx::query_scalar::<_, String>("SELECT body FROM cluster_blobs WHERE id = $1")
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?
            }
            None => body.to_owned(),
        };
        let envelope = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("a message of contest {contest_id} is not readable: {e}"))?;
        Ok(envelope)
    }

    /// Deliver a contest's events to its sockets here, in the order they were sent.
    async fn deliver(self: Arc<Self>, contest_id: i64, mut queue: mpsc::UnboundedReceiver<String>) {
        while let Some(body) = queue.recv().await {
            let event = match self.open(contest_id, &body).await {
                Ok(Envelope::Event(event)) => event,
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, contest_id, "an event from another instance was lost; resynchronizing");
                    self.resync_contest(contest_id).await;
                    continue;
                }
            };
            let Some(engine) = self.engine.get() else {
                continue;
            };
            let Some(handle) = engine.loaded_contest(contest_id).await else {
                continue;
            };
            match event {
                WireEvent::Owner => {
                    // Another instance took the contest over: it must learn who is connected here, and what
                    // this instance's sockets saw may be behind. Requests sent to the old owner get no reply.
                    self.fail_pending(contest_id);
                    self.report_presence(&handle);
                    handle.hub.resync_all();
                }
                WireEvent::Personal { shared, messages } => {
                    let shared: Vec<Bytes> = shared.into_iter().map(wire::bytes).collect();
                    let messages = messages
                        .into_iter()
                        .map(|(pid, frame)| (pid, wire::bytes(frame)))
                        .collect();
                    handle.hub.deliver_personal(&shared, messages);
                }
                other => {
                    if let Some(event) = other.into_relay() {
                        handle.hub.deliver(event);
                    }
                }
            }
        }
    }

    /// The contest changed owner: requests sent to the old one will not be answered. Their callers hear it now
    /// (503, try again) instead of after the timeout.
    fn fail_pending(&self, contest_id: i64) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let lost: Vec<u64> = pending
            .iter()
            .filter(|(_, (contest, _))| *contest == contest_id)
            .map(|(id, _)| *id)
            .collect();
        for id in lost {
            if let Some((_, waiting)) = pending.remove(&id) {
                let _ = waiting.send(Err(AppError::unavailable(
                    "the contest moved to another server instance; try again",
                )));
            }
        }
    }

    fn report_presence(&self, handle: &ContestHandle) {
        if matches!(handle.route(), crate::contest::Route::Remote(_)) {
            self.tell(
                handle.contest_id(),
                Request::PresenceAll {
                    participants: handle.hub.local_participants(),
                },
            );
        }
    }

    async fn resync_contest(&self, contest_id: i64) {
        if let Some(handle) = match self.engine.get() {
            Some(engine) => engine.loaded_contest(contest_id).await,
            None => None,
        } {
            self.report_presence(&handle);
            handle.hub.resync_all();
        }
    }

    /// After a gap in what this instance heard: fresh snapshots for every socket, presence told again.
    async fn resynchronize(&self) {
        let Some(engine) = self.engine.get() else {
            return;
        };
        for handle in engine.loaded().await {
            self.report_presence(&handle);
            handle.hub.resync_all();
        }
    }

    /// On the owner: the other instances' requests for one contest, handed to its actor in arrival order.
    async fn serve_requests(self: Arc<Self>, handle: ContestHandle) {
        let contest_id = handle.contest_id();
        let mut shutdown = self.shutdown.clone();
        let channel = Self::contest_channel(contest_id);
        'connect: loop {
            // A connection of its own, outside the shared pool (which the listener would otherwise hold).
            let own = PgPoolOptions::new()
                .max_connections(1)
                .connect_lazy_with(self.options.clone());
            let mut listener = match PgListener::connect_with(&own).await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, contest_id, "cannot listen for requests; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(&channel).await {
                tracing::warn!(error = %e, contest_id, "cannot listen for requests; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            loop {
                let next = tokio::select! {
                    _ = shutdown.changed() => return,
                    next = listener.try_recv() => next,
                };
                let notification = match next {
                    Ok(Some(notification)) => notification,
                    Ok(None) => continue,
                    Err(_) => continue 'connect,
                };
                let Some((from, _, body)) = split(notification.payload()) else {
                    continue;
                };
                let Ok(Envelope::Request { id, request }) = self.open(contest_id, body).await else {
                    continue;
                };
                let Some(pending) = handle.execute(from, request).await else {
                    // No longer the owner: the next owner serves the requests.
                    return;
                };
                let cluster = self.clone();
                tokio::spawn(async move {
                    let result = pending.await;
                    if id != 0 {
                        cluster.post(
                            cluster.instance_channel(from),
                            0,
                            &Envelope::Reply {
                                id,
                                result: result.map_err(wire::WireError::from_app),
                            },
                        );
                    }
                });
            }
        }
    }

    /// Twice a second: check that this instance's locks still hold, and take over the contests it follows whose
    /// owner is gone.
    async fn take_over(self: Arc<Self>) {
        let mut shutdown = self.shutdown.clone();
        let mut tick = tokio::time::interval(TAKEOVER_EVERY);
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tick.tick() => {}
            }
            let Some(engine) = self.engine.get() else {
                continue;
            };
            if !self.locks_hold().await {
                continue;
            }
            for handle in engine.remote_contests().await {
                match self.try_own(handle.contest_id()).await {
                    Ok(true) => {
                        let contest_id = handle.contest_id();
                        match engine.promote(&handle).await {
                            Ok(()) => {
                                tracing::info!(
                                    contest_id,
                                    "took over the contest from an instance that stopped"
                                );
                                self.fail_pending(contest_id);
                                self.owning(handle.clone());
                                handle.hub.resync_all();
                            }
                            Err(e) => tracing::error!(contest_id, error = %e, "cannot take over the contest"),
                        }
                    }
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot try the contest lock"),
                }
            }
        }
    }

    /// Whether the lock connection is alive. A dead one has lost this instance's locks: every contest owned here
    /// stops here (another instance takes it over) and a fresh connection is opened.
    async fn locks_hold(&self) -> bool {
        let mut conn = self.locks.lock().await;
        if conn.ping().await.is_ok() {
            return true;
        }
        tracing::error!(
            "the connection holding this instance's contest locks is gone; giving the contests up"
        );
        if let Some(engine) = self.engine.get() {
            for handle in engine.loaded().await {
                if matches!(handle.route(), crate::contest::Route::Local(_))
                    && let Some(cluster) = engine.cluster()
                {
                    handle.set_route(crate::contest::Route::Remote(cluster.clone()));
                }
            }
        }
        if let Ok(fresh) = PgConnection::connect_with(&self.options).await {
            *conn = fresh;
        }
        false
    }

    /// Delete blobs nobody will read any more (every instance reads a blob within seconds).
    async fn sweep_blobs(self: Arc<Self>) {
        let mut shutdown = self.shutdown.clone();
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tick.tick() => {}
            }
            let _ = sqlx::query("DELETE FROM cluster_blobs WHERE at_ms < $1")
                .bind(crate::store::now_ms() - 120_000)
                .execute(&self.pool)
                .await;
        }
    }
}

/// `from|contest|body`.
pub(super) fn split(payload: &str) -> Option<(u64, i64, &str)> {
    let (from, rest) = payload.split_once('|')?;
    let (contest, body) = rest.split_once('|')?;
    Some((from.parse().ok()?, contest.parse().ok()?, body))
}

/// What a contest's hub sends to the other instances.
struct ContestRelay {
    cluster: Arc<Cluster>,
    contest_id: i64,
}

impl Relay for ContestRelay {
    fn event(&self, event: RelayEvent) {
        self.cluster
            .send_event(self.contest_id, &WireEvent::from_relay(event));
    }

    fn personal(&self, instance: u64, shared: Vec<Bytes>, messages: Vec<(i64, Bytes)>) {
        let event = WireEvent::Personal {
            shared: shared.into_iter().filter_map(wire::raw).collect(),
            messages: messages
                .into_iter()
                .filter_map(|(pid, bytes)| wire::raw(bytes).map(|frame| (pid, frame)))
                .collect(),
        };
        self.cluster.post(
            self.cluster.instance_channel(instance),
            self.contest_id,
            &Envelope::Event(event),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_header_is_split_without_parsing_the_body() {
        assert_eq!(split("12|7|{\"a\":1}"), Some((12, 7, "{\"a\":1}")));
        assert_eq!(split("12|0|@55"), Some((12, 0, "@55")));
        assert_eq!(split("12|x|{}"), None);
        assert_eq!(split("nothing"), None);
    }
}
