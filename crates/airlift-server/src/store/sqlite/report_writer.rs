//! Group commit for device reports.
//!
//! Reports are the hot write path (a fleet of a million devices reports thousands of times a
//! second), and a commit costs an fsync (`synchronous = FULL`: an acknowledged report survives
//! power loss). One writer thread therefore takes every report that is waiting, records each
//! in a savepoint of one transaction, and commits them together: one fsync for the batch. A
//! report is answered only after that commit, so "200 OK" still means durable, and a refused
//! report rolls back to its savepoint without touching its neighbours.

use std::sync::mpsc;
use std::thread;

use airlift_core::wire::{ReportAccepted, RolloutEventData};
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::{db, rollouts, StoreError, StoreResult};
use crate::rollouts::Ctx;
use crate::store::{ApiError, ValidatedReport};

/// Enough to amortise the fsync; small enough that a batch commits within milliseconds.
const MAX_BATCH: usize = 512;

type Reply = StoreResult<(ReportAccepted, Vec<RolloutEventData>)>;

struct Job {
    tenant: String,
    device: String,
    report: ValidatedReport,
    ctx: Ctx,
    reply: oneshot::Sender<Reply>,
}

pub struct ReportWriter {
    jobs: mpsc::Sender<Job>,
}

impl ReportWriter {
    /// Starts the writer thread on its own connection; it stops when the writer is dropped.
    pub fn start(conn: Connection) -> anyhow::Result<Self> {
        let (jobs, rx) = mpsc::channel();
        thread::Builder::new()
            .name("report-writer".to_owned())
            .spawn(move || run(conn, rx))?;
        Ok(ReportWriter { jobs })
    }

    pub async fn record(
        &self,
        tenant: String,
        device: String,
        report: ValidatedReport,
        ctx: Ctx,
    ) -> Reply {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            tenant,
            device,
            report,
            ctx,
            reply,
        };
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    ApiError::internal("the report writer stopped; restart airliftd").into()
}

fn run(mut conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, batch);
    }
}

fn commit_batch(conn: &mut Connection, batch: Vec<Job>) {
    let mut results = Vec::with_capacity(batch.len());
    let outcome = (|| -> StoreResult<()> {
        let mut tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        for job in &batch {
            let sp = tx.savepoint().map_err(db)?;
            let result = rollouts::reports::record(
                &sp,
                &job.tenant,
                &job.device,
                &job.report,
                job.ctx.clone(),
            );
            if result.is_ok() {
                sp.commit().map_err(db)?;
            } // else: dropping the savepoint rolls this report back
            results.push(result);
        }
        tx.commit().map_err(db)
    })();
    match outcome {
        Ok(()) => {
            for (job, result) in batch.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
        }
        // Nothing of the batch is durable: every report in it fails (devices retry).
        Err(e) => {
            let message = e.to_string();
            for job in batch {
                let _ = job.reply.send(Err(ApiError::internal(format!(
                    "recording the report failed: {message}"
                ))
                .into()));
            }
        }
    }
}
