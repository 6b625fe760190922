//! Request ids: every answer carries `X-Request-Id` (the client's own when it sent a sane one,
//! else a new one), the request's log lines carry it as `request_id`, and an error's JSON body
//! names it too, so a person reporting a failure can quote one string that finds its log
//! lines.

use airlift_core::error::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Error bodies are a sentence and a code: anything larger is not ours to rewrite.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A client's id is kept only if it is short and plain (it goes into log lines).
fn acceptable(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn new_id() -> HeaderValue {
    let id = crate::ids::new_id("req");
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("req_unknown"))
}

/// The request's id, as set by [`layer`] (for the request's span).
pub fn of(req: &Request) -> &str {
    req.headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

pub async fn layer(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .filter(|v| acceptable(v))
        .cloned()
        .unwrap_or_else(new_id);
    req.headers_mut().insert(HEADER, id.clone());
    let mut response = next.run(req).await;
    response.headers_mut().insert(HEADER, id.clone());
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(response.status().is_client_error() || response.status().is_server_error()) || !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut fields))
            if serde_json::from_value::<ApiError>(serde_json::Value::Object(fields.clone()))
                .is_ok() =>
        {
            fields.insert(
                "request_id".to_owned(),
                serde_json::Value::String(id.to_str().unwrap_or_default().to_owned()),
            );
            serde_json::to_vec(&fields).map_or(bytes, Into::into)
        }
        _ => bytes,
    };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(acceptable(&HeaderValue::from_static("abc-123_x.y")));
        assert!(!acceptable(&HeaderValue::from_static("")));
        assert!(!acceptable(&HeaderValue::from_static("a b")));
        assert!(!acceptable(
            &HeaderValue::from_str(&"a".repeat(65)).unwrap()
        ));
        assert!(new_id().to_str().unwrap().starts_with("req_"));
    }
}
