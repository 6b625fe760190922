//! An encrypted image (seed 003's `datafile_encryption`) rolled out to simulated devices on
//! the real airliftd: devices fetch the stored (encrypted) bytes in 64 KiB ranges, decrypt
//! them, verify SHA-256 and signature of the plain bytes and install; a device holding a wrong
//! key, or receiving a damaged range, reports DOWNLOAD_ERROR and never installs.

mod e2e;

use std::time::Duration;

use airlift_core::package::PackageType;
use airlift_core::wire::{CompatibilitySpec, CreatePackage};
use airlift_sim::airliftd;
use airlift_sim::signer::DemoSigner;
use airlift_sim::{FaultKind, StopCondition, StopHandle};
use serde_json::{json, Value};

use e2e::counter;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_decrypt_verify_and_install_an_encrypted_package_and_refuse_a_wrong_key() {
    let _serial = e2e::serial().await;
    let env = e2e::env(6, 10 * 1024, &[]).await;
    let token = airliftd::token(e2e::airliftd_bin(), env._dir.path(), "acme", "admin", 3600)
        .await
        .unwrap();
    // 3 segments and a bit, uploaded single-shot with encryption on.
    let plain: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let boundary = "airlift-sim-enc";
    let mut form = Vec::new();
    for (name, value) in [
        ("name", &b"enc-3.0.0"[..]),
        ("datafile_encryption", b"true"),
        ("datafile", &plain),
    ] {
        form.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        form.extend_from_slice(value);
        form.extend_from_slice(b"\r\n");
    }
    form.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let image: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/ota/images", env.server.url))
        .bearer_auth(&token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(image["datafile_encryption"], true, "{image}");
    let signer = DemoSigner::from_seed([1; 32]);
    let package = env
        .api
        .create_package(&CreatePackage {
            package_type: PackageType::Fw,
            version: "3.0.0".into(),
            payload_type: Default::default(),
            artifact_uri: image["datafile"].as_str().map(Into::into),
            sha256: image["datafile_checksum"].as_str().map(Into::into),
            signature: Some(signer.sign(&plain)),
            size_bytes: Some(plain.len() as u64),
            payload: None,
            compatibility: CompatibilitySpec {
                device_type: "temp-sensor".into(),
                min_version: "1.0.0".into(),
            },
            release_notes: String::new(),
        })
        .await
        .unwrap();

    let mut cfg = env.config(9, Duration::from_millis(300));
    cfg.faults.by_index.insert(0, FaultKind::WrongKey);
    cfg.faults.by_index.insert(1, FaultKind::Corrupt);
    let stop = StopHandle::new();
    let fleet = env.fleet.clone();
    let s = stop.clone();
    let run = tokio::spawn(async move {
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
    let created: Value = env
        .api
        .post(
            "/api/v1/ota/rollouts",
            &json!({"package_id": package.package_id, "target_profile_id": env.profile_id,
                    "canary_percent": 100, "failure_threshold_percent": 100}),
        )
        .await
        .unwrap();
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    env.wait_for(&id, Duration::from_secs(120), "every verdict", |r| {
        counter(r, "successful") + counter(r, "failed") + counter(r, "timed_out") == 6
    })
    .await;
    stop.stop();
    let summary = run.await.unwrap().unwrap();
    for o in &summary.outcomes {
        let d = env.device(&o.device_id).await;
        let history = env.history(&o.device_id).await;
        let statuses: Vec<&str> = history
            .iter()
            .filter_map(|h| h["status"].as_str())
            .collect();
        match o.faults.fault {
            Some(FaultKind::WrongKey) | Some(FaultKind::Corrupt) => {
                assert_eq!(d["firmware_version"], "1.4.2", "{d}");
                assert!(!statuses.contains(&"INSTALL"), "{statuses:?}");
                let err = history
                    .iter()
                    .find(|h| h["status"] == "DOWNLOAD_ERROR")
                    .unwrap_or_else(|| panic!("no DOWNLOAD_ERROR in {history:?}"));
                let message = err["message"].as_str().unwrap_or("");
                assert!(message.starts_with("DECRYPT_FAILED"), "{message}");
                assert!(message.contains("does not authenticate"), "{message}");
            }
            _ => {
                assert_eq!(d["firmware_version"], "3.0.0", "{d}");
                assert!(statuses.contains(&"INSTALLED_VERSION"), "{statuses:?}");
            }
        }
    }
    let r = env.rollout(&id).await;
    assert_eq!(counter(&r, "successful"), 4, "{}", r["counters"]);
    assert_eq!(counter(&r, "failed"), 2, "{}", r["counters"]);
}
