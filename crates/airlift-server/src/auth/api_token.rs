//! API tokens: made by an admin with a role and an expiry, for pipelines and people who should
//! not hold an `airliftd token` JWT.
//!
//! The token is `aat_` + a JWT of this deployment whose `jti` is the token's id: the prefix
//! makes a leaked token recognisable to secret scanners, the JWT lets a client read its role and
//! tenant as it does any user token. The server trusts it only while its row agrees: the row
//! keeps the token's SHA-256 (never the token), compared in constant time, and its revocation.
//! The row is read on every request, so a revocation holds at once on every server of the
//! deployment.

use airlift_core::error::ApiError;
use subtle::ConstantTimeEq as _;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::jwt::{Claims, JwtKeys, ISSUER};
use crate::error::AppError;
use crate::store::ApiTokenRecord;

/// The prefix of every API token.
pub const PREFIX: &str = "aat_";

/// `last_used_at` is written at most this often per token (seconds): a pipeline's every call
/// must not be a database write.
const TOUCH_EVERY_SECS: i64 = 60;

/// The token string for `record` (whose `token_hash` is then [`hash`] of it).
pub fn mint(
    keys: &JwtKeys,
    record: &ApiTokenRecord,
    tenant_name: &str,
    iat: i64,
    exp: i64,
) -> anyhow::Result<String> {
    let claims = Claims {
        iss: ISSUER.to_owned(),
        sub: subject(&record.id),
        tid: record.tenant_id.clone(),
        tenant: tenant_name.to_owned(),
        role: record.role,
        iat,
        exp,
        jti: Some(record.id.clone()),
    };
    Ok(format!("{PREFIX}{}", keys.sign(&claims)?))
}

/// Who acts when a request carries the token (recorded with rollout transitions).
pub fn subject(id: &str) -> String {
    format!("api-token:{id}")
}

/// What the database keeps: hex SHA-256 of the whole token string.
pub fn hash(token: &str) -> String {
    crate::hashing::sha256_hex(token.as_bytes())
}

/// Whether `presented` (the whole bearer token) is the live token of `row`: the same hash
/// (compared in constant time) and not revoked. The expiry is the JWT's, checked before.
pub fn check(presented: &str, row: Option<&ApiTokenRecord>) -> Result<(), AppError> {
    let refused = || AppError::from(ApiError::unauthenticated("invalid token"));
    let row = row.ok_or_else(refused)?;
    let same: bool = hash(presented)
        .as_bytes()
        .ct_eq(row.token_hash.as_bytes())
        .into();
    if !same {
        return Err(refused());
    }
    if row.revoked_at.is_some() {
        return Err(ApiError::unauthenticated("this API token has been revoked").into());
    }
    Ok(())
}

/// Whether a use at `now` (unix seconds) should be written as `last_used_at`.
pub fn needs_touch(last_used_at: Option<&str>, now: i64) -> bool {
    match last_used_at.and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok()) {
        Some(at) => now - at.unix_timestamp() >= TOUCH_EVERY_SECS,
        None => true,
    }
}

/// Unix seconds as RFC 3339 UTC.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlift_core::role::Role;

    fn row(token: &str) -> ApiTokenRecord {
        ApiTokenRecord {
            id: "tok_1".into(),
            tenant_id: "ten_1".into(),
            name: "ci".into(),
            role: Role::ReleaseManager,
            token_hash: hash(token),
            created_at: "2026-01-01T00:00:00Z".into(),
            expires_at: "2026-02-01T00:00:00Z".into(),
            last_used_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn a_token_is_live_only_while_its_row_agrees() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let mut r = row("");
        let token = mint(&keys, &r, "acme", 0, i64::MAX / 2).unwrap();
        assert!(token.starts_with(PREFIX));
        r.token_hash = hash(&token);
        assert!(check(&token, Some(&r)).is_ok());
        assert!(check(&token, None).is_err(), "no row: refused");
        assert!(check(&format!("{token}x"), Some(&r)).is_err(), "other hash");
        r.revoked_at = Some("2026-01-02T00:00:00Z".into());
        assert!(check(&token, Some(&r)).is_err(), "revoked");
    }

    #[test]
    fn uses_are_written_once_a_minute() {
        assert!(needs_touch(None, 0));
        let t = OffsetDateTime::parse("2026-01-01T00:00:00Z", &Rfc3339)
            .unwrap()
            .unix_timestamp();
        assert!(!needs_touch(Some("2026-01-01T00:00:00Z"), t + 59));
        assert!(needs_touch(Some("2026-01-01T00:00:00Z"), t + 60));
        assert!(needs_touch(Some("garbage"), t));
        assert_eq!(rfc3339(t), "2026-01-01T00:00:00Z");
    }
}
