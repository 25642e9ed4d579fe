//! The failures a client can see.
//!
//! Policy: on the request path, errors are typed (`AppError`) with a stable machine-readable `code` and a
//! human message; every response body is JSON `{"error": {"code", "message", "details"?}}`. Internal errors
//! (database, I/O) are logged with their cause and answered with a generic message, never with their details.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

/// The JSON body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorPayload,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorPayload {
    /// Stable identifier such as `answer_late` or `token_expired`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: impl Serialize) -> Self {
        self.details = serde_json::to_value(details).ok();
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// Log the cause; tell the client only that something went wrong on our side.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error; the details are in the server log",
        )
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// The database could not take the write (disk full, I/O error, locked for too long, no connection). The
    /// request did nothing; the same request can be sent again once the operator has freed space or the
    /// storage is back, without a restart. The cause goes to the log, never to the client.
    pub fn storage_unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "storage unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "the data could not be saved (the server's storage is unavailable or full); nothing was changed, \
             please try again",
        )
    }
}

/// SQLite primary result codes that mean "the storage cannot take this now" rather than "this request is wrong":
/// SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN.
const STORAGE_CODES: [i64; 7] = [5, 6, 7, 8, 10, 13, 14];

/// Whether a database error is a storage failure (full disk, I/O, busy or locked past the timeout, no pool
/// connection) that the client may simply retry, as opposed to a bug or a constraint violation.
pub fn is_storage_failure(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
            Some(pg) => is_postgres_storage_failure(pg.code()),
            // SQLite reports extended codes (e.g. 778 = SQLITE_IOERR_WRITE); the low byte is the primary code.
            None => db
                .code()
                .and_then(|code| code.parse::<i64>().ok())
                .is_some_and(|code| STORAGE_CODES.contains(&(code & 0xff))),
        },
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs with the same meaning as [`STORAGE_CODES`]: connection exceptions (class 08),
/// insufficient resources such as a full disk (53), operator intervention such as a cancelled statement or a
/// server shutting down (57), a system I/O error (58030), a lock not available in time (55P03), a read-only
/// transaction (25006), and a serialization failure or deadlock (40001, 40P01), which a retry resolves.
fn is_postgres_storage_failure(sqlstate: &str) -> bool {
    matches!(sqlstate.get(..2), Some("08" | "53" | "57"))
        || matches!(sqlstate, "58030" | "55P03" | "25006" | "40001" | "40P01")
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if is_storage_failure(&e) {
            Self::storage_unavailable(e)
        } else {
            Self::internal(e)
        }
    }
}

impl From<anyhow::Error> for AppError {
    /// Store functions that also serialize or validate return `anyhow`; a database error inside keeps its
    /// storage meaning.
    fn from(e: anyhow::Error) -> Self {
        if e.chain().any(|cause| {
            cause
                .downcast_ref::<sqlx::Error>()
                .is_some_and(is_storage_failure)
        }) {
            Self::storage_unavailable(format!("{e:#}"))
        } else {
            Self::internal(format!("{e:#}"))
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorPayload {
                code: self.code.to_string(),
                message: self.message,
                details: self.details,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, SqliteConnection};

    use super::*;

    /// Real SQLite errors: a full database is a storage failure (503), a constraint violation is not.
    #[tokio::test]
    async fn storage_failures_are_503_and_constraint_errors_are_not() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.expect("open");
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
            .execute(&mut conn)
            .await
            .expect("create");
        sqlx::query("INSERT INTO t (id, v) VALUES (1, x'00')")
            .execute(&mut conn)
            .await
            .expect("insert");
        let duplicate = sqlx::query("INSERT INTO t (id, v) VALUES (1, x'00')")
            .execute(&mut conn)
            .await
            .expect_err("duplicate key");
        assert!(!is_storage_failure(&duplicate));
        assert_eq!(
            AppError::from(duplicate).status,
            StatusCode::INTERNAL_SERVER_ERROR
        );

        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut conn)
            .await
            .expect("size");
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}")))
            .execute(&mut conn)
            .await
            .expect("cap");
        let full = sqlx::query("INSERT INTO t (v) VALUES (zeroblob(100000))")
            .execute(&mut conn)
            .await
            .expect_err("database is full");
        assert!(is_storage_failure(&full), "{full}");
        let error = AppError::from(anyhow::Error::from(full).context("saving"));
        assert_eq!(
            (error.status, error.code),
            (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable")
        );
        assert!(
            !error.message.contains("database or disk") && !error.message.contains("saving"),
            "no internal details: {}",
            error.message
        );

        for e in [sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed] {
            assert_eq!(AppError::from(e).code, "storage_unavailable");
        }
        assert_eq!(AppError::from(sqlx::Error::RowNotFound).code, "internal");
    }

    /// PostgreSQL's codes: a full disk, a lost connection, a cancelled statement or a lock timeout is a storage
    /// failure; a constraint violation or a syntax error is not (their numeric-looking SQLSTATEs are not read as
    /// SQLite codes).
    #[test]
    fn postgres_storage_failures_by_sqlstate() {
        for code in [
            "53100", "08006", "57014", "57P01", "55P03", "40001", "40P01", "25006",
        ] {
            assert!(is_postgres_storage_failure(code), "{code}");
        }
        for code in ["23505", "23503", "42601", "42P01", "22P02", "XX000"] {
            assert!(!is_postgres_storage_failure(code), "{code}");
        }
    }
}
