//! Seed 001's download URLs in embedded storage, through HTTP: the poll hands one out, it
//! needs no other credential, serves ranges straight from storage, opens only its object, and
//! is refused once expired or altered; the next poll renews it.

mod common;

use std::time::Duration;

use common::ota::*;
use common::*;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

async fn assigned(f: &Fleet) -> Value {
    f.start(
        json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
                   "failure_threshold_percent": 50}),
    )
    .await;
    f.devices[0].ota().await.expect(200)
}

fn expiry(a: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(a["download_url_expires_at"].as_str().unwrap(), &Rfc3339)
        .expect("download_url_expires_at is RFC 3339")
}

/// A client with no credential at all: the URL is the credential.
fn anonymous() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn get(url: &str, range: Option<&str>) -> reqwest::Response {
    let mut rb = anonymous().get(url);
    if let Some(r) = range {
        rb = rb.header("range", r);
    }
    rb.send().await.unwrap()
}

async fn refused(url: &str) -> String {
    let r = get(url, None).await;
    assert_eq!(r.status(), 403, "{url}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "PERMISSION_DENIED");
    body["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_polled_download_url_serves_ranges_without_a_token() {
    let f = fleet(2, &[]).await;
    let a = assigned(&f).await;
    let url = a["download_url"].as_str().expect("download_url").to_owned();
    let tenant = f.admin.get("/api/v1/tenant").await.expect(200)["tenant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Seed 001's key layout, below the server's own base URL.
    let key = format!("firmware/{tenant}/2.0.0/{}.bin", sha256_hex(&f.pkg_bytes));
    assert!(
        url.starts_with(&format!("{}/api/v1/{key}?", f.server.base)),
        "{url}"
    );
    // Default lifetime one hour; a poll hands out at least half of it.
    let left = expiry(&a) - OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(29) && left <= time::Duration::hours(1),
        "{left}"
    );

    let size = f.pkg_bytes.len();
    let r = get(&url, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert_eq!(r.headers()["content-length"], size.to_string().as_str());
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[..]);

    let r = get(&url, Some("bytes=100-199")).await;
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 100-199/{size}").as_str()
    );
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[100..200]);
    // Open-ended and suffix ranges (what a resuming client sends).
    let r = get(&url, Some("bytes=150000-")).await;
    assert_eq!(r.status(), 206);
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[150_000..]);
    let r = get(&url, Some("bytes=-10")).await;
    assert_eq!(r.status(), 206);
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[size - 10..]);
    // Past the end: 416 with the size.
    let r = get(&url, Some(&format!("bytes={size}-"))).await;
    assert_eq!(r.status(), 416);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes */{size}").as_str()
    );

    // The next poll in the same window hands out the very same URL (nothing signed anew),
    // and so does another device's poll for the same package.
    let again = f.devices[0].ota().await.expect(200);
    assert_eq!(again["download_url"], a["download_url"]);
    let other = f.devices[1].ota().await.expect(200);
    assert_eq!(other["download_url"], a["download_url"]);
    assert_eq!(
        other["download_url_expires_at"],
        a["download_url_expires_at"]
    );

    // The key the URLs are signed with lives outside the database, private to the server.
    let key_file = f.dir.path().join("download-url-key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn altered_or_other_objects_download_urls_are_refused() {
    let f = fleet(1, &[]).await;
    let a = assigned(&f).await;
    let url = a["download_url"].as_str().unwrap().to_owned();
    assert_eq!(get(&url, None).await.status(), 200);
    let (path, query) = url.split_once('?').unwrap();
    let sig = query.split_once("signature=").unwrap().1;
    let expires: u64 = query
        .split_once("expires=")
        .unwrap()
        .1
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // One hex digit of the signature changed.
    let mut flipped = sig.to_owned();
    let last = if flipped.ends_with('0') { "1" } else { "0" };
    flipped.replace_range(flipped.len() - 1.., last);
    let msg = refused(&format!("{path}?expires={expires}&signature={flipped}")).await;
    assert!(msg.contains("not valid"), "{msg}");
    // A later expiry with the old signature.
    refused(&format!(
        "{path}?expires={}&signature={sig}",
        expires + 3600
    ))
    .await;
    // No signature, no expiry.
    refused(&format!("{path}?expires={expires}")).await;
    refused(path).await;
    // Another object (the rollback package, same tenant) with this URL's signature.
    let tenant_base = path.rsplit_once("/2.0.0/").unwrap().0;
    let rollback_key = format!("{tenant_base}/1.0.1/{}.bin", sha256_hex(&f.rollback_bytes));
    refused(&format!("{rollback_key}?expires={expires}&signature={sig}")).await;
    // The original still works: nothing above changed it.
    let r = get(&url, Some("bytes=0-9")).await;
    assert_eq!(r.status(), 206);
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[..10]);
}

