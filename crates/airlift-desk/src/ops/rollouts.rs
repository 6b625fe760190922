//! Starting a rollout and steering one: the app's wizard and action buttons and `airlift-cli
//! rollout start | retry-failed | pause | resume | advance | rollback | cancel` all end here, so the
//! rollout each answers is the server's record after the change, and it is cached at once (the
//! rollout list shows it before the next sync).
//!
//! A create is sent through the session's client: a front that wants a retried create answered
//! with the first result gives a client with an `Idempotency-Key` (the CLI does).

use airlift_core::wire::{CreateRollout, CreatedRollout, RetryFailedRollout, Rollout};

use super::Session;
use crate::error::DeskError;
use crate::sync::store_rollout;

/// What an operator does to a running rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutAct {
    Pause,
    Resume,
    /// Grow the canary slice to this percentage.
    Advance(u32),
    Rollback,
    /// End it for good (scheduled, active or paused).
    Cancel,
}

/// A rollout just created: the server's counts and its full record.
#[derive(Debug, Clone)]
pub struct Started {
    pub created: CreatedRollout,
    pub rollout: Rollout,
}

/// Creates the rollout `req` describes.
pub async fn start(s: Session<'_>, req: &CreateRollout) -> Result<Started, DeskError> {
    let created = s.client.create_rollout(req).await?;
    fetched(s, created).await
}

/// A new rollout of the same package over the failed and timed-out devices of the completed
/// rollout `id`; the new one names `id` as its `retry_of`.
pub async fn retry_failed(
    s: Session<'_>,
    id: &str,
    req: &RetryFailedRollout,
) -> Result<Started, DeskError> {
    let created = s.client.retry_failed(id, req).await?;
    fetched(s, created).await
}

/// Applies `act` to rollout `id`; answers (and caches) the rollout afterwards.
pub async fn act(s: Session<'_>, id: &str, act: RolloutAct) -> Result<Rollout, DeskError> {
    let rollout = match act {
        RolloutAct::Pause => s.client.pause_rollout(id).await?,
        RolloutAct::Resume => s.client.resume_rollout(id).await?,
        RolloutAct::Advance(percent) => s.client.advance_rollout(id, percent).await?,
        RolloutAct::Rollback => s.client.rollback_rollout(id).await?,
        RolloutAct::Cancel => s.client.cancel_rollout(id).await?,
    };
    store_rollout(s.cache, s.connection_id, &rollout)?;
    Ok(rollout)
}

async fn fetched(s: Session<'_>, created: CreatedRollout) -> Result<Started, DeskError> {
    let rollout = s.client.rollout(&created.rollout_id).await?;
    store_rollout(s.cache, s.connection_id, &rollout)?;
    Ok(Started { created, rollout })
}
