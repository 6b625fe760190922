//! Group commit for device reports on PostgreSQL.
//!
//! Reports of one rollout serialize on that rollout's row (`FOR UPDATE`) whatever we do. Each in
//! a transaction of its own, every waiting report would hold a pooled connection while it
//! queues for the lock (a hot rollout can take the whole pool), and the lock would be held
//! through each commit's WAL flush. So reports queue here, per rollout, and one task per busy
//! rollout runs what is waiting as one transaction on one connection: a savepoint per report
//! (a refused report rolls back alone), one commit (one WAL flush) for the batch, each report
//! answered only after that commit. Batches of different rollouts run side by side.

use std::collections::HashMap;
use std::sync::Mutex;

use airlift_core::wire::{ReportAccepted, RolloutEventData};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::port::{Immutable, PgTx};
use super::{backoff, db, retryable, PgStore, MAX_ATTEMPTS};
use crate::store::rollout_port::ReportUnit;
use crate::store::{ApiError, StoreError, StoreResult};

/// Enough to amortise the commit; at most 64 savepoints that write, so a batch's
/// subtransactions fit PostgreSQL's per-backend cache (beyond it, every other session's
/// snapshot checks get slower).
const MAX_BATCH: usize = 60;

type Reply = StoreResult<(ReportAccepted, Vec<RolloutEventData>)>;

/// One report: the engine's unit of work and where its answer goes after the commit.
struct Job {
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
}

impl PgStore {
    /// Queues the report behind its rollout's others (starting that rollout's task if none
    /// runs) and answers once its batch committed.
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
            let store = self.clone();
            let rollout = rollout.to_owned();
            tokio::spawn(async move { store.drain_reports(&rollout).await });
        }
        answer
            .await
            .map_err(|_| ApiError::internal("the report was dropped before its commit"))?
    }

    /// Commits the rollout's waiting reports, batch after batch, until none waits.
    async fn drain_reports(&self, rollout: &str) {
        loop {
            let batch: Vec<Job> = {
                let mut waiting = self.reports.lock();
                let Some(queue) = waiting.get_mut(rollout) else {
                    return;
                };
                if queue.is_empty() {
                    waiting.remove(rollout);
                    return;
                }
                let n = queue.len().min(MAX_BATCH);
                queue.drain(..n).collect()
            };
            self.commit_batch(batch).await;
        }
    }

    async fn commit_batch(&self, batch: Vec<Job>) {
        let (works, replies): (Vec<ReportUnit>, Vec<_>) =
            batch.into_iter().map(|j| (j.work, j.reply)).unzip();
        let outcome = match self.client().await {
            Err(e) => Err(e),
            Ok(client) => {
                let rt = Handle::current();
                let known = self.known.clone();
                tokio::task::spawn_blocking(move || run_batch(client, &rt, &known, &works))
                    .await
                    .unwrap_or_else(|e| {
                        Err(ApiError::internal(format!("a database task failed: {e}")).into())
                    })
            }
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
}

/// `e` again, for each report of a batch that failed as a whole.
fn same_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        other => ApiError::internal(format!("recording the report failed: {other}")).into(),
    }
}

/// One transaction: each report in a savepoint (run again, alone, when it lost a deadlock),
/// then the commit. Err: the batch as a whole failed and nothing of it was written.
///
/// Round trips: a report's `SAVEPOINT` (and the previous one's `RELEASE`) go out with its
/// first reads, its writes with the rollout row's update (see `pipeline`), so a report costs
/// two, and the batch one more for its commit.
fn run_batch(
    mut client: deadpool_postgres::Client,
    rt: &Handle,
    known: &Immutable,
    works: &[ReportUnit],
) -> StoreResult<Vec<Reply>> {
    let tx = rt.block_on(client.transaction()).map_err(db)?;
    let mut port = PgTx::new(&tx, rt.clone(), true, known);
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
