//! Seed 000's operator walk-through run in-process by the rollout engine
//! (`airlift_server::engine`) over any store: no HTTP and no server binary. What the HTTP
//! tests (`tests/rollouts.rs`) check through the API is checked here at the layer where it is
//! decided, so a second store backend runs the same walk-through (`sqlite_engine_*` in
//! `main.rs` run it on SQLite).

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::install_status::InstallStatus;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{CommandKind, Rollout, RolloutStrategy};
use airlift_server::engine;
use airlift_server::rollouts::request::{RolloutRequest, Target};
use airlift_server::rollouts::{Actor, Ctx, NewRollout, RolloutAction};

use super::*;

const NEW: &str = "2.0.0";
const OLD: &str = "1.0.1";

/// A tenant with the package (2.0.0 for temp-sensors from 1.0.0), its rollback package, and a
/// profile of `devices` temp-sensors on 1.0.0 (`dev_000`...), plus extra devices as given.
pub(super) struct Fleet<'s> {
    /// Any backend: the walk-through names only the store traits.
    pub(super) store: &'s dyn Store,
    pub(super) tenant: String,
    pub(super) devices: Vec<String>,
}

fn device(id: &str, device_type: &str, version: &str) -> NewDevice {
    NewDevice {
        record: DeviceRecord {
            id: id.into(),
            tenant_id: String::new(),
            profile_id: "prof_temp_v2".into(),
            name: id.into(),
            device_type: device_type.into(),
            firmware_version: version.into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            change_seq: 0,
        },
        token_hash: format!("hash_{id}"),
    }
}

pub(super) async fn fleet(store: &dyn Store, devices: usize, extra: Vec<NewDevice>) -> Fleet<'_> {
    let tenant = store.ensure_tenant("acme").await.unwrap().id;
    store
        .create_package(package(&tenant, "pkg_2a0f", NEW))
        .await
        .unwrap();
    store
        .create_package(package(&tenant, "pkg_19b3", OLD))
        .await
        .unwrap();
    store
        .create_profile(ProfileRecord {
            id: "prof_temp_v2".into(),
            tenant_id: tenant.clone(),
            name: "temp v2".into(),
            device_type: "temp-sensor".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
        })
        .await
        .unwrap();
    let ids: Vec<String> = (0..devices).map(|i| format!("dev_{i:03}")).collect();
    let mut news: Vec<NewDevice> = ids
        .iter()
        .map(|id| device(id, "temp-sensor", "1.0.0"))
        .collect();
    news.extend(extra);
    engine::create_devices(store, &tenant, news).await.unwrap();
    Fleet {
        store,
        tenant,
        devices: ids,
    }
}

pub(super) fn release_manager() -> Ctx {
    Ctx::now(Actor {
        name: "rm@acme".into(),
        role: "release-manager".into(),
    })
}

/// Seed 000's request: the profile, a canary percentage, a threshold, the rollback package.
pub(super) fn request(canary_percent: u32, failure_threshold_percent: u32) -> RolloutRequest {
    RolloutRequest {
        package_id: "pkg_2a0f".into(),
        target: Target::Profile("prof_temp_v2".into()),
        strategy: RolloutStrategy::Canary,
        canary_percent,
        failure_threshold_percent,
        batch_percent: None,
        min_batch_success_percent: None,
        rollback_package_id: Some("pkg_19b3".into()),
        force: false,
        allow_downgrade: false,
        device_timeout_seconds: 3600,
        retry_of: None,
        start_at: None,
        phases: None,
        min_devices: 0,
        retry: None,
        maintenance_window: None,
    }
}

