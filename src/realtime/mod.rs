//! Fan-out of contest events to WebSocket clients.
//!
//! Each event is serialized once into `Bytes` and shared by every socket. There are three broadcast audiences:
//! `public` (participants) and `screen` (the big screen), which never see an answer key before close, and
//! `organizer`. Most public events go to participants and screens alike; live counters go to the screens at
//! every tick and to the participants at a cadence that slows down with their number (see `contest::tick`). Messages
//! for one participant (their acknowledgements, their result, their rank) go through small per-connection
//! queues. A socket that falls behind loses messages, never slows anyone else, and is resynchronized with a
//! fresh snapshot.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};

use crate::metrics::METRICS;

mod closing;
mod relay;
pub use closing::*;
pub use relay::{Relay, RelayEvent};

const BROADCAST_CAPACITY: usize = 256;
/// Per-connection queue for personal messages; a full queue means the client is too slow and gets resynced.
pub const PERSONAL_CAPACITY: usize = 64;

/// What a registered connection receives besides bytes to forward.
#[derive(Debug, Clone)]
pub enum Personal {
    Message(Bytes),
    /// Send this notice and close: a newer login took over the participant, the same token opened more
    /// connections than it may hold, or the token was revoked. Boxed: rare, and it would double the size of
    /// every slot of every connection's queue (memory per participant).
    Close(Box<Closing>),
}

impl Personal {
    /// An empty message: send the client a fresh snapshot instead (see [`ContestHub::resync_all`]). No frame the
    /// server sends is empty, and a separate variant would make every queue slot larger.
    pub const RESYNC: Personal = Personal::Message(Bytes::new());

    pub fn is_resync(&self) -> bool {
        matches!(self, Personal::Message(bytes) if bytes.is_empty())
    }
}

/// Who a connection belongs to, for the per-owner connection cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnOwner {
    /// A participant: personal messages go to every connection of theirs.
    Participant(i64),
    /// A display or organizer token, by a hash of the token.
    Token(u64),
}

struct Conn {
    conn_id: u64,
    credential: Credential,
    tx: mpsc::Sender<Personal>,
    /// Set when a message had to be dropped because the queue was full: the connection resynchronizes.
    overflowed: Arc<AtomicBool>,
}

/// The receiving end of a connection's personal queue.
pub struct PersonalReceiver {
    pub rx: mpsc::Receiver<Personal>,
    overflowed: Arc<AtomicBool>,
}

impl PersonalReceiver {
    /// True once after messages were dropped: the caller should send a fresh snapshot.
    pub fn take_overflow(&self) -> bool {
        self.overflowed.swap(false, Ordering::Relaxed)
    }
}

pub struct ContestHub {
    public: broadcast::Sender<Bytes>,
    screen: broadcast::Sender<Bytes>,
    organizer: broadcast::Sender<Bytes>,
    /// Open connections by owner, oldest first.
    conns: Mutex<HashMap<ConnOwner, Vec<Conn>>>,
    next_conn: AtomicU64,
    /// Several instances: where frames for the other instances go (set once, when the contest is loaded).
    relay: std::sync::OnceLock<Arc<dyn Relay>>,
    /// On the instance that owns the contest: participants connected to another instance, and which.
    remote: Mutex<HashMap<i64, u64>>,
}

impl Default for ContestHub {
    fn default() -> Self {
        Self::new()
    }
}

/// Serialize an event once. Serialization of our own types cannot fail; an empty payload is never sent.
pub fn encode<T: Serialize>(event: &T) -> Bytes {
    serde_json::to_vec(event).map(Bytes::from).unwrap_or_default()
}

impl ContestHub {
    pub fn new() -> Self {
        Self {
            public: broadcast::channel(BROADCAST_CAPACITY).0,
            screen: broadcast::channel(BROADCAST_CAPACITY).0,
            organizer: broadcast::channel(BROADCAST_CAPACITY).0,
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            relay: std::sync::OnceLock::new(),
            remote: Mutex::new(HashMap::new()),
        }
    }

    /// Send what is published here to the other instances too (see [`relay`]).
    pub fn set_relay(&self, relay: Arc<dyn Relay>) {
        let _ = self.relay.set(relay);
    }

    fn relay(&self, event: impl FnOnce() -> RelayEvent) {
        if let Some(relay) = self.relay.get() {
            relay.event(event());
        }
    }

