//! A desktop session for notification tests: a private D-Bus session bus (`dbus-daemon`) with a
//! fake `org.freedesktop.Notifications` that records what it is asked to show, and can click a
//! notification the way a notification daemon reports a click (`ActionInvoked`).
//!
//! The code under test talks to the real D-Bus protocol; only the daemon at the other end is
//! ours, because no notification daemon runs headless.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// One notification the fake service was asked to show.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: u32,
    pub app_name: String,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
    /// The `urgency` hint (0 low, 1 normal, 2 critical), if given.
    pub urgency: Option<u8>,
}

struct FakeNotifications {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeNotifications {
    #[allow(clippy::too_many_arguments)] // the D-Bus method's signature
    fn notify(
        &self,
        app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        actions: Vec<String>,
        hints: HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints
            .get("urgency")
            .and_then(|v| u8::try_from(v.clone()).ok());
        let mut shown = self.shown.lock().expect("lock");
        let id = u32::try_from(shown.len() + 1).expect("few notifications");
        shown.push(Shown {
            id,
            app_name: app_name.to_owned(),
            summary: summary.to_owned(),
            body: body.to_owned(),
            actions,
            urgency,
        });
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "actions".into()]
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

/// The running session; the bus daemon is killed when it drops.
pub struct DesktopSession {
    /// For `DBUS_SESSION_BUS_ADDRESS` of the process under test.
    pub address: String,
    shown: Arc<Mutex<Vec<Shown>>>,
    service: Option<zbus::Connection>,
    daemon: Child,
}

impl DesktopSession {
    /// A private session bus with the fake notification service on it.
    pub async fn start() -> DesktopSession {
        let mut session = DesktopSession::bus_only();
        session.serve_notifications().await;
        session
    }

    /// A private session bus with no notification service yet (as on a desktop without one).
    pub fn bus_only() -> DesktopSession {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (Debian package dbus)");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().expect("stdout"))
            .read_line(&mut address)
            .expect("read the bus address");
        DesktopSession {
            address: address.trim().to_owned(),
            shown: Arc::new(Mutex::new(Vec::new())),
            service: None,
            daemon,
        }
    }

    /// [`DesktopSession::serve_notifications`] for a test without an async runtime.
    pub fn serve_notifications_blocking(&mut self) {
        zbus::block_on(self.serve_notifications());
    }

    /// Puts the fake notification service on the bus.
    pub async fn serve_notifications(&mut self) {
        let service = zbus::connection::Builder::address(self.address.as_str())
            .name("org.freedesktop.Notifications")
            .serve_at(
                "/org/freedesktop/Notifications",
                FakeNotifications {
                    shown: Arc::clone(&self.shown),
                },
            )
            .build()
            .await
            .expect("the fake notification service is on the private bus");
        self.service = Some(service);
    }

    /// What was shown so far, oldest first.
    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().expect("lock").clone()
    }

    /// Clicks notification `id`: the service signals that `action` was invoked.
    pub async fn click(&self, id: u32, action: &str) {
        self.service
            .as_ref()
            .expect("serve_notifications first")
            .emit_signal(
                None::<zbus::names::BusName<'_>>,
                "/org/freedesktop/Notifications",
                "org.freedesktop.Notifications",
                "ActionInvoked",
                &(id, action),
            )
            .await
            .expect("emit ActionInvoked");
    }
}

impl Drop for DesktopSession {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
