//! Concrete examples from the spec and seeds for the rule tables: auto-pause, canary sizing,
//! percent validation, eligibility, install-status mapping, and both state machines.

use airlift_core::device_state::{DeviceRolloutState as D, DeviceTrigger as DT};
use airlift_core::eligibility::{check_eligibility, SkipReason};
use airlift_core::error::{ApiError, ErrorCode};
use airlift_core::install_status::{classify, InstallStatus, ReportOutcome};
use airlift_core::package::Compatibility;
use airlift_core::policy::{canary_slice, should_auto_pause, validate_percent};
use airlift_core::rollout::{
    event_subject, RolloutEventKind, RolloutStatus as S, RolloutTrigger as T,
};

#[test]
fn auto_pause_spec_example_threshold_10_of_20() {
    assert!(!should_auto_pause(0, 20, 10));
    assert!(!should_auto_pause(1, 20, 10));
    assert!(!should_auto_pause(2, 20, 10), "10% is not above 10%");
    assert!(should_auto_pause(3, 20, 10), "15% is above 10%");
}

#[test]
fn auto_pause_edges() {
    assert!(
        !should_auto_pause(0, 0, 0),
        "nothing scheduled never pauses"
    );
    assert!(
        should_auto_pause(1, 12, 0),
        "threshold 0 pauses on the first failure"
    );
    assert!(
        !should_auto_pause(12, 12, 100),
        "threshold 100 never pauses"
    );
    // Seed 000: threshold 10, canary of 12 devices: 1 failure is 8.3%, 2 is 16.7%.
    assert!(!should_auto_pause(1, 12, 10));
    assert!(should_auto_pause(2, 12, 10));
    assert!(should_auto_pause(u64::MAX, u64::MAX, 99), "no overflow");
}

#[test]
fn canary_slice_is_ceil() {
    assert_eq!(
        canary_slice(240, 5),
        12,
        "seed 000: 5% canary -> scheduled_count 12"
    );
    assert_eq!(canary_slice(10, 5), 1, "ceil(0.5) = 1");
    assert_eq!(canary_slice(20, 10), 2);
    assert_eq!(canary_slice(3, 34), 2, "ceil(1.02) = 2");
    assert_eq!(canary_slice(7, 100), 7);
    assert_eq!(canary_slice(0, 50), 0);
    assert_eq!(canary_slice(10, 0), 0);
    assert_eq!(canary_slice(10, 150), 10, "capped at eligible");
    assert_eq!(canary_slice(u64::MAX, 100), u64::MAX);
}

#[test]
fn percent_validation_names_field_and_value() {
    assert!(validate_percent("canary_percent", 1, 1).is_ok());
    assert!(validate_percent("canary_percent", 100, 1).is_ok());
    assert!(validate_percent("failure_threshold_percent", 0, 0).is_ok());
    let err = validate_percent("canary_percent", 0, 1).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    assert_eq!(
        err.message,
        "canary_percent must be between 1 and 100, got 0"
    );
    let err = validate_percent("failure_threshold_percent", 101, 0).unwrap_err();
    assert_eq!(
        err.message,
        "failure_threshold_percent must be between 0 and 100, got 101"
    );
}

fn v(s: &str) -> semver::Version {
    semver::Version::parse(s).unwrap()
}

#[test]
fn eligibility_in_the_documented_order() {
    let compat = Compatibility::new("temp-sensor", "1.0.0").unwrap();
    let pkg = v("2.0.0");
    let check =
        |ty: &str, fw: &str, force: bool| check_eligibility(&pkg, &compat, ty, fw, force, false);
    assert_eq!(check("temp-sensor", "1.0.0", false), Ok(()));
    assert_eq!(check("temp-sensor", "1.5.3", false), Ok(()));
    assert_eq!(
        check("temp-sensor", "3.0.0", false),
        Err(SkipReason::WouldDowngrade),
        "no silent downgrade"
    );
    assert_eq!(
        check("temp-sensor", "2.0.1", true),
        Err(SkipReason::WouldDowngrade),
        "force reinstalls the same version, it does not downgrade"
    );
    assert_eq!(
        check_eligibility(&pkg, &compat, "temp-sensor", "3.0.0", false, true),
        Ok(()),
        "allow_downgrade includes a device on a newer version"
    );
    assert_eq!(
        check_eligibility(&pkg, &compat, "temp-sensor", "0.9.9", false, true),
        Err(SkipReason::BelowMinVersion),
        "allow_downgrade does not lift the minimum version"
    );
    assert_eq!(
        serde_json::to_string(&SkipReason::WouldDowngrade).unwrap(),
        "\"would_downgrade\""
    );
    assert_eq!(
        check("gateway", "1.0.0", false),
        Err(SkipReason::WrongDeviceType)
    );
    assert_eq!(
        check("gateway", "garbage", false),
        Err(SkipReason::WrongDeviceType)
    );
    assert_eq!(
        check("temp-sensor", "garbage", false),
        Err(SkipReason::UnparsableVersion)
    );
    assert_eq!(
        check("temp-sensor", "0.9.9", false),
        Err(SkipReason::BelowMinVersion)
    );
    assert_eq!(
        check("temp-sensor", "0.9.9", true),
        Err(SkipReason::BelowMinVersion)
    );
    assert_eq!(
        check("temp-sensor", "2.0.0", false),
        Err(SkipReason::AlreadyOnVersion)
    );
    assert_eq!(
        check("temp-sensor", "2.0.0", true),
        Ok(()),
        "force reinstalls"
    );
    assert_eq!(
        serde_json::to_string(&SkipReason::BelowMinVersion).unwrap(),
        "\"below_min_version\""
    );
    assert!(!SkipReason::UnparsableVersion.describe().is_empty());
}

