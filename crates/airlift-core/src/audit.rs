//! The audit log's rules: which changes are recorded (every change a user or token makes),
//! under which action name and object type, and what a summary may hold.
//!
//! The server records an entry after each change it makes for a caller; `GET /api/v1/audit`
//! (admin and support) lists them newest first. A summary is made only of what the change's
//! own answer shows (names, versions, percentages, ids), never of a secret: no token, key
//! material or password ever reaches it. [`clean_summary`] bounds what a caller-chosen name can
//! do to a summary (control characters, length).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::package::quoted;

/// A kind of change, as the audit log names it (`object_type.verb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    #[serde(rename = "package.create")]
    PackageCreate,
    #[serde(rename = "image.create")]
    ImageCreate,
    #[serde(rename = "image.delete")]
    ImageDelete,
    #[serde(rename = "upload_job.create")]
    UploadJobCreate,
    #[serde(rename = "upload_job.delete")]
    UploadJobDelete,
    #[serde(rename = "rollout.create")]
    RolloutCreate,
    #[serde(rename = "rollout.pause")]
    RolloutPause,
    #[serde(rename = "rollout.resume")]
    RolloutResume,
    #[serde(rename = "rollout.advance")]
    RolloutAdvance,
    #[serde(rename = "rollout.rollback")]
    RolloutRollback,
    #[serde(rename = "rollout.cancel")]
    RolloutCancel,
    #[serde(rename = "rollout.retry_failed")]
    RolloutRetryFailed,
    #[serde(rename = "signing_key.create")]
    SigningKeyCreate,
    #[serde(rename = "signing_key.revoke")]
    SigningKeyRevoke,
    #[serde(rename = "api_token.create")]
    ApiTokenCreate,
    #[serde(rename = "api_token.revoke")]
    ApiTokenRevoke,
    #[serde(rename = "tenant.update")]
    TenantUpdate,
    #[serde(rename = "profile.create")]
    ProfileCreate,
    #[serde(rename = "device.create")]
    DeviceCreate,
    /// `airliftd token` on the server's machine: a JWT issued (its `jti` is the object id).
    #[serde(rename = "bootstrap_token.create")]
    BootstrapTokenCreate,
    /// `airliftd token-revoke ID` on the server's machine.
    #[serde(rename = "bootstrap_token.revoke")]
    BootstrapTokenRevoke,
    /// `airliftd token-revoke --all --tenant NAME`: every JWT and API token of the tenant.
    #[serde(rename = "tenant.revoke_tokens")]
    TenantRevokeTokens,
}

impl AuditAction {
    /// Every action, for filters, documentation and exhaustive tests.
    pub const ALL: [AuditAction; 22] = [
        AuditAction::PackageCreate,
        AuditAction::ImageCreate,
        AuditAction::ImageDelete,
        AuditAction::UploadJobCreate,
        AuditAction::UploadJobDelete,
        AuditAction::RolloutCreate,
        AuditAction::RolloutPause,
        AuditAction::RolloutResume,
        AuditAction::RolloutAdvance,
        AuditAction::RolloutRollback,
        AuditAction::RolloutCancel,
        AuditAction::RolloutRetryFailed,
        AuditAction::SigningKeyCreate,
        AuditAction::SigningKeyRevoke,
        AuditAction::ApiTokenCreate,
        AuditAction::ApiTokenRevoke,
        AuditAction::TenantUpdate,
        AuditAction::ProfileCreate,
        AuditAction::DeviceCreate,
        AuditAction::BootstrapTokenCreate,
        AuditAction::BootstrapTokenRevoke,
        AuditAction::TenantRevokeTokens,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::PackageCreate => "package.create",
            AuditAction::ImageCreate => "image.create",
            AuditAction::ImageDelete => "image.delete",
            AuditAction::UploadJobCreate => "upload_job.create",
            AuditAction::UploadJobDelete => "upload_job.delete",
            AuditAction::RolloutCreate => "rollout.create",
            AuditAction::RolloutPause => "rollout.pause",
            AuditAction::RolloutResume => "rollout.resume",
            AuditAction::RolloutAdvance => "rollout.advance",
            AuditAction::RolloutRollback => "rollout.rollback",
            AuditAction::RolloutCancel => "rollout.cancel",
            AuditAction::RolloutRetryFailed => "rollout.retry_failed",
            AuditAction::SigningKeyCreate => "signing_key.create",
            AuditAction::SigningKeyRevoke => "signing_key.revoke",
            AuditAction::ApiTokenCreate => "api_token.create",
            AuditAction::ApiTokenRevoke => "api_token.revoke",
            AuditAction::TenantUpdate => "tenant.update",
            AuditAction::ProfileCreate => "profile.create",
            AuditAction::DeviceCreate => "device.create",
            AuditAction::BootstrapTokenCreate => "bootstrap_token.create",
            AuditAction::BootstrapTokenRevoke => "bootstrap_token.revoke",
            AuditAction::TenantRevokeTokens => "tenant.revoke_tokens",
        }
    }

    /// The kind of object the action changes (the part before the dot).
    pub fn object_type(self) -> &'static str {
        let name = self.as_str();
        name.split_once('.').map_or(name, |(object, _)| object)
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                ApiError::invalid_argument(format!(
                    "action must be one of {}; got {}",
                    names.join(", "),
                    quoted(s)
                ))
            })
    }
}

/// The role an entry names when the change was made on the server's own machine (`airliftd
/// token`, `airliftd token-revoke`) rather than through the API with a token: its actor is the
/// host's account (`alice@fleet-1`), not a token's subject.
pub const OPERATOR_ROLE: &str = "operator";

/// The longest summary kept, in characters.
pub const MAX_SUMMARY_CHARS: usize = 500;

/// A summary as stored: control characters (a name with a newline) become spaces, and it is
/// cut at [`MAX_SUMMARY_CHARS`] characters with an ellipsis.
pub fn clean_summary(summary: &str) -> String {
    let cleaned: String = summary
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cleaned.chars().count() <= MAX_SUMMARY_CHARS {
        return cleaned;
    }
    let mut cut: String = cleaned.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_name_their_object() {
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>(), Ok(a));
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{}\"", a.as_str())
            );
            assert!(a.as_str().starts_with(a.object_type()));
        }
        assert_eq!(AuditAction::RolloutCancel.object_type(), "rollout");
        assert_eq!(AuditAction::UploadJobDelete.object_type(), "upload_job");
        let err = "rollout.explode".parse::<AuditAction>().unwrap_err();
        assert!(err.message.contains("rollout.cancel"), "{}", err.message);
    }

    #[test]
    fn summaries_lose_control_characters_and_stay_bounded() {
        assert_eq!(clean_summary("fw\n2.0\t"), "fw 2.0 ");
        let long = "x".repeat(MAX_SUMMARY_CHARS * 2);
        let cut = clean_summary(&long);
        assert_eq!(cut.chars().count(), MAX_SUMMARY_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(clean_summary("short"), "short");
    }
}
