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
//! With other servers running on the same database and bucket, what looks left behind may be
//! their requests in flight: an object written before its row, a job being completed, a
//! multipart upload, a held Idempotency-Key. So the repair that could touch those runs only
//! when this server is alone (no other server's heartbeat is current, see `cluster::leases`)
//! and holds the `cleanup` lease, which two servers starting at once cannot both hold; and it
//! checks again that no other server started before each step that deletes or resets
//! something. Objects and uploads are listed before that check and only those are deleted: a
//! server that starts afterwards writes nothing that is on those lists. Otherwise only the
//! repair that is safe beside other servers runs (settling finished rollouts, under their row
//! locks); the rest waits for a start with no other server alive.

use std::time::Duration;

use crate::artifacts::{keys, Artifacts};
use crate::cluster::{Cluster, CLEANUP};
use crate::store::Store;

/// How long the `cleanup` lease lasts: longer than any clean-up (it is given up at the end).
const CLEANUP_TTL: Duration = Duration::from_secs(15 * 60);

pub async fn run(
    store: &dyn Store,
    artifacts: &Artifacts,
    cluster: &Cluster,
) -> anyhow::Result<()> {
    if !alone(store, cluster).await? {
        settle(store).await?;
        tracing::info!(
            "other servers are running on this database: leaving objects and upload jobs \
             that look interrupted to a start without them"
        );
        return Ok(());
    }
    let node = cluster.node_id();
    let held = store
        .claim_lease(CLEANUP, node, CLEANUP_TTL)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !held {
        settle(store).await?;
        tracing::info!("another server is cleaning up after a crash; leaving it that");
        return Ok(());
    }
    let cleaned = clean_up(store, artifacts, cluster).await;
    if let Err(e) = store.release_lease(CLEANUP, node).await {
        tracing::debug!(error = %e, "could not give up the cleanup lease (it runs out)");
    }
    cleaned
}

/// No other server's heartbeat is current.
async fn alone(store: &dyn Store, cluster: &Cluster) -> anyhow::Result<bool> {
    Ok(cluster
        .others_alive(store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_empty())
}

/// Whether another server started since the clean-up began (then it stops where it is).
async fn joined(store: &dyn Store, cluster: &Cluster) -> anyhow::Result<bool> {
    let joined = !alone(store, cluster).await?;
    if joined {
        tracing::info!(
            "another server started during the clean-up; leaving the rest to a start without it"
        );
    }
    Ok(joined)
}

async fn clean_up(
    store: &dyn Store,
    artifacts: &Artifacts,
    cluster: &Cluster,
) -> anyhow::Result<()> {
    if joined(store, cluster).await? {
        return settle(store).await;
    }
    // An Idempotency-Key held by a request of the previous process will never be answered.
    store
        .purge_idempotency_keys(crate::ids::unix_now(), Some(crate::ids::unix_now()))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if joined(store, cluster).await? {
        return settle(store).await;
    }
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
    // What a killed server left: listed first, then checked against the rows.
    let mut listed = Vec::new();
    for prefix in [keys::STAGING, keys::UPLOADS, keys::IMAGES, keys::FIRMWARE] {
        listed.extend(
            artifacts
                .list(prefix)
                .await
                .map_err(|e| anyhow::anyhow!("listing {prefix}: {e:?}"))?,
        );
    }
    let uploads = artifacts
        .upload_markers()
        .await
        .map_err(|e| anyhow::anyhow!("listing multipart uploads: {e:?}"))?;
    let referenced = store
        .referenced_object_keys()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if joined(store, cluster).await? {
        return Ok(());
    }
    let mut removed = 0usize;
    for key in listed {
        if !referenced.contains(key.as_ref()) {
            artifacts.delete(&key).await;
            removed += 1;
        }
    }
    removed += artifacts.remove_abandoned_local_writes()?;
    removed += artifacts
        .abort_uploads(uploads, &referenced)
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