#[test]
fn install_statuses_map_as_the_spec_says() {
    use InstallStatus::*;
    let pkg = v("2.0.0");
    let failed = [
        Failure,
        TestError,
        DownloadError,
        InstallError,
        InstallAborted,
    ];
    let progress = [
        Init,
        Test,
        TestStep,
        TestSuccess,
        Download,
        DownloadStep,
        DownloadSuccess,
        Install,
        InstallStep,
        InstallSuccess,
    ];
    for s in failed {
        assert_eq!(classify(s, "2.0.0", &pkg), ReportOutcome::Failed, "{s}");
    }
    for s in progress {
        assert_eq!(classify(s, "2.0.0", &pkg), ReportOutcome::Progress, "{s}");
    }
    assert_eq!(classify(Success, "2.0.0", &pkg), ReportOutcome::Succeeded);
    assert_eq!(classify(Success, "", &pkg), ReportOutcome::Succeeded);
    assert_eq!(
        classify(InstalledVersion, "2.0.0", &pkg),
        ReportOutcome::Succeeded
    );
    assert_eq!(
        classify(InstalledVersion, "1.0.0", &pkg),
        ReportOutcome::Observed
    );
    assert_eq!(
        classify(
            InstalledVersion,
            "656764202e0c6411cce167da8a2269481b2f4f6a",
            &pkg
        ),
        ReportOutcome::Observed
    );
    assert_eq!(failed.len() + progress.len() + 2, InstallStatus::ALL.len());

    assert_eq!(ReportOutcome::Progress.trigger(), Some(DT::Progress));
    assert_eq!(ReportOutcome::Succeeded.trigger(), Some(DT::Succeed));
    assert_eq!(ReportOutcome::Failed.trigger(), Some(DT::Fail));
    assert_eq!(ReportOutcome::Observed.trigger(), None);
}

#[test]
fn install_status_wire_spelling() {
    for s in InstallStatus::ALL {
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, format!("\"{}\"", s.as_str()));
        assert_eq!(s.as_str().parse::<InstallStatus>(), Ok(s));
    }
    assert_eq!(InstallStatus::TestStep.as_str(), "TEST_STEP");
    assert_eq!(
        InstallStatus::InstalledVersion.as_str(),
        "INSTALLED_VERSION"
    );
    assert_eq!(InstallStatus::Success.as_str(), "success");
    assert_eq!(InstallStatus::Failure.as_str(), "failure");
    let err = "SUCCESS".parse::<InstallStatus>().unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    assert!(err.message.contains("\"SUCCESS\""), "{}", err.message);
}

#[test]
fn rollout_transition_table_is_exactly_seed_000() {
    let legal = [
        (S::Active, T::Pause, S::Paused),
        (S::Active, T::AutoPause, S::Paused),
        (S::Paused, T::Resume, S::Active),
        (S::Active, T::Advance, S::Active),
        (S::Active, T::Rollback, S::RollingBack),
        (S::Paused, T::Rollback, S::RollingBack),
        (S::Active, T::AllSucceeded, S::Completed),
        (S::Active, T::FinishedWithFailures, S::Completed),
        (S::RollingBack, T::RollbackFinished, S::Completed),
        (S::Scheduled, T::Start, S::Active),
        (S::Scheduled, T::Cancel, S::Cancelled),
        (S::Active, T::Cancel, S::Cancelled),
        (S::Paused, T::Cancel, S::Cancelled),
    ];
    for from in S::ALL {
        for t in T::ALL {
            let expected = legal
                .iter()
                .find(|(f, tr, _)| *f == from && *tr == t)
                .map(|l| l.2);
            match (from.next(t), expected) {
                (Ok(to), Some(exp)) => assert_eq!(to, exp),
                (Err(e), None) => {
                    assert_eq!((e.from, e.trigger), (from, t));
                    let api: ApiError = e.into();
                    assert_eq!(api.code, ErrorCode::FailedPrecondition);
                    assert_eq!(api.code.http_status(), 409);
                }
                (got, exp) => panic!("{from} --{t}--> got {got:?}, expected {exp:?}"),
            }
            assert_eq!(
                from.allowed().contains(&t),
                expected.is_some(),
                "{from} {t}"
            );
        }
    }
    assert!(S::Completed.is_terminal());
    assert!(S::Cancelled.is_terminal());
    assert!(S::ALL.iter().filter(|s| s.is_terminal()).count() == 2);
}

