//! Revocation of user tokens against the real server: the JWTs `airliftd token` prints are
//! recorded, listed (`token-list`) and revoked (`token-revoke`, one or every token of a
//! tenant) while the server runs, and refused from the next request on; an open event stream
//! ends within a second of its token's revocation (API token or `airliftd token` JWT), and
//! reconnecting gets 401. Every wait polls with a deadline: no timing is asserted.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::ota::sse;
use common::*;
use serde_json::{json, Value};

/// How long a revocation may take to end a stream before the test gives up (the server takes
/// under a second; this only bounds a broken build's wait).
const DEADLINE: Duration = Duration::from_secs(15);

/// `airliftd ARGS --data DATA` (with the harness's database), its exit success, stdout and
/// stderr.
fn airliftd(data: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .args(airlift_testkit::postgres::server_args(data))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run airliftd");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn labelled_token(data: &Path, tenant: &str, role: &str, label: &str) -> String {
    let (ok, out, err) = airliftd(
        data,
        &[
            "token", "--tenant", tenant, "--role", role, "--label", label,
        ],
    );
    assert!(ok, "{err}");
    out.trim().to_owned()
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The `token-list` line of `id`.
fn listed(data: &Path, id: &str) -> String {
    let (ok, out, err) = airliftd(data, &["token-list"]);
    assert!(ok, "{err}");
    out.lines()
        .find(|l| l.starts_with(id))
        .unwrap_or_else(|| panic!("{id} not listed:\n{out}"))
        .to_owned()
}

/// Waits for the stream to end (its sender dropped), skipping events that come before.
async fn ends(rx: &mut tokio::sync::mpsc::UnboundedReceiver<ota::SseEvent>) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(None) => return,
            Ok(Some(_)) => continue,
            Err(_) => panic!("the event stream did not end within {DEADLINE:?}"),
        }
    }
}

async fn events_status(server: &Server, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(server.url("/api/v1/events"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn airliftd_tokens_are_listed_and_revoked_while_the_server_runs() {
    let dir = tempdir();
    let first = token(dir.path(), "acme", "admin");
    let server = Server::start(dir.path());
    let laptop = labelled_token(dir.path(), "acme", "support", "alice's laptop");
    let laptop_id = claims_of(&laptop)["jti"].as_str().unwrap().to_owned();
    assert!(laptop_id.starts_with("btk_"), "{laptop_id}");
    Api::new(&server, &laptop)
        .get("/api/v1/tenant")
        .await
        .expect(200);

    // Listed with its tenant, role, state and label; never the token itself.
    let line = listed(dir.path(), &laptop_id);
    for part in ["acme", "support", "live", "alice's laptop"] {
        assert!(line.contains(part), "{part} in {line}");
    }
    let (_, all, _) = airliftd(dir.path(), &["token-list", "--tenant", "acme"]);
    assert!(!all.contains(&laptop) && !all.contains(&first), "{all}");

    let (ok, said, err) = airliftd(dir.path(), &["token-revoke", &laptop_id]);
    assert!(ok, "{err}");
    assert!(said.contains(&laptop_id), "{said}");
    let refused = Api::new(&server, &laptop)
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");
    assert!(
        refused["message"].as_str().unwrap().contains("revoked"),
        "{refused}"
    );
    assert!(listed(dir.path(), &laptop_id).contains("revoked"));
    // Revoking it again changes nothing; the other token is untouched.
    assert!(airliftd(dir.path(), &["token-revoke", &laptop_id]).0);
    Api::new(&server, &first)
        .get("/api/v1/tenant")
        .await
        .expect(200);

    // An unknown id is an error that says where the ids are; nothing is revoked.
    let (ok, _, err) = airliftd(dir.path(), &["token-revoke", "btk_nope"]);
    assert!(!ok);
    assert!(
        err.contains("btk_nope") && err.contains("token-list"),
        "{err}"
    );
    // Neither an id nor --all: a usage error.
    let (ok, _, err) = airliftd(dir.path(), &["token-revoke"]);
    assert!(!ok && err.contains("--all"), "{err}");

    // A JWT the deployment signed but recorded nowhere (an older airliftd's, or one whose
    // record is gone) is refused, saying what to do.
    let secret = Db::of(dir.path()).jwt_secret(dir.path());
    let mut claims = claims_of(&first);
    claims.as_object_mut().unwrap().remove("jti");
    let unrecorded = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&secret),
    )
    .unwrap();
    let e = Api::new(&server, &unrecorded)
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");
    assert!(
        e["message"].as_str().unwrap().contains("airliftd token"),
        "{e}"
    );
    claims["jti"] = json!("btk_01unrecorded");
    let unknown = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&secret),
    )
    .unwrap();
    Api::new(&server, &unknown)
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn revoking_all_of_a_tenant_cuts_its_jwts_and_api_tokens_only() {
    let dir = tempdir();
    let acme_admin = token(dir.path(), "acme", "admin");
    let globex_admin = token(dir.path(), "globex", "admin");
    let server = Server::start(dir.path());
    let acme = Api::new(&server, &acme_admin);
    let api_token = acme
        .post(
            "/api/v1/api-tokens",
            json!({"name": "ci", "role": "support"}),
        )
        .await
        .expect(201)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    Api::new(&server, &api_token)
        .get("/api/v1/tenant")
        .await
        .expect(200);

    let (ok, _, err) = airliftd(
        dir.path(),
        &["token-revoke", "--all", "--tenant", "initech"],
    );
    assert!(
        !ok && err.contains("initech"),
        "an unknown tenant is named: {err}"
    );

    let (ok, said, err) = airliftd(dir.path(), &["token-revoke", "--all", "--tenant", "acme"]);
    assert!(ok, "{err}");
    assert!(said.contains("revoked 2 token(s) of tenant acme"), "{said}");
    for t in [&acme_admin, &api_token] {
        Api::new(&server, t)
            .get("/api/v1/tenant")
            .await
            .expect_error(401, "UNAUTHENTICATED");
    }
    Api::new(&server, &globex_admin)
        .get("/api/v1/tenant")
        .await
        .expect(200);
    // A new token for the tenant works: revocation is of tokens, not of the tenant.
    let fresh = token(dir.path(), "acme", "admin");
    Api::new(&server, &fresh)
        .get("/api/v1/tenant")
        .await
        .expect(200);
}

