//! What an operator may do with a rollout right now, and the numbers the rollout screens show.
//!
//! The state machine's edges come from airlift-core ([`RolloutStatus::allowed`]); the role from
//! the token ([`crate::role`]). The UI receives the result and only renders it, so a button is
//! never enabled by a second copy of the rules written in TypeScript.

use airlift_core::rollout::{RolloutOutcome, RolloutStatus, RolloutTrigger};
use airlift_core::wire::RolloutSummary;

use crate::role::Role;

/// The operator's buttons, in the order the UI shows them.
pub const OPERATOR_TRIGGERS: [RolloutTrigger; 5] = [
    RolloutTrigger::Pause,
    RolloutTrigger::Resume,
    RolloutTrigger::Advance,
    RolloutTrigger::Rollback,
    RolloutTrigger::Cancel,
];

/// The actions open to this connection, and, when some of the state machine's are withheld,
/// why (one sentence the UI shows next to the disabled buttons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorActions {
    pub allowed: Vec<RolloutTrigger>,
    pub why_not: Option<String>,
}

/// The operator actions `rollout` accepts now for a holder of `role` (`None`: unknown role,
/// the server decides).
pub fn operator_actions(rollout: &RolloutSummary, role: Option<Role>) -> OperatorActions {
    let by_state: Vec<RolloutTrigger> = OPERATOR_TRIGGERS
        .into_iter()
        .filter(|t| rollout.status.allowed().contains(t))
        // Advancing means raising the slice; at 100 % there is nothing left to raise.
        .filter(|t| *t != RolloutTrigger::Advance || rollout.canary_percent < 100)
        .collect();
    if let Some(role) = role.filter(|r| !r.can_operate_rollouts()) {
        return OperatorActions {
            allowed: Vec::new(),
            why_not: Some(format!(
                "This connection's token has the {} role, which can read rollouts but not change them.",
                role.as_str()
            )),
        };
    }
    let why_not = match rollout.status {
        RolloutStatus::Completed if retryable_failures(rollout) > 0 => Some(format!(
            "The rollout is completed; Retry failed devices starts a new rollout for its {} failed \
             or timed-out device{}.",
            retryable_failures(rollout),
            if retryable_failures(rollout) == 1 { "" } else { "s" }
        )),
        RolloutStatus::Completed => Some("The rollout is completed; nothing can change it.".into()),
        RolloutStatus::Cancelled => {
            Some("The rollout was cancelled; nothing can change it.".into())
        }
        RolloutStatus::RollingBack => {
            Some("The rollout is rolling back; it completes when every device has answered.".into())
        }
        _ => None,
    };
    OperatorActions {
        allowed: by_state,
        why_not,
    }
}

/// Devices a "Retry failed devices" would target: the failed and timed-out ones of a completed
/// rollout that did not roll back (after a rollback there is nothing to retry: the release was
/// withdrawn). 0 otherwise.
pub fn retryable_failures(rollout: &RolloutSummary) -> u64 {
    let rolled_back = rollout.outcome == Some(RolloutOutcome::RolledBack);
    if rollout.status != RolloutStatus::Completed || rolled_back {
        return 0;
    }
    rollout.counters.failed_total()
}

/// Whether this connection may start a retry of `rollout`'s failed devices now (the server's
/// rule: completed with failed or timed-out devices; admin and release-manager only).
pub fn can_retry_failed(rollout: &RolloutSummary, role: Option<Role>) -> bool {
    retryable_failures(rollout) > 0 && role.is_none_or(|r| r.can_operate_rollouts())
}

/// Whether the slice's failure rate is at or above the threshold: Advance and Resume then ask
/// the person to confirm with the numbers (auto-pause itself triggers only strictly above).
pub fn at_or_above_threshold(rollout: &RolloutSummary) -> bool {
    let total = rollout.counters.total();
    total > 0
        && u128::from(rollout.counters.failed_total()) * 100
            >= u128::from(rollout.failure_threshold_percent) * u128::from(total)
}

/// Failed (including timed-out) devices per 100 devices in the slice: what auto-pause
/// compares with the threshold. 0 before anything is scheduled.
pub fn failure_rate_percent(rollout: &RolloutSummary) -> f64 {
    let total = rollout.counters.total();
    if total == 0 {
        return 0.0;
    }
    rollout.counters.failed_total() as f64 * 100.0 / total as f64
}

/// Eligible devices the slice does not cover yet (they wait for an advance or the next batch).
pub fn pending_count(rollout: &RolloutSummary) -> u64 {
    rollout
        .eligible_count
        .saturating_sub(rollout.counters.total())
}

/// How many devices a rollback would send the rollback package to (0 without one).
pub fn rollback_reach(rollout: &RolloutSummary) -> u64 {
    if rollout.rollback_package_id.is_none() {
        return 0;
    }
    rollout.counters.rollback_reach()
}

#[cfg(test)]
mod tests {
    use airlift_core::device_counters::DeviceCounters;
    use airlift_core::wire::RolloutStrategy;

