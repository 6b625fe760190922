//! The audit log (`GET /api/v1/audit`, admin and support).

use airlift_core::wire::{AuditEntry, ListResponse};

use super::fleet::ListParams;
use super::{seg, Client};
use crate::audit::CheckedAuditFilter;
use crate::error::DeskError;

impl Client {
    /// One page of the audit log matching `filter`, newest first; `page.after` is the last
    /// entry's id of the previous page.
    pub async fn audit(
        &self,
        filter: &CheckedAuditFilter,
        page: &ListParams,
    ) -> Result<ListResponse<AuditEntry>, DeskError> {
        let mut query = page.query();
        for (name, value) in filter.params() {
            query.push(if query.is_empty() { '?' } else { '&' });
            query.push_str(name);
            query.push('=');
            query.push_str(&seg(value));
        }
        self.get(&format!("/api/v1/audit{query}")).await
    }
}
