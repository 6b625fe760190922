//! Phased rollouts (spec, Milestone 2): a list of `{percent, soak_seconds,
//! min_success_percent}` with strictly rising percentages ending at 100. The rollout starts
//! with the first phase's slice and advances itself to the next phase once every device of the
//! slice has a verdict, `soak_seconds` have passed since the last verdict, and at least
//! `min_success_percent` of the slice succeeded. The failure threshold still pauses it (the
//! aggregate's rule); operators may still advance, pause and resume by hand.
//!
//! [`gate`] is the whole decision, as a value the server both acts on (advance when due) and
//! shows (`current_phase`, `next_advance_at`): no clock is read here, the caller passes the
//! time of the last verdict and compares the due time with its own clock.

use serde::{Deserialize, Serialize};

use crate::device_counters::DeviceCounters;
use crate::error::ApiError;
use crate::policy::validate_percent;

/// One phase of a phased rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// The slice once this phase is reached, in percent of the eligible devices.
    pub percent: u32,
    /// How long to wait after the slice's last verdict before moving on.
    pub soak_seconds: u64,
    /// The share of the slice that must have succeeded to move on (0–100).
    pub min_success_percent: u32,
}

/// At most this many phases (a plan longer than that is a typo, not a rollout).
pub const MAX_PHASES: usize = 20;
/// The longest soak a phase may ask for (30 days).
pub const MAX_SOAK_SECONDS: u64 = 30 * 24 * 3600;

/// The plan is usable: 1 to [`MAX_PHASES`] phases, percentages 1–100 strictly rising and
/// ending at 100, minimum success rates 0–100, soaks up to [`MAX_SOAK_SECONDS`]. The error
/// names the phase (1-based) and the field.
pub fn validate_phases(phases: &[Phase]) -> Result<(), ApiError> {
    if phases.is_empty() || phases.len() > MAX_PHASES {
        return Err(ApiError::invalid_argument(format!(
            "phases must list 1 to {MAX_PHASES} phases, got {}",
            phases.len()
        )));
    }
    let mut previous = 0;
    for (i, p) in phases.iter().enumerate() {
        let n = i + 1;
        validate_percent(&format!("phases[{n}].percent"), p.percent, 1)?;
        validate_percent(
            &format!("phases[{n}].min_success_percent"),
            p.min_success_percent,
            0,
        )?;
        if p.percent <= previous {
            return Err(ApiError::invalid_argument(format!(
                "phases must rise strictly: phase {n} has percent {} after {previous}",
                p.percent
            )));
        }
        if p.soak_seconds > MAX_SOAK_SECONDS {
            return Err(ApiError::invalid_argument(format!(
                "phases[{n}].soak_seconds must be at most {MAX_SOAK_SECONDS} (30 days), got {}",
                p.soak_seconds
            )));
        }
        previous = p.percent;
    }
    if previous != 100 {
        return Err(ApiError::invalid_argument(format!(
            "the last phase must reach 100 percent, got {previous}"
        )));
    }
    Ok(())
}

/// The phase a slice of `canary_percent` is in (0-based): the last phase it has reached. An
/// operator's manual advance between two phases leaves it in the lower one; its next automatic
/// advance goes to the next phase above the slice.
pub fn current_phase(phases: &[Phase], canary_percent: u32) -> usize {
    phases
        .iter()
        .rposition(|p| p.percent <= canary_percent)
        .unwrap_or(0)
}

/// What the current phase waits for, or when it moves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseGate {
    /// The slice already covers every phase: nothing more to advance to.
    Last,
    /// Devices of the slice without a verdict yet.
    Waiting { undecided: u64 },
    /// Every device decided, but fewer than the phase's minimum succeeded: it stays until an
    /// operator advances (or rolls back).
    Held { succeeded: u64, needed: u64 },
    /// Every device decided and healthy: advance to `next_percent` at `due_unix` (the last
    /// verdict plus the soak).
    Due { due_unix: i64, next_percent: u32 },
}

/// The gate of the phase the slice is in. `counters` are the slice's (every scheduled device);
/// `last_verdict_unix` is when the slice's last verdict came (`None`: none yet).
pub fn gate(
    phases: &[Phase],
    canary_percent: u32,
    counters: DeviceCounters,
    last_verdict_unix: Option<i64>,
) -> PhaseGate {
    let Some(next) = phases.iter().find(|p| p.percent > canary_percent) else {
        return PhaseGate::Last;
    };
    let phase = phases[current_phase(phases, canary_percent)];
    let slice = counters.total();
    let decided = counters.successful + counters.failed_total();
    if decided < slice || slice == 0 {
        return PhaseGate::Waiting {
            undecided: slice - decided.min(slice),
        };
    }
    // ceil(min% × slice / 100) devices must have succeeded, in integers.
    let needed = (u128::from(phase.min_success_percent) * u128::from(slice)).div_ceil(100);
    let needed = u64::try_from(needed).unwrap_or(u64::MAX);
    if counters.successful < needed {
        return PhaseGate::Held {
            succeeded: counters.successful,
            needed,
        };
    }
    let soak = i64::try_from(phase.soak_seconds).unwrap_or(i64::MAX);
    PhaseGate::Due {
        due_unix: last_verdict_unix.unwrap_or(0).saturating_add(soak),
        next_percent: next.percent,
    }
}

/// How many devices each phase will hold over `eligible` devices (the dry run).
pub fn phase_sizes(phases: &[Phase], eligible: u64) -> Vec<u64> {
    phases
        .iter()
        .map(|p| crate::policy::canary_slice(eligible, p.percent))
        .collect()
}

