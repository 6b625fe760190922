//! `--storage s3://BUCKET/PREFIX` against a real S3-compatible server (s3s-fs, started by the
//! harness), which checks SigV4 signatures and presigned URLs' expiry: the upload → package →
//! rollout → device download path, presigned download URLs (Range, expiry, alterations),
//! start-up refusals, and a server killed in the middle of a multipart upload.

mod common;

use std::time::Duration;

use airlift_testkit::s3::S3Server;
use common::ota::*;
use common::*;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const BUCKET: &str = "airlift-fw";

fn s3() -> S3Server {
    let s3 = S3Server::start();
    s3.create_bucket(BUCKET);
    s3
}

fn storage_args(s3: &S3Server) -> Vec<String> {
    vec![
        "--storage".to_owned(),
        format!("s3://{BUCKET}/prod"),
        "--s3-endpoint".to_owned(),
        s3.endpoint(),
    ]
}

async fn s3_fleet(s3: &S3Server, n: usize, more: &[&str]) -> Fleet {
    let mut args = storage_args(s3);
    args.extend(more.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fleet_env(n, &args, &s3.credentials()).await
}

async fn assigned(f: &Fleet) -> Value {
    f.start(
        json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
                   "failure_threshold_percent": 50}),
    )
    .await;
    f.devices[0].ota().await.expect(200)
}

async fn get(url: &str, range: Option<&str>) -> reqwest::Response {
    let mut rb = reqwest::Client::new().get(url);
    if let Some(r) = range {
        rb = rb.header("range", r);
    }
    rb.send().await.unwrap()
}

fn expiry(a: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(a["download_url_expires_at"].as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test]
async fn upload_package_rollout_and_download_run_on_s3() {
    let s3 = s3();
    let f = s3_fleet(&s3, 2, &[]).await;
    let tenant = f.admin.get("/api/v1/tenant").await.expect(200)["tenant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sha = sha256_hex(&f.pkg_bytes);
    let keys = s3.keys(BUCKET);
    // Seed 001's layout below the prefix; nothing left in staging, parts or markers.
    assert!(
        keys.contains(&format!("prod/firmware/{tenant}/2.0.0/{sha}.bin")),
        "{keys:?}"
    );
    assert!(
        keys.iter()
            .all(|k| k.starts_with("prod/firmware/") || k.starts_with("prod/images/")),
        "{keys:?}"
    );
    assert_eq!(s3.unfinished_uploads(), 0);
    assert!(
        !f.dir.path().join("objects").exists(),
        "no object on the local disk"
    );
    // The package names that object as its storage key (below the bucket's prefix).
    let pkg =
        f.rm.get(&format!("/api/v1/ota/packages/{}", f.pkg))
            .await
            .expect(200);
    let key = pkg["storage_key"].as_str().unwrap();
    assert_eq!(key, format!("firmware/{tenant}/2.0.0/{sha}.bin"));
    assert!(keys.contains(&format!("prod/{key}")), "{keys:?}");

    let a = assigned(&f).await;
    let url = a["download_url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!(
            "{}/{BUCKET}/prod/firmware/{tenant}/2.0.0/{sha}.bin?",
            s3.endpoint()
        )),
        "{url}"
    );
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let left = expiry(&a) - OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(29) && left <= time::Duration::seconds(3601),
        "{left}"
    );
    // The URL is the credential: no token, straight from the bucket.
    let r = get(&url, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[..]);
    let r = get(&url, Some("bytes=1000-1999")).await;
    assert_eq!(r.status(), 206);
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[1000..2000]);
    // The same URL for every poll of the window.
    let again = f.devices[1].ota().await.expect(200);
    assert_eq!(again["download_url"], a["download_url"]);

    // The 64 KiB chunk endpoint reads from the bucket too.
    let d = &f.devices[0];
    let got = d.download(&f.pkg, f.pkg_bytes.len() as u64).await;
    assert_eq!(sha256_hex(&got), sha);
    let installed = d.update(&sha).await;
    let rollout = installed["rollout_id"].as_str().unwrap();
    let succeeded = f.in_state(rollout, "successful").await;
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0].id, d.id);
}

