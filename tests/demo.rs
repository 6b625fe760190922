//! The "Local demo fleet" entry in Settings: starts `airlift-sim demo` (built next to the app
//! binary), switches to it and shows its catalog; stops it (server and devices gone; its catalog
//! stays readable, marked as cached) and starts it again; and the app's exit stops it too.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::ui;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_starts_and_stops_the_local_demo_fleet_and_shows_its_catalog() {
    // airlift-sim and airliftd next to the app binary, as in a packaged install.
    for bin in ["airlift-sim", "airliftd"] {
        let path = airlift_testkit::bin(bin);
        assert_eq!(
            path.parent(),
            Path::new(env!("CARGO_BIN_EXE_airlift")).parent(),
            "{bin} must sit next to the app binary"
        );
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let env = vec![(
        "AIRLIFT_DATA_DIR",
        tmp.path().join("app").display().to_string(),
    )];
    let display = support::Display::start();
    let driver = support::Driver::start_with_env(&display, &env);
    let client = driver
        .session(Path::new(env!("CARGO_BIN_EXE_airlift")))
        .await;

    support::wait_for_text(
        &client,
        "[data-testid=connection-status]",
        ui::TIMEOUT,
        |t| t.contains("No connection"),
    )
    .await;
    support::screenshot(&client, "shell").await;
    ui::click_button(&client, "Settings").await;
    ui::click_button(&client, "Start local demo fleet").await;
    wait_until_listed(&client).await;
    ui::click_button(&client, "Catalog").await;
    support::wait_for_text(
        &client,
        "[data-testid=connection-state]",
        ui::TIMEOUT,
        |t| t.contains("Online"),
    )
    .await;
    support::wait_for_text(&client, "[data-testid=package-count]", ui::TIMEOUT, |t| {
        !t.starts_with("0 of 0")
    })
    .await;
    support::screenshot(&client, "demo-catalog").await;

    let demo_dir = tmp.path().join("app/demo");
    let running = || {
        Command::new("pgrep")
            .args(["-f", &demo_dir.display().to_string()])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    assert!(running(), "the demo fleet runs while the app does");

    // Stopped from Settings: its server and devices go, and it is no longer offered as a
    // connection to switch to.
    ui::click_button(&client, "Settings").await;
    ui::click_button(&client, "Stop local demo fleet").await;
    support::wait_for_text(&client, "[data-testid=connection-list]", ui::TIMEOUT, |t| {
        !t.contains("Local demo fleet")
    })
    .await;
    assert!(
        support::wait_until(Duration::from_secs(20), || !running()),
        "the demo fleet still runs after Stop"
    );
    // What it showed stays readable, marked as cached with its age (not "No fleet connected").
    ui::click_button(&client, "Catalog").await;
    let state = support::wait_for_text(
        &client,
        "[data-testid=connection-state]",
        Duration::from_secs(60),
        |t| t.starts_with("Offline"),
    )
    .await;
    assert!(state.contains("cached, "), "{state}");
    support::wait_for_text(&client, "[data-testid=package-count]", ui::TIMEOUT, |t| {
        !t.starts_with("0 of 0")
    })
    .await;
    ui::click_button(&client, "Settings").await;

    // Started again, it runs until the app exits.
    ui::click_button(&client, "Start local demo fleet").await;
    wait_until_listed(&client).await;
    assert!(running(), "the demo fleet runs again");
    client.close().await.expect("close the session");
    drop(driver);

    // The demo fleet goes with the app.
    assert!(
        support::wait_until(Duration::from_secs(20), || !running()),
        "the demo fleet outlived the app"
    );
}

/// Waits (up to three minutes: the demo provisions its fleet first) until Settings lists the
/// running demo fleet as a connection.
async fn wait_until_listed(client: &fantoccini::Client) {
    support::wait_for_text(
        client,
        "[data-testid=connection-list]",
        Duration::from_secs(180),
        |t| t.contains("Local demo fleet"),
    )
    .await;
}
