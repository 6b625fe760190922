//! Simulated devices against the real airliftd: by default they fetch their package through
//! the assignment's download URL (seed 001) in `Range` requests, renewing an expired URL by
//! polling and resuming after a dropped link; `--chunks` keeps seed 000's 64 KiB endpoint.
//! Either way they verify SHA-256 and the signature before installing.

mod e2e;

use std::time::Duration;

use airlift_sim::{DownloadVia, JobResult, StopCondition};
use serde_json::json;

use e2e::counter;

fn until(limit: Duration) -> StopCondition {
    StopCondition::any([
        StopCondition::Settled {
            quiet: Duration::from_secs(2),
        },
        StopCondition::After(limit),
    ])
}

async fn rollout_to_all(env: &e2e::Env) -> String {
    let created = env
        .create_rollout(json!({"canary_percent": 100, "failure_threshold_percent": 50}))
        .await;
    created["rollout_id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_download_by_url_renewing_expired_urls_and_resuming_after_a_drop() {
    let _serial = e2e::serial().await;
    // URLs live 1 to 2 s; one device works at a time and each install takes 2.5 s or more,
    // so the devices that queued hold an expired URL when their turn comes.
    let env = e2e::env(3, 3 * 1024 * 1024 + 17, &["--download-url-ttl", "1s"]).await;
    let id = rollout_to_all(&env).await;
    let mut cfg = env.config(3, Duration::from_millis(200));
    assert_eq!(cfg.download, DownloadVia::Url, "the URL is the default");
    cfg.max_active_jobs = 1;
    cfg.install_time = Duration::from_secs(5);
    // Small ranges so a download has several, and every device drops off once midway.
    cfg.url_range_len = 256 * 1024;
    cfg.faults.offline = 1.0;
    cfg.faults.offline_for = Duration::from_millis(300);
    let s = env
        .fleet
        .run(cfg, until(Duration::from_secs(90)))
        .await
        .unwrap();
    assert_eq!(s.jobs_with(JobResult::Installed), 3, "{:?}", s.jobs);
    let r = env.rollout(&id).await;
    assert_eq!(counter(&r, "successful"), 3, "{}", r["counters"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_chunks_devices_use_the_64_kib_endpoint_and_still_verify() {
    let _serial = e2e::serial().await;
    let env = e2e::env(4, 300_000, &[]).await;
    let id = rollout_to_all(&env).await;
    let mut cfg = env.config(4, Duration::from_millis(200));
    cfg.download = DownloadVia::Chunks;
    // One device's bytes are corrupted in transit: the SHA-256 check catches it either way.
    cfg.faults
        .by_index
        .insert(1, airlift_sim::FaultKind::Corrupt);
    let s = env
        .fleet
        .run(cfg, until(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(s.jobs_with(JobResult::Installed), 3, "{:?}", s.jobs);
    assert_eq!(s.jobs_with(JobResult::Rejected), 1, "{:?}", s.jobs);
    let r = env.rollout(&id).await;
    assert_eq!(counter(&r, "successful"), 3, "{}", r["counters"]);
    assert_eq!(counter(&r, "failed"), 1, "{}", r["counters"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_url_downloads_are_caught_by_the_checksum() {
    let _serial = e2e::serial().await;
    let env = e2e::env(2, 300_000, &[]).await;
    let id = rollout_to_all(&env).await;
    let mut cfg = env.config(5, Duration::from_millis(200));
    cfg.faults
        .by_index
        .insert(0, airlift_sim::FaultKind::Corrupt);
    let s = env
        .fleet
        .run(cfg, until(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(s.jobs_with(JobResult::Installed), 1, "{:?}", s.jobs);
    assert_eq!(s.jobs_with(JobResult::Rejected), 1, "{:?}", s.jobs);
    let r = env.rollout(&id).await;
    assert_eq!(counter(&r, "failed"), 1, "{}", r["counters"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_storage_devices_download_straight_from_the_bucket() {
    let _serial = e2e::serial().await;
    let s3 = airlift_testkit::s3::S3Server::start();
    s3.create_bucket("fleet");
    let endpoint = s3.endpoint();
    let env = e2e::env_with(
        5,
        2 * 1024 * 1024 + 99,
        &["--storage", "s3://fleet/fw", "--s3-endpoint", &endpoint],
        &s3.credentials(),
    )
    .await;
    let id = rollout_to_all(&env).await;
    let cfg = env.config(6, Duration::from_millis(200));
    let s = env
        .fleet
        .run(cfg, until(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(s.jobs_with(JobResult::Installed), 5, "{:?}", s.jobs);
    let r = env.rollout(&id).await;
    assert_eq!(counter(&r, "successful"), 5, "{}", r["counters"]);
    assert!(s3
        .keys("fleet")
        .iter()
        .any(|k| k.starts_with("fw/firmware/")));
}
