//! Failure reasons grouped over real HTTP (spec, Milestone 2: `GET /rollouts/{id}/failures`):
//! messages that differ only in numbers, paths or hex strings are one reason, largest first,
//! with a few of the devices; another tenant's rollout is not found.

mod common;

use common::ota::*;
use common::*;
use serde_json::json;

#[tokio::test]
async fn failures_are_grouped_by_normalized_reason_largest_first() {
    let f = fleet(5, &[]).await;
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let empty =
        f.rm.get(&format!("/api/v1/ota/rollouts/{id}/failures"))
            .await
            .expect(200);
    assert_eq!(empty["data"], json!([]));
    let fail = |i: usize, message: Option<&str>| {
        let d = f.devices[i].clone();
        let id = id.clone();
        let message = message.map(str::to_owned);
        async move {
            let mut body = json!({"rollout_id": id, "firmware_version": "1.0.0",
                "status": "INSTALL_ERROR"});
            if let Some(m) = message {
                body["message"] = json!(m);
            }
            d.api
                .post(&format!("/api/v1/devices/{}/ota/report", d.id), body)
                .await
                .expect(200);
        }
    };
    fail(0, Some("disk full: 512 MB free")).await;
    fail(1, Some("disk full: 498 MB free")).await;
    fail(2, Some("cannot open /var/lib/x/part.bin")).await;
    fail(3, None).await;
    f.devices[4].update(&sha256_hex(&f.pkg_bytes)).await;

    let got =
        f.rm.get(&format!("/api/v1/ota/rollouts/{id}/failures"))
            .await
            .expect(200);
    let data = got["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "{got}");
    assert_eq!(data[0]["reason"], "disk full: <n> MB free");
    assert_eq!(data[0]["status"], "INSTALL_ERROR");
    assert_eq!(data[0]["count"], 2);
    assert_eq!(
        data[0]["sample_device_ids"],
        json!([f.devices[0].id, f.devices[1].id])
    );
    let reasons: Vec<&str> = data.iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"cannot open <path>"), "{reasons:?}");
    assert!(reasons.contains(&"INSTALL_ERROR"), "no message: its status");

    let support = Api::for_tenant(&f.server, "acme", "support");
    support
        .get(&format!("/api/v1/ota/rollouts/{id}/failures"))
        .await
        .expect(200);
    Api::for_tenant(&f.server, "globex", "admin")
        .get(&format!("/api/v1/ota/rollouts/{id}/failures"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn the_timeline_follows_the_counts() {
    let f = fleet(2, &[]).await;
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 50, "failure_threshold_percent": 100}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for d in f.in_state(&id, "command_sent").await {
        d.update(&sha256_hex(&f.pkg_bytes)).await;
    }
    let t =
        f.rm.get(&format!("/api/v1/ota/rollouts/{id}/timeline"))
            .await
            .expect(200);
    let last = t["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            &last["succeeded"],
            &last["failed"],
            &last["in_progress"],
            &last["pending"]
        ),
        (&json!(1), &json!(0), &json!(0), &json!(1)),
        "{t}"
    );
    assert!(last["at"].as_str().unwrap().ends_with(":00Z"), "{last}");
    Api::for_tenant(&f.server, "globex", "support")
        .get(&format!("/api/v1/ota/rollouts/{id}/timeline"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn fleet_versions_follow_provisioning_and_updates() {
    let f = fleet(3, &[]).await;
    let versions = f.rm.get("/api/v1/fleet/versions").await.expect(200);
    assert_eq!(
        versions["data"],
        json!([{"device_type": "temp-sensor", "firmware_version": "1.0.0", "devices": 3}])
    );
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    f.devices[0].update(&sha256_hex(&f.pkg_bytes)).await;
    let versions = Api::for_tenant(&f.server, "acme", "support")
        .get("/api/v1/fleet/versions")
        .await
        .expect(200);
    assert_eq!(
        versions["data"],
        json!([
            {"device_type": "temp-sensor", "firmware_version": "1.0.0", "devices": 2},
            {"device_type": "temp-sensor", "firmware_version": "2.0.0", "devices": 1}
        ]),
        "rollout {id}"
    );
    let other = Api::for_tenant(&f.server, "globex", "admin");
    assert_eq!(
        other.get("/api/v1/fleet/versions").await.expect(200)["data"],
        json!([])
    );
}
