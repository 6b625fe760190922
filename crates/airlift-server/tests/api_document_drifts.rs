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

/// Schemathesis's later findings (tests/api_fuzz.rs keeps looking): a JSON array where an
/// object is documented was taken as the struct's fields in order; cursors and offsets past
/// what the store holds; the rollout-device cursor's order rule, checked above the store.
#[tokio::test]
async fn arrays_for_objects_cursors_and_offsets() {
    let f = fleet(1, &[]).await;
    let device = &f.devices[0].id;
    for (path, body) in [
        ("/api/v1/tenant", json!([true])),
        ("/api/v1/tenant", json!("x")),
    ] {
        let e = f
            .admin
            .patch(path, body)
            .await
            .expect_error(400, "INVALID_ARGUMENT");
        assert!(
            e["message"].as_str().unwrap().contains("JSON object"),
            "{e}"
        );
    }
    let e =
        f.rm.post("/api/v1/profiles", json!(["sensors", "temp-sensor"]))
            .await
            .expect_error(400, "INVALID_ARGUMENT");
    assert!(
        e["message"].as_str().unwrap().contains("JSON object"),
        "{e}"
    );
    // The same fields as an object are taken.
    f.rm.post(
        "/api/v1/profiles",
        json!({"name": "ok", "device_type": "temp-sensor"}),
    )
    .await
    .expect(201);

    for after in ["x1", "-1", "+1", "1234567890123456789"] {
        f.admin
            .get(&format!("/api/v1/devices/{device}/history?after={after}"))
            .await
            .expect_error(400, "INVALID_ARGUMENT");
    }
    f.admin
        .get(&format!("/api/v1/devices/{device}/history?after=12"))
        .await
        .expect(200);

    let rollout =
        f.rm.post(
            "/api/v1/ota/rollouts",
            json!({"package_id": f.pkg, "target_profile_id": f.profile,
                   "canary_percent": 100, "failure_threshold_percent": 50}),
        )
        .await
        .expect(201)["rollout_id"]
            .as_str()
            .unwrap()
            .to_owned();
    let devices = format!("/api/v1/ota/rollouts/{rollout}/devices");
    for query in [
        "offset=9223372036854775808",
        "after=abc",
        "after=1&sort=state",
        "after=1&offset=3",
    ] {
        f.admin
            .get(&format!("{devices}?{query}"))
            .await
            .expect_error(400, "INVALID_ARGUMENT");
    }
    f.admin
        .get(&format!("{devices}?offset=9223372036854775807"))
        .await
        .expect(200);
    f.admin.get(&format!("{devices}?after=0")).await.expect(200);
}
