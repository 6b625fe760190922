//! Retrying transient failures (no answer, 5xx, 429) with a short exponential backoff.

use std::future::Future;
use std::time::Duration;

use crate::http::CallError;

/// Attempts per call before giving up.
pub const ATTEMPTS: u32 = 6;

/// Runs `f` until it succeeds, fails permanently, or `ATTEMPTS` transient failures happened.
pub async fn retry<T, F, Fut>(mut f: F) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    let mut delay = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match f().await {
            Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
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
            })
        })
        .await;
        assert!(r.is_err());
        assert_eq!(m.load(Ordering::SeqCst), 1);
    }
}
