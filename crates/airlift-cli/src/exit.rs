//! Exit codes scripts can rely on (documented in `--help` and the README).

use airlift_desk::{DeskError, DeskErrorCode};

pub const OK: u8 = 0;
pub const OTHER: u8 = 1;
pub const USAGE: u8 = 2;
pub const OFFLINE: u8 = 3;
pub const REJECTED: u8 = 4;
pub const VERIFICATION: u8 = 5;
/// `rollout wait` / `watch --exit-on-final` gave up at `--timeout`.
pub const TIMED_OUT: u8 = 6;
/// The server's TLS certificate did not verify (`TLS_UNTRUSTED`).
pub const TLS_UNTRUSTED: u8 = 7;
/// How a waited-for rollout ended (`rollout wait`, `watch --exit-on-final`).
pub const ROLLOUT_SUCCEEDED: u8 = 10;
pub const ROLLOUT_SOME_FAILED: u8 = 11;
pub const ROLLOUT_ROLLED_BACK: u8 = 12;
pub const ROLLOUT_PAUSED: u8 = 13;
pub const ROLLOUT_CANCELLED: u8 = 14;
/// Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

/// Why a command failed: a usage problem found before talking to anyone, or a desk error.
#[derive(Debug)]
pub enum Failure {
    Usage(String),
    Desk(DeskError),
    /// The image was uploaded but its package was not made: the id and the command that
    /// finishes the job without uploading again.
    Unpackaged {
        error: DeskError,
        image_id: String,
        finish: String,
    },
}

impl From<DeskError> for Failure {
    fn from(err: DeskError) -> Self {
        Failure::Desk(err)
    }
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::Usage(message.into())
    }

    pub fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => USAGE,
            Failure::Desk(err) | Failure::Unpackaged { error: err, .. } => code_for(err.code()),
        }
    }

    /// `{code, message}` as the API and the desk spell it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Failure::Usage(message) => {
                serde_json::json!({"code": "INVALID_ARGUMENT", "message": message})
            }
            Failure::Desk(err) => serde_json::json!({"code": err.code(), "message": err.message()}),
            Failure::Unpackaged {
                error,
                image_id,
                finish,
            } => serde_json::json!({
                "code": error.code(),
                "message": error.message(),
                "image_id": image_id,
                "finish_command": finish,
            }),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Failure::Usage(message) => format!("USAGE: {message}"),
            Failure::Desk(err) => err.to_string(),
            Failure::Unpackaged {
                error,
                image_id,
                finish,
            } => format!(
                "{error}\nthe upload itself succeeded: image {image_id} is on the server. Fix \
                 the above, then make its package without uploading again:\n  {finish}"
            ),
        }
    }
}

pub fn code_for(code: DeskErrorCode) -> u8 {
    use DeskErrorCode as C;
    match code {
        C::Offline => OFFLINE,
        C::InvalidArgument
        | C::Unauthenticated
        | C::PermissionDenied
        | C::NotFound
        | C::AlreadyExists
        | C::FailedPrecondition
        | C::ResourceExhausted
        | C::WrongPassphrase => REJECTED,
        C::VerificationFailed | C::SignatureInvalid => VERIFICATION,
        C::Cancelled => INTERRUPTED,
        C::TlsUntrusted => TLS_UNTRUSTED,
        _ => OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(code_for(DeskErrorCode::Offline), 3);
        assert_eq!(code_for(DeskErrorCode::Unauthenticated), 4);
        assert_eq!(code_for(DeskErrorCode::AlreadyExists), 4);
        assert_eq!(code_for(DeskErrorCode::VerificationFailed), 5);
        assert_eq!(code_for(DeskErrorCode::Internal), 1);
        assert_eq!(code_for(DeskErrorCode::TlsUntrusted), 7);
        assert_eq!(Failure::usage("x").code(), 2);
    }
}
