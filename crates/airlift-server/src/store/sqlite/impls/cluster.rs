//! [`ClusterStore`] on SQLite: one server owns the file, so it holds every lease, knows no
//! other server and hears no notice.

use std::time::Duration;

use tokio::sync::mpsc;

use super::super::*;

#[async_trait]
impl ClusterStore for SqliteStore {
    async fn claim_lease(&self, _name: &str, _holder: &str, _ttl: Duration) -> StoreResult<bool> {
        Ok(true)
    }

    async fn release_lease(&self, _name: &str, _holder: &str) -> StoreResult<()> {
        Ok(())
    }

    async fn lease_holders(&self, _prefix: &str) -> StoreResult<Vec<String>> {
        Ok(Vec::new())
    }

    async fn announce(&self, _notice: Notice) -> StoreResult<()> {
        Ok(())
    }

    async fn notices(&self) -> StoreResult<Option<mpsc::Receiver<Notice>>> {
        Ok(None)
    }

    async fn ping(&self) -> StoreResult<()> {
        self.call(|c| {
            c.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(super::super::db)
        })
        .await
    }
}
