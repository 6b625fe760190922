//! The offline cache's full integrity check, run once per start in the background.
//!
//! Opening the cache reads only its header and schema so the first screen shows cached data at
//! once (see `airlift_desk::cache::verify_and_repair`). This thread then reads every page at the
//! lowest CPU priority, so it does not compete with the window's start-up; if the file is
//! damaged it is moved aside, a fresh cache takes its place and the UI refetches everything.

use tauri::{AppHandle, Manager as _};

use crate::dto::devices::AppEvent;
use crate::state::AppState;
use crate::watch::Events;

/// Starts the check on a thread of its own.
pub fn start(app: AppHandle) {
    let spawned = std::thread::Builder::new()
        .name("cache-check".into())
        .spawn(move || {
            lowest_priority();
            let Some(state) = app.try_state::<AppState>() else {
                return;
            };
            match airlift_desk::cache::verify_and_repair(&state.cache) {
                Ok(None) => tracing::debug!("offline cache checked: sound"),
                Ok(Some(moved_to)) => {
                    if let Some(events) = app.try_state::<Events>() {
                        events.send(AppEvent::CacheRebuilt {
                            moved_to: moved_to.display().to_string(),
                        });
                    }
                }
                Err(err) => tracing::warn!(%err, "could not check the offline cache"),
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(%err, "could not start the offline cache check");
    }
}

/// Nice 19 for this thread only (on Linux, `setpriority` with who = 0 names the calling thread).
fn lowest_priority() {
    // SAFETY: setpriority takes plain integers and has no memory effects.
    let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
}
