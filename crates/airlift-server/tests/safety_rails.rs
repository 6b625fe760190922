//! The safety rails of the spec ("Rollouts that finish, and safety rails") over real HTTP:
//! no silent downgrade (`would_downgrade` unless `allow_downgrade`), one unfinished rollout per
//! device (409 with `conflicting_rollout_id`, and the preview says so first), and retrying a
//! completed rollout's failed and timed-out devices (`retry-failed`).

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::ota::*;
use common::*;
use serde_json::{json, Value};

fn ids_of(devices: &[Device]) -> BTreeSet<String> {
    devices.iter().map(|d| d.id.clone()).collect()
}

fn skipped_with(created: &Value, reason: &str) -> BTreeSet<String> {
    created["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == reason)
        .map(|s| s["device_id"].as_str().unwrap().to_owned())
        .collect()
}

/// All targets of rollout `id`, whatever their state.
async fn targets(f: &Fleet, id: &str) -> BTreeSet<String> {
    let page =
        f.rm.get(&format!("/api/v1/ota/rollouts/{id}/devices?limit=1000"))
            .await
            .expect(200);
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn retry(api: &Api, id: &str, body: Option<Value>) -> Resp {
    let rb = api.req(
        reqwest::Method::POST,
        &format!("/api/v1/ota/rollouts/{id}/retry-failed"),
    );
    api.send(match body {
        Some(b) => rb.json(&b),
        None => rb,
    })
    .await
}

/// Devices on a newer version than the package are skipped as `would_downgrade` (preview and
/// create) unless the request allows the downgrade; a rollback's commands are not held back
/// by the rule (taking devices back is what a rollback is for).
#[tokio::test]
async fn newer_devices_are_skipped_as_would_downgrade_unless_allowed() {
    let f = fleet(3, &[]).await;
    let newer = provision(&f.server, &f.rm, &f.profile, 2, "temp-sensor", "3.0.0").await;
    let body = json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
        "failure_threshold_percent": 100, "rollback_package_id": f.rollback_pkg});
    let mut allowing = body.clone();
    allowing["allow_downgrade"] = json!(true);

    let preview =
        f.rm.post("/api/v1/ota/rollouts/preview", body.clone())
            .await
            .expect(200);
    assert_eq!(preview["eligible_count"], 3);
    assert_eq!(
        preview["skipped_by_reason"]["would_downgrade"], 2,
        "{preview}"
    );
    assert_eq!(skipped_with(&preview, "would_downgrade"), ids_of(&newer));
    assert!(preview["conflicting_rollout_id"].is_null());
    let preview =
        f.rm.post("/api/v1/ota/rollouts/preview", allowing.clone())
            .await
            .expect(200);
    assert_eq!(preview["eligible_count"], 5);
    assert!(preview["skipped_by_reason"]
        .get("would_downgrade")
        .is_none());

    let created = f.start(body).await;
    assert_eq!(created["eligible_count"], 3);
    assert_eq!(skipped_with(&created, "would_downgrade"), ids_of(&newer));
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    assert_eq!(f.rollout(&id).await["allow_downgrade"], false);
    assert_eq!(targets(&f, &id).await, ids_of(&f.devices));
    assert_eq!(
        newer[0].ota().await.status,
        204,
        "a skipped device is told nothing"
    );

    // The rollback takes the updated device from 2.0.0 down to 1.0.1 all the same.
    f.devices[0].update(&sha256_hex(&f.pkg_bytes)).await;
    f.rm.post(&format!("/api/v1/ota/rollouts/{id}/rollback"), json!({}))
        .await
        .expect(200);
    let a = f.devices[0].ota().await.expect(200);
    assert_eq!(a["command"], "ota_rollback");
    assert_eq!(a["version"], "1.0.1");
    let rb_sha = sha256_hex(&f.rollback_bytes);
    for d in &f.devices {
        d.update(&rb_sha).await;
    }
    assert_eq!(f.rollout(&id).await["outcome"], "rolled_back");

    let created = f.start(allowing).await;
    assert_eq!(created["eligible_count"], 5);
    assert!(skipped_with(&created, "would_downgrade").is_empty());
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    assert_eq!(f.rollout(&id).await["allow_downgrade"], true);
    let a = newer[0].ota().await.expect(200);
    assert_eq!(a["rollout_id"], id.as_str());
    assert_eq!(a["command"], "ota_start");
    assert_eq!(a["version"], "2.0.0");
}

