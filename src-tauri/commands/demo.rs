//! The "Local demo fleet" connection.

use airlift_desk::DeskError;
use tauri::State;

use crate::state::{lock, AppState};

/// Starts the demo fleet (once) and makes it the active connection.
#[tauri::command]
pub async fn demo_start(state: State<'_, AppState>) -> Result<(), DeskError> {
    let running = lock(&state.demo)?.as_ref().map(|d| d.active());
    let active = match running {
        Some(active) => active,
        None => {
            let demo = crate::demo::start(&state.paths.data_dir.join("demo")).await?;
            let active = demo.active();
            *lock(&state.demo)? = Some(demo);
            active
        }
    };
    state.set_active(Some(active))
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
