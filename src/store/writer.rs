//! Group commit: one task owns answer writes. It takes every job waiting in its queue (up to a batch limit),
//! writes them in one transaction, commits once, and only then tells each submitter "done". A client hears
//! "received" only after that reply, so an acknowledged answer is on disk, and many answers share one fsync.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, oneshot};

use super::answers::Rejection;
use super::{AnswerRow, Store};

/// The default largest batch: everything waiting, up to this many jobs, shares one commit.
pub const DEFAULT_MAX_BATCH: usize = 512;
const QUEUE: usize = 8192;

enum Job {
    /// The flag is set once the row is committed, so the engine can tell durable answers from pending ones.
    Answer(AnswerRow, Arc<AtomicBool>, oneshot::Sender<Result<(), String>>),
    Rejection(Rejection),
    /// Resolves once every job queued before it is committed.
    Barrier(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct AnswerWriter {
    tx: mpsc::Sender<Job>,
}

/// Waits for one answer's commit.
pub struct PendingCommit(oneshot::Receiver<Result<(), String>>);

impl PendingCommit {
    pub async fn committed(self) -> Result<(), String> {
        self.0
            .await
            .unwrap_or_else(|_| Err("the answer writer stopped".to_string()))
    }
}

impl AnswerWriter {
    /// Start the writer task. `max_batch` 1 disables group commit (one commit per answer; for benchmarks).
    pub fn spawn(store: Store, max_batch: usize) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, rx, max_batch.max(1)));
        Self { tx }
    }

    /// Queue an answer; await the returned handle to learn that it is committed. `durable` is set to true at
    /// the commit (and left alone if the commit fails).
    pub async fn put_answer(&self, row: AnswerRow, durable: Arc<AtomicBool>) -> PendingCommit {
        let (done, wait) = oneshot::channel();
        if let Err(mpsc::error::SendError(Job::Answer(_, _, done))) =
            self.tx.send(Job::Answer(row, durable, done)).await
        {
            let _ = done.send(Err("the answer writer stopped".into()));
        }
        PendingCommit(wait)
    }

    pub async fn put_rejection(&self, rejection: Rejection) {
        let _ = self.tx.send(Job::Rejection(rejection)).await;
    }

    /// Wait until everything queued so far is committed.
    pub async fn barrier(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Job::Barrier(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut batch = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        let result = write_batch(&store, &batch).await.map_err(|e| e.to_string());
        if let Err(message) = &result {
            tracing::error!(error = %message, jobs = batch.len(), "answer batch failed to commit");
        }
        for job in batch.drain(..) {
            match job {
                Job::Answer(_, durable, done) => {
                    if result.is_ok() {
                        durable.store(true, Ordering::Release);
                    }
                    let _ = done.send(result.clone());
                }
                Job::Barrier(done) => {
                    let _ = done.send(());
                }
                Job::Rejection(_) => {}
            }
        }
    }
}

async fn write_batch(store: &Store, batch: &[Job]) -> sqlx::Result<()> {
    if batch.iter().all(|job| matches!(job, Job::Barrier(_))) {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    for job in batch {
        match job {
            Job::Answer(row, _, _) => Store::put_answer(&mut tx, row).await?,
            Job::Rejection(r) => Store::put_rejection(&mut tx, r).await?,
            Job::Barrier(_) => {}
        }
    }
    tx.commit().await
}
