use serde::{Deserialize, Serialize};

/// `GET /api/v1/tenant`: the caller's tenant and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub tenant_id: String,
    pub name: String,
    /// Whether a package must carry a signature that verifies with one of the tenant's keys.
    pub require_signatures: bool,
    pub created_at: String,
}

/// `PATCH /api/v1/tenant` (admin): absent fields are left unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_signatures: Option<bool>,
}
