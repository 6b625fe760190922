// Tauri's build step: embeds tauri.conf.json and turns the app's command list into permissions,
// so a capability can grant exactly the commands the UI uses (nothing is allowed by default).

/// Every command of src-tauri/lib.rs's handler; tauri.conf.json grants `allow-<name>` for each.
const COMMANDS: &[&str] = &[
    "app_info",
    "connections_list",
    "connection_test",
    "connection_add",
    "connection_switch",
    "connection_remove",
    "pick_ca_cert",
    "ca_cert_describe",
    "demo_start",
    "demo_stop",
    "catalog_cached",
    "catalog_refresh",
    "package_detail",
    "inline_package_create",
    "pick_file",
    "hash_file",
    "signing_keys",
    "upload_package",
    "upload_pause",
    "image_quota",
    "upload_cancel",
    "pending_upload",
    "pending_upload_discard",
    "rollouts_cached",
    "rollouts_refresh",
    "rollout_detail",
    "rollout_devices",
    "rollout_targets",
    "rollout_preview",
    "rollout_start",
    "rollout_act",
    "rollout_retry_failed",
    "first_paint",
    "pick_key_file",
    "signing_key_create",
    "signing_key_import",
    "signing_key_registrations",
    "signing_key_register",
    "api_tokens_list",
    "api_token_create",
    "api_token_revoke",
    "devices_search",
    "devices_overview",
    "devices_refresh",
    "device_detail",
    "device_history_export",
    "app_events_subscribe",
];

fn main() {
    // generate_context!() embeds ui/dist at compile time; fail early with a fix instead of a macro panic.
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/dist/index.html");
    if !dist.exists() {
        println!(
            "cargo::error=ui/dist is missing: build the UI first (`npm --prefix ui ci && npm --prefix ui run build`, or `cargo xtask run`)"
        );
    }
    println!("cargo::rerun-if-changed=ui/dist");
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(err) = tauri_build::try_build(attributes) {
        println!("cargo::error=tauri build step failed: {err:#}");
    }
}
