//! Group commit for device reports on PostgreSQL.
//!
//! Reports of one rollout serialize on that rollout's row (`FOR UPDATE`) whatever we do. Each in
//! a transaction of its own, every waiting report would hold a pooled connection while it
//! queues for the lock (a hot rollout can take the whole pool), and the lock would be held
//! through each commit's WAL flush. So reports queue here, per rollout, and a report thread
//! (`report_threads`, each with a connection of its own) runs what is waiting as one
//! transaction: one commit (one WAL flush) for the batch, each report answered only after that
//! commit, each keeping all it wrote or nothing ([`fast_batch`], else [`careful_batch`]).
//! Batches of different rollouts run side by side, one per thread.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

use airlift_core::wire::{ReportAccepted, RolloutEventData};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use super::port::{Driver, Immutable, PgTx};
use super::{backoff, db, retryable, PgStore, MAX_ATTEMPTS};
use crate::store::rollout_port::ReportUnit;
use crate::store::{ApiError, StoreError, StoreResult};

/// Reports taken at once: enough to amortise the commit (its WAL flush holds the rollout's
/// row lock), few enough that the last one is not answered much later than the first.
const MAX_BATCH: usize = 250;

/// Reports per transaction when the batch runs again report by report, each in a savepoint:
/// at most 64 savepoints that write, so a transaction's subtransactions fit PostgreSQL's
/// per-backend cache (beyond it, every other session's snapshot checks get slower).
const CAREFUL_BATCH: usize = 60;

type Reply = StoreResult<(ReportAccepted, Vec<RolloutEventData>)>;

/// One report: the engine's unit of work and where its answer goes after the commit.
pub(super) struct Job {
    work: ReportUnit,
    reply: oneshot::Sender<Reply>,
}

/// Reports waiting, per rollout. A rollout has an entry while its task runs.
#[derive(Default)]
pub struct ReportQueues {
    waiting: Mutex<HashMap<String, Vec<Job>>>,
}

impl ReportQueues {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Job>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the rollout's next batch (at most [`MAX_BATCH`] of its reports, oldest first);
    /// `None` once none waits (the rollout's entry is then gone).
    pub(super) fn next_batch(&self, rollout: &str) -> Option<Vec<Job>> {
        let mut waiting = self.lock();
        let queue = waiting.get_mut(rollout)?;
        if queue.is_empty() {
            waiting.remove(rollout);
            return None;
        }
        let n = queue.len().min(MAX_BATCH);
        Some(queue.drain(..n).collect())
    }

    /// Whether reports of the rollout wait; if none does, its entry is removed (the next
    /// report starts it again).
    pub(super) fn has_more(&self, rollout: &str) -> bool {
        let mut waiting = self.lock();
        match waiting.get(rollout) {
            Some(queue) if !queue.is_empty() => true,
            Some(_) => {
                waiting.remove(rollout);
                false
            }
            None => false,
        }
    }

    /// Fails every report of the rollout still waiting (no report thread is left to run them).
    pub(super) fn fail_all(&self, rollout: &str, e: &StoreError) {
        let jobs = self.lock().remove(rollout).unwrap_or_default();
        for job in jobs {
            let _ = job.reply.send(Err(same_error(e)));
        }
    }
}

impl PgStore {
    /// Queues the report behind its rollout's others (handing the rollout to the report
    /// threads if none of its reports was waiting) and answers once its batch committed.
    pub(super) async fn queued_report(&self, rollout: &str, work: ReportUnit) -> Reply {
        let (reply, answer) = oneshot::channel();
        let job = Job { work, reply };
        let start = {
            let mut waiting = self.reports.lock();
            match waiting.get_mut(rollout) {
                Some(queue) => {
                    queue.push(job);
                    false
                }
                None => {
                    waiting.insert(rollout.to_owned(), vec![job]);
                    true
                }
            }
        };
        if start {
            self.report_threads.due(rollout, &self.reports);
        }
        answer
            .await
            .map_err(|_| ApiError::internal("the report was dropped before its commit"))?
    }
}

/// Runs one batch on the calling report thread (`rt` its own runtime, `pool` its connection)
/// and answers each of its reports.
pub(super) fn commit_batch(
    rt: &Runtime,
    pool: &deadpool_postgres::Pool,
    known: &Immutable,
    batch: Vec<Job>,
) {
    let (works, replies): (Vec<ReportUnit>, Vec<_>) =
        batch.into_iter().map(|j| (j.work, j.reply)).unzip();
    let outcome = match rt.block_on(pool.get()).map_err(super::pool_error) {
        Err(e) => Err(e),
        Ok(client) => std::panic::catch_unwind(AssertUnwindSafe(|| {
            run_batch(client, Driver::Own(rt), known, &works)
        }))
        .unwrap_or_else(|_| Err(ApiError::internal("a report batch panicked").into())),
    };
    match outcome {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        // Nothing of the batch is durable: every report in it fails (devices retry).
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(same_error(&e)));
            }
        }
    }
}

