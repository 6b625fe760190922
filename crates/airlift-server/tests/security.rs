//! The security review's checks, against the real server over real HTTP: every route answers
//! every kind of caller as the role matrix says (one table), the JWT algorithm is pinned,
//! every answer carries the security headers and no CORS grant.

mod common;

use airlift_core::role::{Permission, Role};
use common::ota::provision;
use common::*;
use reqwest::Method;
use serde_json::json;

/// What a route needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// No credential: the answer is the same whoever asks.
    Public,
    /// The device's own token (the device protocol).
    Device,
    /// A user token whose role has this permission.
    User(Permission),
}

use Need::*;
use Permission::*;

/// The role matrix: every route of `airlift_server::app::routes()`, exactly once.
const MATRIX: &[(&str, &str, Need)] = &[
    ("GET", "/healthz", Public),
    ("GET", "/readyz", Public),
    ("GET", "/api/v1/tenant", User(Read)),
    ("PATCH", "/api/v1/tenant", User(Administer)),
    ("POST", "/api/v1/profiles", User(Provision)),
    ("GET", "/api/v1/profiles", User(Read)),
    ("GET", "/api/v1/profiles/{profile_id}", User(Read)),
    ("POST", "/api/v1/devices", User(Provision)),
    ("GET", "/api/v1/devices", User(Read)),
    ("POST", "/api/v1/devices/bulk", User(Provision)),
    ("GET", "/api/v1/devices/{device_id}", User(Read)),
    ("GET", "/api/v1/devices/{device_id}/history", User(Read)),
    ("GET", "/api/v1/devices/{device_id}/ota", Device),
    ("GET", "/api/v1/devices/{device_id}/ota/chunk", Device),
    (
        "GET",
        "/api/v1/firmware/{tenant_id}/{version}/{file_name}",
        Public,
    ),
    ("GET", "/api/v1/devices/{device_id}/ota/download", Device),
    ("POST", "/api/v1/devices/{device_id}/ota/report", Device),
    ("GET", "/api/v1/devices/{device_id}/commands", Device),
    (
        "POST",
        "/api/v1/devices/{device_id}/commands/{command_id}/ack",
        Device,
    ),
    ("POST", "/api/v1/ota/rollouts", User(Publish)),
    ("GET", "/api/v1/ota/rollouts", User(Read)),
    ("POST", "/api/v1/ota/rollouts/preview", User(Read)),
    ("GET", "/api/v1/ota/rollouts/{rollout_id}", User(Read)),
    (
        "GET",
        "/api/v1/ota/rollouts/{rollout_id}/devices",
        User(Read),
    ),
    (
        "POST",
        "/api/v1/ota/rollouts/{rollout_id}/pause",
        User(Publish),
    ),
    (
        "POST",
        "/api/v1/ota/rollouts/{rollout_id}/resume",
        User(Publish),
    ),
    (
        "POST",
        "/api/v1/ota/rollouts/{rollout_id}/advance",
        User(Publish),
    ),
    (
        "POST",
        "/api/v1/ota/rollouts/{rollout_id}/rollback",
        User(Publish),
    ),
    (
        "POST",
        "/api/v1/ota/rollouts/{rollout_id}/retry-failed",
        User(Publish),
    ),
    ("GET", "/api/v1/events", User(Read)),
    (
        "POST",
        "/api/v1/ota/rollouts/{rollout_id}/cancel",
        User(Publish),
    ),
    (
        "GET",
        "/api/v1/ota/rollouts/{rollout_id}/failures",
        User(Read),
    ),
    (
        "GET",
        "/api/v1/ota/rollouts/{rollout_id}/timeline",
        User(Read),
    ),
    ("GET", "/api/v1/audit", User(ReadAudit)),
    ("GET", "/api/v1/fleet/versions", User(Read)),
    ("POST", "/api/v1/ota/upload-jobs", User(Publish)),
    ("GET", "/api/v1/ota/upload-jobs", User(Read)),
    ("GET", "/api/v1/ota/upload-jobs/{upload_job_id}", User(Read)),
    (
        "DELETE",
        "/api/v1/ota/upload-jobs/{upload_job_id}",
        User(Publish),
    ),
    (
        "POST",
        "/api/v1/ota/upload-jobs/{upload_job_id}/chunks",
        User(Publish),
    ),
    (
        "GET",
        "/api/v1/ota/upload-jobs/{upload_job_id}/chunks",
        User(Read),
    ),
    (
        "GET",
        "/api/v1/ota/upload-jobs/{upload_job_id}/chunks/{chunk_id}",
        User(Read),
    ),
    (
        "PUT",
        "/api/v1/ota/upload-jobs/{upload_job_id}/chunks/{chunk_id}",
        User(Publish),
    ),
    ("POST", "/api/v1/ota/images", User(Publish)),
    ("GET", "/api/v1/ota/images", User(Read)),
    ("GET", "/api/v1/ota/images/{image_id}", User(Read)),
    ("DELETE", "/api/v1/ota/images/{image_id}", User(Publish)),
    ("POST", "/api/v1/ota/packages", User(Publish)),
    ("GET", "/api/v1/ota/packages", User(Read)),
    ("GET", "/api/v1/ota/packages/{package_id}", User(Read)),
    ("POST", "/api/v1/signing-keys", User(Administer)),
    ("GET", "/api/v1/signing-keys", User(Read)),
    ("DELETE", "/api/v1/signing-keys/{key_id}", User(Administer)),
    ("POST", "/api/v1/api-tokens", User(Administer)),
    ("GET", "/api/v1/api-tokens", User(Administer)),
    ("DELETE", "/api/v1/api-tokens/{token_id}", User(Administer)),
];

