//! HTTPS on `--listen` (`--tls-cert`, `--tls-key`): the real server with a CA and certificates
//! made by the test (openssl, as the PostgreSQL TLS tests do), over loopback.

mod common;

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use airlift_testkit::postgres::{make_ca, make_server_cert_named};
use common::ota::*;
use common::*;
use futures_util::StreamExt as _;
use serde_json::{json, Value};

/// A CA (`ca.pem`, the harness's convention) and a server certificate it signed, in `dir`.
fn pki(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (ca, ca_key) = make_ca(dir, "ca");
    let (cert, key) = make_server_cert_named(dir, "server", &ca, &ca_key);
    (ca, cert, key)
}

/// A client that trusts `ca` only (not even the system's CAs), no overall timeout.
fn client_trusting(ca: &Path) -> reqwest::Client {
    let pem = std::fs::read(ca).unwrap();
    let mut b = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .connect_timeout(Duration::from_secs(10));
    for c in reqwest::Certificate::from_pem_bundle(&pem).unwrap() {
        b = b.add_root_certificate(c);
    }
    b.build().unwrap()
}

fn tls_args<'a>(cert: &'a Path, key: &'a Path) -> [&'a str; 4] {
    [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]
}

/// The whole chain of a failed request, to find rustls's reason in it.
fn chain(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

#[tokio::test]
async fn https_with_the_servers_ca_and_plain_http_refused() {
    let dir = tempdir();
    let (ca, cert, key) = pki(dir.path());
    let server = Server::start_with(&dir.path().join("data"), &tls_args(&cert, &key));
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );

    // The handshake with the test's CA, then the API as usual.
    let https = client_trusting(&ca);
    let r = https.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let admin = Api::for_tenant(&server, "acme", "admin");
    admin.get("/api/v1/tenant").await.expect(200);

    // A client that does not know the CA refuses the server's certificate.
    let (stranger, _) = make_ca(dir.path(), "stranger");
    let err = client_trusting(&stranger)
        .get(server.url("/healthz"))
        .send()
        .await
        .expect_err("a certificate the client's CA did not sign");
    assert!(chain(&err).contains("UnknownIssuer"), "{}", chain(&err));

    // Plain HTTP to the same port: a 400 saying to use https, nothing served in clear.
    let plain = server.base.replacen("https://", "http://", 1);
    let r = reqwest::get(format!("{plain}/api/v1/tenant"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "INVALID_ARGUMENT");
    assert!(
        body["message"].as_str().unwrap().contains("https://"),
        "{body}"
    );
    let addr = server.base.trim_start_matches("https://").to_owned();
    let mut raw = std::net::TcpStream::connect(&addr).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    raw.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn the_download_urls_the_server_hands_out_are_https() {
    let dir = tempdir();
    let (ca, cert, key) = pki(dir.path());
    let f = fleet(1, &tls_args(&cert, &key)).await;
    f.start(
        json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
               "failure_threshold_percent": 50}),
    )
    .await;
    let a = f.devices[0].ota().await.expect(200);
    let url = a["download_url"].as_str().expect("download_url");
    assert!(
        url.starts_with(&format!("{}/api/v1/firmware/", f.server.base)),
        "{url}"
    );
    assert!(url.starts_with("https://"), "{url}");
    let r = client_trusting(&ca).get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..], &f.pkg_bytes[..]);
}

#[tokio::test]
async fn sighup_serves_the_new_certificate_to_new_connections_and_keeps_open_streams() {
    let dir = tempdir();
    let tls = dir.path().join("tls");
    std::fs::create_dir_all(&tls).unwrap();
    let (old_ca, old_ca_key) = make_ca(&tls, "old-ca");
    let (new_ca, new_ca_key) = make_ca(&tls, "new-ca");
    let (old_cert, old_key) = make_server_cert_named(&tls, "old", &old_ca, &old_ca_key);
    let (new_cert, new_key) = make_server_cert_named(&tls, "new", &new_ca, &new_ca_key);
    // The harness's clients trust both CAs; the stream below trusts only the old one.
    let both = [
        std::fs::read(&old_ca).unwrap(),
        std::fs::read(&new_ca).unwrap(),
    ]
    .concat();
    std::fs::write(tls.join("ca.pem"), both).unwrap();
    let (live_cert, live_key) = (tls.join("live.pem"), tls.join("live.key"));
    std::fs::copy(&old_cert, &live_cert).unwrap();
    std::fs::copy(&old_key, &live_key).unwrap();

    let f = fleet(1, &tls_args(&live_cert, &live_key)).await;
    // An open connection made with the old certificate: the event stream.
    let stream = client_trusting(&old_ca)
        .get(f.server.url("/api/v1/events"))
        .bearer_auth(&f.rm.token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut body = stream.bytes_stream();
        while let Some(Ok(chunk)) = body.next().await {
            if tx
                .send(String::from_utf8_lossy(&chunk).into_owned())
                .is_err()
            {
                return;
            }
        }
    });

    // Renewal: new files in place, then SIGHUP.
    std::fs::copy(&new_cert, &live_cert).unwrap();
    std::fs::copy(&new_key, &live_key).unwrap();
    let hup = Command::new("kill")
        .args(["-HUP", &f.server.pid().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = client_trusting(&new_ca)
            .get(f.server.url("/healthz"))
            .send()
            .await;
        if r.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new certificate was not served within 10 s of SIGHUP"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // New connections get the new certificate only.
    let err = client_trusting(&old_ca)
        .get(f.server.url("/healthz"))
        .send()
        .await
        .expect_err("the old certificate is no longer served");
    assert!(chain(&err).contains("UnknownIssuer"), "{}", chain(&err));

    // The stream opened before the reload still delivers: a rollout's event arrives on it.
    f.start(
        json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
               "failure_threshold_percent": 50}),
    )
    .await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains("event: profile.ota.rollout.") {
        let chunk = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the open stream delivered no rollout event within 20 s")
            .expect("the open stream was closed by the reload");
        seen.push_str(&chunk);
    }
    // And the server is still up (a SIGHUP reloads, it does not stop the server).
    f.admin.get("/api/v1/tenant").await.expect(200);
}

#[test]
fn tls_options_are_checked_at_start() {
    let dir = tempdir();
    let (ca, cert, key) = pki(dir.path());
    let data = dir.path().join("data");
    let serve = |extra: &[&str]| {
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(&data)
            .args(extra)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    // One without the other: exit 2, naming the missing one.
    let out = serve(&["--tls-cert", cert.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
    // A key that is not the certificate's, and a file that is not there.
    let (_, other_key) =
        make_server_cert_named(dir.path(), "other", &ca, &dir.path().join("ca.key"));
    let out = serve(&tls_args(&cert, &other_key));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not go with --tls-cert"), "{stderr}");
    let missing = dir.path().join("missing.pem");
    let out = serve(&tls_args(&missing, &key));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.pem"), "{stderr}");
    assert!(stdout_is_empty(&out), "nothing listened");
}

fn stdout_is_empty(out: &std::process::Output) -> bool {
    out.stdout.is_empty()
}
