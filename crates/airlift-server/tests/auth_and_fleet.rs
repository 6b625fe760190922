//! Tokens, roles, tenant isolation; profiles and device provisioning.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// Signs `claims` with the data directory's own secret (to forge expired/odd tokens).
fn sign_with_server_secret(data: &std::path::Path, claims: &Value) -> String {
    let secret = Db::of(data).jwt_secret(data);
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(&secret),
    )
    .unwrap()
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn token_command_and_bad_tokens() {
    let dir = tempdir();
    let t = token(dir.path(), "acme", "admin");
    assert_eq!(t.split('.').count(), 3);
    let claims = claims_of(&t);
    assert_eq!(claims["role"], "admin");
    assert_eq!(claims["tenant"], "acme");
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    // The secret is private to the owner.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        match Db::of(dir.path()) {
            Db::Sqlite(_) => {
                let mode = std::fs::metadata(dir.path().join("jwt-secret"))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600);
            }
            // On PostgreSQL the deployment's secret lives in the database, not in a file.
            Db::Postgres(_) => assert!(!dir.path().join("jwt-secret").exists()),
        }
        // A data directory the server creates is private too.
        let fresh = dir.path().join("fresh");
        token(&fresh, "acme", "support");
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    // Bad role → error, nothing on stdout.
    let out = std::process::Command::new(BIN)
        .args(["token", "--data"])
        .arg(dir.path())
        .args(["--tenant", "acme", "--role", "root"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());

    let server = Server::start(dir.path());
    let ok = Api::new(&server, &t);
    ok.get("/api/v1/tenant").await.expect(200);

    // Missing, malformed, garbage.
    let anon = reqwest::Client::new();
    let r = anon
        .get(server.url("/api/v1/ota/packages"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "UNAUTHENTICATED");
    let r = anon
        .get(server.url("/api/v1/ota/packages"))
        .header("authorization", format!("Basic {t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    Api::new(&server, "not.a.jwt")
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");

    // Tampered: role changed in the payload, signature kept.
    let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
    let mut c = claims_of(&t);
    c["role"] = json!("admin");
    c["tenant"] = json!("globex");
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
    Api::new(&server, &parts.join("."))
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");

    // Signed by another installation's secret.
    let elsewhere = tempdir();
    let foreign = token(elsewhere.path(), "acme", "admin");
    Api::new(&server, &foreign)
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");

    // Expired (signed with the right secret).
    let mut expired = claims_of(&t);
    expired["exp"] = json!(expired["iat"].as_i64().unwrap() - 10);
    let e = Api::new(&server, &sign_with_server_secret(dir.path(), &expired))
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");
    assert!(e["message"].as_str().unwrap().contains("expired"));

    // alg=none is refused.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    Api::new(&server, &none)
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");

    // A tenant id that does not exist (right secret) → 401.
    let mut ghost = claims_of(&t);
    ghost["tid"] = json!("ten_ghost");
    Api::new(&server, &sign_with_server_secret(dir.path(), &ghost))
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");

    // Unknown routes and methods answer in the error format too.
    ok.get("/api/v1/nope").await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn roles_and_tenant_isolation() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let admin = Api::for_tenant(&server, "acme", "admin");
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let support = Api::for_tenant(&server, "acme", "support");
    let globex = Api::for_tenant(&server, "globex", "admin");

    // Support: read-only.
    support
        .post("/api/v1/ota/upload-jobs", json!({"name": "x"}))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    let job = rm.create_job("acme-job").await;
    support
        .post_chunk(&job, &bytes(5000, 1))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    support
        .put_part(&job, 1, &bytes(5000, 1))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    support
        .delete(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    support
        .get(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect(200);
    support
        .post(
            "/api/v1/profiles",
            json!({"name": "p", "device_type": "temp-sensor"}),
        )
        .await
        .expect_error(403, "PERMISSION_DENIED");
    support
        .patch("/api/v1/tenant", json!({"require_signatures": false}))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    rm.patch("/api/v1/tenant", json!({"require_signatures": false}))
        .await
        .expect_error(403, "PERMISSION_DENIED");

    // Tenant isolation: another tenant's objects are 404.
    globex
        .get(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect_error(404, "NOT_FOUND");
    globex
        .get(&format!("/api/v1/ota/upload-jobs/{job}/chunks"))
        .await
        .expect_error(404, "NOT_FOUND");
    globex
        .post_chunk(&job, &bytes(100, 2))
        .await
        .expect_error(404, "NOT_FOUND");
    globex
        .put_part(&job, 1, &bytes(100, 2))
        .await
        .expect_error(404, "NOT_FOUND");
    globex
        .delete(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect_error(404, "NOT_FOUND");
    assert_eq!(
        globex.get("/api/v1/ota/upload-jobs").await.expect(200)["data"],
        json!([])
    );
    // Names are per tenant.
    globex.create_job("acme-job").await;
    let profile = admin
        .post(
            "/api/v1/profiles",
            json!({"name": "p", "device_type": "temp-sensor"}),
        )
        .await
        .expect(201);
    let pid = profile["profile_id"].as_str().unwrap();
    globex
        .get(&format!("/api/v1/profiles/{pid}"))
        .await
        .expect_error(404, "NOT_FOUND");
    // globex cannot provision into acme's profile.
    globex
        .post(
            "/api/v1/devices",
            json!({"name": "d", "profile_id": pid, "device_type": "temp-sensor", "firmware_version": "1.0.0"}),
        )
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn profiles_and_devices_single_and_bulk() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let created = rm
        .post(
            "/api/v1/profiles",
            json!({"name": "prof_temp_v2", "device_type": "temp-sensor"}),
        )
        .await;
    assert!(created.headers.contains_key("location"));
    let profile = created.expect(201);
    let pid = profile["profile_id"].as_str().unwrap().to_owned();
    rm.post(
        "/api/v1/profiles",
        json!({"name": "prof_temp_v2", "device_type": "temp-sensor"}),
    )
    .await
    .expect_error(409, "ALREADY_EXISTS");
    rm.post(
        "/api/v1/profiles",
        json!({"name": "p2", "device_type": "bad type!"}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    rm.post(
        "/api/v1/profiles",
        json!({"name": "p2", "device_type": "x", "extra": true}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");

    let dev = rm
        .post(
            "/api/v1/devices",
            json!({"name": "dev-1", "profile_id": pid, "device_type": "temp-sensor", "firmware_version": "1.0.0"}),
        )
        .await
        .expect(201);
    let token = dev["device_token"].as_str().unwrap();
    assert!(token.len() > 40);
    let did = dev["device_id"].as_str().unwrap();
    // Shown once: reads never include it, and the database holds only its hash.
    let got = rm.get(&format!("/api/v1/devices/{did}")).await.expect(200);
    assert!(got.get("device_token").is_none());
    let db = Db::of(dir.path()).stored_bytes();
    assert!(
        !db.windows(token.len()).any(|w| w == token.as_bytes()),
        "token stored in clear"
    );

    rm.post(
        "/api/v1/devices",
        json!({"name": "d", "profile_id": "prof_nope", "device_type": "temp-sensor", "firmware_version": "1.0.0"}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");

    // Bulk: 10,000 devices in one call and one transaction.
    let devices: Vec<Value> = (0..10_000)
        .map(|i| json!({"name": format!("bulk-{i}"), "profile_id": pid, "device_type": "temp-sensor", "firmware_version": "1.0.0"}))
        .collect();
    let started = std::time::Instant::now();
    let bulk = rm
        .post("/api/v1/devices/bulk", json!({"devices": devices}))
        .await
        .expect(201);
    eprintln!(
        "bulk provisioning of 10,000 devices took {:?}",
        started.elapsed()
    );
    assert_eq!(bulk["count"], 10_000);
    let tokens: std::collections::HashSet<&str> = bulk["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_token"].as_str().unwrap())
        .collect();
    assert_eq!(tokens.len(), 10_000);

    // All or nothing: one bad element (index 2) and no device is created.
    let mut bad: Vec<Value> = (0..5)
        .map(|i| json!({"name": format!("x-{i}"), "profile_id": pid, "device_type": "temp-sensor", "firmware_version": "1.0.0"}))
        .collect();
    bad[2]["profile_id"] = json!("prof_nope");
    let e = rm
        .post("/api/v1/devices/bulk", json!({"devices": bad}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert!(e["message"].as_str().unwrap().contains("device 2"), "{e}");
    let too_many: Vec<Value> = (0..10_001)
        .map(|_| json!({"name": "n", "profile_id": pid, "device_type": "t", "firmware_version": "1"}))
        .collect();
    rm.post("/api/v1/devices/bulk", json!({"devices": too_many}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");

    // Paging through the fleet: 10,001 devices.
    let mut seen = 0;
    let mut after = String::new();
    loop {
        let page = rm
            .get(&format!("/api/v1/devices?limit=1000&after={after}"))
            .await
            .expect(200);
        let data = page["data"].as_array().unwrap();
        seen += data.len();
        if page["has_more"] == false {
            break;
        }
        after = data.last().unwrap()["device_id"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    assert_eq!(seen, 10_001);
    rm.get("/api/v1/devices?limit=0")
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}

/// Secrets never reach the log, even at debug level: not the JWT, not a device token (in its
/// header, or pasted into a query string, which the request log leaves out), not a rejected
/// token either. The log does record the requests themselves.
#[tokio::test]
async fn the_log_never_shows_tokens() {
    let dir = tempdir();
    let log = dir.path().join("airliftd.log");
    let server = Server::start_logging_to(&dir.path().join("data"), "debug", &log);
    let jwt = token(&server.data, "acme", "release-manager");
    let rm = Api::new(&server, &jwt);
    let profile = rm
        .post(
            "/api/v1/profiles",
            json!({"name": "p", "device_type": "temp-sensor"}),
        )
        .await
        .expect(201);
    let dev = rm
        .post(
            "/api/v1/devices",
            json!({"name": "d", "profile_id": profile["profile_id"], "device_type": "temp-sensor",
                   "firmware_version": "1.0.0"}),
        )
        .await
        .expect(201);
    let device_token = dev["device_token"].as_str().unwrap().to_owned();
    let device_id = dev["device_id"].as_str().unwrap().to_owned();
    let device = Api::new(&server, &device_token);
    device
        .get(&format!("/api/v1/devices/{device_id}/ota"))
        .await
        .expect(204);
    device
        .get(&format!(
            "/api/v1/devices/{device_id}/ota?token={device_token}"
        ))
        .await
        .expect(204);
    let forged = format!("{jwt}x");
    Api::new(&server, &forged)
        .get("/api/v1/ota/packages")
        .await
        .expect_error(401, "UNAUTHENTICATED");
    drop(server); // the log is complete once the process is gone

    let text = std::fs::read_to_string(&log).expect("read the log");
    assert!(
        text.contains("/api/v1/profiles"),
        "requests are logged:\n{text}"
    );
    assert!(text.contains("/ota"), "device requests are logged:\n{text}");
    for (what, secret) in [
        ("the JWT", jwt.as_str()),
        ("the device token", device_token.as_str()),
    ] {
        assert!(!text.contains(secret), "{what} is in the log:\n{text}");
    }
    // Nor any recognisable part of them (a JWT's signature, a token's random part).
    let signature = jwt.rsplit('.').next().unwrap();
    assert!(
        !text.contains(signature),
        "the JWT's signature is in the log"
    );
    let random = device_token.trim_start_matches("adt_");
    assert!(
        !text.contains(&random[..20]),
        "the device token is in the log"
    );
}
