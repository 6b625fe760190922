//! `POST /api/v1/ota/images`: the HTTP side of a single-shot image upload (the multipart form,
//! the body's cap); the rules are `services::image_upload`.
//!
//! The form is read as a stream (multer): text fields are small and kept, the `datafile`
//! field is streamed straight into storage, so the body is never held whole in memory. Fields
//! may come in any order; a `name` or `datafile_encryption` that comes before the datafile is
//! checked before any of its bytes are stored. The whole body is capped at `max_chunk_bytes`
//! (seed 003: every upload request is at most 100 MiB): past it, 413 and nothing is kept.

use std::sync::{Arc, Mutex};

use airlift_core::error::ApiError;
use axum::body::{Body, BodyDataStream};
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::StreamExt as _;

use super::images::to_wire;
use super::{created, record_change};
use crate::auth::{Caller, Permission};
use crate::crypto::data_keys::parse_flag;
use crate::error::{AppError, AppResult};
use crate::extract::body_stream::{capped, check_declared_length, drain};
use crate::services::image_upload::{self as service, ImageForm, StoredDatafile};
use crate::state::AppState;
use airlift_core::audit::AuditAction;

/// The largest text field accepted (a description is at most 4,096 characters).
const MAX_TEXT_FIELD: usize = 64 * 1024;
const WHAT: &str = "an image upload";

pub async fn create(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let mut body = body.into_data_stream();
    let result = upload(&state, caller, &headers, &mut body).await;
    // After a refusal, so the client reads the answer rather than a broken pipe; after a
    // success too, so the whole body (any epilogue after the closing boundary included) has
    // passed through the `Idempotency-Key` fingerprint, as a retry's would.
    drain(&mut body).await;
    result
}

async fn upload(
    state: &AppState,
    caller: Result<Caller, AppError>,
    headers: &HeaderMap,
    body: &mut BodyDataStream,
) -> AppResult<Response> {
    let caller = caller?;
    caller.require(Permission::Publish)?;
    let cap = state.config.max_chunk_bytes;
    check_declared_length(headers, cap, WHAT)?;
    let boundary = boundary(headers)?;
    // multer sees the capped body; the cap's own error (413) is kept aside, because multer
    // reports any stream error as its own.
    let stream_error: Arc<Mutex<Option<AppError>>> = Arc::default();
    let slot = stream_error.clone();
    let stream = capped(body, cap, WHAT).map(move |item| {
        item.map_err(|e| {
            let message = format!("{e:?}");
            if let Ok(mut s) = slot.lock() {
                s.get_or_insert(e);
            }
            std::io::Error::other(message)
        })
    });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut form = ImageForm::default();
    let mut stored: Option<StoredDatafile> = None;
    let read = read_form(state, &caller, &mut multipart, &mut form, &mut stored).await;
    let read = read.map_err(
        |e| match stream_error.lock().ok().and_then(|mut s| s.take()) {
            Some(cap_or_read) => cap_or_read,
            None => e,
        },
    );
    if let Err(e) = read {
        if let Some(s) = stored {
            service::discard(&state.artifacts, s).await;
        }
        return Err(e);
    }
    let tenant = caller.tenant_id();
    let image = service::create(
        &*state.store,
        &state.artifacts,
        &state.data_keys,
        tenant,
        state.config.max_images,
        form,
        stored,
    )
    .await?;
    let summary = format!(
        "image {:?} ({} bytes, SHA-256 {}{}) uploaded in one request",
        image.name,
        image.size,
        image.sha256,
        if image.data_key.is_some() {
            ", encrypted"
        } else {
            ""
        }
    );
    record_change(
        state,
        &caller,
        AuditAction::ImageCreate,
        &image.id,
        &summary,
    )
    .await;
    Ok(created(
        &format!("/api/v1/ota/images/{}", image.id),
        to_wire(image),
    ))
}

/// `multipart/form-data; boundary=...`, else 400.
fn boundary(headers: &HeaderMap) -> AppResult<String> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err(ApiError::invalid_argument(format!(
            "an image upload is multipart/form-data (fields datafile, name, description, \
             datafile_encryption), got Content-Type {content_type:?}"
        ))
        .into());
    }
    multer::parse_boundary(content_type).map_err(|e| {
        ApiError::invalid_argument(format!("the multipart Content-Type has no boundary: {e}"))
            .into()
    })
}

/// Reads every field: text into `form`, the datafile into storage (`stored`).
async fn read_form(
    state: &AppState,
    caller: &Caller,
    multipart: &mut multer::Multipart<'_>,
    form: &mut ImageForm,
    stored: &mut Option<StoredDatafile>,
) -> AppResult<()> {
    let tenant = caller.tenant_id();
    let max = state.config.max_images;
    while let Some(mut field) = multipart.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "datafile" => {
                if stored.is_some() {
                    return Err(duplicate("datafile"));
                }
                if form.name.is_none() {
                    // No name to check yet; the quota can be checked already.
                    crate::services::images::check_quota(&*state.store, tenant, max).await?;
                }
                let bytes = field.map(|piece| piece.map_err(form_error));
                let encrypt = form
                    .datafile_encryption
                    .as_deref()
                    .map(|v| parse_flag(Some(v)))
                    .transpose()?;
                *stored = Some(
                    service::store_datafile(
                        &state.artifacts,
                        &state.data_keys,
                        tenant,
                        bytes,
                        encrypt,
                    )
                    .await?,
                );
            }
            "name" | "description" | "datafile_encryption" => {
                let value = text(&mut field, &name).await?;
                let slot = match name.as_str() {
                    "name" => &mut form.name,
                    "description" => &mut form.description,
                    _ => &mut form.datafile_encryption,
                };
                if slot.is_some() {
                    return Err(duplicate(&name));
                }
                if stored.is_none() {
                    match name.as_str() {
                        "name" => {
                            service::precheck_name(&*state.store, tenant, &value, max).await?
                        }
                        "datafile_encryption" => {
                            parse_flag(Some(&value))?;
                        }
                        _ => {}
                    }
                }
                *slot = Some(value);
            }
            other => {
                return Err(ApiError::invalid_argument(format!(
                    "unknown form field {other:?}: an image upload takes datafile, name, \
                     description and datafile_encryption"
                ))
                .into())
            }
        }
    }
    Ok(())
}

/// A small text field, as UTF-8.
async fn text(field: &mut multer::Field<'_>, name: &str) -> AppResult<String> {
    let mut value = Vec::new();
    while let Some(piece) = field.chunk().await.map_err(form_error)? {
        if value.len() + piece.len() > MAX_TEXT_FIELD {
            return Err(ApiError::invalid_argument(format!(
                "the form field {name} is longer than {MAX_TEXT_FIELD} bytes"
            ))
            .into());
        }
        value.extend_from_slice(&piece);
    }
    String::from_utf8(value).map_err(|_| {
        ApiError::invalid_argument(format!("the form field {name} is not UTF-8")).into()
    })
}

fn duplicate(field: &str) -> AppError {
    ApiError::invalid_argument(format!("the form has the field {field} twice")).into()
}

/// A malformed or truncated form.
fn form_error(e: multer::Error) -> AppError {
    ApiError::invalid_argument(format!("the multipart form could not be read: {e}")).into()
}
