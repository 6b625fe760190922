//! `rollout start`'s phases (a preset or each one), start time, maintenance window, retries and `min_devices`: the
//! flags read into the request's fields. Their rules (rising phases, IANA zones, bounds) are
//! airlift-core's and the server's; only what the flags' own syntax allows is checked here.

use airlift_core::maintenance_window::MaintenanceWindow;
use airlift_core::phases::{self, Phase};
use airlift_core::retry_policy::RetryPolicy;
use airlift_core::wire::CreateRollout;

use super::rollout::parse_duration;
use crate::args::PlanArgs;
use crate::exit::Failure;

const EVERY_DAY: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `PERCENT[:SOAK[:MIN_SUCCESS]]`: soak and health gate default to 0.
pub fn parse_phase(text: &str) -> Result<Phase, Failure> {
    let bad = |why: &str| {
        Failure::usage(format!(
            "--phase {text:?}: {why} (PERCENT[:SOAK[:MIN_SUCCESS]], e.g. 10:1h:95)"
        ))
    };
    let mut parts = text.trim().split(':');
    let percent = parts
        .next()
        .unwrap_or_default()
        .trim()
        .trim_end_matches('%')
        .parse::<u32>()
        .map_err(|_| bad("the percent is a whole number from 1 to 100"))?;
    let soak_seconds = match parts.next().filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_duration(s)
            .map_err(|_| bad("the soak is a duration such as 30m, 2h or 0"))?
            .as_secs(),
        None => 0,
    };
    let min_success_percent = match parts.next().filter(|s| !s.trim().is_empty()) {
        Some(s) => s
            .trim()
            .trim_end_matches('%')
            .parse::<u32>()
            .map_err(|_| bad("the health gate is a whole percent from 0 to 100"))?,
        None => 0,
    };
    if parts.next().is_some() {
        return Err(bad("at most three parts"));
    }
    Ok(Phase {
        percent,
        soak_seconds,
        min_success_percent,
    })
}

/// The phases of airlift-core's preset `name` (the app's wizard offers the same).
pub fn preset_phases(name: &str) -> Result<Vec<Phase>, Failure> {
    phases::preset(name).map(|p| p.phases).ok_or_else(|| {
        let names: Vec<&str> = phases::presets().iter().map(|p| p.name).collect();
        Failure::usage(format!(
            "--preset {name:?} is not a preset; use one of: {}",
            names.join(", ")
        ))
    })
}

/// Sets `req`'s phases (from --preset or --phase), `min_devices`, `start_at`, `maintenance_window` and `retry` from the
/// flags that were given.
pub fn apply(plan: &PlanArgs, req: &mut CreateRollout) -> Result<(), Failure> {
    // clap keeps --preset apart from --phase and --canary-percent and checks the name.
    if let Some(name) = &plan.preset {
        req.phases = Some(preset_phases(name)?);
    }
    if !plan.phases.is_empty() {
        req.phases = Some(
            plan.phases
                .iter()
                .map(|p| parse_phase(p))
                .collect::<Result<_, _>>()?,
        );
    }
    req.min_devices = plan.min_devices;
    req.start_at = plan.start_at.clone();
    // clap requires the end and the zone with the start; the days default to every day.
    if let (Some(start), Some(end), Some(zone)) =
        (&plan.window_start, &plan.window_end, &plan.window_timezone)
    {
        let days = if plan.window_days.is_empty() {
            EVERY_DAY.iter().map(|d| (*d).to_owned()).collect()
        } else {
            plan.window_days
                .iter()
                .map(|d| d.trim().to_ascii_lowercase())
                .collect()
        };
        req.maintenance_window = Some(MaintenanceWindow {
            timezone: zone.clone(),
            days,
            start: start.clone(),
            end: end.clone(),
        });
    }
    if let (Some(max_attempts), Some(backoff)) = (plan.retry_attempts, &plan.retry_backoff) {
        let backoff_seconds = parse_duration(backoff)
            .map_err(|_| {
                Failure::usage(format!(
                    "--retry-backoff {backoff:?} is not a duration: use 30s, 5m or 1h"
                ))
            })?
            .as_secs();
        req.retry = Some(RetryPolicy {
            max_attempts,
            backoff_seconds,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_is_airlift_cores_and_an_unknown_one_names_the_others() {
        let phases = preset_phases("1-10-50-100").unwrap();
        assert_eq!(
            phases,
            phases::preset("1-10-50-100").unwrap().phases,
            "the one list"
        );
        assert_eq!(phases.len(), 4);
        let message = preset_phases("1-10-100").unwrap_err().message();
        assert!(
            message.contains("1-10-50-100, canary-then-everyone"),
            "{message}"
        );
    }

    #[test]
    fn phases_read_percent_soak_and_gate() {
        let p = |percent, soak_seconds, min_success_percent| Phase {
            percent,
            soak_seconds,
            min_success_percent,
        };
        assert_eq!(parse_phase("10:1h:95").unwrap(), p(10, 3600, 95));
        assert_eq!(parse_phase("50%:30m").unwrap(), p(50, 1800, 0));
        assert_eq!(parse_phase("100").unwrap(), p(100, 0, 0));
        assert_eq!(parse_phase("1::90").unwrap(), p(1, 0, 90));
        for (bad, words) in [
            ("ten", "the percent"),
            ("10:soon", "the soak"),
            ("10:1h:most", "the health gate"),
            ("10:1h:95:x", "three parts"),
            ("-5", "the percent"),
        ] {
            let message = parse_phase(bad).unwrap_err().message();
            assert!(message.contains(words), "{bad}: {message}");
            assert!(message.contains("10:1h:95"), "{bad}: shows the form");
        }
    }
}
