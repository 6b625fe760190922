// Tauri's build step: embeds tauri.conf.json and turns the app's command list into permissions,
// so a capability can grant exactly the commands the UI uses (nothing is allowed by default).
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
        .app_manifest(tauri_build::AppManifest::new().commands(&["app_info"]));
    if let Err(err) = tauri_build::try_build(attributes) {
        println!("cargo::error=tauri build step failed: {err:#}");
    }
}
