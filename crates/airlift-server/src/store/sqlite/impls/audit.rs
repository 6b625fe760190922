//! [`AuditStore`] on SQLite.

use super::super::*;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, record: AuditRecord) -> StoreResult<()> {
        self.call(move |c| audit::append(c, &record)).await
    }

    async fn list_audit(
        &self,
        tenant_id: &str,
        filter: AuditFilter,
        page: Page,
    ) -> StoreResult<PageOf<AuditRecord>> {
        let t = tenant_id.to_owned();
        self.call(move |c| audit::list(c, &t, &filter, &page)).await
    }
}