    /// The owner learned that `participant_id` is (or no longer is) connected to another instance.
    pub fn set_remote(&self, participant_id: i64, instance: u64, connected: bool) {
        let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
        if connected {
            remote.insert(participant_id, instance);
        } else if remote.get(&participant_id) == Some(&instance) {
            remote.remove(&participant_id);
        }
    }

    /// The participants connected to `instance` are exactly `participants` (an instance reporting again after
    /// the owner changed or its listener reconnected).
    pub fn replace_remote(&self, instance: u64, participants: &[i64]) {
        let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
        remote.retain(|_, at| *at != instance);
        for pid in participants {
            remote.insert(*pid, instance);
        }
    }

    /// Participants with an open connection to this instance (not those of other instances).
    pub fn local_participants(&self) -> Vec<i64> {
        let map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        map.keys()
            .filter_map(|owner| match owner {
                ConnOwner::Participant(pid) => Some(*pid),
                ConnOwner::Token(_) => None,
            })
            .collect()
    }

    /// Whether `participant_id` has an open connection to this instance.
    pub fn is_connected_here(&self, participant_id: i64) -> bool {
        let map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        map.contains_key(&ConnOwner::Participant(participant_id))
    }

    /// Every socket of this instance sends its client a fresh snapshot (the contest moved to another owner, or
    /// the events from the other instances may have missed some).
    pub fn resync_all(&self) {
        let map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        for conn in map.values().flatten() {
            conn.overflowed.store(true, Ordering::Relaxed);
            let _ = conn.tx.try_send(Personal::RESYNC);
        }
    }

    /// Frames from another instance, for this instance's sockets only.
    pub fn deliver(&self, event: RelayEvent) {
        match event {
            RelayEvent::Public(bytes) => {
                self.deliver_participants(bytes.clone());
                self.deliver_screen(bytes);
            }
            RelayEvent::Participants(bytes) => self.deliver_participants(bytes),
            RelayEvent::Screen(bytes) => self.deliver_screen(bytes),
            RelayEvent::Organizer(bytes) => {
                METRICS.broadcast_frames.inc();
                let _ = self.organizer.send(bytes);
            }
            RelayEvent::ReplaceSessions {
                participant_id,
                session_id,
                seat_moved,
            } => {
                let closing = if seat_moved {
                    Closing::seat_moved()
                } else {
                    Closing::session_replaced()
                };
                self.replace_local_sessions(participant_id, &session_id, closing);
            }
        }
    }

    /// Personal frames from the owner for participants connected here.
    pub fn deliver_personal(&self, shared: &[Bytes], messages: Vec<(i64, Bytes)>) {
        self.queue_bundles(shared, messages);
    }

    fn deliver_participants(&self, bytes: Bytes) {
        METRICS.broadcast_frames.inc();
        METRICS.broadcast_bytes.add(bytes.len() as u64);
        let _ = self.public.send(bytes);
    }

    fn deliver_screen(&self, bytes: Bytes) {
        METRICS.broadcast_frames.inc();
        METRICS.broadcast_bytes.add(bytes.len() as u64);
        let _ = self.screen.send(bytes);
    }

    /// Split personal frames into those for this instance's sockets and, on the owner, those relayed to the
    /// instance each other participant is connected to.
    fn route_personal(&self, shared: &[Bytes], messages: impl IntoIterator<Item = (i64, Bytes)>) {
        let Some(relay) = self.relay.get() else {
            self.queue_bundles(shared, messages);
            return;
        };
        let mut here = Vec::new();
        let mut elsewhere: HashMap<u64, Vec<(i64, Bytes)>> = HashMap::new();
        {
            let map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
            let remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
            for (pid, bytes) in messages {
                if map.contains_key(&ConnOwner::Participant(pid)) {
                    here.push((pid, bytes));
                } else if let Some(instance) = remote.get(&pid) {
                    elsewhere.entry(*instance).or_default().push((pid, bytes));
                }
            }
        }
        self.queue_bundles(shared, here);
        for (instance, messages) in elsewhere {
            relay.personal(instance, shared.to_vec(), messages);
        }
    }

    fn queue_bundles(&self, shared: &[Bytes], messages: impl IntoIterator<Item = (i64, Bytes)>) {
        let map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        for (participant_id, own) in messages {
            if let Some(conns) = map.get(&ConnOwner::Participant(participant_id)) {
                for bytes in shared {
                    Self::queue(conns, bytes);
                }
                Self::queue(conns, &own);
            }
        }
    }

    pub fn subscribe_public(&self) -> broadcast::Receiver<Bytes> {
        self.public.subscribe()
    }

    pub fn subscribe_screen(&self) -> broadcast::Receiver<Bytes> {
        self.screen.subscribe()
    }

