//! Request budgets per credential (the spec: "the budget is per device token and per user
//! token, so one flooding device slows no other"), over `governor`'s keyed GCRA limiter.
//!
//! A request carrying a bearer token spends from that token's own budget: device tokens
//! (`adt_...`) from the device budget (`--device-rate-limit`, `--device-rate-burst`), every
//! other token (user JWTs, API tokens) from the user budget. Over budget is 429
//! RESOURCE_EXHAUSTED with `Retry-After`, decided before the token is even looked up, so a
//! flood costs no database read. Requests without a token (health, signed download URLs,
//! which are their own credential) are not counted here. The limiter keys on a keyed 64-bit
//! hash of the token, never the token itself, and forgets idle tokens every minute.

use std::hash::BuildHasher as _;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use airlift_core::error::ApiError;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::device_token;
use crate::error::AppError;

/// How many requests a token may make: `per_second` sustained, `burst` at once. A
/// `per_second` of 0 turns the budget off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub per_second: u32,
    pub burst: u32,
}

struct Limiter {
    budget: Budget,
    tokens: DefaultKeyedRateLimiter<u64>,
}

impl Limiter {
    fn new(budget: Budget) -> Option<Self> {
        let rate = NonZeroU32::new(budget.per_second)?;
        let burst = NonZeroU32::new(budget.burst).unwrap_or(rate);
        Some(Self {
            budget,
            tokens: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
        })
    }
}

/// The device and user budgets, shared by every request (cheap to clone).
#[derive(Clone)]
pub struct RateLimits {
    devices: Option<Arc<Limiter>>,
    users: Option<Arc<Limiter>>,
    /// Keys the token hash with a per-process secret (no token is kept, nor its plain hash).
    hasher: std::collections::hash_map::RandomState,
    clock: DefaultClock,
}

impl RateLimits {
    pub fn new(devices: Budget, users: Budget) -> Self {
        Self {
            devices: Limiter::new(devices).map(Arc::new),
            users: Limiter::new(users).map(Arc::new),
            hasher: Default::default(),
            clock: DefaultClock::default(),
        }
    }

    /// Spends one request of `token`'s budget; how long to wait when it has none left.
    fn spend(&self, token: &str) -> Result<(), (Duration, Budget)> {
        let limiter = if token.starts_with(device_token::PREFIX) {
            &self.devices
        } else {
            &self.users
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        let key = self.hasher.hash_one(token);
        limiter
            .tokens
            .check_key(&key)
            .map_err(|not_until| (not_until.wait_time_from(self.clock.now()), limiter.budget))
    }

    /// Forgets tokens whose budget is full again (idle ones), every minute, so memory follows
    /// the active tokens rather than every token ever seen.
    pub async fn forget_idle_periodically(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for limiter in [&self.devices, &self.users].into_iter().flatten() {
                limiter.tokens.retain_recent();
                limiter.tokens.shrink_to_fit();
            }
        }
    }
}

/// The middleware: a request over its token's budget is answered 429 with `Retry-After`.
pub async fn layer(State(limits): State<RateLimits>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return next.run(req).await;
    };
    match limits.spend(token) {
        Ok(()) => next.run(req).await,
        Err((wait, budget)) => too_many(wait, budget),
    }
}

fn too_many(wait: Duration, budget: Budget) -> Response {
    // Whole seconds, rounded up: a client that waits that long finds budget again.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut response = AppError::from(ApiError::resource_exhausted(format!(
        "too many requests with this token (at most {} a second, {} at once); retry in {secs} s",
        budget.per_second, budget.burst
    )))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(RETRY_AFTER, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_has_its_own_budget() {
        let limits = RateLimits::new(
            Budget {
                per_second: 1,
                burst: 3,
            },
            Budget {
                per_second: 1,
                burst: 2,
            },
        );
        for _ in 0..3 {
            assert!(limits.spend("adt_flood").is_ok());
        }
        let (wait, budget) = limits.spend("adt_flood").unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert_eq!(budget.burst, 3);
        assert!(
            limits.spend("adt_quiet").is_ok(),
            "another device is not slowed"
        );
        assert!(limits.spend("eyJ.user").is_ok());
        assert!(limits.spend("eyJ.user").is_ok());
        assert_eq!(
            limits.spend("eyJ.user").unwrap_err().1.burst,
            2,
            "the user budget"
        );
    }

    #[test]
    fn a_zero_rate_turns_a_budget_off() {
        let limits = RateLimits::new(
            Budget {
                per_second: 0,
                burst: 1,
            },
            Budget {
                per_second: 1,
                burst: 1,
            },
        );
        for _ in 0..100 {
            assert!(limits.spend("adt_any").is_ok());
        }
    }
}
