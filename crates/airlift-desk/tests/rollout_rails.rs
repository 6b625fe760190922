//! The client's side of the rollout safety rails and outcomes, against the real airliftd:
//! `allow_downgrade` on preview and create, the conflict's `conflicting_rollout_id` on the
//! error (and in the preview), `outcome` / `retry_of` on what the desk reads and caches, and
//! `retry_failed`.

#[path = "support/device_reports.rs"]
mod device_reports;
mod support;

use airlift_core::rollout::RolloutOutcome;
use airlift_core::wire::{CreateRollout, RetryFailedRollout};
use airlift_desk::cache::Cache;
use airlift_desk::client::ListParams;
use airlift_desk::DeskErrorCode;
use std::sync::{Arc, Mutex};

const CONN: &str = "lab";

#[tokio::test]
async fn rails_outcomes_and_retry_through_the_client() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let client = server.client("acme", "release-manager");
    support::fleet::allow_unsigned(&server.client("acme", "admin")).await;
    // Three devices on 1.0.0 and one already on 3.0.0.
    let sensors = ["1.0.0", "1.0.0", "1.0.0", "3.0.0"]
        .into_iter()
        .enumerate()
        .map(|(i, v)| (format!("s{i}"), v));
    let (profile, provisioned) =
        support::fleet::profile_with_devices(&client, "lab", "temp-sensor", sensors).await;
    let dir = support::tempdir();
    let cache = Arc::new(Mutex::new(
        Cache::open(&dir.path().join("c.sqlite3")).unwrap().cache,
    ));
    let package = support::fleet::publish_temp_sensor_firmware(
        &client,
        &cache,
        CONN,
        dir.path(),
        "2.0.0",
        70_000,
    )
    .await;
    let request = CreateRollout {
        package_id: package.package_id.clone(),
        target_profile_id: Some(profile.profile_id.clone()),
        canary_percent: Some(100),
        failure_threshold_percent: 100,
        ..CreateRollout::default()
    };

    // Downgrades are opt-in.
    let preview = client.preview_rollout(&request).await.unwrap();
    assert_eq!(preview.eligible_count, 3);
    assert_eq!(preview.skipped_by_reason.get("would_downgrade"), Some(&1));
    assert_eq!(preview.conflicting_rollout_id, None);
    let allowing = CreateRollout {
        allow_downgrade: true,
        ..request.clone()
    };
    assert_eq!(
        client
            .preview_rollout(&allowing)
            .await
            .unwrap()
            .eligible_count,
        4
    );
    let first = client.create_rollout(&request).await.unwrap();
    assert_eq!(first.eligible_count, 3);
    assert_eq!(first.retry_of, None);

    // One unfinished rollout per device: the error and the preview name the first one.
    let err = client.create_rollout(&allowing).await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::FailedPrecondition);
    assert_eq!(
        err.conflicting_rollout_id(),
        Some(first.rollout_id.as_str())
    );
    assert_eq!(
        client
            .preview_rollout(&allowing)
            .await
            .unwrap()
            .conflicting_rollout_id
            .as_deref(),
        Some(first.rollout_id.as_str())
    );
    let err = client
        .retry_failed(&first.rollout_id, &RetryFailedRollout::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::FailedPrecondition);
    assert_eq!(err.conflicting_rollout_id(), None, "not a conflict: {err}");

    // Every target fails (the threshold is 100 %): the rollout completes as some_failed.
    device_reports::report_failures(&server.base, &provisioned, 3, &first.rollout_id).await;
    let done = client.rollout(&first.rollout_id).await.unwrap();
    assert_eq!(done.summary.outcome, Some(RolloutOutcome::SomeFailed));

    // Retry the failed devices: exactly those three, linked to the first rollout.
    let retried = client
        .retry_failed(&first.rollout_id, &RetryFailedRollout::default())
        .await
        .unwrap();
    assert_eq!(retried.retry_of.as_deref(), Some(first.rollout_id.as_str()));
    assert_eq!(retried.eligible_count, 3);
    assert_eq!(retried.scheduled_count, 3);
    let listed = client.rollouts(&ListParams::default()).await.unwrap();
    let again = listed
        .data
        .iter()
        .find(|r| r.rollout_id == retried.rollout_id)
        .expect("the retry is listed");
    assert_eq!(again.retry_of.as_deref(), Some(first.rollout_id.as_str()));
    assert_eq!(again.outcome, None, "not completed yet");

    // The cache keeps the outcome and the link for offline reading.
    let mut cache = cache.lock().unwrap();
    cache.save_rollout_summaries(CONN, &listed.data).unwrap();
    cache.save_rollout_detail(CONN, &done).unwrap();
    let cached = cache.rollout_summaries(CONN).unwrap();
    let old = cached
        .iter()
        .find(|r| r.rollout_id == first.rollout_id)
        .unwrap();
    assert_eq!(old.outcome, Some(RolloutOutcome::SomeFailed));
    let new = cached
        .iter()
        .find(|r| r.rollout_id == retried.rollout_id)
        .unwrap();
    assert_eq!(new.retry_of.as_deref(), Some(first.rollout_id.as_str()));
    let detail = cache
        .rollout_detail(CONN, &first.rollout_id)
        .unwrap()
        .unwrap();
    assert_eq!(detail.summary.outcome, Some(RolloutOutcome::SomeFailed));
}
