//! API tokens (admin-made credentials with a role and an expiry), stored as hashes.

use async_trait::async_trait;

use crate::store::{ApiTokenRecord, StoreResult};

#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    /// ALREADY_EXISTS if the id is taken.
    async fn create_api_token(&self, token: ApiTokenRecord) -> StoreResult<()>;
    /// The tenant's tokens, revoked ones included, in creation order.
    async fn list_api_tokens(&self, tenant_id: &str) -> StoreResult<Vec<ApiTokenRecord>>;
    /// One token of the tenant, read fresh on every request that presents it (so a revocation
    /// holds at once on every server of the deployment).
    async fn api_token(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ApiTokenRecord>>;
    /// NOT_FOUND if unknown; revoking a revoked token changes nothing.
    async fn revoke_api_token(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()>;
    /// Records a use (`last_used_at = at`); an unknown token changes nothing.
    async fn touch_api_token(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()>;
}
