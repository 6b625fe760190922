//! The rollout wizard's phases, schedule and retries end to end, in the real window against a
//! real airliftd (eight temp-sensors of profile `lab`, firmware 2.0.0): from the 1 → 10 → 50 →
//! 100 % preset down to three phases, a refused plan explained next to its phase, a start two
//! days ahead, a maintenance window in Europe/Berlin and retries; the review shows the plan as
//! a timeline with the server's device counts (every step fits the window's smallest size), and
//! the rollout the server then holds has every one of those choices.

mod support;

use std::path::Path;

use airlift_desk::client::ListParams;
use fantoccini::Client;
use support::fleet::Fleet;
use support::ui;

const SENSORS: usize = 8;

async fn select(client: &Client, css: &str, value: &str) {
    ui::find(client, &format!("{css} option[value='{value}']")).await;
    ui::find(client, css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|err| panic!("select {value} in {css}: {err}"));
}

async fn text_of(client: &Client, css: &str) -> String {
    ui::find(client, css)
        .await
        .text()
        .await
        .unwrap_or_else(|err| panic!("text of {css}: {err}"))
}

/// A date and a time two days from now in the window's own (local) time zone, and the instant
/// they name in RFC 3339 UTC, as the webview computes them.
async fn two_days_ahead(client: &Client) -> (String, String, String) {
    let v = client
        .execute(
            "const d = new Date(Date.now() + 2 * 86400000);
             const pad = (n) => String(n).padStart(2, '0');
             const at = new Date(d.getFullYear(), d.getMonth(), d.getDate(), 12, 0);
             return [`${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`, '12:00',
                     at.toISOString().replace('.000Z', 'Z')];",
            vec![],
        )
        .await
        .expect("the webview's clock");
    serde_json::from_value(v).expect("three strings")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wizard_creates_a_phased_scheduled_rollout_with_a_window_and_retries() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(tmp.path(), SENSORS).await;
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

    // 1. Package and target.
    ui::click_button(&client, "Rollouts").await;
    ui::click(&client, "[data-testid=open-rollout-wizard]").await;
    select(&client, "#w-package", &fleet.package.package_id).await;
    select(&client, "#w-profile", &fleet.profile.profile_id).await;
    support::wait_for_text(&client, "[data-testid=eligible-count]", ui::TIMEOUT, |t| {
        t == "8"
    })
    .await;
    ui::click_button(&client, "Next: strategy").await;

    // 2. Phases: the preset's four phases, each with the server's device count.
    ui::click(&client, "input[name=strategy][value=phased]").await;
    support::wait_for_text(&client, "[data-testid=phase-4-devices]", ui::TIMEOUT, |t| {
        t == "8"
    })
    .await;
    // Three phases: without the 1 % one, the first at 25 %, a shorter soak in the second.
    ui::click(&client, "button[aria-label='Remove phase 1']").await;
    ui::replace_text(&client, "#w-phase-1-percent", "60").await;
    // Above the next phase: refused next to the phase, and the wizard stays.
    support::wait_for_text(&client, "#w-phase-2-percent-problem", ui::TIMEOUT, |t| {
        t.contains("Phase 2 must cover more than phase 1's 60 %")
    })
    .await;
    ui::click_button(&client, "Next: schedule").await;
    assert_eq!(text_of(&client, "#wizard-step-title").await, "Strategy");
    ui::replace_text(&client, "#w-phase-1-percent", "25").await;
    ui::replace_text(&client, "#w-phase-2-soak", "30m").await;
    ui::replace_text(&client, "#w-threshold", "20").await;
    ui::replace_text(&client, "#w-min-devices", "2").await;
    // ceil(25 % × 8) = 2, ceil(50 % × 8) = 4, then all 8.
    support::wait_for_text(&client, "[data-testid=phase-1-devices]", ui::TIMEOUT, |t| {
        t == "2"
    })
    .await;
    assert_eq!(text_of(&client, "[data-testid=phase-2-devices]").await, "4");
    assert_eq!(text_of(&client, "[data-testid=phase-3-devices]").await, "8");
    support::screenshot(&client, "rollout-wizard-phases-editor").await;
    ui::click_button(&client, "Next: schedule").await;

    // 3. Schedule: two days ahead at noon here, a weeknight window in Berlin, retries.
    let (date, time, start_at) = two_days_ahead(&client).await;
    ui::click(&client, "[data-testid=start-at]").await;
    ui::type_into(&client, "#w-start-date", &date).await;
    ui::type_into(&client, "#w-start-time", &time).await;
    support::wait_for_text(&client, "[data-testid=start-zone]", ui::TIMEOUT, |t| {
        t.contains("until then it is scheduled")
    })
    .await;
    ui::click(&client, "[data-testid=window-on]").await;
    ui::replace_text(&client, "#w-window-start", "22:00").await;
    ui::replace_text(&client, "#w-window-end", "04:00").await;
    select(&client, "#w-window-zone", "Europe/Berlin").await;
    // The server's next opening after the start, shown in the window's zone.
    support::wait_for_text(&client, "[data-testid=window-opens]", ui::TIMEOUT, |t| {
        t.contains("22:00 (Europe/Berlin")
    })
    .await;
    ui::click(&client, "[data-testid=retry-on]").await;
    ui::replace_text(&client, "#w-retry-attempts", "4").await;
    ui::replace_text(&client, "#w-retry-backoff", "2m").await;
    support::wait_for_text(&client, "[data-testid=retry-note]", ui::TIMEOUT, |t| {
        t.contains("told again after 2 min, then 4 min, then 8 min")
    })
    .await;
    support::screenshot(&client, "rollout-wizard-schedule").await;
    ui::click_button(&client, "Next: review").await;

    // 4. The review: the plan as a timeline, with the server's counts.
    support::wait_for_text(
        &client,
        "[data-testid=timeline-devices-3]",
        ui::TIMEOUT,
        |t| t == "8 devices (+4)",
    )
    .await;
    assert_eq!(
        text_of(&client, "[data-testid=timeline-devices-1]").await,
        "2 devices"
    );
    let first = text_of(&client, "[data-testid=timeline-step-1]").await;
    assert!(
        first.contains("Phase 1 · 25 %") && first.contains("Europe/Berlin"),
        "{first}"
    );
    let window = text_of(&client, "[data-testid=timeline-window]").await;
    assert!(
        window.starts_with("Mon–Fri, 22:00–04:00 (closes the next morning) Europe/Berlin"),
        "{window}"
    );
    let retries = text_of(&client, "[data-testid=timeline-retries]").await;
    assert!(
        retries.starts_with("Up to 4 attempts per device"),
        "{retries}"
    );
    let threshold = text_of(&client, "[data-testid=timeline-threshold]").await;
    assert!(
        threshold.contains("more than 20 % of the slice has failed, once 2 devices have a verdict"),
        "{threshold}"
    );
    support::screenshot(&client, "rollout-wizard-phases").await;
    // At the window's smallest size (tauri.conf.json) every step still fits (nothing scrolls
    // sideways), and Back keeps every choice.
    ui::resize_inner(&client, 900, 640).await;
    for step in ["Review and start", "Schedule", "Strategy"] {
        if step != "Review and start" {
            ui::click_button(&client, "Back").await;
        }
        support::wait_for_text(&client, "#wizard-step-title", ui::TIMEOUT, |t| t == step).await;
        let problems = ui::layout_problems(&client).await;
        assert!(problems.is_empty(), "{step} at 900 × 640: {problems:?}");
    }
    assert_eq!(ui::value_of(&client, "#w-phase-1-percent").await, "25");
    ui::click_button(&client, "Next: schedule").await;
    ui::click_button(&client, "Next: review").await;
    let button = text_of(&client, "[data-testid=start-rollout]").await;
    assert_eq!(button, "Schedule rollout on 2 devices");
    ui::click(&client, "[data-testid=start-rollout]").await;

    // The server's rollout holds every choice.
    let deadline = std::time::Instant::now() + ui::TIMEOUT;
    let summary = loop {
        let listed = fleet
            .client
            .rollouts(&ListParams::new(10, None))
            .await
            .expect("list rollouts")
            .data;
        if let Some(r) = listed.into_iter().next() {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the wizard created no rollout"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(summary.status.as_str(), "scheduled", "{summary:?}");
    assert_eq!(summary.start_at.as_deref(), Some(start_at.as_str()));
    assert_eq!(summary.canary_percent, 25);
    assert_eq!(summary.failure_threshold_percent, 20);
    assert_eq!(summary.min_devices, 2);
    let phases: Vec<(u32, u64, u32)> = summary
        .phases
        .as_ref()
        .expect("phases")
        .iter()
        .map(|p| (p.percent, p.soak_seconds, p.min_success_percent))
        .collect();
    assert_eq!(phases, [(25, 3600, 95), (50, 1800, 95), (100, 3600, 95)]);
    let w = summary.maintenance_window.as_ref().expect("window");
    assert_eq!(w.timezone, "Europe/Berlin");
    assert_eq!(w.days, ["mon", "tue", "wed", "thu", "fri"]);
    assert_eq!((w.start.as_str(), w.end.as_str()), ("22:00", "04:00"));
    let retry = summary.retry.expect("retry");
    assert_eq!((retry.max_attempts, retry.backoff_seconds), (4, 120));
    assert_eq!(
        summary.counters.command_sent, 0,
        "nothing told before the start"
    );
    client.close().await.expect("close the session");
}
