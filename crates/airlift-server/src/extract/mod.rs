//! Extractors whose rejections speak the API's error format, and the callers
//! (`caller`: users and devices, authenticated against the shared state).
//!
//! axum's own `Json` and `Path` reject with plain-text bodies and 415/422 statuses; the spec
//! wants every failure as `{"code","message"}`, and malformed JSON or unknown fields as
//! 400 INVALID_ARGUMENT (413 RESOURCE_EXHAUSTED when the body is over the limit).

pub mod body_stream;
mod caller;

use airlift_core::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// `axum::Json` with API-shaped rejections. Responses use `axum::Json` directly.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::invalid_argument(
                "invalid JSON body: expected a JSON body with `Content-Type: application/json`",
            )
            .into());
        }
        let Some(bytes) = object_body(req, state).await? else {
            return Err(ApiError::invalid_argument(
                "invalid JSON body: expected a JSON object (`{...}`), got an empty body",
            )
            .into());
        };
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// The body's bytes when they start a JSON object, `None` when the body is empty. Every request
/// body of the API is a JSON object; serde would also take an array for a struct (its fields in
/// order), which no client means.
async fn object_body<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<Option<axum::body::Bytes>, AppError> {
    let bytes = match axum::body::Bytes::from_request(req, state).await {
        Ok(b) => b,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(AppError::payload_too_large("request body is too large"))
        }
        Err(rejection) => {
            return Err(ApiError::invalid_argument(format!(
                "invalid request body: {}",
                rejection.body_text()
            ))
            .into())
        }
    };
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Ok(None),
        Some(b'{') => Ok(Some(bytes)),
        Some(_) => Err(ApiError::invalid_argument(
            "invalid JSON body: expected a JSON object (`{...}`)",
        )
        .into()),
    }
}

/// `application/json` or any `+json` type, parameters (charset) aside.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::payload_too_large("request body is too large");
    }
    let detail = match &rejection {
        // serde's message names the field and position ("unknown field `x`, expected ...").
        JsonRejection::JsonDataError(e) => std::error::Error::source(e)
            .map(ToString::to_string)
            .unwrap_or_else(|| e.body_text()),
        JsonRejection::JsonSyntaxError(e) => std::error::Error::source(e)
            .map(ToString::to_string)
            .unwrap_or_else(|| e.body_text()),
        JsonRejection::MissingJsonContentType(_) => {
            "expected a JSON body with `Content-Type: application/json`".to_owned()
        }
        other => other.body_text(),
    };
    ApiError::invalid_argument(format!("invalid JSON body: {detail}")).into()
}

/// A JSON body that may be left out: an empty body is `None` (every field takes its default);
/// anything else must be valid JSON of `T`, with the same errors as [`Json`].
pub struct OptionalJson<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let Some(bytes) = object_body(req, state).await? else {
            return Ok(OptionalJson(None));
        };
        serde_json::from_slice(&bytes)
            .map(|v| OptionalJson(Some(v)))
            .map_err(|e| ApiError::invalid_argument(format!("invalid JSON body: {e}")).into())
    }
}

/// `axum::extract::Path` with API-shaped rejections.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => Err(path_rejection(e)),
        }
    }
}

fn path_rejection(e: PathRejection) -> AppError {
    ApiError::invalid_argument(format!("invalid path parameter: {}", e.body_text())).into()
}

/// The request's `User-Agent` header (what a device's agent names itself by); never rejects.
/// Only the header's value is copied (a reference count), not the request's header map.
pub struct UserAgent(Option<axum::http::HeaderValue>);

impl UserAgent {
    /// The header as text; `None` without one, or when it is not visible ASCII.
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_ref()?.to_str().ok()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UserAgent {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(UserAgent(
            parts.headers.get(axum::http::header::USER_AGENT).cloned(),
        ))
    }
}

/// `axum::extract::Query` with API-shaped rejections (unknown query keys are ignored, as
/// HTTP caches and proxies sometimes add their own).
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(query_rejection(e)),
        }
    }
}

fn query_rejection(e: QueryRejection) -> AppError {
    ApiError::invalid_argument(format!("invalid query string: {}", e.body_text())).into()
}
