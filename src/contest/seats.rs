//! Pending device changes as the organizer sees them: in the organizer's snapshot (`device_requests`), in the
//! `device_requests` event and at `GET /api/contests/{id}/device-requests`. Seats live in the store, not in the
//! actor: they change outside the contest's flow (src/http/participant.rs, src/http/seats.rs).

use serde_json::{Value, json};

use crate::error::AppResult;
use crate::store::{SeatRow, Store};

/// One pending request; the device secrets are never shown.
pub fn device_request_view(row: &SeatRow) -> Value {
    json!({
        "participant_id": row.id,
        "name": row.name,
        "badge": row.badge,
        "unit": row.unit,
        "requested_at": row.pending_since,
    })
}

/// The contest's pending device changes, oldest first.
pub async fn device_requests(store: &Store, contest_id: i64) -> AppResult<Value> {
    let rows = store.seat_requests(contest_id).await?;
    Ok(Value::Array(rows.iter().map(device_request_view).collect()))
}