/// A named phase plan: the app's wizard offers these and `airlift-cli rollout start --preset
/// NAME` takes their names. Defined here only; the UI's copy is generated from this list
/// (`ui/src/bindings/phasePresets.ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhasePreset {
    /// Its name on the command line and in the app, e.g. `1-10-50-100`.
    pub name: &'static str,
    /// What the wizard shows, e.g. `1 % → 10 % → 50 % → 100 %`.
    pub label: &'static str,
    /// One sentence on what the plan does.
    pub hint: &'static str,
    pub phases: Vec<Phase>,
}

/// Every preset, the default (the wizard's first choice) first.
pub fn presets() -> Vec<PhasePreset> {
    let step = |percent, soak_seconds, min_success_percent| Phase {
        percent,
        soak_seconds,
        min_success_percent,
    };
    vec![
        PhasePreset {
            name: "1-10-50-100",
            label: "1 % → 10 % → 50 % → 100 %",
            hint: "Four widening phases, an hour's soak and 95 % success between them.",
            phases: [1, 10, 50, 100]
                .into_iter()
                .map(|percent| step(percent, 3600, 95))
                .collect(),
        },
        PhasePreset {
            name: "canary-then-everyone",
            label: "Canary, then everyone",
            hint: "5 % first; after a day's soak with 98 % success, every device.",
            phases: vec![step(5, 24 * 3600, 98), step(100, 0, 0)],
        },
    ]
}

/// The preset called `name` (exactly as [`presets`] spells it).
pub fn preset(name: &str) -> Option<PhasePreset> {
    presets().into_iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_ten_fifty_hundred() -> Vec<Phase> {
        preset("1-10-50-100").expect("the default preset").phases
    }

    fn p(percent: u32, soak: u64, min: u32) -> Phase {
        Phase {
            percent,
            soak_seconds: soak,
            min_success_percent: min,
        }
    }

    #[test]
    fn plans_must_rise_to_100() {
        assert!(validate_phases(&one_ten_fifty_hundred()).is_ok());
        assert!(validate_phases(&[p(100, 0, 0)]).is_ok());
        for (bad, words) in [
            (vec![], "1 to 20"),
            (
                vec![p(10, 0, 0), p(10, 0, 0), p(100, 0, 0)],
                "rise strictly",
            ),
            (
                vec![p(50, 0, 0), p(10, 0, 0), p(100, 0, 0)],
                "rise strictly",
            ),
            (vec![p(10, 0, 0), p(50, 0, 0)], "reach 100"),
            (vec![p(0, 0, 0), p(100, 0, 0)], "phases[1].percent"),
            (
                vec![p(10, 0, 101), p(100, 0, 0)],
                "phases[1].min_success_percent",
            ),
            (vec![p(100, MAX_SOAK_SECONDS + 1, 0)], "soak_seconds"),
        ] {
            let e = validate_phases(&bad).unwrap_err();
            assert!(e.message.contains(words), "{bad:?}: {}", e.message);
        }
    }

    #[test]
    fn the_current_phase_is_the_last_one_reached() {
        let plan = one_ten_fifty_hundred();
        assert_eq!(current_phase(&plan, 1), 0);
        assert_eq!(
            current_phase(&plan, 5),
            0,
            "a manual advance between phases"
        );
        assert_eq!(current_phase(&plan, 10), 1);
        assert_eq!(current_phase(&plan, 100), 3);
    }

    #[test]
    fn the_gate_waits_for_verdicts_then_health_then_the_soak() {
        let plan = vec![p(10, 600, 90), p(100, 0, 0)];
        let c = |ok, failed, open| DeviceCounters {
            successful: ok,
            failed,
            in_progress: open,
            ..DeviceCounters::default()
        };
        assert_eq!(
            gate(&plan, 10, c(8, 0, 2), Some(1000)),
            PhaseGate::Waiting { undecided: 2 }
        );
        assert_eq!(
            gate(&plan, 10, c(8, 2, 0), Some(1000)),
            PhaseGate::Held {
                succeeded: 8,
                needed: 9
            }
        );
        assert_eq!(
            gate(&plan, 10, c(9, 1, 0), Some(1000)),
            PhaseGate::Due {
                due_unix: 1600,
                next_percent: 100
            }
        );
        assert_eq!(gate(&plan, 100, c(10, 0, 0), Some(1000)), PhaseGate::Last);
        assert_eq!(
            gate(&plan, 10, c(0, 0, 0), None),
            PhaseGate::Waiting { undecided: 0 },
            "an empty slice never advances by itself"
        );
    }

    #[test]
    fn every_preset_is_a_valid_plan_with_a_unique_name() {
        let all = presets();
        assert!(all.len() >= 2);
        for p in &all {
            validate_phases(&p.phases).unwrap_or_else(|e| panic!("{}: {}", p.name, e.message));
            assert!(
                p.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{} is typed on a command line",
                p.name
            );
            assert_eq!(preset(p.name).as_ref(), Some(p));
        }
        let mut names: Vec<_> = all.iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "names are unique");
        assert_eq!(
            all[0].name, "1-10-50-100",
            "the wizard's default comes first"
        );
        assert_eq!(
            all[0].phases,
            [
                p(1, 3600, 95),
                p(10, 3600, 95),
                p(50, 3600, 95),
                p(100, 3600, 95)
            ]
        );
        assert_eq!(preset("1-10-50"), None);
    }

    #[test]
    fn dry_run_sizes_are_the_canary_slices() {
        assert_eq!(
            phase_sizes(&one_ten_fifty_hundred(), 240),
            [3, 24, 120, 240]
        );
        assert_eq!(phase_sizes(&one_ten_fifty_hundred(), 0), [0, 0, 0, 0]);
    }
}
