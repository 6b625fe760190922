//! Prometheus metrics (`--metrics-listen ADDR` serves them at `GET /metrics`, apart from the
//! API's address so they need not be exposed with it): HTTP requests by route and status,
//! their latency, device reports by status, rollouts by state, uploaded bytes, and database
//! and storage errors.
//!
//! Labels are bounded and never carry a secret: the route is the route table's template
//! (`/api/v1/devices/{device_id}/ota`, not the device's id), the status a number, a report's
//! status one of seed 002's names. Errors are counted where they are turned into answers
//! (`crate::error`), which has no state to reach, so they are process-wide atomics copied into
//! the registry at each scrape.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::store::Store;

/// Database failures answered since start: the database could not be reached (a lost
/// connection, an exhausted pool) or failed a statement.
pub static DATABASE_UNAVAILABLE: AtomicU64 = AtomicU64::new(0);
pub static DATABASE_FAILED: AtomicU64 = AtomicU64::new(0);
/// Object store failures answered since start.
pub static STORAGE_FAILED: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The registry and its metrics (cheap to clone).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    reports: Family<StatusLabel, Counter>,
    rollouts: Family<StatusLabel, Gauge>,
    upload_bytes: Counter,
    database_errors: Family<KindLabel, Counter>,
    storage_errors: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("airlift");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route (the route table's template) and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer (until the response head), by method and route",
            latency.clone(),
        );
        let reports = Family::<StatusLabel, Counter>::default();
        registry.register(
            "device_reports",
            "Device reports accepted, by their status (seed 002)",
            reports.clone(),
        );
        let rollouts = Family::<StatusLabel, Gauge>::default();
        registry.register(
            "rollouts",
            "Rollouts of every tenant, by state (read at each scrape)",
            rollouts.clone(),
        );
        let upload_bytes = Counter::default();
        registry.register(
            "upload_bytes",
            "Bytes of upload chunks and single-shot images accepted",
            upload_bytes.clone(),
        );
        let database_errors = Family::<KindLabel, Counter>::default();
        registry.register(
            "database_errors",
            "Requests failed by the database: unavailable (connection lost, pool exhausted) or failed",
            database_errors.clone(),
        );
        let storage_errors = Counter::default();
        registry.register(
            "storage_errors",
            "Requests failed by the object store",
            storage_errors.clone(),
        );
        Self {
            registry: Arc::new(registry),
            requests,
            latency,
            reports,
            rollouts,
            upload_bytes,
            database_errors,
            storage_errors,
        }
    }

    /// One accepted device report.
    pub fn device_report(&self, status: &str) {
        self.reports
            .get_or_create(&StatusLabel {
                status: status.to_owned(),
            })
            .inc();
    }

    /// The text exposition, with the rollout gauges read from `store` now.
    pub async fn render(&self, store: &dyn Store) -> String {
        match store.rollouts_by_status().await {
            Ok(counts) => {
                self.rollouts.clear();
                for (status, n) in counts {
                    self.rollouts
                        .get_or_create(&StatusLabel { status })
                        .set(i64::try_from(n).unwrap_or(i64::MAX));
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not count rollouts for the metrics"),
        }
        catch_up(
            &self.database_errors.get_or_create(&KindLabel {
                kind: "unavailable".to_owned(),
            }),
            &DATABASE_UNAVAILABLE,
        );
        catch_up(
            &self.database_errors.get_or_create(&KindLabel {
                kind: "failed".to_owned(),
            }),
            &DATABASE_FAILED,
        );
        catch_up(&self.storage_errors, &STORAGE_FAILED);
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "could not encode the metrics");
        }
        out
    }
}

/// Raises `counter` to the process-wide `total`.
fn catch_up(counter: &Counter, total: &AtomicU64) {
    let behind = total.load(Ordering::Relaxed).saturating_sub(counter.get());
    if behind > 0 {
        counter.inc_by(behind);
    }
}

/// Whether a request sends upload bytes (an upload job's chunk, a single-shot image).
fn is_upload(method: &Method, route: &str) -> bool {
    (method == Method::POST || method == Method::PUT)
        && (route.starts_with("/api/v1/ota/upload-jobs/{upload_job_id}/chunks")
            || route == "/api/v1/ota/images")
}

/// The middleware: counts and times every request by its route template.
pub async fn layer(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().clone();
    let length = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status();
    metrics
        .latency
        .get_or_create(&RouteLabels {
            method: method.to_string(),
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    if status.is_success() && is_upload(&method, &route) {
        metrics.upload_bytes.inc_by(length.unwrap_or(0));
    }
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method: method.to_string(),
            route,
            status: status.as_u16().to_string(),
        })
        .inc();
    response
}

/// `GET /metrics` on `--metrics-listen`.
pub async fn serve_metrics(State((metrics, store)): State<(Metrics, Arc<dyn Store>)>) -> Response {
    let body = metrics.render(store.as_ref()).await;
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// The metrics server's router.
pub fn router(metrics: Metrics, store: Arc<dyn Store>) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(serve_metrics))
        .with_state((metrics, store))
}
