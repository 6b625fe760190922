//! HTTP handlers, one file per resource. A handler extracts, checks the caller's permission,
//! calls a service (`crate::services`) or the rollout engine (`crate::engine`), and builds the
//! wire types.
//!
//! Authorization comes before validation: handlers take their JSON body as
//! `Result<Json<T>, AppError>` and check the role before looking at it, so a caller without the
//! role gets 403 whatever the body, and learns nothing from validation errors.

pub mod api_tokens;
pub mod audit;
pub mod device_download;
pub mod device_ota;
pub mod devices;
pub mod downloads;
pub mod events;
pub mod fleet_versions;
pub mod health;
pub mod image_upload;
pub mod images;
pub mod packages;
pub mod profiles;
pub mod rollouts;
pub mod signing_keys;
pub mod tenant;
pub mod uploads;

use airlift_core::error::ApiError;
use airlift_core::wire::ListResponse;
use axum::http::header::{CONTENT_LOCATION, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::services::audit::Who;
use crate::state::AppState;
use crate::store::{Page, PageOf};

/// Records a change `caller` just made in the audit log (see `crate::services::audit`).
/// `summary` holds names, versions and numbers only, never a secret.
pub async fn record_change(
    state: &AppState,
    caller: &Caller,
    action: airlift_core::audit::AuditAction,
    object_id: &str,
    summary: &str,
) {
    let who = Who {
        tenant_id: caller.tenant_id().to_owned(),
        actor: caller.subject.clone(),
        role: caller.role.as_str().to_owned(),
    };
    crate::services::audit::record(&*state.store, &who, action, object_id, summary).await;
}

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 1000;

/// `?limit=&after=&order=` on every list (seed 003's list shape). Only ascending order exists.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub limit: Option<u32>,
    pub after: Option<String>,
    pub order: Option<String>,
}

impl ListQuery {
    pub fn page(self) -> Result<Page, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid_argument(format!(
                "limit must be between 1 and {MAX_LIMIT}, got {limit}"
            )));
        }
        if let Some(order) = &self.order {
            if !order.eq_ignore_ascii_case("asc") {
                return Err(ApiError::invalid_argument(format!(
                    "order must be ASC, got {order:?}"
                )));
            }
        }
        Ok(Page {
            limit,
            after: self.after.filter(|a| !a.is_empty()),
        })
    }
}

impl ListQuery {
    /// Like [`ListQuery::page`], for lists whose only order is their own (newest first).
    pub fn page_any_order(mut self) -> Result<Page, ApiError> {
        self.order = None;
        self.page()
    }
}

/// A list with the incremental-sync hook: `?changed_since=N` returns only rows whose
/// `change_seq` is above N, in `change_seq` order (pass the last row's `change_seq` for the
/// next page); without it, the usual id-ordered `after` paging.
#[derive(Debug, Default, Deserialize)]
pub struct SyncListQuery {
    pub limit: Option<u32>,
    pub after: Option<String>,
    pub order: Option<String>,
    pub changed_since: Option<u64>,
}

impl SyncListQuery {
    pub fn split(self) -> Result<(Page, Option<u64>), ApiError> {
        let since = self.changed_since;
        let page = ListQuery {
            limit: self.limit,
            after: self.after,
            order: self.order,
        }
        .page()?;
        Ok((page, since))
    }
}

/// A store page as the wire list, mapping each item.
pub fn list_response<R, W>(page: &Page, items: PageOf<R>, f: impl Fn(R) -> W) -> ListResponse<W> {
    ListResponse::new(
        items.items.into_iter().map(f).collect(),
        items.has_more,
        page.limit,
        page.after.clone(),
    )
}

/// A list the server returns whole (no paging: a tenant has few of these), as the wire list:
/// no more pages, its limit its length.
pub fn whole_list<R, W>(items: Vec<R>, f: impl Fn(R) -> W) -> ListResponse<W> {
    let limit = u32::try_from(items.len()).unwrap_or(u32::MAX);
    ListResponse::new(items.into_iter().map(f).collect(), false, limit, None)
}

/// 201 with `Location` and `Content-Location` naming the new resource (seed 003).
pub fn created<T: Serialize>(location: &str, body: T) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, v.clone());
        response.headers_mut().insert(CONTENT_LOCATION, v);
    }
    response
}
