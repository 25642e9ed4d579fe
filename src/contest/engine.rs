//! All contest actors of this process, and (several instances sharing PostgreSQL) which contests run here.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tokio::sync::{Mutex, mpsc};

use super::{ContestHandle, Route, actor};
use crate::cluster::Cluster;
use crate::error::{AppError, AppResult};
use crate::realtime::ContestHub;
use crate::store::Store;
use crate::store::writer::AnswerWriter;

#[derive(Clone)]
pub struct Engine {
    store: Store,
    writer: AnswerWriter,
    contests: Arc<Mutex<HashMap<i64, ContestHandle>>>,
    /// Set when this process is one of several instances sharing a PostgreSQL database.
    cluster: Arc<OnceLock<Arc<Cluster>>>,
}

impl Engine {
    pub fn new(store: Store, answer_batch: usize) -> Self {
        let writer = AnswerWriter::spawn(store.clone(), answer_batch);
        Self {
            store,
            writer,
            contests: Arc::new(Mutex::new(HashMap::new())),
            cluster: Arc::new(OnceLock::new()),
        }
    }

    /// Share contests with the other instances of this database from now on (before any contest is loaded).
    pub fn join_cluster(&self, cluster: Arc<Cluster>) {
        let _ = self.cluster.set(cluster);
    }

    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.get()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The group-commit writer (answers, and the writes of joins).
    pub fn writer(&self) -> &AnswerWriter {
        &self.writer
    }

    /// The handle of a contest: its actor, started (and its state loaded) on first use, or, when another instance
    /// owns the contest, a route to that instance.
    pub async fn contest(&self, contest_id: i64) -> AppResult<ContestHandle> {
        let mut contests = self.contests.lock().await;
        if let Some(handle) = contests.get(&contest_id)
            && handle.alive()
        {
            return Ok(handle.clone());
        }
        let hub = Arc::new(ContestHub::new());
        let handle = match self.cluster.get() {
            None => self.start_local(contest_id, hub).await?,
            Some(cluster) => {
                hub.set_relay(cluster.relay(contest_id));
                if cluster.try_own(contest_id).await.map_err(AppError::internal)? {
                    let handle = self.start_local(contest_id, hub).await?;
                    cluster.owning(handle.clone());
                    handle
                } else {
                    if self.store.contest(contest_id).await?.is_none() {
                        return Err(AppError::not_found("contest"));
                    }
                    ContestHandle {
                        route: Arc::new(std::sync::RwLock::new(Route::Remote(cluster.clone()))),
                        hub,
                        contest_id,
                        store: self.store.clone(),
                    }
                }
            }
        };
        contests.insert(contest_id, handle.clone());
        Ok(handle)
    }

    async fn start_local(&self, contest_id: i64, hub: Arc<ContestHub>) -> AppResult<ContestHandle> {
        let tx = self.spawn_actor(contest_id, hub.clone()).await?;
        Ok(ContestHandle {
            route: Arc::new(std::sync::RwLock::new(Route::Local(tx))),
            hub,
            contest_id,
            store: self.store.clone(),
        })
    }

    async fn spawn_actor(
        &self,
        contest_id: i64,
        hub: Arc<ContestHub>,
    ) -> AppResult<mpsc::Sender<super::Command>> {
        let actor = actor::Actor::load(contest_id, self.store.clone(), self.writer.clone(), hub)
            .await?
            .ok_or_else(|| AppError::not_found("contest"))?;
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(actor.run(rx));
        Ok(tx)
    }

    /// This instance took over a contest another instance owned (its owner stopped): load its state from the
    /// store, as after a restart, and run its actor here. Sockets already open here stay attached.
    pub(crate) async fn promote(&self, handle: &ContestHandle) -> AppResult<()> {
        let tx = self.spawn_actor(handle.contest_id, handle.hub.clone()).await?;
        handle.set_route(Route::Local(tx));
        Ok(())
    }

    /// Contests loaded here whose actor runs in another instance.
    pub(crate) async fn remote_contests(&self) -> Vec<ContestHandle> {
        let contests = self.contests.lock().await;
        contests
            .values()
            .filter(|handle| matches!(handle.route(), Route::Remote(_)))
            .cloned()
            .collect()
    }

    /// Every contest loaded here.
    pub(crate) async fn loaded(&self) -> Vec<ContestHandle> {
        self.contests.lock().await.values().cloned().collect()
    }

    /// The handle of a contest loaded here, without loading it.
    pub(crate) async fn loaded_contest(&self, contest_id: i64) -> Option<ContestHandle> {
        self.contests.lock().await.get(&contest_id).cloned()
    }

    /// The hub (the open sockets) of every contest loaded in this process; no contest is loaded by this.
    pub async fn hubs(&self) -> Vec<(i64, Arc<ContestHub>)> {
        let contests = self.contests.lock().await;
        contests
            .iter()
            .map(|(id, handle)| (*id, handle.hub.clone()))
            .collect()
    }

    /// A bank was re-imported: the running actors of these contests reload their questions and rescore, in
    /// place, so their connected screens stay attached. Contests not loaded yet will read the new bank anyway.
    pub async fn reload_questions(&self, contest_ids: &[i64]) -> AppResult<()> {
        let handles: Vec<ContestHandle> = {
            let contests = self.contests.lock().await;
            contest_ids
                .iter()
                .filter_map(|id| contests.get(id).cloned())
                .collect()
        };
        for handle in handles {
            handle.reload_questions().await?;
        }
        Ok(())
    }

    /// Wait until every answer and rejection queued so far is committed (at shutdown).
    pub async fn flush(&self) {
        if !self.writer.barrier().await.all_committed() {
            tracing::warn!(
                "some answers queued before shutdown failed to commit (they were not acknowledged)"
            );
        }
    }

    /// After a restart: bring every running contest back, so its timers fire without anyone asking. With several
    /// instances, each loads every running contest: one owns it, the others stand by to take it over.
    pub async fn resume_running(&self) -> anyhow::Result<usize> {
        let ids = self.store.running_contest_ids().await?;
        for id in &ids {
            self.contest(*id)
                .await
                .map_err(|e| anyhow::anyhow!("resuming contest {id}: {e}"))?;
        }
        Ok(ids.len())
    }
}

impl ContestHandle {
    /// Whether the handle still leads somewhere (a local actor that stopped does not).
    fn alive(&self) -> bool {
        match self.route() {
            Route::Local(tx) => !tx.is_closed(),
            Route::Remote(_) => true,
        }
    }
}
