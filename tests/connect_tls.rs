//! Adding an HTTPS server whose certificate a CA of its own signed, from the window: the real
//! airliftd with `--tls-cert` and a CA made by the test, the Settings form's Test with a wrong
//! CA pasted (refused, saying which CA was given and `TLS_UNTRUSTED`), the right CA chosen in
//! the real file dialog (its subject and expiry shown), saved with the connection, and the app
//! online over HTTPS.

mod support;

use std::path::Path;

use airlift_testkit::postgres::{make_ca, make_server_cert_named};
use support::airliftd::Airliftd;
use support::ui;

/// The add-connection form's own result line (the status bar has a status role too).
const FORM_RESULT: &str = "form[aria-labelledby=add-title] [role=status]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_server_with_its_own_ca_is_added_from_settings() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let pki = tmp.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    let (ca, ca_key) = make_ca(&pki, "ca");
    let (cert, key) = make_server_cert_named(&pki, "server", &ca, &ca_key);
    let (stranger, _) = make_ca(&pki, "stranger");
    let airliftd = Airliftd::start_with(
        &tmp.path().join("server"),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(airliftd.url.starts_with("https://"), "{}", airliftd.url);
    let token = airliftd.token("acme", "admin");

    let env = vec![(
        "AIRLIFT_DATA_DIR",
        tmp.path().join("app").display().to_string(),
    )];
    let display = support::Display::start();
    let driver = support::Driver::start_with_env(&display, &env);
    let client = driver
        .session(Path::new(env!("CARGO_BIN_EXE_airlift")))
        .await;
    ui::click_button(&client, "Settings").await;
    ui::type_into(&client, "#c-name", "lab").await;
    ui::type_into(&client, "#c-url", &airliftd.url).await;
    ui::type_into(&client, "#c-token", &token).await;

    // A CA that did not sign the server's certificate, pasted (WebDriver types it without its
    // line breaks, as some copies do): Test says so, with its code.
    let wrong = std::fs::read_to_string(&stranger).unwrap();
    ui::type_into(&client, "#c-ca", &wrong).await;
    ui::click_button(&client, "Test connection").await;
    support::wait_for_text(&client, FORM_RESULT, ui::TIMEOUT, |t| {
        t.contains("is not signed by the CA you gave (CN=airlift test stranger)")
            && t.contains("TLS_UNTRUSTED")
    })
    .await;

    // The right one, chosen in the file dialog: its subject and expiry, then Test passes.
    ui::click_button(&client, "Choose CA file…").await;
    support::dialog::open_file(&display, support::dialog::CHOOSE_CA, &ca).await;
    support::wait_for_text(&client, "[data-testid=ca-cert-chosen]", ui::TIMEOUT, |t| {
        t.contains("Trusts CN=airlift test ca, expires")
    })
    .await;
    ui::click_button(&client, "Test connection").await;
    support::wait_for_text(&client, FORM_RESULT, ui::TIMEOUT, |t| {
        t.contains("Connected: no package yet")
    })
    .await;

    // Saved: the connection shows the CA it trusts, and the app is online over HTTPS.
    ui::click_button(&client, "Save and connect").await;
    support::wait_for_text(&client, "[data-testid=connection-ca]", ui::TIMEOUT, |t| {
        t.contains("Custom CA trusted: CN=airlift test ca, expires")
    })
    .await;
    support::wait_for_text(
        &client,
        "[data-testid=connection-state]",
        ui::TIMEOUT,
        |t| t.contains("Online"),
    )
    .await;
    support::screenshot(&client, "settings-https-ca").await;
    let saved = std::fs::read_to_string(tmp.path().join("app/connections.json")).unwrap();
    assert!(saved.contains("BEGIN CERTIFICATE"), "{saved}");
    assert!(
        !saved.contains(&token),
        "the token never goes to the connections file"
    );

    client.close().await.expect("close the WebDriver session");
}
