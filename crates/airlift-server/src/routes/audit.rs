//! `GET /api/v1/audit`: the audit log (admin and support), newest first, filtered by actor,
//! action, object and time.

use airlift_core::wire::{AuditEntry, ListResponse};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::{list_response, ListQuery};
use crate::auth::{Caller, Permission};
use crate::error::AppResult;
use crate::extract::Query;
use crate::services::audit::{self, AuditQuery};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct AuditListQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditListQuery>,
) -> AppResult<Json<ListResponse<AuditEntry>>> {
    caller.require(Permission::ReadAudit)?;
    let page = ListQuery {
        limit: q.limit,
        after: q.after,
        order: None,
    }
    .page()?;
    let words = AuditQuery {
        actor: q.actor.as_deref(),
        action: q.action.as_deref(),
        since: q.since.as_deref(),
        object_type: q.object_type.as_deref(),
        object_id: q.object_id.as_deref(),
        until: q.until.as_deref(),
    };
    let items = audit::list(&*state.store, caller.tenant_id(), words, page.clone()).await?;
    let mut out = list_response(&page, items, |e| e);
    out.order = "DESC".to_owned();
    Ok(Json(out))
}
