//! A device's identity on the wire: its id and its token. Tokens are wrapped in
//! [`DeviceToken`], whose `Debug` never prints them.

use serde::{Deserialize, Serialize};

/// A device token: sent as `Authorization: Bearer`, never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeviceToken(String);

impl DeviceToken {
    pub fn new(token: String) -> Self {
        Self(token)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceToken(***)")
    }
}

/// One device as the simulator's devices file keeps it (an agent fills the id, the token and
/// the version it runs; the rest is the simulator's bookkeeping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCreds {
    pub device_id: String,
    pub device_token: DeviceToken,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub profile_id: String,
    #[serde(default)]
    pub device_type: String,
    /// The firmware the device runs when it starts.
    pub firmware_version: String,
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_never_in_debug() {
        let t = super::DeviceToken::new("secret-1".into());
        assert!(!format!("{t:?}").contains("secret"));
    }
}
