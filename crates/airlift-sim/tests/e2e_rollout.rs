//! A canary rollout to 1,000 simulated devices against the real airliftd: 10 % first, then
//! advanced to 100 %, until the rollout completes and every device runs 2.0.0.

mod e2e;

use std::time::{Duration, Instant};

use airlift_sim::{JobResult, StopCondition, StopHandle};
use serde_json::json;

use e2e::counter;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_then_advance_to_100_completes_on_1000_devices() {
    let env = e2e::env(1000, 100 * 1024, &[]).await;
    let started = Instant::now();
    let stop = StopHandle::new();
    let fleet = env.fleet.clone();
    let cfg = env.config(1, Duration::from_secs(2));
    let run = tokio::spawn({
        let stop = stop.clone();
        async move {
            fleet
                .run(
                    cfg,
                    StopCondition::any([
                        StopCondition::Handle(stop),
                        StopCondition::After(Duration::from_secs(600)),
                    ]),
                )
                .await
        }
    });
    let created = env
        .create_rollout(json!({"canary_percent": 10, "failure_threshold_percent": 5}))
        .await;
    assert_eq!(created["scheduled_count"], 100, "{created}");
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    env.wait_for(&id, Duration::from_secs(180), "the canary", |r| {
        counter(r, "successful") == 100
    })
    .await;
    let canary_done = started.elapsed();
    let _: serde_json::Value = env
        .api
        .post(
            &format!("/api/v1/ota/rollouts/{id}/advance"),
            &json!({"canary_percent": 100}),
        )
        .await
        .unwrap();
    let r = env
        .wait_for(&id, Duration::from_secs(400), "completion", |r| {
            r["status"] == "completed"
        })
        .await;
    let total = started.elapsed();
    assert_eq!(counter(&r, "successful"), 1000, "{}", r["counters"]);
    assert_eq!(counter(&r, "failed"), 0);
    stop.stop();
    let s = run.await.unwrap().unwrap();
    assert_eq!(s.jobs_with(JobResult::Installed), 1000, "{:?}", s.jobs);
    assert_eq!(s.firmware.get("2.0.0"), Some(&1000));
    let d = env.device(&env.fleet.devices()[0].device_id).await;
    assert_eq!(d["firmware_version"], "2.0.0");
    // Simulated devices name themselves as such (the device page shows the agent).
    assert_eq!(d["user_agent"], airlift_sim::USER_AGENT, "{d}");
    eprintln!(
        "1000 devices: canary (100) done after {:.1}s, rollout completed after {:.1}s",
        canary_done.as_secs_f64(),
        total.as_secs_f64()
    );
}