#[tokio::test]
async fn an_event_stream_ends_when_its_api_token_is_revoked() {
    let dir = tempdir();
    let admin_jwt = token(dir.path(), "acme", "admin");
    let server = Server::start(dir.path());
    let admin = Api::new(&server, &admin_jwt);
    let made = admin
        .post(
            "/api/v1/api-tokens",
            json!({"name": "watcher", "role": "support"}),
        )
        .await
        .expect(201);
    let secret = made["token"].as_str().unwrap().to_owned();
    let watcher = Api::new(&server, &secret);
    let mut revoked_stream = sse(&watcher, None).await;
    let mut other_stream = sse(&admin, None).await;

    admin
        .delete(&format!(
            "/api/v1/api-tokens/{}",
            made["id"].as_str().unwrap()
        ))
        .await
        .expect(204);
    ends(&mut revoked_stream).await;
    let (status, body) = events_status(&server, &secret).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "UNAUTHENTICATED");
    // Another token's stream stays open.
    assert!(
        !matches!(
            other_stream.try_recv(),
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected)
        ),
        "the admin's stream was ended too"
    );
}

#[tokio::test]
async fn an_event_stream_ends_when_its_airliftd_token_is_revoked() {
    let dir = tempdir();
    let admin_jwt = token(dir.path(), "acme", "admin");
    let server = Server::start(dir.path());
    let watcher_jwt = labelled_token(dir.path(), "acme", "support", "dashboard");
    let id = claims_of(&watcher_jwt)["jti"].as_str().unwrap().to_owned();
    let mut revoked_stream = sse(&Api::new(&server, &watcher_jwt), None).await;
    let mut other_stream = sse(&Api::new(&server, &admin_jwt), None).await;

    let (ok, _, err) = airliftd(dir.path(), &["token-revoke", &id]);
    assert!(ok, "{err}");
    ends(&mut revoked_stream).await;
    let (status, body) = events_status(&server, &watcher_jwt).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        !matches!(
            other_stream.try_recv(),
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected)
        ),
        "the admin's stream was ended too"
    );
}

