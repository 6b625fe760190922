//! The devices screen end to end: a real airliftd, 24 temp-sensors run by the real airlift-sim
//! (a fixed seed makes some fail their install) and a rollout of firmware 2.0.0. In the window,
//! the search finds a device by id prefix and by version, a failed device's page shows the
//! simulator's failure message in its history, and "Export CSV" writes that history to the file
//! chosen in the real save dialog.
//!
//! A second test takes the window down to its minimum size (900 × 640, tauri.conf.json):
//! devices in natural order, a search on a part of the name, a device page with its last
//! contact, the agent it polls with (the simulator's), its rollout and profile by name, a
//! live rollout; nothing wraps, overflows or is
//! clipped. Then the server stops, and the catalog, the rollouts and the device's history stay
//! readable, marked as cached with their age.

mod support;

use std::path::Path;
use std::time::Duration;

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::wire::CreateRollout;
use airlift_desk::client::ListParams;
use support::fleet::{Fleet, FAIL_MESSAGE};
use support::ui;

const SENSORS: usize = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_devices_and_a_failed_device_shows_why_in_its_history() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut fleet = Fleet::start(tmp.path(), SENSORS).await;
    fleet.run_devices(0.25);
    // A threshold the failures stay under: every sensor gets its verdict.
    let rollout = fleet.roll_out(50).await;
    let settled = fleet
        .wait_rollout(&rollout, "a verdict for every sensor", |r| {
            r.counters.successful + r.counters.failed == SENSORS as u64
        })
        .await;
    assert!(
        settled.counters.failed > 0,
        "the seed makes some sensors fail"
    );
    let per_device = fleet
        .client
        .rollout_devices(&rollout, &ListParams::new(100, None))
        .await
        .expect("rollout devices")
        .data;
    let failed = per_device
        .iter()
        .find(|d| d.state == Some(DeviceRolloutState::Failed))
        .expect("a failed sensor")
        .device_id
        .clone();
    let updated = settled.counters.successful;

    let csv_path = tmp.path().join("exported-history.csv");
    let env = vec![
        (
            "AIRLIFT_DATA_DIR",
            tmp.path().join("app").display().to_string(),
        ),
        ("AIRLIFT_SERVER_URL", fleet.server.url.clone()),
        ("AIRLIFT_TOKEN", fleet.token.clone()),
        ("AIRLIFT_CONNECTION_NAME", "Lab fleet".to_owned()),
    ];
    let display = support::Display::start();
    let driver = support::Driver::start_with_env(&display, &env);
    let client = driver
        .session(Path::new(env!("CARGO_BIN_EXE_airlift")))
        .await;

    ui::click_button(&client, "Devices").await;
    let total = SENSORS + 4;
    support::wait_for_text(&client, "[data-testid=device-count]", ui::TIMEOUT, |t| {
        t == format!("{total} devices")
    })
    .await;
    // The synced OTA states show in the list: updated and failed sensors, idle gateways.
    support::wait_for_text(
        &client,
        "[role=grid][aria-label=Devices]",
        ui::TIMEOUT,
        |t| t.contains("Failed") && t.contains("Updated") && t.contains("Idle"),
    )
    .await;
    support::screenshot(&client, "devices").await;

    // By id prefix: the failed sensor's id without its last characters.
    let prefix = &failed[..failed.len() - 3];
    ui::type_into(&client, "[data-testid=device-search]", prefix).await;
    let listed = support::wait_for_text(
        &client,
        "[role=grid][aria-label=Devices]",
        ui::TIMEOUT,
        |t| t.contains(&failed),
    )
    .await;
    assert!(listed.contains("Failed"), "{listed}");
    ui::click_button(&client, "Clear").await;

    // By version: exactly the sensors that installed 2.0.0.
    select(&client, "[data-testid=version-filter]", "2.0.0").await;
    support::wait_for_text(&client, "[data-testid=device-count]", ui::TIMEOUT, |t| {
        t == format!("{updated} matching of {total} devices")
    })
    .await;
    // The count and the rows are two queries: wait for the rows to be the filtered ones too.
    let rows = wait_for_rows(&client, |rows| rows.len() as u64 == updated).await;
    for row in rows {
        assert!(
            row.contains("| 2.0.0 |") && row.contains("Updated"),
            "{row}"
        );
    }
    ui::click_button(&client, "Clear").await;

    // The failed sensor's page: why it failed, and the whole timeline.
    ui::type_into(&client, "[data-testid=device-search]", &failed).await;
    support::wait_for_text(&client, "[data-testid=device-count]", ui::TIMEOUT, |t| {
        t.starts_with("1 matching")
    })
    .await;
    ui::click(&client, "[data-testid=device-row]").await;
    let reason =
        support::wait_for_text(&client, "[data-testid=failure-reason]", ui::TIMEOUT, |t| {
            t.contains(FAIL_MESSAGE)
        })
        .await;
    assert!(reason.contains("INSTALL_ERROR"), "{reason}");
    let timeline = support::wait_for_text(&client, "[data-testid=timeline]", ui::TIMEOUT, |t| {
        t.contains("Reported INSTALL_ERROR") && t.contains("Update command sent")
    })
    .await;
    assert!(timeline.contains(FAIL_MESSAGE), "{timeline}");
    assert!(timeline.contains("Joined the rollout"), "{timeline}");
    support::wait_for_text(&client, "[data-testid=target-version]", ui::TIMEOUT, |t| {
        t == "2.0.0"
    })
    .await;
    support::wait_for_text(&client, "[data-testid=current-version]", ui::TIMEOUT, |t| {
        t == "1.0.0"
    })
    .await;
    let url = client.current_url().await.expect("url");
    assert_eq!(url.fragment(), Some(format!("/devices/{failed}").as_str()));
    support::screenshot(&client, "device-history").await;

    // Export CSV: the history, message quoted as RFC 4180 wants.
    ui::click(&client, "[data-testid=export-csv]").await;
    support::dialog::save_file(&display, support::dialog::EXPORT_HISTORY, &csv_path).await;
    support::wait_for_text(&client, "[data-testid=export-done]", ui::TIMEOUT, |t| {
        t.contains("exported-history.csv")
    })
    .await;
    let csv = std::fs::read_to_string(&csv_path).expect("the exported CSV");
    assert!(
        csv.starts_with("time,event,status,progress,firmware_version,message,"),
        "{csv}"
    );
    let quoted = format!("\"{}\"", FAIL_MESSAGE.replace('"', "\"\""));
    assert!(csv.contains(&quoted), "the message is quoted: {csv}");
    assert!(
        csv.lines().any(|l| l.contains(",command,ota_start,")),
        "{csv}"
    );

    client.close().await.expect("close the session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_minimum_window_size_nothing_wraps_or_clips_and_a_stopped_server_leaves_the_cache_readable(
) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut fleet = Fleet::start(tmp.path(), SENSORS).await;
    fleet.run_devices(0.25);
    // Half the sensors in the canary: the rollout stays active, the rest pending.
    let rollout = fleet
        .client
        .create_rollout(&CreateRollout {
            package_id: fleet.package.package_id.clone(),
            target_profile_id: Some(fleet.profile.profile_id.clone()),
            canary_percent: Some(50),
            failure_threshold_percent: 90,
            ..CreateRollout::default()
        })
        .await
        .expect("start a rollout")
        .rollout_id;
    let slice = SENSORS as u64 / 2;
    fleet
        .wait_rollout(&rollout, "a verdict for the canary", |r| {
            r.counters.successful + r.counters.failed == slice
        })
        .await;
    let failed = fleet
        .client
        .rollout_devices(&rollout, &ListParams::new(100, None))
        .await
        .expect("rollout devices")
        .data
        .into_iter()
        .find(|d| d.state == Some(DeviceRolloutState::Failed))
        .expect("a failed sensor")
        .device_id;

    let env = vec![
        (
            "AIRLIFT_DATA_DIR",
            tmp.path().join("app").display().to_string(),
        ),
        ("AIRLIFT_SERVER_URL", fleet.server.url.clone()),
        ("AIRLIFT_TOKEN", fleet.token.clone()),
        ("AIRLIFT_CONNECTION_NAME", "Lab fleet".to_owned()),
    ];
    let display = support::Display::start();
    let driver = support::Driver::start_with_env(&display, &env);
    let client = driver
        .session(Path::new(env!("CARGO_BIN_EXE_airlift")))
        .await;
    ui::resize_inner(&client, 900, 640).await;
    let fits = |screen: &'static str| {
        let client = &client;
        async move {
            support::screenshot(client, screen).await;
            let problems = ui::layout_problems(client).await;
            assert!(problems.is_empty(), "{screen} at 900x640: {problems:#?}");
        }
    };

    // Devices in natural order: lab-sensor-2 before lab-sensor-10.
    ui::click_button(&client, "Devices").await;
    let total = SENSORS + 4;
    support::wait_for_text(&client, "[data-testid=device-count]", ui::TIMEOUT, |t| {
        t == format!("{total} devices")
    })
    .await;
    // Only the rows on screen are in the page (the list is virtualized).
    let rows = wait_for_rows(&client, |rows| {
        rows.iter().any(|r| r.contains("Failed")) && rows.len() >= 16
    })
    .await;
    let numbers: Vec<u32> = rows
        .iter()
        .filter_map(|r| r.split(" | ").next())
        .filter_map(|name| name.strip_prefix("lab-sensor-"))
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(numbers.len() >= 12, "{rows:#?}");
    assert_eq!(
        numbers,
        (0..numbers.len() as u32).collect::<Vec<_>>(),
        "not in natural order"
    );
    fits("small-devices").await;

    // A part of the name, from its middle: every match holds it, none starts with it.
    ui::type_into(&client, "[data-testid=device-search]", "sensor-1").await;
    let rows = wait_for_rows(&client, |rows| {
        !rows.is_empty() && rows.iter().all(|r| r.contains("sensor-1"))
    })
    .await;
    assert!(rows.len() >= 2, "{rows:#?}");
    assert!(rows.iter().all(|r| r.starts_with("lab-")), "{rows:#?}");
    ui::click_button(&client, "Clear").await;

    // The failed sensor's page: its last contact, its rollout and profile by name.
    ui::type_into(&client, "[data-testid=device-search]", &failed).await;
    support::wait_for_text(&client, "[data-testid=device-count]", ui::TIMEOUT, |t| {
        t.starts_with("1 matching")
    })
    .await;
    ui::click(&client, "[data-testid=device-row]").await;
    support::wait_for_text(&client, "[data-testid=failure-reason]", ui::TIMEOUT, |t| {
        t.contains(FAIL_MESSAGE)
    })
    .await;
    support::wait_for_text(&client, "[data-testid=device-contact]", ui::TIMEOUT, |t| {
        t.starts_with("Online · last contact")
    })
    .await;
    // The agent the simulator polls with (its User-Agent): name and version only, the last
    // contact is the Contact line's.
    support::wait_for_text(&client, "[data-testid=device-agent]", ui::TIMEOUT, |t| {
        t.starts_with("airlift-sim ") && !t.contains("contact")
    })
    .await;
    support::wait_for_text(
        &client,
        "[data-testid=device-rollout-link]",
        ui::TIMEOUT,
        |t| t == "temp-sensor 2.0.0",
    )
    .await;
    support::wait_for_text(&client, "[data-testid=device-profile]", ui::TIMEOUT, |t| {
        t == "lab"
    })
    .await;
    fits("small-device").await;

    // The live rollout, reached from the device page's link.
    ui::click(&client, "[data-testid=device-rollout-link]").await;
    support::wait_for_text(&client, "[data-testid=transitions]", ui::TIMEOUT, |t| {
        !t.is_empty()
    })
    .await;
    support::wait_for_text(&client, "[data-testid=device-count]", ui::TIMEOUT, |t| {
        t == format!("{SENSORS} devices")
    })
    .await;
    // Opened before the rollouts list ever was, it still names its profile.
    support::wait_for_text(&client, "#section-title", ui::TIMEOUT, |t| {
        t.starts_with("2.0.0 → lab")
    })
    .await;
    fits("small-rollout").await;

    // The server goes away: every screen still shows what was cached, and says how old it is.
    let support::fleet::Fleet { server, .. } = fleet;
    server.stop();
    ui::click_button(&client, "Catalog").await;
    let state = support::wait_for_text(
        &client,
        "[data-testid=connection-state]",
        Duration::from_secs(90),
        |t| t.starts_with("Offline"),
    )
    .await;
    assert!(state.contains("cached, "), "{state}");
    support::wait_for_text(&client, "[data-testid=package-count]", ui::TIMEOUT, |t| {
        t.starts_with("1 of 1")
    })
    .await;
    ui::click_button(&client, "Rollouts").await;
    support::wait_for_text(
        &client,
        "[data-testid=rollouts-offline]",
        Duration::from_secs(60),
        |t| t.starts_with("Offline"),
    )
    .await;
    ui::click(&client, &format!("[data-rollout-id='{rollout}']")).await;
    support::wait_for_text(&client, "[data-testid=transitions]", ui::TIMEOUT, |t| {
        !t.is_empty()
    })
    .await;
    ui::click_button(&client, "Devices").await;
    ui::type_into(&client, "[data-testid=device-search]", &failed).await;
    ui::click(&client, "[data-testid=device-row]").await;
    let timeline = support::wait_for_text(&client, "[data-testid=timeline]", ui::TIMEOUT, |t| {
        t.contains("Reported INSTALL_ERROR")
    })
    .await;
    assert!(timeline.contains(FAIL_MESSAGE), "{timeline}");
    let note = support::wait_for_text(&client, ".offline-note", Duration::from_secs(60), |t| {
        t.starts_with("Offline")
    })
    .await;
    assert!(note.contains("cached, "), "{note}");
    // Whether the device is online now is unknown offline; its last contact is not.
    support::wait_for_text(&client, "[data-testid=device-contact]", ui::TIMEOUT, |t| {
        t.starts_with("Last contact") && t.ends_with("(cached)")
    })
    .await;
    // The agent is kept in the cache.
    support::wait_for_text(&client, "[data-testid=device-agent]", ui::TIMEOUT, |t| {
        t.starts_with("airlift-sim ")
    })
    .await;
    support::screenshot(&client, "offline-device").await;
    client.close().await.expect("close the session");
}

/// Each listed row's cells, " | "-separated (WebKitWebDriver's element text skips some cells
/// of absolutely positioned rows, so the DOM's text is read instead).
async fn row_texts(client: &fantoccini::Client) -> Vec<String> {
    let value = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=device-row]')]
                 .map(r => [...r.children].map(c => c.textContent).join(' | '));",
            vec![],
        )
        .await
        .expect("read the rows");
    serde_json::from_value(value).expect("a list of row texts")
}

/// The listed rows once `done` accepts them (panics with the last rows after `ui::TIMEOUT`).
async fn wait_for_rows(
    client: &fantoccini::Client,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = std::time::Instant::now() + ui::TIMEOUT;
    loop {
        let rows = row_texts(client).await;
        if done(&rows) {
            return rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the rows never matched: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Chooses `value` in a `<select>` by its option's value.
async fn select(client: &fantoccini::Client, css: &str, value: &str) {
    let deadline = std::time::Instant::now() + ui::TIMEOUT;
    loop {
        let element = ui::find(client, css).await;
        if element.select_by_value(value).await.is_ok() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} never offered {value}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
