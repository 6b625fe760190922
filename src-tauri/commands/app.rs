use crate::dto::AppInfo;

/// Name and version of the running app, shown in the sidebar.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "Airlift".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}
