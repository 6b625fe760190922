//! `Idempotency-Key` on the create routes (spec "Safe retries"), through HTTP against the real
//! server: a retried create is answered again and creates nothing.

mod common;

use common::ota::fleet;
use common::{tempdir, Api, Db, Resp, Server};
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

const KEY: &str = "idempotency-key";

async fn post_with_key(api: &Api, path: &str, key: &str, body: &Value) -> Resp {
    api.send(api.req(Method::POST, path).header(KEY, key).json(body))
        .await
}

fn replayed(r: &Resp) -> bool {
    r.headers
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

async fn count(api: &Api, path: &str) -> usize {
    api.get(&format!("{path}?limit=1000")).await.expect(200)["data"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn same_key_and_body_answers_the_first_answer_again_and_creates_once() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let body = json!({"name": "sensors", "device_type": "temp-sensor"});
    let first = post_with_key(&rm, "/api/v1/profiles", "create-sensors-1", &body).await;
    assert!(!replayed(&first));
    let location = first.headers["location"].clone();
    let first = first.expect(201);
    let again = post_with_key(&rm, "/api/v1/profiles", "create-sensors-1", &body).await;
    assert!(replayed(&again), "{:?}", again.headers);
    assert_eq!(again.headers["location"], location);
    assert_eq!(again.headers["content-type"], "application/json");
    assert_eq!(again.expect(201), first);
    assert_eq!(count(&rm, "/api/v1/profiles").await, 1);
}

#[tokio::test]
async fn a_retried_rollout_start_is_one_rollout() {
    let f = fleet(3, &[]).await;
    let body = json!({"package_id": f.pkg, "target_profile_id": f.profile,
                      "canary_percent": 100, "failure_threshold_percent": 50});
    let key = "pipeline-42:rollout-start";
    let first = post_with_key(&f.rm, "/api/v1/ota/rollouts", key, &body)
        .await
        .expect(201);
    let again = post_with_key(&f.rm, "/api/v1/ota/rollouts", key, &body).await;
    assert!(replayed(&again));
    assert_eq!(again.expect(201)["rollout_id"], first["rollout_id"]);
    assert_eq!(count(&f.rm, "/api/v1/ota/rollouts").await, 1);
}

#[tokio::test]
async fn a_replayed_bulk_provisioning_returns_working_tokens_never_stored_readable() {
    let f = fleet(0, &[]).await;
    let devices: Vec<Value> = (0..3)
        .map(|i| {
            json!({"name": format!("d-{i}"), "profile_id": f.profile,
                   "device_type": "temp-sensor", "firmware_version": "1.0.0"})
        })
        .collect();
    let body = json!({ "devices": devices });
    let first = post_with_key(&f.rm, "/api/v1/devices/bulk", "bulk-1", &body)
        .await
        .expect(201);
    let again = post_with_key(&f.rm, "/api/v1/devices/bulk", "bulk-1", &body).await;
    assert!(replayed(&again));
    assert_eq!(again.expect(201), first);
    assert_eq!(count(&f.rm, "/api/v1/devices").await, 3);
    let tokens: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_token"].as_str().unwrap())
        .collect();
    // The replayed tokens are the devices' tokens (no assignment yet: 204).
    let d0 = &first["data"][0]["device_id"];
    let device = Api::new(&f.server, tokens[0]);
    device
        .get(&format!("/api/v1/devices/{}/ota", d0.as_str().unwrap()))
        .await
        .expect(204);
    // The kept answer is sealed: no token in the database files.
    let stored = Db::of(f.dir.path()).stored_bytes();
    assert!(!stored.is_empty());
    for t in tokens {
        assert!(
            !stored.windows(t.len()).any(|w| w == t.as_bytes()),
            "a device token is readable in the database"
        );
    }
}

#[tokio::test]
async fn same_key_with_another_request_is_409_already_exists_naming_the_key() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let a = json!({"name": "a", "device_type": "temp-sensor"});
    post_with_key(&rm, "/api/v1/profiles", "reused-key", &a)
        .await
        .expect(201);
    let b = json!({"name": "b", "device_type": "temp-sensor"});
    let err = post_with_key(&rm, "/api/v1/profiles", "reused-key", &b)
        .await
        .expect_error(409, "ALREADY_EXISTS");
    assert!(
        err["message"].as_str().unwrap().contains("\"reused-key\""),
        "{err}"
    );
    // The same body on another create route is another request too.
    post_with_key(&rm, "/api/v1/ota/upload-jobs", "reused-key", &a)
        .await
        .expect_error(409, "ALREADY_EXISTS");
    assert_eq!(count(&rm, "/api/v1/profiles").await, 1);
    assert_eq!(count(&rm, "/api/v1/ota/upload-jobs").await, 0);
}

#[tokio::test]
async fn another_tenant_with_the_same_key_is_independent() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let acme = Api::for_tenant(&server, "acme", "admin");
    let globex = Api::for_tenant(&server, "globex", "admin");
    let body = json!({"name": "sensors", "device_type": "temp-sensor"});
    let a = post_with_key(&acme, "/api/v1/profiles", "shared", &body).await;
    let g = post_with_key(&globex, "/api/v1/profiles", "shared", &body).await;
    assert!(!replayed(&a) && !replayed(&g));
    let (a, g) = (a.expect(201), g.expect(201));
    assert_ne!(a["profile_id"], g["profile_id"]);
    assert_eq!(count(&acme, "/api/v1/profiles").await, 1);
    assert_eq!(count(&globex, "/api/v1/profiles").await, 1);
    // globex's profile is not acme's: another tenant's object stays 404.
    acme.get(&format!(
        "/api/v1/profiles/{}",
        g["profile_id"].as_str().unwrap()
    ))
    .await
    .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_key_that_is_not_1_to_255_visible_ascii_characters_is_400() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let body = json!({"name": "sensors", "device_type": "temp-sensor"});
    let long = "k".repeat(256);
    for bad in [&b""[..], b"two words", long.as_bytes(), b"caf\xe9"] {
        let value = reqwest::header::HeaderValue::from_bytes(bad).unwrap();
        let r = rm
            .send(
                rm.req(Method::POST, "/api/v1/profiles")
                    .header(KEY, value)
                    .json(&body),
            )
            .await;
        let err = r.expect_error(400, "INVALID_ARGUMENT");
        assert!(
            err["message"].as_str().unwrap().contains("Idempotency-Key"),
            "{err}"
        );
    }
    assert_eq!(count(&rm, "/api/v1/profiles").await, 0);
    // 255 characters is fine.
    post_with_key(&rm, "/api/v1/profiles", &"k".repeat(255), &body)
        .await
        .expect(201);
}

