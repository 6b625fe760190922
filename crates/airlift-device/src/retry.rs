//! Retrying transient failures (no answer, 5xx, 429) with a bounded exponential backoff; a
//! 429's `Retry-After` is waited out as told (up to [`MAX_RETRY_AFTER`]) instead, so a
//! rate-limited device comes back when its budget allows, not sooner.
//!
//! The simulator retries without jitter (its runs are reproducible by seed and its devices'
//! polls are already spread); a real fleet adds jitter, so 100,000 devices that lost the server
//! at the same moment do not come back in lockstep.

use std::future::Future;
use std::time::Duration;

use rand::SeedableRng as _;

use crate::http::CallError;

/// Attempts per call before giving up (the simulator's policy).
pub const ATTEMPTS: u32 = 6;

/// The longest `Retry-After` waited for as told; a longer one is waited for this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The wait before the next attempt after `err`: the server's `Retry-After` (bounded) where
/// it gave one, else the policy's backoff.
pub fn wait_after<R: rand::Rng>(
    policy: &Backoff,
    err: &CallError,
    attempt: u32,
    rng: &mut R,
) -> Duration {
    match err.retry_after() {
        Some(asked) => asked.min(MAX_RETRY_AFTER),
        None => policy.delay(attempt, rng),
    }
}

/// How often and how patiently a call is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Attempts in all, the first one included (at least 1).
    pub attempts: u32,
    /// The wait after the first failure; doubled after each further one.
    pub first: Duration,
    /// No wait is longer than this.
    pub max: Duration,
    /// Each wait is drawn from `[wait × (1 − jitter), wait]` ("equal jitter" at 0.5).
    pub jitter: f64,
}

impl Backoff {
    /// The simulator's: 6 attempts, 100 ms doubling up to 5 s, no jitter.
    pub const SIM: Backoff = Backoff {
        attempts: ATTEMPTS,
        first: Duration::from_millis(100),
        max: Duration::from_secs(5),
        jitter: 0.0,
    };

    /// The wait before attempt `attempt + 1` (after `attempt` failures, `attempt >= 1`).
    pub fn delay<R: rand::Rng>(&self, attempt: u32, rng: &mut R) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let base = self.first.saturating_mul(1u32 << exp).min(self.max);
        let j = self.jitter.clamp(0.0, 1.0);
        if j == 0.0 {
            return base;
        }
        base.mul_f64(1.0 - j * rng.random::<f64>())
    }
}

/// Runs `f` until it succeeds, fails permanently, or `ATTEMPTS` transient failures happened.
pub async fn retry<T, F, Fut>(f: F) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    retry_with(&Backoff::SIM, f).await
}

/// Runs `f` until it succeeds, fails permanently, or `policy.attempts` attempts failed.
pub async fn retry_with<T, F, Fut>(policy: &Backoff, mut f: F) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    let mut rng = rand_chacha::ChaCha8Rng::from_os_rng();
    let mut attempt = 1;
    loop {
        match f().await {
            Err(e) if e.is_transient() && attempt < policy.attempts => {
                tokio::time::sleep(wait_after(policy, &e, attempt, &mut rng)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn transient_errors_are_retried_permanent_ones_are_not() {
        let n = AtomicU32::new(0);
        let r = retry(|| async {
            if n.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(CallError::Transport("reset".into()))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(r, Ok(7));
        let m = AtomicU32::new(0);
        let r: Result<(), _> = retry(|| async {
            m.fetch_add(1, Ordering::SeqCst);
            Err(CallError::Status {
                status: 403,
                code: "PERMISSION_DENIED".into(),
                message: String::new(),
                retry_after_secs: None,
            })
        })
        .await;
        assert!(r.is_err());
        assert_eq!(m.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_retry_after_is_waited_as_told_and_bounded() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let limited = |secs| CallError::Status {
            status: 429,
            code: "RESOURCE_EXHAUSTED".into(),
            message: String::new(),
            retry_after_secs: Some(secs),
        };
        let b = Backoff::SIM;
        assert_eq!(
            wait_after(&b, &limited(3), 1, &mut rng),
            Duration::from_secs(3)
        );
        assert_eq!(
            wait_after(&b, &limited(86_400), 1, &mut rng),
            MAX_RETRY_AFTER
        );
        let reset = CallError::Transport("reset".into());
        assert_eq!(
            wait_after(&b, &reset, 1, &mut rng),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_jitter_only_shortens() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let b = Backoff::SIM;
        let waits: Vec<_> = (1..=7).map(|a| b.delay(a, &mut rng).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000]);
        let j = Backoff {
            jitter: 0.5,
            ..Backoff::SIM
        };
        let drawn: Vec<_> = (0..50).map(|_| j.delay(3, &mut rng)).collect();
        assert!(drawn
            .iter()
            .all(|d| d.as_millis() >= 200 && d.as_millis() <= 400));
        assert!(
            drawn.iter().any(|d| *d != drawn[0]),
            "jitter varies the wait"
        );
    }
}
