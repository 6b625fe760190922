//! [`AuditStore`] on PostgreSQL.

use async_trait::async_trait;

use super::super::{audit, PgStore};
use crate::store::*;

#[async_trait]
impl AuditStore for PgStore {
    async fn append_audit(&self, record: AuditRecord) -> StoreResult<()> {
        audit::append(&self.client().await?, &record).await
    }

    async fn list_audit(
        &self,
        tenant_id: &str,
        filter: AuditFilter,
        page: Page,
    ) -> StoreResult<PageOf<AuditRecord>> {
        audit::list(&self.client().await?, tenant_id, &filter, &page).await
    }
}
