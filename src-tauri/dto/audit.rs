//! The audit screen: a page of the log (filtered, keyset-paged), and whether this connection
//! may read it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Which page of the log to read. Empty text filters nothing; times are RFC 3339.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AuditRequest {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// The last entry's id of the previous page (older entries follow).
    pub after: Option<String>,
    /// 1 to 1000.
    pub limit: u32,
}

/// One change a user or token made.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditEntryInfo {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub role: String,
    /// `object_type.verb`, e.g. rollout.pause.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub summary: String,
}

impl From<airlift_desk::cache::rows::AuditRow> for AuditEntryInfo {
    fn from(r: airlift_desk::cache::rows::AuditRow) -> Self {
        Self {
            id: r.id,
            at: r.at,
            actor: r.actor,
            role: r.role,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            summary: r.summary,
        }
    }
}

/// A page of the log, newest first.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryInfo>,
    pub has_more: bool,
    /// `false`: the server could not be reached; these are entries seen before.
    pub fresh: bool,
    pub synced_at_ms: Option<i64>,
    pub offline_reason: Option<String>,
}

impl From<airlift_desk::ops::audit::AuditPage> for AuditPage {
    fn from(p: airlift_desk::ops::audit::AuditPage) -> Self {
        Self {
            entries: p.entries.into_iter().map(Into::into).collect(),
            has_more: p.has_more,
            fresh: p.fresh,
            synced_at_ms: p.synced_at_ms,
            offline_reason: p.offline_reason,
        }
    }
}

/// Whether the active connection may read the log (admins and support), and the filter's
/// choices.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditAccess {
    pub allowed: bool,
    pub actions: Vec<String>,
    pub object_types: Vec<String>,
}
