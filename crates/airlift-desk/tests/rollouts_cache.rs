//! The rollout screens' offline copies: summaries as listed, the full rollout as last opened,
//! and the rollout view's analytics (its timeline and failure reasons) as last fetched.

use airlift_core::device_counters::DeviceCounters;
use airlift_core::rollout::{RolloutStatus, RolloutTrigger};
use airlift_core::wire::{
    FailureReason, Rollout, RolloutStrategy, RolloutSummary, RolloutTransition, TimelinePoint,
};
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

fn point(at: &str, succeeded: u64, failed: u64, in_progress: u64) -> TimelinePoint {
    TimelinePoint {
        at: at.into(),
        succeeded,
        failed,
        in_progress,
        pending: 40 - succeeded - failed - in_progress,
    }
}

#[test]
fn a_rollouts_timeline_is_kept_per_minute_and_refreshed_from_its_newest_minute() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cache.sqlite3");
    let first = vec![
        point("2026-12-07T10:00:00Z", 0, 0, 4),
        point("2026-12-07T10:01:00Z", 3, 1, 0),
        point("2026-12-07T10:02:00Z", 5, 1, 2),
    ];
    {
        let mut cache = Cache::open(&path).expect("open").cache;
        assert_eq!(cache.rollout_timeline(CONN, "rol_1").expect("read"), None);
        cache
            .save_rollout_timeline(CONN, "rol_1", &first, 1_000)
            .expect("save");
    }
    let mut cache = Cache::open(&path).expect("reopen").cache;
    let got = cache
        .rollout_timeline(CONN, "rol_1")
        .expect("read")
        .expect("cached");
    assert_eq!((got.data, got.synced_at_ms), (first.clone(), 1_000));

    // The server's week moved on: its oldest minute is gone, the newest changed, one is new.
    let next = vec![
        point("2026-12-07T10:01:00Z", 3, 1, 0),
        point("2026-12-07T10:02:00Z", 6, 1, 1),
        point("2026-12-07T10:03:00Z", 8, 1, 0),
    ];
    cache
        .save_rollout_timeline(CONN, "rol_1", &next, 2_000)
        .expect("save again");
    let got = cache
        .rollout_timeline(CONN, "rol_1")
        .expect("read")
        .expect("cached");
    assert_eq!((got.data, got.synced_at_ms), (next, 2_000));

    // An empty answer empties it, and says it was fetched.
    cache
        .save_rollout_timeline(CONN, "rol_1", &[], 3_000)
        .expect("save empty");
    let got = cache
        .rollout_timeline(CONN, "rol_1")
        .expect("read")
        .expect("fetched");
    assert_eq!((got.data.len(), got.synced_at_ms), (0, 3_000));
    // Another rollout and another connection see nothing of it.
    assert_eq!(cache.rollout_timeline(CONN, "rol_2").expect("read"), None);
    assert_eq!(
        cache.rollout_timeline("staging", "rol_1").expect("read"),
        None
    );
}

#[test]
fn failure_reasons_are_replaced_whole_keep_their_order_and_go_with_their_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cache.sqlite3");
    let reason = |reason: &str, status: &str, count: u64, samples: &[&str]| FailureReason {
        reason: reason.into(),
        status: status.into(),
        count,
        sample_device_ids: samples.iter().map(|s| s.to_string()).collect(),
        example_message: (status != "TIMED_OUT").then(|| format!("{reason} (as sent)")),
    };
    let first = vec![
        reason(
            "Not enough memory (required: <n>MB, available: <n>MB).",
            "INSTALL_ERROR",
            7,
            &["dev_1", "dev_2", "dev_3", "dev_4", "dev_5"],
        ),
        reason(
            "checksum mismatch",
            "DOWNLOAD_ERROR",
            2,
            &["dev_9", "dev_8"],
        ),
        reason(
            "no verdict before the device timeout",
            "TIMED_OUT",
            1,
            &["dev_7"],
        ),
    ];
    {
        let mut cache = Cache::open(&path).expect("open").cache;
        assert_eq!(cache.rollout_failures(CONN, "rol_1").expect("read"), None);
        cache
            .save_rollout_failures(CONN, "rol_1", &first, 5_000)
            .expect("save");
        cache
            .save_rollout_timeline(
                CONN,
                "rol_1",
                &[point("2026-12-07T10:00:00Z", 1, 1, 1)],
                5_000,
            )
            .expect("save a timeline too");
    }
    let mut cache = Cache::open(&path).expect("reopen").cache;
    let got = cache
        .rollout_failures(CONN, "rol_1")
        .expect("read")
        .expect("cached");
    assert_eq!((got.data, got.synced_at_ms), (first, 5_000));
    // Fetching them does not claim the timeline was fetched, nor the other way round.
    assert_eq!(
        cache
            .rollout_timeline(CONN, "rol_1")
            .expect("read")
            .map(|t| t.synced_at_ms),
        Some(5_000)
    );

    let next = vec![reason("checksum mismatch", "DOWNLOAD_ERROR", 3, &["dev_9"])];
    cache
        .save_rollout_failures(CONN, "rol_1", &next, 6_000)
        .expect("replace");
    assert_eq!(
        cache
            .rollout_failures(CONN, "rol_1")
            .expect("read")
            .expect("cached")
            .data,
        next
    );

    cache.forget_connection(CONN).expect("forget");
    assert_eq!(cache.rollout_failures(CONN, "rol_1").expect("gone"), None);
    assert_eq!(cache.rollout_timeline(CONN, "rol_1").expect("gone"), None);
}
