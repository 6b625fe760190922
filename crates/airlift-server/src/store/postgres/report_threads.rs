//! The threads that commit device reports' batches on PostgreSQL, each with a connection of its
//! own that it drives itself.
//!
//! A batch is synchronous (the engine calls the port synchronously) and waits for two round
//! trips per report while its rollout's row is locked, so a busy rollout goes as fast as those
//! round trips. Run on the server's blocking pool, each round trip went through the pooled
//! connection's task on the server's runtime, where it queued behind the HTTP requests in flight
//! (measured: bench/RESULTS.md, "Reports on PostgreSQL: a thread of their own"). Here each thread
//! owns a current-thread runtime and a pool of one connection created on it: the connection's
//! task runs only while the thread waits in `block_on`, so a round trip is this thread writing
//! to the socket and reading PostgreSQL's answer, with no other thread to wait for. (SQLite's
//! report writer has a thread of its own too.)
//!
//! A rollout with reports waiting is "due" once, in one channel the threads share: one thread
//! takes it, commits one batch and, if more reports wait, hands it back at the end of the
//! channel, so busy rollouts take turns and reports of one rollout never run on two threads.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

use tokio::runtime::Runtime;

use super::port::Immutable;
use super::report_batches::{commit_batch, ReportQueues};
use crate::store::{ApiError, StoreError};

/// How many report threads (and connections) a pool of `pool_size` gives to reports: one per
/// eight connections, at least one, at most four (more rollouts reporting at once than threads
/// take turns).
pub fn report_threads(pool_size: usize) -> usize {
    (pool_size / 8).clamp(1, 4)
}

enum Due {
    /// A rollout whose reports wait.
    Rollout(String),
    /// The store is gone: the thread ends.
    Stop,
}

/// The report threads; dropping the last handle ends them.
pub struct ReportThreads {
    due: Sender<Due>,
    threads: usize,
}

/// What a report thread works with.
pub struct ThreadParts {
    pub pool: deadpool_postgres::Pool,
    pub runtime: Runtime,
}

impl ReportThreads {
    /// Starts one thread per part, each committing the batches of `queues` on its own pool.
    pub fn start(
        parts: Vec<ThreadParts>,
        queues: Arc<ReportQueues>,
        known: Arc<Immutable>,
    ) -> std::io::Result<Self> {
        let (due, receiver) = channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let threads = parts.len();
        for (n, part) in parts.into_iter().enumerate() {
            let (again, receiver, queues, known) =
                (due.clone(), receiver.clone(), queues.clone(), known.clone());
            std::thread::Builder::new()
                .name(format!("airlift-pg-reports-{n}"))
                .spawn(move || serve(part, &receiver, &again, &queues, &known))?;
        }
        Ok(Self { due, threads })
    }

    /// Hands a rollout whose first report now waits to the threads.
    pub(super) fn due(&self, rollout: &str, queues: &ReportQueues) {
        if self.due.send(Due::Rollout(rollout.to_owned())).is_err() {
            let gone = StoreError::Unavailable("the report threads have stopped".to_owned());
            queues.fail_all(rollout, &gone);
        }
    }
}

impl Drop for ReportThreads {
    fn drop(&mut self) {
        for _ in 0..self.threads {
            let _ = self.due.send(Due::Stop);
        }
    }
}

/// One thread's loop: take a due rollout, commit one batch of it, hand it back if more wait.
fn serve(
    part: ThreadParts,
    receiver: &Mutex<Receiver<Due>>,
    again: &Sender<Due>,
    queues: &ReportQueues,
    known: &Immutable,
) {
    loop {
        let next = match receiver.lock() {
            Ok(r) => r.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let rollout = match next {
            Ok(Due::Rollout(rollout)) => rollout,
            Ok(Due::Stop) | Err(_) => return,
        };
        let Some(batch) = queues.next_batch(&rollout) else {
            continue;
        };
        commit_batch(&part.runtime, &part.pool, known, batch);
        if queues.has_more(&rollout) && again.send(Due::Rollout(rollout.clone())).is_err() {
            queues.fail_all(
                &rollout,
                &ApiError::internal("the report threads stopped").into(),
            );
        }
    }
}
