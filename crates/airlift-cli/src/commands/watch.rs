//! `watch`: the server's rollout events as lines (or JSON documents), keeping the cache current;
//! with `--rollout ID --exit-on-final`, until that rollout is completed or paused.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use airlift_core::wire::RolloutEventData;
use airlift_desk::client::RetryPolicy;
use airlift_desk::notify::DesktopNotifier;
use airlift_desk::watch::Watcher;
use airlift_desk::CancelToken;

use super::rollout::{counters, final_code, state_words};
use crate::args::WatchArgs;
use crate::context::Context;
use crate::exit::{Failure, OK};
use crate::output::Output;

/// `2026-12-07T08:00:00Z  rollout R  progress: active; 3 succeeded, 1 in progress`
pub fn line(e: &RolloutEventData) -> String {
    let mut text = format!(
        "{}  rollout {}  {}: {}; {}",
        e.at,
        e.rollout_id,
        e.kind.replace('_', " "),
        state_words(e.status, e.outcome),
        counters(&e.counters)
    );
    if let Some(back) = &e.rollback_counters {
        text.push_str(&format!("; rollback: {}", counters(back)));
    }
    if let Some(trigger) = e.trigger.as_deref().filter(|t| *t != "start") {
        let by = e
            .actor
            .as_deref()
            .map_or(String::new(), |a| format!(" by {a}"));
        text.push_str(&format!(" ({}{by})", trigger.replace('_', " ")));
    }
    text
}

pub async fn run(out: Output, ctx: Context, args: &WatchArgs) -> Result<u8, Failure> {
    let cache = ctx.open_cache()?;
    // A rollout that already stopped has no event left to wait for.
    if let (Some(id), true) = (&args.rollout, args.exit_on_final) {
        let rollout = ctx.client.rollout(id).await?;
        if let Some(code) = final_code(rollout.summary.status, rollout.summary.outcome) {
            let s = &rollout.summary;
            out.result(&rollout, || {
                format!(
                    "rollout {} is already {}; {}",
                    s.rollout_id,
                    state_words(s.status, s.outcome),
                    counters(&s.counters)
                )
            })?;
            return Ok(code);
        }
    }
    let cancel = CancelToken::new();
    let cache = Arc::new(cache);
    let watcher = Watcher {
        connection_name: ctx.connection_id.clone(),
        connection_id: ctx.connection_id.clone(),
        client: ctx.client.clone(),
        cache: Arc::clone(&cache),
        notifier: Arc::new(DesktopNotifier::new("Airlift")),
        reconnect: RetryPolicy::default(),
    };
    let json = out.json;
    let only = args.rollout.clone();
    let connection_id = ctx.connection_id.clone();
    let exit_on_final = args.exit_on_final;
    let code = Arc::new(AtomicU8::new(OK));
    let (stop, result) = (cancel.clone(), Arc::clone(&code));
    let print = move |e: &RolloutEventData| {
        if only.as_deref().is_some_and(|id| id != e.rollout_id) {
            return;
        }
        if json {
            if let Ok(line) = serde_json::to_string(e) {
                println!("{line}");
            }
        } else {
            println!("{}", line(e));
        }
        // The stream replays old events first: a pause that was resumed since is history. The
        // watcher stored the rollout's current status just before this call; only a final
        // event that is still the current status ends the watch.
        let current = cache
            .lock()
            .ok()
            .and_then(|c| c.rollout(&connection_id, &e.rollout_id).ok().flatten())
            .map(|r| r.status);
        if exit_on_final && current == Some(e.status) {
            if let Some(c) = final_code(e.status, e.outcome) {
                result.store(c, Ordering::SeqCst);
                stop.cancel();
            }
        }
    };
    // A refused token ends the watch (exit 4, UNAUTHENTICATED) instead of retrying forever.
    watcher.run(None, cancel, &print).await?;
    Ok(code.load(Ordering::SeqCst))
}
