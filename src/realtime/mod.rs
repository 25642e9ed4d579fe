//! Fan-out of contest events to WebSocket clients.
//!
//! Each event is serialized once into `Bytes` and shared by every socket. There are two broadcast audiences:
//! `public` (participants and the big screen: never an answer key before close) and `organizer`. Messages
//! for one participant (their acknowledgements, their result, their rank) go through small per-connection
//! queues. A socket that falls behind loses messages, never slows anyone else, and is resynchronized with a
//! fresh snapshot.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};

const BROADCAST_CAPACITY: usize = 256;
/// Per-connection queue for personal messages; a full queue means the client is too slow and gets resynced.
pub const PERSONAL_CAPACITY: usize = 64;

/// What a personal connection receives besides bytes to forward.
#[derive(Debug, Clone)]
pub enum Personal {
    Message(Bytes),
    /// A newer login took over this participant: tell the client and close.
    Replaced(Bytes),
}

struct PersonalConn {
    conn_id: u64,
    session_id: String,
    tx: mpsc::Sender<Personal>,
    /// Set when a message had to be dropped because the queue was full: the connection resynchronizes.
    overflowed: Arc<AtomicBool>,
}

/// The receiving end of a participant connection's personal queue.
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
    organizer: broadcast::Sender<Bytes>,
    personal: Mutex<HashMap<i64, Vec<PersonalConn>>>,
    next_conn: AtomicU64,
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
            organizer: broadcast::channel(BROADCAST_CAPACITY).0,
            personal: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
        }
    }

    pub fn subscribe_public(&self) -> broadcast::Receiver<Bytes> {
        self.public.subscribe()
    }

    pub fn subscribe_organizer(&self) -> broadcast::Receiver<Bytes> {
        self.organizer.subscribe()
    }

    pub fn publish(&self, bytes: Bytes) {
        let _ = self.public.send(bytes);
    }

    pub fn publish_organizer(&self, bytes: Bytes) {
        let _ = self.organizer.send(bytes);
    }

    /// Register a participant connection; returns its id (for unregistering) and its personal queue.
    pub fn connect_personal(&self, participant_id: i64, session_id: &str) -> (u64, PersonalReceiver) {
        let (tx, rx) = mpsc::channel(PERSONAL_CAPACITY);
        let overflowed = Arc::new(AtomicBool::new(false));
        let conn_id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let mut map = self.personal.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(participant_id).or_default().push(PersonalConn {
            conn_id,
            session_id: session_id.to_string(),
            tx,
            overflowed: overflowed.clone(),
        });
        (conn_id, PersonalReceiver { rx, overflowed })
    }

    pub fn disconnect_personal(&self, participant_id: i64, conn_id: u64) {
        let mut map = self.personal.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = map.get_mut(&participant_id) {
            conns.retain(|c| c.conn_id != conn_id);
            if conns.is_empty() {
                map.remove(&participant_id);
            }
        }
    }

    /// Number of participants with at least one open connection.
    pub fn connected_participants(&self) -> Vec<i64> {
        let map = self.personal.lock().unwrap_or_else(|e| e.into_inner());
        map.keys().copied().collect()
    }

    /// Send to every connection of one participant. Never blocks: a full queue drops the message and marks the
    /// connection, which then sends its client a fresh snapshot.
    pub fn send_personal(&self, participant_id: i64, bytes: Bytes) {
        let map = self.personal.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = map.get(&participant_id) {
            for conn in conns {
                if let Err(mpsc::error::TrySendError::Full(_)) =
                    conn.tx.try_send(Personal::Message(bytes.clone()))
                {
                    conn.overflowed.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// A new login replaced `current_session`: every connection of an older session is told and closed.
    pub fn replace_sessions(&self, participant_id: i64, current_session: &str, notice: Bytes) {
        let mut map = self.personal.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = map.get_mut(&participant_id) {
            conns.retain(|conn| {
                if conn.session_id == current_session {
                    true
                } else {
                    let _ = conn.tx.try_send(Personal::Replaced(notice.clone()));
                    false
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_personal_queue_never_blocks_the_sender() {
        let hub = ContestHub::new();
        let (_conn, mut slow) = hub.connect_personal(1, "s1");
        let (_conn2, mut fast) = hub.connect_personal(2, "s2");
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
        let (_old, mut old_rx) = hub.connect_personal(7, "old");
        let (_new, mut new_rx) = hub.connect_personal(7, "new");
        hub.replace_sessions(7, "new", Bytes::from_static(b"bye"));
        assert!(matches!(old_rx.rx.try_recv(), Ok(Personal::Replaced(_))));
        assert!(new_rx.rx.try_recv().is_err());
        hub.send_personal(7, Bytes::from_static(b"hello"));
        assert!(matches!(new_rx.rx.try_recv(), Ok(Personal::Message(_))));
        assert_eq!(hub.connected_participants(), vec![7]);
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
