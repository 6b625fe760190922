//! When a download URL expires: on aligned windows, so every poll within one window hands out
//! the same URL and a URL is signed once per object and window, not once per poll.
//!
//! With a lifetime `T`, time is cut into windows of `W = T/2` (whole seconds, at least 1); a
//! URL handed out in the window starting at `s` expires at `s + T`. A poll therefore always
//! gets a URL with between `T - W` (≥ T/2) and `T` left. A 1 s lifetime has no half-second
//! window: its URLs expire at the end of the next whole second (1 to 2 s).

use std::time::Duration;

/// One window's expiry: the same for every poll inside the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Expiry {
    /// The window's index (the cache key beside the object).
    pub window: u64,
    /// Unix seconds after which the URL is refused.
    pub expires_at: u64,
}

/// The expiry of a URL handed out at unix second `now` for lifetime `ttl`.
pub fn expiry(now: u64, ttl: Duration) -> Expiry {
    let ttl = ttl.as_secs().max(1);
    let width = (ttl / 2).max(1);
    let window = now / width;
    let start = window * width;
    // A 1 s lifetime would leave nothing of the window's last second: give it one more.
    let lifetime = if ttl < 2 { 2 } else { ttl };
    Expiry {
        window,
        expires_at: start + lifetime,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_poll_gets_at_least_half_the_lifetime_and_never_more_than_it() {
        for ttl in [2u64, 3, 7, 60, 3600, 7 * 86_400] {
            for now in 1_000_000u64..1_000_000 + 2 * ttl + 3 {
                let e = expiry(now, Duration::from_secs(ttl));
                let left = e.expires_at - now;
                assert!(left * 2 >= ttl, "ttl {ttl}, now {now}: {left}s left");
                assert!(left <= ttl, "ttl {ttl}, now {now}: {left}s left");
            }
        }
        let e = expiry(10, Duration::from_secs(1));
        assert_eq!(e.expires_at, 12);
    }

    #[test]
    fn polls_in_one_window_share_an_expiry_and_the_next_window_moves_on() {
        let ttl = Duration::from_secs(3600);
        let a = expiry(7200, ttl);
        let b = expiry(7200 + 1799, ttl);
        assert_eq!(a, b);
        let c = expiry(7200 + 1800, ttl);
        assert_ne!(a.window, c.window);
        assert_eq!(c.expires_at, a.expires_at + 1800);
    }
}
