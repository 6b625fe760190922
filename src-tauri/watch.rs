//! Keeps one event watcher running for the active connection while the app runs.
//!
//! A supervisor task checks the active connection twice a second; when it changes (start-up,
//! switch, add, remove, demo fleet) the old watcher is cancelled and a new one follows the new
//! server's events. The watcher itself (airlift-desk) reconnects with backoff, so an offline
//! server only means quiet retries; a server that refuses the token (revoked or expired) ends
//! the watch, and no watcher runs for that connection until it gets a new token (the
//! state's `token_refused` record, which any call's 401 sets and a new token clears). An auto-pause shows a desktop notification whose click
//! brings the window to the front and opens the rollout (an [`AppEvent`] to the UI).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlift_desk::client::RetryPolicy;
use airlift_desk::notify::DesktopNotifier;
use airlift_desk::watch::Watcher;
use airlift_desk::CancelToken;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager as _};

use crate::dto::devices::AppEvent;
use crate::state::AppState;

/// How often the supervisor looks at the active connection.
const CHECK_EVERY: Duration = Duration::from_millis(500);

/// Between reconnects: from about a second up to half a minute while the server stays away.
const RECONNECT: RetryPolicy = RetryPolicy {
    max_attempts: 1,
    base_delay: Duration::from_secs(1),
    max_delay: Duration::from_secs(30),
};

/// The UI's subscription to [`AppEvent`]s, and a rollout to open that arrived before the UI
/// subscribed (a click right after start-up).
#[derive(Default)]
pub struct Events {
    channel: Mutex<Option<Channel<AppEvent>>>,
    pending_open: Mutex<Option<String>>,
}

impl Events {
    /// The UI (re)subscribes at start and after a reload; a pending "open rollout" is delivered.
    pub fn subscribe(&self, channel: Channel<AppEvent>) {
        let pending = self.pending_open.lock().ok().and_then(|mut p| p.take());
        if let Some(rollout_id) = pending {
            let _ = channel.send(AppEvent::OpenRollout { rollout_id });
        }
        if let Ok(mut slot) = self.channel.lock() {
            *slot = Some(channel);
        }
    }

    /// Sends to the UI; `false` when no UI listens (yet).
    pub fn send(&self, event: AppEvent) -> bool {
        let Ok(slot) = self.channel.lock() else {
            return false;
        };
        slot.as_ref().is_some_and(|c| c.send(event).is_ok())
    }

    fn open_rollout(&self, rollout_id: &str) {
        let event = AppEvent::OpenRollout {
            rollout_id: rollout_id.to_owned(),
        };
        if !self.send(event) {
            if let Ok(mut pending) = self.pending_open.lock() {
                *pending = Some(rollout_id.to_owned());
            }
        }
    }
}

/// Starts the supervisor on Tauri's async runtime; it runs as long as the app.
pub fn start(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut watching: Option<(String, String, CancelToken)> = None;
        loop {
            let state = app.try_state::<AppState>();
            let active = state.as_ref().and_then(|s| s.active().ok().flatten());
            let refused = state
                .as_ref()
                .and_then(|s| s.token_refused().ok().flatten())
                .is_some();
            // Asking again with a refused token only gets 401 again.
            let wanted = active.filter(|_| !refused).map(|a| (a.name, a.url));
            let current = watching.as_ref().map(|(n, u, _)| (n.clone(), u.clone()));
            if wanted != current {
                if let Some((_, _, cancel)) = watching.take() {
                    cancel.cancel();
                }
                if let Some((name, url)) = wanted {
                    let cancel = CancelToken::new();
                    spawn_watcher(&app, &name, cancel.clone());
                    watching = Some((name, url, cancel));
                }
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    });
}

fn spawn_watcher(app: &AppHandle, name: &str, cancel: CancelToken) {
    let app = app.clone();
    let name = name.to_owned();
    tauri::async_runtime::spawn(async move {
        let Some(state) = app.try_state::<AppState>() else {
            return;
        };
        // Reading a saved connection's token may wait on the keyring: off the async workers.
        let client = {
            let app = app.clone();
            tauri::async_runtime::spawn_blocking(move || app.state::<AppState>().client()).await
        };
        let client = match client {
            Ok(Ok((_, client))) => client,
            Ok(Err(err)) => {
                tracing::warn!(connection = %name, error = %err, "cannot watch this connection's events");
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "the watcher could not start");
                return;
            }
        };
        let notifier = {
            let app = app.clone();
            DesktopNotifier::default().with_on_open(Arc::new(move |rollout_id: &str| {
                bring_to_front(&app);
                app.state::<Events>().open_rollout(rollout_id);
            }))
        };
        let watcher = Watcher {
            client,
            cache: state.cache.clone(),
            connection_id: name.clone(),
            connection_name: name.clone(),
            notifier: Arc::new(notifier),
            reconnect: RECONNECT,
        };
        let events = app.clone();
        tracing::info!(connection = %name, "watching the server's events");
        let ended = watcher
            .run(None, cancel, &move |e| {
                events.state::<Events>().send(AppEvent::RolloutChanged {
                    rollout_id: e.rollout_id.clone(),
                    kind: e.kind.clone(),
                    status: e.status.as_str().to_owned(),
                });
            })
            .await;
        // A refusal was recorded by the client's observer already: the supervisor starts no
        // other watcher for this connection until it has a new token.
        if let Err(err) = ended {
            tracing::warn!(connection = %name, code = %err.code(), "stopped watching the server's events");
        }
    });
}

/// Shows, un-minimizes and focuses the main window.
fn bring_to_front(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}
