//! [`ApiTokenStore`] on PostgreSQL.

use async_trait::async_trait;

use super::super::{api_tokens, bootstrap_tokens, PgStore};
use crate::store::*;

#[async_trait]
impl ApiTokenStore for PgStore {
    async fn create_api_token(&self, token: ApiTokenRecord) -> StoreResult<()> {
        api_tokens::create(&self.client().await?, &token).await
    }

    async fn list_api_tokens(&self, tenant_id: &str) -> StoreResult<Vec<ApiTokenRecord>> {
        api_tokens::list(&self.client().await?, tenant_id).await
    }

    async fn api_token(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ApiTokenRecord>> {
        api_tokens::get(&self.client().await?, tenant_id, id).await
    }

    async fn revoke_api_token(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()> {
        api_tokens::revoke(&self.client().await?, tenant_id, id, at).await
    }

    async fn touch_api_token(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()> {
        api_tokens::touch(&self.client().await?, tenant_id, id, at).await
    }

    async fn create_bootstrap_token(&self, token: BootstrapTokenRecord) -> StoreResult<()> {
        bootstrap_tokens::create(&self.client().await?, &token).await
    }

    async fn bootstrap_token(&self, id: &str) -> StoreResult<Option<BootstrapTokenRecord>> {
        bootstrap_tokens::get(&self.client().await?, id).await
    }

    async fn list_bootstrap_tokens(
        &self,
        tenant_id: Option<&str>,
    ) -> StoreResult<Vec<BootstrapTokenRecord>> {
        bootstrap_tokens::list(&self.client().await?, tenant_id).await
    }

    async fn revoke_bootstrap_token(&self, id: &str, at: &str) -> StoreResult<()> {
        bootstrap_tokens::revoke(&self.client().await?, id, at).await
    }

    async fn revoke_all_user_tokens(&self, tenant_id: &str, at: &str) -> StoreResult<u64> {
        bootstrap_tokens::revoke_all(&self.client().await?, tenant_id, at).await
    }
}
