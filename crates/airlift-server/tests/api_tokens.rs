//! API tokens over real HTTP against the real server: created by an admin with a role and an
//! expiry, the secret shown once and stored only as a hash, listed without it (with
//! `last_used_at`), revoked at once, refused once expired; a release manager cannot make one.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn tokens_are_created_used_listed_without_secret_and_revoked_at_once() {
    let dir = tempdir();
    let admin_jwt = token(dir.path(), "acme", "admin");
    let server = Server::start(dir.path());
    let admin = Api::new(&server, &admin_jwt);

    let r = admin
        .send(admin.req(reqwest::Method::POST, "/api/v1/api-tokens").json(
            &json!({"name": "release pipeline", "role": "release-manager", "expires_in_days": 30}),
        ))
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.headers["location"].to_str().unwrap(),
        format!("/api/v1/api-tokens/{id}")
    );
    let secret = r.body["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("aat_"), "{secret}");
    assert_eq!(r.body["role"], "release-manager");
    assert_eq!(r.body["name"], "release pipeline");
    assert!(r.body["expires_at"].as_str().unwrap() > r.body["created_at"].as_str().unwrap());

    // The token works for what its role allows, and not beyond.
    let pipeline = Api::new(&server, &secret);
    pipeline.get("/api/v1/ota/packages").await.expect(200);
    pipeline
        .post(
            "/api/v1/profiles",
            json!({"name": "lab", "device_type": "temp-sensor"}),
        )
        .await
        .expect(201);
    pipeline
        .post(
            "/api/v1/api-tokens",
            json!({"name": "escalate", "role": "admin"}),
        )
        .await
        .expect_error(403, "PERMISSION_DENIED");
    pipeline
        .get("/api/v1/api-tokens")
        .await
        .expect_error(403, "PERMISSION_DENIED");
    pipeline
        .patch("/api/v1/tenant", json!({"require_signatures": false}))
        .await
        .expect_error(403, "PERMISSION_DENIED");

    // Listed without any secret, with its last use (written off the request's path).
    let deadline = Instant::now() + Duration::from_secs(10);
    let listed = loop {
        let list = admin.get("/api/v1/api-tokens").await.expect(200);
        let entry = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id.as_str())
            .cloned()
            .expect("the token is listed");
        if entry["last_used_at"].is_string() || Instant::now() > deadline {
            assert!(!list.to_string().contains(&secret), "no secret in the list");
            break entry;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(listed["last_used_at"].is_string(), "{listed}");
    assert!(listed.get("token").is_none(), "{listed}");
    assert_eq!(listed["revoked_at"], Value::Null);

    // Only the hash is stored.
    let stored = Db::of(dir.path()).stored_bytes();
    assert!(!contains(&stored, &secret), "the token is stored in plain");
    let signature = secret.rsplit('.').next().unwrap();
    assert!(
        !contains(&stored, signature),
        "the token's signature is stored"
    );
    assert!(
        contains(&stored, &sha256_hex(secret.as_bytes())),
        "its hash is"
    );

    // Revoked: 401 on the very next request.
    admin
        .delete(&format!("/api/v1/api-tokens/{id}"))
        .await
        .expect(204);
    let refused = pipeline
        .get("/api/v1/ota/packages")
        .await
        .expect_error(401, "UNAUTHENTICATED");
    assert!(
        refused["message"].as_str().unwrap().contains("revoked"),
        "{refused}"
    );
    // Revoking again changes nothing; the list keeps it, marked.
    admin
        .delete(&format!("/api/v1/api-tokens/{id}"))
        .await
        .expect(204);
    let list = admin.get("/api/v1/api-tokens").await.expect(200);
    assert!(list["data"][0]["revoked_at"].is_string(), "{list}");

    // The audit log has both changes, naming the token, never its secret.
    let audit = admin.get("/api/v1/audit").await.expect(200).to_string();
    assert!(
        audit.contains("api_token.create") && audit.contains("api_token.revoke"),
        "{audit}"
    );
    assert!(audit.contains(&id), "{audit}");
    assert!(
        !audit.contains(&secret) && !audit.contains(signature),
        "a secret in the audit log"
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let dir = tempdir();
    let admin_jwt = token(dir.path(), "acme", "admin");
    let server = Server::start(dir.path());
    let admin = Api::new(&server, &admin_jwt);
    let expires = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
    let at = expires
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let body = admin
        .post(
            "/api/v1/api-tokens",
            json!({"name": "short", "role": "support", "expires_at": at}),
        )
        .await
        .expect(201);
    let short = Api::new(&server, body["token"].as_str().unwrap());
    short.get("/api/v1/tenant").await.expect(200);
    // Past its expiry (whole seconds; one more for the clock's tick).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let refused = short
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");
    assert!(
        refused["message"].as_str().unwrap().contains("expired"),
        "{refused}"
    );
}

#[tokio::test]
async fn only_admins_manage_tokens_and_bad_requests_say_what_is_wrong() {
    let dir = tempdir();
    let admin_jwt = token(dir.path(), "acme", "admin");
    let server = Server::start(dir.path());
    let admin = Api::new(&server, &admin_jwt);
    for role in ["release-manager", "support"] {
        let other = Api::for_tenant(&server, "acme", role);
        other
            .post(
                "/api/v1/api-tokens",
                json!({"name": "x", "role": "support"}),
            )
            .await
            .expect_error(403, "PERMISSION_DENIED");
        other
            .get("/api/v1/api-tokens")
            .await
            .expect_error(403, "PERMISSION_DENIED");
        other
            .delete("/api/v1/api-tokens/tok_x")
            .await
            .expect_error(403, "PERMISSION_DENIED");
    }

    for (body, names) in [
        (json!({"name": "x", "role": "root"}), "root"),
        (json!({"name": "  ", "role": "admin"}), "name"),
        (
            json!({"name": "x", "role": "admin", "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"name": "x", "role": "admin", "expires_in_days": 366}),
            "expires_in_days",
        ),
        (
            json!({"name": "x", "role": "admin", "expires_at": "tomorrow"}),
            "expires_at",
        ),
        (
            json!({"name": "x", "role": "admin", "expires_at": "2001-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            json!({"name": "x", "role": "admin", "expires_in_days": 1, "expires_at": "2099-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            json!({"name": "x", "role": "admin", "scopes": ["all"]}),
            "scopes",
        ),
    ] {
        let e = admin
            .post("/api/v1/api-tokens", body.clone())
            .await
            .expect_error(400, "INVALID_ARGUMENT");
        assert!(
            e["message"].as_str().unwrap().contains(names),
            "{body} → {e}"
        );
    }
    let list = admin.get("/api/v1/api-tokens").await.expect(200);
    assert_eq!(list["data"], json!([]), "nothing half-made");

    // Another tenant's token is not found, and it cannot revoke ours.
    let mine = admin
        .post(
            "/api/v1/api-tokens",
            json!({"name": "mine", "role": "support"}),
        )
        .await
        .expect(201);
    let id = mine["id"].as_str().unwrap();
    let globex = Api::for_tenant(&server, "globex", "admin");
    globex
        .delete(&format!("/api/v1/api-tokens/{id}"))
        .await
        .expect_error(404, "NOT_FOUND");
    Api::new(&server, mine["token"].as_str().unwrap())
        .get("/api/v1/tenant")
        .await
        .expect(200);
}

/// A token is valid only exactly as issued: its JWT without the prefix, or another JWT with
/// the prefix, or a forged one naming a row, are all refused.
#[tokio::test]
async fn altered_tokens_are_refused() {
    let dir = tempdir();
    let admin_jwt = token(dir.path(), "acme", "admin");
    let server = Server::start(dir.path());
    let admin = Api::new(&server, &admin_jwt);
    let made = admin
        .post("/api/v1/api-tokens", json!({"name": "ci", "role": "admin"}))
        .await
        .expect(201);
    let secret = made["token"].as_str().unwrap();
    let bare = secret.strip_prefix("aat_").unwrap();
    for bad in [
        bare.to_owned(),
        format!("aat_{admin_jwt}"),
        format!("{secret}A"),
    ] {
        Api::new(&server, &bad)
            .get("/api/v1/tenant")
            .await
            .expect_error(401, "UNAUTHENTICATED");
    }
}
