//! Phased rollouts over real HTTP (spec, Milestone 2: `phases`): the rollout starts with the
//! first phase's slice and advances itself once the slice is decided, healthy and soaked;
//! `GET` shows the plan, the current phase and when the next advance is due; the preview
//! says how many devices each phase will hold; a bad plan is refused with what to fix.
//! (The soak's timing is tested in-process with the clock in hand: `store_contract`.)

mod common;

use common::ota::*;
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_phased_rollout_advances_itself_and_shows_its_phase() {
    let f = fleet(4, &[]).await;
    let plan = json!([
        {"percent": 50, "soak_seconds": 0, "min_success_percent": 100},
        {"percent": 100, "soak_seconds": 0, "min_success_percent": 0}
    ]);
    let preview =
        f.rm.post(
            "/api/v1/ota/rollouts/preview",
            json!({"package_id": f.pkg, "target_profile_id": f.profile,
                "failure_threshold_percent": 50, "phases": plan}),
        )
        .await
        .expect(200);
    assert_eq!(preview["phase_sizes"], json!([2, 4]));
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "failure_threshold_percent": 50, "phases": plan}))
        .await;
    assert_eq!(created["canary_percent"], 50);
    assert_eq!(created["scheduled_count"], 2);
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let r = f.rollout(&id).await;
    assert_eq!(r["current_phase"], 0);
    assert_eq!(r["phases"], plan);
    assert!(r["next_advance_at"].is_null(), "waiting for verdicts: {r}");

    let sha = sha256_hex(&f.pkg_bytes);
    let first = f.in_state(&id, "command_sent").await;
    first[0].update(&sha).await;
    assert_eq!(
        f.rollout(&id).await["canary_percent"],
        50,
        "one verdict of two"
    );
    first[1].update(&sha).await;
    // Decided, healthy, no soak: the last verdict advanced it in the same change.
    let r = f.rollout(&id).await;
    assert_eq!(r["canary_percent"], 100, "{r}");
    assert_eq!(r["current_phase"], 1);
    let last = r["transitions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["trigger"], "advance");
    assert_eq!(last["actor"], "system");
    for d in f.in_state(&id, "command_sent").await {
        d.update(&sha).await;
    }
    assert_eq!(f.rollout(&id).await["outcome"], "succeeded");
}

#[tokio::test]
async fn a_bad_plan_is_refused_with_what_to_fix() {
    let f = fleet(1, &[]).await;
    let phase = |p: u32| json!({"percent": p, "soak_seconds": 0, "min_success_percent": 0});
    for (body, words) in [
        (json!({"phases": [phase(10), phase(50)]}), "reach 100"),
        (
            json!({"phases": [phase(50), phase(10), phase(100)]}),
            "rise strictly",
        ),
        (json!({"phases": []}), "1 to 20"),
        (
            json!({"phases": [phase(10), phase(100)], "canary_percent": 20}),
            "first phase",
        ),
        (
            json!({"phases": [phase(10), phase(100)], "strategy": "rolling", "batch_percent": 10}),
            "canary strategy",
        ),
        (
            json!({"phases": [{"percent": 100, "soak_seconds": 0}]}),
            "min_success_percent",
        ),
    ] {
        let mut req = json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "failure_threshold_percent": 50});
        for (k, v) in body.as_object().unwrap() {
            req[k] = v.clone();
        }
        let e =
            f.rm.post("/api/v1/ota/rollouts", req)
                .await
                .expect_error(400, "INVALID_ARGUMENT");
        assert!(
            e["message"].as_str().unwrap().contains(words),
            "{words}: {e}"
        );
    }
    assert_eq!(
        f.rm.get("/api/v1/ota/rollouts").await.expect(200)["data"],
        json!([])
    );
}

/// `min_devices`: one early failure in a slice of ten does not pause the rollout; the
/// threshold applies once four devices have a verdict.
#[tokio::test]
async fn the_failure_threshold_waits_for_min_devices_verdicts() {
    let f = fleet(10, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 10, "min_devices": 4}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    assert_eq!(f.rollout(&id).await["min_devices"], 4);
    let r = f.devices[0]
        .report(&id, "1.0.0", "INSTALL_ERROR")
        .await
        .expect(200);
    assert_eq!(r["rollout_status"], "active", "1 verdict of the 4 needed");
    let r = f.devices[1]
        .report(&id, "1.0.0", "INSTALL_ERROR")
        .await
        .expect(200);
    assert_eq!(r["rollout_status"], "active", "2 verdicts");
    let sha = sha256_hex(&f.pkg_bytes);
    f.devices[2].update(&sha).await;
    // The 4th verdict applies the threshold: 2 of 10 failed is above 10 %.
    f.devices[3].update(&sha).await;
    assert_eq!(f.status(&id).await, "paused");
    let e =
        f.rm.post(
            "/api/v1/ota/rollouts",
            json!({"package_id": f.pkg, "device_ids": [f.devices[9].id],
                "canary_percent": 100, "failure_threshold_percent": 10,
                "min_devices": 1_000_000_000u64}),
        )
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert!(
        e["message"].as_str().unwrap().contains("min_devices"),
        "{e}"
    );
}
