//! Failure reasons grouped over real HTTP (spec, Milestone 2: `GET /rollouts/{id}/failures`):
//! messages that differ only in numbers, paths or hex strings are one reason, largest first,
//! with a few of the devices; another tenant's rollout is not found. A group's devices are
//! listed by its reason (and status), all of them, not just the samples.

mod common;

use common::ota::*;
use common::*;
use serde_json::json;

#[tokio::test]
async fn failures_are_grouped_by_normalized_reason_largest_first() {
    let f = fleet(5, &[]).await;
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let empty =
        f.rm.get(&format!("/api/v1/ota/rollouts/{id}/failures"))
            .await
            .expect(200);
    assert_eq!(empty["data"], json!([]));
    let fail = |i: usize, message: Option<&str>| {
        let d = f.devices[i].clone();
        let id = id.clone();
        let message = message.map(str::to_owned);
        async move {
            let mut body = json!({"rollout_id": id, "firmware_version": "1.0.0",
                "status": "INSTALL_ERROR"});
            if let Some(m) = message {
                body["message"] = json!(m);
            }
            d.api
                .post(&format!("/api/v1/devices/{}/ota/report", d.id), body)
                .await
                .expect(200);
        }
    };
    fail(0, Some("disk full: 512 MB free")).await;
    fail(1, Some("disk full: 498 MB free")).await;
    fail(2, Some("cannot open /var/lib/x/part.bin")).await;
    fail(3, None).await;
    f.devices[4].update(&sha256_hex(&f.pkg_bytes)).await;

    let got =
        f.rm.get(&format!("/api/v1/ota/rollouts/{id}/failures"))
            .await
            .expect(200);
    let data = got["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "{got}");
    assert_eq!(data[0]["reason"], "disk full: <n> MB free");
    assert_eq!(data[0]["status"], "INSTALL_ERROR");
    assert_eq!(data[0]["count"], 2);
    assert_eq!(
        data[0]["sample_device_ids"],
        json!([f.devices[0].id, f.devices[1].id])
    );
    // The group's example is its first failure's message, as the device sent it.
    assert_eq!(data[0]["example_message"], "disk full: 512 MB free");
    let no_message = data
        .iter()
        .find(|r| r["reason"] == "INSTALL_ERROR")
        .unwrap();
    assert_eq!(no_message["example_message"], serde_json::Value::Null);
    let reasons: Vec<&str> = data.iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"cannot open <path>"), "{reasons:?}");
    assert!(reasons.contains(&"INSTALL_ERROR"), "no message: its status");

    let support = Api::for_tenant(&f.server, "acme", "support");
    support
        .get(&format!("/api/v1/ota/rollouts/{id}/failures"))
        .await
        .expect(200);
    Api::for_tenant(&f.server, "globex", "admin")
        .get(&format!("/api/v1/ota/rollouts/{id}/failures"))
        .await
        .expect_error(404, "NOT_FOUND");
}

fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_failure_groups_devices_are_listed_by_its_reason_and_status() {
    let f = fleet(8, &[]).await;
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fail = |i: usize, status: &'static str, message: String| {
        let d = f.devices[i].clone();
        let id = id.clone();
        async move {
            d.api
                .post(
                    &format!("/api/v1/devices/{}/ota/report", d.id),
                    json!({"rollout_id": id, "firmware_version": "1.0.0",
                        "status": status, "message": message}),
                )
                .await
                .expect(200);
        }
    };
    // Six devices under one reason (more than the five samples), one with the same words under
    // another status, one with another reason; the last device succeeds.
    for (i, free) in ["512", "498", "300", "12", "7", "1"].iter().enumerate() {
        fail(i, "INSTALL_ERROR", format!("disk full: {free} MB free")).await;
    }
    fail(6, "DOWNLOAD_ERROR", "disk full: 3 MB free".into()).await;
    f.devices[7].update(&sha256_hex(&f.pkg_bytes)).await;

    let reason = "disk full: <n> MB free";
    let devices = |extra: String| {
        let path = format!("/api/v1/ota/rollouts/{id}/devices?limit=100{extra}");
        let rm = f.rm.clone();
        async move { rm.get(&path).await }
    };
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["device_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let group = devices(format!(
        "&failure_reason={}&failure_status=INSTALL_ERROR",
        q(reason)
    ))
    .await
    .expect(200);
    let mut got = ids(&group);
    got.sort();
    let mut want: Vec<String> = f.devices[..6].iter().map(|d| d.id.clone()).collect();
    want.sort();
    assert_eq!(got, want, "every device of the group: {group}");
    let positions: Vec<u64> = group["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["position"].as_u64().unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "in scheduling order: {positions:?}"
    );
    assert!(group["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["state"] == "failed" && d["last_status"] == "INSTALL_ERROR"));
    // The reason alone spans both statuses; with the state filter it still applies.
    let any_status = devices(format!("&failure_reason={}", q(reason)))
        .await
        .expect(200);
    assert_eq!(ids(&any_status).len(), 7, "{any_status}");
    let other = devices(format!(
        "&failure_reason={}&failure_status=DOWNLOAD_ERROR&state=failed",
        q(reason)
    ))
    .await
    .expect(200);
    assert_eq!(ids(&other), vec![f.devices[6].id.clone()]);
    // Paged by offset like the table does.
    let second = devices(format!(
        "&failure_reason={}&failure_status=INSTALL_ERROR&offset=4",
        q(reason)
    ))
    .await
    .expect(200);
    assert_eq!(ids(&second), ids(&group)[4..].to_vec());
    // Descending, from a keyset position, or sorted by another column (every failed device's
    // progress is empty, so position decides), the group's page holds the group's devices.
    let group_page = |extra: &str| {
        devices(format!(
            "&failure_reason={}&failure_status=INSTALL_ERROR{extra}",
            q(reason)
        ))
    };
    let mut reversed = ids(&group);
    reversed.reverse();
    let desc = group_page("&order=desc").await.expect(200);
    assert_eq!(ids(&desc), reversed, "{desc}");
    let desc_from_2 = group_page("&order=desc&offset=2").await.expect(200);
    assert_eq!(ids(&desc_from_2), reversed[2..].to_vec());
    let after = group_page(&format!("&after={}", positions[1]))
        .await
        .expect(200);
    assert_eq!(ids(&after), ids(&group)[2..].to_vec());
    let by_progress = group_page("&sort=progress&offset=1").await.expect(200);
    assert_eq!(ids(&by_progress), ids(&group)[1..].to_vec());
    let by_name = group_page("&sort=device").await.expect(200);
    let mut named = ids(&by_name);
    named.sort();
    assert_eq!(named, want, "sorted by name: {by_name}");
    // A reason nobody failed with lists nothing.
    let none = devices(format!("&failure_reason={}", q("out of coffee")))
        .await
        .expect(200);
    assert_eq!(ids(&none), Vec::<String>::new());

    // Bad words: a status without a reason, a reason longer than any kept.
    devices("&failure_status=INSTALL_ERROR".into())
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    devices(format!("&failure_reason={}", "x".repeat(201)))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    // Support reads it; another tenant does not find the rollout.
    Api::for_tenant(&f.server, "acme", "support")
        .get(&format!(
            "/api/v1/ota/rollouts/{id}/devices?failure_reason={}",
            q(reason)
        ))
        .await
        .expect(200);
    Api::for_tenant(&f.server, "globex", "admin")
        .get(&format!(
            "/api/v1/ota/rollouts/{id}/devices?failure_reason={}",
            q(reason)
        ))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn the_timeline_follows_the_counts() {
    let f = fleet(2, &[]).await;
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 50, "failure_threshold_percent": 100}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for d in f.in_state(&id, "command_sent").await {
        d.update(&sha256_hex(&f.pkg_bytes)).await;
    }
    let t =
        f.rm.get(&format!("/api/v1/ota/rollouts/{id}/timeline"))
            .await
            .expect(200);
    let last = t["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            &last["succeeded"],
            &last["failed"],
            &last["in_progress"],
            &last["pending"]
        ),
        (&json!(1), &json!(0), &json!(0), &json!(1)),
        "{t}"
    );
    assert!(last["at"].as_str().unwrap().ends_with(":00Z"), "{last}");
    Api::for_tenant(&f.server, "globex", "support")
        .get(&format!("/api/v1/ota/rollouts/{id}/timeline"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn fleet_versions_follow_provisioning_and_updates() {
    let f = fleet(3, &[]).await;
    let versions = f.rm.get("/api/v1/fleet/versions").await.expect(200);
    assert_eq!(
        versions["data"],
        json!([{"device_type": "temp-sensor", "firmware_version": "1.0.0", "devices": 3}])
    );
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 100}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    f.devices[0].update(&sha256_hex(&f.pkg_bytes)).await;
    let versions = Api::for_tenant(&f.server, "acme", "support")
        .get("/api/v1/fleet/versions")
        .await
        .expect(200);
    assert_eq!(
        versions["data"],
        json!([
            {"device_type": "temp-sensor", "firmware_version": "1.0.0", "devices": 2},
            {"device_type": "temp-sensor", "firmware_version": "2.0.0", "devices": 1}
        ]),
        "rollout {id}"
    );
    let other = Api::for_tenant(&f.server, "globex", "admin");
    assert_eq!(
        other.get("/api/v1/fleet/versions").await.expect(200)["data"],
        json!([])
    );
}
