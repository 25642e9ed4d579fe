//! The sender of one instance: what it tells the other instances, as NOTIFY in batches (one statement per batch,
//! in the order queued); bodies over the NOTIFY limit go to `cluster_blobs` first and the notification carries
//! their id.

use std::time::Duration;

use sqlx::postgres::PgPool;
use tokio::sync::{mpsc, watch};

use super::split;

/// NOTIFY payloads above this go through `cluster_blobs` (PostgreSQL's limit is 8,000 bytes).
const INLINE_MAX: usize = 7_900;

/// The sender: notifications in batches (one statement each), large bodies through `cluster_blobs` first.
pub(super) async fn send_outbox(
    pool: PgPool,
    mut outgoing: mpsc::UnboundedReceiver<(String, String)>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut batch = Vec::new();
    loop {
        let received = tokio::select! {
            _ = shutdown.changed() => return,
            n = outgoing.recv_many(&mut batch, 512) => n,
        };
        if received == 0 {
            return;
        }
        let mut channels: Vec<String> = Vec::with_capacity(batch.len());
        let mut payloads: Vec<String> = Vec::with_capacity(batch.len());
        let mut large = Vec::new();
        for (channel, payload) in batch.drain(..) {
            if payload.len() > INLINE_MAX {
                large.push(payloads.len());
            }
            channels.push(channel);
            payloads.push(payload);
        }
        if !large.is_empty() && !store_blobs(&pool, &large, &mut payloads).await {
            // Without their bodies these messages cannot be sent: the waiting requests time out, the events'
            // receivers miss them (as after a gap).
            (channels, payloads) = channels
                .into_iter()
                .zip(payloads)
                .enumerate()
                .filter(|(i, _)| !large.contains(i))
                .map(|(_, message)| message)
                .unzip();
        }
        for attempt in 0..5 {
            let sent = sqlx::query("SELECT pg_notify(c, p) FROM UNNEST($1::text[], $2::text[]) AS t(c, p)")
                .bind(&channels)
                .bind(&payloads)
                .execute(&pool)
                .await;
            match sent {
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "cannot notify the other instances; retrying");
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                }
            }
        }
    }
}

/// Write the bodies of the large messages at `large` (indexes into `payloads`) to `cluster_blobs`, two statements
/// for any number, and replace each by `from|contest|@id`. False when the database refused.
async fn store_blobs(pool: &PgPool, large: &[usize], payloads: &mut [String]) -> bool {
    let ids: Vec<i64> = match sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence('cluster_blobs', 'id')) FROM generate_series(1, $1)",
    )
    .bind(large.len() as i64)
    .fetch_all(pool)
    .await
    {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "cannot store large messages for the other instances");
            return false;
        }
    };
    let mut bodies = Vec::with_capacity(large.len());
    let mut markers = Vec::with_capacity(large.len());
    for (&at, &id) in large.iter().zip(&ids) {
        let Some((from, contest, body)) = split(&payloads[at]) else {
            return false;
        };
        markers.push(format!("{from}|{contest}|@{id}"));
        bodies.push(body.to_owned());
    }
    let stored = sqlx::query(
        "INSERT INTO cluster_blobs (id, at_ms, body) OVERRIDING SYSTEM VALUE
         SELECT id, $1, body FROM UNNEST($2::bigint[], $3::text[]) AS t(id, body)",
    )
    .bind(crate::store::now_ms())
    .bind(&ids)
    .bind(&bodies)
    .execute(pool)
    .await;
    if let Err(e) = stored {
        tracing::error!(error = %e, "cannot store large messages for the other instances");
        return false;
    }
    for (&at, marker) in large.iter().zip(markers) {
        payloads[at] = marker;
    }
    true
}
