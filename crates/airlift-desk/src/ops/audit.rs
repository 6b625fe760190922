//! Reading the audit log (admin and support): one page from the server, kept in the cache as
//! it arrives; offline, the entries seen before that match the same filter.

use serde::Serialize;

use super::Session;
use crate::audit::AuditFilter;
use crate::cache::rows::AuditRow;
use crate::cache::{lock, Collection};
use crate::client::ListParams;
use crate::error::{DeskError, DeskErrorCode};

/// The most entries one page may ask for (the server's maximum).
pub const MAX_PAGE: u32 = 1000;

/// One page of the log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditRow>,
    /// More entries match, older than the last one (pass its id as `after`).
    pub has_more: bool,
    /// `false`: the server could not be reached and these are entries seen before.
    pub fresh: bool,
    /// When a page was last read from the server (Unix ms).
    pub synced_at_ms: Option<i64>,
    pub offline_reason: Option<String>,
}

/// The page of entries matching `filter` after the entry `after` (older than it), at most
/// `limit` (1..=[`MAX_PAGE`]). A role that may not read the log gets the server's
/// `PERMISSION_DENIED`, and the cache is not consulted for it.
pub async fn page(
    s: Session<'_>,
    filter: &AuditFilter,
    after: Option<&str>,
    limit: u32,
) -> Result<AuditPage, DeskError> {
    let filter = filter.check()?;
    let limit = limit.clamp(1, MAX_PAGE);
    let after = after.filter(|a| !a.is_empty());
    let params = ListParams::new(limit, after.map(str::to_owned));
    match s.client.audit(&filter, &params).await {
        Ok(list) => {
            let entries: Vec<AuditRow> = list
                .data
                .into_iter()
                .map(|e| AuditRow {
                    id: e.id,
                    at: e.at,
                    actor: e.actor,
                    role: e.role,
                    action: e.action,
                    object_type: e.object_type,
                    object_id: e.object_id,
                    summary: e.summary,
                })
                .collect();
            let mut cache = lock(s.cache)?;
            cache.save_audit_entries(s.connection_id, &entries)?;
            cache.mark_synced(s.connection_id, Collection::Audit, None)?;
            Ok(AuditPage {
                entries,
                has_more: list.has_more,
                fresh: true,
                synced_at_ms: cache.synced_at_ms(s.connection_id, Collection::Audit)?,
                offline_reason: None,
            })
        }
        Err(err) if err.code() == DeskErrorCode::Offline => {
            let cache = lock(s.cache)?;
            let (entries, has_more) =
                cache.audit_entries(s.connection_id, &filter, after, limit)?;
            Ok(AuditPage {
                entries,
                has_more,
                fresh: false,
                synced_at_ms: cache.synced_at_ms(s.connection_id, Collection::Audit)?,
                offline_reason: Some(err.message().to_owned()),
            })
        }
        Err(err) => Err(err),
    }
}
