//! IPC data types: what commands take and return. Each derives `ts_rs::TS`; the TypeScript
//! copies live in `ui/src/bindings/` and a test (`bindings.rs`) fails when they drift.
//!
//! They mirror `airlift-desk`'s types (with `From` impls) instead of exposing them, so the UI's
//! contract is stated here and a change in the desk crate shows up as a compile error.

pub mod catalog;
pub mod connections;
pub mod devices;
pub mod payloads;
pub mod rollouts;
pub mod signing;
pub mod tokens;
pub mod upload;

use airlift_desk::DeskErrorCode;
use serde::Serialize;
use ts_rs::TS;

/// Every command failure: the `{code, message}` of `airlift_desk::DeskError`.
#[derive(Debug, Serialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

/// The stable codes of `airlift_desk::DeskErrorCode`, as the UI branches on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidArgument,
    Unauthenticated,
    PermissionDenied,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    ResourceExhausted,
    Internal,
    Offline,
    Cancelled,
    CacheCorrupt,
    Cache,
    Keyring,
    WrongPassphrase,
    SignatureInvalid,
    Io,
    Notification,
    VerificationFailed,
    TlsUntrusted,
}

impl From<DeskErrorCode> for ErrorCode {
    fn from(code: DeskErrorCode) -> Self {
        match code {
            DeskErrorCode::InvalidArgument => Self::InvalidArgument,
            DeskErrorCode::Unauthenticated => Self::Unauthenticated,
            DeskErrorCode::PermissionDenied => Self::PermissionDenied,
            DeskErrorCode::NotFound => Self::NotFound,
            DeskErrorCode::AlreadyExists => Self::AlreadyExists,
            DeskErrorCode::FailedPrecondition => Self::FailedPrecondition,
            DeskErrorCode::ResourceExhausted => Self::ResourceExhausted,
            DeskErrorCode::Internal => Self::Internal,
            DeskErrorCode::Offline => Self::Offline,
            DeskErrorCode::Cancelled => Self::Cancelled,
            DeskErrorCode::CacheCorrupt => Self::CacheCorrupt,
            DeskErrorCode::Cache => Self::Cache,
            DeskErrorCode::Keyring => Self::Keyring,
            DeskErrorCode::WrongPassphrase => Self::WrongPassphrase,
            DeskErrorCode::SignatureInvalid => Self::SignatureInvalid,
            DeskErrorCode::Io => Self::Io,
            DeskErrorCode::Notification => Self::Notification,
            DeskErrorCode::VerificationFailed => Self::VerificationFailed,
            DeskErrorCode::TlsUntrusted => Self::TlsUntrusted,
        }
    }
}

/// The token's role (the API's roles), as `airlift_desk::role::Role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    ReleaseManager,
    /// Read-only: catalog, rollouts, devices, histories.
    Support,
}

impl From<airlift_desk::role::Role> for Role {
    fn from(role: airlift_desk::role::Role) -> Self {
        match role {
            airlift_desk::role::Role::Admin => Role::Admin,
            airlift_desk::role::Role::ReleaseManager => Role::ReleaseManager,
            airlift_desk::role::Role::Support => Role::Support,
        }
    }
}

impl From<Role> for airlift_desk::role::Role {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => airlift_desk::role::Role::Admin,
            Role::ReleaseManager => airlift_desk::role::Role::ReleaseManager,
            Role::Support => airlift_desk::role::Role::Support,
        }
    }
}

/// Name and version of the running app, shown in the sidebar.
#[derive(Debug, Serialize, TS)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    /// Launched to try the product (`AIRLIFT_START_DEMO=1`, as `cargo xtask run` does): when no
    /// connection is set up, the UI starts the local demo fleet by itself.
    pub start_demo: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ui_error_codes_are_the_desks_spelled_the_same() {
        for code in DeskErrorCode::ALL {
            let ui = serde_json::to_value(ErrorCode::from(code)).expect("encode");
            assert_eq!(ui, code.as_str());
        }
    }

    #[test]
    fn the_ui_roles_are_the_desks_spelled_the_same() {
        use airlift_desk::role::Role as DeskRole;
        for role in [DeskRole::Admin, DeskRole::ReleaseManager, DeskRole::Support] {
            let ui = serde_json::to_value(Role::from(role)).expect("encode");
            assert_eq!(ui, role.as_str());
        }
    }
}
