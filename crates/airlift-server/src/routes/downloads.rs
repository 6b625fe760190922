//! `GET /api/v1/firmware/{tenant_id}/{version}/{file_name}?expires=&signature=`: the download
//! URLs the server hands out in embedded storage (see `crate::downloads::embedded`). The URL is
//! the credential: no token, only a signature of the server over this object and expiry. It
//! serves one `Range` (206), straight from storage, opening only that object; an expired or
//! altered URL answers 403.

use airlift_core::error::ApiError;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, RANGE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::artifacts::Artifacts;
use crate::downloads::embedded::{Refusal, ROUTE_PREFIX};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub async fn download(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some(signer) = state.download_urls.embedded() else {
        return Err(ApiError::not_found(
            "this server hands out presigned URLs of its object store, not URLs of its own",
        )
        .into());
    };
    // The key exactly as signed: the raw path, not its decoded segments.
    let object_key = uri.path().strip_prefix(ROUTE_PREFIX).unwrap_or_default();
    let (expires, signature) = signed_query(uri.query().unwrap_or_default());
    let now = crate::ids::unix_now().max(0).unsigned_abs();
    match expires.map(|e| signer.check(object_key, e, signature.as_deref().unwrap_or(""), now)) {
        Some(Ok(())) => {}
        Some(Err(Refusal::Expired)) => {
            return Err(ApiError::permission_denied(
                "this download URL has expired; poll the assignment again for a fresh one",
            )
            .into())
        }
        None | Some(Err(Refusal::BadSignature | Refusal::NotDownloadable)) => {
            return Err(ApiError::permission_denied(
                "this download URL is not valid (altered, or not signed by this server)",
            )
            .into())
        }
    }
    let key = Artifacts::key(object_key)?;
    let Some(info) = state.artifacts.info(&key).await? else {
        return Err(ApiError::not_found("the object of this URL no longer exists").into());
    };
    let total = info.size;
    let (status, range) = match requested_range(&headers, total) {
        Requested::Whole => (StatusCode::OK, 0..total),
        Requested::Part(r) => (StatusCode::PARTIAL_CONTENT, r),
        Requested::Unsatisfiable => return Ok(unsatisfiable(total)),
    };
    let body = if range.is_empty() {
        Body::empty()
    } else {
        Body::from_stream(state.artifacts.stream_range(&key, range.clone()).await?)
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // The URL is a credential: no shared cache keeps its answer.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(CONTENT_LENGTH, HeaderValue::from(range.end - range.start));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) =
            HeaderValue::from_str(&format!("bytes {}-{}/{total}", range.start, range.end - 1))
        {
            h.insert(CONTENT_RANGE, v);
        }
    }
    if let Some(v) = info
        .e_tag
        .and_then(|t| HeaderValue::from_str(&format!("\"{}\"", t.trim_matches('"'))).ok())
    {
        h.insert(ETAG, v);
    }
    Ok(response)
}

/// `expires` and `signature` from the query; anything unreadable is `None` (refused).
fn signed_query(query: &str) -> (Option<u64>, Option<String>) {
    let (mut expires, mut signature) = (None, None);
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "expires" => expires = v.parse().ok(),
            "signature" => signature = Some(v.into_owned()),
            _ => {}
        }
    }
    (expires, signature)
}

enum Requested {
    Whole,
    Part(std::ops::Range<u64>),
    Unsatisfiable,
}

/// One `bytes=` range is served as asked; a malformed header, or several ranges, are ignored
/// and the whole object is sent (as S3 does).
fn requested_range(headers: &HeaderMap, total: u64) -> Requested {
    let Some(value) = headers.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return Requested::Whole;
    };
    let Ok(parsed) = http_range_header::parse_range_header(value) else {
        return Requested::Whole;
    };
    match parsed.validate(total) {
        Ok(ranges) => match ranges.as_slice() {
            [one] => Requested::Part(*one.start()..*one.end() + 1),
            _ => Requested::Whole,
        },
        Err(_) => Requested::Unsatisfiable,
    }
}

fn unsatisfiable(total: u64) -> Response {
    let mut r = AppError::with_status(
        StatusCode::RANGE_NOT_SATISFIABLE,
        ApiError::invalid_argument(format!(
            "the requested range is outside the {total}-byte object"
        )),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
        r.headers_mut().insert(CONTENT_RANGE, v);
    }
    r
}
