use axum::Json;
use serde_json::{json, Value};

/// Liveness for load balancers and tests; no auth, no database.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