#[tokio::test]
async fn presigned_urls_are_refused_altered_or_for_another_key() {
    let s3 = s3();
    let f = s3_fleet(&s3, 1, &[]).await;
    let a = assigned(&f).await;
    let url = a["download_url"].as_str().unwrap().to_owned();
    assert_eq!(get(&url, Some("bytes=0-0")).await.status(), 206);
    let (path, query) = url.split_once('?').unwrap();
    // One character of the signature changed.
    let (head, sig) = query.split_once("X-Amz-Signature=").unwrap();
    let sig = &sig[..64];
    let flipped = if sig.ends_with('0') {
        format!("{}1", &sig[..63])
    } else {
        format!("{}0", &sig[..63])
    };
    let altered = format!("{path}?{head}X-Amz-Signature={flipped}");
    assert_eq!(get(&altered, None).await.status(), 403);
    // A longer life asked for with the same signature.
    let longer = url.replace("X-Amz-Expires=", "X-Amz-Expires=9");
    assert_eq!(get(&longer, None).await.status(), 403);
    // Another key (the rollback package's) with this signature.
    let other_key = format!(
        "{}/1.0.1/{}.bin",
        path.rsplit_once("/2.0.0/").unwrap().0,
        sha256_hex(&f.rollback_bytes)
    );
    assert_eq!(
        get(&format!("{other_key}?{query}"), None).await.status(),
        403
    );
    // That object is there: it is the signature that is refused.
    assert!(s3
        .keys(BUCKET)
        .iter()
        .any(|k| k.ends_with(&format!("{}.bin", sha256_hex(&f.rollback_bytes)))));
}

#[tokio::test]
async fn an_expired_presigned_url_is_refused_and_the_next_poll_renews_it() {
    let s3 = s3();
    let f = s3_fleet(&s3, 1, &["--download-url-ttl", "2s"]).await;
    let a = assigned(&f).await;
    let url = a["download_url"].as_str().unwrap().to_owned();
    let expires = expiry(&a);
    assert_eq!(get(&url, Some("bytes=0-9")).await.status(), 206);
    // S3 counts from the second it signed in: wait a second past the announced expiry.
    while OffsetDateTime::now_utc() < expires + time::Duration::milliseconds(1100) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = get(&url, None).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("expired"));

    let renewed = f.devices[0].ota().await.expect(200);
    assert!(expiry(&renewed) > expires);
    let r = get(renewed["download_url"].as_str().unwrap(), Some("bytes=5-9")).await;
    assert_eq!(r.status(), 206);
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[5..10]);
}

// Multi-threaded: the proxy must answer while the harness waits for the server's first line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_completes_by_its_multipart_upload_without_writing_the_image_again() {
    let s3 = s3();
    let proxy = airlift_testkit::s3_proxy::S3FaultProxy::start(&s3.endpoint()).await;
    let dir = tempdir();
    let storage = format!("s3://{BUCKET}/prod");
    let endpoint = proxy.endpoint();
    let server = Server::start_with_env(
        dir.path(),
        &["--storage", &storage, "--s3-endpoint", &endpoint],
        &s3.credentials(),
    );
    let admin = Api::for_tenant(&server, "acme", "admin");
    admin.require_signatures(false).await;
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    // 12 MiB + a little, in seed 003's 5 MiB job parts: the job's parts are the three parts of
    // the image's multipart upload, so S3 receives the bytes once (the parts), not twice.
    let data = bytes(12 * 1024 * 1024 + 4321, 77);
    let image = rm.upload_image("big", &data).await;
    assert_eq!(image["datafile_checksum"], sha256_hex(&data).as_str());
    let written = proxy.uploaded();
    assert!(
        written >= data.len() as u64 && written < data.len() as u64 + 64 * 1024,
        "{written} bytes written to S3 for a {}-byte image",
        data.len()
    );
    let pkg = rm
        .post(
            "/api/v1/ota/packages",
            package_body(
                "3.0.0",
                image["datafile"].as_str().unwrap(),
                &sha256_hex(&data),
                data.len() as u64,
            ),
        )
        .await
        .expect(201);
    assert_eq!(pkg["size_bytes"], data.len() as u64);
    assert_eq!(s3.unfinished_uploads(), 0);
    let keys = s3.keys(BUCKET);
    assert!(
        keys.iter()
            .all(|k| k.starts_with("prod/images/") || k.starts_with("prod/firmware/")),
        "{keys:?}"
    );
    // The image's bytes are the parts, in order.
    let tenant = admin.get("/api/v1/tenant").await.expect(200)["tenant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = std::fs::read(s3.object_path(
        BUCKET,
        &format!("prod/firmware/{tenant}/3.0.0/{}.bin", sha256_hex(&data)),
    ))
    .unwrap();
    assert_eq!(sha256_hex(&stored), sha256_hex(&data));
}

