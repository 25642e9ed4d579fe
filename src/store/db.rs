//! The two database backends behind [`super::Store`]: SQLite (the default: one file, one process) and PostgreSQL
//! (several instances sharing one database). Every query is written once, with `$1, $2, …` placeholders (SQLite
//! reads them as numbered parameters too), and run on whichever backend the store has through [`on_pool!`] and
//! [`on_tx!`]: the macro expands the query once per backend, so each expansion is checked by the compiler against
//! that backend's types. The few statements whose SQL differs between the dialects ask [`Backend`] which to use.

use sqlx::postgres::PgPool;
use sqlx::{Postgres, Sqlite, SqlitePool, Transaction};

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// A subquery listing the integers of the JSON array (text) bound as parameter `$param`, for `IN (…)`
    /// clauses over a list of ids: SQLite's `json_each`, PostgreSQL's `json_array_elements_text`.
    pub fn json_integers(self, param: u8) -> String {
        match self {
            Self::Sqlite => format!("SELECT value FROM json_each(${param})"),
            Self::Postgres => format!("SELECT value::BIGINT FROM json_array_elements_text(${param}::JSON)"),
        }
    }
}

/// A connection pool of either backend.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Start a write transaction. SQLite takes the database write lock up front (`BEGIN IMMEDIATE`), so a
    /// concurrent writer from another process (such as `jingsai bank import`) waits instead of failing
    /// mid-transaction; PostgreSQL locks rows as they are written.
    pub async fn begin_write(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Self::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// The SQLite pool, for what only SQLite has (fault injection, `PRAGMA`s in tests).
    pub fn as_sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Self::Sqlite(pool) => Some(pool),
            Self::Postgres(_) => None,
        }
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

/// A write transaction of either backend. Dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Self::Sqlite(tx) => tx.commit().await,
            Self::Postgres(tx) => tx.commit().await,
        }
    }

    pub async fn rollback(self) -> sqlx::Result<()> {
        match self {
            Self::Sqlite(tx) => tx.rollback().await,
            Self::Postgres(tx) => tx.rollback().await,
        }
    }
}

/// Run `$body` with `$c` bound to the pool of whichever backend `$pool` (a `&Pool`) holds.
macro_rules! on_pool {
    ($pool:expr, |$c:ident| $body:expr) => {
        match $pool {
            $crate::store::db::Pool::Sqlite($c) => $body,
            $crate::store::db::Pool::Postgres($c) => $body,
        }
    };
}

/// Run `$body` with `$c` bound to the connection of the transaction `$tx` (a `&mut Tx`).
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::store::db::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::store::db::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

pub(crate) use {on_pool, on_tx};
