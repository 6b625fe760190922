//! The checks a fetched artifact must pass before its package exists: size, SHA-256, and the
//! signature against the tenant's active signing keys.

use airlift_core::error::ApiError;
use airlift_core::package::Sha256Hex;
use airlift_core::signing::PublicKey;

use super::fetch::Fetched;
use super::ArtifactInput;
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

/// What a signature of a FILE package is checked over.
pub const OVER_ARTIFACT: &str = "the artifact's SHA-256";
/// What a signature of a JSON or URL_LIST package is checked over.
pub const OVER_PAYLOAD: &str = "the SHA-256 of the payload's canonical JSON (RFC 8785)";

/// Size, checksum and signature of a FILE package's fetched bytes. Returns the key that
/// verified the signature, if one was given.
pub fn check(
    fetched: &Fetched,
    artifact: &ArtifactInput,
    signature: Option<&str>,
    keys: &[(String, PublicKey)],
) -> Result<Option<String>, ApiError> {
    check_bytes(
        fetched,
        &artifact.sha256,
        artifact.size_bytes,
        "the artifact",
    )?;
    check_signature(&fetched.digest, signature, keys, OVER_ARTIFACT)
}

/// The fetched bytes are `size_bytes` long and hash to `sha256`; `what` names them in errors
/// ("the artifact", "the file").
pub fn check_bytes(
    fetched: &Fetched,
    sha256: &Sha256Hex,
    size_bytes: u64,
    what: &str,
) -> Result<(), ApiError> {
    if fetched.size != size_bytes {
        return Err(ApiError::invalid_argument(format!(
            "size mismatch: {what} is {} bytes, size_bytes says {size_bytes}",
            fetched.size
        )));
    }
    let computed = Sha256Hex::from_digest(&fetched.digest);
    if &computed != sha256 {
        return Err(ApiError::invalid_argument(format!(
            "checksum mismatch: {what}'s SHA-256 is {}, sha256 says {}",
            computed.as_str(),
            sha256.as_str()
        )));
    }
    Ok(())
}

/// The key among `keys` whose signature over `digest` verifies (`over` names what the digest is
/// of, in the error); `None` when no signature was given.
pub fn check_signature(
    digest: &[u8; 32],
    signature: Option<&str>,
    keys: &[(String, PublicKey)],
    over: &str,
) -> Result<Option<String>, ApiError> {
    let Some(signature) = signature else {
        return Ok(None);
    };
    keys.iter()
        .find(|(_, key)| key.verify_digest(digest, signature).is_ok())
        .map(|(id, _)| Some(id.clone()))
        .ok_or_else(|| {
            ApiError::invalid_argument(format!(
                "signature does not verify over {over} with any of the tenant's active signing keys"
            ))
        })
}
