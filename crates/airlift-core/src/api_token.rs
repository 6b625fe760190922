//! API tokens' lifetime rule, once: the server applies it when an admin creates a token, the
//! desktop app offers the same choices.

use crate::error::ApiError;

/// A token created without an expiry lives this long.
pub const DEFAULT_LIFETIME_DAYS: u32 = 90;
/// No token lives longer: a forgotten token must die by itself.
pub const MAX_LIFETIME_DAYS: u32 = 365;

const DAY: i64 = 86_400;

/// The expiry (unix seconds) of a token created at `now`: `expires_in_days` from now, or the
/// instant `expires_at` (unix seconds), or the default. Both given, an expiry in the past, or
/// one beyond [`MAX_LIFETIME_DAYS`] is INVALID_ARGUMENT naming the field.
pub fn expiry(
    now: i64,
    expires_in_days: Option<u32>,
    expires_at: Option<i64>,
) -> Result<i64, ApiError> {
    let latest = now + i64::from(MAX_LIFETIME_DAYS) * DAY;
    match (expires_in_days, expires_at) {
        (Some(_), Some(_)) => Err(ApiError::invalid_argument(
            "give either expires_in_days or expires_at, not both",
        )),
        (Some(days), None) => {
            if days == 0 || days > MAX_LIFETIME_DAYS {
                return Err(ApiError::invalid_argument(format!(
                    "expires_in_days must be between 1 and {MAX_LIFETIME_DAYS}, got {days}"
                )));
            }
            Ok(now + i64::from(days) * DAY)
        }
        (None, Some(at)) => {
            if at <= now {
                return Err(ApiError::invalid_argument(
                    "expires_at must be in the future",
                ));
            }
            if at > latest {
                return Err(ApiError::invalid_argument(format!(
                    "expires_at must be at most {MAX_LIFETIME_DAYS} days from now"
                )));
            }
            Ok(at)
        }
        (None, None) => Ok(now + i64::from(DEFAULT_LIFETIME_DAYS) * DAY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn days_an_instant_or_the_default() {
        assert_eq!(expiry(1000, Some(1), None), Ok(1000 + DAY));
        assert_eq!(expiry(1000, None, Some(1005)), Ok(1005));
        assert_eq!(
            expiry(1000, None, None),
            Ok(1000 + i64::from(DEFAULT_LIFETIME_DAYS) * DAY)
        );
        assert_eq!(
            expiry(0, Some(MAX_LIFETIME_DAYS), None),
            Ok(i64::from(MAX_LIFETIME_DAYS) * DAY)
        );
    }

    #[test]
    fn refusals_name_the_field() {
        for (days, at, field) in [
            (Some(0), None, "expires_in_days"),
            (Some(MAX_LIFETIME_DAYS + 1), None, "expires_in_days"),
            (None, Some(1000), "expires_at"),
            (None, Some(999), "expires_at"),
            (
                None,
                Some(1000 + i64::from(MAX_LIFETIME_DAYS) * DAY + 1),
                "expires_at",
            ),
            (Some(1), Some(2000), "expires_at"),
        ] {
            let e = expiry(1000, days, at).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument);
            assert!(e.message.contains(field), "{}", e.message);
        }
    }
}
