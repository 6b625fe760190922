//! The rollout screens' offline copies: summaries as listed, the full rollout as last opened.

use airlift_core::device_counters::DeviceCounters;
use airlift_core::rollout::{RolloutStatus, RolloutTrigger};
use airlift_core::wire::{Rollout, RolloutStrategy, RolloutSummary, RolloutTransition};
use airlift_desk::cache::Cache;

const CONN: &str = "prod";

fn summary(id: &str, status: RolloutStatus, created_at: &str) -> RolloutSummary {
    RolloutSummary {
        rollout_id: id.into(),
        package_id: "pkg_new".into(),
        package_version: "2.0.0".into(),
        rollback_package_id: Some("pkg_old".into()),
        target_profile_id: Some("prof".into()),
        target_kind: "profile".into(),
        strategy: RolloutStrategy::Canary,
        status,
        outcome: None,
        retry_of: None,
        canary_percent: 10,
        failure_threshold_percent: 10,
        batch_percent: None,
        min_batch_success_percent: None,
        force: false,
        allow_downgrade: false,
        device_timeout_seconds: 60,
        eligible_count: 40,
        scheduled_count: 4,
        skipped_count: 2,
        counters: DeviceCounters {
            successful: 3,
            failed: 1,
            ..DeviceCounters::default()
        },
        rollback_counters: None,
        allowed_actions: status.allowed().to_vec(),
        version: 1,
        change_seq: 1,
        created_by: "alice".into(),
        created_at: created_at.into(),
        updated_at: created_at.into(),
        start_at: None,
        phases: None,
        current_phase: None,
        next_advance_at: None,
        min_devices: 0,
        retry: None,
        maintenance_window: None,
    }
}

#[test]
fn summaries_and_details_survive_a_reopen_and_go_with_their_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cache.sqlite3");
    let older = summary("rol_1", RolloutStatus::Completed, "2026-11-23T09:00:00Z");
    let newer = summary("rol_2", RolloutStatus::Active, "2026-11-23T10:00:00Z");
    let detail = Rollout {
        summary: summary("rol_2", RolloutStatus::Paused, "2026-11-23T10:00:00Z"),
        skipped: Vec::new(),
        transitions: vec![
            RolloutTransition {
                seq: 1,
                from: None,
                to: RolloutStatus::Active,
                trigger: "start".into(),
                actor: "alice".into(),
                actor_role: "release-manager".into(),
                canary_percent: 10,
                at: "2026-11-23T10:00:00Z".into(),
            },
            RolloutTransition {
                seq: 2,
                from: Some(RolloutStatus::Active),
                to: RolloutStatus::Paused,
                trigger: RolloutTrigger::AutoPause.as_str().into(),
                actor: "system".into(),
                actor_role: "system".into(),
                canary_percent: 10,
                at: "2026-11-23T10:05:00Z".into(),
            },
        ],
    };
    {
        let mut cache = Cache::open(&path).expect("open").cache;
        cache
            .save_rollout_summaries(CONN, &[older.clone(), newer.clone()])
            .expect("save summaries");
        assert_eq!(cache.rollout_detail(CONN, "rol_2").expect("detail"), None);
        cache
            .save_rollout_detail(CONN, &detail)
            .expect("save detail");
    }
    let mut cache = Cache::open(&path).expect("reopen").cache;
    // Newest first; the detail's newer summary replaced the listed one.
    assert_eq!(
        cache.rollout_summaries(CONN).expect("list"),
        vec![detail.summary.clone(), older]
    );
    assert_eq!(
        cache.rollout_detail(CONN, "rol_2").expect("detail"),
        Some(detail)
    );
    // The plain rows (the catalog's "rollouts of this package") agree.
    let row = cache.rollout(CONN, "rol_2").expect("row").expect("cached");
    assert_eq!(row.status, RolloutStatus::Paused);
    assert_eq!(
        cache
            .rollout_transitions(CONN, "rol_2")
            .expect("transitions")
            .len(),
        2
    );
    assert!(cache
        .rollout_summaries("staging")
        .expect("other")
        .is_empty());

    cache.forget_connection(CONN).expect("forget");
    assert!(cache.rollout_summaries(CONN).expect("gone").is_empty());
    assert_eq!(cache.rollout_detail(CONN, "rol_2").expect("gone"), None);
}
