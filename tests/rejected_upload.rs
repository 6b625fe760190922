//! The wrong-checksum path, end to end: the file changes after the app hashed it, so the bytes
//! on the server no longer match the SHA-256 the person confirmed. The server refuses the
//! package, the app says so plainly, and nothing half-made stays (no package, no saved upload).

mod support;

use std::path::Path;
use std::time::Duration;

use support::airliftd::Airliftd;
use support::ui;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_after_hashing_is_rejected_and_leaves_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = Airliftd::start(&tmp.path().join("server"));
    let token = server.token("acme", "admin");
    let file = tmp.path().join("gateway-1.9.1.bin");
    std::fs::write(&file, vec![7u8; 1024 * 1024]).expect("write artifact");
    let data = tmp.path().join("app");
    support::airliftd::release_key(&data, &server.url, &token).await;
    let env = vec![
        ("AIRLIFT_DATA_DIR", data.display().to_string()),
        ("AIRLIFT_SERVER_URL", server.url.clone()),
        ("AIRLIFT_TOKEN", token.clone()),
        ("AIRLIFT_CONNECTION_NAME", "e2e".to_owned()),
    ];

    let display = support::Display::start();
    let driver = support::Driver::start_with_env(&display, &env);
    let client = driver
        .session(Path::new(env!("CARGO_BIN_EXE_airlift")))
        .await;
    support::wait_for_text(
        &client,
        "[data-testid=connection-state]",
        ui::TIMEOUT,
        |t| t.contains("Online"),
    )
    .await;

    // The app opens on the dashboard; the catalog has the upload button.
    ui::click_button(&client, "Catalog").await;
    ui::click(&client, "[data-testid=open-upload]").await;
    ui::click(&client, "[data-testid=choose-file]").await;
    support::dialog::open_file(&display, support::dialog::CHOOSE_BUILD, &file).await;
    support::wait_for_text(&client, "[data-testid=file-sha256]", ui::TIMEOUT, |t| {
        t.len() == 64
    })
    .await;

    // Same size, different bytes: only the checksum can tell.
    std::fs::write(&file, vec![8u8; 1024 * 1024]).expect("rewrite artifact");

    ui::replace_text(&client, "#f-version", "1.9.1").await;
    ui::type_into(&client, "#f-deviceType", "gateway").await;
    ui::type_into(&client, "#f-minVersion", "1.0.0").await;
    ui::click_button(&client, "Next: signing").await;
    ui::click(&client, "[data-testid=key-release]").await;
    ui::type_into(&client, "#f-passphrase", support::airliftd::KEY_PASSPHRASE).await;
    ui::click(&client, "[data-testid=start-upload]").await;

    let error = support::wait_for_text(
        &client,
        "[data-testid=upload-error]",
        Duration::from_secs(120),
        |t| !t.is_empty(),
    )
    .await;
    assert!(error.contains("VERIFICATION_FAILED"), "{error}");
    assert!(error.contains("changed after it was checked"), "{error}");
    support::wait_for_text(&client, "h2#result-title", ui::TIMEOUT, |t| {
        t == "The server rejected the upload"
    })
    .await;
    support::screenshot(&client, "upload-rejected").await;

    // Nothing half-made: no package on the server or in the app, no upload left to resume.
    let api = airlift_desk::client::Client::new(
        &server.url,
        Some(airlift_desk::secret::Secret::new(token.clone())),
        Default::default(),
    )
    .expect("API client");
    let packages = api
        .packages(&airlift_desk::client::ListParams::new(100, None))
        .await
        .expect("list packages");
    assert!(
        packages.data.is_empty(),
        "a package was created: {:?}",
        packages.data
    );
    let pending = data.join("pending-uploads");
    let left: Vec<_> = std::fs::read_dir(&pending)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "a saved upload was left behind: {left:?}");
    ui::click_button(&client, "Back to catalog").await;
    support::wait_for_text(&client, "[data-testid=package-count]", ui::TIMEOUT, |t| {
        t == "0 of 0 packages"
    })
    .await;
    client.close().await.expect("close the session");
}