#[test]
fn completing_triggers_tell_the_outcome_and_no_other_does() {
    use airlift_core::rollout::RolloutOutcome as O;
    for t in T::ALL {
        let expected = match t {
            T::AllSucceeded => Some(O::Succeeded),
            T::FinishedWithFailures => Some(O::SomeFailed),
            T::RollbackFinished => Some(O::RolledBack),
            _ => None,
        };
        assert_eq!(t.outcome(), expected, "{t}");
        let completes = S::ALL.iter().any(|from| from.next(t) == Ok(S::Completed));
        assert_eq!(completes, expected.is_some(), "{t}");
    }
    for o in O::ALL {
        assert_eq!(o.as_str().parse::<O>(), Ok(o));
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            format!("\"{}\"", o.as_str())
        );
    }
    assert_eq!(O::SomeFailed.as_str(), "some_failed");
    assert_eq!(
        "failed".parse::<O>().unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(T::FinishedWithFailures.as_str(), "finished_with_failures");
    assert_eq!(
        T::FinishedWithFailures.event_kind(),
        RolloutEventKind::Completed
    );
}

#[test]
fn illegal_transition_message_is_a_sentence() {
    let api: ApiError = S::Active.next(T::Resume).unwrap_err().into();
    assert!(
        api.message
            .starts_with("cannot resume a rollout that is active"),
        "{}",
        api.message
    );
    let api: ApiError = S::Completed.next(T::Rollback).unwrap_err().into();
    assert!(api
        .message
        .starts_with("cannot roll back a rollout that is completed"));
}

#[test]
fn rollout_status_strings() {
    for s in S::ALL {
        assert_eq!(s.as_str().parse::<S>(), Ok(s));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
    }
    assert_eq!(S::RollingBack.as_str(), "rolling_back");
    assert_eq!(
        "paused ".parse::<S>().unwrap_err().code,
        ErrorCode::InvalidArgument
    );
}

#[test]
fn event_subjects() {
    assert_eq!(
        event_subject(RolloutEventKind::Started, "acme", "rol_4c7e"),
        "profile.ota.rollout.started.acme.rol_4c7e"
    );
    assert_eq!(
        event_subject(RolloutEventKind::RollingBack, "acme", "rol_4c7e"),
        "profile.ota.rollout.rolling_back.acme.rol_4c7e"
    );
    assert_eq!(T::AutoPause.event_kind(), RolloutEventKind::Paused);
    assert_eq!(
        T::RollbackFinished.event_kind(),
        RolloutEventKind::Completed
    );
}

#[test]
fn device_transition_table() {
    let legal = [
        (D::Scheduled, DT::SendCommand, D::CommandSent),
        (D::CommandSent, DT::Progress, D::InProgress),
        (D::InProgress, DT::Progress, D::InProgress),
        (D::CommandSent, DT::Succeed, D::Successful),
        (D::InProgress, DT::Succeed, D::Successful),
        (D::CommandSent, DT::Fail, D::Failed),
        (D::InProgress, DT::Fail, D::Failed),
        (D::CommandSent, DT::TimeOut, D::TimedOut),
        (D::InProgress, DT::TimeOut, D::TimedOut),
    ];
    for from in D::ALL {
        for t in DT::ALL {
            let expected = legal
                .iter()
                .find(|(f, tr, _)| *f == from && *tr == t)
                .map(|l| l.2);
            assert_eq!(from.next(t).ok(), expected, "{from} --{t}-->");
            if from.is_terminal() {
                assert!(from.next(t).is_err());
            }
        }
    }
    assert_eq!(
        D::ALL
            .iter()
            .filter(|s| s.counts_as_failed())
            .copied()
            .collect::<Vec<_>>(),
        vec![D::Failed, D::TimedOut]
    );
    let api: ApiError = D::Successful.next(DT::Fail).unwrap_err().into();
    assert_eq!(api.code, ErrorCode::FailedPrecondition);
    assert!(api.message.contains("successful"), "{}", api.message);
}

/// `allowed_actions` offers exactly the operator's triggers the status accepts.
#[test]
fn operator_actions_are_the_allowed_operator_triggers() {
    use airlift_core::rollout::{RolloutStatus as St, RolloutTrigger as Tr};
    assert_eq!(
        St::Active.operator_actions(),
        vec![Tr::Pause, Tr::Advance, Tr::Rollback, Tr::Cancel]
    );
    assert_eq!(
        St::Paused.operator_actions(),
        vec![Tr::Resume, Tr::Rollback, Tr::Cancel]
    );
    assert_eq!(St::Scheduled.operator_actions(), vec![Tr::Cancel]);
    assert!(St::RollingBack.operator_actions().is_empty());
    assert!(St::Completed.operator_actions().is_empty());
    assert!(St::Cancelled.operator_actions().is_empty());
}