/// `e` again, for each report of a batch that failed as a whole.
fn same_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        other => ApiError::internal(format!("recording the report failed: {other}")).into(),
    }
}

/// The batch in one transaction without savepoints ([`fast_batch`]); if that gave up, again
/// with a savepoint per report ([`careful_batch`]), one transaction per [`CAREFUL_BATCH`]
/// reports: a transaction that fails as a whole fails its own reports only, those of the
/// transactions before it stay committed and keep their answers. Err: the first try failed as
/// a whole and nothing of the batch was written.
fn run_batch(
    mut client: deadpool_postgres::Client,
    rt: Driver<'_>,
    known: &Immutable,
    works: &[ReportUnit],
) -> StoreResult<Vec<Reply>> {
    if let Some(results) = fast_batch(&mut client, rt, known, works)? {
        return Ok(results);
    }
    let mut results = Vec::with_capacity(works.len());
    for chunk in works.chunks(CAREFUL_BATCH) {
        match careful_batch(&mut client, rt, known, chunk) {
            Ok(answers) => results.extend(answers),
            Err(e) => results.extend(chunk.iter().map(|_| Err(same_error(&e)))),
        }
    }
    Ok(results)
}

/// The batch as one transaction with no savepoint, one round trip a report: a report's writes
/// and the rollout row's update go out with the next report's reads (in order, on one
/// connection: every read sees what it would have seen one statement at a time). A report
/// the engine refuses before any of its writes went out just forgets them. Anything else (a
/// statement that failed, the rollout row's update that found another version, a report
/// refused after its writes went out) rolls the transaction back and answers `None`: the
/// batch then runs again report by report. Most batches never fail, and pay neither a
/// savepoint nor a round trip of their own per report.
fn fast_batch(
    client: &mut deadpool_postgres::Client,
    rt: Driver<'_>,
    known: &Immutable,
    works: &[ReportUnit],
) -> StoreResult<Option<Vec<Reply>>> {
    let tx = rt.block_on(client.transaction()).map_err(db)?;
    let mut port = PgTx::new(&tx, rt, true, known).with_deferred_checks();
    let mut results = Vec::with_capacity(works.len());
    let mut give_up = None;
    for work in works {
        let mark = port.made();
        match work(&mut port) {
            Ok(done) => results.push(Ok(done)),
            Err(e) if !port.failed() && port.sent() <= mark => {
                // Refused before anything of its own went out: as if it never ran.
                port.forget_since(mark);
                results.push(Err(e));
            }
            Err(e) => {
                give_up = Some(e);
                break;
            }
        }
    }
    if give_up.is_none() {
        if let Err(e) = port.flush() {
            give_up = Some(e);
        }
    }
    drop(port);
    match give_up {
        None => {
            rt.block_on(tx.commit()).map_err(db)?;
            Ok(Some(results))
        }
        // The database is gone: running again would fail the same way.
        Some(e @ StoreError::Unavailable(_)) => Err(e),
        Some(_) => {
            rt.block_on(tx.rollback()).map_err(db)?;
            Ok(None)
        }
    }
}

/// One transaction: each report in a savepoint (run again, alone, when it lost a deadlock),
/// then the commit. Err: the batch as a whole failed and nothing of it was written.
///
/// Round trips: a report's `SAVEPOINT` (and the previous one's `RELEASE`) go out with its
/// first reads, its writes with the rollout row's update (see `pipeline`), so a report costs
/// two, and the batch one more for its commit.
fn careful_batch(
    client: &mut deadpool_postgres::Client,
    rt: Driver<'_>,
    known: &Immutable,
    works: &[ReportUnit],
) -> StoreResult<Vec<Reply>> {
    let tx = rt.block_on(client.transaction()).map_err(db)?;
    let mut port = PgTx::new(&tx, rt, true, known);
    let mut results = Vec::with_capacity(works.len());
    for work in works {
        let mut attempt = 1;
        let result = loop {
            let before = port.waiting();
            let sends = port.sends();
            port.later_simple("SAVEPOINT report");
            // The report's own writes have gone out (and succeeded) before it counts as done,
            // so a failure is always its own.
            match work(&mut port).and_then(|done| port.flush().map(|()| done)) {
                Ok(done) => {
                    port.later_simple("RELEASE SAVEPOINT report");
                    break Ok(done);
                }
                Err(e) => {
                    if port.sends() == sends {
                        // Nothing of this report went out (not even its savepoint).
                        port.forget_after(before);
                    } else {
                        port.forget_after(0);
                        rt.block_on(tx.batch_execute(
                            "ROLLBACK TO SAVEPOINT report; RELEASE SAVEPOINT report",
                        ))
                        .map_err(db)?;
                    }
                    if retryable(&e) && attempt < MAX_ATTEMPTS {
                        attempt += 1;
                        std::thread::sleep(backoff(attempt));
                        continue;
                    }
                    break Err(e);
                }
            }
        };
        results.push(result);
    }
    port.flush()?;
    drop(port);
    rt.block_on(tx.commit()).map_err(db)?;
    Ok(results)
}
