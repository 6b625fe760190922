//! The engine's harder edges: timeouts, strategies, concurrent transitions, kill -9, SSE
//! replay and tenant isolation, incremental sync.

mod common;

use std::time::Duration;

use common::ota::*;
use common::*;
use serde_json::json;

#[tokio::test]
async fn silent_devices_time_out_and_auto_pause() {
    let f = fleet(4, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
            "failure_threshold_percent": 25, "device_timeout_seconds": 2}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    // Two devices answer; two stay silent: 2 of 4 timed out is 50% > 25%.
    let sha = sha256_hex(&f.pkg_bytes);
    f.devices[0].update(&sha).await;
    f.devices[1].update(&sha).await;
    let r = wait_status(&f, &id, "paused", Duration::from_secs(15)).await;
    assert!(r["counters"]["timed_out"].as_u64().unwrap() >= 2, "{r}");
    let last = r["transitions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["trigger"], "auto_pause");
    assert_eq!(last["actor"], "system");
    let timed_out =
        f.rm.get(&format!(
            "/api/v1/ota/rollouts/{id}/devices?state=timed_out"
        ))
        .await
        .expect(200);
    assert_eq!(timed_out["data"].as_array().unwrap().len(), 2);
}

/// Progress keeps a device alive: each progress report restarts its deadline (written with the
/// report's fields), so a device that keeps reporting outlives its timeout three times over
/// while a silent one times out; once it falls silent, it times out too.
#[tokio::test]
async fn progress_reports_restart_the_device_deadline() {
    let f = fleet(2, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
            "failure_threshold_percent": 100, "device_timeout_seconds": 2}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let (talker, silent) = (&f.devices[0], &f.devices[1]);
    let until = std::time::Instant::now() + Duration::from_secs(6);
    let mut progress = 0;
    while std::time::Instant::now() < until {
        progress += 1;
        talker
            .api
            .post(
                &format!("/api/v1/devices/{}/ota/report", talker.id),
                json!({"rollout_id": id, "firmware_version": "1.0.0",
                    "status": "DOWNLOAD_STEP", "progress": progress}),
            )
            .await
            .expect(200);
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let ids = |ds: Vec<Device>| ds.into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(
        ids(f.in_state(&id, "timed_out").await),
        vec![silent.id.clone()]
    );
    assert_eq!(
        ids(f.in_state(&id, "in_progress").await),
        vec![talker.id.clone()]
    );

    let until = std::time::Instant::now() + Duration::from_secs(10);
    while f.in_state(&id, "timed_out").await.len() < 2 {
        assert!(
            std::time::Instant::now() < until,
            "the talker did not time out once silent"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn rolling_batches_advance_by_themselves_and_all_at_once_schedules_everything() {
    let f = fleet(8, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "strategy": "rolling",
            "batch_percent": 25, "min_batch_success_percent": 100,
            "failure_threshold_percent": 50}),
        )
        .await;
    assert_eq!(created["scheduled_count"], 2);
    assert_eq!(created["strategy"], "rolling");
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let sha = sha256_hex(&f.pkg_bytes);
    for batch in 0..4 {
        let open = f.in_state(&id, "command_sent").await;
        assert_eq!(open.len(), 2, "batch {batch}");
        for d in &open {
            d.api
                .post(
                    &format!("/api/v1/devices/{}/ota/report", d.id),
                    json!({"rollout_id": id, "firmware_version": "2.0.0", "status": "INSTALLED_VERSION"}),
                )
                .await
                .expect(200);
        }
    }
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(r["counters"]["successful"], 8);
    let advances = r["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["trigger"] == "advance" && t["actor"] == "system")
        .count();
    assert_eq!(advances, 3);
    let _ = sha;

    // all_at_once: everyone at once (force: they are all on 2.0.0 now).
    let all = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "strategy": "all_at_once", "force": true, "failure_threshold_percent": 50}))
        .await;
    assert_eq!(all["scheduled_count"], 8);
    assert_eq!(all["canary_percent"], 100);
}

/// A rolling batch below `min_batch_success_percent` stops the rollout where it is: no
/// further batch goes out by itself (though the failure rate stays under the threshold, so it
/// is not paused either), and a person can still advance it by hand.
#[tokio::test]
async fn a_rolling_batch_below_its_minimum_success_does_not_advance() {
    let f = fleet(8, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "strategy": "rolling",
            "batch_percent": 25, "min_batch_success_percent": 100,
            "failure_threshold_percent": 90}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let batch = f.in_state(&id, "command_sent").await;
    assert_eq!(batch.len(), 2);
    batch[0]
        .report(&id, "2.0.0", "INSTALLED_VERSION")
        .await
        .expect(200);
    batch[1]
        .report(&id, "1.0.0", "INSTALL_ERROR")
        .await
        .expect(200);

    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "active", "{r}");
    assert_eq!(r["canary_percent"], 25, "{r}");
    assert_eq!(r["counters"]["successful"], 1, "{r}");
    assert_eq!(r["counters"]["failed"], 1, "{r}");
    assert!(
        f.in_state(&id, "command_sent").await.is_empty(),
        "no new batch: {r}"
    );
    let system_advances = r["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["trigger"] == "advance" && t["actor"] == "system")
        .count();
    assert_eq!(system_advances, 0, "{r}");

    f.rm.post(
        &format!("/api/v1/ota/rollouts/{id}/advance"),
        json!({"canary_percent": 50}),
    )
    .await
    .expect(200);
    assert_eq!(f.in_state(&id, "command_sent").await.len(), 2);
}

#[tokio::test]
async fn concurrent_pause_and_rollback_apply_each_edge_once() {
    let f = fleet(10, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 50,
            "failure_threshold_percent": 50, "rollback_package_id": f.rollback_pkg}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let api = f.rm.clone();
        let action = if i % 2 == 0 { "pause" } else { "rollback" };
        let path = format!("/api/v1/ota/rollouts/{id}/{action}");
        tasks.push(tokio::spawn(async move {
            (action, api.post(&path, json!({})).await.status.as_u16())
        }));
    }
    let mut ok = std::collections::HashMap::new();
    for t in tasks {
        let (action, status) = t.await.unwrap();
        assert!(status == 200 || status == 409, "{action}: {status}");
        if status == 200 {
            *ok.entry(action).or_insert(0) += 1;
        }
    }
    assert_eq!(ok.get("rollback"), Some(&1), "{ok:?}");
    assert!(ok.get("pause").copied().unwrap_or(0) <= 1, "{ok:?}");
    let r = f.rollout(&id).await;
    let transitions = r["transitions"].as_array().unwrap();
    // The history is a chain: each entry starts where the previous ended.
    for w in transitions.windows(2) {
        assert_eq!(w[1]["from"], w[0]["to"], "{transitions:?}");
    }
    let rollbacks = transitions
        .iter()
        .filter(|t| t["trigger"] == "rollback")
        .count();
    assert_eq!(rollbacks, 1);
    assert_eq!(
        transitions
            .iter()
            .filter(|t| t["trigger"] == "pause")
            .count(),
        ok.get("pause").copied().unwrap_or(0)
    );
    assert!(r["status"] == "rolling_back" || r["status"] == "completed");
}

