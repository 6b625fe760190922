//! Seed 000's packages: verified before they exist; signing keys and signatures.

mod common;

use std::process::Command;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::*;
use ed25519_dalek::pkcs8::EncodePublicKey as _;
use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::hazmat::PrehashSigner as _;
use p256::pkcs8::LineEnding;
use serde_json::{json, Value};

/// A server, an admin and a release manager of tenant "acme" with signatures optional.
async fn setup(extra: &[&str]) -> (tempfile::TempDir, Server, Api, Api) {
    let dir = tempdir();
    let server = Server::start_with(dir.path(), extra);
    let admin = Api::for_tenant(&server, "acme", "admin");
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    (dir, server, admin, rm)
}

fn package_files(data: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(p: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(rd) = std::fs::read_dir(p) {
            for e in rd.flatten() {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&data.join("objects/firmware"), &mut out);
    walk(&data.join("objects/staging"), &mut out);
    out
}

#[tokio::test]
async fn package_from_uploaded_image_is_verified_and_stored_by_seed_001_key() {
    let (dir, _server, admin, rm) = setup(&[]).await;
    admin.require_signatures(false).await;
    let data = bytes(300_000, 7);
    let image = rm.upload_image("fw-2.0.0", &data).await;
    let uri = image["datafile"].as_str().unwrap();
    let sha = sha256_hex(&data);

    let created = rm
        .post(
            "/api/v1/ota/packages",
            package_body("2.0.0", uri, &sha, data.len() as u64),
        )
        .await;
    let location = created.headers["location"].to_str().unwrap().to_owned();
    let pkg = created.expect(201);
    assert_eq!(pkg["status"], "available");
    assert_eq!(pkg["checksum_verified"], true);
    let id = pkg["package_id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/ota/packages/{id}"));

    let got = rm.get(&location).await.expect(200);
    assert_eq!(got["sha256"], sha);
    assert_eq!(got["size_bytes"], data.len());
    assert_eq!(
        got["compatibility"],
        json!({"device_type": "temp-sensor", "min_version": "1.0.0"})
    );
    assert_eq!(got["type"], "fw");
    let list = rm.get("/api/v1/ota/packages").await.expect(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // firmware/{tenant}/{version}/{sha256}.bin holds exactly the bytes, and the package says
    // so (on itself and in the list) as its storage_key.
    let tenant = admin.get("/api/v1/tenant").await.expect(200);
    let tid = tenant["tenant_id"].as_str().unwrap();
    let key = format!("firmware/{tid}/2.0.0/{sha}.bin");
    assert_eq!(got["storage_key"], key.as_str(), "{got}");
    assert_eq!(list["data"][0]["storage_key"], key.as_str(), "{list}");
    let stored = dir.path().join("objects").join(&key);
    assert_eq!(std::fs::read(&stored).unwrap(), data);

    // Duplicate (type, version, device_type) → 409; another type or device type is fine.
    rm.post(
        "/api/v1/ota/packages",
        package_body("2.0.0", uri, &sha, data.len() as u64),
    )
    .await
    .expect_error(409, "ALREADY_EXISTS");
    let mut sw = package_body("2.0.0", uri, &sha, data.len() as u64);
    sw["type"] = json!("sw");
    rm.post("/api/v1/ota/packages", sw).await.expect(201);

    // Immutable: no update or delete route.
    let put = rm
        .send(
            rm.req(reqwest::Method::PUT, &location)
                .json(&json!({"version": "9.9.9"})),
        )
        .await;
    assert_eq!(put.status, 405);
    assert_eq!(rm.delete(&location).await.status, 405);

    // Support may read the catalog but not publish.
    let support = Api::for_tenant(&_server, "acme", "support");
    support.get(&location).await.expect(200);
    support
        .post(
            "/api/v1/ota/packages",
            package_body("2.0.1", uri, &sha, data.len() as u64),
        )
        .await
        .expect_error(403, "PERMISSION_DENIED");

    // Another tenant sees nothing (404, not 403), and cannot use acme's image.
    let other = Api::for_tenant(&_server, "globex", "admin");
    other.get(&location).await.expect_error(404, "NOT_FOUND");
    assert_eq!(
        other.get("/api/v1/ota/packages").await.expect(200)["data"],
        json!([])
    );
    other
        .get(&format!(
            "/api/v1/ota/images/{}",
            image["id"].as_str().unwrap()
        ))
        .await
        .expect_error(404, "NOT_FOUND");
    other.require_signatures(false).await;
    other
        .post(
            "/api/v1/ota/packages",
            package_body("2.0.0", uri, &sha, data.len() as u64),
        )
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn mismatches_and_bad_fields_leave_nothing_behind() {
    let (dir, _server, admin, rm) = setup(&[]).await;
    admin.require_signatures(false).await;
    let data = bytes(50_000, 8);
    let image = rm.upload_image("img", &data).await;
    let uri = image["datafile"].as_str().unwrap();
    let sha = sha256_hex(&data);
    let size = data.len() as u64;

    // Wrong SHA-256.
    let wrong_sha = sha256_hex(b"other");
    let e = rm
        .post(
            "/api/v1/ota/packages",
            package_body("2.0.0", uri, &wrong_sha, size),
        )
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert!(e["message"].as_str().unwrap().contains("checksum"), "{e}");
    // Wrong size (smaller and larger).
    rm.post(
        "/api/v1/ota/packages",
        package_body("2.0.0", uri, &sha, size - 1),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    rm.post(
        "/api/v1/ota/packages",
        package_body("2.0.0", uri, &sha, size + 1),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    // Non-semver versions.
    for v in ["2.0", "v2.0.0", "latest", ""] {
        rm.post("/api/v1/ota/packages", package_body(v, uri, &sha, size))
            .await
            .expect_error(400, "INVALID_ARGUMENT");
    }
    let mut bad_min = package_body("2.0.0", uri, &sha, size);
    bad_min["compatibility"]["min_version"] = json!("one");
    rm.post("/api/v1/ota/packages", bad_min)
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    // Malformed sha256, unknown type, unknown field, nested unknown field.
    rm.post(
        "/api/v1/ota/packages",
        package_body("2.0.0", uri, "abc", size),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    let mut bad_type = package_body("2.0.0", uri, &sha, size);
    bad_type["type"] = json!("bios");
    rm.post("/api/v1/ota/packages", bad_type)
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let mut extra = package_body("2.0.0", uri, &sha, size);
    extra["priority"] = json!(1);
    rm.post("/api/v1/ota/packages", extra)
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let mut nested = package_body("2.0.0", uri, &sha, size);
    nested["compatibility"]["hw_rev"] = json!("b");
    rm.post("/api/v1/ota/packages", nested)
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    // Unknown image.
    rm.post(
        "/api/v1/ota/packages",
        package_body("2.0.0", "airlift://images/img_nope", &sha, size),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");

    assert_eq!(
        rm.get("/api/v1/ota/packages").await.expect(200)["data"],
        json!([])
    );
    assert!(
        package_files(dir.path()).is_empty(),
        "{:?}",
        package_files(dir.path())
    );

    // And the right request still works afterwards.
    rm.post(
        "/api/v1/ota/packages",
        package_body("2.0.0", uri, &sha, size),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn http_artifacts_only_from_allowed_hosts() {
    let data = bytes(200_000, 9);
    let host = ArtifactHost::start(data.clone(), None).await;
    let allow = host.addr.to_string();
    let (dir, _server, admin, rm) = setup(&["--allow-artifact-host", &allow]).await;
    admin.require_signatures(false).await;
    let sha = sha256_hex(&data);
    let size = data.len() as u64;

    let pkg = rm
        .post(
            "/api/v1/ota/packages",
            package_body("3.0.0", &host.url("/fw-3.0.0.bin"), &sha, size),
        )
        .await
        .expect(201);
    assert_eq!(pkg["checksum_verified"], true);

    // Same host, wrong checksum: downloaded, refused, nothing kept.
    rm.post(
        "/api/v1/ota/packages",
        package_body("3.0.1", &host.url("/x.bin"), &sha256_hex(b"x"), size),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");

    // Refused sources: other port, other host, file://, other schemes.
    let other_port = format!(
        "http://127.0.0.1:{}/fw.bin",
        host.addr.port().wrapping_add(1)
    );
    for uri in [
        other_port.as_str(),
        "http://localhost.invalid/fw.bin",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "ftp://127.0.0.1/fw.bin",
        "s3://ota-artifacts/temp-sensor/fw-2.0.0.bin",
    ] {
        let e = rm
            .post(
                "/api/v1/ota/packages",
                package_body("3.0.2", uri, &sha, size),
            )
            .await
            .expect_error(400, "INVALID_ARGUMENT");
        assert!(
            e["message"].as_str().unwrap().contains("allow")
                || e["message"].as_str().unwrap().contains("artifact_uri"),
            "{e}"
        );
    }
    let files = package_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
}

/// An allowed host cannot send the server elsewhere: a redirect (here to a host that is not on
/// the allow-list, and which does serve the right bytes) is refused, not followed.
#[tokio::test]
async fn a_redirect_from_an_allowed_host_is_not_followed() {
    let data = bytes(50_000, 4);
    let elsewhere = ArtifactHost::start(data.clone(), None).await;
    let target = elsewhere.url("/fw.bin");
    let app = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move { axum::response::Redirect::temporary(&target) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirector = listener.local_addr().unwrap();
    let serving = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let allow = redirector.to_string();
    let (dir, _server, admin, rm) = setup(&["--allow-artifact-host", &allow]).await;
    admin.require_signatures(false).await;

    let e = rm
        .post(
            "/api/v1/ota/packages",
            package_body(
                "3.1.0",
                &format!("http://{redirector}/fw.bin"),
                &sha256_hex(&data),
                data.len() as u64,
            ),
        )
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert!(e["message"].as_str().unwrap().contains("307"), "{e}");
    assert!(package_files(dir.path()).is_empty());
    assert_eq!(
        rm.get("/api/v1/ota/packages").await.expect(200)["data"],
        json!([])
    );
    serving.abort();
}

/// Registers `pem` for the admin's tenant and returns the key id.
async fn add_key(admin: &Api, name: &str, algorithm: &str, pem: &str) -> String {
    let key = admin
        .post(
            "/api/v1/signing-keys",
            json!({"name": name, "algorithm": algorithm, "public_key_pem": pem}),
        )
        .await
        .expect(201);
    assert_eq!(key["algorithm"], algorithm);
    key["key_id"].as_str().unwrap().to_owned()
}

fn signed(mut body: Value, signature: &str) -> Value {
    body["signature"] = json!(signature);
    body
}

#[tokio::test]
async fn signatures_are_required_by_default_and_verified() {
    let (_dir, server, admin, rm) = setup(&[]).await;
    let tenant = admin.get("/api/v1/tenant").await.expect(200);
    assert_eq!(
        tenant["require_signatures"], true,
        "new tenants require signatures"
    );
    // Only admins change it.
    rm.patch("/api/v1/tenant", json!({"require_signatures": false}))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    admin
        .patch(
            "/api/v1/tenant",
            json!({"require_signatures": false, "x": 1}),
        )
        .await
        .expect_error(400, "INVALID_ARGUMENT");

    let data = bytes(120_000, 11);
    let digest = sha256_raw(&data);
    let sha = sha256_hex(&data);
    let size = data.len() as u64;
    let image = rm.upload_image("signed", &data).await;
    let uri = image["datafile"].as_str().unwrap();

    // Required and missing → 400; no keys yet → 400.
    rm.post(
        "/api/v1/ota/packages",
        package_body("1.0.0", uri, &sha, size),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");

    // ECDSA P-256: sign the SHA-256 prehash, DER, base64.
    let ec = p256::ecdsa::SigningKey::from_slice(&[0x42; 32]).unwrap();
    let ec_pem = ec
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let ec_sig: p256::ecdsa::Signature = ec.sign_prehash(&digest).unwrap();
    let ec_b64 = STANDARD.encode(ec_sig.to_der().as_bytes());
    rm.post(
        "/api/v1/ota/packages",
        signed(package_body("1.0.0", uri, &sha, size), &ec_b64),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    // Only admins register keys.
    rm.post(
        "/api/v1/signing-keys",
        json!({"name": "ci", "algorithm": "ecdsa-p256-sha256", "public_key_pem": ec_pem}),
    )
    .await
    .expect_error(403, "PERMISSION_DENIED");
    let ec_id = add_key(&admin, "ci-ecdsa", "ecdsa-p256-sha256", &ec_pem).await;
    // Same key twice → 409; wrong algorithm for the key, unknown algorithm, garbage → 400.
    admin
        .post(
            "/api/v1/signing-keys",
            json!({"name": "dup", "algorithm": "ecdsa-p256-sha256", "public_key_pem": ec_pem}),
        )
        .await
        .expect_error(409, "ALREADY_EXISTS");
    for (alg, pem) in [
        ("ed25519", ec_pem.as_str()),
        ("rsa-pss", ec_pem.as_str()),
        ("ed25519", "garbage"),
    ] {
        admin
            .post(
                "/api/v1/signing-keys",
                json!({"name": "bad", "algorithm": alg, "public_key_pem": pem}),
            )
            .await
            .expect_error(400, "INVALID_ARGUMENT");
    }

    let pkg = rm
        .post(
            "/api/v1/ota/packages",
            signed(package_body("1.0.0", uri, &sha, size), &ec_b64),
        )
        .await
        .expect(201);
    assert_eq!(pkg["signing_key_id"], ec_id.as_str());

    // A signature over other bytes, or garbage, → 400.
    let other_sig: p256::ecdsa::Signature = ec.sign_prehash(&sha256_raw(b"evil")).unwrap();
    rm.post(
        "/api/v1/ota/packages",
        signed(
            package_body("1.0.1", uri, &sha, size),
            &STANDARD.encode(other_sig.to_der().as_bytes()),
        ),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    rm.post(
        "/api/v1/ota/packages",
        signed(package_body("1.0.1", uri, &sha, size), "MEUCIQD..."),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");

    // Ed25519 over the 32 raw digest bytes.
    let ed = ed25519_dalek::SigningKey::from_bytes(&[0x17; 32]);
    let ed_pem = ed
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let ed_id = add_key(&admin, "ci-ed25519", "ed25519", &ed_pem).await;
    let ed_b64 = STANDARD.encode(ed.sign(&digest).to_bytes());
    let pkg = rm
        .post(
            "/api/v1/ota/packages",
            signed(package_body("1.0.2", uri, &sha, size), &ed_b64),
        )
        .await
        .expect(201);
    assert_eq!(pkg["signing_key_id"], ed_id.as_str());
    // Ed25519 over the artifact bytes instead of the digest is not the contract → 400.
    let wrong = STANDARD.encode(ed.sign(&data).to_bytes());
    rm.post(
        "/api/v1/ota/packages",
        signed(package_body("1.0.3", uri, &sha, size), &wrong),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");

    // Revoked keys verify nothing new.
    let keys = rm.get("/api/v1/signing-keys").await.expect(200);
    assert_eq!(keys["data"].as_array().unwrap().len(), 2);
    admin
        .delete(&format!("/api/v1/signing-keys/{ed_id}"))
        .await
        .expect(204);
    let ed_b64_2 = STANDARD.encode(ed.sign(&digest).to_bytes());
    rm.post(
        "/api/v1/ota/packages",
        signed(package_body("1.0.4", uri, &sha, size), &ed_b64_2),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    let keys = rm.get("/api/v1/signing-keys").await.expect(200);
    let revoked = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == ed_id.as_str())
        .unwrap();
    assert!(revoked["revoked_at"].is_string());
    admin
        .delete("/api/v1/signing-keys/key_nope")
        .await
        .expect_error(404, "NOT_FOUND");
    // Another tenant cannot revoke acme's key.
    let other = Api::for_tenant(&server, "globex", "admin");
    other
        .delete(&format!("/api/v1/signing-keys/{ec_id}"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn openssl_cli_signature_verifies() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("openssl CLI not found; skipping");
        return;
    }
    let (dir, _server, admin, rm) = setup(&[]).await;
    let work = dir.path().join("openssl");
    std::fs::create_dir_all(&work).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&work)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "key.pem",
    ]);
    run(&["ec", "-in", "key.pem", "-pubout", "-out", "pub.pem"]);
    let data = bytes(70_000, 12);
    std::fs::write(work.join("artifact.bin"), &data).unwrap();
    let der = run(&["dgst", "-sha256", "-sign", "key.pem", "artifact.bin"]);
    let signature = STANDARD.encode(der);
    let pem = std::fs::read_to_string(work.join("pub.pem")).unwrap();
    add_key(&admin, "openssl", "ecdsa-p256-sha256", &pem).await;

    let image = rm.upload_image("openssl", &data).await;
    let body = signed(
        package_body(
            "4.0.0",
            image["datafile"].as_str().unwrap(),
            &sha256_hex(&data),
            data.len() as u64,
        ),
        &signature,
    );
    rm.post("/api/v1/ota/packages", body).await.expect(201);

    // An Ed25519 key made by openssl works too (pure Ed25519 over the raw digest).
    run(&["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"]);
    run(&["pkey", "-in", "ed.pem", "-pubout", "-out", "ed_pub.pem"]);
    std::fs::write(work.join("digest.bin"), sha256_raw(&data)).unwrap();
    let sig = run(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        "ed.pem",
        "-rawin",
        "-in",
        "digest.bin",
    ]);
    let pem = std::fs::read_to_string(work.join("ed_pub.pem")).unwrap();
    add_key(&admin, "openssl-ed", "ed25519", &pem).await;
    let body = signed(
        package_body(
            "4.0.1",
            image["datafile"].as_str().unwrap(),
            &sha256_hex(&data),
            data.len() as u64,
        ),
        &STANDARD.encode(sig),
    );
    rm.post("/api/v1/ota/packages", body).await.expect(201);
}

#[tokio::test]
async fn an_image_no_package_was_made_from_can_be_deleted_with_its_bytes() {
    let (dir, server, admin, rm) = setup(&[]).await;
    admin.require_signatures(false).await;
    let data = bytes(200_000, 3);
    let used = rm.upload_image("fw-used", &data).await;
    let spare = rm.upload_image("fw-spare", &bytes(150_000, 4)).await;
    let pkg = rm
        .post(
            "/api/v1/ota/packages",
            package_body(
                "2.0.0",
                used["datafile"].as_str().unwrap(),
                &sha256_hex(&data),
                data.len() as u64,
            ),
        )
        .await
        .expect(201);
    let tenant = admin.get("/api/v1/tenant").await.expect(200);
    let tid = tenant["tenant_id"].as_str().unwrap();
    let stored = |image: &Value| {
        dir.path().join(format!(
            "objects/images/{tid}/{}.bin",
            image["id"].as_str().unwrap()
        ))
    };
    assert!(stored(&spare).is_file(), "{:?}", stored(&spare));
    let spare_path = format!("/api/v1/ota/images/{}", spare["id"].as_str().unwrap());
    let used_path = format!("/api/v1/ota/images/{}", used["id"].as_str().unwrap());

    // Support reads but cannot delete; another tenant does not see the image at all.
    let support = Api::for_tenant(&server, "acme", "support");
    support
        .delete(&spare_path)
        .await
        .expect_error(403, "PERMISSION_DENIED");
    let other = Api::for_tenant(&server, "globex", "admin");
    other
        .delete(&spare_path)
        .await
        .expect_error(404, "NOT_FOUND");
    rm.get(&spare_path).await.expect(200);

    // The image a package was made from stays, and the refusal names the package.
    let refused = rm
        .delete(&used_path)
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains(pkg["package_id"].as_str().unwrap()),
        "{message}"
    );
    rm.get(&used_path).await.expect(200);
    assert!(stored(&used).is_file());

    // The spare one goes, row and bytes; a second delete finds nothing.
    assert_eq!(rm.delete(&spare_path).await.status, 204);
    rm.get(&spare_path).await.expect_error(404, "NOT_FOUND");
    assert!(!stored(&spare).exists(), "its bytes are gone");
    rm.delete(&spare_path).await.expect_error(404, "NOT_FOUND");
    let list = rm.get("/api/v1/ota/images").await.expect(200);
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [used["id"].as_str().unwrap()]);
}
