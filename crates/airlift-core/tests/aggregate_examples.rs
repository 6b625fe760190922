//! Concrete rollout scenarios from seed 000 and the spec, run through `RolloutAggregate`.

use airlift_core::device_state::DeviceRolloutState as D;
use airlift_core::error::ErrorCode;
use airlift_core::install_status::ReportOutcome as R;
use airlift_core::rollout::{
    RolloutEventKind, RolloutOutcome as O, RolloutStatus as S, RolloutTrigger as T,
};
use airlift_core::rollout_aggregate::{RolloutAggregate, RolloutEvent};

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("dev_{i:03}")).collect()
}

/// A rollout over `n` devices with every target tracked, as a test sees it whole.
fn start(n: usize, canary: u32, threshold: u32) -> RolloutAggregate {
    let mut agg = RolloutAggregate::start(n as u64, canary, threshold)
        .expect("valid start")
        .0;
    let k = agg.slice_len();
    for (i, id) in ids(n).iter().enumerate() {
        let state = ((i as u64) < k).then_some(D::Scheduled);
        agg.track(id, i as u64, state).expect("consistent");
    }
    agg
}

fn auto_paused(events: &[RolloutEvent]) -> bool {
    events.iter().any(|e| {
        matches!(
            e,
            RolloutEvent::Transitioned {
                trigger: T::AutoPause,
                ..
            }
        )
    })
}

#[test]
fn start_schedules_the_ceil_canary_slice() {
    let (agg, events) = RolloutAggregate::start(240, 5, 10).unwrap();
    assert_eq!(agg.status(), S::Active);
    assert_eq!(agg.counters().scheduled, 12, "seed 000: scheduled_count 12");
    assert_eq!(agg.slice_len(), 12);
    assert_eq!(agg.pending_count(), 228);
    assert_eq!(events[0].published_kind(), Some(RolloutEventKind::Started));
    assert_eq!(
        events,
        vec![
            RolloutEvent::Started,
            RolloutEvent::SliceScheduled { from: 0, to: 12 }
        ],
        "the slice is a prefix of the targets"
    );
}

#[test]
fn spec_example_third_failure_of_twenty_pauses() {
    let mut agg = start(20, 100, 10);
    agg.send_commands().unwrap();
    let e1 = agg.record_report("dev_000", R::Failed).unwrap();
    let e2 = agg.record_report("dev_001", R::Failed).unwrap();
    assert!(!auto_paused(&e1) && !auto_paused(&e2));
    assert_eq!(agg.status(), S::Active, "2 of 20 = 10% is not above 10%");
    let e3 = agg.record_report("dev_002", R::Failed).unwrap();
    assert!(auto_paused(&e3));
    assert_eq!(agg.status(), S::Paused, "3 of 20 = 15% pauses at once");
    let e4 = agg.record_report("dev_003", R::Failed).unwrap();
    assert!(
        !auto_paused(&e4),
        "a paused rollout does not auto-pause again"
    );
    assert_eq!(
        agg.counters().failed,
        4,
        "failures while paused are still counted"
    );
}

#[test]
fn timeouts_count_as_failures() {
    let mut agg = start(4, 100, 25);
    agg.send_commands().unwrap();
    assert!(
        !auto_paused(&agg.time_out("dev_000").unwrap()),
        "1/4 = 25% is not above 25%"
    );
    assert!(auto_paused(&agg.time_out("dev_001").unwrap()));
    assert_eq!(agg.counters().timed_out, 2);
    assert_eq!(agg.counters().failed_total(), 2);
    assert!(
        agg.time_out("dev_001").unwrap().is_empty(),
        "second timeout is a no-op"
    );
}

#[test]
fn a_device_that_never_got_the_command_cannot_time_out() {
    let mut agg = start(2, 100, 10);
    let err = agg.time_out("dev_000").unwrap_err();
    assert_eq!(err.code, ErrorCode::FailedPrecondition);
    assert!(err.message.contains("dev_000"), "{}", err.message);
}

