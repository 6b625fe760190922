//! `GET /api/v1/audit`: the audit log's entries.

use serde::{Deserialize, Serialize};

/// One change made by a user or token, as the audit log lists it (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// `aud_` + a ULID: sorts by time; pass the last one as `?after=` for the next (older) page.
    pub id: String,
    pub at: String,
    /// The token's subject (a person, or an API token's name).
    pub actor: String,
    /// The caller's role when it made the change.
    pub role: String,
    /// `object_type.verb`, e.g. `rollout.cancel` (see `airlift_core::audit::AuditAction`).
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// What changed, in a sentence; never a secret.
    pub summary: String,
}
