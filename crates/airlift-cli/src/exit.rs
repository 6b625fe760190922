//! Exit codes scripts can rely on (documented in the README).

use airlift_desk::{DeskError, DeskErrorCode};

pub const OK: u8 = 0;
pub const OTHER: u8 = 1;
pub const USAGE: u8 = 2;
pub const OFFLINE: u8 = 3;
pub const REJECTED: u8 = 4;
pub const VERIFICATION: u8 = 5;

/// Why a command failed: a usage problem found before talking to anyone, or a desk error.
#[derive(Debug)]
pub enum Failure {
    Usage(String),
    Desk(DeskError),
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
            Failure::Desk(err) => code_for(err.code()),
        }
    }

    /// `{code, message}` as the API and the desk spell it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Failure::Usage(message) => {
                serde_json::json!({"code": "USAGE", "message": message})
            }
            Failure::Desk(err) => serde_json::json!({"code": err.code(), "message": err.message()}),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Failure::Usage(message) => format!("USAGE: {message}"),
            Failure::Desk(err) => err.to_string(),
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
        | C::ResourceExhausted => REJECTED,
        C::VerificationFailed | C::SignatureInvalid => VERIFICATION,
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
        assert_eq!(Failure::usage("x").code(), 2);
    }
}
