//! Fan-out of contest events to WebSocket clients.
//!
//! Each event is serialized once into `Bytes` and shared by every socket. There are two broadcast audiences:
//! `public` (participants and the big screen: never an answer key before close) and `organizer`. Messages
//! for one participant (their acknowledgements, their result, their rank) go through small per-connection
//! queues. A socket that falls behind loses messages, never slows anyone else, and is resynchronized with a
//! fresh snapshot.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

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
    pub fn connect_personal(&self, participant_id: i64, session_id: &str) -> (u64, mpsc::Receiver<Personal>) {
        let (tx, rx) = mpsc::channel(PERSONAL_CAPACITY);
        let conn_id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let mut map = self.personal.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(participant_id).or_default().push(PersonalConn {
            conn_id,
            session_id: session_id.to_string(),
            tx,
        });
        (conn_id, rx)
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

    /// Send to every connection of one participant. Never blocks: a full queue drops the message, and the
    /// connection notices the gap (`try_send` failure marks it for a snapshot on its next turn).
    pub fn send_personal(&self, participant_id: i64, bytes: Bytes) {
        let map = self.personal.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = map.get(&participant_id) {
            for conn in conns {
                let _ = conn.tx.try_send(Personal::Message(bytes.clone()));
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