/// One unfinished rollout per device: a rollout that would target a device of an unfinished
/// (active, paused or rolling back) rollout answers 409 naming it, and the preview names it
/// first; disjoint device sets run side by side; a completed rollout holds nothing.
#[tokio::test]
async fn a_device_takes_part_in_one_unfinished_rollout_at_a_time() {
    let f = fleet(4, &[]).await;
    let sha = sha256_hex(&f.pkg_bytes);
    let a = f
        .start(
            json!({"package_id": f.pkg, "device_ids": [f.devices[0].id, f.devices[1].id],
            "canary_percent": 100, "failure_threshold_percent": 100}),
        )
        .await;
    let a_id = a["rollout_id"].as_str().unwrap().to_owned();
    let profile_wide = json!({"package_id": f.pkg, "target_profile_id": f.profile,
        "canary_percent": 100, "failure_threshold_percent": 100});

    let preview =
        f.rm.post("/api/v1/ota/rollouts/preview", profile_wide.clone())
            .await
            .expect(200);
    assert_eq!(preview["conflicting_rollout_id"], a_id.as_str());
    assert_eq!(
        preview["eligible_count"], 4,
        "the preview still shows the plan"
    );
    let err =
        f.rm.post("/api/v1/ota/rollouts", profile_wide.clone())
            .await
            .expect_error(409, "FAILED_PRECONDITION");
    assert_eq!(err["conflicting_rollout_id"], a_id.as_str());
    let message = err["message"].as_str().unwrap();
    // It names the rollout and one of the two devices they share.
    assert!(
        message.contains(&a_id)
            && (message.contains(&f.devices[0].id) || message.contains(&f.devices[1].id)),
        "{message}"
    );
    let listed = f.rm.get("/api/v1/ota/rollouts").await.expect(200);
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        1,
        "nothing created"
    );

    // A disjoint device set runs beside it.
    let disjoint = json!({"package_id": f.pkg, "device_ids": [f.devices[2].id],
        "canary_percent": 100, "failure_threshold_percent": 100});
    let preview =
        f.rm.post("/api/v1/ota/rollouts/preview", disjoint.clone())
            .await
            .expect(200);
    assert!(preview["conflicting_rollout_id"].is_null(), "{preview}");
    let b = f.start(disjoint).await;
    let b_id = b["rollout_id"].as_str().unwrap().to_owned();

    // Paused is unfinished too.
    f.rm.post(&format!("/api/v1/ota/rollouts/{a_id}/pause"), json!({}))
        .await
        .expect(200);
    let err =
        f.rm.post(
            "/api/v1/ota/rollouts",
            json!({"package_id": f.rollback_pkg, "device_ids": [f.devices[1].id],
                "canary_percent": 100, "failure_threshold_percent": 100}),
        )
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    assert_eq!(err["conflicting_rollout_id"], a_id.as_str());
    f.rm.post(&format!("/api/v1/ota/rollouts/{a_id}/resume"), json!({}))
        .await
        .expect(200);

    // A completes; the profile-wide rollout now meets B (device 2), then nothing.
    f.devices[0].update(&sha).await;
    f.devices[1].update(&sha).await;
    assert_eq!(f.rollout(&a_id).await["outcome"], "succeeded");
    let err =
        f.rm.post("/api/v1/ota/rollouts", profile_wide.clone())
            .await
            .expect_error(409, "FAILED_PRECONDITION");
    assert_eq!(err["conflicting_rollout_id"], b_id.as_str());
    f.devices[2].update(&sha).await;
    assert_eq!(f.status(&b_id).await, "completed");
    let preview =
        f.rm.post("/api/v1/ota/rollouts/preview", profile_wide.clone())
            .await
            .expect(200);
    assert!(preview["conflicting_rollout_id"].is_null(), "{preview}");
    let c = f.start(profile_wide).await;
    assert_eq!(c["eligible_count"], 1, "three devices already run 2.0.0");

    // Other errors keep exactly {code, message}.
    let err =
        f.rm.post(
            "/api/v1/ota/rollouts",
            json!({"package_id": f.pkg, "device_ids": [f.devices[0].id],
                "canary_percent": 100, "failure_threshold_percent": 100}),
        )
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&err), ["code", "message", "request_id"], "{err}");
    let err = f.rm.get("/api/v1/ota/rollouts/rol_nope").await;
    assert_eq!(
        keys(&err.body),
        ["code", "message", "request_id"],
        "{}",
        err.body
    );
}