#[tokio::test]
async fn kill_9_mid_rollout_loses_no_report_and_double_counts_none() {
    let f = fleet(6, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
            "failure_threshold_percent": 100}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    for (i, d) in f.devices[..3].iter().enumerate() {
        d.api
            .post(
                &format!("/api/v1/devices/{}/ota/report", d.id),
                json!({"report_id": format!("done-{i}"), "rollout_id": id,
                       "firmware_version": "2.0.0", "status": "success"}),
            )
            .await
            .expect(200);
    }
    let Fleet {
        server,
        dir,
        rm,
        devices,
        ..
    } = f;
    server.kill9();
    let server = Server::start(dir.path());
    let rm = Api::new(&server, &rm.token);
    let get = |rm: Api| {
        let id = id.clone();
        async move {
            rm.get(&format!("/api/v1/ota/rollouts/{id}"))
                .await
                .expect(200)
        }
    };
    let r = get(rm.clone()).await;
    assert_eq!(r["counters"]["successful"], 3, "{r}");
    // Devices retry the reports whose answers they never saw: nothing counts twice.
    for (i, d) in devices[..3].iter().enumerate() {
        let api = Api::new(&server, &d.api.token);
        let again = api
            .post(
                &format!("/api/v1/devices/{}/ota/report", d.id),
                json!({"report_id": format!("done-{i}"), "rollout_id": id,
                       "firmware_version": "2.0.0", "status": "success"}),
            )
            .await
            .expect(200);
        assert_eq!(again["duplicate"], true);
    }
    for d in &devices[3..] {
        let api = Api::new(&server, &d.api.token);
        api.post(
            &format!("/api/v1/devices/{}/ota/report", d.id),
            json!({"rollout_id": id, "firmware_version": "2.0.0", "status": "success"}),
        )
        .await
        .expect(200);
    }
    let r = get(rm).await;
    assert_eq!(r["counters"]["successful"], 6);
    assert_eq!(r["status"], "completed");
}

