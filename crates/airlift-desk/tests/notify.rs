//! The real notifier against a fake `org.freedesktop.Notifications` on a private session bus.
//!
//! This binary has exactly one test because it points `DBUS_SESSION_BUS_ADDRESS` (process-wide)
//! at the private bus it starts.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use airlift_desk::notify::{DesktopNotifier, Notifier, PausedRollout};
use airlift_desk::DeskErrorCode;

#[derive(Debug, Clone, PartialEq)]
struct Shown {
    app_name: String,
    summary: String,
    body: String,
    urgency: Option<u8>,
}

struct FakeNotifications {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeNotifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<String>,
        hints: HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints
            .get("urgency")
            .and_then(|v| u8::try_from(v.clone()).ok());
        let mut shown = self.shown.lock().expect("lock");
        shown.push(Shown {
            app_name: app_name.to_string(),
            summary: summary.to_string(),
            body: body.to_string(),
            urgency,
        });
        u32::try_from(shown.len()).expect("few notifications")
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".to_string()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "fake".into(),
            "airlift-tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

/// A private `dbus-daemon` that is killed when the test ends, pass or fail.
struct PrivateBus {
    child: Child,
    address: String,
}

impl PrivateBus {
    fn start() -> Self {
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (Debian package dbus)");
        let stdout = child.stdout.take().expect("stdout");
        let mut address = String::new();
        BufReader::new(stdout)
            .read_line(&mut address)
            .expect("read bus address");
        let address = address.trim().to_string();
        assert!(
            address.starts_with("unix:"),
            "unexpected address {address:?}"
        );
        Self { child, address }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    let bus = PrivateBus::start();
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let err = DesktopNotifier::default()
        .rollout_paused(&info)
        .expect_err("no service yet");
    assert_eq!(err.code(), DeskErrorCode::Notification);
    assert!(err.message().contains("notification service"), "{err}");

    let shown = Arc::new(Mutex::new(Vec::new()));
    let fake = FakeNotifications {
        shown: Arc::clone(&shown),
    };
    let _service = zbus::block_on(
        zbus::connection::Builder::address(bus.address.as_str())
            .name("org.freedesktop.Notifications")
            .serve_at("/org/freedesktop/Notifications", fake)
            .build(),
    )
    .expect("serve the fake notification service");

    DesktopNotifier::default()
        .rollout_paused(&info)
        .expect("notification shown");

    let shown = shown.lock().expect("lock").clone();
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
