//! IPC commands the UI may call (each one granted in tauri.conf.json's capability).

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AppInfo {
    name: &'static str,
    version: &'static str,
}

/// Name and version of the running app, shown in the sidebar.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "Airlift",
        version: env!("CARGO_PKG_VERSION"),
    }
}
