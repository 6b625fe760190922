//! Seed 002's package payload types through HTTP: JSON and URL_LIST packages verified before
//! they exist (canonical JSON per RFC 8785, every file of a list fetched from an allowed host
//! and hashed), signatures over the same bytes, `config_otau` in the device's assignment, the
//! device downloading the server's copies, and bad input refused with nothing stored.

mod common;

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::ota::*;
use common::*;
use ed25519_dalek::pkcs8::EncodePublicKey as _;
use ed25519_dalek::Signer as _;
use p256::pkcs8::LineEnding;
use serde_json::{json, Value};

/// A loopback host serving a few files by path (404 for any other path).
struct FileHost {
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl FileHost {
    async fn start(files: &[(&str, Vec<u8>)]) -> FileHost {
        use axum::response::IntoResponse as _;
        let files: HashMap<String, bytes::Bytes> = files
            .iter()
            .map(|(p, b)| (p.to_string(), bytes::Bytes::from(b.clone())))
            .collect();
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
        FileHost { addr, task }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for FileHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn inline_body(version: &str, payload_type: &str, payload: Value) -> Value {
    json!({
        "type": "sw",
        "version": version,
        "payload_type": payload_type,
        "payload": payload,
        "compatibility": {"device_type": "temp-sensor", "min_version": "1.0.0"},
        "release_notes": "Sampling every 5 s."
    })
}

/// Everything under the data directory's `firmware/` and `staging/` object folders.
fn stored_objects(data: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(p: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    walk(&data.join("objects/firmware"), &mut out);
    walk(&data.join("objects/staging"), &mut out);
    out
}

/// A device's GET of `url` (a path of the server with its token, or a signed download URL,
/// which needs none), with an optional `Range`.
async fn fetch(
    d: &Device,
    url: &str,
    range: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, bytes::Bytes) {
    let mut rb = if url.starts_with('/') {
        d.api.req(reqwest::Method::GET, url)
    } else {
        reqwest::Client::new().get(url)
    };
    if let Some(r) = range {
        rb = rb.header("Range", r);
    }
    let r = rb.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.bytes().await.unwrap())
}

async fn assign(f: &Fleet, package_id: &str) -> Value {
    f.start(
        json!({"package_id": package_id, "target_profile_id": f.profile,
                   "canary_percent": 100, "failure_threshold_percent": 50}),
    )
    .await;
    f.devices[0].ota().await.expect(200)
}

#[tokio::test]
async fn a_json_package_is_its_canonical_json_and_reaches_the_device_as_config_otau() {
    let f = fleet(1, &[]).await;
    // Spacing, key order and number spelling do not matter: RFC 8785 fixes the bytes.
    let payload: Value = serde_json::from_str(
        r#"{ "sample_s": 5.0, "é": "ü", "alerts": {"max_c": 60, "on": true} }"#,
    )
    .unwrap();
    let canonical = r#"{"alerts":{"max_c":60,"on":true},"sample_s":5,"é":"ü"}"#;
    let sha = sha256_hex(canonical.as_bytes());

    let pkg =
        f.rm.post(
            "/api/v1/ota/packages",
            inline_body("2.1.0", "JSON", payload),
        )
        .await
        .expect(201);
    assert_eq!(pkg["payload_type"], "JSON");
    let payload: Value = serde_json::from_str(canonical).unwrap();
    assert_eq!(
        pkg["payload"], payload,
        "the object, as its canonical JSON reads"
    );
    assert_eq!(pkg["sha256"], sha);
    assert_eq!(pkg["size_bytes"], canonical.len());
    assert_eq!(pkg["artifact_uri"], "");
    assert_eq!(pkg["status"], "available");
    let id = pkg["package_id"].as_str().unwrap();
    let got =
        f.rm.get(&format!("/api/v1/ota/packages/{id}"))
            .await
            .expect(200);
    for field in [
        "payload_type",
        "payload",
        "sha256",
        "size_bytes",
        "artifact_uri",
    ] {
        assert_eq!(got[field], pkg[field], "{field}");
    }
    // FILE packages say so too (the default).
    let file =
        f.rm.get(&format!("/api/v1/ota/packages/{}", f.pkg))
            .await
            .expect(200);
    assert_eq!(file["payload_type"], "FILE");
    assert!(file.get("payload").is_none());

    let a = assign(&f, id).await;
    assert_eq!(a["checksum"], sha);
    assert_eq!(
        a["config_otau"],
        json!({"version": "2.1.0", "name": "temp-sensor 2.1.0",
               "description": "Sampling every 5 s.", "type": "JSON", "payload": payload})
    );
    // The stored bytes are the canonical JSON, served like an artifact.
    let d = &f.devices[0];
    assert_eq!(
        d.download(id, canonical.len() as u64).await,
        canonical.as_bytes()
    );
}

#[tokio::test]
async fn a_url_list_is_fetched_and_verified_and_devices_download_the_servers_copies() {
    let a_bytes = bytes(150_000, 1);
    let b_bytes = bytes(70_000, 2);
    let host = FileHost::start(&[("/a.bin", a_bytes.clone()), ("/b.bin", b_bytes.clone())]).await;
    let allow = host.addr.to_string();
    let f = fleet(1, &["--allow-artifact-host", &allow]).await;
    let list = json!([
        {"url": host.url("/a.bin"), "sha256": sha256_hex(&a_bytes).to_uppercase(), "size_bytes": a_bytes.len()},
        {"url": host.url("/b.bin"), "sha256": sha256_hex(&b_bytes), "size_bytes": b_bytes.len()},
    ]);
    let canonical = format!(
        r#"[{{"sha256":"{}","size_bytes":150000,"url":"{}"}},{{"sha256":"{}","size_bytes":70000,"url":"{}"}}]"#,
        sha256_hex(&a_bytes),
        host.url("/a.bin"),
        sha256_hex(&b_bytes),
        host.url("/b.bin")
    );

    let pkg =
        f.rm.post(
            "/api/v1/ota/packages",
            inline_body("2.2.0", "URL_LIST", list),
        )
        .await
        .expect(201);
    assert_eq!(pkg["payload_type"], "URL_LIST");
    assert_eq!(pkg["sha256"], sha256_hex(canonical.as_bytes()));
    assert_eq!(pkg["size_bytes"], canonical.len());
    assert_eq!(
        pkg["payload"],
        serde_json::from_str::<Value>(&canonical).unwrap()
    );
    let id = pkg["package_id"].as_str().unwrap();

    // The server keeps its own copies: the host can go away.
    drop(host);
    let a = assign(&f, id).await;
    let otau = &a["config_otau"];
    assert_eq!(otau["type"], "URL_LIST");
    assert_eq!(otau["name"], "temp-sensor 2.2.0");
    let files = otau["payload"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let d = &f.devices[0];
    for (file, want) in files.iter().zip([&a_bytes, &b_bytes]) {
        assert_eq!(file["sha256"], sha256_hex(want));
        assert_eq!(file["size_bytes"], want.len());
        let url = file["url"].as_str().unwrap();
        let (status, _, body) = fetch(d, url, None).await;
        assert_eq!(status, 200);
        assert_eq!(&body[..], &want[..]);
        // One range, as a resuming device asks.
        let (status, headers, body) = fetch(d, url, Some("bytes=1000-1999")).await;
        assert_eq!(status, 206);
        assert_eq!(
            headers["content-range"].to_str().unwrap(),
            format!("bytes 1000-1999/{}", want.len())
        );
        assert_eq!(&body[..], &want[1000..2000]);
    }
    assert_eq!(files[0]["source_url"], format!("http://{allow}/a.bin"));

    // config_otau names the signed download URLs; the device protocol's own route serves the
    // same files with the device token. On it: no such file; another caller; a range past the
    // end.
    let own = format!(
        "/api/v1/devices/{}/ota/download?package_id={id}&file=",
        d.id
    );
    for (n, want) in [&a_bytes, &b_bytes].into_iter().enumerate() {
        let (status, _, body) = fetch(d, &format!("{own}{n}"), None).await;
        assert_eq!(status, 200);
        assert_eq!(&body[..], &want[..]);
    }
    let first = &format!("{own}0");
    let (status, _, body) = fetch(d, &first.replace("file=0", "file=2"), None).await;
    assert_eq!(status, 404, "{body:?}");
    assert_eq!(fetch(d, first, Some("bytes=150000-")).await.0, 416);
    let stranger = f.rm.req(reqwest::Method::GET, first);
    assert_eq!(f.rm.send(stranger).await.status, 401);
}

#[tokio::test]
async fn bad_json_and_url_list_packages_are_refused_naming_the_problem_and_nothing_is_stored() {
    let good = bytes(40_000, 5);
    let host = FileHost::start(&[("/good.bin", good.clone()), ("/other.bin", bytes(10, 6))]).await;
    let allow = host.addr.to_string();
    let f = fleet(0, &["--allow-artifact-host", &allow]).await;
    let before = stored_objects(f.dir.path());
    let entry = |path: &str, sha: &str, size: usize| json!({"url": host.url(path), "sha256": sha, "size_bytes": size});
    let good_entry = entry("/good.bin", &sha256_hex(&good), good.len());
    let many = |n: usize| {
        Value::Array(
            (0..n)
                .map(|i| entry(&format!("/good.bin?{i}"), &sha256_hex(&good), good.len()))
                .collect(),
        )
    };
    let over_64_kib = json!({"blob": "x".repeat(64 * 1024)});
    let mut with_artifact = inline_body("3.0.0", "JSON", json!({"a": 1}));
    with_artifact["artifact_uri"] = json!(host.url("/good.bin"));
    with_artifact["sha256"] = json!(sha256_hex(&good));
    let mut file_with_payload =
        package_body("3.0.0", &host.url("/good.bin"), &sha256_hex(&good), 40_000);
    file_with_payload["payload"] = json!({"a": 1});
    let mut no_payload = inline_body("3.0.0", "JSON", Value::Null);
    no_payload.as_object_mut().unwrap().remove("payload");

    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            inline_body("3.0.0", "JSON", over_64_kib),
            vec!["65547 bytes", "at most 65536"],
        ),
        (with_artifact, vec!["no artifact", "artifact_uri, sha256"]),
        (
            inline_body("3.0.0", "JSON", json!([1, 2])),
            vec!["must be a JSON object, got a list"],
        ),
        (no_payload, vec!["payload is required"]),
        (file_with_payload, vec!["payload is for JSON and URL_LIST"]),
        (inline_body("3.0.0", "XML", json!({})), vec!["payload_type"]),
        (
            inline_body("3.0.0", "URL_LIST", many(0)),
            vec!["1 to 64 files, got 0"],
        ),
        (
            inline_body("3.0.0", "URL_LIST", many(65)),
            vec!["1 to 64 files, got 65"],
        ),
        (
            inline_body("3.0.0", "URL_LIST", json!({"url": "x"})),
            vec!["must be a list"],
        ),
        (
            inline_body(
                "3.0.0",
                "URL_LIST",
                json!([good_entry, {"url": host.url("/other.bin"), "size_bytes": 10}]),
            ),
            vec!["payload[1].sha256 is missing"],
        ),
        // The second file's checksum is wrong: the first was fetched, and is removed again.
        (
            inline_body(
                "3.0.0",
                "URL_LIST",
                json!([good_entry, entry("/other.bin", &sha256_hex(b"nope"), 10)]),
            ),
            vec!["payload[1]", "/other.bin", "checksum mismatch"],
        ),
        (
            inline_body(
                "3.0.0",
                "URL_LIST",
                json!([
                    good_entry,
                    entry("/other.bin", &sha256_hex(&bytes(10, 6)), 11)
                ]),
            ),
            vec!["payload[1]", "size mismatch"],
        ),
        (
            inline_body(
                "3.0.0",
                "URL_LIST",
                json!([good_entry, entry("/missing.bin", &sha256_hex(&good), 1)]),
            ),
            vec!["payload[1]", "answered 404"],
        ),
        (
            inline_body(
                "3.0.0",
                "URL_LIST",
                json!([good_entry, {"url": "http://169.254.169.254/latest", "sha256": sha256_hex(&good), "size_bytes": 1}]),
            ),
            vec!["payload[1].url", "not on this server's allow-list"],
        ),
        (
            inline_body(
                "3.0.0",
                "URL_LIST",
                json!([{"url": "file:///etc/passwd", "sha256": sha256_hex(&good), "size_bytes": 1}]),
            ),
            vec!["payload[0].url must be an http(s) URL"],
        ),
    ];
    for (body, expected) in cases {
        let e =
            f.rm.post("/api/v1/ota/packages", body.clone())
                .await
                .expect_error(400, "INVALID_ARGUMENT");
        let message = e["message"].as_str().unwrap();
        for part in expected {
            assert!(message.contains(part), "{part:?} not in {message:?}");
        }
    }
    let list = f.rm.get("/api/v1/ota/packages").await.expect(200);
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        2,
        "only the fleet's two FILE packages"
    );
    assert_eq!(stored_objects(f.dir.path()), before, "nothing stored");

    // 64 files is the limit, and they may be the same file under 64 URLs.
    f.rm.post(
        "/api/v1/ota/packages",
        inline_body("3.0.0", "URL_LIST", many(64)),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn a_tenant_that_requires_signatures_verifies_them_over_the_canonical_json() {
    let f = fleet(0, &[]).await;
    f.admin.require_signatures(true).await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[0x23; 32]);
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let key_id = f
        .admin
        .post(
            "/api/v1/signing-keys",
            json!({"name": "ci", "algorithm": "ed25519", "public_key_pem": pem}),
        )
        .await
        .expect(201)["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let payload = json!({"b": [1, 2], "a": "x"});
    let digest = sha256_raw(br#"{"a":"x","b":[1,2]}"#);

    let e =
        f.rm.post(
            "/api/v1/ota/packages",
            inline_body("4.0.0", "JSON", payload.clone()),
        )
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("requires signed packages"));
    // Signing the request's own spelling instead of the canonical bytes does not verify.
    let mut body = inline_body("4.0.0", "JSON", payload.clone());
    let spelled = br#"{ "b": [1, 2], "a": "x" }"#;
    body["signature"] = json!(STANDARD.encode(key.sign(&sha256_raw(spelled)).to_bytes()));
    let e =
        f.rm.post("/api/v1/ota/packages", body)
            .await
            .expect_error(400, "INVALID_ARGUMENT");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("the SHA-256 of the payload's canonical JSON"));

    let mut body = inline_body("4.0.0", "JSON", payload);
    body["signature"] = json!(STANDARD.encode(key.sign(&digest).to_bytes()));
    let pkg = f.rm.post("/api/v1/ota/packages", body).await.expect(201);
    assert_eq!(pkg["signing_key_id"], key_id.as_str());
    assert_eq!(pkg["sha256"], hex::encode(digest));
}
