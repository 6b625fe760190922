//! The "Local demo fleet" connection.

use airlift_desk::DeskError;
use tauri::State;

use crate::state::{lock, Active, AppState};

/// Starts the demo fleet (once), makes it the active connection, and gives the key store the
/// demo's release key, registered with the demo tenant.
#[tauri::command]
pub async fn demo_start(state: State<'_, AppState>) -> Result<(), DeskError> {
    let running = lock(&state.demo)?.as_ref().map(Active::demo);
    let active = match running {
        Some(active) => active,
        None => {
            let demo = crate::demo::start(&state.paths.data_dir.join("demo")).await?;
            let active = Active::demo(&demo);
            *lock(&state.demo)? = Some(demo);
            active
        }
    };
    state.set_active(Some(active))?;
    // The demo tenant requires signed packages: a key it trusts lets a newcomer sign at once.
    // Without it the demo still works (the signing step says what is missing), so a failure
    // here is logged, not returned.
    let (_, client) = state.client()?;
    let data_dir = &state.paths.data_dir;
    if let Err(err) = crate::demo::ensure_release_key(data_dir, state.keys_dir(), &client).await {
        tracing::warn!(%err, "the demo release key could not be set up");
    }
    Ok(())
}

/// Stops the demo fleet (its simulator and airliftd) if it runs, and returns once they are
/// gone. When it was the active connection it stays active, offline: its cached catalog,
/// rollouts and device histories stay readable, marked as cached with their age, as for any
/// server that goes away, until another connection is chosen or the demo starts again.
#[tauri::command]
pub async fn demo_stop(state: State<'_, AppState>) -> Result<(), DeskError> {
    let stopped = lock(&state.demo)?.take();
    if let Some(demo) = stopped {
        demo.shutdown().await;
    }
    Ok(())
}
