//! Rollouts that finish and say how (spec: "Rollouts that finish, and safety rails"), over
//! real HTTP: a rollout completes once every eligible device has a verdict, with `outcome`
//! `succeeded` or `some_failed` (failures at or below the threshold, a timeout as the last
//! verdict included), and a finished rollback completes it as `rolled_back`. The `completed`
//! event carries the outcome; `outcome` is null until then.

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

#[tokio::test]
async fn every_device_succeeding_completes_as_succeeded_and_the_event_says_so() {
    let f = fleet(3, &[]).await;
    let mut events = sse(&f.rm, None).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 0}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let started = wait_event(&mut events, "profile.ota.rollout.started.").await;
    assert!(started.data["outcome"].is_null(), "{}", started.data);
    let sha = sha256_hex(&f.pkg_bytes);
    f.devices[0].update(&sha).await;
    f.devices[1].update(&sha).await;
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "active");
    assert!(r["outcome"].is_null(), "null until completed: {r}");
    f.devices[2].update(&sha).await;

    let done = wait_event(&mut events, "profile.ota.rollout.completed.").await;
    assert_eq!(done.data["outcome"], "succeeded");
    assert_eq!(done.data["trigger"], "all_succeeded");
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "completed");
    assert_eq!(r["outcome"], "succeeded");
    assert!(r["retry_of"].is_null());
    assert_eq!(triggers(&r), ["start", "all_succeeded"]);
    let listed =
        f.rm.get("/api/v1/ota/rollouts?status=completed")
            .await
            .expect(200);
    assert_eq!(listed["data"][0]["rollout_id"], id.as_str());
    assert_eq!(listed["data"][0]["outcome"], "succeeded");
}

/// Threshold 25 % over 4 devices: one failure (25 %, not above) keeps the rollout going, and
/// once the other three succeed it completes as `some_failed`, not stuck active forever.
#[tokio::test]
async fn failures_at_the_threshold_complete_as_some_failed() {
    let f = fleet(4, &[]).await;
    let mut events = sse(&f.rm, None).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 25}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let r = f.devices[0]
        .report(&id, "1.0.0", "INSTALL_ERROR")
        .await
        .expect(200);
    assert_eq!(r["rollout_status"], "active", "1 of 4 is not above 25 %");
    let sha = sha256_hex(&f.pkg_bytes);
    f.devices[1].update(&sha).await;
    f.devices[2].update(&sha).await;
    assert_eq!(
        f.status(&id).await,
        "active",
        "one device has no verdict yet"
    );
    f.devices[3].update(&sha).await;

    let done = wait_event(&mut events, "profile.ota.rollout.completed.").await;
    assert_eq!(done.data["outcome"], "some_failed");
    assert_eq!(done.data["trigger"], "finished_with_failures");
    assert_eq!(done.data["actor"], "system");
    assert_eq!(done.data["counters"]["failed"], 1);
    assert_eq!(done.data["counters"]["successful"], 3);
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "completed");
    assert_eq!(r["outcome"], "some_failed");
    assert_eq!(triggers(&r), ["start", "finished_with_failures"]);
    assert_eq!(r["allowed_actions"], json!([]));
    // A completed rollout asks nothing more of its failed device.
    assert_eq!(f.devices[0].ota().await.status, 204);
}

