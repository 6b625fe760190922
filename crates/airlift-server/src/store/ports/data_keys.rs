//! Encrypted images' sealed data keys as a whole: what the start-up key check reads and a
//! rotation of the server key rewrites (the keys themselves travel on their image, package and
//! job records). Adapters only store; `crate::crypto::rotate` decides.

use airlift_core::encryption::SealedDataKey;
use async_trait::async_trait;

use crate::store::StoreResult;

#[async_trait]
pub trait DataKeyStore: Send + Sync {
    /// Every sealed data key of the deployment, ordered by id.
    async fn data_keys(&self) -> StoreResult<Vec<SealedDataKey>>;
    /// Replaces each given key's sealed form, all or nothing; a key that is not stored fails
    /// the whole replacement.
    async fn replace_data_keys(&self, keys: Vec<SealedDataKey>) -> StoreResult<()>;
}
