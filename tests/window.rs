//! The real desktop app, built by cargo, opened under Xvfb and driven through tauri-driver +
//! WebKitWebDriver: proves the window loads the embedded UI and that IPC to Rust works.

mod support;

use fantoccini::Locator;
use std::path::Path;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_opens_shows_the_ui_and_reaches_rust_over_ipc() {
    let display = support::Display::start();
    let driver = support::Driver::start(&display);
    let client = driver
        .session(Path::new(env!("CARGO_BIN_EXE_airlift")))
        .await;

    assert_eq!(client.title().await.expect("window title"), "Airlift");

    // The version comes from the Rust `app_info` command: the UI loaded and IPC answered.
    let version = support::wait_for_text(
        &client,
        "[data-testid=app-version]",
        Duration::from_secs(30),
        |t| !t.is_empty(),
    )
    .await;
    assert_eq!(version, format!("v{}", env!("CARGO_PKG_VERSION")));

    // Navigation works in the real WebView, not only in jsdom.
    client
        .find(Locator::XPath(
            "//nav//button[normalize-space()='Rollouts']",
        ))
        .await
        .expect("Rollouts button")
        .click()
        .await
        .expect("click Rollouts");
    let heading =
        support::wait_for_text(&client, "h1", Duration::from_secs(5), |t| t == "Rollouts").await;
    assert_eq!(heading, "Rollouts");

    client
        .find(Locator::XPath("//nav//button[normalize-space()='Catalog']"))
        .await
        .expect("Catalog button")
        .click()
        .await
        .expect("click Catalog");
    support::wait_for_text(&client, "h1", Duration::from_secs(5), |t| t == "Catalog").await;

    client.close().await.expect("close the WebDriver session");
}
