//! Seed 000's rollout walk-through over real HTTP: canary, chunked downloads, reports,
//! advance, completion; and the bad path: auto-pause seen over SSE, rollback to completion.

mod common;

use common::ota::*;
use common::*;
use serde_json::json;

#[tokio::test]
async fn seed_000_canary_advance_complete() {
    let f = fleet(40, &[]).await;
    // Ineligible devices in the same profile, one per reason.
    let wrong = provision(&f.server, &f.rm, &f.profile, 1, "humidity", "1.0.0").await;
    let below = provision(&f.server, &f.rm, &f.profile, 1, "temp-sensor", "0.9.0").await;
    let already = provision(&f.server, &f.rm, &f.profile, 1, "temp-sensor", "2.0.0").await;
    let body = json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 5,
        "failure_threshold_percent": 10, "rollback_package_id": f.rollback_pkg});

    let preview =
        f.rm.post("/api/v1/ota/rollouts/preview", body.clone())
            .await
            .expect(200);
    assert_eq!(preview["eligible_count"], 40);
    assert_eq!(preview["scheduled_count"], 2);
    assert_eq!(preview["skipped_by_reason"]["wrong_device_type"], 1);
    assert_eq!(preview["skipped_by_reason"]["below_min_version"], 1);
    assert_eq!(preview["skipped_by_reason"]["already_on_version"], 1);

    let created = f.start(body).await;
    assert_eq!(created["status"], "active");
    assert_eq!(created["canary_percent"], 5);
    assert_eq!(created["scheduled_count"], 2); // ceil(5 × 40 / 100)
    assert_eq!(created["skipped_count"], 3);
    let skipped: Vec<(String, String)> = created["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["device_id"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(skipped.contains(&(wrong[0].id.clone(), "wrong_device_type".into())));
    assert!(skipped.contains(&(below[0].id.clone(), "below_min_version".into())));
    assert!(skipped.contains(&(already[0].id.clone(), "already_on_version".into())));
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    // The stored rollout says the same (its list is kept beside the row, its count in it).
    let stored = f.rollout(&id).await;
    assert_eq!(stored["skipped_count"], 3, "{stored}");
    assert_eq!(stored["skipped"], created["skipped"], "{stored}");
    let listed = f.rm.get("/api/v1/ota/rollouts").await.expect(200);
    let item = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rollout_id"] == id.as_str())
        .expect("listed");
    assert_eq!(item["skipped_count"], 3, "{item}");

    // Only the canary slice has an assignment.
    let sha = sha256_hex(&f.pkg_bytes);
    let canary = f.in_state(&id, "command_sent").await;
    assert_eq!(canary.len(), 2);
    for d in &canary {
        let a = d.update(&sha).await;
        assert_eq!(a["rollout_id"], id.as_str());
        assert_eq!(a["version"], "2.0.0");
        assert_eq!(a["command"], "ota_start");
    }
    let waiting = f.in_state(&id, "pending").await;
    assert_eq!(waiting.len(), 38);
    assert_eq!(waiting[0].ota().await.status, 204);
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "active");
    assert_eq!(r["counters"]["successful"], 2);
    assert_eq!(r["scheduled_count"], 2);

    // Advance to everyone; the rest download and report.
    f.rm.post(
        &format!("/api/v1/ota/rollouts/{id}/advance"),
        json!({"canary_percent": 100}),
    )
    .await
    .expect(200);
    for d in &waiting {
        d.update(&sha).await;
    }
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(r["counters"]["successful"], 40);
    let triggers: Vec<&str> = r["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trigger"].as_str().unwrap())
        .collect();
    assert_eq!(triggers, ["start", "advance", "all_succeeded"]);
    assert_eq!(r["transitions"][2]["actor"], "system");
    assert_eq!(r["transitions"][1]["actor_role"], "release-manager");

    // Seed 000: on success the device's firmware version becomes the package's.
    let dev =
        f.rm.get(&format!("/api/v1/devices/{}", canary[0].id))
            .await
            .expect(200);
    assert_eq!(dev["firmware_version"], "2.0.0");
    let hist =
        f.rm.get(&format!("/api/v1/devices/{}/history", canary[0].id))
            .await
            .expect(200);
    let kinds: Vec<&str> = hist["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "report", "newest first: {kinds:?}");
    for k in ["assigned", "command", "command_acked", "version_changed"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let seqs: Vec<u64> = hist["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]));

    // Per-device list, keyset-paged.
    let page =
        f.rm.get(&format!("/api/v1/ota/rollouts/{id}/devices?limit=30"))
            .await
            .expect(200);
    assert_eq!(page["data"].as_array().unwrap().len(), 30);
    assert_eq!(page["has_more"], true);
    let last = page["data"][29]["position"].as_u64().unwrap();
    let page2 =
        f.rm.get(&format!(
            "/api/v1/ota/rollouts/{id}/devices?limit=30&after={last}"
        ))
        .await
        .expect(200);
    assert_eq!(page2["data"].as_array().unwrap().len(), 10);
    assert_eq!(page2["data"][0]["state"], "successful");
    let list =
        f.rm.get("/api/v1/ota/rollouts?status=completed")
            .await
            .expect(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn threshold_auto_pause_over_sse_then_rollback_completes() {
    let f = fleet(20, &[]).await;
    let mut events = sse(&f.rm, None).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
            "failure_threshold_percent": 10, "rollback_package_id": f.rollback_pkg}),
        )
        .await;
    assert_eq!(created["scheduled_count"], 20);
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let started = wait_event(&mut events, "profile.ota.rollout.started.").await;
    assert_eq!(
        started.event,
        format!("profile.ota.rollout.started.acme.{id}")
    );

    let sha = sha256_hex(&f.pkg_bytes);
    for d in &f.devices[..5] {
        d.update(&sha).await;
    }
    // Threshold 10, 20 scheduled: 2 failures keep it active, the 3rd pauses it.
    for d in &f.devices[5..7] {
        let r = d.report(&id, "1.0.0", "INSTALL_ERROR").await.expect(200);
        assert_eq!(r["rollout_status"], "active");
    }
    let r = f.devices[7]
        .report(&id, "1.0.0", "failure")
        .await
        .expect(200);
    assert_eq!(r["rollout_status"], "paused");
    let paused = wait_event(&mut events, "profile.ota.rollout.paused.").await;
    assert_eq!(
        paused.event,
        format!("profile.ota.rollout.paused.acme.{id}")
    );
    assert_eq!(paused.data["counters"]["failed"], 3);
    assert_eq!(paused.data["trigger"], "auto_pause");
    assert_eq!(paused.data["actor"], "system");
    let view = f.rollout(&id).await;
    assert_eq!(view["status"], "paused");
    let last = view["transitions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["trigger"], "auto_pause");
    assert_eq!(last["actor"], "system");
    // A paused rollout cannot be paused again.
    f.rm.post(&format!("/api/v1/ota/rollouts/{id}/pause"), json!({}))
        .await
        .expect_error(409, "FAILED_PRECONDITION");

    // Roll back: the 5 successful and 12 still-open devices get ota_rollback.
    let r =
        f.rm.post(&format!("/api/v1/ota/rollouts/{id}/rollback"), json!({}))
            .await
            .expect(200);
    assert_eq!(r["status"], "rolling_back");
    wait_event(&mut events, "profile.ota.rollout.rolling_back.").await;
    let rb_sha = sha256_hex(&f.rollback_bytes);
    let touched: Vec<&Device> = f.devices[..5].iter().chain(&f.devices[8..]).collect();
    for d in &touched {
        let a = d.ota().await.expect(200);
        assert_eq!(a["command"], "ota_rollback");
        assert_eq!(a["package_id"], f.rollback_pkg.as_str());
        assert!(a["commands"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["kind"] == "ota_rollback"));
        d.update(&rb_sha).await;
    }
    // Failed devices stayed on their build: nothing to roll back.
    assert_eq!(f.devices[5].ota().await.status, 204);
    let done = wait_event(&mut events, "profile.ota.rollout.completed.").await;
    assert_eq!(done.data["status"], "completed");
    let view = f.rollout(&id).await;
    assert_eq!(view["status"], "completed");
    assert_eq!(view["rollback_counters"]["successful"], 17);
    for d in &touched {
        let dev =
            f.rm.get(&format!("/api/v1/devices/{}", d.id))
                .await
                .expect(200);
        assert_eq!(dev["firmware_version"], "1.0.1");
    }
    let triggers: Vec<&str> = view["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trigger"].as_str().unwrap())
        .collect();
    assert_eq!(
        triggers,
        ["start", "auto_pause", "rollback", "rollback_finished"]
    );
}

/// Many devices at once: every one downloads in parallel chunks and reports concurrently;
/// the counters come out exact.
#[tokio::test]
async fn many_devices_update_concurrently() {
    let f = fleet(150, &[]).await;
    let created = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "strategy": "all_at_once", "failure_threshold_percent": 10}))
        .await;
    assert_eq!(created["scheduled_count"], 150);
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let sha = sha256_hex(&f.pkg_bytes);
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(40));
    let mut tasks = Vec::new();
    for d in f.devices.clone() {
        let (sha, sem) = (sha.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            d.update(&sha).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let r = f.rollout(&id).await;
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(r["counters"]["successful"], 150);
}

/// The device table of the desktop app: any order, any state, any window of rows.
#[tokio::test]
async fn device_list_sorts_filters_and_reads_windows_at_any_offset() {
    let f = fleet(12, &[]).await;
    let created = f
        .start(
            json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 50,
            "failure_threshold_percent": 100, "rollback_package_id": f.rollback_pkg}),
        )
        .await;
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let sent = f.in_state(&id, "command_sent").await;
    assert_eq!(sent.len(), 6);
    let sha = sha256_hex(&f.pkg_bytes);
    sent[0].update(&sha).await;
    sent[1]
        .api
        .post(
            &format!("/api/v1/devices/{}/ota/report", sent[1].id),
            json!({"rollout_id": id, "firmware_version": "1.0.0", "status": "INSTALL_STEP", "progress": 40}),
        )
        .await
        .expect(200);
    sent[2]
        .api
        .post(
            &format!("/api/v1/devices/{}/ota/report", sent[2].id),
            json!({"rollout_id": id, "firmware_version": "1.0.0", "status": "INSTALL_ERROR", "message": "flash write failed"}),
        )
        .await
        .expect(200);
    let list = |q: String| {
        let rm = f.rm.clone();
        let id = id.clone();
        async move {
            rm.get(&format!("/api/v1/ota/rollouts/{id}/devices?{q}"))
                .await
                .expect(200)
        }
    };
    let states = |page: &serde_json::Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["state"].as_str().unwrap_or("pending").to_owned())
            .collect()
    };

    // Trouble first, then work under way, then done, then devices outside the slice.
    let by_state = list("sort=state&limit=100".into()).await;
    let s = states(&by_state);
    assert_eq!(
        s[..5],
        [
            "failed",
            "in_progress",
            "command_sent",
            "command_sent",
            "command_sent"
        ]
    );
    assert_eq!(s[5], "successful");
    assert!(s[6..].iter().all(|x| x == "pending"), "{s:?}");
    let failed = &by_state["data"][0];
    assert_eq!(failed["device_id"], sent[2].id.as_str());
    assert_eq!(failed["last_message"], "flash write failed");
    let index = f.devices.iter().position(|d| d.id == sent[2].id).unwrap();
    assert_eq!(
        failed["device_name"],
        format!("temp-sensor-1.0.0-{index}").as_str()
    );
    assert_eq!(failed["firmware_version"], "1.0.0");
    assert_eq!(by_state["data"][5]["firmware_version"], "2.0.0");
    let reversed = states(&list("sort=state&order=desc&limit=100".into()).await);
    assert_eq!(reversed.first().map(String::as_str), Some("pending"));
    assert_eq!(reversed.last().map(String::as_str), Some("failed"));

    // Progress, highest first: the device at 40 % comes before those without progress.
    let by_progress = list("sort=progress&order=desc&limit=100".into()).await;
    let progress: Vec<i64> = by_progress["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["progress"].as_i64().unwrap_or(-1))
        .collect();
    assert!(progress.windows(2).all(|w| w[0] >= w[1]), "{progress:?}");
    assert!(progress.contains(&40));

    // Names sort case-insensitively, ties and pages keep a stable order.
    let by_name = list("sort=device&limit=100".into()).await;
    let names: Vec<&str> = by_name["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);

    // A window anywhere: rows 10 and 11 of 12 in scheduling order, then nothing more.
    let all = list("limit=100".into()).await;
    let window = list("offset=10&limit=5".into()).await;
    assert_eq!(window["data"].as_array().unwrap().len(), 2);
    assert_eq!(window["has_more"], false);
    assert_eq!(window["data"][0]["device_id"], all["data"][10]["device_id"]);
    let filtered = list("state=command_sent&offset=1&limit=1".into()).await;
    assert_eq!(filtered["data"][0]["state"], "command_sent");
    assert_eq!(filtered["has_more"], true);

    // The keyset cursor only fits the default order; a bad sort is explained.
    for q in ["sort=device&after=3", "sort=colour", "order=sideways"] {
        let r =
            f.rm.get(&format!("/api/v1/ota/rollouts/{id}/devices?{q}"))
                .await
                .expect(400);
        assert_eq!(r["code"], "INVALID_ARGUMENT", "{q}: {r}");
    }
}
