//! Milestone 2's rollout rules run in-process by the engine over any store, with the clock in
//! the test's hand (no sleeps): a scheduled rollout starts at its `start_at` and not a second
//! before, exactly once; cancel tells the devices already told (`ota_cancel`), withdraws the
//! rest and frees the devices for another rollout.

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::error::ErrorCode;
use airlift_core::install_status::InstallStatus;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::CommandKind;
use airlift_server::engine;
use airlift_server::rollouts::request::StartAt;
use airlift_server::rollouts::{NewRollout, RolloutAction};

use super::seed_000::{fleet, release_manager, request, triggers, Fleet};
use super::*;

const NEW: &str = "2.0.0";

async fn create(
    f: &Fleet<'_>,
    id: &str,
    mut req: airlift_server::rollouts::request::RolloutRequest,
    start_at: Option<i64>,
) -> StoreResult<airlift_core::wire::CreatedRollout> {
    req.start_at = start_at.map(|unix| StartAt {
        rfc3339: format!("@{unix}"),
        unix,
    });
    engine::create_rollout(
        f.store,
        NewRollout {
            id: id.into(),
            tenant_id: f.tenant.clone(),
            request: req,
            ctx: release_manager(),
        },
    )
    .await
    .map(|(created, _)| created)
}

async fn commands(f: &Fleet<'_>, device: &str) -> Vec<(CommandKind, String)> {
    f.store
        .undelivered_commands(&f.tenant, device)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.rollout_id))
        .collect()
}

/// Created with a start time: `scheduled`, nothing told; the sweep at one second before the
/// time starts nothing, at the time starts it (its first slice told like any start), and a
/// second sweep (another server) finds nothing left to start.
pub async fn a_scheduled_rollout_starts_at_its_time_once(store: &dyn Store) {
    let f = fleet(store, 4, Vec::new()).await;
    let at = 4_000_000_000; // 2096: the test's clock, not the machine's
    let created = create(&f, "rol_sched", request(50, 50), Some(at))
        .await
        .unwrap();
    assert_eq!(created.status, RolloutStatus::Scheduled);
    assert_eq!(created.scheduled_count, 0);
    let r = f.rollout("rol_sched").await;
    assert_eq!(r.summary.status, RolloutStatus::Scheduled);
    assert_eq!(r.summary.start_at.as_deref(), Some("@4000000000"));
    assert_eq!(triggers(&r), ["schedule"]);
    for d in &f.devices {
        assert_eq!(f.told(d).await, None, "{d} told before the start");
    }
    assert!(engine::start_scheduled(store, at - 1)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        f.rollout("rol_sched").await.summary.status,
        RolloutStatus::Scheduled
    );

    let started = engine::start_scheduled(store, at).await.unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].rollout_id, "rol_sched");
    assert_eq!(started[0].events[0].kind, "started");
    let r = f.rollout("rol_sched").await;
    assert_eq!(r.summary.status, RolloutStatus::Active);
    assert_eq!(triggers(&r), ["schedule", "start_at_reached"]);
    assert_eq!(r.transitions[1].actor, "system");
    let sent = f
        .in_state("rol_sched", Some(DeviceRolloutState::CommandSent))
        .await;
    assert_eq!(sent, ["dev_000", "dev_001"]);
    assert_eq!(
        f.told("dev_000").await,
        Some((CommandKind::OtaStart, "pkg_2a0f".into()))
    );
    assert!(engine::start_scheduled(store, at + 60)
        .await
        .unwrap()
        .is_empty());
}

