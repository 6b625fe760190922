//! The API client's error mapping and retry rules, against a tiny in-test axum server and the
//! real airliftd.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use airlift_core::wire::{CreateProfile, CreateUploadJob};
use airlift_desk::client::{ListParams, PartBody};
use airlift_desk::DeskErrorCode;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::Router;
use bytes::Bytes;

/// Serves `router` on a loopback port; returns its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

fn error(status: u16, code: &str) -> axum::response::Response {
    let body = serde_json::json!({"code": code, "message": format!("the server says {code}")});
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Fails twice with 503, then answers: counts every hit.
fn flaky(hits: Arc<AtomicU32>, ok: &'static str) -> axum::response::Response {
    if hits.fetch_add(1, Ordering::SeqCst) < 2 {
        error(503, "INTERNAL")
    } else {
        (StatusCode::OK, [("content-type", "application/json")], ok).into_response()
    }
}

const TENANT: &str =
    r#"{"tenant_id":"t","name":"t","require_signatures":true,"created_at":"2026-01-01T00:00:00Z"}"#;
const CHUNK: &str =
    r#"{"id":1,"length":3,"hash":"x","created_at":"a","updated_at":"a","etag":"a"}"#;

#[tokio::test]
async fn status_codes_map_to_typed_errors_and_malformed_json_is_named() {
    let router = Router::new().route(
        "/api/v1/profiles/{id}",
        get(
            |axum::extract::Path(id): axum::extract::Path<String>| async move {
                match id.as_str() {
                    "401" => error(401, "UNAUTHENTICATED"),
                    "403" => error(403, "PERMISSION_DENIED"),
                    "404" => error(404, "NOT_FOUND"),
                    "409" => error(409, "FAILED_PRECONDITION"),
                    "409b" => error(409, "ALREADY_EXISTS"),
                    "bare404" => (StatusCode::NOT_FOUND, "no such thing").into_response(),
                    "bare401" => StatusCode::UNAUTHORIZED.into_response(),
                    _ => (
                        StatusCode::OK,
                        [("content-type", "application/json")],
                        "{\"profile_id\": 7,",
                    )
                        .into_response(),
                }
            },
        ),
    );
    let base = serve(router).await;
    let client = support::client_for(&base, Some("t"));
    for (id, code) in [
        ("401", DeskErrorCode::Unauthenticated),
        ("403", DeskErrorCode::PermissionDenied),
        ("404", DeskErrorCode::NotFound),
        ("409", DeskErrorCode::FailedPrecondition),
        ("409b", DeskErrorCode::AlreadyExists),
        ("bare404", DeskErrorCode::NotFound),
        ("bare401", DeskErrorCode::Unauthenticated),
    ] {
        let err = client.profile(id).await.expect_err(id);
        assert_eq!(err.code(), code, "{id}: {err}");
    }
    let err = client.profile("404").await.unwrap_err();
    assert_eq!(
        err.message(),
        "the server says NOT_FOUND",
        "the server's sentence is kept"
    );
    let err = client.profile("garbled").await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::Internal);
    assert!(
        err.message().contains("GET /api/v1/profiles/garbled")
            && err.message().contains("not the expected JSON"),
        "{err}"
    );
}