#[test]
fn paused_rollout_holds_commands_and_refuses_advance() {
    let mut agg = start(10, 50, 10);
    agg.pause().unwrap();
    let err = agg.send_commands().unwrap_err();
    assert_eq!(err.code, ErrorCode::FailedPrecondition);
    assert!(err.message.contains("paused"), "{}", err.message);
    let err = agg.advance(100).unwrap_err();
    assert_eq!(err.code, ErrorCode::FailedPrecondition);
    assert_eq!(agg.slice_len(), 5, "nothing scheduled while paused");
    agg.resume().unwrap();
    assert_eq!(
        agg.send_commands().unwrap(),
        vec![RolloutEvent::CommandsSent { count: 5 }]
    );
    assert_eq!(agg.device_state("dev_004"), Some(D::CommandSent));
    assert_eq!(agg.device_state("dev_005"), None, "outside the slice");
    assert!(
        agg.send_commands().unwrap().is_empty(),
        "nothing left to send"
    );
}

#[test]
fn advance_schedules_newly_covered_devices_and_must_raise() {
    let mut agg = start(10, 10, 50);
    assert_eq!(agg.slice_len(), 1);
    let events = agg.advance(35).unwrap();
    assert_eq!(events[0].published_kind(), Some(RolloutEventKind::Advanced));
    assert_eq!(events[1], RolloutEvent::SliceScheduled { from: 1, to: 4 });
    assert_eq!(agg.slice_len(), 4, "ceil(3.5) = 4");
    assert_eq!(agg.device_state("dev_003"), Some(D::Scheduled));
    assert_eq!(agg.canary_percent(), 35);
    let err = agg.advance(35).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    assert!(err.message.contains("35"), "{}", err.message);
    assert_eq!(
        agg.advance(101).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
}

#[test]
fn all_successful_completes_and_completed_is_final() {
    let mut agg = start(3, 34, 10);
    agg.advance(100).unwrap();
    agg.record_report("dev_000", R::Succeeded).unwrap();
    agg.record_report("dev_001", R::Progress).unwrap();
    agg.record_report("dev_001", R::Succeeded).unwrap();
    assert_eq!(agg.status(), S::Active);
    let events = agg.record_report("dev_002", R::Succeeded).unwrap();
    assert_eq!(agg.status(), S::Completed);
    assert_eq!(
        events.last().and_then(|e| e.published_kind()),
        Some(RolloutEventKind::Completed)
    );

    let frozen = agg.clone();
    assert!(agg.pause().is_err());
    assert!(agg.resume().is_err());
    assert!(agg.advance(100).is_err());
    assert!(agg.rollback().is_err());
    assert!(agg.finish_rollback().is_err());
    assert!(agg.send_commands().is_err());
    assert!(agg.record_report("dev_000", R::Succeeded).is_err());
    assert!(agg.time_out("dev_000").is_err());
    assert_eq!(agg, frozen);
}

/// The trigger of the transition to `completed` in `events`, if any.
fn completed_by(events: &[RolloutEvent]) -> Option<T> {
    events.iter().find_map(|e| match e {
        RolloutEvent::Transitioned {
            to: S::Completed,
            trigger,
            ..
        } => Some(*trigger),
        _ => None,
    })
}

#[test]
fn all_successful_completes_with_outcome_succeeded() {
    let mut agg = start(2, 100, 0);
    agg.send_commands().unwrap();
    agg.record_report("dev_000", R::Succeeded).unwrap();
    let events = agg.record_report("dev_001", R::Succeeded).unwrap();
    assert_eq!(completed_by(&events), Some(T::AllSucceeded));
    assert_eq!(T::AllSucceeded.outcome(), Some(O::Succeeded));
}

#[test]
fn failures_at_the_threshold_still_finish_with_some_failed() {
    let mut agg = start(4, 100, 25);
    agg.send_commands().unwrap();
    let e = agg.record_report("dev_000", R::Failed).unwrap();
    assert!(!auto_paused(&e), "1 of 4 = 25% is not above 25%");
    agg.record_report("dev_001", R::Succeeded).unwrap();
    agg.record_report("dev_002", R::Succeeded).unwrap();
    assert_eq!(agg.status(), S::Active, "one device has no verdict yet");
    let events = agg.record_report("dev_003", R::Succeeded).unwrap();
    assert_eq!(agg.status(), S::Completed);
    assert_eq!(completed_by(&events), Some(T::FinishedWithFailures));
    assert_eq!(T::FinishedWithFailures.outcome(), Some(O::SomeFailed));
    assert_eq!(
        events.last().and_then(|e| e.published_kind()),
        Some(RolloutEventKind::Completed)
    );
}

#[test]
fn a_timeout_as_the_last_verdict_completes() {
    let mut agg = start(3, 100, 50);
    agg.send_commands().unwrap();
    agg.record_report("dev_000", R::Succeeded).unwrap();
    agg.record_report("dev_001", R::Succeeded).unwrap();
    let events = agg.time_out("dev_002").unwrap();
    assert!(!auto_paused(&events), "1 of 3 is below 50%");
    assert_eq!(completed_by(&events), Some(T::FinishedWithFailures));
    assert_eq!(agg.counters().timed_out, 1);
}

#[test]
fn a_last_failure_over_the_threshold_pauses_and_a_resume_completes() {
    let mut agg = start(2, 100, 10);
    agg.send_commands().unwrap();
    agg.record_report("dev_000", R::Succeeded).unwrap();
    let events = agg.record_report("dev_001", R::Failed).unwrap();
    assert!(auto_paused(&events), "1 of 2 = 50% is above 10%");
    assert_eq!(completed_by(&events), None, "the pause comes first");
    assert_eq!(agg.status(), S::Paused);
    let events = agg.resume().unwrap();
    assert_eq!(completed_by(&events), Some(T::FinishedWithFailures));
    assert_eq!(agg.status(), S::Completed);
}

#[test]
fn a_decided_canary_slice_does_not_complete_until_it_covers_every_target() {
    let mut agg = start(4, 50, 100);
    agg.send_commands().unwrap();
    agg.record_report("dev_000", R::Failed).unwrap();
    agg.record_report("dev_001", R::Succeeded).unwrap();
    assert_eq!(
        agg.status(),
        S::Active,
        "two targets are not in the slice yet"
    );
    assert!(!agg.all_decided());
    agg.advance(100).unwrap();
    agg.send_commands().unwrap();
    agg.record_report("dev_002", R::Succeeded).unwrap();
    let events = agg.record_report("dev_003", R::Failed).unwrap();
    assert_eq!(completed_by(&events), Some(T::FinishedWithFailures));
    assert!(agg.all_decided());
}

#[test]
fn a_finished_rollback_completes_as_rolled_back() {
    let mut agg = start(2, 100, 100);
    agg.send_commands().unwrap();
    agg.record_report("dev_000", R::Succeeded).unwrap();
    agg.rollback().unwrap();
    let events = agg.finish_rollback().unwrap();
    assert_eq!(completed_by(&events), Some(T::RollbackFinished));
    assert_eq!(T::RollbackFinished.outcome(), Some(O::RolledBack));
}

#[test]
fn a_finished_rollout_left_active_by_older_rules_completes_on_request() {
    use airlift_core::device_counters::DeviceCounters;
    let decided = DeviceCounters {
        successful: 3,
        failed: 1,
        ..DeviceCounters::default()
    };
    let mut agg = RolloutAggregate::restore(S::Active, 100, 50, 4, decided).unwrap();
    let events = agg.complete_if_finished();
    assert_eq!(completed_by(&events), Some(T::FinishedWithFailures));
    assert!(agg.complete_if_finished().is_empty(), "completed is final");

    let open = DeviceCounters {
        successful: 3,
        in_progress: 1,
        ..DeviceCounters::default()
    };
    let mut agg = RolloutAggregate::restore(S::Active, 100, 50, 4, open).unwrap();
    assert!(
        agg.complete_if_finished().is_empty(),
        "a device is still installing"
    );
    let mut agg = RolloutAggregate::restore(S::Paused, 100, 50, 4, decided).unwrap();
    assert!(
        agg.complete_if_finished().is_empty(),
        "a paused rollout waits for a resume"
    );
    assert_eq!(agg.status(), S::Paused);
}

#[test]
fn successes_during_a_pause_complete_on_resume() {
    let mut agg = start(2, 100, 10);
    agg.pause().unwrap();
    agg.record_report("dev_000", R::Succeeded).unwrap();
    agg.record_report("dev_001", R::Succeeded).unwrap();
    assert_eq!(
        agg.status(),
        S::Paused,
        "paused --> completed is not an edge"
    );
    let events = agg.resume().unwrap();
    assert_eq!(agg.status(), S::Completed);
    assert_eq!(events.len(), 2);
}

#[test]
fn rollback_from_paused_then_finished() {
    let mut agg = start(5, 100, 10);
    agg.pause().unwrap();
    agg.rollback().unwrap();
    assert_eq!(agg.status(), S::RollingBack);
    assert!(agg.send_commands().is_err());
    assert!(agg.advance(100).is_err());
    agg.record_report("dev_000", R::Failed).unwrap();
    assert_eq!(
        agg.status(),
        S::RollingBack,
        "no auto-pause while rolling back"
    );
    agg.finish_rollback().unwrap();
    assert_eq!(agg.status(), S::Completed);
}

#[test]
fn reports_are_lenient_where_safe_and_strict_otherwise() {
    let mut agg = start(4, 50, 100);
    // A report from a still-scheduled device proves delivery.
    let events = agg.record_report("dev_000", R::Progress).unwrap();
    assert_eq!(agg.device_state("dev_000"), Some(D::InProgress));
    assert_eq!(events.len(), 1);
    agg.record_report("dev_000", R::Succeeded).unwrap();
    assert!(
        agg.record_report("dev_000", R::Succeeded)
            .unwrap()
            .is_empty(),
        "retry is a no-op"
    );
    let err = agg.record_report("dev_000", R::Failed).unwrap_err();
    assert_eq!(err.code, ErrorCode::FailedPrecondition);
    assert!(err.message.contains("dev_000") && err.message.contains("successful"));
    assert!(agg.record_report("dev_000", R::Progress).is_err());
    assert!(agg
        .record_report("dev_001", R::Observed)
        .unwrap()
        .is_empty());
    assert_eq!(agg.device_state("dev_001"), Some(D::Scheduled));

    let err = agg.record_report("dev_003", R::Progress).unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::FailedPrecondition,
        "outside the 50% slice"
    );
    assert!(err.message.contains("50%"), "{}", err.message);
    let err = agg.record_report("nope", R::Progress).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn start_rejects_bad_input() {
    let err = RolloutAggregate::start(0, 5, 10).unwrap_err();
    assert_eq!(err.code, ErrorCode::FailedPrecondition);
    let err = RolloutAggregate::start(3, 0, 10).unwrap_err();
    assert!(err.message.starts_with("canary_percent"), "{}", err.message);
    let err = RolloutAggregate::start(3, 5, 101).unwrap_err();
    assert!(
        err.message.starts_with("failure_threshold_percent"),
        "{}",
        err.message
    );
}

#[test]
fn restore_accepts_what_start_produces_and_rejects_corruption() {
    let mut agg = start(10, 30, 10);
    agg.send_commands().unwrap();
    agg.record_report("dev_001", R::Failed).unwrap();
    let mut back = RolloutAggregate::restore(
        agg.status(),
        agg.canary_percent(),
        agg.failure_threshold_percent(),
        agg.target_count(),
        agg.counters(),
    )
    .unwrap();
    for (id, t) in agg.tracked() {
        back.track(id, t.position, t.state).unwrap();
    }
    assert_eq!(back, agg);

    // Counters that do not cover exactly the 30% slice (3 of 10) are corrupt.
    let mut counters = agg.counters();
    counters.failed += 1;
    let err = RolloutAggregate::restore(S::Paused, 30, 10, 10, counters).unwrap_err();
    assert_eq!(err.code, ErrorCode::Internal);
    // So is a tracked device on the wrong side of the slice, past the end, or on a taken place.
    let mut sparse = RolloutAggregate::restore(S::Paused, 30, 10, 10, agg.counters()).unwrap();
    let err = sparse.track("dev_005", 5, Some(D::Scheduled)).unwrap_err();
    assert_eq!(err.code, ErrorCode::Internal);
    assert!(err.message.contains("dev_005"), "{}", err.message);
    assert_eq!(
        sparse.track("dev_000", 0, None).unwrap_err().code,
        ErrorCode::Internal
    );
    assert_eq!(
        sparse.track("x", 10, None).unwrap_err().code,
        ErrorCode::Internal
    );
    sparse.track("dev_000", 0, Some(D::CommandSent)).unwrap();
    assert_eq!(
        sparse
            .track("other", 0, Some(D::CommandSent))
            .unwrap_err()
            .code,
        ErrorCode::Internal
    );
}

#[test]
fn events_serialize_with_a_tag() {
    let ev = RolloutEvent::Transitioned {
        from: S::Active,
        to: S::Paused,
        trigger: T::AutoPause,
    };
    assert_eq!(
        serde_json::to_value(&ev).unwrap(),
        serde_json::json!({"event": "transitioned", "from": "active", "to": "paused", "trigger": "auto_pause"})
    );
}

#[test]
fn a_joining_device_extends_the_targets_and_the_slice_stays_a_prefix() {
    // 10 targets at 50%: 5 scheduled. An 11th target makes ceil(5.5) = 6 covered.
    let mut agg = start(10, 50, 100);
    let events = agg.add_target("new").unwrap();
    assert_eq!(agg.target_count(), 11);
    assert_eq!(agg.counters().total(), 6);
    assert_eq!(
        events,
        vec![RolloutEvent::SliceScheduled { from: 5, to: 6 }]
    );
    assert_eq!(agg.device_state("dev_005"), Some(D::Scheduled));
    assert_eq!(
        agg.device_state("new"),
        None,
        "position 10 is outside the slice"
    );
    // Joining twice changes nothing; the state survives a restore.
    assert!(agg.add_target("new").unwrap().is_empty());
    let restored = RolloutAggregate::restore(
        agg.status(),
        agg.canary_percent(),
        agg.failure_threshold_percent(),
        agg.target_count(),
        agg.counters(),
    )
    .unwrap();
    assert_eq!(restored.slice_len(), 6);
    // Rolling back takes no new targets.
    agg.rollback().unwrap();
    assert_eq!(
        agg.add_target("late").unwrap_err().code,
        ErrorCode::FailedPrecondition
    );
}

/// The rollback track moves along the device state machine: a verdict from an open command
/// decides, the same verdict again stays put (as on the way up), `Observed` changes nothing,
/// and another verdict after one is refused.
#[test]
fn rollback_reports_follow_the_device_state_machine() {
    use airlift_core::device_state::DeviceRolloutState as S;
    use airlift_core::error::ErrorCode;
    use airlift_core::install_status::ReportOutcome as O;
    use airlift_core::rollout_aggregate::rollback_report;

    assert_eq!(
        rollback_report(S::CommandSent, O::Progress).unwrap(),
        S::InProgress
    );
    assert_eq!(
        rollback_report(S::InProgress, O::Succeeded).unwrap(),
        S::Successful
    );
    assert_eq!(
        rollback_report(S::CommandSent, O::Failed).unwrap(),
        S::Failed
    );
    assert_eq!(
        rollback_report(S::Successful, O::Succeeded).unwrap(),
        S::Successful
    );
    assert_eq!(rollback_report(S::Failed, O::Failed).unwrap(), S::Failed);
    assert_eq!(
        rollback_report(S::InProgress, O::Observed).unwrap(),
        S::InProgress
    );
    let refused = rollback_report(S::Successful, O::Failed).unwrap_err();
    assert_eq!(refused.code, ErrorCode::FailedPrecondition);
    assert!(refused.message.starts_with("rollback of this device: "));
}

/// A rollout with a start time tells no device anything until it starts; then its first
/// slice is scheduled exactly as a started one's.
#[test]
fn a_scheduled_rollout_schedules_nothing_until_it_starts() {
    let (mut agg, events) = RolloutAggregate::schedule(240, 5, 10).unwrap();
    assert_eq!(agg.status(), S::Scheduled);
    assert_eq!(events, vec![RolloutEvent::Scheduled]);
    assert_eq!(
        events[0].published_kind(),
        Some(RolloutEventKind::Scheduled)
    );
    assert_eq!(agg.slice_len(), 0);
    assert_eq!(agg.counters().total(), 0);
    assert_eq!(agg.pending_count(), 240);
    let refused = agg.send_commands().unwrap_err();
    assert_eq!(refused.code, ErrorCode::FailedPrecondition);
    assert_eq!(
        agg.advance(50).unwrap_err().code,
        ErrorCode::FailedPrecondition
    );
    assert_eq!(agg.pause().unwrap_err().code, ErrorCode::FailedPrecondition);
    // A device joining while scheduled waits outside the (empty) slice.
    agg.add_target("dev_new").unwrap();
    assert_eq!(agg.target_count(), 241);
    assert_eq!(agg.counters().total(), 0);

    let events = agg.start_now().unwrap();
    assert_eq!(agg.status(), S::Active);
    assert_eq!(
        events,
        vec![
            RolloutEvent::Transitioned {
                from: S::Scheduled,
                to: S::Active,
                trigger: T::Start
            },
            RolloutEvent::SliceScheduled { from: 0, to: 13 }
        ]
    );
    assert_eq!(events[0].published_kind(), Some(RolloutEventKind::Started));
    assert_eq!(
        agg.start_now().unwrap_err().code,
        ErrorCode::FailedPrecondition
    );
}

/// The stored form of a scheduled rollout (no per-device state) restores, and so does a
/// rollout cancelled before it started; a started one must have its slice.
#[test]
fn scheduled_and_cancelled_rollouts_restore_from_their_counters() {
    use airlift_core::device_counters::DeviceCounters;
    let empty = DeviceCounters::default();
    let agg = RolloutAggregate::restore(S::Scheduled, 10, 5, 50, empty).unwrap();
    assert_eq!(agg.slice_len(), 0);
    let agg = RolloutAggregate::restore(S::Cancelled, 10, 5, 50, empty).unwrap();
    assert_eq!(agg.slice_len(), 0);
    let err = RolloutAggregate::restore(S::Active, 10, 5, 50, empty).unwrap_err();
    assert_eq!(err.code, ErrorCode::Internal);
    let mut started = start(50, 10, 5);
    started.cancel().unwrap();
    let back = RolloutAggregate::restore(S::Cancelled, 10, 5, 50, started.counters()).unwrap();
    assert_eq!(back.slice_len(), 5);
}

/// Cancel ends a scheduled, active or paused rollout for good; rolling back and completed
/// rollouts refuse it, and a cancelled one refuses everything, reports included.
#[test]
fn cancel_from_each_state() {
    let cancelled = |agg: &mut RolloutAggregate, from: S| {
        let before = agg.counters();
        let events = agg.cancel().unwrap();
        assert_eq!(
            events,
            vec![RolloutEvent::Transitioned {
                from,
                to: S::Cancelled,
                trigger: T::Cancel
            }]
        );
        assert_eq!(
            events[0].published_kind(),
            Some(RolloutEventKind::Cancelled)
        );
        assert_eq!(agg.counters(), before, "cancel moves no device");
        assert!(agg.status().is_terminal());
        assert_eq!(
            T::Cancel.outcome(),
            None,
            "a cancelled rollout has no outcome"
        );
    };
    let mut scheduled = RolloutAggregate::schedule(10, 50, 10).unwrap().0;
    cancelled(&mut scheduled, S::Scheduled);
    assert_eq!(
        scheduled.start_now().unwrap_err().code,
        ErrorCode::FailedPrecondition
    );

    let mut active = start(10, 50, 10);
    active.send_commands().unwrap();
    active.record_report("dev_000", R::Progress).unwrap();
    cancelled(&mut active, S::Active);
    let late = active.record_report("dev_000", R::Succeeded).unwrap_err();
    assert_eq!(late.code, ErrorCode::FailedPrecondition);
    assert!(late.message.contains("cancelled"), "{}", late.message);
    assert_eq!(
        active.time_out("dev_001").unwrap_err().code,
        ErrorCode::FailedPrecondition
    );
    assert_eq!(
        active.add_target("dev_x").unwrap_err().code,
        ErrorCode::FailedPrecondition
    );
    assert_eq!(
        active.resume().unwrap_err().code,
        ErrorCode::FailedPrecondition
    );
    assert_eq!(
        active.rollback().unwrap_err().code,
        ErrorCode::FailedPrecondition
    );
    assert_eq!(
        active.cancel().unwrap_err().code,
        ErrorCode::FailedPrecondition
    );
    assert_eq!(
        active.send_commands().unwrap_err().code,
        ErrorCode::FailedPrecondition
    );

    let mut paused = start(10, 50, 10);
    paused.pause().unwrap();
    cancelled(&mut paused, S::Paused);

    let mut rolling_back = start(10, 50, 10);
    rolling_back.rollback().unwrap();
    assert_eq!(
        rolling_back.cancel().unwrap_err().code,
        ErrorCode::FailedPrecondition
    );
    assert_eq!(rolling_back.status(), S::RollingBack);

    let mut done = start(1, 100, 10);
    done.send_commands().unwrap();
    done.record_report("dev_000", R::Succeeded).unwrap();
    assert_eq!(done.status(), S::Completed);
    assert_eq!(
        done.cancel().unwrap_err().code,
        ErrorCode::FailedPrecondition
    );
}

/// `min_devices` (AWS IoT Jobs' abort criteria): one early failure in a big slice does not
/// pause; the threshold is checked once that many devices have a verdict, on the verdict that
/// reaches it whatever it is, and on every new failure after.
#[test]
fn the_threshold_waits_for_min_devices_verdicts() {
    let mut agg = start(10, 100, 10).with_min_devices(4);
    agg.send_commands().unwrap();
    let e = agg.record_report("dev_000", R::Failed).unwrap();
    assert!(!auto_paused(&e), "1 verdict of the 4 needed");
    assert_eq!(agg.status(), S::Active);
    agg.record_report("dev_001", R::Succeeded).unwrap();
    agg.record_report("dev_002", R::Succeeded).unwrap();
    // The 4th verdict is a success, but 1 failed of 10 scheduled is 10 %: not above.
    let e = agg.record_report("dev_003", R::Succeeded).unwrap();
    assert!(!auto_paused(&e));
    let e = agg.record_report("dev_004", R::Failed).unwrap();
    assert!(auto_paused(&e), "2 of 10 is above 10 %, with 5 verdicts");
    assert_eq!(agg.status(), S::Paused);

    // Over the threshold before min_devices: the verdict that reaches it pauses.
    let mut agg = start(10, 100, 10).with_min_devices(3);
    agg.send_commands().unwrap();
    agg.record_report("dev_000", R::Failed).unwrap();
    agg.record_report("dev_001", R::Failed).unwrap();
    assert_eq!(agg.status(), S::Active);
    let e = agg.record_report("dev_002", R::Succeeded).unwrap();
    assert!(
        auto_paused(&e),
        "the 3rd verdict applies the threshold: 2 of 10 failed"
    );
}