/// Who calls.
#[derive(Debug, Clone, Copy)]
enum Who {
    Nobody,
    TheDevice,
    /// `airliftd token`'s JWT with this role.
    Jwt(Role),
    /// An API token with this role.
    ApiToken(Role),
}

/// `path` with its parameters filled: the device's own id, made-up ids elsewhere.
fn concrete(path: &str, device_id: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..end];
        out.push_str(match name {
            "device_id" => device_id,
            "chunk_id" => "1",
            _ => "nothing_here",
        });
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn every_route_answers_each_caller_as_the_role_matrix_says() {
    // The table is the route table, route for route.
    let mut routes: Vec<(String, String)> = airlift_server::app::routes()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let mut table: Vec<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    routes.sort();
    table.sort();
    assert_eq!(
        table, routes,
        "the role matrix must name every route of app::routes() once"
    );

    let dir = tempdir();
    let admin_jwt = token(dir.path(), "acme", "admin");
    let server = Server::start(dir.path());
    let admin = Api::new(&server, &admin_jwt);
    let rm = Api::for_tenant(&server, "acme", "release-manager");
    let profile = rm
        .post(
            "/api/v1/profiles",
            json!({"name": "p", "device_type": "temp-sensor"}),
        )
        .await
        .expect(201)["profile_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let device = provision(&server, &rm, &profile, 1, "temp-sensor", "1.0.0")
        .await
        .remove(0);
    let mut tokens = vec![
        (Who::Nobody, String::new()),
        (Who::TheDevice, device.api.token.clone()),
    ];
    for role in [Role::Admin, Role::ReleaseManager, Role::Support] {
        tokens.push((Who::Jwt(role), token(dir.path(), "acme", role.as_str())));
        let made = admin
            .post(
                "/api/v1/api-tokens",
                json!({"name": format!("matrix {role}"), "role": role.as_str()}),
            )
            .await
            .expect(201);
        tokens.push((
            Who::ApiToken(role),
            made["token"].as_str().unwrap().to_owned(),
        ));
    }

    let http = reqwest::Client::new();
    let mut wrong = Vec::new();
    for (method, path, need) in MATRIX {
        let url = server.url(&concrete(path, &device.id));
        let mut public_answers = Vec::new();
        for (who, bearer) in &tokens {
            let mut rb = http.request(Method::from_bytes(method.as_bytes()).unwrap(), &url);
            if !bearer.is_empty() {
                rb = rb.bearer_auth(bearer);
            }
            if matches!(*method, "POST" | "PUT" | "PATCH") {
                rb = rb.json(&json!({}));
            }
            // The headers decide; a stream (events) is not read.
            let status = rb.send().await.unwrap().status().as_u16();
            let role = match who {
                Who::Jwt(r) | Who::ApiToken(r) => Some(*r),
                _ => None,
            };
            let ok = match (need, who, role) {
                (Public, ..) => {
                    public_answers.push(status);
                    true
                }
                (Device, Who::TheDevice, _) => status != 401 && status != 403,
                (Device, ..) => status == 401,
                (User(_), Who::Nobody | Who::TheDevice, _) => status == 401,
                (User(p), _, Some(r)) if r.allows(*p) => status != 401 && status != 403,
                (User(_), ..) => status == 403,
            };
            if !ok {
                wrong.push(format!(
                    "{method} {path} as {who:?} → {status} (needs {need:?})"
                ));
            }
        }
        if public_answers.windows(2).any(|w| w[0] != w[1]) || public_answers.contains(&401) {
            wrong.push(format!(
                "{method} {path} is public but answers callers differently: {public_answers:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn the_jwt_algorithm_is_pinned_to_hs256() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let dir = tempdir();
    let t = token(dir.path(), "acme", "admin");
    let server = Server::start(dir.path());
    Api::new(&server, &t)
        .get("/api/v1/tenant")
        .await
        .expect(200);
    let secret = Db::of(dir.path()).jwt_secret(dir.path());
    let payload = t.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    // The right secret under another HMAC: refused all the same.
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let other = jsonwebtoken::encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(&secret),
        )
        .unwrap();
        Api::new(&server, &other)
            .get("/api/v1/tenant")
            .await
            .expect_error(401, "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn answers_carry_security_headers_and_grant_no_cross_origin_access() {
    let dir = tempdir();
    let t = token(dir.path(), "acme", "admin");
    let server = Server::start(dir.path());
    let http = reqwest::Client::new();
    let origin = "https://evil.example";
    let answers = [
        http.get(server.url("/api/v1/tenant"))
            .bearer_auth(&t)
            .header("origin", origin)
            .send()
            .await
            .unwrap(),
        http.get(server.url("/api/v1/tenant"))
            .header("origin", origin)
            .send()
            .await
            .unwrap(),
        http.get(server.url("/healthz")).send().await.unwrap(),
        // A browser's preflight for a cross-origin call.
        http.request(Method::OPTIONS, server.url("/api/v1/ota/packages"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap(),
    ];
    for r in &answers {
        let h = r.headers();
        let expect = [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            (
                "content-security-policy",
                "default-src 'none'; frame-ancestors 'none'",
            ),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
            ("cross-origin-resource-policy", "same-origin"),
        ];
        for (name, value) in expect {
            assert_eq!(
                h.get(name).and_then(|v| v.to_str().ok()),
                Some(value),
                "{name} on {} {}",
                r.url(),
                r.status()
            );
        }
        assert!(
            !h.keys().any(|k| k.as_str().starts_with("access-control-")),
            "no CORS grant: {h:?}"
        );
    }
    assert!(
        !answers[3].status().is_success(),
        "a preflight is not granted"
    );
}
