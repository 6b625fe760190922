//! The one error type handlers return: an [`ApiError`] body plus the HTTP status to send it with.
//!
//! The status normally follows the code (airlift-core's table); the only exception is an
//! oversized body, which the spec answers with 413 rather than RESOURCE_EXHAUSTED's usual 429.
//! Internal failures are logged here with their cause and answered with a generic sentence, so
//! no path, SQL or secret ever reaches a client.

use std::sync::atomic::Ordering;

use airlift_core::error::{ApiError, ErrorCode};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::store::StoreError;

#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    body: ApiError,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// 413 RESOURCE_EXHAUSTED: the request body is larger than this route accepts.
    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            body: ApiError::resource_exhausted(message),
        }
    }

    /// An API error sent with a status other than its code's usual one.
    pub fn with_status(status: StatusCode, body: ApiError) -> Self {
        Self { status, body }
    }

    /// Logs `cause` and answers 500 INTERNAL without details.
    pub fn internal(context: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{context}");
        ApiError::internal(format!("internal error while {context}")).into()
    }

    pub fn code(&self) -> ErrorCode {
        self.body.code
    }

    /// Names what a client error is about (e.g. one entry of a list); internal errors, whose
    /// message is generic, are left as they are.
    pub fn about(mut self, subject: &str) -> Self {
        if self.status.is_client_error() {
            self.body.message = format!("{subject}: {}", self.body.message);
        }
        self
    }
}

impl From<ApiError> for AppError {
    fn from(body: ApiError) -> Self {
        let status = StatusCode::from_u16(body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self { status, body }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Api(api) => api.into(),
            StoreError::Backend(cause) => {
                crate::metrics::DATABASE_FAILED.fetch_add(1, Ordering::Relaxed);
                Self::internal("accessing the database", format!("{cause:#}"))
            }
            // A clean 503 the client may retry (the code stays INTERNAL: the spec's codes
            // have no "unavailable"); the cause is logged, not sent.
            StoreError::Unavailable(cause) => {
                crate::metrics::DATABASE_UNAVAILABLE.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %cause, "the database is unavailable");
                Self::with_status(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ApiError::internal(
                        "the database is unavailable right now (restarting or overloaded); \
                         retry in a moment",
                    ),
                )
            }
        }
    }
}

impl From<object_store::Error> for AppError {
    fn from(e: object_store::Error) -> Self {
        crate::metrics::STORAGE_FAILED.fetch_add(1, Ordering::Relaxed);
        Self::internal("accessing the artifact store", e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
