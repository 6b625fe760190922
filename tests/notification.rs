//! The auto-pause notification from the running app: the app's session bus is a private
//! `dbus-daemon` hosting a fake `org.freedesktop.Notifications`; the real airlift-sim makes a
//! rollout fail past its threshold; the server pauses it; the app (watching the active
//! connection since start-up) notifies, naming rollout, package and failure rate. A click on the
//! notification (the service's `ActionInvoked`) brings the app to that rollout.

mod support;

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlift_core::rollout::RolloutStatus;
use support::fleet::Fleet;
use support::ui;

const SENSORS: usize = 20;

#[derive(Debug, Clone)]
struct Shown {
    id: u32,
    app_name: String,
    summary: String,
    body: String,
    actions: Vec<String>,
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
        actions: Vec<String>,
        _hints: HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().expect("lock");
        let id = u32::try_from(shown.len() + 1).expect("few notifications");
        shown.push(Shown {
            id,
            app_name: app_name.to_owned(),
            summary: summary.to_owned(),
            body: body.to_owned(),
            actions,
        });
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "actions".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "fake".into(),
            "airlift-e2e".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auto_paused_rollout_notifies_and_the_click_opens_it() {
    let tmp = tempfile::tempdir().expect("temp dir");

    // The desktop session: a private bus with the fake notification service.
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dbus-daemon (Debian package dbus)");
    let mut address = String::new();
    BufReader::new(bus.stdout.take().expect("stdout"))
        .read_line(&mut address)
        .expect("the bus address");
    let _bus = support::Guard::new(bus);
    let address = address.trim().to_owned();
    let shown = Arc::new(Mutex::new(Vec::<Shown>::new()));
    let service = zbus::connection::Builder::address(address.as_str())
        .name("org.freedesktop.Notifications")
        .serve_at(
            "/org/freedesktop/Notifications",
            FakeNotifications {
                shown: Arc::clone(&shown),
            },
        )
        .build()
        .await
        .expect("the fake notification service is on the private bus");

    let mut fleet = Fleet::start(tmp.path(), SENSORS).await;
    let env = vec![
        (
            "AIRLIFT_DATA_DIR",
            tmp.path().join("app").display().to_string(),
        ),
        ("AIRLIFT_SERVER_URL", fleet.server.url.clone()),
        ("AIRLIFT_TOKEN", fleet.token.clone()),
        ("AIRLIFT_CONNECTION_NAME", "Lab fleet".to_owned()),
        ("DBUS_SESSION_BUS_ADDRESS", address.clone()),
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
        if let Some(n) = shown.lock().expect("lock").first().cloned() {
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
    service
        .emit_signal(
            None::<zbus::names::BusName<'_>>,
            "/org/freedesktop/Notifications",
            "org.freedesktop.Notifications",
            "ActionInvoked",
            &(note.id, "default"),
        )
        .await
        .expect("emit ActionInvoked");
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