    pub fn subscribe_organizer(&self) -> broadcast::Receiver<Bytes> {
        self.organizer.subscribe()
    }

    /// Publish to participants and the big screen. One frame, shared by every socket.
    pub fn publish(&self, bytes: Bytes) {
        self.relay(|| RelayEvent::Public(bytes.clone()));
        self.deliver_participants(bytes.clone());
        self.deliver_screen(bytes);
    }

    /// Publish to participants only (live counters at their own cadence).
    pub fn publish_participants(&self, bytes: Bytes) {
        self.relay(|| RelayEvent::Participants(bytes.clone()));
        self.deliver_participants(bytes);
    }

    /// Publish to the big screens only.
    pub fn publish_screen(&self, bytes: Bytes) {
        self.relay(|| RelayEvent::Screen(bytes.clone()));
        self.deliver_screen(bytes);
    }

    pub fn publish_organizer(&self, bytes: Bytes) {
        self.relay(|| RelayEvent::Organizer(bytes.clone()));
        METRICS.broadcast_frames.inc();
        METRICS.broadcast_bytes.add(bytes.len() as u64);
        let _ = self.organizer.send(bytes);
    }

    /// Register a connection of `owner`. When the owner already holds `cap` connections, the oldest is told
    /// and closed: one login cannot pile up sockets, and a phone that reconnects never locks itself out.
    pub fn connect(&self, owner: ConnOwner, credential: Credential, cap: usize) -> (u64, PersonalReceiver) {
        let (tx, rx) = mpsc::channel(PERSONAL_CAPACITY);
        let overflowed = Arc::new(AtomicBool::new(false));
        let conn_id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let mut map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        let conns = map.entry(owner).or_default();
        while conns.len() >= cap.max(1) {
            let oldest = conns.remove(0);
            let _ = oldest
                .tx
                .try_send(Personal::Close(Box::new(Closing::too_many_connections())));
            METRICS.sockets_closed_for_limit.inc();
        }
        conns.push(Conn {
            conn_id,
            credential,
            tx,
            overflowed: overflowed.clone(),
        });
        (conn_id, PersonalReceiver { rx, overflowed })
    }

    pub fn disconnect(&self, owner: ConnOwner, conn_id: u64) {
        let mut map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = map.get_mut(&owner) {
            conns.retain(|c| c.conn_id != conn_id);
            if conns.is_empty() {
                map.remove(&owner);
            }
        }
    }

    /// Participants with at least one open connection (to this instance or, on the owner of a contest shared by
    /// several instances, to another one).
    pub fn connected_participants(&self) -> Vec<i64> {
        let mut participants = self.local_participants();
        if self.relay.get().is_some() {
            let remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
            participants.extend(remote.keys().copied());
            participants.sort_unstable();
            participants.dedup();
        }
        participants
    }

