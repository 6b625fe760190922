//! The audit log over real HTTP (spec, Milestone 2: "Audit log"): every change made by a user
//! or token, newest first, with who, role, when, what and on which object; paged and filtered;
//! readable by admins and support only; never a secret in it.

mod common;

use common::ota::*;
use common::*;
use ed25519_dalek::pkcs8::EncodePublicKey as _;
use p256::pkcs8::LineEnding;
use serde_json::{json, Value};

fn actions(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_change_is_recorded_newest_first_with_who_and_what() {
    let f = fleet(2, &[]).await;
    let id = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 50, "failure_threshold_percent": 50}))
        .await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for action in ["pause", "resume"] {
        f.rm.post(&format!("/api/v1/ota/rollouts/{id}/{action}"), json!({}))
            .await
            .expect(200);
    }
    f.rm.post(
        &format!("/api/v1/ota/rollouts/{id}/advance"),
        json!({"canary_percent": 100}),
    )
    .await
    .expect(200);
    f.rm.post(&format!("/api/v1/ota/rollouts/{id}/cancel"), json!({}))
        .await
        .expect(200);
    // A refused change is not a change.
    f.rm.post(&format!("/api/v1/ota/rollouts/{id}/pause"), json!({}))
        .await
        .expect_error(409, "FAILED_PRECONDITION");

    let mut log = f.admin.get("/api/v1/audit").await.expect(200);
    assert_eq!(log["order"], "DESC");
    // The fleet's tokens were issued with `airliftd token` on the host: the operator's entries
    // (token_revocation.rs tests them); what users did is the rest.
    let by_users: Vec<Value> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["role"] != "operator")
        .cloned()
        .collect();
    log["data"] = Value::Array(by_users);
    assert_eq!(
        actions(&log),
        [
            "rollout.cancel",
            "rollout.advance",
            "rollout.resume",
            "rollout.pause",
            "rollout.create",
            "device.create",
            "profile.create",
            "package.create",
            "image.create",
            "upload_job.create",
            "package.create",
            "image.create",
            "upload_job.create",
            "tenant.update",
        ]
    );
    let cancel = &log["data"][0];
    assert_eq!(cancel["actor"], "release-manager@acme");
    assert_eq!(cancel["role"], "release-manager");
    assert_eq!(cancel["object_type"], "rollout");
    assert_eq!(cancel["object_id"], id.as_str());
    assert!(
        cancel["summary"].as_str().unwrap().contains("cancelled"),
        "{cancel}"
    );
    assert!(cancel["at"].as_str().unwrap().ends_with('Z'), "{cancel}");
    assert!(cancel["id"].as_str().unwrap().starts_with("aud_"));
    let advance = &log["data"][1];
    assert!(
        advance["summary"].as_str().unwrap().contains("100%"),
        "{advance}"
    );
    let create = &log["data"][4];
    let summary = create["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("canary rollout")
            && summary.contains(&f.pkg)
            && summary.contains(&f.profile),
        "{summary}"
    );
    assert!(
        log["data"][5]["summary"]
            .as_str()
            .unwrap()
            .starts_with("2 devices provisioned in one batch"),
        "{log}"
    );
    let tenant = log["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(tenant["actor"], "admin@acme");
    assert_eq!(tenant["role"], "admin");
    assert!(tenant["summary"]
        .as_str()
        .unwrap()
        .contains("require_signatures is false"));
}

