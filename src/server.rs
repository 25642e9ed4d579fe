//! Starting the server: open the store, do the first-start work, bring running contests back, serve.
//! Tests call [`start`] with a listener bound to `127.0.0.1:0`.

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::{Keys, hash_password, random_token};
use crate::config::Settings;
use crate::contest::Engine;
use crate::http::serve::Limits;
use crate::http::{AppState, router};
use crate::store::Backend;

/// What the first start did, for the caller to print.
#[derive(Debug, Default)]
pub struct Startup {
    /// The generated `admin` password: shown once, never stored in clear.
    pub generated_admin_password: Option<String>,
    pub imported_questions: usize,
    pub resumed_contests: usize,
}

/// A prepared server: state plus what startup did.
pub struct Prepared {
    pub state: AppState,
    pub startup: Startup,
    shutdown_tx: watch::Sender<bool>,
}

pub async fn prepare(settings: Settings) -> anyhow::Result<Prepared> {
    std::fs::create_dir_all(&settings.data_dir)?;
    let store = settings.open_store().await?;
    // Instances sharing a PostgreSQL database must accept each other's tokens: the signing secret lives in the
    // database there. On SQLite it stays a file beside the database (not part of a backup).
    let keys = match store.backend() {
        Backend::Sqlite => Keys::load_or_create(&settings.data_dir)?,
        Backend::Postgres => Keys::from_secret(&store.shared_secret("jwt", || random_token(48)).await?)?,
    };
    let mut startup = Startup::default();

    if let Some(dir) = &settings.banks_dir
        && store.bank_count().await? == 0
        && dir.exists()
    {
        let banks = crate::bank::load_path(dir).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("the shipped banks have errors:\n{}", lines.join("\n"))
        })?;
        startup.imported_questions = store.import_banks(&banks).await?;
    }

    if let Some(password) = &settings.admin_password {
        crate::auth::ensure_password(&store, "admin", password).await?;
    } else if store.user_count().await? == 0 {
        let password = random_token(12);
        store.upsert_user("admin", &hash_password(&password)?).await?;
        startup.generated_admin_password = Some(password);
    }

    let engine = Engine::new(store.clone(), settings.answer_batch);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    // On PostgreSQL, instances sharing the database share its contests (src/cluster).
    if let (Backend::Postgres, Some(url)) = (store.backend(), &settings.database_url) {
        crate::cluster::Cluster::start(url, engine.clone(), shutdown_rx.clone()).await?;
    }
    startup.resumed_contests = engine.resume_running().await?;
    let state = AppState::new(store, engine, keys, settings, shutdown_rx);
    Ok(Prepared {
        state,
        startup,
        shutdown_tx,
    })
}

impl Prepared {
    /// Serve until `shutdown` resolves; then stop accepting, tell open WebSockets, finish requests in flight,
    /// flush the answer writer and return (within about 5 s, even if some client never reads).
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let mut state = self.state.clone();
        let local = listener.local_addr()?;
        state.local_port = local.port();
        state.local_ip = local.ip();
        let engine = state.engine.clone();
        // Sockets of logins revoked elsewhere (a password change by another process) close within a few seconds.
        crate::http::revoke::spawn_sweeper(state.store.clone(), engine.clone(), state.shutdown.clone());
        let limits = Limits::from_settings(&state.settings);
        let app = router(state);
        let shutdown_tx = self.shutdown_tx;
        crate::http::serve::run(listener, app, limits, async move {
            shutdown.await;
            // WebSocket tasks watch this: each sends a close frame and ends.
            let _ = shutdown_tx.send(true);
        })
        .await;
        // Acknowledged answers are committed already (an answer is acknowledged only after its commit); this
        // also commits refused-answer records still queued.
        if tokio::time::timeout(FLUSH_TIMEOUT, engine.flush()).await.is_err() {
            tracing::warn!("shutdown: the answer writer did not finish in time");
        }
        Ok(())
    }
}

/// The most a shutdown waits for the answer writer after the connections are gone.
const FLUSH_TIMEOUT: Duration = Duration::from_millis(750);

/// How many connections the server will hold with these settings and the current open-file limit.
pub fn connection_capacity(settings: &Settings) -> usize {
    Limits::from_settings(settings).max_total
}

/// Convenience for tests and embedding: prepare and serve on `listener` in a background task.
pub async fn start(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(Startup, tokio::task::JoinHandle<anyhow::Result<()>>)> {
    let mut prepared = prepare(settings).await?;
    let startup = std::mem::take(&mut prepared.startup);
    let handle = tokio::spawn(prepared.serve(listener, shutdown));
    Ok((startup, handle))
}
