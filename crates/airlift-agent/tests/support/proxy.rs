//! A link between the agent and the real server that passes every request through and
//! records the chunk requests (offset and length), and can slow chunk answers down or
//! corrupt the bytes they carry.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;

#[derive(Default)]
pub struct Link {
    pub upstream: String,
    /// `(offset, length)` of every chunk request, in arrival order.
    pub chunks: Mutex<Vec<(u64, u64)>>,
    pub delay_ms: AtomicU64,
    pub corrupt: AtomicBool,
    /// TCP connections accepted (each TLS handshake tried, trusted or not).
    pub connections: AtomicU64,
    /// The certificate handshakes use now ([`start_tls`]); [`Link::use_certificate`] swaps it.
    tls: Mutex<Option<tokio_rustls::TlsAcceptor>>,
}

impl Link {
    pub fn chunk_requests(&self) -> Vec<(u64, u64)> {
        self.chunks.lock().unwrap().clone()
    }

    /// New connections get `cert_pem` / `key_pem` (a captive portal gone, a certificate
    /// re-issued by another CA).
    pub fn use_certificate(&self, cert_pem: &Path, key_pem: &Path) {
        *self.tls.lock().unwrap() = Some(acceptor(cert_pem, key_pem));
    }
}

fn acceptor(cert_pem: &Path, key_pem: &Path) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<_> = CertificateDer::pem_file_iter(cert_pem)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key_pem).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

fn router(upstream: &str) -> (axum::Router, Arc<Link>) {
    let link = Arc::new(Link {
        upstream: upstream.trim_end_matches('/').to_owned(),
        ..Link::default()
    });
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(link.clone());
    (app, link)
}

/// Starts the proxy on loopback; answers its URL and its shared controls.
pub async fn start(upstream: &str) -> (String, Arc<Link>) {
    let (app, link) = router(upstream);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, link)
}

/// The same proxy behind TLS with `cert_pem` / `key_pem`; answers `https://localhost:PORT`.
pub async fn start_tls(upstream: &str, cert_pem: &Path, key_pem: &Path) -> (String, Arc<Link>) {
    let (app, link) = router(upstream);
    link.use_certificate(cert_pem, key_pem);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let shared = link.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            shared.connections.fetch_add(1, Ordering::SeqCst);
            let Some(acceptor) = shared.tls.lock().unwrap().clone() else {
                return;
            };
            let app = app.clone();
            tokio::spawn(async move {
                // A client that does not trust the CA ends the handshake: nothing to serve.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (url, link)
}

fn query_u64(query: &str, key: &str) -> u64 {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

async fn forward(State(link): State<Arc<Link>>, req: Request) -> Response {
    let client = reqwest::Client::new();
    let method = req.method().clone();
    let path_q = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let is_chunk = req.uri().path().ends_with("/ota/chunk");
    if is_chunk {
        let q = req.uri().query().unwrap_or("");
        link.chunks
            .lock()
            .unwrap()
            .push((query_u64(q, "offset"), query_u64(q, "length")));
    }
    let mut rb = client.request(method, format!("{}{path_q}", link.upstream));
    for (k, v) in req.headers() {
        if k != "host" {
            rb = rb.header(k, v);
        }
    }
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap();
    let resp = rb.body(body).send().await.unwrap();
    if is_chunk {
        let ms = link.delay_ms.load(Ordering::SeqCst);
        if ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
    }
    let mut out = Response::builder().status(resp.status());
    for (k, v) in resp.headers() {
        out = out.header(k, v);
    }
    let mut bytes = resp.bytes().await.unwrap().to_vec();
    if is_chunk && link.corrupt.load(Ordering::SeqCst) && !bytes.is_empty() {
        bytes[0] ^= 0xFF;
    }
    out.body(Body::from(bytes)).unwrap()
}
