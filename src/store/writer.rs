//! Group commit: one task owns answer writes and the writes of joins (seat binding and the new session). It
//! takes every job waiting in its queue (up to a batch limit), writes them in one transaction, commits once, and
//! only then tells each submitter "done". A client hears "received" (or gets its join token) only after that
//! reply, so an acknowledged answer or a session is on disk, and many share one fsync.
//!
//! A batch that fails (full disk, I/O error, lock timeout) is rolled back and reported to each submitter; the
//! writer then carries on with the next batch on a clean connection (see `Store::open` for the connection that
//! cannot be rolled back), so saving resumes by itself as soon as the storage can take writes again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::answers::Rejection;
use super::rejections::RejectionLimiter;
use super::{AnswerRow, PaperRow, Store, now_ms};

/// The default largest batch: everything waiting, up to this many jobs, shares one commit.
pub const DEFAULT_MAX_BATCH: usize = 512;
const QUEUE: usize = 8192;
/// After the first job of a batch arrives, the writer waits this long for more before it commits (unless a
/// barrier waits or the batch is full). A commit with its `fsync` costs the same for one row as for a hundred;
/// at 1,000 answers a second this turns ~1.7 answers per commit into ~5, for at most this much more latency.
const LINGER: Duration = Duration::from_millis(3);

/// Told once the answer's batch committed (or why it did not).
type CommitReply = oneshot::Sender<Result<(), String>>;
/// Told a join's outcome once its batch committed (or why it did not).
type SessionReply = oneshot::Sender<Result<SessionOutcome, String>>;

enum Job {
    /// The flag is set once the row is committed, so the engine can tell durable answers from pending ones.
    Answer(AnswerRow, Arc<AtomicBool>, CommitReply),
    Rejection(Rejection),
    /// An exam paper handed out or handed in. The flag is set once it is committed.
    Paper(PaperWrite, Arc<AtomicBool>, CommitReply),
    /// A join: bind the seat (when asked) and make the session the participant's only valid one.
    Session(SessionWrite, SessionReply),
    /// Resolves once every job queued before it is committed or failed.
    Barrier(oneshot::Sender<BarrierOutcome>),
}

/// An exam paper's writes. Queued behind the paper's answers, so a hand-in commits with or after them.
#[derive(Debug, Clone)]
pub enum PaperWrite {
    /// The paper as drawn; writing it again (a retry after a failed commit) changes nothing.
    Start(PaperRow),
    /// Handed in (or submitted at its deadline); only the first hand-in counts.
    Submit {
        round_id: i64,
        participant_id: i64,
        submitted_at: i64,
        auto: bool,
    },
}

/// What a join writes: the participant's new session, and first the seat's device when the seat is free.
#[derive(Debug, Clone)]
pub struct SessionWrite {
    pub participant_id: i64,
    /// Bind the seat to this device if it is free (or already this device's); if another device holds it, the
    /// session is not written and the outcome says `taken`.
    pub bind_device: Option<String>,
    pub session_id: String,
    pub at: i64,
}

/// A committed session write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionOutcome {
    /// Another device bound the seat first: nothing was written.
    pub taken: bool,
    /// Commit order of this write among all session writes of the process: of two joins of one participant,
    /// the later `seq` is the session on disk.
    pub seq: u64,
}

/// What [`AnswerWriter::barrier`] found: whether the jobs queued before it (since the previous barrier) are all
/// on disk. The engine decides what a failure means for it (refuse a close, retry, or go on with what is
/// durable); each failed answer's submitter has already been told to send it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum BarrierOutcome {
    /// Every answer and rejection queued before the barrier (and after the previous one) is committed.
    AllCommitted,
    /// `failed` answers/rejections queued before the barrier (and after the previous one) could not be committed.
    Failed { failed: usize },
    /// The writer task is gone: nothing queued can be assumed committed.
    WriterStopped,
}

impl BarrierOutcome {
    pub fn all_committed(self) -> bool {
        self == Self::AllCommitted
    }
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

    /// Queue a refusal for the record. Subject to the per-participant cap (see `rejections.rs`).
    pub async fn put_rejection(&self, rejection: Rejection) {
        let _ = self.tx.send(Job::Rejection(rejection)).await;
    }

    /// Queue a paper write; await the returned handle to learn that it is committed (`durable` is set then).
    pub async fn put_paper(&self, write: PaperWrite, durable: Arc<AtomicBool>) -> PendingCommit {
        let (done, wait) = oneshot::channel();
        if let Err(mpsc::error::SendError(Job::Paper(_, _, done))) =
            self.tx.send(Job::Paper(write, durable, done)).await
        {
            let _ = done.send(Err("the writer stopped".into()));
        }
        PendingCommit(wait)
    }

