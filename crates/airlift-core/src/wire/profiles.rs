use serde::{Deserialize, Serialize};

/// `POST /api/v1/profiles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProfile {
    pub name: String,
    pub device_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub profile_id: String,
    pub name: String,
    pub device_type: String,
    pub created_at: String,
}