#[tokio::test]
async fn idempotent_calls_retry_and_posts_do_not() {
    let gets = Arc::new(AtomicU32::new(0));
    let puts = Arc::new(AtomicU32::new(0));
    let posts = Arc::new(AtomicU32::new(0));
    let (g, p, o) = (gets.clone(), puts.clone(), posts.clone());
    let router = Router::new()
        .route(
            "/api/v1/tenant",
            get(move || {
                let g = g.clone();
                async move { flaky(g, TENANT) }
            }),
        )
        .route(
            "/api/v1/ota/upload-jobs/{id}/chunks/{n}",
            put(move || {
                let p = p.clone();
                async move { flaky(p, CHUNK) }
            }),
        )
        .route(
            "/api/v1/ota/upload-jobs",
            post(move || {
                let o = o.clone();
                async move {
                    o.fetch_add(1, Ordering::SeqCst);
                    error(503, "INTERNAL")
                }
            }),
        );
    let base = serve(router).await;
    let client = support::client_for(&base, Some("t"));

    let tenant = client.tenant().await.expect("third GET succeeds");
    assert_eq!(tenant.tenant_id, "t");
    assert_eq!(gets.load(Ordering::SeqCst), 3);

    let part = PartBody {
        bytes: Bytes::from_static(b"abc"),
        md5_base64: "kAFQmDzST7DWlj99KOF/cg==".into(),
    };
    client
        .put_upload_part("job", 1, part)
        .await
        .expect("third PUT succeeds");
    assert_eq!(puts.load(Ordering::SeqCst), 3);

    let err = client
        .create_upload_job(&CreateUploadJob {
            name: "x".into(),
            description: String::new(),
            datafile_encryption: false,
        })
        .await
        .expect_err("POST fails");
    assert_eq!(err.code(), DeskErrorCode::Internal);
    assert_eq!(posts.load(Ordering::SeqCst), 1, "a create is never retried");

    // Retries are bounded: a GET that always fails stops after max_attempts (3 in tests).
    let always = Arc::new(AtomicU32::new(0));
    let a = always.clone();
    let base = serve(Router::new().route(
        "/api/v1/tenant",
        get(move || {
            let a = a.clone();
            async move {
                a.fetch_add(1, Ordering::SeqCst);
                error(500, "INTERNAL")
            }
        }),
    ))
    .await;
    let err = support::client_for(&base, None).tenant().await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::Internal);
    assert_eq!(always.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn unreachable_server_is_offline() {
    // A port nobody listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = support::client_for(&format!("http://127.0.0.1:{port}"), Some("t"));
    let err = client.tenant().await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::Offline, "{err}");
    assert!(err.message().contains("cannot reach"), "{err}");
    let err = client
        .create_upload_job(&CreateUploadJob::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::Offline);
}

#[tokio::test]
async fn real_server_errors_keep_their_codes() {
    let dir = support::tempdir();
    let server = support::Server::start(dir.path());
    let admin = server.client("acme", "admin");
    let support_role = server.client("acme", "support");
    let stranger = support::client_for(&server.base, Some("not-a-jwt"));

    let err = stranger.tenant().await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::Unauthenticated);
    let err = support_role
        .create_profile(&CreateProfile {
            name: "p".into(),
            device_type: "temp-sensor".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::PermissionDenied);
    let err = admin.package("pkg_nope").await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::NotFound);
    let job = CreateUploadJob {
        name: "dup".into(),
        description: String::new(),
        datafile_encryption: false,
    };
    admin.create_upload_job(&job).await.expect("first");
    let err = admin.create_upload_job(&job).await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::AlreadyExists);
    // Another tenant's object is 404 (never 403).
    let other = server.client("globex", "admin");
    let jobs = admin.upload_jobs(&ListParams::default()).await.unwrap();
    let err = other.upload_job(&jobs.data[0].id).await.unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::NotFound);
}

/// A server that accepts connections and never answers: a call gives up after the configured
/// `request_timeout` (not the 60 s default) with OFFLINE "did not answer in time"; a GET is
/// tried again, a POST is not (it may have been applied).
#[tokio::test]
async fn a_silent_server_times_out_and_only_idempotent_calls_are_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicU32::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new(); // keep every connection open, and silent
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let options = airlift_desk::client::ClientOptions {
        request_timeout: std::time::Duration::from_millis(300),
        retry: airlift_desk::client::RetryPolicy {
            max_attempts: 2,
            base_delay: std::time::Duration::from_millis(10),
            max_delay: std::time::Duration::from_millis(20),
        },
        ..Default::default()
    };
    let client = airlift_desk::client::Client::new(
        &base,
        Some(airlift_desk::secret::Secret::new("t".to_owned())),
        options,
    )
    .unwrap();

    let started = std::time::Instant::now();
    let err = client.tenant().await.unwrap_err();
    let waited = started.elapsed();
    assert_eq!(err.code(), DeskErrorCode::Offline, "{err}");
    assert!(err.message().contains("did not answer in time"), "{err}");
    assert!(
        waited >= std::time::Duration::from_millis(600)
            && waited < std::time::Duration::from_secs(20),
        "two attempts of 300 ms each, not the 60 s default: {waited:?}"
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "the GET was tried twice"
    );

    let err = client
        .create_profile(&CreateProfile {
            name: "p".into(),
            device_type: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::Offline, "{err}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3, "the POST was sent once");
}
