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
