//! Per-device retries over real HTTP (spec, Milestone 2: `retry`): a failed attempt with
//! attempts left is no verdict (nothing counted, no auto-pause); the device gets a new
//! `ota_start` after its backoff; a success on the retry counts once, as a success. (The
//! backoff's timing is tested in-process with the clock in hand: `store_contract`.)

mod common;

use std::time::Duration;

use common::ota::*;
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_failed_device_is_told_again_and_its_success_counts_once() {
    let f = fleet(2, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 0,
            "retry": {"max_attempts": 2, "backoff_seconds": 1}}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    assert_eq!(
        f.rollout(&id).await["retry"],
        json!({"max_attempts": 2, "backoff_seconds": 1})
    );
    let d = &f.devices[0];
    let a = d.ota().await.expect(200);
    d.ack_all(&a).await;
    let r = d.report(&id, "1.0.0", "INSTALL_ERROR").await.expect(200);
    assert_eq!(r["rollout_status"], "active", "threshold 0, yet no pause");
    assert_eq!(r["device_state"], "in_progress");
    let rollout = f.rollout(&id).await;
    assert_eq!(rollout["counters"]["failed"], 0);

    // The retry: a new ota_start once the backoff is over (the sweep runs every second).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let cmds = d
            .api
            .get(&format!("/api/v1/devices/{}/commands", d.id))
            .await
            .expect(200);
        if cmds["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "ota_start")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no retry within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let history =
        f.rm.get(&format!("/api/v1/devices/{}/history", d.id))
            .await
            .expect(200);
    let kinds: Vec<&str> = history["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"retry_scheduled") && kinds.contains(&"retry"),
        "{kinds:?}"
    );
    d.update(&sha256_hex(&f.pkg_bytes)).await;
    f.devices[1].update(&sha256_hex(&f.pkg_bytes)).await;
    let r = f.rollout(&id).await;
    assert_eq!(r["counters"]["successful"], 2);
    assert_eq!(r["counters"]["failed"], 0);
    assert_eq!(r["outcome"], "succeeded");
}

#[tokio::test]
async fn a_bad_retry_policy_is_refused() {
    let f = fleet(1, &[]).await;
    for (retry, words) in [
        (
            json!({"max_attempts": 0, "backoff_seconds": 5}),
            "retry.max_attempts",
        ),
        (
            json!({"max_attempts": 3, "backoff_seconds": 0}),
            "retry.backoff_seconds",
        ),
        (json!({"max_attempts": 3}), "backoff_seconds"),
    ] {
        let e =
            f.rm.post(
                "/api/v1/ota/rollouts",
                json!({"package_id": f.pkg, "target_profile_id": f.profile,
                    "canary_percent": 100, "failure_threshold_percent": 0, "retry": retry}),
            )
            .await
            .expect_error(400, "INVALID_ARGUMENT");
        assert!(
            e["message"].as_str().unwrap().contains(words),
            "{words}: {e}"
        );
    }
}
