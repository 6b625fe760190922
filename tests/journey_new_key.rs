//! A key of one's own on the demo fleet, in the real window from a fresh profile: created and
//! registered in Settings while the demo runs, chosen instead of the demo key in the signing
//! step, verified by the server; the demo's devices, started before the key existed, learn it
//! and install the build, without a restart of the app or the demo.

mod support;

use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};
use support::journey::{self, App, Build, Plan};
use support::ui;

const PASSPHRASE: &str = "a passphrase of my own";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_created_and_registered_in_settings_is_trusted_by_the_running_demo_devices() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let app = App::with_demo(&tmp.path().join("app")).await;
    let client = &app.client;

    // Settings: create the key, then register it with the demo tenant.
    ui::click_button(client, "Settings").await;
    ui::click(client, "[data-testid=create-key]").await;
    ui::type_into(client, "#nk-name", "field-2026").await;
    ui::type_into(client, "#nk-passphrase", PASSPHRASE).await;
    ui::type_into(client, "#nk-confirm", PASSPHRASE).await;
    ui::click(client, "[data-testid=create-key-submit]").await;
    support::wait_for_text(client, "[data-testid=signing-key-list]", ui::TIMEOUT, |t| {
        t.contains("field-2026") && t.contains("Not registered with Local demo fleet")
    })
    .await;
    ui::click(client, "[data-testid=register-key-field-2026]").await;
    support::wait_for_text(
        client,
        "[data-testid=key-registered-field-2026]",
        ui::TIMEOUT,
        |t| t == "✓ Trusted by Local demo fleet",
    )
    .await;

    // A gateway build, signed with the new key rather than the demo's.
    let file = tmp.path().join("gateway-2.0.0.bin");
    let bytes: Vec<u8> = (0..192 * 1024u32)
        .map(|i| (i.wrapping_mul(40_503) >> 7) as u8)
        .collect();
    std::fs::write(&file, &bytes).expect("write the build");
    let sha256 = hex(&Sha256::digest(&bytes));
    journey::upload_to_signing(
        &app,
        &Build {
            file: &file,
            sha256: &sha256,
            version: "2.0.0",
            device_type: "gateway",
        },
    )
    .await;
    ui::click(client, "[data-testid=key-field-2026]").await;
    support::wait_for_text(
        client,
        "[data-testid=selected-key-status]",
        ui::TIMEOUT,
        |t| t.contains("Trusted by Local demo fleet"),
    )
    .await;
    ui::type_into(client, "#f-passphrase", PASSPHRASE).await;
    let verdict = journey::finish_upload(client, "2.0.0").await;
    assert!(verdict.contains("Signature verified"), "{verdict}");

    // Every gateway at once (fewer than a hundred): they update, so they verified a signature
    // by a key registered after they started.
    let scheduled: u64 = journey::start_rollout(
        client,
        &Plan {
            package: "gateway 2.0.0 (fw) ✓ signed",
            profile: "gateway (gateway)",
            canary: "100",
            threshold: "60",
            rollback: None,
        },
    )
    .await
    .parse()
    .expect("a device count");
    assert!(scheduled > 0);
    let deadline = Instant::now() + journey::SETTLE;
    loop {
        let (ok, failed) = (
            journey::count(client, "successful").await,
            journey::count(client, "failed").await,
        );
        if ok + failed >= scheduled {
            // The demo fails about one install in five by design, never for a signature.
            assert!(ok > failed, "{ok} updated, {failed} failed");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the gateways did not settle: {ok} updated, {failed} failed of {scheduled}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    client.clone().close().await.expect("close the session");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
