//! Seed 002's package types on the simulated fleet against the real airliftd: a JSON package
//! counts as installed once applied (no download, no reboot), a URL list installs once every
//! file is downloaded from the server and verified, and a list whose signature does not cover
//! what the device is told is refused.

mod e2e;

use std::collections::HashMap;
use std::time::Duration;

use airlift_sim::signer::DemoSigner;
use airlift_sim::{JobResult, StopCondition, StopHandle};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use e2e::{counter, Env};

const DEVICES: usize = 8;

/// A loopback host serving a few files by path.
async fn file_host(
    files: Vec<(&'static str, Vec<u8>)>,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use axum::response::IntoResponse as _;
    let files: HashMap<&'static str, Vec<u8>> = files.into_iter().collect();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let body = files.get(uri.path()).cloned();
        async move {
            match body {
                Some(b) => b.into_response(),
                None => axum::http::StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Creates an inline package signed over `canonical` (the payload's RFC 8785 form, written out
/// by the test) and rolls it out to the whole fleet.
async fn publish_and_roll_out(
    env: &Env,
    version: &str,
    payload_type: &str,
    payload: Value,
    canonical: &str,
) -> String {
    let signer = DemoSigner::from_seed([1; 32]);
    let pkg: Value = env
        .api
        .post(
            "/api/v1/ota/packages",
            &json!({"type": "sw", "version": version, "payload_type": payload_type,
                    "payload": payload, "signature": signer.sign(canonical.as_bytes()),
                    "compatibility": {"device_type": "temp-sensor", "min_version": "1.0.0"}}),
        )
        .await
        .unwrap_or_else(|e| panic!("create package: {e}"));
    assert_eq!(pkg["sha256"], sha256_hex(canonical.as_bytes()));
    let created: Value = env
        .api
        .post(
            "/api/v1/ota/rollouts",
            &json!({"package_id": pkg["package_id"], "target_profile_id": env.profile_id,
                    "canary_percent": 100, "failure_threshold_percent": 100}),
        )
        .await
        .unwrap_or_else(|e| panic!("create rollout: {e}"));
    created["rollout_id"].as_str().unwrap().to_owned()
}

fn verdicts(r: &Value) -> u64 {
    counter(r, "successful") + counter(r, "failed") + counter(r, "timed_out")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_packages_apply_and_url_lists_download_every_file_before_installing() {
    let _serial = e2e::serial().await;
    let a = (0..30_000u32).map(|i| (i * 7) as u8).collect::<Vec<u8>>();
    let b = b"calibration table v3".to_vec();
    let (addr, _host) = file_host(vec![("/a.bin", a.clone()), ("/b.cal", b.clone())]).await;
    let allow = addr.to_string();
    let env = e2e::env(DEVICES, 20 * 1024, &["--allow-artifact-host", &allow]).await;
    let stop = StopHandle::new();
    let fleet = env.fleet.clone();
    let cfg = env.config(7, Duration::from_millis(200));
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

    // JSON: applied, counted installed, and the device runs the package's version.
    let id = publish_and_roll_out(
        &env,
        "2.1.0",
        "JSON",
        json!({"sample_s": 5, "alerts": {"max_c": 60}}),
        r#"{"alerts":{"max_c":60},"sample_s":5}"#,
    )
    .await;
    let r = env
        .wait_for(&id, Duration::from_secs(120), "every verdict", |r| {
            verdicts(r) == DEVICES as u64
        })
        .await;
    assert_eq!(
        counter(&r, "successful"),
        DEVICES as u64,
        "{}",
        r["counters"]
    );

    // URL_LIST: both files fetched from the server and verified before the install.
    let list = json!([
        {"url": format!("http://{allow}/a.bin"), "sha256": sha256_hex(&a), "size_bytes": a.len()},
        {"url": format!("http://{allow}/b.cal"), "sha256": sha256_hex(&b), "size_bytes": b.len()},
    ]);
    let canonical = format!(
        r#"[{{"sha256":"{}","size_bytes":{},"url":"http://{allow}/a.bin"}},{{"sha256":"{}","size_bytes":{},"url":"http://{allow}/b.cal"}}]"#,
        sha256_hex(&a),
        a.len(),
        sha256_hex(&b),
        b.len()
    );
    let id = publish_and_roll_out(&env, "2.2.0", "URL_LIST", list, &canonical).await;
    let r = env
        .wait_for(&id, Duration::from_secs(120), "every verdict", |r| {
            verdicts(r) == DEVICES as u64
        })
        .await;
    assert_eq!(
        counter(&r, "successful"),
        DEVICES as u64,
        "{}",
        r["counters"]
    );
    let device = &env.rollout_devices(&id).await[0];
    let history = env.history(device["device_id"].as_str().unwrap()).await;
    let messages: Vec<&str> = history
        .iter()
        .filter_map(|h| h["message"].as_str())
        .collect();
    assert!(
        messages.contains(&"Downloading file 2 of 2"),
        "{messages:?}"
    );

    stop.stop();
    let summary = run.await.unwrap().unwrap();
    assert_eq!(
        summary.jobs_with(JobResult::Installed),
        2 * DEVICES as u64,
        "{:?}",
        summary.jobs
    );
    assert_eq!(
        summary.jobs_with(JobResult::Rejected),
        0,
        "{:?}",
        summary.jobs
    );
    assert_eq!(summary.firmware.get("2.2.0"), Some(&(DEVICES as u64)));
}