#[tokio::test]
async fn an_error_answer_is_not_kept_so_the_retry_runs_again() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let incomplete = json!({"name": "sensors"});
    post_with_key(&rm, "/api/v1/profiles", "fix-and-retry", &incomplete)
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let fixed = json!({"name": "sensors", "device_type": "temp-sensor"});
    let r = post_with_key(&rm, "/api/v1/profiles", "fix-and-retry", &fixed).await;
    assert!(!replayed(&r));
    r.expect(201);
    // Without a key nothing changes: the same create again is refused by its own rule.
    rm.post("/api/v1/profiles", fixed)
        .await
        .expect_error(409, "ALREADY_EXISTS");
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_one_object() {
    let f = fleet(0, &[]).await;
    // Big enough that the first request is still running when the others arrive.
    let devices: Vec<Value> = (0..3000)
        .map(|i| {
            json!({"name": format!("d-{i}"), "profile_id": f.profile,
                   "device_type": "temp-sensor", "firmware_version": "1.0.0"})
        })
        .collect();
    let body = json!({ "devices": devices });
    let calls = (0..6).map(|_| {
        let (rm, body) = (f.rm.clone(), body.clone());
        tokio::spawn(async move { post_with_key(&rm, "/api/v1/devices/bulk", "once", &body).await })
    });
    let mut created = Vec::new();
    let mut in_progress = 0;
    for call in calls {
        let r = call.await.unwrap();
        match r.status.as_u16() {
            201 => created.push(r.body),
            409 => {
                let err = r.expect_error(409, "FAILED_PRECONDITION");
                assert!(
                    err["message"]
                        .as_str()
                        .unwrap()
                        .contains("still in progress"),
                    "{err}"
                );
                in_progress += 1;
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert!(!created.is_empty());
    assert_eq!(created.len() + in_progress, 6);
    assert!(created.iter().all(|c| *c == created[0]), "answers differ");
    let mut all = 0;
    let mut after = String::new();
    loop {
        let page =
            f.rm.get(&format!("/api/v1/devices?limit=1000&after={after}"))
                .await
                .expect(200);
        let data = page["data"].as_array().unwrap();
        all += data.len();
        match data.last() {
            Some(last) if page["has_more"] == true => {
                after = last["device_id"].as_str().unwrap().to_owned()
            }
            _ => break,
        }
    }
    assert_eq!(all, 3000);
    // And once the first finished, the duplicates are answered with its answer.
    let again = post_with_key(&f.rm, "/api/v1/devices/bulk", "once", &body).await;
    assert!(replayed(&again));
    assert_eq!(again.expect(201), created[0]);
}

/// Whether any file exists below `root`.
fn any_file_under(root: &std::path::Path) -> bool {
    std::fs::read_dir(root).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let p = e.path();
            p.is_file() || any_file_under(&p)
        })
    })
}

