//! Durable storage. SQLite in WAL mode with one writer connection: every write, including the batched answer
//! writer, goes through `write_pool` (max one connection), so writes are serialized in-process and reads never
//! wait for them.
//!
//! The PostgreSQL backend of the scale-out issue will implement the same operations; the query methods are
//! grouped by resource (`banks.rs`, `contests.rs`, `answers.rs`) to make that split mechanical.

mod answers;
mod banks;
mod contests;
pub mod rows;
mod users;
pub mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use answers::Rejection;
pub use banks::{CategoryCount, QuestionFilter};
pub use contests::{NewContest, NewRound, RosterEntry};
pub use rows::*;

/// Migrations embedded in the binary, one directory per dialect.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
pub struct Store {
    read_pool: SqlitePool,
    write_pool: SqlitePool,
}

impl Store {
    /// Open (creating if needed) the database file and run pending migrations.
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
        let write_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        SQLITE_MIGRATIONS.run(&write_pool).await?;
        let read_pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            read_pool,
            write_pool,
        })
    }

    /// A write transaction that takes the database write lock up front (BEGIN IMMEDIATE), so a concurrent
    /// writer from another process (such as `jingsai bank import`) waits instead of failing mid-transaction.
    pub async fn begin_write(&self) -> sqlx::Result<Transaction<'static, Sqlite>> {
        self.write_pool.begin_with("BEGIN IMMEDIATE").await
    }

    pub fn reader(&self) -> &SqlitePool {
        &self.read_pool
    }

    pub fn writer_pool(&self) -> &SqlitePool {
        &self.write_pool
    }
}

/// Milliseconds since the Unix epoch: the server's clock, the only clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
