//! [`RolloutStore`]'s contract: a rollout as the API reads it, tenant-scoped. The rollout is
//! made by the engine over the store's rollout port (every change goes that way).

use super::*;

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::RolloutStrategy;
use airlift_server::engine::create_rollout;
use airlift_server::rollouts::request::RolloutRequest;
use airlift_server::rollouts::request::Target;
use airlift_server::rollouts::{Actor, Ctx, NewRollout};

/// The running rollout the rollout, event and device protocol suites read.
pub struct Running {
    pub rollout_id: String,
    /// In the canary slice (it has an `ota_start` command).
    pub in_slice: String,
    /// Eligible but waiting for an advance.
    pub waiting: String,
}

/// A canary of `pkg_1` over profile `prof_1` of `a` (its two devices), half of it in the slice.
pub async fn start<S: RolloutUnits + ?Sized>(store: &S, a: &TenantRecord) -> String {
    let request = RolloutRequest {
        package_id: "pkg_1".into(),
        target: Target::Profile("prof_1".into()),
        strategy: RolloutStrategy::Canary,
        canary_percent: 50,
        failure_threshold_percent: 50,
        batch_percent: None,
        min_batch_success_percent: None,
        rollback_package_id: None,
        force: false,
        allow_downgrade: false,
        device_timeout_seconds: 3600,
        retry_of: None,
        start_at: None,
        phases: None,
        min_devices: 0,
        retry: None,
        maintenance_window: None,
    };
    let (created, events) = create_rollout(
        store,
        NewRollout {
            id: "rol_1".into(),
            tenant_id: a.id.clone(),
            request,
            ctx: Ctx {
                actor: Actor::system(),
                at: "2026-01-01T00:00:03Z".into(),
                now_unix: 1_767_225_603,
            },
        },
    )
    .await
    .unwrap();
    assert_eq!((created.eligible_count, created.scheduled_count), (2, 1));
    assert_eq!(events[0].kind, "started");
    created.rollout_id
}

pub async fn contract<S: RolloutStore + ?Sized>(
    store: &S,
    a: &TenantRecord,
    b: &TenantRecord,
    rollout_id: &str,
) -> Running {
    // The rollout and its history, the owner's only.
    let r = store.rollout(&a.id, rollout_id).await.unwrap().unwrap();
    assert_eq!(r.summary.status, RolloutStatus::Active);
    assert_eq!(
        (r.summary.eligible_count, r.summary.scheduled_count),
        (2, 1)
    );
    assert_eq!(r.summary.package_version, "2.0.0");
    assert_eq!(r.transitions.len(), 1, "the start is recorded");
    assert!(store.rollout(&b.id, rollout_id).await.unwrap().is_none());

    // Lists: by tenant and by status; the change cursor moves past it.
    let page = |limit| Page { limit, after: None };
    let all = store
        .list_rollouts(&a.id, RolloutFilter::default(), page(10))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
    assert_eq!(all.items[0].rollout_id, rollout_id);
    let paused = RolloutFilter {
        status: Some(RolloutStatus::Paused),
        changed_since: None,
    };
    assert!(store
        .list_rollouts(&a.id, paused, page(10))
        .await
        .unwrap()
        .items
        .is_empty());
    let seen = RolloutFilter {
        status: None,
        changed_since: Some(all.items[0].change_seq),
    };
    assert!(store
        .list_rollouts(&a.id, seen, page(10))
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(store
        .list_rollouts(&b.id, RolloutFilter::default(), page(10))
        .await
        .unwrap()
        .items
        .is_empty());

    // Its devices in scheduling order: one in the slice, one waiting.
    let listing = RolloutDeviceListing {
        state: DeviceStateFilter::Any,
        sort: RolloutDeviceSort::Position,
        descending: false,
        offset: None,
        failure: None,
    };
    let devices = store
        .rollout_devices(&a.id, rollout_id, listing.clone(), page(10))
        .await
        .unwrap();
    assert_eq!(
        devices.items.iter().map(|d| d.position).collect::<Vec<_>>(),
        vec![0, 1]
    );
    let in_slice = devices
        .items
        .iter()
        .find(|d| d.state == Some(DeviceRolloutState::CommandSent))
        .expect("one device got the command");
    let waiting = devices
        .items
        .iter()
        .find(|d| d.state.is_none())
        .expect("one device waits");
    let pending = RolloutDeviceListing {
        state: DeviceStateFilter::Pending,
        ..listing.clone()
    };
    let only_waiting = store
        .rollout_devices(&a.id, rollout_id, pending, page(10))
        .await
        .unwrap();
    assert_eq!(only_waiting.items.len(), 1);
    assert_eq!(only_waiting.items[0].device_id, waiting.device_id);
    assert_eq!(
        code(
            store
                .rollout_devices(&b.id, rollout_id, listing, page(10))
                .await
                .unwrap_err()
        ),
        ErrorCode::NotFound
    );

    // Progress: the counters as they stand.
    let progress = store
        .rollout_progress(&a.id, rollout_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(progress.counters.command_sent, 1);
    assert!(store
        .rollout_progress(&b.id, rollout_id)
        .await
        .unwrap()
        .is_none());
    Running {
        rollout_id: rollout_id.to_owned(),
        in_slice: in_slice.device_id.clone(),
        waiting: waiting.device_id.clone(),
    }
}