#[tokio::test]
async fn the_log_is_filtered_and_paged() {
    let f = fleet(1, &[]).await;
    let all = f.admin.get("/api/v1/audit?limit=1000").await.expect(200);
    let n = all["data"].as_array().unwrap().len();
    assert!(n >= 6, "{all}");

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/api/v1/audit?limit=2&after={a}"),
            None => "/api/v1/audit?limit=2".to_owned(),
        };
        let page = f.admin.get(&path).await.expect(200);
        let data = page["data"].as_array().unwrap().clone();
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
        after = data.last().map(|e| e["id"].as_str().unwrap().to_owned());
    }
    let ids: Vec<String> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        seen, ids,
        "pages are the whole log, in order, without repeats"
    );

    let admin_only = f
        .admin
        .get("/api/v1/audit?actor=admin@acme")
        .await
        .expect(200);
    assert_eq!(actions(&admin_only), ["tenant.update"]);
    let packages = f
        .admin
        .get("/api/v1/audit?action=package.create")
        .await
        .expect(200);
    assert_eq!(actions(&packages), ["package.create", "package.create"]);
    let future = f
        .admin
        .get("/api/v1/audit?since=2999-01-01T00:00:00Z")
        .await
        .expect(200);
    assert_eq!(future["data"], json!([]));
    let past = f
        .admin
        .get("/api/v1/audit?since=2001-01-01T00:00:00%2B02:00&action=image.create")
        .await
        .expect(200);
    assert_eq!(actions(&past).len(), 2);

    for (query, words) in [
        ("action=rollout.explode", "rollout.cancel"),
        ("since=yesterday", "RFC 3339"),
        ("after=rol_123", "aud_"),
        ("limit=0", "limit"),
    ] {
        let e = f
            .admin
            .get(&format!("/api/v1/audit?{query}"))
            .await
            .expect_error(400, "INVALID_ARGUMENT");
        assert!(
            e["message"].as_str().unwrap().contains(words),
            "{query}: {e}"
        );
    }
}

#[tokio::test]
async fn the_log_is_filtered_by_object_and_by_a_closed_time_range() {
    let f = fleet(2, &[]).await;
    let start = |canary: u32| {
        json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": canary, "failure_threshold_percent": 50})
    };
    let first = f.start(start(50)).await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();
    f.rm.post(&format!("/api/v1/ota/rollouts/{first}/pause"), json!({}))
        .await
        .expect(200);
    f.rm.post(&format!("/api/v1/ota/rollouts/{first}/cancel"), json!({}))
        .await
        .expect(200);
    let second = f.start(start(100)).await["rollout_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let one = f
        .admin
        .get(&format!(
            "/api/v1/audit?object_type=rollout&object_id={first}"
        ))
        .await
        .expect(200);
    assert_eq!(
        actions(&one),
        ["rollout.cancel", "rollout.pause", "rollout.create"]
    );
    let rollouts = f
        .admin
        .get("/api/v1/audit?object_type=rollout&limit=1000")
        .await
        .expect(200);
    assert_eq!(actions(&rollouts).len(), 4, "{rollouts}");
    let ids: Vec<&str> = rollouts["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["object_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), &first, &first, &first]);

    // `until` closes the range: nothing before the first entry, everything up to the last.
    let all = f.admin.get("/api/v1/audit?limit=1000").await.expect(200);
    let newest = all["data"][0]["at"].as_str().unwrap().to_owned();
    let upto = f
        .admin
        .get(&format!(
            "/api/v1/audit?limit=1000&until={}",
            newest.replace('+', "%2B")
        ))
        .await
        .expect(200);
    assert_eq!(upto["data"], all["data"], "until includes its own instant");
    let before = f
        .admin
        .get("/api/v1/audit?until=2001-01-01T00:00:00Z")
        .await
        .expect(200);
    assert_eq!(before["data"], json!([]));
    for (query, words) in [
        ("object_type=planet", "rollout"),
        ("until=tomorrow", "RFC 3339"),
    ] {
        let e = f
            .admin
            .get(&format!("/api/v1/audit?{query}"))
            .await
            .expect_error(400, "INVALID_ARGUMENT");
        assert!(
            e["message"].as_str().unwrap().contains(words),
            "{query}: {e}"
        );
    }
}

