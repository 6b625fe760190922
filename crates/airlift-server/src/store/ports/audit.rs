//! The audit log: every change a user or token made, kept with its tenant.

use async_trait::async_trait;

use crate::store::{AuditFilter, AuditRecord, Page, PageOf, StoreResult};

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Keeps one entry (its id is new: `aud_` + a ULID).
    async fn append_audit(&self, record: AuditRecord) -> StoreResult<()>;
    /// The tenant's entries matching `filter`, newest first; `page.after` is an entry id, and
    /// the page holds only entries older than it.
    async fn list_audit(
        &self,
        tenant_id: &str,
        filter: AuditFilter,
        page: Page,
    ) -> StoreResult<PageOf<AuditRecord>>;
}