/// Cancel from active: the device that was installing and the one whose command is out get
/// `ota_cancel`, the unacknowledged `ota_start` is withdrawn, the devices outside the slice
/// are never told; the rollout assigns nothing, refuses reports and actions, and its devices
/// may be targeted again at once.
pub async fn cancel_tells_the_told_and_frees_the_devices(store: &dyn Store) {
    let f = fleet(store, 4, Vec::new()).await;
    create(&f, "rol_cancel", request(50, 50), None)
        .await
        .unwrap();
    // dev_000 acknowledged its command and is installing; dev_001's command is still out.
    f.report("rol_cancel", "dev_000", "1.0.0", InstallStatus::Download)
        .await;
    let r = f.act("rol_cancel", RolloutAction::Cancel).await.unwrap();
    assert_eq!(r.summary.status, RolloutStatus::Cancelled);
    assert!(r.summary.allowed_actions.is_empty());
    assert_eq!(r.summary.outcome, None);
    assert_eq!(triggers(&r).last(), Some(&"cancel"));
    assert_eq!(r.transitions.last().unwrap().actor, "rm@acme");

    let cancel = (CommandKind::OtaCancel, "rol_cancel".to_owned());
    assert_eq!(commands(&f, "dev_000").await, std::slice::from_ref(&cancel));
    assert_eq!(
        commands(&f, "dev_001").await,
        [cancel],
        "ota_start withdrawn"
    );
    assert!(commands(&f, "dev_002").await.is_empty(), "never told");
    for d in &f.devices {
        assert!(
            f.store.device_poll(&f.tenant, d).await.unwrap().is_none(),
            "{d} still assigned"
        );
    }
    let late = ValidatedReport {
        report_id: None,
        rollout_id: "rol_cancel".into(),
        firmware_version: NEW.into(),
        status: InstallStatus::InstalledVersion,
        message: None,
        progress: None,
    };
    let refused = engine::record_report(store, &f.tenant, "dev_000", late, release_manager())
        .await
        .unwrap_err();
    assert_eq!(code(refused), ErrorCode::FailedPrecondition);
    for action in [
        RolloutAction::Cancel,
        RolloutAction::Resume,
        RolloutAction::Pause,
        RolloutAction::Rollback,
    ] {
        let e = f.act("rol_cancel", action).await.unwrap_err();
        assert_eq!(code(e), ErrorCode::FailedPrecondition, "{action:?}");
    }
    // Counters stay as they were when cancelled.
    let r = f.rollout("rol_cancel").await;
    assert_eq!(r.summary.counters.in_progress, 1);
    assert_eq!(r.summary.counters.command_sent, 1);

    let again = create(&f, "rol_again", request(100, 50), None)
        .await
        .unwrap();
    assert_eq!(again.status, RolloutStatus::Active);
    assert_eq!(again.scheduled_count, 4);
}

/// Cancel before the start time: nothing was ever told, and the start sweep leaves it
/// cancelled. Paused rollouts cancel too; rolling back ones do not.
pub async fn cancel_from_scheduled_and_paused(store: &dyn Store) {
    let f = fleet(store, 2, Vec::new()).await;
    let at = 4_000_000_000;
    create(&f, "rol_s", request(100, 50), Some(at))
        .await
        .unwrap();
    let r = f.act("rol_s", RolloutAction::Cancel).await.unwrap();
    assert_eq!(r.summary.status, RolloutStatus::Cancelled);
    assert_eq!(triggers(&r), ["schedule", "cancel"]);
    assert!(engine::start_scheduled(store, at).await.unwrap().is_empty());
    assert_eq!(
        f.rollout("rol_s").await.summary.status,
        RolloutStatus::Cancelled
    );
    for d in &f.devices {
        assert!(commands(&f, d).await.is_empty());
    }

    create(&f, "rol_p", request(100, 50), None).await.unwrap();
    f.act("rol_p", RolloutAction::Pause).await.unwrap();
    let r = f.act("rol_p", RolloutAction::Cancel).await.unwrap();
    assert_eq!(r.summary.status, RolloutStatus::Cancelled);

    create(&f, "rol_rb", request(100, 50), None).await.unwrap();
    f.act("rol_rb", RolloutAction::Rollback).await.unwrap();
    let e = f.act("rol_rb", RolloutAction::Cancel).await.unwrap_err();
    assert_eq!(code(e), ErrorCode::FailedPrecondition);
}

fn phased(
    plan: &[(u32, u64, u32)],
    threshold: u32,
) -> airlift_server::rollouts::request::RolloutRequest {
    let phases: Vec<airlift_core::phases::Phase> = plan
        .iter()
        .map(
            |&(percent, soak_seconds, min_success_percent)| airlift_core::phases::Phase {
                percent,
                soak_seconds,
                min_success_percent,
            },
        )
        .collect();
    let mut req = request(phases[0].percent, threshold);
    req.phases = Some(phases);
    req
}

