//! The audit log (migration 0009): every organizer action on a contest, appended in order and never changed.
//!
//! Each row's `hash` is the hex SHA-256 of the previous row's hash (64 zeros for the first row) followed by the
//! row's fields, each terminated by a NUL byte: `id`, `at_ms`, `actor`, `action`, `detail`, `outcome`. Anyone can
//! recompute the chain from the rows ([`chain_hash`]); a row changed, removed or inserted afterwards breaks it.
//! Appends are serialized per store by the write transaction, so ids and the chain never fork.

use super::db::{on_pool, on_tx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Store, Tx};

/// The advisory-lock namespace of audit appends on PostgreSQL (the second key is the contest).
const AUDIT_LOCK_NAMESPACE: i32 = 0x6175;

/// The hash before the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize, ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    /// JSON text: the action's parameters.
    pub detail: String,
    /// `ok`, or the error code the action was refused with.
    pub outcome: String,
    pub hash: String,
}

/// One action to append.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub at_ms: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub detail: &'a serde_json::Value,
    pub outcome: &'a str,
}

/// The hash of a row with these fields after a row whose hash is `previous`.
pub fn chain_hash(
    previous: &str,
    id: i64,
    at_ms: i64,
    actor: &str,
    action: &str,
    detail: &str,
    outcome: &str,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(previous.as_bytes());
    for field in [
        &id.to_string(),
        &at_ms.to_string(),
        actor,
        action,
        detail,
        outcome,
    ] {
        hasher.update(field.as_bytes());
        hasher.update([0u8]);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the chain of `rows` (in id order) breaks: the first row whose id is not the next one or whose hash does
/// not match, with a sentence saying what is wrong. `None` when the chain is whole.
pub fn chain_break(rows: &[AuditRow]) -> Option<(i64, String)> {
    let mut previous = GENESIS_HASH.to_owned();
    for (i, row) in rows.iter().enumerate() {
        let expected_id = i as i64 + 1;
        if row.id != expected_id {
            return Some((
                row.id,
                format!("audit row {} found where row {expected_id} was expected", row.id),
            ));
        }
        let hash = chain_hash(
            &previous,
            row.id,
            row.at_ms,
            &row.actor,
            &row.action,
            &row.detail,
            &row.outcome,
        );
        if hash != row.hash {
            return Some((
                row.id,
                format!(
                    "audit row {} does not match its hash: it was changed after it was written",
                    row.id
                ),
            ));
        }
        previous = hash;
    }
    None
}

impl Store {
    /// Append one action to the contest's audit log; returns the new row.
    pub async fn append_audit(&self, contest_id: i64, entry: &AuditEntry<'_>) -> sqlx::Result<AuditRow> {
        let mut tx = self.begin_write().await?;
        // Several instances on one PostgreSQL append to the same chain (organizer requests reach any of them):
        // one append per contest at a time, until this transaction ends. SQLite's write lock does the same.
        if let Tx::Postgres(tx) = &mut tx {
            sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind(AUDIT_LOCK_NAMESPACE)
                .bind(contest_id as i32)
                .execute(&mut **tx)
                .await?;
        }
        let last: Option<(i64, String)> = on_tx!(&mut tx, |exe| sqlx::query_as(
            "SELECT id, hash FROM audit_log WHERE contest_id = $1 ORDER BY id DESC LIMIT 1"
        )
        .bind(contest_id)
        .fetch_optional(exe)
        .await)?;
        let (id, previous) = match last {
            Some((id, hash)) => (id + 1, hash),
            None => (1, GENESIS_HASH.to_owned()),
        };
        let detail = entry.detail.to_string();
        let hash = chain_hash(
            &previous,
            id,
            entry.at_ms,
            entry.actor,
            entry.action,
            &detail,
            entry.outcome,
        );
        on_tx!(&mut tx, |exe| sqlx::query(
            "INSERT INTO audit_log (contest_id, id, at_ms, actor, action, detail, outcome, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(contest_id)
        .bind(id)
        .bind(entry.at_ms)
        .bind(entry.actor)
        .bind(entry.action)
        .bind(&detail)
        .bind(entry.outcome)
        .bind(&hash)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        tx.commit().await?;
        Ok(AuditRow {
            id,
            at_ms: entry.at_ms,
            actor: entry.actor.to_owned(),
            action: entry.action.to_owned(),
            detail,
            outcome: entry.outcome.to_owned(),
            hash,
        })
    }

    /// Record an organizer action that has succeeded (outcome `ok`), at the server's time now. The action is
    /// already committed and announced, so a failed append is logged and never fails the caller; `jingsai audit
    /// verify` reports what the log then misses (an adjustment without its row, for example).
    pub async fn record_action(
        &self,
        contest_id: i64,
        actor: &str,
        action: &str,
        detail: &serde_json::Value,
    ) {
        let entry = AuditEntry {
            at_ms: super::now_ms(),
            actor,
            action,
            detail,
            outcome: "ok",
        };
        if let Err(e) = self.append_audit(contest_id, &entry).await {
            tracing::error!(contest = contest_id, action, "audit log append failed: {e}");
        }
    }

    /// The contest's audit log, oldest first.
    pub async fn audit_log(&self, contest_id: i64) -> sqlx::Result<Vec<AuditRow>> {
        on_pool!(self.reader(), |exe| sqlx::query_as(
            "SELECT id, at_ms, actor, action, detail, outcome, hash FROM audit_log WHERE contest_id = $1 \
             ORDER BY id",
        )
        .bind(contest_id)
        .fetch_all(exe)
        .await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, previous: &str, actor: &str) -> AuditRow {
        let hash = chain_hash(previous, id, 1000 + id, actor, "next", "{}", "ok");
        AuditRow {
            id,
            at_ms: 1000 + id,
            actor: actor.into(),
            action: "next".into(),
            detail: "{}".into(),
            outcome: "ok".into(),
            hash,
        }
    }

    #[test]
    fn a_whole_chain_verifies_and_any_change_breaks_it() {
        let first = row(1, GENESIS_HASH, "admin");
        let second = row(2, &first.hash, "admin");
        let third = row(3, &second.hash, "judge");
        let rows = vec![first.clone(), second.clone(), third.clone()];
        assert_eq!(chain_break(&rows), None);

        let mut changed = rows.clone();
        changed[1].actor = "someone".into();
        assert_eq!(chain_break(&changed).map(|(id, _)| id), Some(2));

        let removed = vec![first.clone(), third.clone()];
        assert_eq!(chain_break(&removed).map(|(id, _)| id), Some(3));

        // A row re-hashed after a change still breaks the chain at the next row.
        let mut rehashed = rows;
        rehashed[1].outcome = "refused".into();
        rehashed[1].hash = chain_hash(GENESIS_HASH, 2, 1002, "admin", "next", "{}", "refused");
        assert!(chain_break(&rehashed).is_some());
    }

    #[test]
    fn the_hash_separates_fields() {
        // Moving a character from one field to the next changes the hash.
        assert_ne!(
            chain_hash(GENESIS_HASH, 1, 5, "ab", "c", "{}", "ok"),
            chain_hash(GENESIS_HASH, 1, 5, "a", "bc", "{}", "ok")
        );
    }
}
