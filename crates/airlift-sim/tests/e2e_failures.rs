//! Injected failures against the real airliftd: auto-pause, rollback, corruption, hangs and
//! deterministic fault selection. The tests of this file run one at a time.

mod e2e;

use std::collections::BTreeSet;
use std::time::Duration;

use airlift_sim::{FaultKind, JobResult, StopCondition, StopHandle, Summary};
use serde_json::{json, Value};

use e2e::{counter, Env};

fn spawn_fleet(
    env: &Env,
    cfg: airlift_sim::RunConfig,
) -> (StopHandle, tokio::task::JoinHandle<anyhow::Result<Summary>>) {
    let stop = StopHandle::new();
    let fleet = env.fleet.clone();
    let s = stop.clone();
    let h = tokio::spawn(async move {
        fleet
            .run(
                cfg,
                StopCondition::any([
                    StopCondition::Handle(s),
                    StopCondition::After(Duration::from_secs(300)),
                ]),
            )
            .await
    });
    (stop, h)
}

fn verdicts(r: &Value) -> u64 {
    counter(r, "successful") + counter(r, "failed") + counter(r, "timed_out")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_percent_install_failures_auto_pause_a_ten_percent_rollout_then_roll_back() {
    let _serial = e2e::serial().await;
    let env = e2e::env(200, 20 * 1024, &[]).await;
    let mut cfg = env.config(3, Duration::from_millis(500));
    cfg.faults.fail_install = 0.3;
    let (stop, run) = spawn_fleet(&env, cfg);
    let created = env
        .create_rollout(json!({"canary_percent": 100, "failure_threshold_percent": 10}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let r = env
        .wait_for(&id, Duration::from_secs(120), "auto-pause", |r| {
            r["status"] == "paused"
        })
        .await;
    let scheduled = r["scheduled_count"].as_u64().unwrap();
    // Paused at the first failure above 10 %.
    assert!(
        counter(&r, "failed") * 100 > 10 * scheduled,
        "{}",
        r["counters"]
    );
    let last = r["transitions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["to"], "paused");
    assert_eq!(last["actor"], "system", "{last}");

    // Roll back: touched devices get ota_rollback with the 1.4.1 package.
    let _: Value = env
        .api
        .post_empty(&format!("/api/v1/ota/rollouts/{id}/rollback"))
        .await
        .unwrap();
    env.wait_for(&id, Duration::from_secs(180), "rollback to finish", |r| {
        r["status"] == "completed"
    })
    .await;
    stop.stop();
    let s = run.await.unwrap().unwrap();
    let rolled_back = s
        .outcomes
        .iter()
        .filter(|o| {
            o.jobs
                .iter()
                .any(|j| j.command == "ota_rollback" && j.result == JobResult::Installed)
        })
        .count();
    assert!(rolled_back > 0, "{:?}", s.jobs);
    // Every device that failed its install was one the plan picked.
    for o in &s.outcomes {
        if o.jobs.iter().any(|j| j.result == JobResult::InstallError) {
            assert_eq!(o.faults.fault, Some(FaultKind::Install));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_transfers_are_never_reported_installed() {
    let _serial = e2e::serial().await;
    let env = e2e::env(40, 150 * 1024, &[]).await;
    let mut cfg = env.config(5, Duration::from_millis(300));
    cfg.faults.corrupt = 0.25;
    cfg.faults.by_index.insert(0, FaultKind::Corrupt);
    let (stop, run) = spawn_fleet(&env, cfg);
    let created = env
        .create_rollout(json!({"canary_percent": 100, "failure_threshold_percent": 100}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    env.wait_for(&id, Duration::from_secs(120), "every verdict", |r| {
        verdicts(r) == 40
    })
    .await;
    stop.stop();
    let s = run.await.unwrap().unwrap();
    let corrupted: Vec<_> = s
        .outcomes
        .iter()
        .filter(|o| o.faults.fault == Some(FaultKind::Corrupt))
        .collect();
    assert!(!corrupted.is_empty());
    for o in &s.outcomes {
        let d = env.device(&o.device_id).await;
        let history = env.history(&o.device_id).await;
        let statuses: Vec<&str> = history
            .iter()
            .filter_map(|h| h["status"].as_str())
            .collect();
        if o.faults.fault == Some(FaultKind::Corrupt) {
            assert_eq!(d["firmware_version"], "1.4.2", "{d}");
            assert!(!statuses.contains(&"INSTALLED_VERSION"), "{statuses:?}");
            assert!(!statuses.contains(&"INSTALL"), "{statuses:?}");
            let err = history
                .iter()
                .find(|h| h["status"] == "DOWNLOAD_ERROR")
                .unwrap_or_else(|| panic!("no DOWNLOAD_ERROR in {history:?}"));
            assert!(err["message"]
                .as_str()
                .unwrap_or("")
                .contains("SHA-256 mismatch"));
            assert_eq!(o.jobs[0].result, JobResult::Rejected);
        } else {
            assert_eq!(d["firmware_version"], "2.0.0", "{d}");
            assert!(statuses.contains(&"INSTALLED_VERSION"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_devices_time_out() {
    let _serial = e2e::serial().await;
    let env = e2e::env(20, 20 * 1024, &[]).await;
    let mut cfg = env.config(9, Duration::from_millis(300));
    for i in 0..5 {
        cfg.faults.by_index.insert(i, FaultKind::Hang);
    }
    let (stop, run) = spawn_fleet(&env, cfg);
    let created = env
        .create_rollout(
            json!({"canary_percent": 100, "failure_threshold_percent": 100,
                               "device_timeout_seconds": 3}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let r = env
        .wait_for(&id, Duration::from_secs(60), "timeouts", |r| {
            counter(r, "timed_out") == 5 && verdicts(r) == 20
        })
        .await;
    assert_eq!(counter(&r, "successful"), 15, "{}", r["counters"]);
    stop.stop();
    let s = run.await.unwrap().unwrap();
    let hung: BTreeSet<String> = s.devices_with(JobResult::Hung).into_iter().collect();
    let timed_out: BTreeSet<String> = env
        .rollout_devices(&id)
        .await
        .into_iter()
        .filter(|d| d["state"] == "timed_out")
        .filter_map(|d| d["device_id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(hung, timed_out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_alone_decides_which_devices_fail() {
    let _serial = e2e::serial().await;
    let env = e2e::env(100, 10 * 1024, &[]).await;
    let mut cfg = env.config(11, Duration::from_millis(300));
    cfg.faults.fail_install = 0.3;
    let predicted: BTreeSet<String> = env
        .fleet
        .devices()
        .iter()
        .enumerate()
        .filter(|(i, _)| cfg.faults.for_device(11, *i as u64).fault.is_some())
        .map(|(_, d)| d.device_id.clone())
        .collect();
    let (stop, run) = spawn_fleet(&env, cfg);
    let created = env
        .create_rollout(json!({"canary_percent": 100, "failure_threshold_percent": 100}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    env.wait_for(&id, Duration::from_secs(120), "every verdict", |r| {
        verdicts(r) == 100
    })
    .await;
    stop.stop();
    let s = run.await.unwrap().unwrap();
    let failed_on_server: BTreeSet<String> = env
        .rollout_devices(&id)
        .await
        .into_iter()
        .filter(|d| d["state"] == "failed")
        .filter_map(|d| d["device_id"].as_str().map(str::to_owned))
        .collect();
    let failed_in_sim: BTreeSet<String> = s
        .devices_with(JobResult::InstallError)
        .into_iter()
        .collect();
    assert_eq!(failed_on_server, predicted);
    assert_eq!(failed_in_sim, predicted);
    assert!((15..=45).contains(&predicted.len()), "{}", predicted.len());
}
