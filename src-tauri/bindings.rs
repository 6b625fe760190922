//! The UI's TypeScript types are generated from the IPC DTOs (ts-rs), and its command functions
//! from the commands (`commands_ts.rs`), all checked in under `ui/src/bindings/`. This test regenerates them into a temporary folder and fails when they
//! differ; run it with `AIRLIFT_UPDATE_BINDINGS=1` to rewrite the checked-in files.

use std::collections::BTreeMap;
use std::path::Path;

use ts_rs::{Config, TS};

use crate::dto::{
    audit, catalog, connections, dashboard, devices, payloads, rollout_analytics, rollouts,
    signing, tokens, upload, AppInfo, IpcError,
};

fn export_all(dir: &Path) {
    // u64 sizes and i64 times fit a JS number for any real value (< 2^53).
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    let exports = [
        IpcError::export_all(&cfg),
        AppInfo::export_all(&cfg),
        connections::ConnectionList::export_all(&cfg),
        connections::NewConnection::export_all(&cfg),
        connections::ConnectionCheck::export_all(&cfg),
        connections::PickedCaCert::export_all(&cfg),
        catalog::Catalog::export_all(&cfg),
        catalog::PackageDetail::export_all(&cfg),
        payloads::InlinePackageRequest::export_all(&cfg),
        payloads::InlinePackageOutcome::export_all(&cfg),
        upload::HashedFile::export_all(&cfg),
        upload::HashProgress::export_all(&cfg),
        upload::ImageQuotaInfo::export_all(&cfg),
        upload::SigningKeyInfo::export_all(&cfg),
        upload::UploadRequest::export_all(&cfg),
        upload::UploadEvent::export_all(&cfg),
        upload::UploadOutcome::export_all(&cfg),
        upload::PendingUpload::export_all(&cfg),
        rollouts::RolloutList::export_all(&cfg),
        rollouts::RolloutDetail::export_all(&cfg),
        rollouts::DeviceWindowRequest::export_all(&cfg),
        rollouts::DeviceWindow::export_all(&cfg),
        rollouts::TargetProfile::export_all(&cfg),
        rollouts::RolloutPlan::export_all(&cfg),
        rollouts::PlanPreview::export_all(&cfg),
        rollouts::StartedRollout::export_all(&cfg),
        rollout_analytics::RolloutProgress::export_all(&cfg),
        rollout_analytics::RolloutFailures::export_all(&cfg),
        signing::NewSigningKey::export_all(&cfg),
        signing::ImportSigningKey::export_all(&cfg),
        signing::KeyRegistrations::export_all(&cfg),
        tokens::ApiTokenInfo::export_all(&cfg),
        tokens::NewApiToken::export_all(&cfg),
        tokens::CreatedApiTokenInfo::export_all(&cfg),
        devices::DeviceSearch::export_all(&cfg),
        devices::DevicePage::export_all(&cfg),
        devices::DeviceOverview::export_all(&cfg),
        devices::DeviceDetail::export_all(&cfg),
        devices::AppEvent::export_all(&cfg),
        dashboard::Dashboard::export_all(&cfg),
        dashboard::CacheSummary::export_all(&cfg),
        audit::AuditRequest::export_all(&cfg),
        audit::AuditPage::export_all(&cfg),
        audit::AuditAccess::export_all(&cfg),
    ];
    for result in exports {
        result.expect("export TypeScript bindings");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let commands = crate::commands_ts::read_commands(&root.join("src-tauri/commands"));
    assert_registered(&commands, root);
    std::fs::write(
        dir.join("commands.ts"),
        crate::commands_ts::render(&commands),
    )
    .expect("write commands.ts");
}

/// Every command found is in the handler list (lib.rs) and the capability's list (build.rs),
/// and the other way round, so the generated functions are exactly what the UI may call.
fn assert_registered(commands: &[crate::commands_ts::Command], root: &Path) {
    let found: std::collections::BTreeSet<&str> =
        commands.iter().map(|c| c.name.as_str()).collect();
    let lib = std::fs::read_to_string(root.join("src-tauri/lib.rs")).expect("read lib.rs");
    let build = std::fs::read_to_string(root.join("src-tauri/build.rs")).expect("read build.rs");
    let handled: std::collections::BTreeSet<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("commands::"))
        .filter_map(|l| l.trim_end_matches(',').rsplit("::").next())
        .collect();
    let granted: std::collections::BTreeSet<&str> = build
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"')?.strip_suffix("\","))
        .collect();
    assert_eq!(
        found, handled,
        "src-tauri/commands/ against lib.rs's handler list"
    );
    assert_eq!(
        found, granted,
        "src-tauri/commands/ against build.rs's COMMANDS"
    );
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "ts") {
                let name = entry.file_name().to_string_lossy().into_owned();
                files.insert(
                    name,
                    std::fs::read_to_string(&path).expect("read a binding"),
                );
            }
        }
    }
    files
}

#[test]
fn checked_in_typescript_bindings_match_the_rust_dtos() {
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings");
    if std::env::var_os("AIRLIFT_UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&checked_in);
        export_all(&checked_in);
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    export_all(tmp.path());
    let fresh = read_dir(tmp.path());
    let current = read_dir(&checked_in);
    assert!(!fresh.is_empty(), "ts-rs exported nothing");
    assert_eq!(
        current.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>(),
        "ui/src/bindings/ has other files than the DTOs export; regenerate with \
         AIRLIFT_UPDATE_BINDINGS=1 cargo test -p airlift --lib bindings"
    );
    for (name, text) in &fresh {
        assert_eq!(
            current.get(name),
            Some(text),
            "ui/src/bindings/{name} is out of date; regenerate with \
             AIRLIFT_UPDATE_BINDINGS=1 cargo test -p airlift --lib bindings"
        );
    }
}
