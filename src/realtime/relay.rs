//! What a hub passes on to the other instances of a cluster (several `jingsai serve` processes sharing one
//! PostgreSQL, `src/cluster`). A hub without a relay (one instance, SQLite) does nothing more than before.
//!
//! Every frame published on one instance's hub is handed to its relay, which sends it to the other instances;
//! there the frame is delivered to the local sockets with the `deliver_*` methods, which never relay again.
//! Personal frames go only to the instance the participant is connected to: the owner of a contest learns from
//! the other instances which participants are connected to them ([`super::ContestHub::set_remote`]).

use bytes::Bytes;

/// A frame (or a session change) for every other instance.
#[derive(Debug, Clone)]
pub enum RelayEvent {
    /// To participants and big screens ([`super::ContestHub::publish`]).
    Public(Bytes),
    Participants(Bytes),
    Screen(Bytes),
    Organizer(Bytes),
    /// A newer session replaced the participant's older ones (`seat_moved`: the organizer moved the seat).
    ReplaceSessions {
        participant_id: i64,
        session_id: String,
        seat_moved: bool,
    },
}

/// Where a hub sends what the other instances must see.
pub trait Relay: Send + Sync {
    fn event(&self, event: RelayEvent);
    /// Frames for participants connected to `instance`: `shared` first, then each participant's own frame.
    fn personal(&self, instance: u64, shared: Vec<Bytes>, messages: Vec<(i64, Bytes)>);
}
