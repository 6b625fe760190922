//! The dashboard and the audit screen end to end, in the real window against a real airliftd
//! (`support::fleet`: 6 temp-sensors on 1.0.0, 4 gateways on 1.9.0, firmware 2.0.0 published;
//! no device runs, so a rollout stays under way).
//!
//! The app opens on the dashboard: the rollout under way with its health, the fleet's versions
//! per device type drawn as a chart (uPlot's canvas) and listed, and what the cache holds. A
//! click opens the rollout, which the admin pauses there. The audit screen lists what was done
//! (the package, the rollout's creation and its pause), a filter narrows it to the pause, and
//! that row opens the rollout. A support connection reads the log too; a release manager's
//! sidebar has no Audit entry. With the server stopped, the admin's next launch shows the
//! dashboard and the audit entries it saw from the cache, marked offline.

mod support;

use std::path::Path;

use fantoccini::{Client, Locator};
use support::fleet::Fleet;
use support::ui;

const SENSORS: usize = 6;

fn app_env(data: &Path, url: &str, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AIRLIFT_DATA_DIR", data.display().to_string()),
        ("AIRLIFT_SERVER_URL", url.to_owned()),
        ("AIRLIFT_TOKEN", token.to_owned()),
        ("AIRLIFT_CONNECTION_NAME", "Lab fleet".to_owned()),
    ]
}

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    ui::find(client, css)
        .await
        .attr(name)
        .await
        .unwrap_or_else(|err| panic!("attribute {name} of {css}: {err}"))
}

/// The audit rows shown now: (action, object id) of each, top to bottom.
async fn audit_rows(client: &Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for row in client
        .find_all(Locator::Css("[data-testid=audit-row]"))
        .await
        .expect("audit rows")
    {
        let action = row.attr("data-action").await.ok().flatten();
        let object = row.attr("data-object-id").await.ok().flatten();
        out.push((action.unwrap_or_default(), object.unwrap_or_default()));
    }
    out
}

