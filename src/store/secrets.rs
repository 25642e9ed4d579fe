//! Per-person roster secrets (see `crate::identity`). Kept out of `ParticipantRow` on purpose: nothing that
//! builds participant, big-screen or live views can reach them; only the join check and the organizer's
//! roster listing read them, through these queries.

use super::Store;
use super::db::on_pool;

impl Store {
    /// The roster participant with this badge and their secret, in one query whether or not the badge exists
    /// (the join check must take the same time for an unknown badge and a wrong secret).
    pub async fn roster_login(&self, contest_id: i64, badge: &str) -> sqlx::Result<Option<RosterLogin>> {
        on_pool!(self.reader(), |exe| {
            sqlx::query_as(
            "SELECT id, contest_id, name, badge, unit, device, pending_device, pending_since, refused_device, secret
             FROM participants WHERE contest_id = $1 AND badge = $2",
        )
            .bind(contest_id)
            .bind(badge)
            .fetch_optional(exe)
            .await
        })
    }

    /// Every roster participant's secret in a contest, by participant id (organizer only).
    pub async fn roster_secrets(&self, contest_id: i64) -> sqlx::Result<Vec<(i64, String)>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "SELECT id, secret FROM participants WHERE contest_id = $1 AND secret IS NOT NULL ORDER BY id",
        )
        .bind(contest_id)
        .fetch_all(exe)
        .await)
    }

    /// How many roster participants (with a badge) a contest has.
    pub async fn roster_size(&self, contest_id: i64) -> sqlx::Result<i64> {
        on_pool!(self.reader(), |exe| sqlx::query_scalar(
            "SELECT COUNT(*) FROM participants WHERE contest_id = $1 AND badge IS NOT NULL"
        )
        .bind(contest_id)
        .fetch_one(exe)
        .await)
    }
}

/// What a roster join checks: who has the badge, their seat, and their secret (one read per join).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RosterLogin {
    #[sqlx(flatten)]
    pub seat: super::SeatRow,
    pub secret: Option<String>,
}
