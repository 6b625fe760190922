//! The JWTs `airliftd token` prints: each is recorded (`bootstrap_tokens`, its id the JWT's
//! `jti`) when it is made, and accepted only while its row exists, names the same tenant and is
//! not revoked. So any one of them can be revoked (`airliftd token-revoke ID`), or every
//! credential of a tenant at once (`airliftd token-revoke --all --tenant NAME`). The row is read
//! on every request, as an API token's is, so a revocation holds at once on every server of
//! the deployment; open event streams are checked again every
//! [`crate::auth::LIVE_CHECK_INTERVAL`].

use airlift_core::error::ApiError;

use super::jwt::{Claims, JwtKeys, ISSUER};
use crate::error::AppError;
use crate::store::BootstrapTokenRecord;

/// The id prefix of a recorded `airliftd token` JWT.
pub const ID_PREFIX: &str = "btk";

/// The JWT for `record` (`iat` and `exp` in unix seconds; `exp` is what `expires_at` says).
pub fn mint(
    keys: &JwtKeys,
    record: &BootstrapTokenRecord,
    tenant_name: &str,
    iat: i64,
    exp: i64,
) -> anyhow::Result<String> {
    keys.sign(&Claims {
        iss: ISSUER.to_owned(),
        sub: format!("{}@{tenant_name}", record.role),
        tid: record.tenant_id.clone(),
        tenant: tenant_name.to_owned(),
        role: record.role,
        iat,
        exp,
        jti: Some(record.id.clone()),
    })
}

/// Whether `row` (looked up by the JWT's `jti`) still vouches for a JWT of `tenant_id`.
pub fn check(row: Option<&BootstrapTokenRecord>, tenant_id: &str) -> Result<(), AppError> {
    let row = row
        .filter(|r| r.tenant_id == tenant_id)
        .ok_or_else(|| ApiError::unauthenticated("invalid token"))?;
    if row.revoked_at.is_some() {
        return Err(ApiError::unauthenticated("this token has been revoked").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlift_core::role::Role;

    fn row() -> BootstrapTokenRecord {
        BootstrapTokenRecord {
            id: "btk_1".into(),
            tenant_id: "ten_1".into(),
            role: Role::Admin,
            label: "first admin".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            expires_at: "2026-01-02T00:00:00Z".into(),
            revoked_at: None,
        }
    }

    #[test]
    fn a_jwt_is_live_only_while_its_row_of_its_tenant_is() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let r = row();
        let jwt = mint(&keys, &r, "acme", 0, i64::MAX / 2).unwrap();
        let claims = keys.verify(&jwt).unwrap();
        assert_eq!(claims.jti.as_deref(), Some("btk_1"));
        assert_eq!(claims.sub, "admin@acme");
        assert!(check(Some(&r), "ten_1").is_ok());
        assert!(check(None, "ten_1").is_err(), "no row: refused");
        assert!(check(Some(&r), "ten_2").is_err(), "another tenant's row");
        let revoked = BootstrapTokenRecord {
            revoked_at: Some("2026-01-01T01:00:00Z".into()),
            ..r
        };
        assert!(check(Some(&revoked), "ten_1").is_err(), "revoked");
    }
}
