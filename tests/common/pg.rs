//! The PostgreSQL pass of the integration tests: with `JINGSAI_TEST_POSTGRES_URL` set (such as
//! `postgres://postgres@127.0.0.1:5432/postgres`), every test server gets a fresh database of its own on that
//! PostgreSQL server, created through the URL's database and dropped again when the test is done. Without the
//! variable the tests run on SQLite, the default.
//!
//! The administrative statements run on a thread of their own with a small runtime of its own, so they work
//! from synchronous code, from `Drop`, and from inside any test runtime alike.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, PgConnection};

/// The variable naming the PostgreSQL server (and the database to connect to for creating others).
pub const ENV: &str = "JINGSAI_TEST_POSTGRES_URL";

/// Every test database's name starts with this (`.ci/run` drops leftovers by it).
pub const PREFIX: &str = "jingsai_t_";

/// The file in a test's data directory naming its PostgreSQL database: written for every [`super::TestServer`]
/// and for the processes started on a data directory ([`database_for_dir`]), so whatever runs on a data directory
/// (such as `jingsai audit verify`) finds the database with [`database_url_of_dir`].
pub const DIR_FILE: &str = "test-postgres-database";

/// The administrative URL from `JINGSAI_TEST_POSTGRES_URL`, `None` when the tests run on SQLite.
pub fn admin_url() -> Option<String> {
    std::env::var(ENV).ok().filter(|url| !url.trim().is_empty())
}

/// Whether this run tests PostgreSQL.
pub fn enabled() -> bool {
    admin_url().is_some()
}

/// Skip a test that only makes sense on SQLite: prints why and returns true on the PostgreSQL pass.
pub fn skip_on_postgres(test: &str, why: &str) -> bool {
    if enabled() {
        eprintln!("{test}: skipped on PostgreSQL ({ENV} is set): {why}");
        true
    } else {
        false
    }
}

/// A database created for one test, dropped (with whatever is still connected to it) when this is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    /// A fresh database, named in `data_dir` (see [`DIR_FILE`]), or `None` when the tests run on SQLite.
    pub fn create_for(data_dir: &Path) -> Option<Self> {
        let database = Self::create()?;
        std::fs::write(data_dir.join(DIR_FILE), &database.name).expect("name the test database");
        Some(database)
    }

    /// A fresh database, or `None` when the tests run on SQLite.
    pub fn create() -> Option<Self> {
        let admin = admin_url()?;
        let name = unique_name();
        run_admin(&admin, format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|e| panic!("cannot create the test database {name} through {admin}: {e}"));
        Some(Self {
            url: database_url(&admin, &name),
            name,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        drop_database(&self.name);
    }
}

/// The database of the server processes started on `data_dir`: created at the first start and named in a file
/// inside the data directory, so a restarted process finds the same data. `None` when the tests run on SQLite.
pub fn database_for_dir(data_dir: &Path) -> Option<String> {
    let admin = admin_url()?;
    let file = data_dir.join(DIR_FILE);
    let name = match std::fs::read_to_string(&file) {
        Ok(name) => name.trim().to_string(),
        Err(_) => {
            let name = unique_name();
            run_admin(&admin, format!("CREATE DATABASE \"{name}\""))
                .unwrap_or_else(|e| panic!("cannot create the test database {name} through {admin}: {e}"));
            std::fs::write(&file, &name).expect("remember the test database");
            name
        }
    };
    Some(database_url(&admin, &name))
}

/// The PostgreSQL database of a test's data directory (a [`super::TestServer`]'s or one that processes run on),
/// `None` on SQLite or when the directory has none.
pub fn database_url_of_dir(data_dir: &Path) -> Option<String> {
    let admin = admin_url()?;
    let name = std::fs::read_to_string(data_dir.join(DIR_FILE)).ok()?;
    Some(database_url(&admin, name.trim()))
}

/// Drop the database named in `data_dir` by [`database_for_dir`], if any.
pub fn drop_database_of_dir(data_dir: &Path) {
    if let Ok(name) = std::fs::read_to_string(data_dir.join(DIR_FILE)) {
        drop_database(name.trim());
    }
}

/// Best effort: drop `name`, disconnecting whoever is still connected. A failure only leaves a database behind
/// (its name is unique, so no later run trips over it); it is reported, not raised, since this runs in `Drop`.
pub fn drop_database(name: &str) {
    let Some(admin) = admin_url() else { return };
    if !name.starts_with(PREFIX) || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        eprintln!("not dropping {name:?}: not a test database name");
        return;
    }
    if let Err(e) = run_admin(&admin, format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")) {
        eprintln!("could not drop the test database {name}: {e}");
    }
}

/// `jingsai_t_<pid>_<counter>_<random>`: unique among concurrent test binaries and across runs.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{PREFIX}{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    )
}

/// The administrative URL with its database replaced by `name` (user, host, port and parameters kept).
fn database_url(admin: &str, name: &str) -> String {
    let mut url = reqwest::Url::parse(admin).unwrap_or_else(|e| panic!("{ENV} is not a URL ({e}): {admin}"));
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Run one statement on the administrative database, on a thread and runtime of its own.
fn run_admin(admin: &str, statement: String) -> Result<(), String> {
    let admin = admin.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let mut conn = PgConnection::connect(&admin).await.map_err(|e| e.to_string())?;
            let result = sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string());
            let _ = conn.close().await;
            result
        })
    })
    .join()
    .map_err(|_| "the database thread panicked".to_string())?
}
