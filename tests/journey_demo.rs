//! The newcomer's journey on the local demo fleet, in the real window from a fresh profile, as
//! a person walks it: the app starts its demo fleet; "Choose file…" opens the GTK file chooser,
//! answered by typing the path; the hash shown is the file's; the signing step starts on the
//! demo's release key (the demo tenant requires signatures), which needs no passphrase; the
//! server verifies the signature; a canary rollout made in the wizard succeeds on the demo's
//! devices, is advanced to 100 %, and completes with its outcome.

mod support;

use sha2::{Digest as _, Sha256};
use support::journey::{self, App, Build, Plan};
use support::ui;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_uploads_signs_and_rolls_out_on_the_demo_fleet() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let app = App::with_demo(&tmp.path().join("app")).await;
    let client = &app.client;

    // The demo fleet brought its release key into the key store, trusted by the demo tenant.
    ui::click_button(client, "Settings").await;
    support::wait_for_text(
        client,
        "[data-testid='key-registered-Demo release key']",
        ui::TIMEOUT,
        |t| t == "✓ Trusted by Local demo fleet",
    )
    .await;

    let file = tmp.path().join("temp-sensor-2.1.0.bin");
    let bytes: Vec<u8> = (0..256 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&file, &bytes).expect("write the build");
    let sha256 = hex(&Sha256::digest(&bytes));
    let build = Build {
        file: &file,
        sha256: &sha256,
        version: "2.1.0",
        device_type: "temp-sensor",
    };
    journey::upload_to_signing(&app, &build).await;

    // Signing starts on the demo key, and "Don't sign" is not offered: the tenant requires it.
    let demo_key = "[data-testid='key-Demo release key']";
    let deadline = std::time::Instant::now() + ui::TIMEOUT;
    while !journey::checked(client, demo_key).await {
        assert!(
            std::time::Instant::now() < deadline,
            "the signing step did not start on the demo key"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let unsigned = ui::find(client, "[data-testid=key-none]").await;
    assert!(
        !unsigned.is_enabled().await.expect("read enabled"),
        "unsigned is offered although the demo tenant requires signatures"
    );
    ui::find(client, "[data-testid=demo-key-note]").await;
    let verdict = journey::finish_upload(client, "2.1.0").await;
    assert!(verdict.contains("Signature verified"), "{verdict}");
    support::screenshot(client, "journey-upload-signed").await;

    // A 10 % canary of the demo's sensors; the demo makes a few installs fail (3 %), and a
    // 26-device canary can draw several of them, so the threshold sits well above that.
    // The result's "Start a rollout of 2.1.0" opens the wizard with the new package chosen.
    let scheduled = journey::start_rollout_of_upload(
        client,
        &Plan {
            package: "temp-sensor 2.1.0 (fw) ✓ signed",
            profile: "temp-sensor-v2 (temp-sensor)",
            canary: "10",
            threshold: "60",
            rollback: Some("temp-sensor 1.4.2"),
        },
    )
    .await;
    let scheduled: u64 = scheduled.parse().expect("a device count");
    assert!(scheduled > 0);
    // Every canary device gets its verdict, and most of them updated: the devices verified the
    // demo key's signature (an unknown key would abort every install).
    let deadline = std::time::Instant::now() + journey::SETTLE;
    loop {
        let (ok, failed) = (
            journey::count(client, "successful").await,
            journey::count(client, "failed").await,
        );
        if ok + failed >= scheduled && ok > failed {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the canary did not settle: {ok} updated, {failed} failed of {scheduled}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    support::wait_for_text(client, "[data-testid=rollout-status]", ui::TIMEOUT, |t| {
        t == "Active"
    })
    .await;

    // Advance to 100 %: it completes by itself, and says how it ended.
    ui::click(client, "[data-testid=action-advance]").await;
    journey::retype(client, "#advance-percent", "100").await;
    ui::click(client, "[data-testid=confirm-advance]").await;
    let deadline = std::time::Instant::now() + journey::SETTLE;
    let outcome = loop {
        let status = ui::find(client, "[data-testid=rollout-status]").await;
        if let Some(outcome) = status.attr("data-outcome").await.ok().flatten() {
            break outcome;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the rollout never completed; it shows {:?}",
            status.text().await.unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    // Some of the demo's installs fail by design; none is rolled back.
    assert!(
        outcome == "succeeded" || outcome == "some_failed",
        "outcome {outcome}"
    );
    assert!(journey::count(client, "successful").await > 0);
    let failed = journey::count(client, "failed").await;
    assert_eq!(outcome == "some_failed", failed > 0, "outcome {outcome}");
    support::screenshot(client, "journey-rollout-completed").await;
    client.clone().close().await.expect("close the session");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
