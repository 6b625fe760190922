//! Reads that fall back to the cache when the server is unreachable, unless `--require-fresh`.

use std::future::Future;
use std::sync::Mutex;

use airlift_desk::cache::{Cache, Collection};
use airlift_desk::sync::{read_through, Cached, SyncReport};
use airlift_desk::{DeskError, DeskErrorCode};
use serde::Serialize;
use serde_json::json;

use crate::context::Context;
use crate::exit::Failure;
use crate::output::{stale_note, Output};

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
    fresh_enough(ctx, cached)
}

/// `cached`, unless it is the cache's copy and `--require-fresh` was given.
pub fn fresh_enough<T>(ctx: &Context, cached: Cached<T>) -> Result<Cached<T>, Failure> {
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

/// Prints a list read through the cache: in JSON `{NAME: [...], fresh, age_secs,
/// offline_reason}`; in text a `STALE: ...` line first when it came from the cache, then one
/// line per item (or "no NAME").
pub fn print_list<T: Serialize>(
    out: Output,
    name: &str,
    cached: &Cached<Vec<T>>,
    line: impl Fn(&T) -> String,
) -> Result<(), Failure> {
    let value = json!({
        name: cached.data,
        "fresh": cached.fresh,
        "age_secs": cached.age.map(|a| a.as_secs()),
        "offline_reason": cached.offline_reason,
    });
    out.result(&value, || {
        let mut lines: Vec<String> = stale_note(name, cached.fresh, cached.age)
            .into_iter()
            .collect();
        lines.extend(cached.data.iter().map(line));
        if cached.data.is_empty() {
            lines.push(format!("no {name}"));
        }
        lines.join("\n")
    })
}
