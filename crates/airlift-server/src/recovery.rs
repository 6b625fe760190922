//! Startup housekeeping: make a crash at any point harmless.
//!
//! The invariants the handlers keep are "a database row points only at finished objects" and
//! "an object is finished before a row points at it". A crash can therefore leave only:
//! - objects no row points at (a part whose row was not yet written, an image or firmware
//!   object whose transaction did not commit, a package artifact still in `staging/`), and
//! - upload jobs stuck in `completing`.
//!
//! Both are repaired here, before the listener opens: the objects are deleted, the jobs go back
//! to `in_progress` so the client can complete them again (their parts are still there).
//!
//! With other servers running on the same database and bucket (`alone` is false), what looks
//! left behind may be their requests in flight: an object written before its row, a job being
//! completed, a multipart upload, a held Idempotency-Key. Only the repair that is safe beside
//! them runs then (settling finished rollouts, under their row locks); the rest waits for a
//! start with no other server alive.

use crate::artifacts::{keys, Artifacts};
use crate::store::Store;

pub async fn run(store: &dyn Store, artifacts: &Artifacts, alone: bool) -> anyhow::Result<()> {
    if !alone {
        settle(store).await?;
        tracing::info!(
            "other servers are running on this database: leaving objects and upload jobs \
             that look interrupted to a start without them"
        );
        return Ok(());
    }
    // An Idempotency-Key held by a request of the previous process will never be answered.
    store
        .purge_idempotency_keys(crate::ids::unix_now(), Some(crate::ids::unix_now()))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let reset = store
        .reset_interrupted_completions()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if reset > 0 {
        tracing::warn!(
            jobs = reset,
            "upload jobs interrupted while completing are in progress again"
        );
    }
    settle(store).await?;
    let referenced = store
        .referenced_object_keys()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut removed = 0usize;
    for prefix in [keys::STAGING, keys::UPLOADS, keys::IMAGES, keys::FIRMWARE] {
        let listed = artifacts
            .list(prefix)
            .await
            .map_err(|e| anyhow::anyhow!("listing {prefix}: {e:?}"))?;
        for key in listed {
            if !referenced.contains(key.as_ref()) {
                artifacts.delete(&key).await;
                removed += 1;
            }
        }
    }
    removed += artifacts.remove_abandoned_local_writes()?;
    removed += artifacts
        .abort_abandoned_uploads(&referenced)
        .await
        .map_err(|e| anyhow::anyhow!("aborting abandoned multipart uploads: {e:?}"))?;
    if removed > 0 {
        tracing::warn!(
            objects = removed,
            "removed objects left behind by an interrupted request"
        );
    }
    Ok(())
}

/// Rollouts an older server left active with every device decided complete now.
async fn settle(store: &dyn Store) -> anyhow::Result<()> {
    let settled = crate::engine::settle_finished_rollouts(store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if settled > 0 {
        tracing::warn!(
            rollouts = settled,
            "completed rollouts whose every device already had a verdict"
        );
    }
    Ok(())
}