impl Fleet<'_> {
    async fn start(&self, request: RolloutRequest) -> String {
        let (created, events) = engine::create_rollout(
            self.store,
            NewRollout {
                id: "rol_4c7e".into(),
                tenant_id: self.tenant.clone(),
                request,
                ctx: release_manager(),
            },
        )
        .await
        .unwrap();
        assert_eq!(created.status, RolloutStatus::Active);
        assert_eq!(events[0].kind, "started");
        assert_eq!(
            events[0].subject,
            format!("profile.ota.rollout.started.acme.{}", created.rollout_id)
        );
        created.rollout_id
    }

    pub(super) async fn rollout(&self, id: &str) -> Rollout {
        self.store.rollout(&self.tenant, id).await.unwrap().unwrap()
    }

    /// The rollout's devices in `state` (`None`: not yet in the slice), in scheduling order.
    pub(super) async fn in_state(
        &self,
        id: &str,
        state: Option<DeviceRolloutState>,
    ) -> Vec<String> {
        let listing = RolloutDeviceListing {
            state: match state {
                Some(s) => DeviceStateFilter::State(s),
                None => DeviceStateFilter::Pending,
            },
            sort: RolloutDeviceSort::Position,
            descending: false,
            offset: None,
            failure: None,
        };
        let page = Page {
            limit: 1000,
            after: None,
        };
        self.store
            .rollout_devices(&self.tenant, id, listing, page)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|d| d.device_id)
            .collect()
    }

    /// What the device's poll reads: its command and the package it names.
    pub(super) async fn told(&self, device: &str) -> Option<(CommandKind, String)> {
        let (assignment, commands) = self
            .store
            .device_poll(&self.tenant, device)
            .await
            .unwrap()?;
        assert!(commands.iter().all(|c| c.kind == assignment.command));
        Some((assignment.command, assignment.package.id))
    }

    /// The device acknowledges the commands it received (persistent RPC), then reports.
    pub(super) async fn report(
        &self,
        id: &str,
        device: &str,
        version: &str,
        status: InstallStatus,
    ) -> String {
        let now = airlift_server::ids::now();
        for c in self
            .store
            .undelivered_commands(&self.tenant, device)
            .await
            .unwrap()
        {
            self.store
                .ack_command(&self.tenant, device, &c.command_id, &now)
                .await
                .unwrap();
        }
        let report = ValidatedReport {
            report_id: None,
            rollout_id: id.into(),
            firmware_version: version.into(),
            status,
            message: None,
            progress: None,
        };
        let ctx = Ctx::now(Actor::system());
        let (accepted, _) = engine::record_report(self.store, &self.tenant, device, report, ctx)
            .await
            .unwrap();
        assert!(!accepted.duplicate);
        accepted.rollout_status
    }

    pub(super) async fn act(&self, id: &str, action: RolloutAction) -> StoreResult<Rollout> {
        engine::rollout_action(self.store, &self.tenant, id, action, release_manager())
            .await
            .map(|(r, _)| r)
    }

    async fn firmware(&self, device: &str) -> String {
        self.store
            .device(&self.tenant, device)
            .await
            .unwrap()
            .unwrap()
            .firmware_version
    }
}

pub(super) fn triggers(r: &Rollout) -> Vec<&str> {
    r.transitions.iter().map(|t| t.trigger.as_str()).collect()
}

/// Preview, the canary slice and its commands, success reports, pause / resume / advance, and
/// completion with its transitions, events and device history.
pub async fn canary_to_completion(store: &dyn Store) {
    // Ineligible devices in the same profile, one per reason.
    let extra = vec![
        device("dev_humidity", "humidity", "1.0.0"),
        device("dev_old", "temp-sensor", "0.9.0"),
        device("dev_done", "temp-sensor", NEW),
    ];
    let f = fleet(store, 40, extra).await;

    // Preview: nothing written, the same figures as the start.
    let preview = engine::preview_rollout(f.store, &f.tenant, request(5, 10))
        .await
        .unwrap();
    assert_eq!((preview.eligible_count, preview.scheduled_count), (40, 2));
    for reason in [
        "wrong_device_type",
        "below_min_version",
        "already_on_version",
    ] {
        assert_eq!(preview.skipped_by_reason.get(reason), Some(&1), "{reason}");
    }
    assert!(f
        .store
        .list_rollouts(
            &f.tenant,
            RolloutFilter::default(),
            Page {
                limit: 10,
                after: None
            }
        )
        .await
        .unwrap()
        .items
        .is_empty());

    // Start: only the canary slice (ceil(5 % of 40) = 2) is scheduled and told to update.
    let id = f.start(request(5, 10)).await;
    let r = f.rollout(&id).await;
    assert_eq!(
        (
            r.summary.scheduled_count,
            r.summary.skipped_count,
            r.skipped.len()
        ),
        (2, 3, 3)
    );
    let canary = f.in_state(&id, Some(DeviceRolloutState::CommandSent)).await;
    assert_eq!(canary.len(), 2);
    for d in &canary {
        assert_eq!(
            f.told(d).await,
            Some((CommandKind::OtaStart, "pkg_2a0f".into()))
        );
    }
    let waiting = f.in_state(&id, None).await;
    assert_eq!(waiting.len(), 38);
    assert_eq!(f.told(&waiting[0]).await, None, "the rest wait");

    // The canary reports success: its state, the device's firmware and the counters advance.
    for d in &canary {
        assert_eq!(
            f.report(&id, d, NEW, InstallStatus::Success).await,
            "active"
        );
        assert_eq!(f.firmware(d).await, NEW);
        assert_eq!(f.told(d).await, None, "nothing more to install");
    }
    let r = f.rollout(&id).await;
    assert_eq!(r.summary.counters.successful, 2);

    // The operator pauses (no further scheduling), resumes, then advances to everyone.
    let paused = f.act(&id, RolloutAction::Pause).await.unwrap();
    assert_eq!(paused.summary.status, RolloutStatus::Paused);
    assert_eq!(
        code(f.act(&id, RolloutAction::Pause).await.unwrap_err()),
        ErrorCode::FailedPrecondition,
        "seed 000 has no paused -> paused edge"
    );
    let resumed = f.act(&id, RolloutAction::Resume).await.unwrap();
    assert_eq!(resumed.summary.status, RolloutStatus::Active);
    let advanced = f.act(&id, RolloutAction::Advance(100)).await.unwrap();
    assert_eq!(advanced.summary.scheduled_count, 40);
    assert!(f.in_state(&id, None).await.is_empty());
    for d in &waiting {
        assert_eq!(
            f.told(d).await,
            Some((CommandKind::OtaStart, "pkg_2a0f".into()))
        );
        f.report(&id, d, NEW, InstallStatus::Success).await;
    }

    // Every target successful: completed by the system, with its history recorded.
    let r = f.rollout(&id).await;
    assert_eq!(r.summary.status, RolloutStatus::Completed);
    assert_eq!(r.summary.counters.successful, 40);
    assert_eq!(
        triggers(&r),
        ["start", "pause", "resume", "advance", "all_succeeded"]
    );
    assert_eq!(r.transitions[1].actor_role, "release-manager");
    assert_eq!(r.transitions.last().unwrap().actor, "system");
    let kinds: Vec<String> = f
        .store
        .events_after(&f.tenant, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.rollout_id == id)
        .map(|e| e.kind)
        .collect();
    for k in ["started", "paused", "resumed", "advanced", "completed"] {
        assert!(kinds.iter().any(|e| e == k), "{k} missing from {kinds:?}");
    }
    let history = f
        .store
        .device_history(
            &f.tenant,
            &canary[0],
            Page {
                limit: 50,
                after: None,
            },
        )
        .await
        .unwrap();
    let kinds: Vec<&str> = history.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds[0], "report", "newest first: {kinds:?}");
    for k in ["assigned", "command", "command_acked", "version_changed"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
}

