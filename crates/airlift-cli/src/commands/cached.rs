//! Reads that fall back to the cache when the server is unreachable, unless `--require-fresh`.

use std::future::Future;
use std::sync::Mutex;

use airlift_desk::cache::{Cache, Collection};
use airlift_desk::sync::{read_through, Cached, SyncReport};
use airlift_desk::{DeskError, DeskErrorCode};

use crate::context::Context;
use crate::exit::Failure;

pub async fn read<T, F>(
    ctx: &Context,
    cache: &Mutex<Cache>,
    collection: Collection,
    sync: F,
    read: impl Fn(&Cache) -> Result<T, DeskError>,
) -> Result<Cached<T>, Failure>
where
    F: Future<Output = Result<SyncReport, DeskError>>,
{
    let cached = read_through(cache, &ctx.connection_id, collection, sync, read).await?;
    if ctx.require_fresh && !cached.fresh {
        return Err(Failure::Desk(DeskError::new(
            DeskErrorCode::Offline,
            format!(
                "{} (--require-fresh: the cached copy is not used)",
                cached
                    .offline_reason
                    .as_deref()
                    .unwrap_or("the server is unreachable")
            ),
        )));
    }
    Ok(cached)
}