    use super::*;

    fn rollout(status: RolloutStatus, canary: u32) -> RolloutSummary {
        RolloutSummary {
            rollout_id: "rol_1".into(),
            package_id: "pkg_new".into(),
            package_version: "2.0.0".into(),
            rollback_package_id: Some("pkg_old".into()),
            target_profile_id: Some("prof".into()),
            target_kind: "profile".into(),
            strategy: RolloutStrategy::Canary,
            status,
            outcome: None,
            retry_of: None,
            canary_percent: canary,
            failure_threshold_percent: 10,
            batch_percent: None,
            min_batch_success_percent: None,
            force: false,
            allow_downgrade: false,
            device_timeout_seconds: 60,
            eligible_count: 40,
            scheduled_count: 20,
            skipped_count: 0,
            counters: DeviceCounters {
                scheduled: 1,
                command_sent: 2,
                in_progress: 3,
                successful: 10,
                failed: 3,
                timed_out: 1,
            },
            rollback_counters: None,
            allowed_actions: status.allowed().to_vec(),
            version: 1,
            change_seq: 1,
            created_by: "rm".into(),
            created_at: "2026-11-23T16:00:00Z".into(),
            updated_at: "2026-11-23T16:00:00Z".into(),
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
    fn actions_follow_the_state_machine() {
        use RolloutTrigger::*;
        let admin = Some(Role::Admin);
        let of = |s, c| operator_actions(&rollout(s, c), admin).allowed;
        assert_eq!(
            of(RolloutStatus::Active, 10),
            vec![Pause, Advance, Rollback, Cancel]
        );
        assert_eq!(
            of(RolloutStatus::Active, 100),
            vec![Pause, Rollback, Cancel]
        );
        assert_eq!(
            of(RolloutStatus::Paused, 10),
            vec![Resume, Rollback, Cancel]
        );
        assert_eq!(of(RolloutStatus::Scheduled, 10), vec![Cancel]);
        assert!(of(RolloutStatus::RollingBack, 10).is_empty());
        assert!(of(RolloutStatus::Completed, 100).is_empty());
        assert!(of(RolloutStatus::Cancelled, 100).is_empty());
        assert!(
            operator_actions(&rollout(RolloutStatus::Completed, 100), admin)
                .why_not
                .is_some()
        );
    }

    #[test]
    fn support_gets_no_actions_and_a_reason() {
        let a = operator_actions(&rollout(RolloutStatus::Paused, 10), Some(Role::Support));
        assert!(a.allowed.is_empty());
        assert!(a.why_not.unwrap().contains("support"));
        let unknown = operator_actions(&rollout(RolloutStatus::Paused, 10), None);
        assert_eq!(unknown.allowed.len(), 3);
    }

    #[test]
    fn retry_is_offered_for_a_completed_rollout_with_failures_that_did_not_roll_back() {
        let admin = Some(Role::Admin);
        let mut done = rollout(RolloutStatus::Completed, 100);
        done.outcome = Some(RolloutOutcome::SomeFailed);
        assert_eq!(retryable_failures(&done), 4, "3 failed and 1 timed out");
        assert!(can_retry_failed(&done, admin));
        assert!(
            can_retry_failed(&done, None),
            "unknown role: the server decides"
        );
        assert!(!can_retry_failed(&done, Some(Role::Support)));
        assert!(operator_actions(&done, admin)
            .why_not
            .unwrap()
            .contains("4 failed or timed-out devices"));

        let mut rolled_back = done.clone();
        rolled_back.outcome = Some(RolloutOutcome::RolledBack);
        assert!(!can_retry_failed(&rolled_back, admin));
        let active = rollout(RolloutStatus::Active, 100);
        assert!(!can_retry_failed(&active, admin), "only a finished rollout");
        let mut clean = done.clone();
        clean.counters.failed = 0;
        clean.counters.timed_out = 0;
        assert!(!can_retry_failed(&clean, admin), "nothing failed");
    }

    #[test]
    fn the_threshold_confirmation_starts_at_the_threshold() {
        // 4 of 20 in the slice failed or timed out: 20 %.
        let mut r = rollout(RolloutStatus::Paused, 50);
        r.failure_threshold_percent = 20;
        assert!(at_or_above_threshold(&r), "exactly at the threshold");
        r.failure_threshold_percent = 21;
        assert!(!at_or_above_threshold(&r));
        r.counters = DeviceCounters::default();
        r.failure_threshold_percent = 0;
        assert!(!at_or_above_threshold(&r), "an empty slice has no rate");
    }

    #[test]
    fn numbers() {
        let r = rollout(RolloutStatus::Active, 50);
        assert_eq!(failure_rate_percent(&r), 20.0);
        assert_eq!(pending_count(&r), 20);
        assert_eq!(rollback_reach(&r), 16);
        let mut none = r.clone();
        none.rollback_package_id = None;
        assert_eq!(rollback_reach(&none), 0);
    }
}