/// Retry failed devices: a completed rollout's failed and timed-out devices, exactly, in a new
/// rollout of the same package linked by `retry_of`; refused while the rollout is unfinished,
/// for the support role, across tenants, and when nothing failed.
#[tokio::test]
async fn retry_failed_targets_exactly_the_failed_and_timed_out_devices() {
    let f = fleet(6, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 50,
            "rollback_package_id": f.rollback_pkg, "device_timeout_seconds": 3}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let err = retry(&f.rm, &id, None)
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    assert!(err["message"].as_str().unwrap().contains("active"), "{err}");

    let sha = sha256_hex(&f.pkg_bytes);
    for d in &f.devices[..3] {
        d.update(&sha).await;
    }
    f.devices[3]
        .report(&id, "1.0.0", "INSTALL_ERROR")
        .await
        .expect(200);
    f.devices[4]
        .report(&id, "1.0.0", "failure")
        .await
        .expect(200);
    // Device 5 stays silent and times out: 3 of 6 is 50 %, not above the threshold.
    let done = wait_status(&f, &id, "completed", Duration::from_secs(20)).await;
    assert_eq!(done["outcome"], "some_failed", "{done}");
    assert_eq!(done["counters"]["timed_out"], 1);

    // Roles and tenants first: nothing is created by a refused call.
    let support = Api::for_tenant(&f.server, "acme", "support");
    retry(&support, &id, None)
        .await
        .expect_error(403, "PERMISSION_DENIED");
    let other = Api::for_tenant(&f.server, "globex", "admin");
    retry(&other, &id, None)
        .await
        .expect_error(404, "NOT_FOUND");
    retry(&f.rm, "rol_nope", None)
        .await
        .expect_error(404, "NOT_FOUND");
    retry(&f.rm, &id, Some(json!({"canary_percent": 0})))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    retry(&f.rm, &id, Some(json!({"devices": ["x"]})))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let listed = f.rm.get("/api/v1/ota/rollouts").await.expect(200);
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);

    // No body: every default.
    let r = retry(&f.rm, &id, None).await;
    let location = r.headers["location"].to_str().unwrap().to_owned();
    let again = r.expect(201);
    let retry_id = again["rollout_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/ota/rollouts/{retry_id}"));
    assert_eq!(again["retry_of"], id.as_str());
    assert_eq!(again["eligible_count"], 3);
    assert_eq!(again["scheduled_count"], 3);
    assert_eq!(again["canary_percent"], 100);
    assert_eq!(again["skipped_count"], 0);
    assert_eq!(
        targets(&f, &retry_id).await,
        ids_of(&f.devices[3..]),
        "exactly the failed and timed-out devices"
    );
    let view = f.rollout(&retry_id).await;
    assert_eq!(view["retry_of"], id.as_str());
    assert_eq!(view["target_kind"], "devices");
    assert_eq!(view["package_id"], f.pkg.as_str());
    assert_eq!(view["rollback_package_id"], f.rollback_pkg.as_str());
    assert_eq!(view["failure_threshold_percent"], 50);
    assert_eq!(view["device_timeout_seconds"], 3);
    assert_eq!(view["status"], "active");
    assert_eq!(view["transitions"][0]["actor_role"], "release-manager");
    assert!(f.rollout(&id).await["retry_of"].is_null());

    // The failed devices are now in an unfinished rollout: a second retry meets it.
    let err = retry(&f.rm, &id, None)
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    assert_eq!(err["conflicting_rollout_id"], retry_id.as_str());

    // This time they all succeed; a rollout with nothing failed has nothing to retry.
    for d in &f.devices[3..] {
        let a = d.update(&sha).await;
        assert_eq!(a["rollout_id"], retry_id.as_str());
    }
    assert_eq!(f.rollout(&retry_id).await["outcome"], "succeeded");
    let err = retry(&f.rm, &retry_id, Some(json!({"canary_percent": 50})))
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    assert!(
        err["message"].as_str().unwrap().contains("no failed"),
        "{err}"
    );
}

/// The body's settings apply to the new rollout: a smaller canary and another threshold.
#[tokio::test]
async fn retry_failed_takes_its_canary_and_threshold_from_the_body() {
    let f = fleet(4, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    for d in &f.devices {
        d.report(&id, "1.0.0", "failure").await.expect(200);
    }
    assert_eq!(f.rollout(&id).await["outcome"], "some_failed");
    let r = retry(
        &f.admin,
        &id,
        Some(
            json!({"canary_percent": 25, "failure_threshold_percent": 10,
            "device_timeout_seconds": 600}),
        ),
    )
    .await
    .expect(201);
    assert_eq!(r["eligible_count"], 4);
    assert_eq!(r["scheduled_count"], 1);
    assert_eq!(r["strategy"], "canary");
    let view = f.rollout(r["rollout_id"].as_str().unwrap()).await;
    assert_eq!(view["canary_percent"], 25);
    assert_eq!(view["failure_threshold_percent"], 10);
    assert_eq!(view["device_timeout_seconds"], 600);
    assert_eq!(view["retry_of"], id.as_str());
}
