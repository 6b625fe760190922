//! The audit screen: pages of the log (the server's, kept in the cache; offline, the entries
//! seen before), and whether the active connection may read it.

use airlift_core::role::Permission;
use airlift_desk::audit::{actions, object_types, AuditFilter};
use airlift_desk::ops::{self, Session};
use airlift_desk::role::role_of;
use airlift_desk::DeskError;
use tauri::State;

use crate::dto::audit::{AuditAccess, AuditPage, AuditRequest};
use crate::state::AppState;

/// One page of the log matching the request's filter, newest first.
#[tauri::command]
pub async fn audit_page(
    state: State<'_, AppState>,
    request: AuditRequest,
) -> Result<AuditPage, DeskError> {
    let (name, client) = state.client()?;
    let filter = AuditFilter {
        actor: request.actor,
        action: request.action,
        object_type: request.object_type,
        object_id: request.object_id,
        since: request.since,
        until: request.until,
    };
    let page = ops::audit::page(
        Session {
            client: &client,
            cache: &state.cache,
            connection_id: &name,
        },
        &filter,
        request.after.as_deref(),
        request.limit,
    )
    .await?;
    Ok(page.into())
}

/// Whether the active connection's role may read the log (admins and support; a token whose
/// role the desk cannot read may try, and the server decides), and the filter's choices.
#[tauri::command]
pub async fn audit_access(state: State<'_, AppState>) -> Result<AuditAccess, DeskError> {
    let allowed = if state.active()?.is_none() {
        false
    } else {
        // Reads the token (from the keyring on first use) without calling the server.
        let _reads_the_token = state.client()?;
        let role = state
            .active()?
            .and_then(|a| a.token)
            .as_ref()
            .and_then(role_of);
        role.is_none_or(|r| r.allows(Permission::ReadAudit))
    };
    Ok(AuditAccess {
        allowed,
        actions: actions().into_iter().map(str::to_owned).collect(),
        object_types: object_types().into_iter().map(str::to_owned).collect(),
    })
}
