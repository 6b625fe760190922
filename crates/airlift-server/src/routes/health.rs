//! Probes for load balancers and orchestrators, without authentication: `/healthz` says the
//! process answers (restart it when it does not), `/readyz` that it can serve (send it traffic
//! only then): its database and its storage both answered just now.

use std::time::Duration;

use airlift_core::error::ApiError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::state::AppState;

/// How long each dependency may take to answer a readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness; no auth, no database.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: 200 `{"status": "ready", ...}` when the database and the storage answer within
/// [`PROBE_TIMEOUT`], else 503 with the usual error body naming what did not.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let (database, storage) = tokio::join!(
        tokio::time::timeout(PROBE_TIMEOUT, state.store.ping()),
        tokio::time::timeout(PROBE_TIMEOUT, state.artifacts.reachable()),
    );
    let mut failed = Vec::new();
    match database {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            // The cause goes to the log only: the probe needs no authentication.
            tracing::warn!(error = %e, "readiness: the database does not answer");
            failed.push("the database does not answer".to_owned());
        }
        Err(_) => failed.push(format!(
            "the database did not answer within {}s",
            PROBE_TIMEOUT.as_secs()
        )),
    }
    match storage {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the storage does not answer");
            failed.push("the storage does not answer".to_owned());
        }
        Err(_) => failed.push(format!(
            "the storage did not answer within {}s",
            PROBE_TIMEOUT.as_secs()
        )),
    }
    if failed.is_empty() {
        return Json(json!({
            "status": "ready",
            "database": "ok",
            "storage": "ok",
            "node": state.cluster.node_id(),
        }))
        .into_response();
    }
    AppError::with_status(
        StatusCode::SERVICE_UNAVAILABLE,
        ApiError::internal(format!("not ready: {}", failed.join("; "))),
    )
    .into_response()
}
