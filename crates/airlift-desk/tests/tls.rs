//! The desk's client against the real airliftd serving HTTPS with a CA made by the test: the
//! connection's CA trusted, a wrong or missing one refused with `TLS_UNTRUSTED` and a sentence
//! saying so, the CA saved with the connection; and a rate-limited call waiting out the
//! server's `Retry-After` before it is sent again.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlift_core::wire::CreateProfile;
use airlift_desk::ca_cert::CaCert;
use airlift_desk::client::{Client, ClientOptions, ListParams, RateLimitObserver, RateLimitWait};
use airlift_desk::connections::{Connections, KeyringOrFile};
use airlift_desk::ops::connect::{check_connection, save_connection, NewConnection};
use airlift_desk::secret::Secret;
use airlift_desk::DeskErrorCode;
use airlift_testkit::postgres::{make_ca, make_server_cert_named};

/// `ca.pem` and a server certificate for 127.0.0.1 it signed.
fn pki(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (ca, ca_key) = make_ca(dir, "ca");
    let (cert, key) = make_server_cert_named(dir, "server", &ca, &ca_key);
    (ca, cert, key)
}

fn https_server(dir: &Path) -> (support::Server, PathBuf) {
    let (ca, cert, key) = pki(dir);
    let server = support::Server::start_with(
        &dir.join("data"),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    (server, ca)
}

fn with_ca(ca: Option<CaCert>) -> ClientOptions {
    ClientOptions {
        ca_cert: ca,
        ..ClientOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connections_ca_is_trusted_and_a_wrong_one_is_named() {
    let dir = support::tempdir();
    let (server, ca_path) = https_server(dir.path());
    let token = Secret::new(server.token("acme", "admin"));
    let ca = CaCert::read(&ca_path).unwrap();
    assert_eq!(ca.summary().subject, "CN=airlift test ca");
    assert!(!ca.summary().expired);

    // With the server's CA: the API as usual.
    let client = Client::new(&server.base, Some(token.clone()), with_ca(Some(ca.clone()))).unwrap();
    client.tenant().await.unwrap();
    let check = check_connection(&server.base, Some(&token), with_ca(Some(ca.clone())))
        .await
        .unwrap();
    assert_eq!(check.packages_seen, 0);

    // Another CA: refused at once (no retry would help), saying which CA was given.
    let (stranger_path, _) = make_ca(dir.path(), "stranger");
    let stranger = CaCert::read(&stranger_path).unwrap();
    let err = Client::new(&server.base, Some(token.clone()), with_ca(Some(stranger)))
        .unwrap()
        .tenant()
        .await
        .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::TlsUntrusted, "{err}");
    assert!(
        err.message().contains(
            "the server's certificate is not signed by the CA you gave (CN=airlift test stranger)"
        ),
        "{err}"
    );
    // No CA at all: the system's CAs do not know the test's.
    let err = check_connection(&server.base, Some(&token), with_ca(None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::TlsUntrusted, "{err}");
    assert!(err.message().contains("--ca-cert"), "{err}");

    // http:// to the HTTPS port: the server's own sentence says to use https.
    let plain = server.base.replacen("https://", "http://", 1);
    let err = Client::new(&plain, Some(token.clone()), with_ca(None))
        .unwrap()
        .tenant()
        .await
        .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument, "{err}");
    assert!(err.message().contains("https://"), "{err}");

    // Saved with the connection (the PEM in the connections file, never the token), and
    // read back as the same CA.
    let config = dir.path().join("config/connections.json");
    let mut connections = Connections::load(&config).unwrap();
    let tokens = KeyringOrFile::beside(&config);
    let saved = save_connection(
        &mut connections,
        &tokens,
        NewConnection {
            name: "lab",
            url: &server.base,
            token: None,
            ca_cert: Some(&ca),
        },
        true,
    )
    .unwrap();
    assert!(!format!("{:?}", saved.connection).contains("BEGIN CERTIFICATE"));
    let again = Connections::load(&config).unwrap();
    let lab = again.resolve(Some("lab")).unwrap();
    assert_eq!(lab.ca_cert().unwrap().unwrap().summary(), ca.summary());
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("BEGIN CERTIFICATE"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limited_call_waits_as_told_then_succeeds() {
    let dir = support::tempdir();
    let server = support::Server::start_with(
        dir.path(),
        &["--user-rate-limit", "1", "--user-rate-burst", "1"],
    );
    let token = Secret::new(server.token("acme", "admin"));
    let waits: Arc<Mutex<Vec<RateLimitWait>>> = Arc::default();
    let heard = waits.clone();
    let options = ClientOptions {
        on_rate_limited: Some(RateLimitObserver::new(move |w| {
            heard.lock().unwrap().push(w.clone());
        })),
        ..ClientOptions::default()
    };
    let client = Client::new(&server.base, Some(token.clone()), options.clone()).unwrap();

    // A budget of one request a second: the second read is refused with Retry-After, waited
    // out, and answered.
    client.tenant().await.unwrap();
    client.packages(&ListParams::new(10, None)).await.unwrap();
    // A create is refused before any work, so it too is sent again, and made once.
    let made = client
        .create_profile(&CreateProfile {
            name: "temp-v2".into(),
            device_type: "temp-sensor".into(),
        })
        .await
        .unwrap();
    let profiles = client.profiles(&ListParams::new(10, None)).await.unwrap();
    assert_eq!(profiles.data.len(), 1);
    assert_eq!(profiles.data[0].profile_id, made.profile_id);
    let told = waits.lock().unwrap().clone();
    assert!(told.len() >= 2, "{told:?}");
    assert!(
        told.iter().all(|w| w.wait >= Duration::from_secs(1)),
        "{told:?}"
    );
    assert!(
        told.iter().any(|w| w.call == "POST /api/v1/profiles"),
        "{told:?}"
    );

    // A client that will not wait that long fails at once, with the server's sentence.
    let impatient = Client::new(
        &server.base,
        Some(token),
        ClientOptions {
            retry_after_limit: Duration::ZERO,
            ..options
        },
    )
    .unwrap();
    let _ = impatient.tenant().await;
    let err = impatient.tenant().await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::ResourceExhausted, "{err}");
    assert!(err.message().contains("retry in"), "{err}");
}