#[tokio::test]
async fn admins_and_support_read_it_release_managers_and_other_tenants_do_not() {
    let f = fleet(1, &[]).await;
    let support = Api::for_tenant(&f.server, "acme", "support");
    let read = support.get("/api/v1/audit").await.expect(200);
    assert!(!read["data"].as_array().unwrap().is_empty());
    f.rm.get("/api/v1/audit")
        .await
        .expect_error(403, "PERMISSION_DENIED");
    let other = Api::for_tenant(&f.server, "globex", "admin");
    // Another tenant's log holds only its own: the operator issuing its admin's token.
    let theirs = other.get("/api/v1/audit").await.expect(200);
    assert_eq!(actions(&theirs), ["bootstrap_token.create"], "{theirs}");
    let anonymous = Api::new(&f.server, "not-a-token");
    assert_eq!(anonymous.get("/api/v1/audit").await.status, 401);
    // Support reads, and cannot act: its refused attempt leaves no entry.
    support
        .post(
            "/api/v1/profiles",
            json!({"name": "sneaky", "device_type": "temp-sensor"}),
        )
        .await
        .expect_error(403, "PERMISSION_DENIED");
    let after = support.get("/api/v1/audit").await.expect(200);
    assert_eq!(after["data"], read["data"]);
}

#[tokio::test]
async fn no_secret_is_ever_written_to_it() {
    let f = fleet(3, &[]).await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[0x31; 32]);
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let key_id = f
        .admin
        .post(
            "/api/v1/signing-keys",
            json!({"name": "ci key", "algorithm": "ed25519", "public_key_pem": pem}),
        )
        .await
        .expect(201)["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    f.admin
        .delete(&format!("/api/v1/signing-keys/{key_id}"))
        .await
        .expect(204);
    let job = f.rm.create_job("fw-3.0.0").await;
    f.rm.delete(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect(204);
    let image = f.rm.upload_image("fw-doomed", &bytes(1000, 7)).await;
    let image_id = image["id"].as_str().unwrap();
    f.rm.delete(&format!("/api/v1/ota/images/{image_id}"))
        .await
        .expect(204);

    let log = f.admin.get("/api/v1/audit?limit=1000").await.expect(200);
    let acts = actions(&log);
    for expected in [
        "signing_key.create",
        "signing_key.revoke",
        "upload_job.create",
        "upload_job.delete",
        "image.create",
        "image.delete",
        "device.create",
    ] {
        assert!(
            acts.iter().any(|a| a == expected),
            "{expected} missing: {acts:?}"
        );
    }
    let text = log.to_string();
    for d in &f.devices {
        assert!(
            !text.contains(&d.api.token),
            "a device token in the audit log"
        );
    }
    for api in [&f.admin, &f.rm] {
        assert!(!text.contains(&api.token), "a JWT in the audit log");
    }
    let pem_body = pem.lines().nth(1).unwrap();
    assert!(!text.contains(pem_body), "key material in the audit log");
    let revoked = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "signing_key.revoke")
        .unwrap();
    assert_eq!(revoked["object_id"], key_id.as_str());
    assert_eq!(revoked["object_type"], "signing_key");
}

#[tokio::test]
async fn summaries_name_a_phased_plan_and_count_devices_in_plain_words() {
    let f = fleet(1, &[]).await;
    let plan = json!([
        {"percent": 50, "soak_seconds": 0, "min_success_percent": 100},
        {"percent": 100, "soak_seconds": 0, "min_success_percent": 0}
    ]);
    f.start(json!({"package_id": f.pkg, "target_profile_id": f.profile,
        "failure_threshold_percent": 50, "phases": plan}))
        .await;
    let log = f.admin.get("/api/v1/audit?limit=1000").await.expect(200);
    let summary_of = |action: &str| {
        log["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == action)
            .map(|e| e["summary"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no {action} in {log}"))
    };
    let create = summary_of("rollout.create");
    assert!(
        create.starts_with("phased (2 phases) rollout of package"),
        "{create}"
    );
    let provisioned = summary_of("device.create");
    assert!(
        provisioned.starts_with("1 device provisioned ("),
        "{provisioned}"
    );
}