    /// Write a join's seat binding and session in the next batch; resolves after the commit.
    pub async fn put_session(&self, write: SessionWrite) -> Result<SessionOutcome, String> {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Job::Session(write, done)).await.is_err() {
            return Err("the writer stopped".into());
        }
        wait.await.unwrap_or_else(|_| Err("the writer stopped".into()))
    }

    /// Wait until everything queued so far is committed or failed, and say which.
    pub async fn barrier(&self) -> BarrierOutcome {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Job::Barrier(done)).await.is_err() {
            return BarrierOutcome::WriterStopped;
        }
        wait.await.unwrap_or(BarrierOutcome::WriterStopped)
    }
}

/// One batch, taken apart: the rows to write and who to tell.
#[derive(Default)]
struct Batch {
    answers: Vec<(AnswerRow, Arc<AtomicBool>, CommitReply)>,
    rejections: Vec<Rejection>,
    papers: Vec<(PaperWrite, Arc<AtomicBool>, CommitReply)>,
    sessions: Vec<(SessionWrite, u64, SessionReply)>,
    /// Each barrier with the number of answer/rejection jobs queued before it in this batch.
    barriers: Vec<(oneshot::Sender<BarrierOutcome>, usize)>,
    /// Answer and rejection jobs in this batch (summary rows of the rejection cap not counted).
    jobs: usize,
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut jobs = Vec::with_capacity(max_batch);
    let mut limiter = RejectionLimiter::default();
    // Jobs that failed after the last barrier resolved: the next barrier reports them.
    let mut failed_since_barrier = 0usize;
    let mut session_seq = 0u64;
    loop {
        // Wake up for a due summary row of the rejection cap even when no job arrives.
        let received = match limiter.next_due() {
            Some(due) => {
                let wait = Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0));
                tokio::time::timeout(wait, rx.recv_many(&mut jobs, max_batch))
                    .await
                    .unwrap_or(usize::MAX)
            }
            None => rx.recv_many(&mut jobs, max_batch).await,
        };
        if received != 0 && received != usize::MAX {
            linger(&mut rx, &mut jobs, max_batch).await;
        }
        let mut batch = Batch::default();
        if received == 0 {
            // Every sender is gone and the queue is empty: write what the cap still holds, then stop.
            limiter.flush_all(&mut batch.rejections);
            if let Err(e) = write_batch(&store, &batch).await {
                tracing::error!(error = %e, "the last rejection summaries failed to commit");
            }
            return;
        }
        limiter.flush_ended(now_ms(), &mut batch.rejections);
        for job in jobs.drain(..) {
            match job {
                Job::Answer(row, durable, done) => {
                    batch.answers.push((row, durable, done));
                    batch.jobs += 1;
                }
                Job::Rejection(r) => {
                    limiter.admit(r, &mut batch.rejections);
                    batch.jobs += 1;
                }
                Job::Paper(write, durable, done) => {
                    batch.papers.push((write, durable, done));
                    batch.jobs += 1;
                }
                Job::Session(write, done) => {
                    session_seq += 1;
                    batch.sessions.push((write, session_seq, done));
                }
                Job::Barrier(done) => batch.barriers.push((done, batch.jobs)),
            }
        }
        let started = std::time::Instant::now();
        let written = write_batch(&store, &batch).await.map_err(|e| e.to_string());
        let result = written.as_ref().map(|_| ()).map_err(Clone::clone);
        if batch.jobs > 0 {
            let metrics = &crate::metrics::METRICS;
            metrics.writer_batch_size.observe(batch.jobs as f64);
            metrics
                .writer_commit_seconds
                .observe(started.elapsed().as_secs_f64());
            if result.is_err() {
                metrics.writer_failed_batches.inc();
            }
        }
        if let Err(message) = &result {
            tracing::error!(error = %message, jobs = batch.jobs, "answer batch failed to commit; rolled back");
        }
        let answers = batch
            .answers
            .into_iter()
            .map(|(_, durable, done)| (durable, done));
        let papers = batch.papers.into_iter().map(|(_, durable, done)| (durable, done));
        for (durable, done) in answers.chain(papers) {
            if result.is_ok() {
                durable.store(true, Ordering::Release);
            }
            let _ = done.send(result.clone());
        }
        for (i, (_, seq, done)) in batch.sessions.into_iter().enumerate() {
            let _ = done.send(match &written {
                Ok(taken) => Ok(SessionOutcome { taken: taken[i], seq }),
                Err(e) => Err(e.clone()),
            });
        }
        let failed_here = |before: usize| if result.is_ok() { 0 } else { before };
        let mut last_barrier_at = None;
        for (done, before) in batch.barriers {
            let failed = failed_since_barrier + failed_here(before);
            let _ = done.send(match failed {
                0 => BarrierOutcome::AllCommitted,
                failed => BarrierOutcome::Failed { failed },
            });
            failed_since_barrier = 0;
            last_barrier_at = Some(before);
        }
        // Jobs after this batch's last barrier (or all of them) count toward the next barrier.
        failed_since_barrier += failed_here(batch.jobs) - failed_here(last_barrier_at.unwrap_or(0));
    }
}