/// Waits until the audit table shows rows for which `done` holds; returns them.
async fn wait_audit(
    client: &Client,
    what: &str,
    done: impl Fn(&[(String, String)]) -> bool,
) -> Vec<(String, String)> {
    let deadline = std::time::Instant::now() + ui::TIMEOUT;
    loop {
        let rows = audit_rows(client).await;
        if done(&rows) {
            return rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the audit log never showed {what}: {rows:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn sidebar_entries(client: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for b in client
        .find_all(Locator::Css("nav.sidebar .nav-item"))
        .await
        .expect("sidebar entries")
    {
        out.push(b.text().await.unwrap_or_default());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_the_rollout_and_fleet_versions_and_the_audit_log_lists_what_was_done() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(tmp.path(), SENSORS).await;
    let rollout = fleet.roll_out(50).await;
    let admin_token = fleet.token.clone();

    let app = Path::new(env!("CARGO_BIN_EXE_airlift"));
    let display = support::Display::start();
    let driver = support::Driver::start_with_env(
        &display,
        &app_env(&tmp.path().join("app"), &fleet.server.url, &fleet.token),
    );
    let client = driver.session(app).await;

    // The start screen is the dashboard.
    support::wait_for_text(&client, "#section-title", ui::TIMEOUT, |t| t == "Dashboard").await;
    let row = format!("[data-testid=dashboard-rollout][data-rollout-id='{rollout}']");
    ui::find(&client, &row).await;
    assert_eq!(
        attr(&client, &row, "data-status").await.as_deref(),
        Some("active")
    );
    let state = ui::find(
        &client,
        &format!("{row} [data-testid=dashboard-rollout-state]"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(state, "Active");
    // Named by its profile (synced with the dashboard), not by an id.
    support::wait_for_text(&client, &row, ui::TIMEOUT, |t| {
        t.contains("2.0.0") && t.contains("→ lab")
    })
    .await;
    let progress = ui::find(
        &client,
        &format!("{row} [data-testid=dashboard-rollout-progress]"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(
        progress,
        format!("0 of {SENSORS} done"),
        "no device ran yet"
    );

    // The fleet's versions: listed, and drawn (uPlot's canvas has a size).
    let versions = support::wait_for_text(
        &client,
        "[data-testid=fleet-versions-list]",
        ui::TIMEOUT,
        |t| t.contains("temp-sensor") && t.contains("gateway"),
    )
    .await;
    assert!(
        versions.contains(&format!("1.0.0 × {SENSORS}")),
        "{versions}"
    );
    assert!(versions.contains("1.9.0 × 4"), "{versions}");
    let summary = attr(&client, "[data-testid=fleet-versions] figure", "aria-label")
        .await
        .expect("the chart's summary");
    assert!(
        summary.contains(&format!("temp-sensor: {SENSORS} on 1.0.0"))
            && summary.contains("gateway: 4 on 1.9.0"),
        "{summary}"
    );
    let canvas = client
        .execute(
            "const c = document.querySelector('[data-testid=fleet-versions] canvas');
             return c ? [c.width, c.height] : null;",
            vec![],
        )
        .await
        .expect("read the chart's canvas");
    let size: Vec<u64> = serde_json::from_value(canvas.clone())
        .unwrap_or_else(|_| panic!("no chart canvas: {canvas}"));
    assert!(size[0] > 100 && size[1] > 100, "canvas {size:?}");
    // What the cache holds, counted after the first sync.
    support::wait_for_text(
        &client,
        "[data-testid=cached-fleet_versions]",
        ui::TIMEOUT,
        |t| t == "2",
    )
    .await;
    support::wait_for_text(&client, "[data-testid=cached-rollouts]", ui::TIMEOUT, |t| {
        t == "1"
    })
    .await;
    support::screenshot(&client, "dashboard").await;

    // A click opens the rollout; the admin pauses it there.
    ui::click(&client, &row).await;
    support::wait_for_text(&client, "[data-testid=rollout-status]", ui::TIMEOUT, |t| {
        t == "Active"
    })
    .await;
    assert_eq!(
        attr(&client, "[data-testid=rollout-view]", "data-rollout-id")
            .await
            .as_deref(),
        Some(rollout.as_str())
    );
    ui::click(&client, "[data-testid=action-pause]").await;
    support::wait_for_text(&client, "[data-testid=rollout-status]", ui::TIMEOUT, |t| {
        t == "Paused"
    })
    .await;
    // Back on the dashboard it reads as paused by hand, not by the threshold.
    ui::click_button(&client, "Dashboard").await;
    support::wait_for_text(
        &client,
        &format!("{row} [data-testid=dashboard-rollout-state]"),
        ui::TIMEOUT,
        |t| t == "Paused",
    )
    .await;

    // The audit log: what this test did, newest first.
    ui::click_button(&client, "Audit").await;
    let rows = wait_audit(&client, "the pause", |rows| {
        rows.iter()
            .any(|(a, o)| a == "rollout.pause" && *o == rollout)
    })
    .await;
    let pause = rows
        .iter()
        .position(|(a, o)| a == "rollout.pause" && *o == rollout)
        .expect("the pause");
    let create = rows
        .iter()
        .position(|(a, o)| a == "rollout.create" && *o == rollout)
        .expect("the rollout's creation");
    assert!(pause < create, "newest first: {rows:?}");
    assert!(
        rows.iter()
            .any(|(a, o)| a == "package.create" && *o == fleet.package.package_id),
        "{rows:?}"
    );
    support::screenshot(&client, "audit").await;

    // Filtering by action narrows it to the pause; by object, to this rollout's two entries.
    ui::find(
        &client,
        "[data-testid=audit-action] option[value='rollout.pause']",
    )
    .await;
    ui::find(&client, "[data-testid=audit-action]")
        .await
        .select_by_value("rollout.pause")
        .await
        .expect("choose an action");
    let pause_row = ("rollout.pause".to_owned(), rollout.clone());
    let create_row = ("rollout.create".to_owned(), rollout.clone());
    wait_audit(&client, "only the pause", |rows| {
        rows.to_vec() == vec![pause_row.clone()]
    })
    .await;
    ui::click(&client, "[data-testid=audit-clear]").await;
    ui::type_into(&client, "[data-testid=audit-object-id]", &rollout).await;
    wait_audit(&client, "this rollout's entries", |rows| {
        rows.to_vec() == vec![pause_row.clone(), create_row.clone()]
    })
    .await;

    // A row opens its object: the rollout's view.
    ui::click(
        &client,
        "[data-testid=audit-row][data-action='rollout.pause']",
    )
    .await;
    support::wait_for_text(&client, "[data-testid=rollout-status]", ui::TIMEOUT, |t| {
        t == "Paused"
    })
    .await;
    assert_eq!(
        attr(&client, "[data-testid=rollout-view]", "data-rollout-id")
            .await
            .as_deref(),
        Some(rollout.as_str())
    );
    client.close().await.expect("close the session");
    drop(driver);

    // Support reads the log (and the admin's pause in it).
    let support_token = fleet.server.token("acme", "support");
    let driver = support::Driver::start_with_env(
        &display,
        &app_env(
            &tmp.path().join("support-app"),
            &fleet.server.url,
            &support_token,
        ),
    );
    let client = driver.session(app).await;
    support::wait_for_text(&client, "#section-title", ui::TIMEOUT, |t| t == "Dashboard").await;
    ui::find(&client, ".shell[data-audit-access='true']").await;
    ui::click_button(&client, "Audit").await;
    wait_audit(&client, "the pause, for support", |rows| {
        rows.iter()
            .any(|(a, o)| a == "rollout.pause" && *o == rollout)
    })
    .await;
    client.close().await.expect("close the session");
    drop(driver);

    // A release manager's sidebar has no Audit entry (the server would refuse it anyway).
    let rm_token = fleet.server.token("acme", "release-manager");
    let driver = support::Driver::start_with_env(
        &display,
        &app_env(&tmp.path().join("rm-app"), &fleet.server.url, &rm_token),
    );
    let client = driver.session(app).await;
    ui::find(&client, &row).await;
    ui::find(&client, ".shell[data-audit-access='false']").await;
    let entries = sidebar_entries(&client).await;
    assert!(entries.iter().any(|e| e == "Dashboard"), "{entries:?}");
    assert!(!entries.iter().any(|e| e == "Audit"), "{entries:?}");
    // A link to the log says whom it is for instead of listing anything.
    client
        .execute("window.location.hash = '#/audit';", vec![])
        .await
        .expect("follow a link to the audit log");
    support::wait_for_text(
        &client,
        "[data-testid=audit-not-allowed]",
        ui::TIMEOUT,
        |t| t.contains("admins and support"),
    )
    .await;
    client.close().await.expect("close the session");
    drop(driver);

    // The server goes away: the admin's next launch shows the dashboard and the audit entries
    // it saw from the cache, each marked offline.
    let url = fleet.server.url.clone();
    let support::fleet::Fleet { server, .. } = fleet;
    server.stop();
    let driver = support::Driver::start_with_env(
        &display,
        &app_env(&tmp.path().join("app"), &url, &admin_token),
    );
    let client = driver.session(app).await;
    support::wait_for_text(
        &client,
        "[data-testid=dashboard-offline]",
        ui::TIMEOUT,
        |t| t.starts_with("Offline"),
    )
    .await;
    support::wait_for_text(
        &client,
        &format!("{row} [data-testid=dashboard-rollout-state]"),
        ui::TIMEOUT,
        |t| t == "Paused",
    )
    .await;
    ui::find(&client, "[data-testid=fleet-versions] canvas").await;
    ui::click_button(&client, "Audit").await;
    support::wait_for_text(&client, "[data-testid=audit-offline]", ui::TIMEOUT, |t| {
        t.starts_with("Offline")
    })
    .await;
    wait_audit(&client, "the cached pause", |rows| {
        rows.iter()
            .any(|(a, o)| a == "rollout.pause" && *o == rollout)
    })
    .await;
    client.close().await.expect("close the session");
}
