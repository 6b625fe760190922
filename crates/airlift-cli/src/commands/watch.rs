use std::sync::{Arc, Mutex};

use airlift_core::wire::RolloutEventData;
use airlift_desk::cache::Cache;
use airlift_desk::client::RetryPolicy;
use airlift_desk::notify::DesktopNotifier;
use airlift_desk::watch::Watcher;
use airlift_desk::CancelToken;

use crate::context::Context;
use crate::exit::Failure;
use crate::output::Output;

pub async fn run(out: Output, ctx: Context, cache: Mutex<Cache>) -> Result<(), Failure> {
    let cancel = CancelToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let watcher = Watcher {
        connection_name: ctx.connection_id.clone(),
        connection_id: ctx.connection_id,
        client: ctx.client,
        cache: Arc::new(cache),
        notifier: Arc::new(DesktopNotifier::new("Airlift")),
        reconnect: RetryPolicy::default(),
    };
    let json = out.json;
    let print = move |e: &RolloutEventData| {
        if json {
            if let Ok(line) = serde_json::to_string(e) {
                println!("{line}");
            }
        } else {
            println!("{}  {}  {:?}", e.at, e.subject, e.status);
        }
    };
    watcher.run(None, cancel, &print).await;
    Ok(())
}
