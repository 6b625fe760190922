//! The auto-pause notification from the running app: the app's session bus is a private
//! `dbus-daemon` hosting a fake `org.freedesktop.Notifications`; the real airlift-sim makes a
//! rollout fail past its threshold; the server pauses it; the app (watching the active
//! connection since start-up) notifies once, titled by device type and version, with the
//! slice's numbers at the moment of the pause (the pause event's own counters, read back from
//! the server's event stream). A click on the notification (the service's `ActionInvoked`)
//! brings the app to that rollout; the person rolls it back from the window, and the rollout
//! then shows its outcome: rolled back, with how many devices are back on the old build.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use airlift_core::rollout::{RolloutOutcome, RolloutStatus};
use airlift_core::wire::{CreateRollout, RolloutEventData};
use airlift_desk::client::Client;
use airlift_testkit::notifications::DesktopSession;
use support::fleet::Fleet;
use support::ui;

const SENSORS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auto_paused_rollout_notifies_its_numbers_once_and_is_rolled_back_from_the_window() {
    let tmp = tempfile::tempdir().expect("temp dir");

    // The desktop session: a private bus with the fake notification service.
    let desktop = DesktopSession::start().await;

    let mut fleet = Fleet::start(tmp.path(), SENSORS).await;
    // The build the sensors run now, to roll back to.
    // Firmware 1.0.0, the build the sensors run before the rollout: its rollback package.
    let previous = support::fleet::publish_firmware(
        &fleet.client,
        tmp.path(),
        "1.0.0",
        vec![0x10u8; 120_000],
        "The build before.",
    )
    .await;
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
    let rollout = fleet
        .client
        .create_rollout(&CreateRollout {
            package_id: fleet.package.package_id.clone(),
            target_profile_id: Some(fleet.profile.profile_id.clone()),
            canary_percent: Some(100),
            failure_threshold_percent: 10,
            rollback_package_id: Some(previous.package_id.clone()),
            ..CreateRollout::default()
        })
        .await
        .expect("start the rollout")
        .rollout_id;
    fleet
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
    assert_eq!(note.summary, "temp-sensor 2.0.0 paused");
    // The numbers are the pause's own: the server's auto-pause event carries the slice's
    // counters at that moment (later reports do not change what the person is told).
    let pause = auto_pause_event(&fleet.client, &rollout).await;
    let c = pause.counters;
    let (failed, in_slice) = (c.failed + c.timed_out, c.total());
    assert_eq!(in_slice, SENSORS as u64, "a 100 % slice");
    assert!(failed * 100 > 10 * in_slice, "{failed} of {in_slice}");
    let permille = (failed * 1000).div_ceil(in_slice);
    let rate = match permille % 10 {
        0 => format!("{} %", permille / 10),
        tenth => format!("{}.{tenth} %", permille / 10),
    };
    let what = if c.timed_out > 0 {
        "failed or timed out"
    } else {
        "failed"
    };
    assert_eq!(
        note.body,
        format!(
            "{failed} of {in_slice} devices {what} ({rate}), above the 10 % threshold; {} of \
             {in_slice} had finished. Rollout {rollout} on Lab fleet paused itself: open \
             Airlift to review the failures, then resume or roll back.",
            c.successful + failed
        )
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

    // Roll it back from the window: it completes by itself once the devices answered, and
    // says how it ended (never a green "Completed"), with the devices back on 1.0.0.
    ui::click(&client, "[data-testid=action-rollback]").await;
    ui::click(&client, "[data-testid=confirm-rollback]").await;
    let done = fleet
        .wait_rollout(&rollout, "rolled back", |r| {
            r.status == RolloutStatus::Completed
        })
        .await;
    assert_eq!(done.outcome, Some(RolloutOutcome::RolledBack));
    let rb = done.rollback_counters.expect("rollback counters");
    support::wait_for_text(&client, "[data-testid=rollout-status]", ui::TIMEOUT, |t| {
        t == "Rolled back"
    })
    .await;
    let badge = ui::find(&client, "[data-testid=rollout-status]").await;
    assert_eq!(
        badge.attr("data-outcome").await.expect("attr").as_deref(),
        Some("rolled_back")
    );
    let class = badge.attr("class").await.expect("attr").unwrap_or_default();
    assert!(!class.contains("s-completed"), "not green: {class}");
    support::wait_for_text(&client, "[data-testid=devices-summary]", ui::TIMEOUT, |t| {
        t == format!("{} of {} back on 1.0.0", rb.successful, rb.total())
    })
    .await;
    assert!(rb.successful > 0, "the rollback reached devices: {rb:?}");

    // One pause, one notification: the rollback and the completion notify nothing.
    assert_eq!(desktop.shown().len(), 1, "{:?}", desktop.shown());

    client.close().await.expect("close the session");
}

/// The server's `paused` event with trigger `auto_pause` for `rollout`, read from the event
/// stream from its start (the stream replays every event when no Last-Event-ID is sent).
async fn auto_pause_event(client: &Client, rollout: &str) -> RolloutEventData {
    let mut stream = client
        .open_events(None)
        .await
        .expect("open the event stream");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut text = String::new();
    loop {
        for line in text.lines() {
            let Some(data) = line.strip_prefix("data:") else {
                continue;
            };
            let Ok(event) = serde_json::from_str::<RolloutEventData>(data.trim()) else {
                continue;
            };
            if event.rollout_id == rollout
                && event.kind == "paused"
                && event.trigger.as_deref() == Some("auto_pause")
            {
                return event;
            }
        }
        assert!(Instant::now() < deadline, "no auto-pause event in {text}");
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .expect("the event stream answers")
            .expect("read the event stream")
            .expect("the event stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}