#[tokio::test]
async fn wrong_credentials_or_a_missing_bucket_stop_the_server_at_start() {
    let s3 = s3();
    for (bucket, secret) in [
        (BUCKET, "not-the-secret"),
        ("no-such-bucket", airlift_testkit::s3::SECRET_KEY),
    ] {
        let dir = tempdir();
        let out = std::process::Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .args([
                "--storage",
                &format!("s3://{bucket}"),
                "--s3-endpoint",
                &s3.endpoint(),
            ])
            .env("AWS_ACCESS_KEY_ID", airlift_testkit::s3::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bucket}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("cannot use bucket \"{bucket}\""))
                && err.contains("AWS_ACCESS_KEY_ID"),
            "{bucket}: {err}"
        );
    }
}

#[tokio::test]
async fn a_server_killed_mid_multipart_upload_leaves_nothing_after_restart() {
    let s3 = s3();
    let dir = tempdir();
    let args = storage_args(&s3);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with_env(dir.path(), &args, &s3.credentials());
    let admin = Api::for_tenant(&server, "acme", "admin");
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    admin.require_signatures(false).await;
    let job = rm.create_job("killed").await;
    // A 20 MiB part sent as 12 MiB, then nothing: two S3 parts are on their way.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let data = bytes(20 * 1024 * 1024, 5);
    let req = rm
        .req(
            reqwest::Method::POST,
            &format!("/api/v1/ota/upload-jobs/{job}/chunks"),
        )
        .header("content-md5", content_md5(&data))
        .header("content-length", data.len())
        .body(body);
    let sending = tokio::spawn(req.send());
    for piece in data[..12 * 1024 * 1024].chunks(1024 * 1024) {
        tx.send(Ok(piece.to_vec())).await.unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while s3.unfinished_uploads() == 0 || !s3.keys(BUCKET).iter().any(|k| k.contains("inflight")) {
        assert!(
            std::time::Instant::now() < deadline,
            "no multipart upload started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill9();
    drop(tx);
    let _ = sending.await;
    assert_eq!(s3.unfinished_uploads(), 1);

    let server = Server::start_with_env(dir.path(), &args, &s3.credentials());
    assert_eq!(
        s3.unfinished_uploads(),
        0,
        "the abandoned upload is aborted at start-up"
    );
    let keys = s3.keys(BUCKET);
    assert!(keys.is_empty(), "nothing visible is left: {keys:?}");
    // The job is still there and takes the part again.
    let rm = Api::new(&server, &rm.token);
    rm.post_chunk(&job, &data).await.expect(201);
}

/// A channel as a body stream.
fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

// Multi-threaded: the proxy must answer while the harness waits for the server's first line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_errors_are_retried_and_an_outage_is_a_clean_error_with_nothing_half_written() {
    let s3 = s3();
    let proxy = airlift_testkit::s3_proxy::S3FaultProxy::start(&s3.endpoint()).await;
    let dir = tempdir();
    let storage = format!("s3://{BUCKET}/prod");
    let endpoint = proxy.endpoint();
    let server = Server::start_with_env(
        dir.path(),
        &["--storage", &storage, "--s3-endpoint", &endpoint],
        &s3.credentials(),
    );
    let admin = Api::for_tenant(&server, "acme", "admin");
    admin.require_signatures(false).await;
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let data = bytes(300_000, 9);

    // S3 shedding load for a few requests: retried, the client never notices.
    proxy.fail_next(3);
    let image = rm.upload_image("fw", &data).await;
    assert_eq!(proxy.failed(), 3);
    assert_eq!(image["datafile_checksum"], sha256_hex(&data).as_str());

    // An outage outlasting the retries: a clean {code, message}, and no package at all.
    proxy.set_outage(true);
    let body = package_body(
        "2.0.0",
        image["datafile"].as_str().unwrap(),
        &sha256_hex(&data),
        data.len() as u64,
    );
    let refused = rm.post("/api/v1/ota/packages", body.clone()).await;
    refused.expect_error(500, "INTERNAL");
    assert!(proxy.failed() > 3);
    proxy.set_outage(false);
    let listed = rm.get("/api/v1/ota/packages").await.expect(200);
    assert_eq!(listed["data"].as_array().unwrap().len(), 0, "{listed}");
    let keys = s3.keys(BUCKET);
    assert!(
        keys.iter().all(|k| k.starts_with("prod/images/")),
        "only the image: {keys:?}"
    );
    // S3 is back: the same request succeeds.
    rm.post("/api/v1/ota/packages", body).await.expect(201);
}
