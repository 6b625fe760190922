//! The real notifier against a fake `org.freedesktop.Notifications` on a private session bus.
//!
//! This binary has exactly one test because it points `DBUS_SESSION_BUS_ADDRESS` (process-wide)
//! at the private bus it starts.

use airlift_desk::notify::{DesktopNotifier, Notifier, PausedRollout};
use airlift_desk::DeskErrorCode;
use airlift_testkit::notifications::DesktopSession;

#[test]
fn rollout_paused_notification_names_rollout_package_and_failure_rate() {
    let info = PausedRollout {
        connection_name: "Production".into(),
        rollout_id: "rol_01HZY".into(),
        package_name: "gateway-fw".into(),
        package_version: "2.1.0".into(),
        failed: 3,
        scheduled: 20,
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
    assert!(n.summary.contains("gateway-fw 2.1.0"), "{n:?}");
    for needle in ["rol_01HZY", "Production", "3 of 20", "15.0%", "10%"] {
        assert!(
            n.body.contains(needle),
            "{needle} missing from {:?}",
            n.body
        );
    }
    assert_eq!(n.urgency, Some(2), "critical urgency");
}
