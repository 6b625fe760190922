//! `GET /api/v1/fleet/versions`: devices per device type and firmware version (any role),
//! read from the counts the database keeps as devices change.

use airlift_core::wire::FleetVersions;
use axum::extract::State;
use axum::Json;

use crate::auth::{Caller, Permission};
use crate::error::AppResult;
use crate::state::AppState;

pub async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<FleetVersions>> {
    caller.require(Permission::Read)?;
    let data = state.store.fleet_versions(caller.tenant_id()).await?;
    Ok(Json(FleetVersions { data }))
}
