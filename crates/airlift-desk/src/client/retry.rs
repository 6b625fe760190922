//! Retries with bounded, jittered exponential backoff, for idempotent calls only.
//!
//! A call is retried when the server could not be reached, timed out, or answered 5xx / 429:
//! failures that say nothing about the request itself. A 4xx answer is the server's verdict and
//! is never retried. POSTs that create something are never retried at all (a lost answer does not
//! prove the create failed, and a blind retry could create it twice).

use std::time::Duration;

/// How many times, and how patiently, an idempotent call is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = never retry).
    pub max_attempts: u32,
    /// The first backoff's upper bound; each further one doubles, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The pause before retry number `retry` (1-based): "full jitter", a uniformly random time
    /// in `[0, min(max_delay, base_delay * 2^(retry-1))]`, so clients that failed together do not
    /// retry together.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(20);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        if ceiling_ms == 0 {
            return Duration::ZERO;
        }
        let mut bytes = [0u8; 8];
        // Without OS randomness, fall back to the ceiling: slower, still bounded.
        if getrandom::fill(&mut bytes).is_err() {
            return ceiling;
        }
        Duration::from_millis(u64::from_le_bytes(bytes) % (ceiling_ms + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_bounded_and_grow() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for retry in 1..=30 {
            let bound = Duration::from_millis((100u64 << (retry - 1).min(20)).min(1000));
            for _ in 0..20 {
                assert!(p.delay(retry) <= bound);
            }
        }
    }
}
