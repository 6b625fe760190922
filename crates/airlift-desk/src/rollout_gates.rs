//! What a rollout waits for before it moves on by itself, in numbers the rollout view shows: the
//! phase its slice is in and that phase's gate (airlift-core's [`phases::gate`], the rule the
//! server advances by), and whether the failure threshold applies yet (`min_devices`,
//! [`policy::threshold_applies`]). Nothing here is a rule of its own: the UI gets the result.

use airlift_core::phases::{self, PhaseGate};
use airlift_core::policy;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::RolloutSummary;

/// Where a phased rollout stands.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseProgress {
    /// The phase the slice is in (0-based) and how many there are.
    pub index: usize,
    pub count: usize,
    /// The slice this phase holds, in percent of the eligible devices.
    pub percent: u32,
    pub soak_seconds: u64,
    /// The share of the slice that must have succeeded before the next phase.
    pub min_success_percent: u32,
    /// The share that has succeeded so far (of every device in the slice).
    pub success_percent: f64,
    /// The next phase's slice, if there is one.
    pub next_percent: Option<u32>,
    /// What the phase waits for (only while the rollout runs: `None` once it is paused, rolling
    /// back or finished, when no automatic advance can happen).
    pub gate: Option<Gate>,
    /// When the server will advance it (its `next_advance_at`), once the gate is open.
    pub next_advance_at: Option<String>,
}

/// What the current phase waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The last phase: nothing to advance to.
    Last,
    /// Devices of the slice without a verdict yet.
    Waiting { undecided: u64 },
    /// Every device decided, too few succeeded: it stays until an operator acts.
    Held { succeeded: u64, needed: u64 },
    /// Decided and healthy: it advances once the soak is over.
    Soaking,
}

/// The phase and gate of a phased rollout (`None` for one without phases).
pub fn phase_progress(rollout: &RolloutSummary) -> Option<PhaseProgress> {
    let plan = rollout.phases.as_deref().filter(|p| !p.is_empty())?;
    let index = rollout
        .current_phase
        .map(|i| i as usize)
        .filter(|i| *i < plan.len())
        .unwrap_or_else(|| phases::current_phase(plan, rollout.canary_percent));
    let phase = plan[index];
    let slice = rollout.counters.total();
    let success_percent = if slice == 0 {
        0.0
    } else {
        rollout.counters.successful as f64 * 100.0 / slice as f64
    };
    let running = matches!(rollout.status, RolloutStatus::Active);
    let gate =
        running.then(
            || match phases::gate(plan, rollout.canary_percent, rollout.counters, None) {
                PhaseGate::Last => Gate::Last,
                PhaseGate::Waiting { undecided } => Gate::Waiting { undecided },
                PhaseGate::Held { succeeded, needed } => Gate::Held { succeeded, needed },
                PhaseGate::Due { .. } => Gate::Soaking,
            },
        );
    Some(PhaseProgress {
        index,
        count: plan.len(),
        percent: phase.percent,
        soak_seconds: phase.soak_seconds,
        min_success_percent: phase.min_success_percent,
        success_percent,
        next_percent: plan
            .iter()
            .find(|p| p.percent > rollout.canary_percent)
            .map(|p| p.percent),
        gate,
        next_advance_at: rollout.next_advance_at.clone().filter(|_| running),
    })
}

/// Verdicts so far (succeeded, failed or timed out) and whether the failure threshold applies
/// yet: with `min_devices` it waits for that many, so one early failure does not pause.
pub fn threshold_armed(rollout: &RolloutSummary) -> (u64, bool) {
    let verdicts = rollout.counters.successful + rollout.counters.failed_total();
    (
        verdicts,
        policy::threshold_applies(verdicts, rollout.min_devices),
    )
}

#[cfg(test)]
mod tests {
    use airlift_core::device_counters::DeviceCounters;
    use airlift_core::phases::Phase;

    use super::*;

