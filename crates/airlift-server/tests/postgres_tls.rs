//! airliftd on a PostgreSQL that takes TLS connections only (a real PostgreSQL 15 with a
//! certificate signed by a CA the test makes): `sslmode=verify-full&sslrootcert=CA` works and
//! the connections are encrypted; a URL without TLS, or with another CA, is refused with a
//! message that says why. Each test runs a cluster of its own, whatever
//! `AIRLIFT_TEST_DATABASE` says.

mod common;

use airlift_testkit::postgres::{assign_database, make_ca, Postgres};
use common::*;
use serde_json::json;

fn with_tls(url: &str, ca: &std::path::Path) -> String {
    format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display())
}

/// `airliftd migrate --database URL`: (success, stderr).
fn migrate(url: &str) -> (bool, String) {
    let dir = tempdir();
    let out = std::process::Command::new(BIN)
        .args(["migrate", "--database", url, "--data"])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run airliftd migrate");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_works_over_verified_tls_and_its_connections_are_encrypted() {
    let pg = Postgres::start_tls();
    let url = pg.create_database();
    let database = url.rsplit('/').next().expect("database name").to_owned();
    let dir = tempdir();
    assign_database(dir.path(), &with_tls(&url, &pg.ca_file()));
    let server = Server::start(dir.path());
    let admin = Api::for_tenant(&server, "acme", "admin");

    let created = admin
        .post(
            "/api/v1/profiles",
            json!({"name": "over-tls", "device_type": "sensor"}),
        )
        .await
        .expect(201);
    let id = created["profile_id"].as_str().expect("profile id");
    let read = admin
        .get(&format!("/api/v1/profiles/{id}"))
        .await
        .expect(200);
    assert_eq!(read["name"], "over-tls");

    let encrypted = pg.psql(
        &database,
        "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
         WHERE a.application_name = 'airliftd' AND s.ssl",
    );
    let plain = pg.psql(
        &database,
        "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
         WHERE a.application_name = 'airliftd' AND NOT s.ssl",
    );
    assert!(
        encrypted.trim().parse::<u32>().expect("a count") >= 1,
        "the server's pooled connections use TLS: {encrypted:?}"
    );
    assert_eq!(plain.trim(), "0", "no plain connection");
}

#[test]
fn a_url_without_tls_is_refused_by_a_tls_only_database_with_its_reason() {
    let pg = Postgres::start_tls();
    let url = pg.create_database();
    let (ok, err) = migrate(&url);
    assert!(!ok, "a plain connection must not get in");
    assert!(
        err.contains("no encryption"),
        "PostgreSQL's reason is shown: {err}"
    );
    let (ok, err) = migrate(&with_tls(&url, &pg.ca_file()));
    assert!(ok, "the same database over TLS: {err}");
}

#[test]
fn a_certificate_from_another_ca_is_refused_and_the_reason_is_shown() {
    let pg = Postgres::start_tls();
    let url = pg.create_database();
    let other = tempdir();
    let (stranger, _) = make_ca(other.path(), "stranger");
    let (ok, err) = migrate(&with_tls(&url, &stranger));
    assert!(
        !ok,
        "a server certificate the CA did not sign must be refused"
    );
    assert!(
        err.contains("certificate") && err.contains("UnknownIssuer"),
        "the TLS reason is shown, not only 'error performing TLS handshake': {err}"
    );
}

#[test]
fn a_bad_tls_option_is_refused_before_any_connection() {
    for (url, says) in [
        (
            "postgres://airlift@127.0.0.1:1/db?sslmode=verify-ca",
            "sslmode=verify-full",
        ),
        (
            "postgres://airlift@127.0.0.1:1/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            "/nonexistent/ca.pem",
        ),
        (
            "postgres://airlift@127.0.0.1:1/db?sslrootcert=/etc/ssl/ca.pem",
            "add sslmode=verify-full",
        ),
    ] {
        let (ok, err) = migrate(url);
        assert!(!ok, "{url}");
        assert!(err.contains(says), "{url}: {err}");
    }
}
