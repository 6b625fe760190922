//! A create/preview request, checked: one target form, percentages in range, strategy
//! defaults applied; and the request a retry of a completed rollout's failed devices makes.

use airlift_core::error::ApiError;
use airlift_core::maintenance_window::MaintenanceWindow;
use airlift_core::phases::{validate_phases, Phase};
use airlift_core::policy::validate_percent;
use airlift_core::retry_policy::RetryPolicy;
use airlift_core::wire::{CreateRollout, RetryFailedRollout, RolloutStrategy};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The longest per-device timeout a rollout may ask for (30 days).
pub const MAX_DEVICE_TIMEOUT_SECS: u64 = 30 * 24 * 3600;

#[derive(Debug, Clone)]
pub enum Target {
    Profile(String),
    Devices(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct RolloutRequest {
    pub package_id: String,
    pub target: Target,
    pub strategy: RolloutStrategy,
    pub canary_percent: u32,
    pub failure_threshold_percent: u32,
    pub batch_percent: Option<u32>,
    pub min_batch_success_percent: Option<u32>,
    pub rollback_package_id: Option<String>,
    pub force: bool,
    pub allow_downgrade: bool,
    pub device_timeout_seconds: u64,
    /// The completed rollout whose failed devices this one retries.
    pub retry_of: Option<String>,
    /// When a rollout created `scheduled` starts.
    pub start_at: Option<StartAt>,
    /// A phased rollout's plan (its first phase is `canary_percent`).
    pub phases: Option<Vec<Phase>>,
    /// Verdicts before the failure threshold applies.
    pub min_devices: u64,
    /// Per-device retries with exponential backoff.
    pub retry: Option<RetryPolicy>,
    /// Devices are told to start only inside it.
    pub maintenance_window: Option<MaintenanceWindow>,
}

/// The largest `min_devices` accepted (more devices than any fleet holds is a typo).
pub const MAX_MIN_DEVICES: u64 = 100_000_000;

/// A start time as asked (RFC 3339) and in Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartAt {
    pub rfc3339: String,
    pub unix: i64,
}

/// The longest a rollout may wait for its start (a year): further out is surely a typo.
pub const MAX_START_DELAY_SECS: i64 = 366 * 24 * 3600;

/// `start_at`: RFC 3339, after `now_unix` and at most [`MAX_START_DELAY_SECS`] ahead.
fn start_at(s: &str, now_unix: i64) -> Result<StartAt, ApiError> {
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|_| {
        ApiError::invalid_argument(format!(
            "start_at must be an RFC 3339 time such as 2026-12-24T02:00:00Z, got {s:?}"
        ))
    })?;
    let unix = t.unix_timestamp();
    if unix <= now_unix {
        return Err(ApiError::invalid_argument(format!(
            "start_at must be in the future; {s} has passed (leave start_at out to start now)"
        )));
    }
    if unix - now_unix > MAX_START_DELAY_SECS {
        return Err(ApiError::invalid_argument(format!(
            "start_at must be within a year from now, got {s}"
        )));
    }
    let utc = t.to_offset(time::UtcOffset::UTC);
    Ok(StartAt {
        rfc3339: utc.format(&Rfc3339).unwrap_or_else(|_| s.to_owned()),
        unix,
    })
}

