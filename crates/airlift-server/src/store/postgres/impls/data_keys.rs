//! [`DataKeyStore`] on PostgreSQL.

use airlift_core::encryption::SealedDataKey;
use async_trait::async_trait;

use super::super::{data_keys, in_tx, PgStore};
use crate::store::*;

#[async_trait]
impl DataKeyStore for PgStore {
    async fn data_keys(&self) -> StoreResult<Vec<SealedDataKey>> {
        data_keys::all(&self.client().await?).await
    }

    async fn replace_data_keys(&self, keys: Vec<SealedDataKey>) -> StoreResult<()> {
        in_tx!(self, |tx| data_keys::replace_all(&tx, &keys))
    }
}
