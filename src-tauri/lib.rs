//! The Tauri shell. It only adapts: each command turns IPC arguments into a call on the
//! Tauri-free crates under `crates/` and their result into JSON (errors as `{code, message}`).

mod commands;

/// Builds and runs the desktop app until its last window closes.
pub fn run() -> tauri::Result<()> {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app_info])
        .run(tauri::generate_context!())
}
