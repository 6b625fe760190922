//! The real notifier against a fake `org.freedesktop.Notifications` on a private session bus.
//!
//! This binary has exactly one test because it points `DBUS_SESSION_BUS_ADDRESS` (process-wide)
//! at the private bus it starts.

use airlift_desk::notify::{DesktopNotifier, Notifier, PausedRollout};
use airlift_desk::DeskErrorCode;
use airlift_testkit::notifications::DesktopSession;

#[test]
fn rollout_paused_notification_names_build_slice_numbers_and_threshold() {
    let info = PausedRollout {
        connection_name: "Production".into(),
        rollout_id: "rol_01HZY".into(),
        device_type: "gateway".into(),
        package_version: "2.1.0".into(),
        failed: 3,
        timed_out: 0,
        decided: 12,
        in_slice: 20,
        threshold_percent: 10,
    };

    // With no notification service on the bus, the error says what is missing.
    let mut desktop = DesktopSession::bus_only();
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &desktop.address);
    let err = DesktopNotifier::default()
        .rollout_paused(&info)
        .expect_err("no service yet");
    assert_eq!(err.code(), DeskErrorCode::Notification);
    assert!(err.message().contains("notification service"), "{err}");

    desktop.serve_notifications_blocking();

    DesktopNotifier::default()
        .rollout_paused(&info)
        .expect("notification shown");

    let shown = desktop.shown();
    assert_eq!(shown.len(), 1, "{shown:?}");
    let n = &shown[0];
    assert_eq!(n.app_name, "Airlift");
    assert_eq!(n.summary, "gateway 2.1.0 paused");
    assert_eq!(
        n.body,
        "3 of 20 devices failed (15 %), above the 10 % threshold; 12 of 20 had finished. \
         Rollout rol_01HZY on Production paused itself: open Airlift to review the failures, \
         then resume or roll back."
    );
    assert_eq!(n.urgency, Some(2), "critical urgency");
}
