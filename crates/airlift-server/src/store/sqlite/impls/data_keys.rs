//! [`DataKeyStore`] on SQLite.

use super::super::*;

#[async_trait]
impl DataKeyStore for SqliteStore {
    async fn data_keys(&self) -> StoreResult<Vec<airlift_core::encryption::SealedDataKey>> {
        self.call(data_keys::all).await
    }

    async fn replace_data_keys(
        &self,
        keys: Vec<airlift_core::encryption::SealedDataKey>,
    ) -> StoreResult<()> {
        self.call(move |c| data_keys::replace_all(c, &keys)).await
    }
}