    /// Owners with at least one open connection (participants, plus the few display and organizer tokens). O(1).
    pub fn connected_owners(&self) -> usize {
        let here = self.conns.lock().unwrap_or_else(|e| e.into_inner()).len();
        here + self.remote.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_connected(&self, participant_id: i64) -> bool {
        self.is_connected_here(participant_id)
            || self
                .remote
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains_key(&participant_id)
    }

    fn queue(conns: &[Conn], bytes: &Bytes) {
        for conn in conns {
            METRICS.personal_frames.inc();
            METRICS.personal_bytes.add(bytes.len() as u64);
            if let Err(mpsc::error::TrySendError::Full(_)) =
                conn.tx.try_send(Personal::Message(bytes.clone()))
            {
                conn.overflowed.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Send to every connection of one participant. Never blocks: a full queue drops the message and marks the
    /// connection, which then sends its client a fresh snapshot.
    pub fn send_personal(&self, participant_id: i64, bytes: Bytes) {
        self.route_personal(&[], [(participant_id, bytes)]);
    }

    /// Personal messages for many participants under one lock (results and ranks at a close).
    pub fn send_personal_many(&self, messages: impl IntoIterator<Item = (i64, Bytes)>) {
        self.route_personal(&[], messages);
    }

    /// Frames shared by everyone followed by each participant's own, queued per participant under one lock: a
    /// socket woken by the first finds the rest already queued and writes them in one batch. Used at a close
    /// instead of a broadcast, which would wake every socket before the personal frames exist.
    pub fn send_personal_bundles(&self, shared: &[Bytes], messages: impl IntoIterator<Item = (i64, Bytes)>) {
        self.route_personal(shared, messages);
    }

    /// A new login (or a seat moved by the organizer) replaced `current_session`: every connection of an older
    /// session, on every instance, is told and closed.
    pub fn replace_sessions(&self, participant_id: i64, current_session: &str, closing: Closing) {
        self.relay(|| RelayEvent::ReplaceSessions {
            participant_id,
            session_id: current_session.to_owned(),
            seat_moved: closing.notice == Closing::seat_moved().notice,
        });
        self.replace_local_sessions(participant_id, current_session, closing);
    }

    fn replace_local_sessions(&self, participant_id: i64, current_session: &str, closing: Closing) {
        let owner = ConnOwner::Participant(participant_id);
        let mut map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = map.get_mut(&owner) {
            conns.retain(|conn| {
                if matches!(&conn.credential, Credential::Participant { session_id } if session_id == current_session)
                {
                    true
                } else {
                    let _ = conn.tx.try_send(Personal::Close(Box::new(closing.clone())));
                    false
                }
            });
            if conns.is_empty() {
                map.remove(&owner);
            }
        }
    }

    /// Tell and close every connection whose owner and credential match; they are forgotten at once (their
    /// tasks end after sending the notice). Returns how many were closed.
    pub fn close_where(&self, matches: impl Fn(&ConnOwner, &Credential) -> bool, closing: &Closing) -> usize {
        let mut closed = 0;
        let mut map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|owner, conns| {
            conns.retain(|conn| {
                if matches(owner, &conn.credential) {
                    let _ = conn.tx.try_send(Personal::Close(Box::new(closing.clone())));
                    closed += 1;
                    false
                } else {
                    true
                }
            });
            !conns.is_empty()
        });
        closed
    }

    /// Close the organizer connections of `account` signed with another token version than `current` (`None`:
    /// the account is gone, close them all).
    pub fn revoke_organizer(&self, account: &str, current: Option<i64>) -> usize {
        self.close_where(
            |_, credential| {
                matches!(credential, Credential::Organizer { account: a, version }
                    if a.as_ref() == account && Some(*version) != current)
            },
            &Closing::organizer_revoked(),
        )
    }

    /// Close the big-screen connections signed with another display-link version than `current`.
    pub fn revoke_displays(&self, current: i64) -> usize {
        self.close_where(
            |_, credential| matches!(credential, Credential::Display { version } if *version != current),
            &Closing::display_revoked(),
        )
    }

    /// The organizer accounts with an open connection here.
    pub fn organizer_accounts(&self) -> Vec<Arc<str>> {
        let map = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        let mut accounts: Vec<Arc<str>> = map
            .values()
            .flatten()
            .filter_map(|conn| match &conn.credential {
                Credential::Organizer { account, .. } => Some(account.clone()),
                _ => None,
            })
            .collect();
        accounts.sort();
        accounts.dedup();
        accounts
    }
}

/// A connection's queue holds `Personal` slots in blocks allocated up front: keep the slot as small as a frame.
const _: () = assert!(std::mem::size_of::<Personal>() <= std::mem::size_of::<Bytes>());

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str) -> Credential {
        Credential::Participant {
            session_id: id.to_string(),
        }
    }

    #[tokio::test]
    async fn a_full_personal_queue_never_blocks_the_sender() {
        let hub = ContestHub::new();
        let (_conn, mut slow) = hub.connect(ConnOwner::Participant(1), session("s1"), 4);
        let (_conn2, mut fast) = hub.connect(ConnOwner::Participant(2), session("s2"), 4);
        // Nobody reads the slow queue; sending far more than it holds returns at once.
        for i in 0..(PERSONAL_CAPACITY * 10) {
            hub.send_personal(1, Bytes::from(format!("m{i}")));
            hub.send_personal(2, Bytes::from(format!("m{i}")));
            if let Ok(Personal::Message(b)) = fast.rx.try_recv() {
                assert_eq!(b, Bytes::from(format!("m{i}")));
            }
        }
        let mut kept = 0;
        while slow.rx.try_recv().is_ok() {
            kept += 1;
        }
        assert_eq!(
            kept, PERSONAL_CAPACITY,
            "the slow queue keeps what fits and drops the rest"
        );
        assert!(
            slow.take_overflow(),
            "the slow connection is told to resynchronize"
        );
        assert!(!slow.take_overflow(), "once");
        assert!(!fast.take_overflow());
    }

    #[tokio::test]
    async fn replacing_a_session_notifies_and_drops_only_old_connections() {
        let hub = ContestHub::new();
        let (_old, mut old_rx) = hub.connect(ConnOwner::Participant(7), session("old"), 4);
        let (_new, mut new_rx) = hub.connect(ConnOwner::Participant(7), session("new"), 4);
        hub.replace_sessions(7, "new", Closing::session_replaced());
        assert!(matches!(old_rx.rx.try_recv(), Ok(Personal::Close(_))));
        assert!(new_rx.rx.try_recv().is_err());
        hub.send_personal(7, Bytes::from_static(b"hello"));
        assert!(matches!(new_rx.rx.try_recv(), Ok(Personal::Message(_))));
        assert_eq!(hub.connected_participants(), vec![7]);
    }

    #[tokio::test]
    async fn a_new_connection_beyond_the_cap_closes_the_oldest() {
        let hub = ContestHub::new();
        let owner = ConnOwner::Participant(3);
        let (_a, mut a) = hub.connect(owner, session("s"), 2);
        let (_b, mut b) = hub.connect(owner, session("s"), 2);
        let (_c, mut c) = hub.connect(owner, session("s"), 2);
        assert!(
            matches!(a.rx.try_recv(), Ok(Personal::Close(_))),
            "the oldest is closed"
        );
        hub.send_personal(3, Bytes::from_static(b"x"));
        assert!(matches!(b.rx.try_recv(), Ok(Personal::Message(_))));
        assert!(matches!(c.rx.try_recv(), Ok(Personal::Message(_))));
        assert!(a.rx.try_recv().is_err(), "the closed one gets nothing more");
        // Display tokens are capped the same way, and never receive personal messages.
        let screen = ConnOwner::Token(99);
        let (_d, mut d) = hub.connect(screen, Credential::Display { version: 0 }, 1);
        let (_e, _e_rx) = hub.connect(screen, Credential::Display { version: 0 }, 1);
        assert!(matches!(d.rx.try_recv(), Ok(Personal::Close(_))));
        assert_eq!(hub.connected_participants(), vec![3]);
    }

    #[tokio::test]
    async fn revoking_closes_only_stale_organizer_and_display_connections() {
        let hub = ContestHub::new();
        let organizer = |account: &str, version| Credential::Organizer {
            account: Arc::from(account),
            version,
        };
        let (_old, mut old) = hub.connect(ConnOwner::Token(1), organizer("admin", 0), 8);
        let (_new, mut new) = hub.connect(ConnOwner::Token(2), organizer("admin", 1), 8);
        let (_other, mut other) = hub.connect(ConnOwner::Token(3), organizer("judge", 0), 8);
        let (_screen, mut screen) = hub.connect(ConnOwner::Token(4), Credential::Display { version: 0 }, 4);
        let (_phone, mut phone) = hub.connect(ConnOwner::Participant(5), session("s"), 3);
        assert_eq!(hub.organizer_accounts().len(), 2);
        assert_eq!(hub.revoke_organizer("admin", Some(1)), 1);
        match old.rx.try_recv() {
            Ok(Personal::Close(closing)) => {
                assert_eq!(closing.code, CLOSE_TOKEN_REVOKED);
                assert_eq!(closing.reason, "token_revoked");
            }
            other => panic!("the stale organizer connection was not closed: {other:?}"),
        }
        assert!(new.rx.try_recv().is_err() && other.rx.try_recv().is_err());
        assert_eq!(
            hub.revoke_organizer("judge", None),
            1,
            "a deleted account loses every socket"
        );
        assert!(matches!(other.rx.try_recv(), Ok(Personal::Close(_))));
        assert_eq!(hub.revoke_displays(0), 0, "the current display version stays");
        assert_eq!(hub.revoke_displays(1), 1);
        assert!(matches!(screen.rx.try_recv(), Ok(Personal::Close(_))));
        assert!(phone.rx.try_recv().is_err(), "participants are never touched");
        assert_eq!(hub.connected_participants(), vec![5]);
        assert_eq!(hub.organizer_accounts().len(), 1);
    }

    #[tokio::test]
    async fn broadcast_is_shared_bytes() {
        let hub = ContestHub::new();
        let mut a = hub.subscribe_public();
        let mut b = hub.subscribe_public();
        let event = encode(&serde_json::json!({"type": "lobby"}));
        hub.publish(event.clone());
        let (ra, rb) = (a.recv().await.expect("a"), b.recv().await.expect("b"));
        // Same allocation: serialized once, shared by every subscriber.
        assert_eq!(ra.as_ptr(), rb.as_ptr());
        assert_eq!(ra, event);
    }
}
