use serde::{Deserialize, Serialize};

/// `POST /api/v1/devices`, and one element of [`BulkCreateDevices`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDevice {
    pub name: String,
    pub profile_id: String,
    pub device_type: String,
    pub firmware_version: String,
}

/// `POST /api/v1/devices/bulk`: all devices are provisioned in one transaction, or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkCreateDevices {
    pub devices: Vec<CreateDevice>,
}

/// A device as listed or fetched (never carries the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub device_id: String,
    pub name: String,
    pub profile_id: String,
    pub device_type: String,
    pub firmware_version: String,
    pub created_at: String,
    /// Incremental-sync cursor: increases whenever the device changes (see `changed_since`).
    #[serde(default)]
    pub change_seq: u64,
    /// When the device last polled, read its commands or reported (RFC 3339 UTC); `None`
    /// when it made no contact since the server started. Not a change: it does not move
    /// `change_seq`, so incremental syncs do not re-list a polling fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
    /// On `GET /devices/{id}` only: until when the download URL of the device's current
    /// assignment works (RFC 3339; the device renews it by polling). `None` without an
    /// assignment, and in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url_expires_at: Option<String>,
    /// On `GET /devices/{id}` only: the `User-Agent` the device last sent on a poll, command
    /// read or report (`airlift-agent/0.1.0`, `airlift-sim/0.1.0`; at most
    /// [`MAX_USER_AGENT_LEN`] characters). `None` when it never sent one. Not a change: it
    /// does not move `change_seq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// The longest `User-Agent` the server keeps for a device; a longer one is cut to this.
pub const MAX_USER_AGENT_LEN: usize = 128;

/// What the server keeps of a device's `User-Agent` header: trimmed, at most
/// [`MAX_USER_AGENT_LEN`] characters (cut at a character boundary); `None` when empty.
pub fn kept_user_agent(raw: &str) -> Option<&str> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return None;
    }
    let end = trimmed
        .char_indices()
        .nth(MAX_USER_AGENT_LEN)
        .map_or(trimmed.len(), |(i, _)| i);
    Some(trimmed[..end].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_trimmed_and_bounded() {
        assert_eq!(
            kept_user_agent(" airlift-agent/0.1.0 "),
            Some("airlift-agent/0.1.0")
        );
        assert_eq!(kept_user_agent("   "), None);
        let long = "a".repeat(MAX_USER_AGENT_LEN + 50);
        assert_eq!(
            kept_user_agent(&long).map(str::len),
            Some(MAX_USER_AGENT_LEN)
        );
        let wide = "é".repeat(MAX_USER_AGENT_LEN + 1);
        assert_eq!(
            kept_user_agent(&wide).map(|s| s.chars().count()),
            Some(MAX_USER_AGENT_LEN)
        );
    }
}

/// The answer to provisioning: the only time `device_token` is ever shown (the server keeps
/// only its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionedDevice {
    #[serde(flatten)]
    pub device: Device,
    pub device_token: String,
}

/// The answer to a bulk provisioning call, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkProvisioned {
    pub count: usize,
    pub data: Vec<ProvisionedDevice>,
}

/// How many devices of a type run a firmware version (`GET /api/v1/fleet/versions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetVersion {
    pub device_type: String,
    pub firmware_version: String,
    pub devices: u64,
}

/// `GET /api/v1/fleet/versions`: by device type, then most devices first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetVersions {
    pub data: Vec<FleetVersion>,
}
