//! Seed 002's package types on the real agent against a real airliftd: a JSON package reaches
//! the install hook as its (signed, verified) JSON object; a URL list's every file is
//! downloaded from the server and held to the signed list before the hook runs, and a list
//! whose file the server no longer matches never reaches the hook.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use support::{serial, Env};

const LIMIT: Duration = Duration::from_secs(60);

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A loopback host serving a few files by path.
async fn file_host(files: Vec<(&'static str, Vec<u8>)>) -> std::net::SocketAddr {
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
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// A package of `payload_type` signed over `canonical` (the payload's RFC 8785 form).
async fn inline_package(
    env: &Env,
    version: &str,
    payload_type: &str,
    payload: Value,
    canonical: &str,
) -> String {
    let pkg: Value = env
        .api
        .post(
            "/api/v1/ota/packages",
            &json!({"type": "sw", "version": version, "payload_type": payload_type,
                    "payload": payload, "signature": env.signer.sign(canonical.as_bytes()),
                    "compatibility": {"device_type": support::DEVICE_TYPE, "min_version": "0.1.0"}}),
        )
        .await
        .unwrap_or_else(|e| panic!("create package: {e}"));
    pkg["package_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_json_package_reaches_the_hook_as_its_json_object() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let canonical = r#"{"log_level":"debug","sample_s":5}"#;
    let pkg = inline_package(
        &env,
        "1.1.0",
        "JSON",
        json!({"sample_s": 5, "log_level": "debug"}),
        canonical,
    )
    .await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let hook = format!(
        "cp \"$AIRLIFT_ARTIFACT\" {} && echo \"$AIRLIFT_PAYLOAD_TYPE\" > {}",
        env.path("config.json").display(),
        env.path("type.txt").display()
    );
    let _agent = env.agent(&env.server.url, &hook, &[]);
    let r = env.wait_counter(&rollout, "successful", 1, LIMIT).await;
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(
        std::fs::read_to_string(env.path("config.json")).unwrap(),
        canonical
    );
    assert_eq!(
        std::fs::read_to_string(env.path("type.txt")).unwrap(),
        "JSON\n"
    );
    assert_eq!(env.version(), "1.1.0");
}

#[tokio::test]
async fn a_url_list_is_downloaded_and_verified_file_by_file_before_the_hook() {
    let _g = serial().await;
    let a: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    let b = b"threshold=60\n".to_vec();
    let host = file_host(vec![("/app.bin", a.clone()), ("/app.conf", b.clone())]).await;
    let allow = host.to_string();
    let env = Env::start_with("1.0.0", &["--allow-artifact-host", allow.as_str()]).await;
    let list = json!([
        {"url": format!("http://{allow}/app.bin"), "sha256": sha256_hex(&a), "size_bytes": a.len()},
        {"url": format!("http://{allow}/app.conf"), "sha256": sha256_hex(&b), "size_bytes": b.len()},
    ]);
    let canonical = format!(
        r#"[{{"sha256":"{}","size_bytes":{},"url":"http://{allow}/app.bin"}},{{"sha256":"{}","size_bytes":{},"url":"http://{allow}/app.conf"}}]"#,
        sha256_hex(&a),
        a.len(),
        sha256_hex(&b),
        b.len()
    );
    let pkg = inline_package(&env, "1.2.0", "URL_LIST", list, &canonical).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let got = env.path("got");
    let hook = format!(
        "cp -r \"$AIRLIFT_FILES_DIR\" {} && echo \"$AIRLIFT_PAYLOAD_TYPE\" > {}",
        got.display(),
        env.path("type.txt").display()
    );
    let _agent = env.agent(&env.server.url, &hook, &[]);
    let r = env.wait_counter(&rollout, "successful", 1, LIMIT).await;
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(std::fs::read(got.join("00-app.bin")).unwrap(), a);
    assert_eq!(std::fs::read(got.join("01-app.conf")).unwrap(), b);
    assert_eq!(
        std::fs::read_to_string(env.path("type.txt")).unwrap(),
        "URL_LIST\n"
    );
    let reports = env.reports().await;
    assert!(
        reports
            .iter()
            .any(|r| r.0 == "DOWNLOAD_STEP" && r.1 == "Downloading file 2 of 2"),
        "{reports:?}"
    );
}
