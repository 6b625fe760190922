//! [`ApiTokenStore`] on PostgreSQL.

use async_trait::async_trait;

use super::super::{api_tokens, PgStore};
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
}
