//! The numeric rules of a rollout: when to auto-pause, how big a canary slice is, and which
//! percentages are acceptable.
//!
//! All integer arithmetic in `u128`, so no input can overflow and no float rounding can move a
//! decision across the threshold (with floats, 10% of 20 can come out as 2.0000000000000004).

use crate::error::ApiError;

/// The spec's auto-pause rule: `failed / scheduled × 100 > threshold`, i.e. strictly above.
///
/// Computed as `failed × 100 > threshold × scheduled`. With threshold 10 and 20 scheduled,
/// 2 failures (10%) keep the rollout active and the 3rd (15%) pauses it. Nothing scheduled
/// means nothing can have failed yet, so it never pauses.
pub fn should_auto_pause(failed: u64, scheduled: u64, threshold_percent: u32) -> bool {
    scheduled > 0
        && u128::from(failed) * 100 > u128::from(threshold_percent) * u128::from(scheduled)
}

/// `min_devices` (as AWS IoT Jobs' abort criteria have it): the failure threshold applies only
/// once at least that many devices of the slice have a verdict (succeeded, failed or timed
/// out), so one early failure in a big slice does not pause it. 0 applies it from the first.
pub fn threshold_applies(verdicts: u64, min_devices: u64) -> bool {
    verdicts >= min_devices
}

/// How many of `eligible` devices a `percent` slice covers: `ceil(percent × eligible / 100)`,
/// capped at `eligible`.
///
/// Ceiling, so that any positive percentage of a non-empty fleet schedules at least one device
/// (5% of 240 is 12; 5% of 10 is 1, not 0). The cap only matters for out-of-range percentages.
pub fn canary_slice(eligible: u64, percent: u32) -> u64 {
    let wanted = (u128::from(percent) * u128::from(eligible)).div_ceil(100);
    // `wanted` exceeds `eligible` only when percent > 100; the min keeps it in u64 range.
    u64::try_from(wanted.min(u128::from(eligible))).unwrap_or(eligible)
}

/// A percentage field must lie in `min..=100`; the error names the field and the value.
pub fn validate_percent(field: &str, v: u32, min: u32) -> Result<(), ApiError> {
    if v < min || v > 100 {
        return Err(ApiError::invalid_argument(format!(
            "{field} must be between {min} and 100, got {v}"
        )));
    }
    Ok(())
}
