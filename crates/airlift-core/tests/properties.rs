//! Property tests for the rule functions and the two status machines.

use airlift_core::device_state::{DeviceRolloutState, DeviceTrigger};
use airlift_core::eligibility::{check_eligibility, SkipReason};
use airlift_core::error::{ApiError, ErrorCode};
use airlift_core::install_status::{classify, InstallStatus, ReportOutcome};
use airlift_core::package::{parse_version, Compatibility, Sha256Hex};
use airlift_core::policy::{canary_slice, should_auto_pause, validate_percent};
use airlift_core::rollout::{RolloutStatus, RolloutTrigger};
use proptest::prelude::*;
use proptest::sample::select;

fn version() -> impl Strategy<Value = semver::Version> {
    (0u64..4, 0u64..4, 0u64..4).prop_map(|(a, b, c)| semver::Version::new(a, b, c))
}

proptest! {
    /// Independent formulation: the first failure count that pauses is floor(t×s/100) + 1.
    #[test]
    fn auto_pause_fires_from_the_first_count_above_the_threshold(
        scheduled in 1u64..10_000, threshold in 0u32..=100, failed in 0u64..10_000,
    ) {
        let first_pausing = u64::from(threshold) * scheduled / 100 + 1;
        prop_assert_eq!(should_auto_pause(failed, scheduled, threshold), failed >= first_pausing);
    }

    #[test]
    fn auto_pause_is_monotone(
        failed in 0u64..1000, scheduled in 0u64..1000, threshold in 0u32..=100,
    ) {
        if should_auto_pause(failed, scheduled, threshold) {
            prop_assert!(should_auto_pause(failed + 1, scheduled, threshold));
            prop_assert!(threshold == 0 || should_auto_pause(failed, scheduled, threshold - 1));
        }
        prop_assert!(scheduled > 0 || !should_auto_pause(failed, scheduled, threshold));
    }

    /// ceil characterization: the slice covers percent, and one device fewer would not.
    #[test]
    fn canary_slice_is_the_ceiling(eligible in 0u64..1_000_000, percent in 0u32..=100) {
        let k = canary_slice(eligible, percent);
        let want = u128::from(percent) * u128::from(eligible);
        prop_assert!(u128::from(k) * 100 >= want);
        prop_assert!(k == 0 || u128::from(k - 1) * 100 < want);
        prop_assert!(k <= eligible);
        prop_assert!(percent == 0 || eligible == 0 || k >= 1);
        if percent < 100 {
            prop_assert!(canary_slice(eligible, percent + 1) >= k);
        }
    }

    #[test]
    fn canary_slice_never_exceeds_eligible(eligible in any::<u64>(), percent in any::<u32>()) {
        prop_assert!(canary_slice(eligible, percent) <= eligible);
    }

    #[test]
    fn validate_percent_accepts_exactly_min_to_100(v in any::<u32>(), min in 0u32..=100) {
        let r = validate_percent("p", v, min);
        prop_assert_eq!(r.is_ok(), (min..=100).contains(&v));
        if let Err(e) = r {
            prop_assert_eq!(e.code, ErrorCode::InvalidArgument);
            prop_assert!(e.message.contains(&v.to_string()));
        }
    }

    #[test]
    fn sha256_round_trips_in_either_case(bytes in any::<[u8; 32]>(), upper in any::<bool>()) {
        let lower = hex::encode(bytes);
        let input = if upper { lower.to_ascii_uppercase() } else { lower.clone() };
        let h = Sha256Hex::parse(&input).expect("64 hex chars parse");
        prop_assert_eq!(h.as_str(), lower.as_str());
        prop_assert_eq!(h.to_bytes(), bytes);
        prop_assert_eq!(Sha256Hex::from_digest(&bytes), h);
    }

    #[test]
    fn sha256_rejects_anything_but_64_hex(s in "\\PC{0,80}") {
        let valid = s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit());
        let r = Sha256Hex::parse(&s);
        prop_assert_eq!(r.is_ok(), valid);
        if let Err(e) = r {
            prop_assert_eq!(e.code, ErrorCode::InvalidArgument);
            prop_assert!(e.message.starts_with("sha256"));
        }
    }

    #[test]
    fn versions_round_trip_and_garbage_never_panics(v in version(), s in "\\PC{0,20}") {
        prop_assert_eq!(parse_version("version", &v.to_string()), Ok(v));
        if let Ok(parsed) = parse_version("version", &s) {
            prop_assert_eq!(parsed.to_string(), s);
        }
    }

    #[test]
    fn api_error_json_round_trips(code in select(ErrorCode::ALL.to_vec()), message in "\\PC{0,40}") {
        let err = ApiError::new(code, message);
        let json = serde_json::to_string(&err).expect("serialize");
        let back: ApiError = serde_json::from_str(&json).expect("deserialize");
        prop_assert_eq!(back, err);
    }

    /// No trigger sequence takes a rollout off seed 000's edges (with milestone 2's scheduled
    /// start and cancel), and completed and cancelled are absorbing.
    #[test]
    fn rollout_status_never_leaves_the_diagram(
        first in select(vec![RolloutStatus::Active, RolloutStatus::Scheduled]),
        triggers in prop::collection::vec(select(RolloutTrigger::ALL.to_vec()), 0..60),
    ) {
        use RolloutStatus::*;
        use RolloutTrigger::*;
        let mut status = first;
        for t in triggers {
            let before = status;
            match status.next(t) {
                Ok(after) => {
                    let legal = matches!(
                        (before, t, after),
                        (Active, Pause | AutoPause, Paused)
                            | (Paused, Resume, Active)
                            | (Active, Advance, Active)
                            | (Active | Paused, Rollback, RollingBack)
                            | (Active, AllSucceeded | FinishedWithFailures, Completed)
                            | (RollingBack, RollbackFinished, Completed)
                            | (Scheduled, Start, Active)
                            | (Scheduled | Active | Paused, Cancel, Cancelled)
                    );
                    prop_assert!(legal, "{} --{}--> {}", before, t, after);
                    prop_assert!(before.allowed().contains(&t));
                    status = after;
                }
                Err(e) => {
                    prop_assert_eq!(e.from, before);
                    prop_assert!(!before.allowed().contains(&t));
                    prop_assert_eq!(ApiError::from(e).code, ErrorCode::FailedPrecondition);
                }
            }
            if before.is_terminal() {
                prop_assert_eq!(status, before);
            }
        }
    }

    /// Per-device: once a verdict is reached nothing changes, and only verdicts count as failed.
    #[test]
    fn device_state_verdicts_are_final(
        triggers in prop::collection::vec(select(DeviceTrigger::ALL.to_vec()), 0..30),
    ) {
        let mut state = DeviceRolloutState::Scheduled;
        for t in triggers {
            let before = state;
            if let Ok(after) = state.next(t) {
                prop_assert!(!before.is_terminal());
                state = after;
            }
            if before.is_terminal() {
                prop_assert_eq!(state, before);
            }
            prop_assert!(!state.counts_as_failed() || state.is_terminal());
        }
    }

    #[test]
    fn classify_is_total_and_consistent(
        status in select(InstallStatus::ALL.to_vec()), pkg in version(), reported in version(),
    ) {
        let outcome = classify(status, &reported.to_string(), &pkg);
        match outcome {
            ReportOutcome::Observed => {
                prop_assert_eq!(status, InstallStatus::InstalledVersion);
                prop_assert_ne!(&reported, &pkg);
            }
            ReportOutcome::Succeeded => prop_assert!(
                status == InstallStatus::Success
                    || (status == InstallStatus::InstalledVersion && reported == pkg)
            ),
            ReportOutcome::Failed => prop_assert!(
                status.as_str().ends_with("ERROR")
                    || matches!(status, InstallStatus::InstallAborted | InstallStatus::Failure)
            ),
            ReportOutcome::Progress => prop_assert!(!matches!(
                status,
                InstallStatus::Success | InstallStatus::Failure | InstallStatus::InstalledVersion
            )),
        }
        prop_assert_eq!(outcome.trigger().is_none(), outcome == ReportOutcome::Observed);
    }

    #[test]
    fn eligibility_ok_means_compatible_and_flags_only_lift_their_own_skip(
        pkg in version(), min in version(), fw in version(),
        same_type in any::<bool>(), force in any::<bool>(), allow_downgrade in any::<bool>(),
    ) {
        let compat = Compatibility { device_type: "t".into(), min_version: min.clone() };
        let ty = if same_type { "t" } else { "u" };
        let fw_s = fw.to_string();
        let r = check_eligibility(&pkg, &compat, ty, &fw_s, force, allow_downgrade);
        let strict = check_eligibility(&pkg, &compat, ty, &fw_s, false, false);
        if r.is_ok() {
            prop_assert!(same_type && fw >= min);
            prop_assert!(force || fw != pkg);
            prop_assert!(allow_downgrade || fw <= pkg, "{} onto a device on {}", pkg, fw);
        }
        // Each flag lifts exactly its own reason and nothing else.
        match strict {
            Err(SkipReason::AlreadyOnVersion) => prop_assert_eq!(r.is_ok(), force),
            Err(SkipReason::WouldDowngrade) => {
                prop_assert!(same_type && fw >= min && fw > pkg);
                prop_assert_eq!(r.is_ok(), allow_downgrade);
            }
            other => prop_assert_eq!(r, other),
        }
    }
}
