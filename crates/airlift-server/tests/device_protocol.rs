//! The device side: chunk protocol edges, persistent commands, idempotent reports, and the
//! BOLA matrix (devices and tenants reaching for what is not theirs).

mod common;

use common::ota::*;
use common::*;
use serde_json::json;

#[tokio::test]
async fn chunk_protocol_edges() {
    let f = fleet(2, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
            "failure_threshold_percent": 50}),
        )
        .await;
    let _ = created;
    let d = &f.devices[0];
    let size = PKG_SIZE as u64;

    // Clamp: asking for 100 000 bytes returns 65 536.
    let r = d.chunk(&f.pkg, 0, 100_000).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert_eq!(
        r.headers()["content-range"].to_str().unwrap(),
        format!("bytes 0-65535/{size}")
    );
    assert!(r.headers().get("x-ota-complete").is_none());
    let first = r.bytes().await.unwrap();
    assert_eq!(&first[..], &f.pkg_bytes[..65536]);

    // Out of order: the tail first; it carries X-Ota-Complete.
    let tail_off = size - 1000;
    let r = d.chunk(&f.pkg, tail_off, 65536).await;
    assert_eq!(
        r.headers()["content-range"].to_str().unwrap(),
        format!("bytes {tail_off}-{}/{size}", size - 1)
    );
    assert_eq!(r.headers()["x-ota-complete"], "true");
    assert_eq!(
        &r.bytes().await.unwrap()[..],
        &f.pkg_bytes[tail_off as usize..]
    );
    // A small range in the middle.
    let r = d.chunk(&f.pkg, 70_000, 10).await;
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[70_000..70_010]);

    // At or past the end: 416.
    let r = d.chunk(&f.pkg, size, 10).await;
    assert_eq!(r.status(), 416);
    assert_eq!(
        r.headers()["content-range"].to_str().unwrap(),
        format!("bytes */{size}")
    );
    assert_eq!(d.chunk(&f.pkg, size + 5000, 10).await.status(), 416);

    // Another package (the rollback one exists and is the tenant's): 403.
    let r = d.chunk(&f.rollback_pkg, 0, 10).await;
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "PERMISSION_DENIED");

    // A device with nothing assigned (another profile) cannot read any package.
    let other =
        f.rm.post(
            "/api/v1/profiles",
            json!({"name": "spare", "device_type": "temp-sensor"}),
        )
        .await
        .expect(201)["profile_id"]
            .as_str()
            .unwrap()
            .to_owned();
    let idle = provision(&f.server, &f.rm, &other, 1, "temp-sensor", "1.0.0").await;
    assert_eq!(idle[0].ota().await.status, 204);
    assert_eq!(idle[0].chunk(&f.pkg, 0, 10).await.status(), 403);
    // Zero length is a bad request.
    assert_eq!(d.chunk(&f.pkg, 0, 0).await.status(), 400);
}

#[tokio::test]
async fn commands_persist_until_acked_and_reports_are_idempotent() {
    let f = fleet(4, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
            "failure_threshold_percent": 50}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let d = &f.devices[0];
    // "Offline" until now: the command waits, and is redelivered until acknowledged.
    let path = format!("/api/v1/devices/{}/commands", d.id);
    let first = d.api.get(&path).await.expect(200);
    let cmds = first["data"].as_array().unwrap();
    assert_eq!(cmds.len(), 1);
    assert_eq!(cmds[0]["kind"], "ota_start");
    assert_eq!(cmds[0]["delivery_count"], 1);
    let cmd_id = cmds[0]["command_id"].as_str().unwrap().to_owned();
    let a = d.ota().await.expect(200);
    assert_eq!(a["commands"][0]["command_id"], cmd_id.as_str());
    assert_eq!(a["commands"][0]["delivery_count"], 2);
    assert!(a["signature"].is_null() || a["signature"].is_string());
    let ack = format!("/api/v1/devices/{}/commands/{cmd_id}/ack", d.id);
    let acked = d.api.post(&ack, json!({})).await.expect(200);
    // Acking twice is fine and answers the first time.
    assert_eq!(d.api.post(&ack, json!({})).await.expect(200), acked);
    assert_eq!(d.api.get(&path).await.expect(200)["data"], json!([]));

    // Idempotent reports: the same report_id twice counts once.
    let body = json!({"report_id": "r-1", "rollout_id": id, "firmware_version": "1.0.0",
        "status": "INSTALL_ERROR", "message": "flash write failed"});
    let rpath = format!("/api/v1/devices/{}/ota/report", d.id);
    let one = d.api.post(&rpath, body.clone()).await.expect(200);
    assert_eq!(one["duplicate"], false);
    assert_eq!(one["device_state"], "failed");
    let two = d.api.post(&rpath, body).await.expect(200);
    assert_eq!(two["duplicate"], true);
    // A repeat without an id is recognised too.
    let e = &f.devices[1];
    e.report(&id, "1.0.0", "DOWNLOAD_STEP").await.expect(200);
    let again = e.report(&id, "1.0.0", "DOWNLOAD_STEP").await.expect(200);
    assert_eq!(again["duplicate"], true);
    let r = f.rollout(&id).await;
    assert_eq!(r["counters"]["failed"], 1);
    assert_eq!(r["counters"]["in_progress"], 1);
    let rows =
        f.rm.get(&format!("/api/v1/ota/rollouts/{id}/devices?state=failed"))
            .await
            .expect(200);
    assert_eq!(rows["data"][0]["last_message"], "flash write failed");
    // A report after a verdict that contradicts it is refused.
    d.report(&id, "2.0.0", "success")
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    // Bad input.
    d.report(&id, "1.0.0", "Success")
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    d.api
        .post(
            &rpath,
            json!({"rollout_id": id, "firmware_version": "1", "status": "INIT", "colour": 1}),
        )
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    // History carries the report with its message.
    let hist =
        f.rm.get(&format!("/api/v1/devices/{}/history", d.id))
            .await
            .expect(200);
    let reports: Vec<&serde_json::Value> = hist["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "report")
        .collect();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["message"], "flash write failed");
}

