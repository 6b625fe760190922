//! Turning HTTP failures into [`DeskError`]s.

use airlift_core::error::ApiError;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{DeskError, DeskErrorCode};

/// The server could not be reached or stopped answering: `OFFLINE`.
pub(crate) fn network(base: &str, what: &str, err: &reqwest::Error) -> DeskError {
    let reason = if err.is_timeout() {
        "it did not answer in time".to_owned()
    } else if err.is_connect() {
        "the connection was refused or could not be made".to_owned()
    } else {
        // The innermost cause is the useful part ("connection reset by peer").
        let mut source: &dyn std::error::Error = err;
        while let Some(next) = source.source() {
            source = next;
        }
        source.to_string()
    };
    DeskError::new(
        DeskErrorCode::Offline,
        format!("cannot reach the server at {base} ({what}): {reason}"),
    )
}

/// A non-2xx answer: the server's `{code, message}` when it sent one (with its
/// `conflicting_rollout_id`, if any), else a code from the status and a sentence saying the
/// body was not the expected error shape.
pub(crate) fn from_status(what: &str, status: StatusCode, body: &[u8]) -> DeskError {
    if let Ok(api) = serde_json::from_slice::<ApiError>(body) {
        return api.into();
    }
    let code = match status.as_u16() {
        400 => DeskErrorCode::InvalidArgument,
        401 => DeskErrorCode::Unauthenticated,
        403 => DeskErrorCode::PermissionDenied,
        404 => DeskErrorCode::NotFound,
        409 => DeskErrorCode::FailedPrecondition,
        413 | 429 => DeskErrorCode::ResourceExhausted,
        _ => DeskErrorCode::Internal,
    };
    let snippet: String = String::from_utf8_lossy(body).chars().take(200).collect();
    DeskError::new(
        code,
        format!("{what} failed with HTTP {status} and no error description: {snippet:?}"),
    )
}

/// Decodes a 2xx body, or says clearly that the server's answer was not what the route sends.
pub(crate) fn decode<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, DeskError> {
    serde_json::from_slice(body).map_err(|err| {
        DeskError::internal(format!(
            "the server's answer to {what} is not the expected JSON ({err}); \
             is this an Airlift server of a compatible version?"
        ))
    })
}
