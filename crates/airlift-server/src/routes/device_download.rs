//! `GET /api/v1/devices/{device_id}/ota/download?package_id=&file=` (device token): the
//! assigned package's stored bytes, or the `file`-th file of its URL list, whole (200) or one
//! `Range` (206). These are the URLs of seed 002's `config_otau`.

use airlift_core::error::ApiError;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::DeviceCaller;
use crate::device_protocol::download::{parse_range, servable, stream, Unsatisfiable};
use crate::error::{AppError, AppResult};
use crate::extract::{Path, Query};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    pub package_id: String,
    pub file: Option<usize>,
}

pub async fn get_download(
    State(state): State<AppState>,
    device: DeviceCaller,
    Path(id): Path<String>,
    Query(q): Query<DownloadQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    device.require_self(&id)?;
    let a = state
        .store
        .assignment(device.tenant_id(), &id)
        .await?
        .filter(|a| a.package.id == q.package_id)
        .ok_or_else(|| {
            ApiError::permission_denied("package_id is not the package assigned to this device")
        })?;
    let s = servable(&a.package, q.file)?;
    let range = headers.get(RANGE).and_then(|v| v.to_str().ok());
    let (status, range) = match parse_range(range, s.size) {
        Ok(None) => (StatusCode::OK, 0..s.size),
        Ok(Some(r)) => (StatusCode::PARTIAL_CONTENT, r),
        Err(Unsatisfiable) => {
            let mut r = AppError::with_status(
                StatusCode::RANGE_NOT_SATISFIABLE,
                ApiError::invalid_argument(format!(
                    "Range must be one byte range inside the {}-byte object",
                    s.size
                )),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", s.size)) {
                r.headers_mut().insert(CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    let len = range.end - range.start;
    let content_range = format!("bytes {}-{}/{}", range.start, range.end - 1, s.size);
    let mut r = Body::from_stream(stream(&state.artifacts, s.key, range)).into_response();
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&content_range) {
            h.insert(CONTENT_RANGE, v);
        }
    }
    Ok(r)
}
