//! [`ApiTokenStore`] on SQLite.

use super::super::*;

#[async_trait]
impl ApiTokenStore for SqliteStore {
    async fn create_api_token(&self, token: ApiTokenRecord) -> StoreResult<()> {
        self.call(move |c| api_tokens::create(c, &token)).await
    }

    async fn list_api_tokens(&self, tenant_id: &str) -> StoreResult<Vec<ApiTokenRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| api_tokens::list(c, &t)).await
    }

    async fn api_token(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ApiTokenRecord>> {
        let (t, id) = (tenant_id.to_owned(), id.to_owned());
        self.call(move |c| api_tokens::get(c, &t, &id)).await
    }

    async fn revoke_api_token(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()> {
        let (t, id, at) = (tenant_id.to_owned(), id.to_owned(), at.to_owned());
        self.call(move |c| api_tokens::revoke(c, &t, &id, &at))
            .await
    }

    async fn touch_api_token(&self, tenant_id: &str, id: &str, at: &str) -> StoreResult<()> {
        let (t, id, at) = (tenant_id.to_owned(), id.to_owned(), at.to_owned());
        self.call(move |c| api_tokens::touch(c, &t, &id, &at)).await
    }

    async fn create_bootstrap_token(&self, token: BootstrapTokenRecord) -> StoreResult<()> {
        self.call(move |c| bootstrap_tokens::create(c, &token))
            .await
    }

    async fn bootstrap_token(&self, id: &str) -> StoreResult<Option<BootstrapTokenRecord>> {
        let id = id.to_owned();
        self.call(move |c| bootstrap_tokens::get(c, &id)).await
    }

    async fn list_bootstrap_tokens(
        &self,
        tenant_id: Option<&str>,
    ) -> StoreResult<Vec<BootstrapTokenRecord>> {
        let t = tenant_id.map(str::to_owned);
        self.call(move |c| bootstrap_tokens::list(c, t.as_deref()))
            .await
    }

    async fn revoke_bootstrap_token(&self, id: &str, at: &str) -> StoreResult<()> {
        let (id, at) = (id.to_owned(), at.to_owned());
        self.call(move |c| bootstrap_tokens::revoke(c, &id, &at))
            .await
    }

    async fn revoke_all_user_tokens(&self, tenant_id: &str, at: &str) -> StoreResult<u64> {
        let (t, at) = (tenant_id.to_owned(), at.to_owned());
        self.call(move |c| bootstrap_tokens::revoke_all(c, &t, &at))
            .await
    }
}