#[tokio::test]
async fn an_expired_download_url_is_refused_and_the_next_poll_renews_it() {
    let f = fleet(1, &["--download-url-ttl", "2s"]).await;
    let a = assigned(&f).await;
    let url = a["download_url"].as_str().unwrap().to_owned();
    let expires = expiry(&a);
    let left = expires - OffsetDateTime::now_utc();
    assert!(
        left >= time::Duration::milliseconds(900) && left <= time::Duration::seconds(2),
        "{left}"
    );
    assert_eq!(get(&url, Some("bytes=0-0")).await.status(), 206);
    while OffsetDateTime::now_utc() < expires + time::Duration::milliseconds(100) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let msg = refused(&url).await;
    assert!(msg.contains("expired"), "{msg}");

    let renewed = f.devices[0].ota().await.expect(200);
    assert!(expiry(&renewed) > expires);
    let fresh = renewed["download_url"].as_str().unwrap();
    assert_ne!(fresh, url);
    let r = get(fresh, Some("bytes=10-19")).await;
    assert_eq!(r.status(), 206);
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[10..20]);
}

#[tokio::test]
async fn public_url_is_the_base_of_download_urls() {
    let f = fleet(1, &["--public-url", "https://ota.example.com"]).await;
    let a = assigned(&f).await;
    let url = a["download_url"].as_str().unwrap();
    assert!(
        url.starts_with("https://ota.example.com/api/v1/firmware/"),
        "{url}"
    );
    // What a reverse proxy for that name forwards reaches the server as it is.
    let forwarded = url.replace("https://ota.example.com", &f.server.base);
    assert_eq!(get(&forwarded, Some("bytes=0-0")).await.status(), 206);
}

#[test]
fn a_download_url_ttl_outside_1s_to_7d_stops_the_server_at_start() {
    for (ttl, why) in [
        ("0s", "at least 1s"),
        ("8d", "1s..7d"),
        ("soon", "not a duration"),
    ] {
        let dir = tempdir();
        let out = std::process::Command::new(BIN)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--download-url-ttl",
                ttl,
                "--data",
            ])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{ttl}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--download-url-ttl") && err.contains(why),
            "{ttl}: {err}"
        );
        assert!(
            !dir.path().join("airlift.db").exists(),
            "nothing created for {ttl}"
        );
    }
}

/// Support staff read on a device's page until when its download URL works: `GET
/// /devices/{id}` says the same expiry its poll got, and nothing for a device without an
/// assignment; lists never carry it (they would sign a URL per row).
#[tokio::test]
async fn a_device_read_says_until_when_its_download_url_works() {
    let f = fleet(2, &[]).await;
    let d = &f.devices[0];
    let before = f
        .admin
        .get(&format!("/api/v1/devices/{}", d.id))
        .await
        .expect(200);
    assert!(before.get("download_url_expires_at").is_none(), "{before}");
    let a = assigned(&f).await;
    let device = f
        .admin
        .get(&format!("/api/v1/devices/{}", d.id))
        .await
        .expect(200);
    assert_eq!(
        device["download_url_expires_at"],
        a["download_url_expires_at"]
    );
    let list = f.admin.get("/api/v1/devices").await.expect(200);
    assert!(list["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d.get("download_url_expires_at").is_none()));
}
