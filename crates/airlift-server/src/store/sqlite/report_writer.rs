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

use super::rollouts::port::SqlTx;
use super::{db, StoreError, StoreResult};
use crate::store::rollout_port::ReportUnit;
use crate::store::ApiError;

/// Enough to amortise the fsync; small enough that a batch commits within milliseconds.
const MAX_BATCH: usize = 512;

type Reply = StoreResult<(ReportAccepted, Vec<RolloutEventData>)>;

/// One report: the engine's unit of work and where its answer goes after the commit.
struct Job {
    work: ReportUnit,
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

    pub async fn record(&self, work: ReportUnit) -> Reply {
        let (reply, answer) = oneshot::channel();
        let job = Job { work, reply };
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
    // Replies are kept apart from the work, so every report is answered whatever fails.
    let (works, replies): (Vec<ReportUnit>, Vec<_>) =
        batch.into_iter().map(|j| (j.work, j.reply)).unzip();
    let outcome = (|| -> StoreResult<()> {
        let mut tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        for work in works {
            let sp = tx.savepoint().map_err(db)?;
            let result = work(&mut SqlTx { c: &sp });
            if result.is_ok() {
                sp.commit().map_err(db)?;
            } // else: dropping the savepoint rolls this report back
            results.push(result);
        }
        tx.commit().map_err(db)
    })();
    match outcome {
        Ok(()) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        // Nothing of the batch is durable: every report in it fails (devices retry).
        Err(e) => {
            let message = e.to_string();
            for reply in replies {
                let _ = reply.send(Err(ApiError::internal(format!(
                    "recording the report failed: {message}"
                ))
                .into()));
            }
        }
    }
}
