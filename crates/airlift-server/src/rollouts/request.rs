//! A create/preview request, checked: one target form, percentages in range, strategy
//! defaults applied; and the request a retry of a completed rollout's failed devices makes.

use airlift_core::error::ApiError;
use airlift_core::policy::validate_percent;
use airlift_core::wire::{CreateRollout, RetryFailedRollout, RolloutStrategy};

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
}

pub fn validate(body: CreateRollout, default_timeout: u64) -> Result<RolloutRequest, ApiError> {
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
    let strategy = body.strategy.unwrap_or_default();
    validate_percent(
        "failure_threshold_percent",
        body.failure_threshold_percent,
        0,
    )?;
    let (canary_percent, batch_percent, min_batch) = match strategy {
        RolloutStrategy::Canary => {
            let c = body.canary_percent.ok_or_else(|| {
                ApiError::invalid_argument("canary_percent is required for a canary rollout")
            })?;
            (c, None, None)
        }
        RolloutStrategy::AllAtOnce => {
            if let Some(c) = body.canary_percent.filter(|c| *c != 100) {
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
            (body.canary_percent.unwrap_or(b), Some(b), Some(m))
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
    })
}
