//! Units of work: the engine's decisions over one transaction, run by the adapter.

use std::any::Any;

use airlift_core::wire::{ReportAccepted, RolloutEventData};
use async_trait::async_trait;

use super::RolloutTx;
use crate::store::StoreResult;

/// What a unit of work returns, type-erased so that [`RolloutUnits`] stays object-safe (the
/// engine's `run` helpers put the type back).
pub type AnyOutput = Box<dyn Any + Send>;

/// A unit of work: the engine's decisions over one transaction. `Fn`, not `FnOnce`: an
/// adapter may run it again in a new transaction when the database aborted the first one
/// (a deadlock or serialization failure, which wrote nothing).
pub type Unit = Box<dyn Fn(&mut dyn RolloutTx) -> StoreResult<AnyOutput> + Send>;

/// A device report's unit of work.
pub type ReportUnit =
    Box<dyn Fn(&mut dyn RolloutTx) -> StoreResult<(ReportAccepted, Vec<RolloutEventData>)> + Send>;

/// Runs the engine's units of work, each in one transaction.
#[async_trait]
pub trait RolloutUnits: Send + Sync {
    /// One write transaction, committed iff `work` succeeds (nothing written otherwise).
    async fn write_unit(&self, work: Unit) -> StoreResult<AnyOutput>;
    /// Reads only (a preview).
    async fn read_unit(&self, work: Unit) -> StoreResult<AnyOutput>;
    /// A device report about `rollout_id`: durable when this returns Ok, and nothing of it
    /// written when `work` fails. The adapter may commit many reports together (the rollout
    /// says which reports would queue on one another anyway).
    async fn report_unit(
        &self,
        rollout_id: &str,
        work: ReportUnit,
    ) -> StoreResult<(ReportAccepted, Vec<RolloutEventData>)>;
    /// Rollouts (tenant id, rollout id) not `completed` with a target whose deadline is at or
    /// before `now_unix`, at most 100.
    async fn rollouts_past_deadline(&self, now_unix: i64) -> StoreResult<Vec<(String, String)>>;
}
