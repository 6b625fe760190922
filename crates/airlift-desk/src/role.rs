//! What the connection's token lets its holder do and which tenant it speaks for, read from the
//! JWT's `role` and `tid` claims.
//!
//! The server decides every request (a support token gets 403 on a write); the desk only reads
//! the claim so the UI can disable what would be refused and say why, before anyone clicks.
//! The signature is not checked here: the desk does not hold the server's key, and a forged
//! claim would only enable buttons that the server still refuses.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

use crate::secret::Secret;

pub use airlift_core::role::Role;

#[derive(Deserialize)]
struct Claims {
    role: Role,
}

#[derive(Deserialize)]
struct TenantClaim {
    tid: String,
}

/// The token's JSON claims, or `None` when it is not a JWT whose payload is JSON.
fn claims<T: serde::de::DeserializeOwned>(token: &Secret) -> Option<T> {
    let payload = token.expose().split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<T>(&bytes).ok()
}

/// The `role` claim of a JWT, or `None` when the token is not a JWT the desk can read (an
/// opaque token, or one from a newer server with another role): then the UI offers the actions
/// and the server's answer decides.
pub fn role_of(token: &Secret) -> Option<Role> {
    claims::<Claims>(token).map(|c| c.role)
}

/// The tenant id (`tid` claim) the token speaks for, or `None` when the token cannot be read.
/// Cached data is keyed by it ([`crate::cache::location::cache_file`]), so a token whose tenant
/// is unknown must get no cached data at all: never another tenant's.
pub fn tenant_of(token: &Secret) -> Option<String> {
    claims::<TenantClaim>(token)
        .map(|c| c.tid)
        .filter(|tid| !tid.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> Secret {
        let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
        Secret::new(format!(
            "{}.{}.c2lnbmF0dXJl",
            enc(r#"{"alg":"HS256","typ":"JWT"}"#),
            enc(claims)
        ))
    }

    #[test]
    fn reads_each_role() {
        for (text, role) in [
            ("admin", Role::Admin),
            ("release-manager", Role::ReleaseManager),
            ("support", Role::Support),
        ] {
            let token = jwt(&format!(
                r#"{{"sub":"a","tid":"t","role":"{text}","exp":1}}"#
            ));
            assert_eq!(role_of(&token), Some(role));
        }
        assert!(!Role::Support.can_operate_rollouts());
        assert!(Role::ReleaseManager.can_operate_rollouts());
    }

    #[test]
    fn reads_the_tenant() {
        let token = jwt(r#"{"sub":"a","tid":"t-42","tenant":"acme","role":"admin","exp":1}"#);
        assert_eq!(tenant_of(&token).as_deref(), Some("t-42"));
        assert_eq!(tenant_of(&jwt(r#"{"role":"admin"}"#)), None);
        assert_eq!(tenant_of(&jwt(r#"{"tid":"  "}"#)), None);
        assert_eq!(tenant_of(&Secret::new("garbage")), None);
        assert_eq!(tenant_of(&Secret::new("a.!!!.c")), None);
    }

    #[test]
    fn an_unreadable_token_has_no_role() {
        assert_eq!(role_of(&Secret::new("opaque-token")), None);
        assert_eq!(role_of(&Secret::new("a.!!!.c")), None);
        assert_eq!(role_of(&jwt(r#"{"role":"owner"}"#)), None);
        assert_eq!(role_of(&jwt(r#"{"sub":"no role"}"#)), None);
    }
}