/// The tenant's audit entries (newest first) of `action`.
async fn audit_of(api: &Api, action: &str) -> Vec<Value> {
    let page = api
        .get(&format!("/api/v1/audit?limit=1000&action={action}"))
        .await
        .expect(200);
    page["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn airliftd_token_issues_and_revocations_are_in_the_tenants_audit_log() {
    let dir = tempdir();
    let admin_jwt = token(dir.path(), "acme", "admin");
    let globex_jwt = token(dir.path(), "globex", "admin");
    let server = Server::start(dir.path());
    let admin = Api::new(&server, &admin_jwt);
    let globex = Api::new(&server, &globex_jwt);
    // One issued while the server runs, then revoked.
    let laptop = labelled_token(dir.path(), "acme", "support", "alice's laptop");
    let laptop_id = claims_of(&laptop)["jti"].as_str().unwrap().to_owned();
    let (ok, _, err) = airliftd(dir.path(), &["token-revoke", &laptop_id]);
    assert!(ok, "{err}");
    // Revoked again: nothing changed, nothing more recorded.
    assert!(airliftd(dir.path(), &["token-revoke", &laptop_id]).0);

    let issued = audit_of(&admin, "bootstrap_token.create").await;
    let ids: Vec<&str> = issued
        .iter()
        .map(|e| e["object_id"].as_str().unwrap())
        .collect();
    let admin_id = claims_of(&admin_jwt)["jti"].as_str().unwrap().to_owned();
    assert_eq!(ids, [laptop_id.as_str(), admin_id.as_str()], "{issued:?}");
    let entry = &issued[0];
    assert_eq!(entry["role"], "operator", "{entry}");
    assert_eq!(entry["object_type"], "bootstrap_token", "{entry}");
    let actor = entry["actor"].as_str().unwrap();
    assert!(
        actor.contains('@') && !actor.starts_with('@'),
        "the host's account: {actor}"
    );
    let summary = entry["summary"].as_str().unwrap();
    assert!(
        summary.contains("support") && summary.contains("alice's laptop"),
        "{summary}"
    );
    let revoked = audit_of(&admin, "bootstrap_token.revoke").await;
    assert_eq!(revoked.len(), 1, "revoked once: {revoked:?}");
    assert_eq!(revoked[0]["object_id"], laptop_id.as_str());
    assert_eq!(revoked[0]["role"], "operator");
    // The operator's entries are found by their actor, like anyone's.
    let by_actor = admin
        .get(&format!("/api/v1/audit?actor={}&limit=1000", actor))
        .await
        .expect(200);
    assert_eq!(by_actor["data"].as_array().unwrap().len(), 3, "{by_actor}");

    // Every token of a tenant: one entry, in that tenant's log only.
    let api_token = admin
        .post(
            "/api/v1/api-tokens",
            json!({"name": "ci", "role": "support"}),
        )
        .await
        .expect(201)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ok, _, err) = airliftd(dir.path(), &["token-revoke", "--all", "--tenant", "acme"]);
    assert!(ok, "{err}");
    let fresh = token(dir.path(), "acme", "admin");
    let acme = Api::new(&server, &fresh);
    let all = audit_of(&acme, "tenant.revoke_tokens").await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["role"], "operator");
    assert!(
        all[0]["summary"].as_str().unwrap().contains("2"),
        "says how many: {}",
        all[0]
    );
    // Another tenant's log holds its own issue only.
    let theirs = globex.get("/api/v1/audit?limit=1000").await.expect(200);
    let theirs = theirs["data"].as_array().unwrap();
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0]["action"], "bootstrap_token.create");

    // Never a secret: no token of the test is anywhere in the log.
    let log = acme
        .get("/api/v1/audit?limit=1000")
        .await
        .expect(200)
        .to_string();
    for secret in [&admin_jwt, &laptop, &api_token, &fresh, &globex_jwt] {
        assert!(!log.contains(secret.as_str()), "a token in the audit log");
        let signature = secret.rsplit('.').next().unwrap();
        assert!(!log.contains(signature), "a token's signature in the log");
    }
}