/// The failure threshold pauses the rollout; the rollback reaches the touched devices only
/// and completes once each has its verdict.
pub async fn auto_pause_then_rollback(store: &dyn Store) {
    let f = fleet(store, 20, Vec::new()).await;
    let id = f.start(request(100, 10)).await;
    let all = f.in_state(&id, Some(DeviceRolloutState::CommandSent)).await;
    assert_eq!(all.len(), 20);
    for d in &f.devices[..5] {
        f.report(&id, d, NEW, InstallStatus::Success).await;
    }
    // Threshold 10 % of 20 in the slice: 2 failures keep it active, the 3rd pauses it.
    for d in &f.devices[5..7] {
        let status = f.report(&id, d, "1.0.0", InstallStatus::InstallError).await;
        assert_eq!(status, "active");
    }
    let status = f
        .report(&id, &f.devices[7], "1.0.0", InstallStatus::Failure)
        .await;
    assert_eq!(status, "paused");
    let r = f.rollout(&id).await;
    assert_eq!(r.summary.counters.failed, 3);
    let last = r.transitions.last().unwrap();
    assert_eq!(
        (last.trigger.as_str(), last.actor.as_str()),
        ("auto_pause", "system")
    );
    let paused_event = f
        .store
        .events_after(&f.tenant, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kind == "paused")
        .expect("the auto-pause is an event");
    assert_eq!(
        paused_event.subject,
        format!("profile.ota.rollout.paused.acme.{id}")
    );
    assert_eq!(paused_event.trigger.as_deref(), Some("auto_pause"));

    // Roll back: the 5 successful and 12 still-open devices are told to install the rollback
    // package; the failed ones stayed on their build and are told nothing.
    let r = f.act(&id, RolloutAction::Rollback).await.unwrap();
    assert_eq!(r.summary.status, RolloutStatus::RollingBack);
    let touched: Vec<&String> = f.devices[..5].iter().chain(&f.devices[8..]).collect();
    for d in &touched {
        assert_eq!(
            f.told(d).await,
            Some((CommandKind::OtaRollback, "pkg_19b3".into())),
            "{d}"
        );
    }
    assert_eq!(f.told(&f.devices[5]).await, None);
    for d in &touched {
        f.report(&id, d, OLD, InstallStatus::Success).await;
        assert_eq!(f.firmware(d).await, OLD);
    }

    // Every rollback command has its verdict: completed, rolled back.
    let r = f.rollout(&id).await;
    assert_eq!(r.summary.status, RolloutStatus::Completed);
    assert_eq!(r.summary.rollback_counters.unwrap().successful, 17);
    assert_eq!(
        triggers(&r),
        ["start", "auto_pause", "rollback", "rollback_finished"]
    );
    for d in &f.devices {
        assert_eq!(
            f.told(d).await,
            None,
            "a completed rollout asks nothing more"
        );
    }
}