#[tokio::test]
async fn sse_replays_after_last_event_id_and_never_shows_other_tenants() {
    let f = fleet(4, &[]).await;
    let other_dev = Api::for_tenant(&f.server, "globex", "admin");
    let mut theirs = sse(&other_dev, None).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 50,
            "failure_threshold_percent": 50}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let act = |a: &'static str| format!("/api/v1/ota/rollouts/{id}/{a}");
    f.rm.post(&act("pause"), json!({})).await.expect(200);
    f.rm.post(&act("resume"), json!({})).await.expect(200);
    // A client that saw event 1 (started) reconnects: it gets 2 (paused) and 3 (resumed),
    // then live ones.
    let mut rx = sse(&f.rm, Some(1)).await;
    let e2 = wait_event(&mut rx, "profile.ota.rollout.").await;
    assert_eq!(e2.id, Some(2));
    assert_eq!(e2.event, format!("profile.ota.rollout.paused.acme.{id}"));
    let e3 = wait_event(&mut rx, "profile.ota.rollout.").await;
    assert_eq!(e3.id, Some(3));
    assert!(e3.event.starts_with("profile.ota.rollout.resumed."));
    f.rm.post(&act("advance"), json!({"canary_percent": 100}))
        .await
        .expect(200);
    let e4 = wait_event(&mut rx, "profile.ota.rollout.").await;
    assert_eq!(e4.id, Some(4));
    assert!(e4.event.starts_with("profile.ota.rollout.advanced."));
    assert_eq!(e4.data["counters"]["command_sent"], 4);
    // Progress events follow reports.
    f.devices[0]
        .report(&id, "1.0.0", "DOWNLOAD_STEP")
        .await
        .expect(200);
    let p = wait_event(&mut rx, "rollout.progress").await;
    assert_eq!(p.id, None);
    assert_eq!(p.data["rollout_id"], id.as_str());
    // The other tenant saw nothing of all this.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(theirs.try_recv().is_err());
}

