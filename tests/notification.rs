//! The auto-pause notification from the running app: the app's session bus is a private
//! `dbus-daemon` hosting a fake `org.freedesktop.Notifications`; the real airlift-sim makes a
//! rollout fail past its threshold; the server pauses it; the app (watching the active
//! connection since start-up) notifies, naming rollout, package and failure rate. A click on the
//! notification (the service's `ActionInvoked`) brings the app to that rollout.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use airlift_core::rollout::RolloutStatus;
use airlift_testkit::notifications::DesktopSession;
use support::fleet::Fleet;
use support::ui;

const SENSORS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auto_paused_rollout_notifies_and_the_click_opens_it() {
    let tmp = tempfile::tempdir().expect("temp dir");

    // The desktop session: a private bus with the fake notification service.
    let desktop = DesktopSession::start().await;

    let mut fleet = Fleet::start(tmp.path(), SENSORS).await;
    let env = vec![
        (
            "AIRLIFT_DATA_DIR",
            tmp.path().join("app").display().to_string(),
        ),
        ("AIRLIFT_SERVER_URL", fleet.server.url.clone()),
        ("AIRLIFT_TOKEN", fleet.token.clone()),
        ("AIRLIFT_CONNECTION_NAME", "Lab fleet".to_owned()),
        ("DBUS_SESSION_BUS_ADDRESS", desktop.address.clone()),
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
    // The app follows the event stream from start-up; give it a moment to connect, then let
    // the simulated sensors fail (half of them, by seed) against a 10% threshold.
    tokio::time::sleep(Duration::from_secs(2)).await;
    fleet.run_devices(0.5);
    let rollout = fleet.roll_out(10).await;
    let paused = fleet
        .wait_rollout(&rollout, "auto-paused", |r| {
            r.status == RolloutStatus::Paused
        })
        .await;

    let deadline = Instant::now() + Duration::from_secs(60);
    let note = loop {
        if let Some(n) = desktop.shown().first().cloned() {
            break n;
        }
        assert!(
            Instant::now() < deadline,
            "no notification reached the session bus's notification service"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(note.app_name, "Airlift");
    assert!(
        note.summary.contains(&fleet.package.package_id) && note.summary.contains("2.0.0"),
        "names the package: {note:?}"
    );
    assert!(note.body.contains(&rollout), "names the rollout: {note:?}");
    assert!(note.body.contains("Lab fleet"), "{note:?}");
    assert!(
        note.body
            .contains(&format!("of {} devices failed", paused.scheduled_count)),
        "{note:?}"
    );
    assert!(
        note.body.contains("above the 10% limit"),
        "states the rate against the threshold: {note:?}"
    );
    assert!(note.actions.iter().any(|a| a == "default"), "{note:?}");

    // The person clicks the notification: the app shows that rollout.
    desktop.click(note.id, "default").await;
    let deadline = Instant::now() + ui::TIMEOUT;
    loop {
        let shown = match client
            .find(fantoccini::Locator::Css("[data-testid=rollout-view]"))
            .await
        {
            Ok(view) => view.attr("data-rollout-id").await.ok().flatten(),
            Err(_) => None,
        };
        if shown.as_deref() == Some(rollout.as_str()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the click did not open rollout {rollout}; the window shows {shown:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    support::screenshot(&client, "notification-opened-rollout").await;

    client.close().await.expect("close the session");
}