fn unix_of(rfc3339: &str) -> i64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
}

/// A phase advances only once its slice is decided, healthy, and soaked: the due time is the
/// last verdict plus the soak; the sweep a second early does nothing, at the time it advances
/// (by `system`), and the next phase's devices are told.
pub async fn a_phase_advances_after_its_gate_and_soak(store: &dyn Store) {
    let f = fleet(store, 4, Vec::new()).await;
    create(
        &f,
        "rol_ph",
        phased(&[(25, 600, 100), (100, 0, 0)], 50),
        None,
    )
    .await
    .unwrap();
    let r = f.rollout("rol_ph").await;
    assert_eq!(r.summary.current_phase, Some(0));
    assert_eq!(r.summary.next_advance_at, None, "waiting for the verdict");
    assert_eq!(r.summary.phases.as_ref().map(Vec::len), Some(2));
    f.report("rol_ph", "dev_000", NEW, InstallStatus::InstalledVersion)
        .await;
    let r = f.rollout("rol_ph").await;
    let due = unix_of(
        r.summary
            .next_advance_at
            .as_deref()
            .expect("due once decided"),
    );
    assert!(engine::advance_phases(store, due - 1)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(f.rollout("rol_ph").await.summary.canary_percent, 25);

    let advanced = engine::advance_phases(store, due).await.unwrap();
    assert_eq!(advanced.len(), 1);
    assert_eq!(advanced[0].events[0].kind, "advanced");
    let r = f.rollout("rol_ph").await;
    assert_eq!(r.summary.canary_percent, 100);
    assert_eq!(r.summary.current_phase, Some(1));
    assert_eq!(r.summary.next_advance_at, None, "no phase left");
    assert_eq!(r.transitions.last().unwrap().actor, "system");
    let sent = f
        .in_state("rol_ph", Some(DeviceRolloutState::CommandSent))
        .await;
    assert_eq!(sent, ["dev_001", "dev_002", "dev_003"]);
    assert!(engine::advance_phases(store, due + 3600)
        .await
        .unwrap()
        .is_empty());
}

/// Below the phase's minimum success rate the phase holds (no due time).
pub async fn an_unhealthy_or_paused_phase_does_not_advance(store: &dyn Store) {
    let f = fleet(store, 4, Vec::new()).await;
    create(
        &f,
        "rol_held",
        phased(&[(50, 0, 100), (100, 0, 0)], 100),
        None,
    )
    .await
    .unwrap();
    f.report("rol_held", "dev_000", NEW, InstallStatus::InstalledVersion)
        .await;
    f.report("rol_held", "dev_001", "1.0.0", InstallStatus::InstallError)
        .await;
    let r = f.rollout("rol_held").await;
    assert_eq!(r.summary.status, RolloutStatus::Active);
    assert_eq!(
        r.summary.next_advance_at, None,
        "held: 1 of 2 is below 100 %"
    );
    assert!(engine::advance_phases(store, i64::MAX / 2)
        .await
        .unwrap()
        .is_empty());
    // An operator may still advance by hand.
    let r = f
        .act("rol_held", RolloutAction::Advance(100))
        .await
        .unwrap();
    assert_eq!(r.summary.canary_percent, 100);
}

/// A failure over the threshold pauses first, and a paused rollout never advances by itself.
pub async fn auto_pause_wins_over_the_phase_advance(store: &dyn Store) {
    let g = fleet(store, 4, Vec::new()).await;
    create(
        &g,
        "rol_pause",
        phased(&[(50, 0, 0), (100, 0, 0)], 10),
        None,
    )
    .await
    .unwrap();
    let status = g
        .report("rol_pause", "dev_000", "1.0.0", InstallStatus::InstallError)
        .await;
    assert_eq!(status, "paused", "auto-pause wins over the advance");
    g.report("rol_pause", "dev_001", NEW, InstallStatus::InstalledVersion)
        .await;
    let r = g.rollout("rol_pause").await;
    assert_eq!(r.summary.status, RolloutStatus::Paused);
    assert_eq!(r.summary.canary_percent, 50);
    assert_eq!(r.summary.next_advance_at, None);
}

/// `dev_000`'s unacknowledged `ota_start` commands.
async fn starts(f: &Fleet<'_>) -> usize {
    commands(f, "dev_000")
        .await
        .iter()
        .filter(|(kind, _)| *kind == CommandKind::OtaStart)
        .count()
}

/// Retries with exponential backoff, the clock in hand: a failed attempt with attempts left
/// is no verdict (nothing counted, no auto-pause); the device is told again (a new
/// `ota_start`) only once its backoff (60 s, then 120 s) is over; the last attempt's failure
/// is the verdict, counted once.
pub async fn a_failed_device_is_retried_after_its_backoff(store: &dyn Store) {
    let f = fleet(store, 2, Vec::new()).await;
    let mut req = request(100, 0);
    req.retry = Some(airlift_core::retry_policy::RetryPolicy {
        max_attempts: 3,
        backoff_seconds: 60,
    });
    create(&f, "rol_retry", req, None).await.unwrap();
    for attempt in 1..=3 {
        let before = airlift_server::ids::unix_now();
        f.report("rol_retry", "dev_000", "1.0.0", InstallStatus::Download)
            .await;
        let status = f
            .report("rol_retry", "dev_000", "1.0.0", InstallStatus::InstallError)
            .await;
        let r = f.rollout("rol_retry").await;
        if attempt < 3 {
            assert_eq!(status, "active", "attempt {attempt}: threshold 0, no pause");
            assert_eq!(
                r.summary.counters.failed, 0,
                "attempt {attempt} is no verdict"
            );
            assert_eq!(r.summary.counters.in_progress, 1);
            let backoff = 60 * (1 << (attempt - 1));
            engine::sweep_timeouts(store, before + backoff - 1)
                .await
                .unwrap();
            assert_eq!(starts(&f).await, 0, "told again before the backoff");
            engine::sweep_timeouts(store, before + backoff + 5)
                .await
                .unwrap();
            assert_eq!(starts(&f).await, 1, "attempt {} told", attempt + 1);
        } else {
            assert_eq!(
                status, "paused",
                "the last attempt's failure is the verdict"
            );
            assert_eq!(r.summary.counters.failed, 1, "counted once");
            assert_eq!(r.summary.counters.in_progress, 0);
        }
    }
}

/// A maintenance window, the clock in hand: created while its window is closed, the rollout
/// schedules its slice but tells nobody; the window sweep a second before the opening tells
/// nobody, at the opening it tells the slice.
pub async fn devices_are_told_only_inside_the_window(store: &dyn Store) {
    let f = fleet(store, 2, Vec::new()).await;
    let now = airlift_server::ids::unix_now();
    // A one-hour window two hours from now (UTC, every day): closed now.
    let hour = (now.rem_euclid(86_400) / 3600 + 2) % 24;
    let window = airlift_core::maintenance_window::MaintenanceWindow {
        timezone: "UTC".into(),
        days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .into_iter()
            .map(String::from)
            .collect(),
        start: format!("{hour:02}:00"),
        end: format!("{:02}:00", (hour + 1) % 24),
    };
    let opens = window.check().unwrap().next_open(now).unwrap();
    assert!(opens > now);
    let mut req = request(100, 50);
    req.maintenance_window = Some(window);
    let created = create(&f, "rol_win", req, None).await.unwrap();
    assert_eq!(created.scheduled_count, 2);
    assert_eq!(
        f.in_state("rol_win", Some(DeviceRolloutState::Scheduled))
            .await,
        ["dev_000", "dev_001"],
        "scheduled, not told"
    );
    assert_eq!(f.told("dev_000").await, None);
    assert!(engine::tell_in_windows(store, opens - 1)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(f.told("dev_000").await, None);
    let told = engine::tell_in_windows(store, opens).await.unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(
        f.in_state("rol_win", Some(DeviceRolloutState::CommandSent))
            .await,
        ["dev_000", "dev_001"]
    );
    assert_eq!(
        f.told("dev_001").await,
        Some((CommandKind::OtaStart, "pkg_2a0f".into()))
    );
    assert!(engine::tell_in_windows(store, opens + 60)
        .await
        .unwrap()
        .is_empty());
}
