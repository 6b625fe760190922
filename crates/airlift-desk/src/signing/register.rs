//! Registering a stored key's public half with the tenant (`POST /api/v1/signing-keys`), so
//! the server and the devices accept what it signs. Only the SPKI public key is sent.

use airlift_core::wire::{CreateSigningKey, SigningKey as TenantKey};

use super::StoredKey;
use crate::client::{Client, ListParams};
use crate::error::{DeskError, DeskErrorCode};

/// The tenant's keys (public halves), revoked ones included.
pub async fn tenant_keys(client: &Client) -> Result<Vec<TenantKey>, DeskError> {
    Ok(client.signing_keys(&ListParams::default()).await?.data)
}

/// The tenant's registration of `key`, if any: the same public key, not revoked.
pub fn registration<'a>(tenant: &'a [TenantKey], key: &StoredKey) -> Option<&'a TenantKey> {
    tenant
        .iter()
        .find(|t| t.fingerprint == key.fingerprint && t.revoked_at.is_none())
}

/// Registers `key` with the tenant unless it already is (then that registration is returned, so
/// pressing "Register" twice does not make two). Registering needs the tenant's admin role: a
/// refusal says so.
pub async fn register(client: &Client, key: &StoredKey) -> Result<TenantKey, DeskError> {
    let tenant = tenant_keys(client).await?;
    if let Some(existing) = registration(&tenant, key) {
        return Ok(existing.clone());
    }
    let request = CreateSigningKey {
        name: key.name.clone(),
        algorithm: key.algorithm.as_str().to_owned(),
        public_key_pem: key.public_key_pem.clone(),
    };
    client.create_signing_key(&request).await.map_err(|err| {
        if err.code() == DeskErrorCode::PermissionDenied {
            DeskError::new(
                err.code(),
                format!(
                    "only an admin of the tenant can register signing keys; ask one to register \
                     key {} (fingerprint {}) or to give you the admin role",
                    key.name,
                    &key.fingerprint[..16.min(key.fingerprint.len())]
                ),
            )
        } else {
            err
        }
    })
}
