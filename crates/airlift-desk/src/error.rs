//! The desktop backend's one error type: a stable code plus a sentence a person can act on.
//!
//! [`DeskError`] serializes as exactly `{"code": "...", "message": "..."}`, the same shape as the
//! server's [`ApiError`], so the Tauri layer hands it to the UI unchanged and the UI handles server
//! and local failures with one code path. The server's codes are reused verbatim (an error that
//! came from `airliftd` keeps its code); the desk adds codes for failures only a client has
//! (no network, a cancelled job, a broken cache file, a key store problem).

use std::fmt;
use std::io;
use std::path::Path;

use airlift_core::error::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

/// Every code a desk operation can fail with. Serialized SCREAMING_SNAKE_CASE, like the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeskErrorCode {
    // The server's codes (see `airlift_core::error::ErrorCode`), same spelling.
    InvalidArgument,
    Unauthenticated,
    PermissionDenied,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    ResourceExhausted,
    Internal,
    // Desk-only codes.
    /// The server could not be reached; cached data may still be shown.
    Offline,
    /// The user (or a shutdown) cancelled the operation; not a failure to report loudly.
    Cancelled,
    /// The offline cache file was unreadable and has been (or must be) rebuilt.
    CacheCorrupt,
    /// The offline cache failed for another reason (disk full, locked by another process).
    Cache,
    /// The signing key store is missing, unreadable or holds a malformed key.
    Keyring,
    /// The passphrase does not decrypt the stored key: ask the person again.
    WrongPassphrase,
    /// A signature did not verify with the given key.
    SignatureInvalid,
    /// Reading or writing a local file failed (other than not found / permission denied).
    Io,
    /// The desktop notification service refused or is missing.
    Notification,
    /// The server's copy of an artifact does not match the local file (SHA-256 or size), or the
    /// server refused a package because its checksum, size or signature did not verify.
    VerificationFailed,
    /// The server's TLS certificate is not one to trust: not signed by the connection's CA
    /// (nor by one the system trusts), not for this host name, or expired.
    TlsUntrusted,
}

impl DeskErrorCode {
    /// Every code, so a front can publish the closed set (the UI's `ErrorCode` union).
    pub const ALL: [DeskErrorCode; 19] = [
        Self::InvalidArgument,
        Self::Unauthenticated,
        Self::PermissionDenied,
        Self::NotFound,
        Self::AlreadyExists,
        Self::FailedPrecondition,
        Self::ResourceExhausted,
        Self::Internal,
        Self::Offline,
        Self::Cancelled,
        Self::CacheCorrupt,
        Self::Cache,
        Self::Keyring,
        Self::WrongPassphrase,
        Self::SignatureInvalid,
        Self::Io,
        Self::Notification,
        Self::VerificationFailed,
        Self::TlsUntrusted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "INVALID_ARGUMENT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::NotFound => "NOT_FOUND",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::FailedPrecondition => "FAILED_PRECONDITION",
            Self::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Self::Internal => "INTERNAL",
            Self::Offline => "OFFLINE",
            Self::Cancelled => "CANCELLED",
            Self::CacheCorrupt => "CACHE_CORRUPT",
            Self::Cache => "CACHE",
            Self::Keyring => "KEYRING",
            Self::WrongPassphrase => "WRONG_PASSPHRASE",
            Self::SignatureInvalid => "SIGNATURE_INVALID",
            Self::Io => "IO",
            Self::Notification => "NOTIFICATION",
            Self::VerificationFailed => "VERIFICATION_FAILED",
            Self::TlsUntrusted => "TLS_UNTRUSTED",
        }
    }
}

impl fmt::Display for DeskErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ErrorCode> for DeskErrorCode {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::InvalidArgument => Self::InvalidArgument,
            ErrorCode::Unauthenticated => Self::Unauthenticated,
            ErrorCode::PermissionDenied => Self::PermissionDenied,
            ErrorCode::NotFound => Self::NotFound,
            ErrorCode::AlreadyExists => Self::AlreadyExists,
            ErrorCode::FailedPrecondition => Self::FailedPrecondition,
            ErrorCode::ResourceExhausted => Self::ResourceExhausted,
            ErrorCode::Internal => Self::Internal,
        }
    }
}

/// A failed desk operation: `{code, message}` on the wire, `CODE: message` when displayed.
/// A server error that names a conflicting rollout keeps it (`conflicting_rollout_id`, only
/// then serialized), so the UI can offer to open that rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DeskError {
    code: DeskErrorCode,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    conflicting_rollout_id: Option<String>,
}

impl DeskError {
    pub fn new(code: DeskErrorCode, message: impl Into<String>) -> Self {
        DeskError {
            code,
            message: message.into(),
            conflicting_rollout_id: None,
        }
    }

