//! The rollout's device list filtered by state: each device is in exactly one filter (its
//! rollback state once a rollback reached it), a filter's rows are the counts the app shows
//! next to it (`DeviceCounters::current` of the rollout's counters), and the filters together
//! are the whole rollout, while rolling back and after.

mod common;

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use common::ota::*;
use common::*;
use serde_json::{json, Value};

const STATES: [DeviceRolloutState; 6] = [
    DeviceRolloutState::Scheduled,
    DeviceRolloutState::CommandSent,
    DeviceRolloutState::InProgress,
    DeviceRolloutState::Successful,
    DeviceRolloutState::Failed,
    DeviceRolloutState::TimedOut,
];

/// Every row of the rollout's device list under `filter` (a state, `pending`, or none).
async fn rows(f: &Fleet, id: &str, filter: Option<&str>) -> Vec<Value> {
    let query = filter.map_or(String::new(), |s| format!("&state={s}"));
    let page =
        f.rm.get(&format!(
            "/api/v1/ota/rollouts/{id}/devices?limit=1000{query}"
        ))
        .await
        .expect(200);
    assert_eq!(page["has_more"], false, "one page holds the rollout");
    page["data"].as_array().unwrap().clone()
}

/// Checks every filter of rollout `id` against the counts the app shows next to it.
async fn filters_match_counts(f: &Fleet, id: &str) {
    let view = f.rollout(id).await;
    let counters: DeviceCounters = serde_json::from_value(view["counters"].clone()).unwrap();
    let rollback: Option<DeviceCounters> =
        serde_json::from_value(view["rollback_counters"].clone()).unwrap();
    let current = counters.current(rollback.as_ref());
    let all = rows(f, id, None).await;
    let mut seen = 0;
    for state in STATES {
        let got = rows(f, id, Some(state.as_str())).await;
        for row in &got {
            let shown = row["rollback_state"].as_str().or(row["state"].as_str());
            assert_eq!(shown, Some(state.as_str()), "{row}");
        }
        assert_eq!(
            got.len() as u64,
            current.get(state),
            "filter {state:?}: rows and count differ (counters {counters:?}, rollback {rollback:?})"
        );
        seen += got.len();
    }
    let pending = rows(f, id, Some("pending")).await;
    let eligible = view["eligible_count"].as_u64().unwrap();
    assert_eq!(pending.len() as u64, eligible - counters.total());
    seen += pending.len();
    assert_eq!(
        seen,
        all.len(),
        "the filters together are every device, once"
    );
    assert_eq!(all.len() as u64, eligible);
}

#[tokio::test]
async fn each_device_is_in_one_state_filter_and_the_counts_equal_the_rows() {
    let f = fleet(12, &[]).await;
    // A canary of half the fleet: the other half stays pending.
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 50,
            "failure_threshold_percent": 100, "rollback_package_id": f.rollback_pkg}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let sha = sha256_hex(&f.pkg_bytes);
    let slice: Vec<&Device> = {
        let in_slice: Vec<Value> = rows(&f, &id, None)
            .await
            .into_iter()
            .filter(|r| !r["state"].is_null())
            .collect();
        f.devices
            .iter()
            .filter(|d| in_slice.iter().any(|r| r["device_id"] == d.id.as_str()))
            .collect()
    };
    assert_eq!(slice.len(), 6);
    // Four update, one fails, one never answers.
    for d in &slice[..4] {
        d.update(&sha).await;
    }
    slice[4]
        .report(&id, "1.0.0", "INSTALL_ERROR")
        .await
        .expect(200);
    filters_match_counts(&f, &id).await;

    // Rolling back: the four updated devices and the silent one get ota_rollback; two of
    // them finish it. Each of the five is counted in its rollback state only.
    f.rm.post(&format!("/api/v1/ota/rollouts/{id}/rollback"), json!({}))
        .await
        .expect(200);
    let rb_sha = sha256_hex(&f.rollback_bytes);
    for d in &slice[..2] {
        d.update(&rb_sha).await;
    }
    filters_match_counts(&f, &id).await;
    let successful = rows(&f, &id, Some("successful")).await;
    assert_eq!(
        successful.len(),
        2,
        "only the devices back on the rollback build"
    );

    // Finished: every reached device back on the rollback build.
    for d in slice[2..4].iter().chain([&slice[5]]) {
        d.update(&rb_sha).await;
    }
    assert_eq!(f.rollout(&id).await["status"], "completed");
    filters_match_counts(&f, &id).await;
}
