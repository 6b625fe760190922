//! A phased rollout's gate end to end, in the real window against a real airliftd and eight
//! temp-sensors run by the real airlift-sim. Through the wizard: the "Canary, then everyone"
//! preset (airlift-core's), whose review shows the server's dry run (devices per phase, and
//! when a maintenance window next opens, in its zone) before the window is turned off again and
//! the rollout started. Then the rollout view's gate panel: phase 1 of 2, its success rate
//! against the 98 % gate once its device succeeded, the day's soak and the server's next
//! automatic advance; Advance by hand moves it to phase 2 in the window, and it completes.

mod support;

use std::path::Path;

use airlift_core::maintenance_window::MaintenanceWindow;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::CreateRollout;
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

/// A maintenance window in UTC that is closed now: it opens three hours from now, for an hour.
fn closed_window() -> (String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    let hour = (now / 3600 + 3) % 24;
    (
        format!("{hour:02}:00"),
        format!("{:02}:00", (hour + 1) % 24),
    )
}

/// "8 Dec 2026, 01:00" of an RFC 3339 UTC instant, as the review writes a time in UTC.
fn day_and_time(rfc3339: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let part = |range: std::ops::Range<usize>| -> usize {
        rfc3339
            .get(range)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("not RFC 3339: {rfc3339}"))
    };
    let (year, month, day) = (part(0..4), part(5..7), part(8..10));
    let time = rfc3339.get(11..16).expect("a time");
    format!("{day} {} {year}, {time} (UTC", MONTHS[month - 1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_panel_shows_the_phase_its_gate_and_next_advance_and_advances_by_hand() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut fleet = Fleet::start(tmp.path(), SENSORS).await;
    fleet.run_devices(0.0);
    let preset = airlift_core::phases::preset("canary-then-everyone").expect("the preset");
    let (opens, closes) = closed_window();
    // What the server's dry run says of this plan: the review must show these numbers.
    let dry_run = fleet
        .client
        .preview_rollout(&CreateRollout {
            package_id: fleet.package.package_id.clone(),
            target_profile_id: Some(fleet.profile.profile_id.clone()),
            phases: Some(preset.phases.clone()),
            maintenance_window: Some(MaintenanceWindow {
                timezone: "UTC".into(),
                // The wizard's default days.
                days: ["mon", "tue", "wed", "thu", "fri"]
                    .map(String::from)
                    .to_vec(),
                start: opens.clone(),
                end: closes.clone(),
            }),
            ..CreateRollout::default()
        })
        .await
        .expect("the server's dry run");
    assert_eq!(dry_run.phase_sizes.as_deref(), Some(&[1u64, 8][..]));
    let window_opens_at = dry_run.window_opens_at.expect("when the window opens");
    assert!(
        window_opens_at.contains(&format!("T{opens}:00")),
        "{window_opens_at}"
    );

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

    // The wizard: package, target, then the preset airlift-core defines.
    ui::click_button(&client, "Rollouts").await;
    ui::click(&client, "[data-testid=open-rollout-wizard]").await;
    select(&client, "#w-package", &fleet.package.package_id).await;
    select(&client, "#w-profile", &fleet.profile.profile_id).await;
    support::wait_for_text(&client, "[data-testid=eligible-count]", ui::TIMEOUT, |t| {
        t == "8"
    })
    .await;
    ui::click_button(&client, "Next: strategy").await;
    ui::click(&client, "input[name=strategy][value=phased]").await;
    ui::click(
        &client,
        "input[name=phase-preset][value=canary-then-everyone]",
    )
    .await;
    support::wait_for_text(&client, "[data-testid=phase-2-devices]", ui::TIMEOUT, |t| {
        t == "8"
    })
    .await;
    assert_eq!(text_of(&client, "[data-testid=phase-1-devices]").await, "1");
    assert_eq!(ui::value_of(&client, "#w-phase-1-gate").await, "98");
    ui::click_button(&client, "Next: schedule").await;

    // A window closed now: the review's first step waits for its opening, the server's.
    ui::click(&client, "[data-testid=window-on]").await;
    ui::replace_text(&client, "#w-window-start", &opens).await;
    ui::replace_text(&client, "#w-window-end", &closes).await;
    select(&client, "#w-window-zone", "UTC").await;
    support::wait_for_text(&client, "[data-testid=window-opens]", ui::TIMEOUT, |t| {
        t.contains(&format!("{opens} (UTC"))
    })
    .await;
    ui::click_button(&client, "Next: review").await;
    support::wait_for_text(
        &client,
        "[data-testid=timeline-devices-2]",
        ui::TIMEOUT,
        |t| t == "8 devices (+7)",
    )
    .await;
    assert_eq!(
        text_of(&client, "[data-testid=timeline-devices-1]").await,
        "1 device"
    );
    let first =
        support::wait_for_text(&client, "[data-testid=timeline-step-1]", ui::TIMEOUT, |t| {
            t.contains("when the window opens")
        })
        .await;
    assert!(
        first.contains("Phase 1 · 5 %") && first.contains(&day_and_time(&window_opens_at)),
        "{first} (the server: {window_opens_at})"
    );
    support::screenshot(&client, "rollout-phase-gate-review").await;

    // Without the window (so the sensors update now), and start.
    ui::click_button(&client, "Back").await;
    support::wait_for_text(&client, "#wizard-step-title", ui::TIMEOUT, |t| {
        t == "Schedule"
    })
    .await;
    ui::click(&client, "[data-testid=window-on]").await;
    ui::click_button(&client, "Next: review").await;
    support::wait_for_text(&client, "[data-testid=start-rollout]", ui::TIMEOUT, |t| {
        t == "Start rollout on 1 device"
    })
    .await;
    ui::click(&client, "[data-testid=start-rollout]").await;

    // The rollout view: phase 1 of 2; once its one device succeeded, 100 % against the 98 %
    // gate, and the server's next automatic advance a day after that verdict.
    support::wait_for_text(&client, "[data-testid=phase-name]", ui::TIMEOUT, |t| {
        t == "Phase 1 of 2"
    })
    .await;
    let id = fleet
        .client
        .rollouts(&ListParams::new(10, None))
        .await
        .expect("list rollouts")
        .data
        .first()
        .expect("the wizard's rollout")
        .rollout_id
        .clone();
    let soaking = fleet
        .wait_rollout(&id, "its first phase decided", |r| {
            r.counters.successful == 1 && r.next_advance_at.is_some()
        })
        .await;
    assert_eq!(soaking.phases.as_deref(), Some(preset.phases.as_slice()));
    let next_advance_at = soaking.next_advance_at.expect("a next advance");
    let next = support::wait_for_text(&client, "[data-testid=phase-next]", ui::TIMEOUT, |t| {
        t.starts_with("Healthy")
    })
    .await;
    assert!(
        next.contains("soaking 24 h after the last verdict. Advances to 100 %"),
        "{next}"
    );
    let shown_at = ui::find(&client, "[data-testid=phase-next-at]")
        .await
        .attr("datetime")
        .await
        .expect("the time's attribute");
    assert_eq!(shown_at.as_deref(), Some(next_advance_at.as_str()));
    assert_eq!(
        text_of(&client, "[data-testid=phase-success]").await,
        "Success 100 % now, 98 % needed to move on"
    );
    let gate = ui::find(&client, "[data-testid=phase-gate]")
        .await
        .attr("data-gate")
        .await
        .expect("the gate's attribute");
    assert_eq!(gate.as_deref(), Some("soaking"));
    support::screenshot(&client, "rollout-phase-gate").await;

    // Advance by hand: the dialog offers the next phase; the window moves to phase 2 of 2.
    ui::click(&client, "[data-testid=action-advance]").await;
    assert_eq!(ui::value_of(&client, "#advance-percent").await, "100");
    assert_eq!(
        text_of(&client, "[data-testid=confirm-advance]").await,
        "Advance to 100 %"
    );
    ui::click(&client, "[data-testid=confirm-advance]").await;
    support::wait_for_text(&client, "[data-testid=phase-name]", ui::TIMEOUT, |t| {
        t == "Phase 2 of 2"
    })
    .await;
    support::wait_for_text(&client, "[data-testid=phase-next]", ui::TIMEOUT, |t| {
        t == "Last phase: every device is in the slice."
    })
    .await;
    let done = fleet
        .wait_rollout(&id, "completed", |r| r.status == RolloutStatus::Completed)
        .await;
    assert_eq!(done.counters.successful, SENSORS as u64);
    assert_eq!(done.canary_percent, 100);
    support::wait_for_text(&client, "[data-testid=rollout-status]", ui::TIMEOUT, |t| {
        t == "Succeeded"
    })
    .await;
    client.close().await.expect("close the session");
}
