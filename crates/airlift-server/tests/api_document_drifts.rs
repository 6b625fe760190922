//! Answers the OpenAPI document once got wrong (issue 15's property-based findings), pinned
//! through real HTTP: each matches what `openapi.yaml` now says.

mod common;

use common::ota::fleet;
use serde_json::json;

#[tokio::test]
async fn history_paging_tenant_nulls_and_empty_filters() {
    let f = fleet(1, &[]).await;
    let device = &f.devices[0].id;

    // A device's history: newest first, so its list says DESC; limit over 1000 → 400.
    let page = f
        .admin
        .get(&format!("/api/v1/devices/{device}/history?limit=10"))
        .await
        .expect(200);
    assert_eq!(page["order"], "DESC");
    f.admin
        .get(&format!("/api/v1/devices/{device}/history?limit=1001"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");

    // PATCH /tenant: null is not a boolean (it once silently changed nothing).
    f.admin
        .patch("/api/v1/tenant", json!({"require_signatures": null}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let t = f.admin.patch("/api/v1/tenant", json!({})).await.expect(200);
    assert!(t["images"]["max"].as_u64().is_some(), "{t}");

    // Empty status= and after= are documented as "absent".
    let all = f.admin.get("/api/v1/ota/rollouts").await.expect(200);
    let empty = f
        .admin
        .get("/api/v1/ota/rollouts?status=&after=")
        .await
        .expect(200);
    assert_eq!(all["data"], empty["data"]);
}
