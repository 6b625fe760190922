//! An HTTP proxy in front of [`crate::s3::S3Server`] that counts what is written to S3 and
//! makes the S3 service fail on demand:
//! the next N requests, or every request while an outage lasts, are answered 503 SlowDown (as
//! S3 does when it sheds load), the rest are forwarded unchanged. The `Host` header is passed
//! through as the client sent it, so SigV4 signatures made for the proxy's address verify.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt as _;

#[derive(Default)]
struct Faults {
    fail_next: AtomicU64,
    outage: AtomicBool,
    failed: AtomicU64,
    /// Request body bytes forwarded to the server.
    uploaded: AtomicU64,
}

struct Shared {
    upstream: String,
    client: reqwest::Client,
    faults: Faults,
}

/// The proxy; it stops when dropped. Needs a running tokio runtime.
pub struct S3FaultProxy {
    addr: std::net::SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl S3FaultProxy {
    /// A proxy for `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str) -> S3FaultProxy {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            faults: Faults::default(),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the proxy");
        let addr = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        S3FaultProxy { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT`: the endpoint to give the client instead of the server's.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `n` requests get 503.
    pub fn fail_next(&self, n: u64) {
        self.shared.faults.fail_next.store(n, Ordering::SeqCst);
    }

    /// While on, every request gets 503.
    pub fn set_outage(&self, on: bool) {
        self.shared.faults.outage.store(on, Ordering::SeqCst);
    }

    /// Request body bytes forwarded to S3 so far (what the client wrote).
    pub fn uploaded(&self) -> u64 {
        self.shared.faults.uploaded.load(Ordering::SeqCst)
    }

    /// Requests answered 503 so far.
    pub fn failed(&self) -> u64 {
        self.shared.faults.failed.load(Ordering::SeqCst)
    }
}

impl Drop for S3FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn should_fail(f: &Faults) -> bool {
    if f.outage.load(Ordering::SeqCst) {
        return true;
    }
    f.fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if should_fail(&shared.faults) {
        shared.faults.failed.fetch_add(1, Ordering::SeqCst);
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
                    <Message>Please reduce your request rate.</Message></Error>";
        return (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    }
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    // Buffered (parts are a few MiB): forwarded with its exact length, as S3 requires.
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    shared
        .faults
        .uploaded
        .fetch_add(body.len() as u64, Ordering::SeqCst);
    let mut out = shared
        .client
        .request(parts.method.clone(), format!("{}{path}", shared.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        // `Host` included: it is part of what the client signed.
        if name != HeaderName::from_static("connection") && name != CONTENT_LENGTH {
            out = out.header(name, value);
        }
    }
    match out.send().await {
        Ok(resp) => {
            let mut builder = Response::builder().status(resp.status());
            for (name, value) in resp.headers() {
                builder = builder.header(name, value);
            }
            let stream = resp.bytes_stream().map_err(std::io::Error::other);
            builder
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}
