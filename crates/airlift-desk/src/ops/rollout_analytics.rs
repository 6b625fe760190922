//! Opening a rollout's analytics: its progress over time and its failure reasons, from the
//! server (each answer cached at once) or, when the server is out of reach, as last fetched.
//! The app's rollout view polls these; a front that wants them offline gets the cached copy
//! with its age instead of an error.

use std::future::Future;

use airlift_core::wire::{FailureReason, TimelinePoint};

use super::Session;
use crate::cache::{lock, Cache, Fetched};
use crate::clock::now_ms;
use crate::error::{DeskError, DeskErrorCode};

/// What the server answered now, or the cached copy when it is out of reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen<T> {
    pub data: T,
    /// From the server just now.
    pub fresh: bool,
    /// When this copy was fetched (`None` offline with nothing cached: `data` is empty).
    pub synced_at_ms: Option<i64>,
    /// Why the server was not used.
    pub offline_reason: Option<String>,
}

/// The rollout's device counts per minute, oldest first.
pub async fn timeline(s: Session<'_>, id: &str) -> Result<Seen<Vec<TimelinePoint>>, DeskError> {
    seen(
        s,
        async { Ok::<_, DeskError>(s.client.rollout_timeline(id).await?.data) },
        |cache, data, at| cache.save_rollout_timeline(s.connection_id, id, data, at),
        |cache| cache.rollout_timeline(s.connection_id, id),
    )
    .await
}

/// The rollout's failure reasons, largest first.
pub async fn failures(s: Session<'_>, id: &str) -> Result<Seen<Vec<FailureReason>>, DeskError> {
    seen(
        s,
        async { Ok::<_, DeskError>(s.client.rollout_failures(id).await?.data) },
        |cache, data, at| cache.save_rollout_failures(s.connection_id, id, data, at),
        |cache| cache.rollout_failures(s.connection_id, id),
    )
    .await
}

async fn seen<T: Default>(
    s: Session<'_>,
    fetch: impl Future<Output = Result<T, DeskError>>,
    save: impl FnOnce(&mut Cache, &T, i64) -> Result<(), DeskError>,
    cached: impl FnOnce(&Cache) -> Result<Option<Fetched<T>>, DeskError>,
) -> Result<Seen<T>, DeskError> {
    match fetch.await {
        Ok(data) => {
            let at = now_ms();
            save(&mut *lock(s.cache)?, &data, at)?;
            Ok(Seen {
                data,
                fresh: true,
                synced_at_ms: Some(at),
                offline_reason: None,
            })
        }
        Err(err) if err.code() == DeskErrorCode::Offline => {
            let copy = cached(&*lock(s.cache)?)?;
            Ok(Seen {
                synced_at_ms: copy.as_ref().map(|c| c.synced_at_ms),
                data: copy.map(|c| c.data).unwrap_or_default(),
                fresh: false,
                offline_reason: Some(err.message().to_owned()),
            })
        }
        Err(err) => Err(err),
    }
}
