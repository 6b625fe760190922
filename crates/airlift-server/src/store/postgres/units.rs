//! The engine's units of work on PostgreSQL. A write unit is one READ COMMITTED transaction,
//! committed iff the unit succeeds; a read unit one read-only REPEATABLE READ transaction (a
//! preview sees one snapshot); reports are group-committed per rollout (`report_batches`). A unit the database aborted
//! for a deadlock or a serialization failure runs again in a new transaction.

use airlift_core::wire::{ReportAccepted, RolloutEventData};
use async_trait::async_trait;
use tokio::runtime::Handle;
use tokio_postgres::IsolationLevel;

use super::port::{Driver, Immutable, PgTx};
use super::{backoff, db, retryable, rows, PgStore, MAX_ATTEMPTS};
use crate::store::rollout_port::{AnyOutput, ReportUnit, RolloutTx, RolloutUnits, Unit};
use crate::store::{ApiError, StoreResult};

type Work<T> = Box<dyn Fn(&mut dyn RolloutTx) -> StoreResult<T> + Send>;

impl PgStore {
    /// Runs `work` on the blocking pool (the port is synchronous) over a connection taken
    /// here, without holding a thread while waiting for one; retries what may be.
    async fn run_unit<T: Send + 'static>(&self, write: bool, work: Work<T>) -> StoreResult<T> {
        let mut work = work;
        let mut attempt = 1;
        loop {
            let client = self.client().await?;
            let rt = Handle::current();
            let known = self.known.clone();
            let (result, returned) = tokio::task::spawn_blocking(move || {
                let result = run_once(client, &rt, &known, write, &*work);
                (result, work)
            })
            .await
            .map_err(|e| ApiError::internal(format!("a database task failed: {e}")))?;
            work = returned;
            match result {
                Err(e) if retryable(&e) && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "running a unit of work again");
                    attempt += 1;
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }
}

fn run_once<T>(
    mut client: deadpool_postgres::Client,
    rt: &Handle,
    known: &Immutable,
    write: bool,
    work: &(dyn Fn(&mut dyn RolloutTx) -> StoreResult<T> + Send),
) -> StoreResult<T> {
    let builder = client.build_transaction();
    let builder = if write {
        builder
    } else {
        builder
            .read_only(true)
            .isolation_level(IsolationLevel::RepeatableRead)
    };
    let tx = rt.block_on(builder.start()).map_err(db)?;
    let mut port = PgTx::new(&tx, Driver::Shared(rt), write, known);
    let out = work(&mut port)?; // dropping `tx` rolls it back
    port.flush()?;
    drop(port);
    rt.block_on(tx.commit()).map_err(db)?;
    Ok(out)
}

#[async_trait]
impl RolloutUnits for PgStore {
    async fn write_unit(&self, work: Unit) -> StoreResult<AnyOutput> {
        self.run_unit(true, work).await
    }

    async fn read_unit(&self, work: Unit) -> StoreResult<AnyOutput> {
        self.run_unit(false, work).await
    }

    async fn report_unit(
        &self,
        rollout_id: &str,
        work: ReportUnit,
    ) -> StoreResult<(ReportAccepted, Vec<RolloutEventData>)> {
        self.queued_report(rollout_id, work).await
    }

    async fn rollouts_past_deadline(&self, now_unix: i64) -> StoreResult<Vec<(String, String)>> {
        let c = self.client().await?;
        Ok(rows(
            &c,
            "SELECT DISTINCT r.tenant_id, r.id FROM rollout_targets t
             JOIN rollouts r ON r.id = t.rollout_id
             WHERE t.deadline_unix IS NOT NULL AND t.deadline_unix <= $1 AND r.status <> 'completed'
             LIMIT 100",
            &[&now_unix],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
    }
}