/// The last verdict comes from the timeout sweep, not from a report: the rollout completes
/// all the same (the sweep's own transaction), and says `some_failed`.
#[tokio::test]
async fn a_timeout_as_the_last_verdict_completes_the_rollout() {
    let f = fleet(3, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 50,
            "device_timeout_seconds": 2}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let sha = sha256_hex(&f.pkg_bytes);
    f.devices[0].update(&sha).await;
    f.devices[1].update(&sha).await;
    assert_eq!(f.status(&id).await, "active");
    // Device 2 stays silent: 1 of 3 timed out is 33 %, below 50 %.
    let r = wait_status(&f, &id, "completed", Duration::from_secs(20)).await;
    assert_eq!(r["outcome"], "some_failed", "{r}");
    assert_eq!(r["counters"]["timed_out"], 1);
    assert_eq!(r["counters"]["successful"], 2);
    let last = r["transitions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["trigger"], "finished_with_failures");
    assert_eq!(last["actor"], "system");
}

/// A last failure that crosses the threshold pauses first (the operator decides); resuming
/// acknowledges the failures and completes the rollout as `some_failed`.
#[tokio::test]
async fn a_last_failure_over_the_threshold_pauses_and_a_resume_completes() {
    let f = fleet(2, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 10}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    f.devices[0].update(&sha256_hex(&f.pkg_bytes)).await;
    let r = f.devices[1]
        .report(&id, "1.0.0", "failure")
        .await
        .expect(200);
    assert_eq!(r["rollout_status"], "paused");
    let r =
        f.rm.post(&format!("/api/v1/ota/rollouts/{id}/resume"), json!({}))
            .await
            .expect(200);
    assert_eq!(r["status"], "completed");
    assert_eq!(r["outcome"], "some_failed");
    assert_eq!(
        triggers(&r),
        ["start", "auto_pause", "resume", "finished_with_failures"]
    );
}

/// A canary slice whose devices all have a verdict is not the end: the rollout completes only
/// once the slice covers every eligible device.
#[tokio::test]
async fn a_decided_canary_slice_is_not_a_finished_rollout() {
    let f = fleet(4, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 50, "failure_threshold_percent": 50}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let sha = sha256_hex(&f.pkg_bytes);
    for d in f.in_state(&id, "command_sent").await {
        d.update(&sha).await;
    }
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "active");
    assert_eq!(r["counters"]["successful"], 2);
    assert!(r["outcome"].is_null());
    f.rm.post(
        &format!("/api/v1/ota/rollouts/{id}/advance"),
        json!({"canary_percent": 100}),
    )
    .await
    .expect(200);
    for d in f.in_state(&id, "command_sent").await {
        d.update(&sha).await;
    }
    let r = f.rollout(&id).await;
    assert_eq!(r["outcome"], "succeeded", "{r}");
}

/// A finished rollback is never a success: `rolled_back`, on the rollout and on its event,
/// and the devices are back on the rollback version.
#[tokio::test]
async fn a_finished_rollback_completes_as_rolled_back() {
    let f = fleet(3, &[]).await;
    let mut events = sse(&f.rm, None).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100,
            "rollback_package_id": f.rollback_pkg}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    f.devices[0].update(&sha256_hex(&f.pkg_bytes)).await;
    let r =
        f.rm.post(&format!("/api/v1/ota/rollouts/{id}/rollback"), json!({}))
            .await
            .expect(200);
    assert_eq!(r["status"], "rolling_back");
    assert!(r["outcome"].is_null());
    let rb_sha = sha256_hex(&f.rollback_bytes);
    for d in &f.devices {
        let a = d.ota().await.expect(200);
        assert_eq!(a["command"], "ota_rollback");
        d.update(&rb_sha).await;
    }
    let done = wait_event(&mut events, "profile.ota.rollout.completed.").await;
    assert_eq!(done.data["outcome"], "rolled_back");
    assert_eq!(done.data["trigger"], "rollback_finished");
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "completed");
    assert_eq!(r["outcome"], "rolled_back");
    assert_eq!(r["rollback_counters"]["successful"], 3);
    for d in &f.devices {
        let dev =
            f.rm.get(&format!("/api/v1/devices/{}", d.id))
                .await
                .expect(200);
        assert_eq!(dev["firmware_version"], "1.0.1");
    }
}

/// A rollback with no rollback package completes at once, and still says `rolled_back`.
#[tokio::test]
async fn a_rollback_without_a_package_completes_as_rolled_back_at_once() {
    let f = fleet(2, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let r =
        f.rm.post(&format!("/api/v1/ota/rollouts/{id}/rollback"), json!({}))
            .await
            .expect(200);
    assert_eq!(r["status"], "completed");
    assert_eq!(r["outcome"], "rolled_back");
}

/// A rollout that an older server left `active` with every device decided (it completed only
/// when all succeeded) completes when the new server starts, and no longer holds its devices.
#[tokio::test]
async fn a_finished_rollout_left_active_by_an_older_server_completes_at_start_up() {
    let f = fleet(2, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    f.devices[0]
        .report(&id, "1.0.0", "failure")
        .await
        .expect(200);
    f.devices[1].update(&sha256_hex(&f.pkg_bytes)).await;
    assert_eq!(f.rollout(&id).await["outcome"], "some_failed");
    let Fleet { server, dir, .. } = f;
    server.kill9();
    // What the older server left behind: still active, no outcome, no completion.
    Db::of(dir.path()).execute(&format!(
        "UPDATE rollouts SET status = 'active', outcome = NULL WHERE id = '{id}';
         DELETE FROM rollout_transitions WHERE rollout_id = '{id}' AND to_status = 'completed';"
    ));

    let server = Server::start(dir.path());
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let r = rm
        .get(&format!("/api/v1/ota/rollouts/{id}"))
        .await
        .expect(200);
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(r["outcome"], "some_failed");
    let last = r["transitions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["trigger"], "finished_with_failures");
    assert_eq!(last["actor"], "system");
}
