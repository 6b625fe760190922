//! Per-device retries with exponential backoff (spec, Milestone 2: `retry`): a device whose
//! attempt failed is told again after `backoff_seconds × 2^(attempt-1)`, and counts as failed
//! only when its last attempt fails. [`decide`] is the rule the engine applies to a failure
//! report: record it as the device's verdict, or keep the device in progress and tell it
//! again later (so a retried failure is never counted, and never auto-pauses).

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::install_status::ReportOutcome;

/// `retry`: how many attempts a device gets in all, and the first backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retry).
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles for each further one.
    pub backoff_seconds: u64,
}

/// At most this many attempts per device.
pub const MAX_ATTEMPTS: u32 = 10;
/// The longest first backoff (a day).
pub const MAX_BACKOFF_SECONDS: u64 = 24 * 3600;

impl RetryPolicy {
    /// 1 to [`MAX_ATTEMPTS`] attempts, a first backoff of 1 s to a day.
    pub fn validate(&self) -> Result<(), ApiError> {
        if !(1..=MAX_ATTEMPTS).contains(&self.max_attempts) {
            return Err(ApiError::invalid_argument(format!(
                "retry.max_attempts must be between 1 and {MAX_ATTEMPTS}, got {}",
                self.max_attempts
            )));
        }
        if !(1..=MAX_BACKOFF_SECONDS).contains(&self.backoff_seconds) {
            return Err(ApiError::invalid_argument(format!(
                "retry.backoff_seconds must be between 1 and {MAX_BACKOFF_SECONDS}, got {}",
                self.backoff_seconds
            )));
        }
        Ok(())
    }

    /// After attempt `attempt` (1-based) failed: the wait before the next one, or `None`
    /// when it was the last. `backoff × 2^(attempt-1)`, saturating.
    pub fn backoff_after(&self, attempt: u32) -> Option<u64> {
        if attempt == 0 || attempt >= self.max_attempts {
            return None;
        }
        let doubling = 1u64.checked_shl(attempt - 1).unwrap_or(u64::MAX);
        Some(self.backoff_seconds.saturating_mul(doubling))
    }
}

/// What a classified report does to a device on its `attempt`-th attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Record the report as it is (a success, progress, or the last attempt's failure).
    Record(ReportOutcome),
    /// The attempt failed and another follows: the device stays in progress (no verdict) and
    /// is told again in `after_seconds`, as attempt `next_attempt`.
    RetryLater {
        after_seconds: u64,
        next_attempt: u32,
    },
}

/// The rule: only a failure with attempts left is turned into a retry.
pub fn decide(policy: Option<RetryPolicy>, outcome: ReportOutcome, attempt: u32) -> RetryDecision {
    let Some(policy) = policy else {
        return RetryDecision::Record(outcome);
    };
    match (outcome, policy.backoff_after(attempt)) {
        (ReportOutcome::Failed, Some(after_seconds)) => RetryDecision::RetryLater {
            after_seconds,
            next_attempt: attempt + 1,
        },
        _ => RetryDecision::Record(outcome),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        backoff_seconds: 30,
    };

    #[test]
    fn backoff_doubles_until_the_last_attempt() {
        assert_eq!(P.backoff_after(1), Some(30));
        assert_eq!(P.backoff_after(2), Some(60));
        assert_eq!(P.backoff_after(3), Some(120));
        assert_eq!(P.backoff_after(4), None, "the 4th was the last");
        assert_eq!(P.backoff_after(0), None);
        let long = RetryPolicy {
            max_attempts: MAX_ATTEMPTS,
            backoff_seconds: MAX_BACKOFF_SECONDS,
        };
        assert_eq!(long.backoff_after(9), Some(MAX_BACKOFF_SECONDS * 256));
        let huge = RetryPolicy {
            max_attempts: u32::MAX,
            backoff_seconds: u64::MAX,
        };
        assert_eq!(huge.backoff_after(70), Some(u64::MAX), "saturates");
    }

    #[test]
    fn only_a_failure_with_attempts_left_is_retried() {
        use ReportOutcome::*;
        assert_eq!(
            decide(Some(P), Failed, 1),
            RetryDecision::RetryLater {
                after_seconds: 30,
                next_attempt: 2
            }
        );
        assert_eq!(decide(Some(P), Failed, 4), RetryDecision::Record(Failed));
        assert_eq!(decide(None, Failed, 1), RetryDecision::Record(Failed));
        for o in [Succeeded, Progress, Observed] {
            assert_eq!(decide(Some(P), o, 1), RetryDecision::Record(o));
        }
    }

    #[test]
    fn policies_are_bounded_with_the_field_named() {
        assert!(P.validate().is_ok());
        let e = RetryPolicy {
            max_attempts: 0,
            ..P
        }
        .validate()
        .unwrap_err();
        assert!(e.message.contains("retry.max_attempts"), "{}", e.message);
        let e = RetryPolicy {
            backoff_seconds: 0,
            ..P
        }
        .validate()
        .unwrap_err();
        assert!(e.message.contains("retry.backoff_seconds"), "{}", e.message);
    }
}
