//! Durable storage. SQLite in WAL mode with one writer connection: every write, including the batched answer
//! writer, goes through `write_pool` (max one connection), so writes are serialized in-process and reads never
//! wait for them.
//!
//! A failed write transaction must never leave the writer connection inside a transaction (SQLite rolls a
//! transaction back by itself on some errors, such as a full disk, and sqlx's own bookkeeping then disagrees with
//! the connection): the write pool checks every connection it gets back and replaces one that is still in a
//! transaction, so the next write starts clean. See [`Store::open`].
//!
//! PostgreSQL (`--database-url postgres://…`) implements the same operations with the same queries (see `db.rs`):
//! several instances can then share one database. The query methods are grouped by resource (`banks.rs`,
//! `contests.rs`, `answers.rs`).

mod answers;
mod audit;
mod awards;
mod backup;
mod banks;
mod contests;
pub mod db;
mod item_stats;
mod rejections;
pub mod rows;
mod secrets;
mod shared;
mod stage;
mod tokens;
mod users;
pub mod writer;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use answers::Rejection;
pub use audit::{AuditEntry, AuditRow, GENESIS_HASH, chain_break, chain_hash};
pub use awards::ResultSettingsRow;
pub use backup::{BackupSummary, backup_database};
pub use banks::{CategoryCount, QUESTION_COLUMNS, QuestionFilter};
pub use contests::{NewContest, NewRound, RosterEntry, SeatRow};
pub use db::{Backend, Pool, Tx};
pub use item_stats::{ItemStatRow, ReviewRow};
pub use rejections::{MAX_REJECTIONS_PAGE, REJECTIONS_KEPT_PER_MINUTE};
pub use rows::*;
pub use secrets::RosterLogin;
pub use stage::{BuzzerEventRow, StageEntryRow, StageTeamRow, StageWrite};

/// Migrations embedded in the binary, one directory per dialect.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub struct Store {
    read_pool: Pool,
    write_pool: Pool,
    /// Fault injection for tests ([`Store::set_write_page_limit`], SQLite only): the writer's page limit, 0 for
    /// none. Shared with the pool's connect hook so a replacement writer connection gets the same limit.
    page_limit: Arc<AtomicU32>,
}

impl Store {
    /// Open a database by URL: `postgres://…` (or `postgresql://…`) for PostgreSQL, `sqlite://PATH` or a plain
    /// file path for SQLite. Runs pending migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url).await
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            Self::open(Path::new(path)).await
        }
    }

    /// Open (creating if needed) the SQLite database file and run pending migrations.
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL survives process crashes (kill -9); FULL adds power-loss durability
            // at the cost of an fsync per commit. Group commit makes FULL affordable, so use it.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let page_limit = Arc::new(AtomicU32::new(0));
        let limit = page_limit.clone();
        let write_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .after_connect(move |conn, _| {
                let limit = limit.load(Ordering::Acquire);
                Box::pin(async move {
                    if limit > 0 {
                        apply_page_limit(conn, limit).await?;
                    }
                    Ok(())
                })
            })
            // A write transaction that failed (a full disk at COMMIT, an error mid-batch) may leave this
            // connection inside a transaction as far as sqlx knows: SQLite rolled back by itself, the ROLLBACK that
            // sqlx queued then fails, and every later BEGIN is refused ("begin_with at non-zero transaction depth").
            // Such a connection is closed instead of returned; the pool opens a fresh one for the next write.
            .after_release(|conn, _| {
                Box::pin(async move {
                    // The ping runs after any rollback sqlx queued when the transaction was dropped.
                    conn.ping().await?;
                    if conn.is_in_transaction() {
                        tracing::warn!("the writer connection is still inside a transaction; replacing it");
                        return Ok(false);
                    }
                    Ok(true)
                })
            })
            .connect_with(options.clone())
            .await?;
        SQLITE_MIGRATIONS.run(&write_pool).await?;
        let read_pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            read_pool: Pool::Sqlite(read_pool),
            write_pool: Pool::Sqlite(write_pool),
            page_limit,
        })
    }

    /// Connect to PostgreSQL and run pending migrations (the migrator takes an advisory lock, so instances
    /// starting together migrate once). Writes of this process still go through one connection, in order, as on
    /// SQLite: the group-commit writer batches them, and an organizer's write never interleaves with another of
    /// the same process. Several instances write concurrently; what they share is serialized by row locks and,
    /// where a write reads before it appends (the audit chain), by a transaction-scoped advisory lock.
    async fn open_postgres(url: &str) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let write_pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL at {}: {e}", redact(url)))?;
        POSTGRES_MIGRATIONS.run(&write_pool).await?;
        let read_pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(Self {
            read_pool: Pool::Postgres(read_pool),
            write_pool: Pool::Postgres(write_pool),
            page_limit: Arc::new(AtomicU32::new(0)),
        })
    }

    pub fn backend(&self) -> Backend {
        self.write_pool.backend()
    }

    /// Fault injection for tests and drills (SQLite only): cap the database at `Some(pages)` pages on the writer
    /// connection (`PRAGMA max_page_count`; SQLite never lowers it below the current size, so `Some(0)` means "no
    /// room beyond what the file holds now"), or lift the cap with `None`. Writes that need a new page then fail
    /// with SQLite's genuine "database or disk is full", exactly as on a full disk, and succeed again once the
    /// cap is lifted. Returns the effective limit. Not reachable over HTTP.
    pub async fn set_write_page_limit(&self, pages: Option<u32>) -> sqlx::Result<u32> {
        let Pool::Sqlite(write_pool) = &self.write_pool else {
            return Err(sqlx::Error::Configuration(
                "the page limit is a SQLite fault injection".into(),
            ));
        };
        let mut conn = write_pool.acquire().await?;
        // `max_page_count = 0` leaves the limit unchanged, so ask for the current size explicitly.
        let size: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut *conn)
            .await?;
        let size = u32::try_from(size).unwrap_or(u32::MAX);
        let wanted = pages.map_or(u32::MAX, |pages| pages.max(size).max(1));
        let effective = apply_page_limit(&mut conn, wanted).await?;
        self.page_limit
            .store(if pages.is_some() { effective } else { 0 }, Ordering::Release);
        Ok(effective)
    }

    /// A write transaction (see [`Pool::begin_write`]).
    pub async fn begin_write(&self) -> sqlx::Result<Tx> {
        self.write_pool.begin_write().await
    }

    pub fn reader(&self) -> &Pool {
        &self.read_pool
    }

    pub fn writer_pool(&self) -> &Pool {
        &self.write_pool
    }

    /// Close both pools (a test dropping its PostgreSQL database needs the connections gone).
    pub async fn close(&self) {
        self.read_pool.close().await;
        self.write_pool.close().await;
    }
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Set `max_page_count` (SQLite clamps it between the current size and its compile-time maximum) and return
/// the limit now in force.
async fn apply_page_limit(conn: &mut sqlx::SqliteConnection, pages: u32) -> sqlx::Result<u32> {
    let effective: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}")))
        .fetch_one(&mut *conn)
        .await?;
    Ok(u32::try_from(effective).unwrap_or(u32::MAX))
}

/// Milliseconds since the Unix epoch: the server's clock, the only clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