    pub fn code(&self) -> DeskErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The unfinished rollout that already targets a device of a rollout being created (a
    /// `FAILED_PRECONDITION` from the server's one-unfinished-rollout-per-device rule).
    pub fn conflicting_rollout_id(&self) -> Option<&str> {
        self.conflicting_rollout_id.as_deref()
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(DeskErrorCode::InvalidArgument, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(DeskErrorCode::Internal, message)
    }

    pub fn cancelled(what: &str) -> Self {
        Self::new(DeskErrorCode::Cancelled, format!("{what} was cancelled"))
    }

    pub fn offline(message: impl Into<String>) -> Self {
        Self::new(DeskErrorCode::Offline, message)
    }

    pub fn keyring(message: impl Into<String>) -> Self {
        Self::new(DeskErrorCode::Keyring, message)
    }

    /// A local file operation failed. `action` is a verb phrase ("read", "create the key
    /// directory") so the message reads "could not read /path: reason". Not-found and
    /// permission problems keep their own codes because the UI offers different fixes for them.
    pub fn io(action: &str, path: &Path, err: &io::Error) -> Self {
        let code = match err.kind() {
            io::ErrorKind::NotFound => DeskErrorCode::NotFound,
            io::ErrorKind::PermissionDenied => DeskErrorCode::PermissionDenied,
            _ => DeskErrorCode::Io,
        };
        Self::new(
            code,
            format!("could not {action} {}: {err}", path.display()),
        )
    }

    /// A cache (SQLite) failure. Damage found after opening gets `CACHE_CORRUPT`, which tells
    /// the app to reopen the cache (reopening moves the damaged file aside and rebuilds).
    pub fn cache(action: &str, err: &rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                Self::new(
                    DeskErrorCode::CacheCorrupt,
                    format!(
                        "the offline cache is damaged and could not {action}; \
                         it will be rebuilt from the server when reopened ({err})"
                    ),
                )
            }
            _ => Self::new(
                DeskErrorCode::Cache,
                format!("the offline cache could not {action}: {err}"),
            ),
        }
    }
}

/// Errors from `airliftd` keep their code and message, so the UI shows the server's sentence.
impl From<ApiError> for DeskError {
    fn from(err: ApiError) -> Self {
        DeskError {
            conflicting_rollout_id: err.conflicting_rollout_id,
            ..Self::new(err.code.into(), err.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_code_and_message_only() {
        let err = DeskError::cancelled("hashing firmware.bin");
        let value = serde_json::to_value(&err).expect("serialize");
        assert_eq!(
            value,
            serde_json::json!({"code": "CANCELLED", "message": "hashing firmware.bin was cancelled"})
        );
        assert_eq!(
            err.to_string(),
            "CANCELLED: hashing firmware.bin was cancelled"
        );
    }

    #[test]
    fn as_str_matches_serde_for_every_code() {
        use DeskErrorCode::*;
        for code in [
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
        ] {
            let json = serde_json::to_string(&code).expect("serialize");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn server_errors_keep_their_code_and_message() {
        for code in ErrorCode::ALL {
            let err: DeskError = ApiError::new(code, "from the server").into();
            assert_eq!(err.code().as_str(), code.as_str());
            assert_eq!(err.message(), "from the server");
        }
    }

    #[test]
    fn a_rollout_conflict_keeps_the_conflicting_rollout() {
        let err: DeskError = ApiError::rollout_conflict("rol_1", "dev_7").into();
        assert_eq!(err.code(), DeskErrorCode::FailedPrecondition);
        assert_eq!(err.conflicting_rollout_id(), Some("rol_1"));
        let value = serde_json::to_value(&err).expect("serialize");
        assert_eq!(value["conflicting_rollout_id"], "rol_1");
        let plain: DeskError = ApiError::failed_precondition("no eligible devices").into();
        assert_eq!(plain.conflicting_rollout_id(), None);
        let value = serde_json::to_value(&plain).expect("serialize");
        assert_eq!(value.as_object().map(|o| o.len()), Some(2), "{value}");
    }

    #[test]
    fn damaged_cache_errors_ask_for_a_rebuild() {
        let corrupt = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            None,
        );
        assert_eq!(
            DeskError::cache("list devices", &corrupt).code(),
            DeskErrorCode::CacheCorrupt
        );
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        let err = DeskError::cache("save devices", &full);
        assert_eq!(err.code(), DeskErrorCode::Cache);
        assert!(
            err.message()
                .starts_with("the offline cache could not save devices"),
            "{err}"
        );
    }

    #[test]
    fn io_errors_name_the_path_and_pick_a_code() {
        let path = Path::new("/nope/artifact.bin");
        let err = DeskError::io("read", path, &io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(err.code(), DeskErrorCode::NotFound);
        assert!(err.message().contains("/nope/artifact.bin"), "{err}");
        let err = DeskError::io("read", path, &io::Error::other("disk on fire"));
        assert_eq!(err.code(), DeskErrorCode::Io);
    }
}