pub fn validate(
    body: CreateRollout,
    default_timeout: u64,
    now_unix: i64,
) -> Result<RolloutRequest, ApiError> {
    let start_at = body
        .start_at
        .as_deref()
        .map(|s| start_at(s, now_unix))
        .transpose()?;
    let package_id = body.package_id.trim().to_owned();
    if package_id.is_empty() {
        return Err(ApiError::invalid_argument("package_id must not be empty"));
    }
    let target = match (body.target_profile_id, body.device_ids) {
        (Some(p), None) if !p.trim().is_empty() => Target::Profile(p.trim().to_owned()),
        (None, Some(ids)) => {
            if ids.is_empty() || ids.len() > 100_000 {
                return Err(ApiError::invalid_argument(
                    "device_ids must list 1 to 100000 devices",
                ));
            }
            let mut seen = std::collections::HashSet::new();
            for id in &ids {
                if !seen.insert(id.as_str()) {
                    return Err(ApiError::invalid_argument(format!(
                        "device_ids lists {id:?} more than once"
                    )));
                }
            }
            Target::Devices(ids)
        }
        _ => {
            return Err(ApiError::invalid_argument(
                "exactly one of target_profile_id and device_ids is required",
            ))
        }
    };
    let min_devices = body.min_devices.unwrap_or(0);
    if min_devices > MAX_MIN_DEVICES {
        return Err(ApiError::invalid_argument(format!(
            "min_devices must be at most {MAX_MIN_DEVICES}, got {min_devices}"
        )));
    }
    if let Some(retry) = &body.retry {
        retry.validate()?;
    }
    let retry = body.retry;
    if let Some(w) = &body.maintenance_window {
        w.check()?;
    }
    let maintenance_window = body.maintenance_window.clone();
    let phases = body.phases.clone();
    if let Some(plan) = &phases {
        validate_phases(plan)?;
        if body.strategy.is_some_and(|s| s != RolloutStrategy::Canary) {
            return Err(ApiError::invalid_argument(
                "phases make their own batches: use them with the canary strategy (or none)",
            ));
        }
        if let Some(c) = body.canary_percent.filter(|c| *c != plan[0].percent) {
            return Err(ApiError::invalid_argument(format!(
                "a phased rollout starts with its first phase's {}%; canary_percent {c} contradicts it (leave it out)",
                plan[0].percent
            )));
        }
    }
    // A phased rollout's slice starts with its first phase.
    let canary_input = body
        .canary_percent
        .or(phases.as_ref().map(|p| p[0].percent));
    let strategy = body.strategy.unwrap_or_default();
    validate_percent(
        "failure_threshold_percent",
        body.failure_threshold_percent,
        0,
    )?;
    let (canary_percent, batch_percent, min_batch) = match strategy {
        RolloutStrategy::Canary => {
            let c = canary_input.ok_or_else(|| {
                ApiError::invalid_argument("canary_percent is required for a canary rollout")
            })?;
            (c, None, None)
        }
        RolloutStrategy::AllAtOnce => {
            if let Some(c) = canary_input.filter(|c| *c != 100) {
                return Err(ApiError::invalid_argument(format!(
                    "an all_at_once rollout schedules 100% at once; canary_percent {c} makes no sense"
                )));
            }
            (100, None, None)
        }
        RolloutStrategy::Rolling => {
            let b = body.batch_percent.ok_or_else(|| {
                ApiError::invalid_argument("batch_percent is required for a rolling rollout")
            })?;
            validate_percent("batch_percent", b, 1)?;
            let m = body.min_batch_success_percent.unwrap_or(100);
            validate_percent("min_batch_success_percent", m, 0)?;
            (canary_input.unwrap_or(b), Some(b), Some(m))
        }
    };
    if strategy != RolloutStrategy::Rolling
        && (body.batch_percent.is_some() || body.min_batch_success_percent.is_some())
    {
        return Err(ApiError::invalid_argument(
            "batch_percent and min_batch_success_percent apply only to the rolling strategy",
        ));
    }
    validate_percent("canary_percent", canary_percent, 1)?;
    let timeout = body.device_timeout_seconds.unwrap_or(default_timeout);
    validate_timeout(timeout)?;
    Ok(RolloutRequest {
        package_id,
        target,
        strategy,
        canary_percent,
        failure_threshold_percent: body.failure_threshold_percent,
        batch_percent,
        min_batch_success_percent: min_batch,
        rollback_package_id: body
            .rollback_package_id
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        force: body.force,
        allow_downgrade: body.allow_downgrade,
        device_timeout_seconds: timeout,
        retry_of: None,
        start_at,
        phases,
        min_devices,
        retry,
        maintenance_window,
    })
}

fn validate_timeout(timeout: u64) -> Result<(), ApiError> {
    if !(1..=MAX_DEVICE_TIMEOUT_SECS).contains(&timeout) {
        return Err(ApiError::invalid_argument(format!(
            "device_timeout_seconds must be between 1 and {MAX_DEVICE_TIMEOUT_SECS}, got {timeout}"
        )));
    }
    Ok(())
}

/// What a retry takes over from the completed rollout it retries.
#[derive(Debug, Clone)]
pub struct RetrySource {
    pub rollout_id: String,
    pub package_id: String,
    pub rollback_package_id: Option<String>,
    pub failure_threshold_percent: u32,
    pub force: bool,
    pub allow_downgrade: bool,
    pub device_timeout_seconds: u64,
    /// Its failed and timed-out devices, in its scheduling order.
    pub failed_devices: Vec<String>,
}

/// `retry-failed`: the same package and rollback package over exactly the failed and timed-out
/// devices (a device-level rollout), as a canary of `canary_percent` (default 100: all of them
/// at once), with the old threshold and timeout unless the body sets them. `force` and
/// `allow_downgrade` carry over: a retry is the same decision, made again for fewer devices.
pub fn retry(source: RetrySource, body: RetryFailedRollout) -> Result<RolloutRequest, ApiError> {
    if source.failed_devices.is_empty() {
        return Err(ApiError::failed_precondition(format!(
            "rollout {} has no failed or timed-out device to retry",
            source.rollout_id
        )));
    }
    let canary_percent = body.canary_percent.unwrap_or(100);
    validate_percent("canary_percent", canary_percent, 1)?;
    let threshold = body
        .failure_threshold_percent
        .unwrap_or(source.failure_threshold_percent);
    validate_percent("failure_threshold_percent", threshold, 0)?;
    let timeout = body
        .device_timeout_seconds
        .unwrap_or(source.device_timeout_seconds);
    validate_timeout(timeout)?;
    Ok(RolloutRequest {
        package_id: source.package_id,
        target: Target::Devices(source.failed_devices),
        strategy: RolloutStrategy::Canary,
        canary_percent,
        failure_threshold_percent: threshold,
        batch_percent: None,
        min_batch_success_percent: None,
        rollback_package_id: source.rollback_package_id,
        force: source.force,
        allow_downgrade: source.allow_downgrade,
        device_timeout_seconds: timeout,
        retry_of: Some(source.rollout_id),
        start_at: None,
        phases: None,
        min_devices: 0,
        retry: None,
        maintenance_window: None,
    })
}
