//! The server's rate limit as a person meets it in the window: the real airliftd with a budget
//! of one request a second per token, the app going through its sections; calls refused with 429 and
//! `Retry-After` are sent again after the wait, and the status bar says so meanwhile.

mod support;

use std::path::Path;

use support::airliftd::Airliftd;
use support::ui;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_bar_says_when_a_call_waits_out_the_rate_limit() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let airliftd = Airliftd::start_with(
        &tmp.path().join("server"),
        &["--user-rate-limit", "1", "--user-rate-burst", "1"],
    );
    let token = airliftd.token("acme", "admin");
    let env = vec![
        (
            "AIRLIFT_DATA_DIR",
            tmp.path().join("app").display().to_string(),
        ),
        ("AIRLIFT_SERVER_URL", airliftd.url.clone()),
        ("AIRLIFT_TOKEN", token),
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
    // Going through the sections reads more than one request a second: some wait, and the
    // status bar says so meanwhile.
    for section in ["Rollouts", "Devices", "Catalog", "Rollouts", "Devices"] {
        ui::click_button(&client, section).await;
    }
    support::wait_for_text(&client, "[data-testid=rate-limited]", ui::TIMEOUT, |t| {
        t.starts_with("Rate limited by the server, retrying in ") && t.ends_with(" s")
    })
    .await;
    // Then they are answered: the notice goes once the waits are over, the app stays online.
    support::wait_for_text(&client, "[data-testid=status-bar]", ui::TIMEOUT, |t| {
        !t.contains("Rate limited")
    })
    .await;
    support::wait_for_text(
        &client,
        "[data-testid=connection-state]",
        ui::TIMEOUT,
        |t| t.contains("Online"),
    )
    .await;
    client.close().await.expect("close the WebDriver session");
}
