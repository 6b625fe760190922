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
    /// Absent leaves it unchanged; `null` is refused like any other non-boolean (it would
    /// otherwise read as "absent" and silently change nothing).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_bool"
    )]
    pub require_signatures: Option<bool>,
}

/// A field that, when present, must be a boolean (`null` included in "not a boolean").
fn present_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    bool::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::UpdateTenant;

    #[test]
    fn require_signatures_must_be_a_boolean_when_present() {
        let absent: UpdateTenant = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.require_signatures, None);
        let on: UpdateTenant = serde_json::from_str(r#"{"require_signatures": true}"#).unwrap();
        assert_eq!(on.require_signatures, Some(true));
        assert!(serde_json::from_str::<UpdateTenant>(r#"{"require_signatures": null}"#).is_err());
    }
}
