//! The rollout view's analytics: progress over time and failure reasons, from the server or,
//! offline, as last fetched (airlift-desk's `ops::rollout_analytics`).

use airlift_desk::ops::{self, Session};
use airlift_desk::DeskError;
use tauri::State;

use crate::dto::rollout_analytics::{RolloutFailures, RolloutProgress};
use crate::state::AppState;

/// A rollout's device counts per minute (the progress chart).
#[tauri::command]
pub async fn rollout_progress(
    state: State<'_, AppState>,
    id: String,
) -> Result<RolloutProgress, DeskError> {
    let (name, client) = state.client()?;
    let session = Session {
        client: &client,
        cache: &state.cache,
        connection_id: &name,
    };
    Ok(ops::rollout_analytics::timeline(session, &id).await?.into())
}

/// A rollout's failure reasons, largest first (the reasons panel).
#[tauri::command]
pub async fn rollout_failures(
    state: State<'_, AppState>,
    id: String,
) -> Result<RolloutFailures, DeskError> {
    let (name, client) = state.client()?;
    let session = Session {
        client: &client,
        cache: &state.cache,
        connection_id: &name,
    };
    Ok(ops::rollout_analytics::failures(session, &id).await?.into())
}
