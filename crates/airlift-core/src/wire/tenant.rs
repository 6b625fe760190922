use serde::{Deserialize, Serialize};

/// `GET /api/v1/tenant`: the caller's tenant and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub tenant_id: String,
    pub name: String,
    /// Whether a package must carry a signature that verifies with one of the tenant's keys.
    pub require_signatures: bool,
    pub created_at: String,
    /// Firmware images held and the most the tenant may hold (`--max-images`), so a client
    /// can show "N of M used". Absent from servers older than the quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<ImageQuota>,
}

/// How much of the tenant's image quota is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageQuota {
    pub used: u64,
    pub max: u64,
}

/// `PATCH /api/v1/tenant` (admin): absent fields are left unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_signatures: Option<bool>,
}