    fn phased(status: RolloutStatus, canary: u32, counters: DeviceCounters) -> RolloutSummary {
        let plan: Vec<Phase> = [1, 10, 50, 100]
            .into_iter()
            .map(|percent| Phase {
                percent,
                soak_seconds: 3600,
                min_success_percent: 90,
            })
            .collect();
        serde_json::from_value::<RolloutSummary>(serde_json::json!({
            "rollout_id": "rol_1", "package_id": "p", "package_version": "2.0.0",
            "rollback_package_id": null, "target_profile_id": "prof", "target_kind": "profile",
            "strategy": "canary", "status": status, "outcome": null, "retry_of": null,
            "canary_percent": canary, "failure_threshold_percent": 20, "batch_percent": null,
            "min_batch_success_percent": null, "force": false, "allow_downgrade": false,
            "device_timeout_seconds": 60, "eligible_count": 200, "scheduled_count": 20,
            "skipped_count": 0, "counters": counters, "rollback_counters": null,
            "allowed_actions": [], "version": 1, "change_seq": 1, "created_by": "rm",
            "created_at": "2026-12-07T10:00:00Z", "updated_at": "2026-12-07T10:00:00Z",
            "phases": plan, "current_phase": 1, "min_devices": 5,
            "next_advance_at": null,
        }))
        .expect("a phased rollout")
    }

    fn counters(successful: u64, failed: u64, in_progress: u64) -> DeviceCounters {
        DeviceCounters {
            successful,
            failed,
            in_progress,
            ..DeviceCounters::default()
        }
    }

    #[test]
    fn a_phase_waits_for_verdicts_then_for_its_success_rate() {
        let waiting =
            phase_progress(&phased(RolloutStatus::Active, 10, counters(15, 1, 4))).expect("phased");
        assert_eq!((waiting.index, waiting.count, waiting.percent), (1, 4, 10));
        assert_eq!(waiting.next_percent, Some(50));
        assert_eq!(waiting.min_success_percent, 90);
        assert_eq!(waiting.success_percent, 75.0);
        assert_eq!(waiting.gate, Some(Gate::Waiting { undecided: 4 }));

        let held =
            phase_progress(&phased(RolloutStatus::Active, 10, counters(17, 3, 0))).expect("phased");
        assert_eq!(
            held.gate,
            Some(Gate::Held {
                succeeded: 17,
                needed: 18
            })
        );

        let mut healthy = phased(RolloutStatus::Active, 10, counters(19, 1, 0));
        healthy.next_advance_at = Some("2026-12-07T11:00:00Z".into());
        let soaking = phase_progress(&healthy).expect("phased");
        assert_eq!(soaking.gate, Some(Gate::Soaking));
        assert_eq!(
            soaking.next_advance_at.as_deref(),
            Some("2026-12-07T11:00:00Z")
        );
    }

    #[test]
    fn no_gate_while_nothing_advances_by_itself_and_none_without_phases() {
        let mut paused = phased(RolloutStatus::Paused, 10, counters(19, 1, 0));
        paused.next_advance_at = Some("2026-12-07T11:00:00Z".into());
        let p = phase_progress(&paused).expect("phased");
        assert_eq!((p.gate, p.next_advance_at), (None, None));
        let last = phase_progress(&phased(RolloutStatus::Active, 100, counters(200, 0, 0)))
            .expect("phased");
        assert_eq!((last.gate, last.next_percent), (Some(Gate::Last), None));
        let mut plain = phased(RolloutStatus::Active, 10, counters(1, 0, 0));
        plain.phases = None;
        assert_eq!(phase_progress(&plain), None);
    }

    #[test]
    fn the_threshold_waits_for_min_devices_verdicts() {
        let early = phased(RolloutStatus::Active, 10, counters(2, 2, 16));
        assert_eq!(threshold_armed(&early), (4, false));
        let armed = phased(RolloutStatus::Active, 10, counters(3, 2, 15));
        assert_eq!(threshold_armed(&armed), (5, true));
    }
}
