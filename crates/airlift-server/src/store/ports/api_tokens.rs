//! User credentials: API tokens (admin-made, with a role and an expiry), stored as hashes, and
//! the records of the JWTs `airliftd token` prints (so that each can be revoked).

use async_trait::async_trait;

use crate::store::{ApiTokenRecord, BootstrapTokenRecord, StoreResult};

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
    /// ALREADY_EXISTS if the id is taken.
    async fn create_bootstrap_token(&self, token: BootstrapTokenRecord) -> StoreResult<()>;
    /// One `airliftd token` JWT's record by its id (`jti`), whatever its tenant; read fresh on
    /// every request that presents it.
    async fn bootstrap_token(&self, id: &str) -> StoreResult<Option<BootstrapTokenRecord>>;
    /// The records of one tenant (or of every tenant), revoked ones included, oldest first.
    async fn list_bootstrap_tokens(
        &self,
        tenant_id: Option<&str>,
    ) -> StoreResult<Vec<BootstrapTokenRecord>>;
    /// NOT_FOUND if unknown; revoking a revoked token changes nothing.
    async fn revoke_bootstrap_token(&self, id: &str, at: &str) -> StoreResult<()>;
    /// Revokes every live credential of the tenant, `airliftd token` JWTs and API tokens alike,
    /// in one transaction; answers how many were live.
    async fn revoke_all_user_tokens(&self, tenant_id: &str, at: &str) -> StoreResult<u64>;
}
