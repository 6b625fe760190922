//! The engine's units of work on SQLite: a write unit is one `BEGIN IMMEDIATE` transaction
//! (committed iff the unit succeeds), a read unit runs on a pooled connection without one, and
//! a report unit joins the report writer's group commit.

use airlift_core::wire::{ReportAccepted, RolloutEventData};
use async_trait::async_trait;
use rusqlite::TransactionBehavior;

use super::port::SqlTx;
use super::{db, StoreResult};
use crate::store::rollout_port::{AnyOutput, ReportUnit, RolloutUnits, Unit};
use crate::store::sqlite::SqliteStore;

#[async_trait]
impl RolloutUnits for SqliteStore {
    async fn write_unit(&self, work: Unit) -> StoreResult<AnyOutput> {
        self.call(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let out = work(&mut SqlTx { c: &tx })?;
            tx.commit().map_err(db)?;
            Ok(out)
        })
        .await
    }

    async fn read_unit(&self, work: Unit) -> StoreResult<AnyOutput> {
        self.call(move |c| work(&mut SqlTx { c })).await
    }

    async fn report_unit(
        &self,
        _rollout_id: &str,
        work: ReportUnit,
    ) -> StoreResult<(ReportAccepted, Vec<RolloutEventData>)> {
        self.reports.record(work).await
    }

    async fn rollouts_past_deadline(&self, now_unix: i64) -> StoreResult<Vec<(String, String)>> {
        self.call(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT DISTINCT r.tenant_id, r.id FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
                     WHERE t.deadline_unix IS NOT NULL AND t.deadline_unix <= ?1 AND r.status != 'completed'
                     LIMIT 100",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([now_unix], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }
}