#[tokio::test]
async fn incremental_sync_returns_only_changes() {
    let f = fleet(3, &[]).await;
    let all =
        f.rm.get("/api/v1/devices?changed_since=0")
            .await
            .expect(200);
    let seqs: Vec<u64> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["change_seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs.len(), 3);
    let high = *seqs.iter().max().unwrap();
    assert_eq!(
        f.rm.get(&format!("/api/v1/devices?changed_since={high}"))
            .await
            .expect(200)["data"],
        json!([])
    );
    let created = f
        .start(
            json!({"package_id": f.pkg, "device_ids": [f.devices[1].id], "canary_percent": 100,
            "failure_threshold_percent": 50}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap();
    f.devices[1]
        .report(id, "2.0.0", "success")
        .await
        .expect(200);
    let changed =
        f.rm.get(&format!("/api/v1/devices?changed_since={high}"))
            .await
            .expect(200);
    assert_eq!(changed["data"].as_array().unwrap().len(), 1);
    assert_eq!(changed["data"][0]["device_id"], f.devices[1].id.as_str());
    assert_eq!(changed["data"][0]["firmware_version"], "2.0.0");
    let rollouts =
        f.rm.get("/api/v1/ota/rollouts?changed_since=0")
            .await
            .expect(200);
    assert_eq!(rollouts["data"][0]["status"], "completed");
    let pk =
        f.rm.get("/api/v1/ota/packages?changed_since=1")
            .await
            .expect(200);
    assert_eq!(pk["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn devices_added_to_the_profile_join_an_active_rollout() {
    let f = fleet(4, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 50,
            "failure_threshold_percent": 50}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    assert_eq!(created["scheduled_count"], 2);
    // Two more eligible devices and one of the wrong type join the profile.
    let new = provision(&f.server, &f.rm, &f.profile, 2, "temp-sensor", "1.0.0").await;
    provision(&f.server, &f.rm, &f.profile, 1, "humidity", "1.0.0").await;
    let r = f.rollout(&id).await;
    assert_eq!(r["eligible_count"], 6);
    assert_eq!(r["scheduled_count"], 3); // ceil(50% of 6)
    assert_eq!(r["counters"]["command_sent"], 3);
    let joined =
        f.rm.get(&format!("/api/v1/ota/rollouts/{id}/devices?limit=10"))
            .await
            .expect(200);
    let ids: Vec<&str> = joined["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&new[0].id.as_str()) && ids.contains(&new[1].id.as_str()));
    // Advancing to 100% covers the newcomers too.
    f.rm.post(
        &format!("/api/v1/ota/rollouts/{id}/advance"),
        json!({"canary_percent": 100}),
    )
    .await
    .expect(200);
    for d in &new {
        assert_eq!(d.ota().await.expect(200)["rollout_id"], id.as_str());
    }
}

#[tokio::test]
async fn illegal_transitions_are_409_and_rollback_without_package_completes() {
    let f = fleet(4, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 50,
            "failure_threshold_percent": 50}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let act = |a: &str| format!("/api/v1/ota/rollouts/{id}/{a}");
    f.rm.post(&act("resume"), json!({}))
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    f.rm.post(&act("advance"), json!({"canary_percent": 25}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    f.rm.post(&act("pause"), json!({})).await.expect(200);
    f.rm.post(&act("advance"), json!({"canary_percent": 100}))
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    // No rollback package: nothing to send, so rolling back finishes at once.
    let r = f.rm.post(&act("rollback"), json!({})).await.expect(200);
    assert_eq!(r["status"], "completed");
    for a in ["pause", "resume", "rollback"] {
        f.rm.post(&act(a), json!({}))
            .await
            .expect_error(409, "FAILED_PRECONDITION");
    }
    // Its withdrawn commands are no longer handed out.
    for d in &f.devices {
        assert_eq!(d.ota().await.status, 204);
        let c = d
            .api
            .get(&format!("/api/v1/devices/{}/commands", d.id))
            .await
            .expect(200);
        assert_eq!(c["data"], json!([]));
    }
    // No eligible device: 409; validation: 400.
    f.rm.post(
        "/api/v1/ota/rollouts",
        json!({"package_id": f.pkg, "device_ids": [f.devices[0].id], "canary_percent": 5,
            "failure_threshold_percent": 10, "force": false, "strategy": "canary",
            "device_timeout_seconds": 0}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    f.rm.post(
        "/api/v1/ota/rollouts",
        json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "failure_threshold_percent": 10}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn silent_devices_time_out_on_the_way_down_too() {
    let f = fleet(3, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
            "failure_threshold_percent": 100, "rollback_package_id": f.rollback_pkg,
            "device_timeout_seconds": 2}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let sha = sha256_hex(&f.pkg_bytes);
    for d in &f.devices {
        d.update(&sha).await;
    }
    // Completed already (all succeeded): start another, forced, and roll it back.
    assert_eq!(f.status(&id).await, "completed");
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
            "failure_threshold_percent": 100, "rollback_package_id": f.rollback_pkg,
            "force": true, "device_timeout_seconds": 2}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    f.devices[0]
        .report(&id, "2.0.0", "success")
        .await
        .expect(200);
    f.rm.post(&format!("/api/v1/ota/rollouts/{id}/rollback"), json!({}))
        .await
        .expect(200);
    // One device rolls back; the other two say nothing and time out; then it is over.
    f.devices[0].update(&sha256_hex(&f.rollback_bytes)).await;
    let r = wait_status(&f, &id, "completed", Duration::from_secs(15)).await;
    assert_eq!(r["rollback_counters"]["successful"], 1, "{r}");
    assert_eq!(r["rollback_counters"]["timed_out"], 2, "{r}");
    let last = r["transitions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["trigger"], "rollback_finished");
    assert_eq!(last["actor"], "system");
}

/// The rollout row's counters (what every report reads instead of counting the targets), and
/// the per-device poll answers, must equal a recount from the per-device rows after every kind
/// of change: creation, commands, reports of each verdict, a device joining, an advance,
/// timeouts, a rollback.
#[tokio::test]
async fn stored_counters_equal_a_recount_after_every_kind_of_change() {
    let f = fleet(10, &["--device-timeout", "2s"]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 50,
            "failure_threshold_percent": 60, "rollback_package_id": f.rollback_pkg,
            "device_timeout_seconds": 2}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let db = Db::of(f.dir.path());
    assert_counters_match(&db, &id, "after create");

    let sent = f.in_state(&id, "command_sent").await;
    assert_eq!(sent.len(), 5);
    sent[0].update(&sha256_hex(&f.pkg_bytes)).await;
    sent[1]
        .report(&id, "1.0.0", "INSTALL_ERROR")
        .await
        .expect(200);
    sent[2].report(&id, "1.0.0", "DOWNLOAD").await.expect(200);
    assert_counters_match(&db, &id, "after reports");

    provision(&f.server, &f.rm, &f.profile, 1, "temp-sensor", "1.0.0").await;
    assert_counters_match(&db, &id, "after a device joined");

    f.rm.post(
        &format!("/api/v1/ota/rollouts/{id}/advance"),
        json!({"canary_percent": 100}),
    )
    .await
    .expect(200);
    assert_counters_match(&db, &id, "after advance");

    // The silent devices time out (2 s); then roll back and let that time out too.
    let r = f.rollout(&id).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while f.rollout(&id).await["counters"]["timed_out"] == 0 {
        assert!(std::time::Instant::now() < deadline, "no timeout: {r}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_counters_match(&db, &id, "after timeouts");
    let status = f.status(&id).await;
    if status == "active" || status == "paused" {
        f.rm.post(&format!("/api/v1/ota/rollouts/{id}/rollback"), json!({}))
            .await
            .expect(200);
    }
    wait_status(&f, &id, "completed", Duration::from_secs(20)).await;
    assert_counters_match(&db, &id, "after the rollback finished");

    // Retrying the failed and timed-out devices starts a rollout whose counters are true too.
    let retry =
        f.rm.post(
            &format!("/api/v1/ota/rollouts/{id}/retry-failed"),
            json!({"canary_percent": 50}),
        )
        .await
        .expect(201);
    let retry_id = retry["rollout_id"].as_str().unwrap();
    assert_counters_match(&db, retry_id, "after retry-failed");
}

fn assert_counters_match(db: &Db, rollout: &str, when: &str) {
    let stored = db.ints(&format!(
        "SELECT target_count, n_scheduled, n_command_sent, n_in_progress, n_successful,
             n_failed, n_timed_out FROM rollouts WHERE id = '{rollout}'"
    ));
    let recount = db.ints(&format!(
        "SELECT COUNT(*),
             COUNT(*) FILTER (WHERE state = 'scheduled'),
             COUNT(*) FILTER (WHERE state = 'command_sent'),
             COUNT(*) FILTER (WHERE state = 'in_progress'),
             COUNT(*) FILTER (WHERE state = 'successful'),
             COUNT(*) FILTER (WHERE state = 'failed'),
             COUNT(*) FILTER (WHERE state = 'timed_out')
         FROM rollout_targets WHERE rollout_id = '{rollout}'"
    ));
    assert_eq!(stored, recount, "stored counters disagree {when}");
    // Every device that was sent the command has exactly one ota_start command row.
    let sent_and_commands = db.ints(&format!(
        "SELECT (SELECT COUNT(*) FROM rollout_targets WHERE rollout_id = '{rollout}'
                     AND state NOT IN ('scheduled')),
                (SELECT COUNT(DISTINCT device_id) FROM device_commands
                     WHERE rollout_id = '{rollout}' AND kind = 'ota_start')"
    ));
    assert_eq!(
        sent_and_commands[0], sent_and_commands[1],
        "ota_start commands {when}"
    );
    // What polls read (`device_polls`, kept by triggers) is what the assignment rule says.
    let differ = db.ints(
        "SELECT (SELECT count(*) FROM (SELECT * FROM device_polls EXCEPT SELECT * FROM device_assignments) a)
              + (SELECT count(*) FROM (SELECT * FROM device_assignments EXCEPT SELECT * FROM device_polls) b)",
    );
    assert_eq!(
        differ[0], 0,
        "device_polls disagrees with device_assignments {when}"
    );
}

/// Devices of one rollout report all at once: every report is answered 200 and counted once,
/// and the stored counters equal a recount (on PostgreSQL the reports queue on the rollout's
/// row lock; on SQLite on its single writer).
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_reports_are_each_counted_once() {
    let f = fleet(24, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100}))
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let reports: Vec<_> = f
        .devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (d, id) = (d.clone(), id.clone());
            tokio::spawn(async move {
                d.report(&id, "1.0.0", "DOWNLOAD").await.expect(200);
                if i % 3 == 0 {
                    d.report(&id, "1.0.0", "INSTALL_ERROR").await.expect(200);
                } else {
                    d.report(&id, "2.0.0", "success").await.expect(200);
                }
            })
        })
        .collect();
    for r in reports {
        r.await.unwrap();
    }
    let r = f.rollout(&id).await;
    assert_eq!(r["counters"]["failed"], 8, "{r}");
    assert_eq!(r["counters"]["successful"], 16, "{r}");
    assert_counters_match(&Db::of(f.dir.path()), &id, "after concurrent reports");
}