#[tokio::test]
async fn bola_matrix() {
    let f = fleet(2, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
            "failure_threshold_percent": 50}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let (a, b) = (&f.devices[0], &f.devices[1]);
    // Device A's token on device B's endpoints: 403, whatever the endpoint.
    let as_a_on_b = Device {
        id: b.id.clone(),
        api: a.api.clone(),
    };
    as_a_on_b.ota().await.expect_error(403, "PERMISSION_DENIED");
    assert_eq!(as_a_on_b.chunk(&f.pkg, 0, 10).await.status(), 403);
    as_a_on_b
        .report(&id, "2.0.0", "success")
        .await
        .expect_error(403, "PERMISSION_DENIED");
    a.api
        .get(&format!("/api/v1/devices/{}/commands", b.id))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    // B's command id through A's own path: not found.
    let b_cmd = b.ota().await.expect(200)["commands"][0]["command_id"]
        .as_str()
        .unwrap()
        .to_owned();
    a.api
        .post(
            &format!("/api/v1/devices/{}/commands/{b_cmd}/ack", a.id),
            json!({}),
        )
        .await
        .expect_error(404, "NOT_FOUND");
    // A device token is not a user token, nor the reverse.
    a.api
        .get("/api/v1/ota/rollouts")
        .await
        .expect_error(401, "UNAUTHENTICATED");
    f.rm.get(&format!("/api/v1/devices/{}/ota", a.id))
        .await
        .expect_error(401, "UNAUTHENTICATED");

    // Tenant B sees nothing of tenant A.
    let other = Api::for_tenant(&f.server, "globex", "admin");
    for path in [
        format!("/api/v1/ota/rollouts/{id}"),
        format!("/api/v1/ota/rollouts/{id}/devices"),
        format!("/api/v1/devices/{}/history", a.id),
    ] {
        other.get(&path).await.expect_error(404, "NOT_FOUND");
    }
    for action in ["pause", "rollback", "resume"] {
        other
            .post(&format!("/api/v1/ota/rollouts/{id}/{action}"), json!({}))
            .await
            .expect_error(404, "NOT_FOUND");
    }
    assert_eq!(
        other.get("/api/v1/ota/rollouts").await.expect(200)["data"],
        json!([])
    );
    other
        .post(
            "/api/v1/ota/rollouts",
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 5,
                "failure_threshold_percent": 10}),
        )
        .await
        .expect_error(404, "NOT_FOUND");

    // Support reads but cannot act.
    let support = Api::for_tenant(&f.server, "acme", "support");
    support
        .get(&format!("/api/v1/ota/rollouts/{id}"))
        .await
        .expect(200);
    for action in ["pause", "rollback", "resume"] {
        support
            .post(&format!("/api/v1/ota/rollouts/{id}/{action}"), json!({}))
            .await
            .expect_error(403, "PERMISSION_DENIED");
    }
    support
        .post(
            &format!("/api/v1/ota/rollouts/{id}/advance"),
            json!({"canary_percent": 100}),
        )
        .await
        .expect_error(403, "PERMISSION_DENIED");
    support
        .post(
            "/api/v1/ota/rollouts",
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 5,
                "failure_threshold_percent": 10}),
        )
        .await
        .expect_error(403, "PERMISSION_DENIED");
    assert_eq!(f.status(&id).await, "active");
}

