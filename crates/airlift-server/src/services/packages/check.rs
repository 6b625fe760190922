//! The checks a fetched artifact must pass before its package exists: size, SHA-256, and the
//! signature against the tenant's active signing keys.

use airlift_core::error::ApiError;
use airlift_core::package::Sha256Hex;
use airlift_core::signing::PublicKey;

use super::fetch::Fetched;
use super::PackageInput;
use crate::error::AppResult;
use crate::store::CatalogStore;

/// The tenant's unrevoked keys that parse (a stored key that does not is logged and skipped).
/// INVALID_ARGUMENT when none is left: a signature could not be verified at all.
pub async fn active_keys(
    store: &dyn CatalogStore,
    tenant_id: &str,
) -> AppResult<Vec<(String, PublicKey)>> {
    let mut out = Vec::new();
    for k in store.list_signing_keys(tenant_id).await? {
        if k.revoked_at.is_some() {
            continue;
        }
        match PublicKey::from_pem(k.algorithm, &k.public_key_pem) {
            Ok(key) => out.push((k.id, key)),
            Err(e) => tracing::error!(key = %k.id, error = %e, "stored signing key does not parse"),
        }
    }
    if out.is_empty() {
        return Err(ApiError::invalid_argument(
            "the signature cannot be verified: the tenant has no active signing keys",
        )
        .into());
    }
    Ok(out)
}

/// Size, checksum and signature of the fetched bytes. Returns the key that verified the
/// signature, if one was given.
pub fn check(
    fetched: &Fetched,
    v: &PackageInput,
    keys: &[(String, PublicKey)],
) -> Result<Option<String>, ApiError> {
    if fetched.size != v.size_bytes {
        return Err(ApiError::invalid_argument(format!(
            "size mismatch: the artifact is {} bytes, size_bytes says {}",
            fetched.size, v.size_bytes
        )));
    }
    let computed = Sha256Hex::from_digest(&fetched.digest);
    if computed != v.sha256 {
        return Err(ApiError::invalid_argument(format!(
            "checksum mismatch: the artifact's SHA-256 is {}, sha256 says {}",
            computed.as_str(),
            v.sha256.as_str()
        )));
    }
    let Some(signature) = &v.signature else {
        return Ok(None);
    };
    keys.iter()
        .find(|(_, key)| key.verify_digest(&fetched.digest, signature).is_ok())
        .map(|(id, _)| Some(id.clone()))
        .ok_or_else(|| {
            ApiError::invalid_argument(
                "signature does not verify over the artifact's SHA-256 with any of the tenant's active signing keys",
            )
        })
}
