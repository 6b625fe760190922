//! The API's error vocabulary: one closed set of codes and a `{code, message}` body.
//!
//! Every crate reports failures with [`ApiError`] so that the server can answer with the spec's
//! status codes without translating, and clients can match on [`ErrorCode`] instead of parsing
//! sentences. The message is for a person: name the field and the bad value.

use serde::{Deserialize, Serialize};

/// The spec's error codes (`/work/shared/spec/ota-api.md`, "Conventions").
///
/// Serialized as `"INVALID_ARGUMENT"`, `"UNAUTHENTICATED"`, ... because that is what goes on the
/// wire in the `code` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

impl ErrorCode {
    /// Every code, in the spec's order (handy for exhaustive tests and documentation).
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::InvalidArgument,
        ErrorCode::Unauthenticated,
        ErrorCode::PermissionDenied,
        ErrorCode::NotFound,
        ErrorCode::AlreadyExists,
        ErrorCode::FailedPrecondition,
        ErrorCode::ResourceExhausted,
        ErrorCode::Internal,
    ];

    /// The wire spelling, identical to the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::PermissionDenied => "PERMISSION_DENIED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::FailedPrecondition => "FAILED_PRECONDITION",
            ErrorCode::ResourceExhausted => "RESOURCE_EXHAUSTED",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The HTTP status the spec pins for this code.
    ///
    /// `RESOURCE_EXHAUSTED` is 429 here; the spec also allows 413 for an oversized body, which the
    /// server picks at the call site because only it knows which limit was hit.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidArgument => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::PermissionDenied => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::AlreadyExists => 409,
            ErrorCode::FailedPrecondition => 409,
            ErrorCode::ResourceExhausted => 429,
            ErrorCode::Internal => 500,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every error response: `{"code": CODE, "message": "human sentence"}`, and
/// nothing else unless an error names the object it is about (see the optional fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The unfinished rollout that already targets a device of a rollout being created
    /// (409 `FAILED_PRECONDITION`), so a client can offer to open it. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflicting_rollout_id: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            conflicting_rollout_id: None,
        }
    }

    /// 409 `FAILED_PRECONDITION`: rollout `rollout_id` is not completed and already targets a
    /// device the new rollout would target.
    pub fn rollout_conflict(rollout_id: &str, device_id: &str) -> Self {
        ApiError {
            conflicting_rollout_id: Some(rollout_id.to_owned()),
            ..Self::failed_precondition(format!(
                "device {device_id:?} is already a target of rollout {rollout_id}, which is not completed yet: a device takes part in one unfinished rollout at a time, so start this one once that rollout has completed"
            ))
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionDenied, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AlreadyExists, message)
    }

    pub fn failed_precondition(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::FailedPrecondition, message)
    }

    pub fn resource_exhausted(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceExhausted, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_spec_spelling_and_status() {
        let expected = [
            ("INVALID_ARGUMENT", 400),
            ("UNAUTHENTICATED", 401),
            ("PERMISSION_DENIED", 403),
            ("NOT_FOUND", 404),
            ("ALREADY_EXISTS", 409),
            ("FAILED_PRECONDITION", 409),
            ("RESOURCE_EXHAUSTED", 429),
            ("INTERNAL", 500),
        ];
        for (code, (name, status)) in ErrorCode::ALL.iter().zip(expected) {
            assert_eq!(code.as_str(), name);
            assert_eq!(code.http_status(), status);
            let json = serde_json::to_string(code).expect("serialize code");
            assert_eq!(json, format!("\"{name}\""));
            let back: ErrorCode = serde_json::from_str(&json).expect("deserialize code");
            assert_eq!(back, *code);
        }
    }

    #[test]
    fn api_error_body_is_exactly_code_and_message() {
        let err = ApiError::not_found("rollout rol_1 not found");
        let value = serde_json::to_value(&err).expect("serialize error");
        assert_eq!(
            value,
            serde_json::json!({"code": "NOT_FOUND", "message": "rollout rol_1 not found"})
        );
        assert_eq!(err.to_string(), "NOT_FOUND: rollout rol_1 not found");
        let back: ApiError = serde_json::from_value(value).expect("deserialize error");
        assert_eq!(back, err);
    }

    #[test]
    fn a_rollout_conflict_names_the_conflicting_rollout() {
        let err = ApiError::rollout_conflict("rol_1", "dev_7");
        assert_eq!(err.code, ErrorCode::FailedPrecondition);
        let value = serde_json::to_value(&err).expect("serialize error");
        assert_eq!(value["code"], "FAILED_PRECONDITION");
        assert_eq!(value["conflicting_rollout_id"], "rol_1");
        assert_eq!(value.as_object().map(|o| o.len()), Some(3), "{value}");
        let message = value["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("rol_1") && message.contains("\"dev_7\""),
            "{message}"
        );
        let back: ApiError = serde_json::from_value(value).expect("deserialize error");
        assert_eq!(back, err);
    }

    #[test]
    fn constructors_pick_their_code() {
        let pairs = [
            (ApiError::invalid_argument("m"), ErrorCode::InvalidArgument),
            (ApiError::unauthenticated("m"), ErrorCode::Unauthenticated),
            (
                ApiError::permission_denied("m"),
                ErrorCode::PermissionDenied,
            ),
            (ApiError::not_found("m"), ErrorCode::NotFound),
            (ApiError::already_exists("m"), ErrorCode::AlreadyExists),
            (
                ApiError::failed_precondition("m"),
                ErrorCode::FailedPrecondition,
            ),
            (
                ApiError::resource_exhausted("m"),
                ErrorCode::ResourceExhausted,
            ),
            (ApiError::internal("m"), ErrorCode::Internal),
        ];
        for (err, code) in pairs {
            assert_eq!(err.code, code);
            assert_eq!(err.message, "m");
        }
    }
}
