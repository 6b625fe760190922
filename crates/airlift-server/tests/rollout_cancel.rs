//! Cancel and scheduled starts over real HTTP (spec, Milestone 2: "Rollouts: phases,
//! schedules, retries, cancel"): `POST .../cancel` from scheduled, active or paused makes a
//! final `cancelled`; devices already told get `ota_cancel`, the others are never told; a
//! rollout created with `start_at` is `scheduled` and tells nothing until then. Roles and
//! tenants as for every operator action.

mod common;

use std::time::Duration;

use common::ota::*;
use common::*;
use serde_json::{json, Value};

fn triggers(rollout: &Value) -> Vec<String> {
    rollout["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trigger"].as_str().unwrap().to_owned())
        .collect()
}

/// Unacknowledged commands of `d`: (kind, rollout id).
async fn commands(d: &Device) -> Vec<(String, String)> {
    let page = d
        .api
        .get(&format!("/api/v1/devices/{}/commands", d.id))
        .await
        .expect(200);
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["rollout_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn rfc3339_in(secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(secs);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[tokio::test]
async fn cancelling_an_active_rollout_tells_the_told_devices_and_no_other() {
    let f = fleet(4, &[]).await;
    let mut events = sse(&f.rm, None).await;
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 50, "failure_threshold_percent": 50}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let told = f.in_state(&id, "command_sent").await;
    let waiting = f.in_state(&id, "pending").await;
    assert_eq!((told.len(), waiting.len()), (2, 2));
    // The first one took its command and is downloading; the second has not asked yet.
    let a = told[0].ota().await.expect(200);
    told[0].ack_all(&a).await;
    told[0].report(&id, "1.0.0", "DOWNLOAD").await.expect(200);

    let r =
        f.rm.post(&format!("/api/v1/ota/rollouts/{id}/cancel"), json!({}))
            .await
            .expect(200);
    assert_eq!(r["status"], "cancelled");
    assert!(r["outcome"].is_null());
    assert_eq!(r["allowed_actions"], json!([]));
    assert_eq!(triggers(&r), ["start", "cancel"]);
    let ev = wait_event(&mut events, "profile.ota.rollout.cancelled.").await;
    assert_eq!(ev.event, format!("profile.ota.rollout.cancelled.acme.{id}"));
    assert_eq!(ev.data["status"], "cancelled");
    assert_eq!(ev.data["actor"], "release-manager@acme");

    let cancel = ("ota_cancel".to_owned(), id.clone());
    assert_eq!(commands(&told[0]).await, std::slice::from_ref(&cancel));
    assert_eq!(
        commands(&told[1]).await,
        [cancel],
        "its ota_start is withdrawn"
    );
    for d in &waiting {
        assert!(commands(d).await.is_empty(), "never told");
    }
    for d in &f.devices {
        assert_eq!(
            d.ota().await.status,
            204,
            "a cancelled rollout assigns nothing"
        );
    }
    told[0]
        .report(&id, "2.0.0", "INSTALL_SUCCESS")
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    for action in ["cancel", "pause", "resume", "rollback"] {
        f.rm.post(&format!("/api/v1/ota/rollouts/{id}/{action}"), json!({}))
            .await
            .expect_error(409, "FAILED_PRECONDITION");
    }
    let listed =
        f.rm.get("/api/v1/ota/rollouts?status=cancelled")
            .await
            .expect(200);
    assert_eq!(listed["data"][0]["rollout_id"], id.as_str());
    // Its devices are free for the next rollout at once.
    let next = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 50}))
        .await;
    assert_eq!(next["scheduled_count"], 4);
}

#[tokio::test]
async fn support_cannot_cancel_and_another_tenant_does_not_see_the_rollout() {
    let f = fleet(2, &[]).await;
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 50}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let support = Api::for_tenant(&f.server, "acme", "support");
    support
        .post(&format!("/api/v1/ota/rollouts/{id}/cancel"), json!({}))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    let other = Api::for_tenant(&f.server, "globex", "admin");
    other
        .post(&format!("/api/v1/ota/rollouts/{id}/cancel"), json!({}))
        .await
        .expect_error(404, "NOT_FOUND");
    assert_eq!(f.status(&id).await, "active");
    // Admins steer rollouts too; a paused rollout cancels.
    f.rm.post(&format!("/api/v1/ota/rollouts/{id}/pause"), json!({}))
        .await
        .expect(200);
    let r = f
        .admin
        .post(&format!("/api/v1/ota/rollouts/{id}/cancel"), json!({}))
        .await
        .expect(200);
    assert_eq!(r["status"], "cancelled");
    assert_eq!(triggers(&r), ["start", "pause", "cancel"]);
}