#[tokio::test]
async fn a_duplicate_of_a_running_create_is_told_to_wait_and_a_dropped_create_still_completes() {
    let data = common::bytes(1024 * 1024, 7);
    let sha = common::sha256_hex(&data);
    // Serves half the artifact, then stalls 3 s: the package create is running meanwhile.
    let slow = common::ArtifactHost::start(data.clone(), Some(Duration::from_secs(3))).await;
    let dir = tempdir();
    let server = Server::start_with(
        dir.path(),
        &["--allow-artifact-host", &slow.addr.to_string()],
    );
    let admin = Api::for_tenant(&server, "acme", "admin");
    admin.require_signatures(false).await;
    let body = common::package_body("5.0.0", &slow.url("/fw.bin"), &sha, data.len() as u64);
    let first = {
        let (admin, body) = (admin.clone(), body.clone());
        tokio::spawn(async move {
            post_with_key(&admin, "/api/v1/ota/packages", "publish-5.0.0", &body).await
        })
    };
    let staging = dir.path().join("objects/staging");
    for _ in 0..200 {
        if any_file_under(&staging) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(any_file_under(&staging), "the first create never started");
    let err = post_with_key(&admin, "/api/v1/ota/packages", "publish-5.0.0", &body)
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("still in progress"),
        "{err}"
    );
    // The first client gives up (its connection closes); the create runs on regardless, and
    // the retry gets its answer.
    first.abort();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let again = loop {
        let r = post_with_key(&admin, "/api/v1/ota/packages", "publish-5.0.0", &body).await;
        if r.status.as_u16() != 409 {
            break r;
        }
        assert_eq!(r.code(), "FAILED_PRECONDITION", "{}", r.body);
        assert!(
            std::time::Instant::now() < deadline,
            "still in progress after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(replayed(&again), "{}", again.body);
    let package = again.expect(201);
    assert_eq!(package["version"], "5.0.0");
    assert_eq!(count(&admin, "/api/v1/ota/packages").await, 1);
}

/// A single-shot image (`multipart/form-data`, streamed to storage, never held whole): the
/// same key and body is the first image again, another body under that key is refused, and a
/// refused request frees its key.
#[tokio::test]
async fn a_retried_image_upload_is_one_image_though_its_body_streams() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let boundary = "idem-boundary";
    let form = |name: &str, data: &[u8]| {
        let mut b = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n{name}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"datafile\"; filename=\"fw.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        b.extend_from_slice(data);
        b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        b
    };
    let send = |key: &'static str, body: Vec<u8>| {
        rm.send(
            rm.req(Method::POST, "/api/v1/ota/images")
                .header(KEY, key)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body),
        )
    };
    let firmware: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();

    let first = send("image-1", form("fw-2.0.0", &firmware)).await;
    assert!(!replayed(&first));
    let location = first.headers["location"].clone();
    let first = first.expect(201);
    let again = send("image-1", form("fw-2.0.0", &firmware)).await;
    assert!(replayed(&again), "{:?}", again.headers);
    assert_eq!(again.headers["location"], location);
    assert_eq!(again.expect(201), first);
    assert_eq!(count(&rm, "/api/v1/ota/images").await, 1);

    // The same key with one byte changed is another request.
    let mut other = firmware.clone();
    other[150_000] ^= 1;
    let e = send("image-1", form("fw-2.0.0", &other)).await.expect(409);
    assert_eq!(e["code"], "ALREADY_EXISTS");
    assert!(e["message"].as_str().unwrap().contains("image-1"), "{e}");
    assert_eq!(count(&rm, "/api/v1/ota/images").await, 1);

    // A refused upload (its name is taken) keeps nothing under its key: the same key with a
    // free name runs.
    let taken = send("image-2", form("fw-2.0.0", &firmware))
        .await
        .expect(409);
    assert_eq!(taken["code"], "ALREADY_EXISTS");
    let second = send("image-2", form("fw-2.0.1", &firmware)).await;
    assert!(!replayed(&second));
    assert_eq!(second.expect(201)["name"], "fw-2.0.1");
    assert_eq!(count(&rm, "/api/v1/ota/images").await, 2);
}
