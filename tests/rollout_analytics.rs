//! A rollout's progress over time and failure reasons end to end: a real airliftd, eight
//! temp-sensors run by the real airlift-sim, four of which fail three different ways (two
//! installs fail with the same message, one download breaks off, one download arrives
//! corrupted). In the window, the rollout view draws its progress chart (uPlot on a canvas),
//! lists the three reasons grouped with their counts, and clicking a reason shows exactly its
//! devices in the table. With the server gone, the chart and the reasons still show, from the
//! cache.

mod support;

use std::path::Path;

use fantoccini::{Client, Locator};
use support::fleet::{Fleet, FAIL_MESSAGE};
use support::ui;

const SENSORS: usize = 8;

async fn texts(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in client
        .find_all(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("find {css}: {err}"))
    {
        out.push(e.text().await.unwrap_or_default());
    }
    out
}

/// The device table's rows once there are `n` of them whose text satisfies `each`.
async fn rows_when(client: &Client, n: usize, each: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = std::time::Instant::now() + ui::TIMEOUT;
    loop {
        let rows = texts(client, "[data-testid=device-row]").await;
        if rows.len() == n && rows.iter().all(|r| each(r)) {
            return rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never {n} matching device rows: {rows:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    ui::find(client, css)
        .await
        .attr(name)
        .await
        .unwrap_or_else(|err| panic!("attribute {name} of {css}: {err}"))
}

/// Opens rollout `id` from the list.
async fn open_rollout(client: &Client, id: &str) {
    support::wait_for_text(client, "nav", ui::TIMEOUT, |t| t.contains("Rollouts")).await;
    ui::click_button(client, "Rollouts").await;
    ui::click(client, &format!("[data-rollout-id='{id}']")).await;
    support::wait_for_text(client, "[data-testid=rollout-status]", ui::TIMEOUT, |t| {
        t == "Completed · 4 failed"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rollout_view_charts_progress_groups_failure_reasons_and_lists_a_reasons_devices() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut fleet = Fleet::start(tmp.path(), SENSORS).await;
    fleet.run_devices_with_faults(&["0=install", "1=install", "2=download", "3=corrupt"]);
    // A threshold the failures stay under: every sensor gets its verdict and it completes.
    let rollout = fleet.roll_out(100).await;
    fleet
        .wait_rollout(&rollout, "completed with four failures", |r| {
            r.status == airlift_core::rollout::RolloutStatus::Completed
                && r.counters.failed_total() == 4
        })
        .await;
    let grouped = fleet
        .client
        .rollout_failures(&rollout)
        .await
        .expect("failure reasons")
        .data;
    assert_eq!(grouped.len(), 3, "three ways to fail: {grouped:?}");
    assert_eq!(grouped[0].count, 2, "{grouped:?}");
    assert_eq!(grouped[0].example_message.as_deref(), Some(FAIL_MESSAGE));

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
    let app = Path::new(env!("CARGO_BIN_EXE_airlift"));
    let client = driver.session(app).await;
    open_rollout(&client, &rollout).await;

    // Progress over time: uPlot drew it on a canvas, and says what it shows in words.
    ui::find(&client, "[data-testid=progress-chart] canvas").await;
    let summary = attr(&client, "[data-testid=progress-chart] figure", "aria-label")
        .await
        .expect("the chart's summary");
    assert!(
        summary.contains("4 succeeded, 4 failed, 0 in progress and 0 not told yet of 8 devices"),
        "{summary}"
    );
    let points: usize = attr(&client, "[data-testid=progress-chart]", "data-points")
        .await
        .expect("points")
        .parse()
        .expect("a number");
    assert!(points >= 1, "{points}");
    support::screenshot(&client, "rollout-progress-chart").await;

    // The reasons, grouped (numbers, paths and hex taken out), largest first, with the first
    // device's own words.
    support::wait_for_text(&client, "[data-testid=failure-total]", ui::TIMEOUT, |t| {
        t == "4 devices, 3 reasons"
    })
    .await;
    let reasons = texts(&client, "[data-testid=failure-reason]").await;
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].starts_with("Flash write failed at block <hex>:"),
        "{reasons:?}"
    );
    // The example line is cut to the panel's width; its tooltip holds the whole message.
    assert_eq!(
        attr(&client, "[data-testid=failure-example]", "title")
            .await
            .as_deref(),
        Some(FAIL_MESSAGE),
        "the first device's own words"
    );
    assert!(
        reasons.iter().any(|r| r.contains("Connection lost")),
        "{reasons:?}"
    );
    let counts = texts(&client, "[data-testid=failure-count]").await;
    assert_eq!(counts, ["2", "1", "1"]);

    // Clicking a reason shows exactly its devices.
    ui::click(&client, "[data-testid=failure-reason]").await;
    support::wait_for_text(&client, "[data-testid=failure-filter]", ui::TIMEOUT, |t| {
        t.contains("Flash write failed")
    })
    .await;
    support::wait_for_text(&client, "[data-testid=device-count]", ui::TIMEOUT, |t| {
        t == "2 devices"
    })
    .await;
    // Exactly its two devices, each with the message it sent.
    rows_when(&client, 2, |r| r.contains("Flash write failed")).await;
    support::screenshot(&client, "rollout-failure-reasons").await;

    // Another reason: its one device; clicking it again shows every device.
    let download = client
        .find(Locator::XPath(
            "//button[@data-testid='failure-reason'][contains(., 'Connection lost')]",
        ))
        .await
        .expect("the download reason");
    download.click().await.expect("click the download reason");
    support::wait_for_text(&client, "[data-testid=device-count]", ui::TIMEOUT, |t| {
        t == "1 device"
    })
    .await;
    rows_when(&client, 1, |r| r.contains("Connection lost")).await;
    ui::click(&client, "[data-testid=failure-filter] button").await;
    support::wait_for_text(&client, "[data-testid=device-count]", ui::TIMEOUT, |t| {
        t == format!("{SENSORS} devices")
    })
    .await;
    client.close().await.expect("close the session");
    drop(driver);

    // Offline: the server and its devices are gone; the chart and the reasons show from the
    // cache, saying how old they are.
    drop(fleet);
    let driver = support::Driver::start_with_env(&display, &env);
    let client = driver.session(app).await;
    ui::click_button(&client, "Rollouts").await;
    ui::click(&client, &format!("[data-rollout-id='{rollout}']")).await;
    support::wait_for_text(&client, "[data-testid=rollout-stale]", ui::TIMEOUT, |t| {
        t.starts_with("Offline")
    })
    .await;
    support::wait_for_text(
        &client,
        "[data-testid=progress-offline]",
        ui::TIMEOUT,
        |t| t.starts_with("Offline — as of"),
    )
    .await;
    ui::find(&client, "[data-testid=progress-chart] canvas").await;
    support::wait_for_text(&client, "[data-testid=failure-total]", ui::TIMEOUT, |t| {
        t == "4 devices, 3 reasons"
    })
    .await;
    // A picked reason lists the devices it kept (the rows need the server).
    ui::click(&client, "[data-testid=failure-reason]").await;
    let samples =
        support::wait_for_text(&client, "[data-testid=failure-samples]", ui::TIMEOUT, |t| {
            !t.is_empty()
        })
        .await;
    assert_eq!(samples.split(", ").count(), 2, "{samples}");
    client.close().await.expect("close the session");
}
