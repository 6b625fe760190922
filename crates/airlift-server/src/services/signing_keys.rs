//! A tenant's package signing keys (public halves only): whoever registers keys decides what
//! firmware the fleet will trust.

use airlift_core::error::ApiError;
use airlift_core::signing::{PublicKey, SigningAlgorithm};
use airlift_core::wire::CreateSigningKey;

use super::text::required_text;
use crate::error::AppResult;
use crate::ids;
use crate::store::{CatalogStore, SigningKeyRecord};

pub async fn create(
    store: &dyn CatalogStore,
    tenant_id: &str,
    body: CreateSigningKey,
) -> AppResult<SigningKeyRecord> {
    let name = required_text("name", &body.name, 128)?;
    let algorithm: SigningAlgorithm = body.algorithm.parse()?;
    if body.public_key_pem.len() > 16 * 1024 {
        return Err(ApiError::invalid_argument("public_key_pem is too long").into());
    }
    let key = PublicKey::from_pem(algorithm, &body.public_key_pem)?;
    let record = SigningKeyRecord {
        id: ids::new_id("key"),
        tenant_id: tenant_id.to_owned(),
        name,
        algorithm,
        public_key_pem: body.public_key_pem.trim().to_owned() + "\n",
        fingerprint: key.fingerprint(),
        created_at: ids::now(),
        revoked_at: None,
    };
    store.create_signing_key(record.clone()).await?;
    tracing::info!(tenant = %tenant_id, key = %record.id, fingerprint = %record.fingerprint, "signing key added");
    Ok(record)
}

/// All keys, revoked ones included (with `revoked_at`), in creation order.
pub async fn list(store: &dyn CatalogStore, tenant_id: &str) -> AppResult<Vec<SigningKeyRecord>> {
    Ok(store.list_signing_keys(tenant_id).await?)
}

/// Revokes the key: it verifies no new package. Packages it already verified stay valid
/// (they were checked when created); re-sign and re-publish to replace them.
pub async fn revoke(store: &dyn CatalogStore, tenant_id: &str, id: &str) -> AppResult<()> {
    store.revoke_signing_key(tenant_id, id, &ids::now()).await?;
    tracing::info!(tenant = %tenant_id, key = %id, "signing key revoked");
    Ok(())
}