/// A device takes part in one unfinished rollout at a time (the spec's safety rail, which
/// replaced "device-level beats profile-level" between two live rollouts; that precedence is
/// still what the `device_assignments` view defines, see the store's device_polls tests): a
/// device-level rollout over a device that a running profile rollout holds is refused and
/// names it; the device keeps its profile assignment. Once that rollout has completed, the
/// device-level one starts, and a device already on a newer version is taken back only when
/// the request allows the downgrade.
#[tokio::test]
async fn a_device_level_rollout_waits_for_the_profile_rollout_holding_its_device() {
    let f = fleet(3, &[]).await;
    let p = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
            "failure_threshold_percent": 50}),
        )
        .await;
    let device_level = json!({"package_id": f.rollback_pkg, "device_ids": [f.devices[0].id],
        "canary_percent": 100, "failure_threshold_percent": 50});
    let refused =
        f.rm.post("/api/v1/ota/rollouts", device_level.clone())
            .await
            .expect_error(409, "FAILED_PRECONDITION");
    assert_eq!(
        refused["conflicting_rollout_id"], p["rollout_id"],
        "{refused}"
    );
    let a = f.devices[0].ota().await.expect(200);
    assert_eq!(a["rollout_id"], p["rollout_id"]);
    assert_eq!(a["package_id"], f.pkg.as_str());

    let sha = sha256_hex(&f.pkg_bytes);
    for d in &f.devices {
        d.update(&sha).await;
    }
    let done = f.rollout(p["rollout_id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["outcome"], "succeeded");
    // Device 0 now runs 2.0.0: 1.0.1 would take it down, which needs allow_downgrade.
    f.rm.post("/api/v1/ota/rollouts", device_level.clone())
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    let mut downgrade = device_level;
    downgrade["allow_downgrade"] = json!(true);
    let d = f.start(downgrade).await;
    assert_eq!(d["eligible_count"], 1);
    let a = f.devices[0].ota().await.expect(200);
    assert_eq!(a["rollout_id"], d["rollout_id"]);
    assert_eq!(a["package_id"], f.rollback_pkg.as_str());
    assert_eq!(f.devices[1].ota().await.status.as_u16(), 204);
}

/// The other order: a profile rollout over a device that a device-level rollout holds is
/// refused (naming it) and takes nothing from it (neither in the poll nor at the chunk
/// endpoint); once the device has installed the device-level package, the profile rollout
/// starts and is what the device is told next.
#[tokio::test]
async fn a_newer_profile_rollout_waits_until_the_device_level_one_is_done() {
    let f = fleet(2, &[]).await;
    let d = f
        .start(
            json!({"package_id": f.rollback_pkg, "device_ids": [f.devices[0].id],
            "canary_percent": 100, "failure_threshold_percent": 50}),
        )
        .await;
    let profile_level = json!({"package_id": f.pkg, "target_profile_id": f.profile,
        "canary_percent": 100, "failure_threshold_percent": 50});
    let refused =
        f.rm.post("/api/v1/ota/rollouts", profile_level.clone())
            .await
            .expect_error(409, "FAILED_PRECONDITION");
    assert_eq!(
        refused["conflicting_rollout_id"], d["rollout_id"],
        "{refused}"
    );
    let a = f.devices[0].ota().await.expect(200);
    assert_eq!(a["rollout_id"], d["rollout_id"], "{a}");
    assert_eq!(a["package_id"], f.rollback_pkg.as_str());
    assert_eq!(f.devices[0].chunk(&f.pkg, 0, 16).await.status(), 403);
    assert_eq!(f.devices[1].ota().await.status.as_u16(), 204);

    f.devices[0].update(&sha256_hex(&f.rollback_bytes)).await;
    let done = f.rollout(d["rollout_id"].as_str().unwrap()).await;
    assert_eq!(done["outcome"], "succeeded", "{done}");
    let p = f.start(profile_level).await;
    let next = f.devices[0].ota().await.expect(200);
    assert_eq!(next["rollout_id"], p["rollout_id"], "{next}");
    assert_eq!(next["package_id"], f.pkg.as_str());
    assert_eq!(f.devices[0].chunk(&f.pkg, 0, 16).await.status(), 200);
    assert_eq!(
        f.devices[1].ota().await.expect(200)["rollout_id"],
        p["rollout_id"]
    );
}
