use crate::dto::AppInfo;

/// Env var: `1` asks the app to start the local demo fleet when no connection is set up.
pub const ENV_START_DEMO: &str = "AIRLIFT_START_DEMO";

/// Name and version of the running app, shown in the sidebar.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "Airlift".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        start_demo: std::env::var(ENV_START_DEMO).as_deref() == Ok("1"),
    }
}

/// Env var for the start-up benchmark (bench/desk-startup.sh): when it is `1`, the app prints
/// one JSON line when its first screen is painted (time since the process started, the clock
/// time, the memory of the app's processes) and exits.
pub const ENV_EXIT_AFTER_FIRST_PAINT: &str = "AIRLIFT_EXIT_AFTER_FIRST_PAINT";

/// The UI calls this once, in the frame after its first screen rendered with cached data.
/// Without the variable it does nothing.
#[tauri::command]
pub fn first_paint(app: tauri::AppHandle) {
    if std::env::var(ENV_EXIT_AFTER_FIRST_PAINT).as_deref() != Ok("1") {
        return;
    }
    use airlift_desk::process_stats::{own_age, tree_memory};
    let report = serde_json::json!({
        "first_paint_unix_ms": airlift_desk::clock::now_ms(),
        "since_process_start_ms": own_age().map(|d| d.as_millis()),
        "memory": tree_memory(std::process::id()),
    });
    println!("{report}");
    app.exit(0);
}