/// Gather more jobs for [`LINGER`] after the first, unless the batch is full, a barrier is waiting (a close or
/// an end of round: it must not wait) or group commit is off (`max_batch` 1).
async fn linger(rx: &mut mpsc::Receiver<Job>, jobs: &mut Vec<Job>, max_batch: usize) {
    if max_batch <= 1 || jobs.len() >= max_batch || jobs.iter().any(|j| matches!(j, Job::Barrier(_))) {
        return;
    }
    let deadline = tokio::time::Instant::now() + LINGER;
    while jobs.len() < max_batch {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(job)) => {
                let barrier = matches!(job, Job::Barrier(_));
                jobs.push(job);
                if barrier {
                    return;
                }
            }
            Ok(None) | Err(_) => return,
        }
    }
}

/// Write one batch in one transaction. On any failure the transaction is rolled back explicitly; if even that
/// fails (SQLite may already have rolled back by itself), the write pool replaces the connection when it comes
/// back (see `Store::open`), so the next batch starts on a clean one. Returns, for each session write, whether
/// the seat was taken by another device (and nothing written for it).
async fn write_batch(store: &Store, batch: &Batch) -> sqlx::Result<Vec<bool>> {
    if batch.answers.is_empty()
        && batch.rejections.is_empty()
        && batch.papers.is_empty()
        && batch.sessions.is_empty()
    {
        return Ok(Vec::new());
    }
    let mut tx = store.begin_write().await?;
    let written = async {
        let rows: Vec<&AnswerRow> = batch.answers.iter().map(|(row, _, _)| row).collect();
        Store::put_answers(&mut tx, &rows).await?;
        for r in &batch.rejections {
            Store::put_rejection(&mut tx, r).await?;
        }
        let papers: Vec<&PaperWrite> = batch.papers.iter().map(|(write, _, _)| write).collect();
        Store::put_papers(&mut tx, &papers).await?;
        let mut taken = Vec::with_capacity(batch.sessions.len());
        for (write, _, _) in &batch.sessions {
            taken.push(Store::put_session(&mut tx, write).await?);
        }
        Ok::<_, sqlx::Error>(taken)
    }
    .await;
    match written {
        Ok(taken) => tx.commit().await.map(|()| taken),
        Err(e) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rollback after a failed batch failed; the connection is replaced");
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db::on_pool;

    fn refusal(participant_id: i64) -> Rejection {
        Rejection {
            contest_id: 1,
            participant_id,
            round_id: None,
            question_ref: None,
            // Large rows fill the database's free space after a few.
            reason: "x".repeat(2000),
            received_at: now_ms(),
        }
    }

    async fn stored(store: &Store) -> i64 {
        on_pool!(store.reader(), |exe| sqlx::query_scalar(
            "SELECT COUNT(*) FROM rejections"
        )
        .fetch_one(exe)
        .await)
        .expect("count")
    }

    /// A barrier says whether what was queued before it committed; after the database is full and then freed,
    /// the writer commits again without a restart.
    #[tokio::test]
    async fn barrier_reports_failed_batches_and_the_writer_recovers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("t.db")).await.expect("open");
        let writer = AnswerWriter::spawn(store.clone(), DEFAULT_MAX_BATCH);
        writer.put_rejection(refusal(1)).await;
        assert_eq!(writer.barrier().await, BarrierOutcome::AllCommitted);
        assert_eq!(stored(&store).await, 1);

        store.set_write_page_limit(Some(0)).await.expect("cap");
        for participant in 2..12 {
            writer.put_rejection(refusal(participant)).await;
        }
        let outcome = writer.barrier().await;
        assert!(
            matches!(outcome, BarrierOutcome::Failed { failed } if (1..=10).contains(&failed)),
            "{outcome:?}"
        );
        let committed_while_full = stored(&store).await;
        assert!(committed_while_full < 11, "{committed_while_full}");
        // Failures are reported once: nothing was queued since the last barrier.
        assert_eq!(writer.barrier().await, BarrierOutcome::AllCommitted);

        store.set_write_page_limit(None).await.expect("free");
        writer.put_rejection(refusal(20)).await;
        assert_eq!(writer.barrier().await, BarrierOutcome::AllCommitted);
        assert_eq!(stored(&store).await, committed_while_full + 1);
    }
}