#[tokio::test]
async fn a_rollout_that_is_rolling_back_or_completed_cannot_be_cancelled() {
    let f = fleet(1, &[]).await;
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 50}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    f.devices[0].update(&sha256_hex(&f.pkg_bytes)).await;
    assert_eq!(f.status(&id).await, "completed");
    let e =
        f.rm.post(&format!("/api/v1/ota/rollouts/{id}/cancel"), json!({}))
            .await
            .expect_error(409, "FAILED_PRECONDITION");
    assert!(e["message"].as_str().unwrap().contains("completed"), "{e}");

    let f = fleet(2, &[]).await;
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 50,
            "rollback_package_id": f.rollback_pkg}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    f.rm.post(&format!("/api/v1/ota/rollouts/{id}/rollback"), json!({}))
        .await
        .expect(200);
    f.rm.post(&format!("/api/v1/ota/rollouts/{id}/cancel"), json!({}))
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    assert_eq!(f.status(&id).await, "rolling_back");
}

#[tokio::test]
async fn a_scheduled_rollout_tells_nothing_until_its_start_then_runs() {
    let f = fleet(2, &[]).await;
    let mut events = sse(&f.rm, None).await;
    let start_at = rfc3339_in(3);
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 50, "start_at": start_at}))
        .await;
    assert_eq!(created["status"], "scheduled");
    assert_eq!(created["scheduled_count"], 0);
    assert_eq!(created["eligible_count"], 2);
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let ev = wait_event(&mut events, "profile.ota.rollout.scheduled.").await;
    assert_eq!(ev.data["rollout_id"], id.as_str());
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "scheduled");
    assert!(r["start_at"].is_string(), "{r}");
    assert_eq!(r["allowed_actions"], json!(["cancel"]));
    for d in &f.devices {
        assert_eq!(d.ota().await.status, 204, "told before its start");
    }
    // Its devices are held: another rollout of them is refused until this one ends.
    let e =
        f.rm.post(
            "/api/v1/ota/rollouts",
            json!({"package_id": f.pkg, "target_profile_id": f.profile,
                "canary_percent": 100, "failure_threshold_percent": 50}),
        )
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    assert_eq!(e["conflicting_rollout_id"], id.as_str());

    let r = wait_status(&f, &id, "active", Duration::from_secs(30)).await;
    assert_eq!(triggers(&r), ["schedule", "start_at_reached"]);
    let started = wait_event(&mut events, "profile.ota.rollout.started.").await;
    assert_eq!(started.data["actor"], "system");
    f.devices[0].update(&sha256_hex(&f.pkg_bytes)).await;
    f.devices[1].update(&sha256_hex(&f.pkg_bytes)).await;
    assert_eq!(f.rollout(&id).await["outcome"], "succeeded");
}

#[tokio::test]
async fn a_cancelled_scheduled_rollout_never_starts() {
    let f = fleet(1, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 50, "start_at": rfc3339_in(2)}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let r =
        f.rm.post(&format!("/api/v1/ota/rollouts/{id}/cancel"), json!({}))
            .await
            .expect(200);
    assert_eq!(triggers(&r), ["schedule", "cancel"]);
    // Past its start time (the sweep runs every second): still cancelled, nothing told.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(f.status(&id).await, "cancelled");
    assert_eq!(f.devices[0].ota().await.status, 204);
    assert!(commands(&f.devices[0]).await.is_empty());
}

#[tokio::test]
async fn start_at_must_be_a_future_rfc3339_time() {
    let f = fleet(1, &[]).await;
    for (start_at, words) in [
        ("tomorrow", "RFC 3339"),
        ("2001-01-01T00:00:00Z", "in the future"),
        ("2999-01-01T00:00:00Z", "within a year"),
    ] {
        let e =
            f.rm.post(
                "/api/v1/ota/rollouts",
                json!({"package_id": f.pkg, "target_profile_id": f.profile,
                    "canary_percent": 100, "failure_threshold_percent": 50,
                    "start_at": start_at}),
            )
            .await
            .expect_error(400, "INVALID_ARGUMENT");
        assert!(e["message"].as_str().unwrap().contains(words), "{e}");
    }
    let listed = f.rm.get("/api/v1/ota/rollouts").await.expect(200);
    assert_eq!(listed["data"], json!([]), "nothing half-created");
}
