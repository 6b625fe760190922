//! The route table and the server's lifecycle (the shared state is `crate::state`).
//!
//! [`routes`] is the single list of (method, path, handler) the router is built from; the
//! OpenAPI test compares the same list with `openapi.yaml`, so a route cannot exist without
//! being documented, nor be documented without existing.

use std::future::IntoFuture as _;
use std::sync::Arc;
use std::time::Duration;

use airlift_core::error::ApiError;
use anyhow::Context as _;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode};
use axum::routing::{self, MethodRouter};
use axum::Router;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::artifacts::{Artifacts, S3Config};
use crate::auth::jwt::JwtKeys;
use crate::auth::token_cache::TokenCache;
use crate::cluster::Cluster;
use crate::config::{Config, DataDir, Database, StorageUrl};
use crate::crypto::{DataKeys, ServerKeys};
use crate::device_protocol::assignments::AssignmentCache;
use crate::device_protocol::deliveries::Deliveries;
use crate::device_protocol::files::ArtifactFiles;
use crate::device_protocol::last_seen::LastSeen;
use crate::error::AppError;
use crate::events::Hub;
use crate::rate_limit::{Budget, RateLimits};
use crate::routes::{
    api_tokens, audit, device_download, device_ota, devices, downloads, events, fleet_versions,
    health, image_upload, images, packages, profiles, rollouts, signing_keys, tenant, uploads,
};
use crate::state::{AppState, SharedState};
use crate::store::postgres::{PgOptions, PgStore};
use crate::store::sqlite::SqliteStore;
use crate::store::Store;

/// How long a request body may go without sending a byte.
const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long shutdown waits for in-flight requests before exiting anyway. Cutting a request off
/// is safe (see `recovery`): it only loses that request's work.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// One entry of the route table.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub handler: MethodRouter<AppState>,
    /// A create: it honours `Idempotency-Key` (see [`crate::idempotency`]).
    pub idempotent: bool,
    /// Its body is streamed, not held in memory (the idempotency layer fingerprints it as it
    /// passes).
    pub streamed: bool,
}

fn route(method: Method, path: &'static str, handler: MethodRouter<AppState>) -> Route {
    Route {
        method,
        path,
        handler,
        idempotent: false,
        streamed: false,
    }
}

/// A `POST` that creates something: safe to retry with an `Idempotency-Key`.
fn create_route(path: &'static str, handler: MethodRouter<AppState>) -> Route {
    Route {
        idempotent: true,
        ..route(Method::POST, path, handler)
    }
}

/// A create whose body streams (an image of up to 100 MiB): safe to retry with an
/// `Idempotency-Key` too, without the body ever being held whole.
fn streamed_create_route(path: &'static str, handler: MethodRouter<AppState>) -> Route {
    Route {
        streamed: true,
        ..create_route(path, handler)
    }
}

/// The whole API. Keep in step with `openapi.yaml` (the `openapi` test enforces it).
pub fn routes() -> Vec<Route> {
    use routing::{delete, get, patch, post, put};
    use Method as M;
    vec![
        route(M::GET, "/healthz", get(health::healthz)),
        route(M::GET, "/readyz", get(health::readyz)),
        route(M::GET, "/api/v1/tenant", get(tenant::get_tenant)),
        route(M::PATCH, "/api/v1/tenant", patch(tenant::update_tenant)),
        create_route("/api/v1/profiles", post(profiles::create)),
        route(M::GET, "/api/v1/profiles", get(profiles::list)),
        route(
            M::GET,
            "/api/v1/profiles/{profile_id}",
            get(profiles::get_one),
        ),
        create_route("/api/v1/devices", post(devices::create)),
        route(M::GET, "/api/v1/devices", get(devices::list)),
        create_route("/api/v1/devices/bulk", post(devices::create_bulk)),
        route(M::GET, "/api/v1/devices/{device_id}", get(devices::get_one)),
        route(
            M::GET,
            "/api/v1/devices/{device_id}/history",
            get(devices::history),
        ),
        route(
            M::GET,
            "/api/v1/devices/{device_id}/ota",
            get(device_ota::get_ota),
        ),
        route(
            M::GET,
            "/api/v1/devices/{device_id}/ota/chunk",
            get(device_ota::get_chunk),
        ),
        // Seed 001's download URLs in embedded storage (the URL is the credential).
        route(
            M::GET,
            "/api/v1/firmware/{tenant_id}/{version}/{file_name}",
            get(downloads::download),
        ),
        route(
            M::GET,
            "/api/v1/devices/{device_id}/ota/download",
            get(device_download::get_download),
        ),
        route(
            M::POST,
            "/api/v1/devices/{device_id}/ota/report",
            post(device_ota::report),
        ),
        route(
            M::GET,
            "/api/v1/devices/{device_id}/commands",
            get(device_ota::commands),
        ),
        route(
            M::POST,
            "/api/v1/devices/{device_id}/commands/{command_id}/ack",
            post(device_ota::ack),
        ),
        create_route("/api/v1/ota/rollouts", post(rollouts::create)),
        route(M::GET, "/api/v1/ota/rollouts", get(rollouts::list)),
        route(
            M::POST,
            "/api/v1/ota/rollouts/preview",
            post(rollouts::preview),
        ),
        route(
            M::GET,
            "/api/v1/ota/rollouts/{rollout_id}",
            get(rollouts::get_one),
        ),
        route(
            M::GET,
            "/api/v1/ota/rollouts/{rollout_id}/devices",
            get(rollouts::devices),
        ),
        route(
            M::POST,
            "/api/v1/ota/rollouts/{rollout_id}/pause",
            post(rollouts::pause),
        ),
        route(
            M::POST,
            "/api/v1/ota/rollouts/{rollout_id}/resume",
            post(rollouts::resume),
        ),
        route(
            M::POST,
            "/api/v1/ota/rollouts/{rollout_id}/advance",
            post(rollouts::advance),
        ),
        route(
            M::POST,
            "/api/v1/ota/rollouts/{rollout_id}/rollback",
            post(rollouts::rollback),
        ),
        route(
            M::POST,
            "/api/v1/ota/rollouts/{rollout_id}/cancel",
            post(rollouts::cancel),
        ),
        route(
            M::GET,
            "/api/v1/ota/rollouts/{rollout_id}/failures",
            get(rollouts::failures),
        ),
        route(
            M::GET,
            "/api/v1/ota/rollouts/{rollout_id}/timeline",
            get(rollouts::timeline),
        ),
        create_route(
            "/api/v1/ota/rollouts/{rollout_id}/retry-failed",
            post(rollouts::retry_failed),
        ),
        route(M::GET, "/api/v1/events", get(events::stream)),
        route(M::GET, "/api/v1/audit", get(audit::list)),
        route(M::GET, "/api/v1/fleet/versions", get(fleet_versions::list)),
        create_route("/api/v1/ota/upload-jobs", post(uploads::create_job)),
        route(M::GET, "/api/v1/ota/upload-jobs", get(uploads::list_jobs)),
        route(
            M::GET,
            "/api/v1/ota/upload-jobs/{upload_job_id}",
            get(uploads::get_job),
        ),
        route(
            M::DELETE,
            "/api/v1/ota/upload-jobs/{upload_job_id}",
            delete(uploads::delete_job),
        ),
        route(
            M::POST,
            "/api/v1/ota/upload-jobs/{upload_job_id}/chunks",
            post(uploads::append_chunk),
        ),
        route(
            M::GET,
            "/api/v1/ota/upload-jobs/{upload_job_id}/chunks",
            get(uploads::list_chunks),
        ),
        route(
            M::GET,
            "/api/v1/ota/upload-jobs/{upload_job_id}/chunks/{chunk_id}",
            get(uploads::get_chunk),
        ),
        route(
            M::PUT,
            "/api/v1/ota/upload-jobs/{upload_job_id}/chunks/{chunk_id}",
            put(uploads::put_chunk),
        ),
        streamed_create_route("/api/v1/ota/images", post(image_upload::create)),
        route(M::GET, "/api/v1/ota/images", get(images::list)),
        route(
            M::GET,
            "/api/v1/ota/images/{image_id}",
            get(images::get_one),
        ),
        route(
            M::DELETE,
            "/api/v1/ota/images/{image_id}",
            delete(images::delete),
        ),
        create_route("/api/v1/ota/packages", post(packages::create)),
        route(M::GET, "/api/v1/ota/packages", get(packages::list)),
        route(
            M::GET,
            "/api/v1/ota/packages/{package_id}",
            get(packages::get_one),
        ),
        create_route("/api/v1/signing-keys", post(signing_keys::create)),
        route(M::GET, "/api/v1/signing-keys", get(signing_keys::list)),
        route(
            M::DELETE,
            "/api/v1/signing-keys/{key_id}",
            delete(signing_keys::revoke),
        ),
        create_route("/api/v1/api-tokens", post(api_tokens::create)),
        route(M::GET, "/api/v1/api-tokens", get(api_tokens::list)),
        route(
            M::DELETE,
            "/api/v1/api-tokens/{token_id}",
            delete(api_tokens::revoke),
        ),
    ]
}

pub fn router(state: AppState) -> Router {
    let json_limit = state.config.max_json_bytes;
    let mut router = Router::new();
    for r in routes() {
        let handler = if r.idempotent && r.streamed {
            r.handler.layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::idempotency::streamed_layer,
            ))
        } else if r.idempotent {
            r.handler.layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::idempotency::layer,
            ))
        } else {
            r.handler
        };
        router = router.route(r.path, handler);
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Applies to buffered extractors (JSON). Upload chunks stream their body and enforce
        // `max_chunk_bytes` themselves.
        .layer(DefaultBodyLimit::max(json_limit))
        // Over its token's budget: 429 before any work (not even the token's lookup).
        .layer(axum::middleware::from_fn_with_state(
            state.rate_limits.clone(),
            crate::rate_limit::layer,
        ))
        // A client that stops sending mid-body (no frame for this long) is cut off, so a
        // stalled upload cannot hold a connection, a part file and a task forever.
        .layer(RequestBodyTimeoutLayer::new(BODY_IDLE_TIMEOUT))
        // Requests by route template and status, and their latency.
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::layer,
        ))
        // nosniff, no framing, no caching, ... on every answer (errors included).
        .layer(axum::middleware::from_fn(crate::security_headers::layer))
        // One span per request (method and path: no query string, never headers, which carry
        // tokens; the caller's tenant and role are filled in once authenticated) and one event
        // per response with status and latency (see `log_response`).
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<axum::body::Body>| {
                    let (method, path) = (req.method(), req.uri().path());
                    let request_id = crate::request_id::of(req);
                    if is_device_read(method, path) {
                        tracing::info_span!(
                            DEVICE_READ_SPAN,
                            method = %method,
                            path = %path,
                            request_id,
                        )
                    } else {
                        tracing::info_span!(
                            "request",
                            method = %method,
                            path = %path,
                            request_id,
                            tenant = tracing::field::Empty,
                            role = tracing::field::Empty,
                        )
                    }
                })
                .on_response(log_response),
        )
        // Outermost: every answer and log line of a request carries its id.
        .layer(axum::middleware::from_fn(crate::request_id::layer))
        .with_state(state)
}

/// The span of a device's poll, chunk read or command read.
const DEVICE_READ_SPAN: &str = "device_read";

/// A device's `GET` of the device protocol: its poll (`/devices/{id}/ota`), a chunk of its
/// artifact, its commands, a range through its download URL.
fn is_device_read(method: &Method, path: &str) -> bool {
    method == Method::GET
        && (path.starts_with("/api/v1/firmware/")
            || path.strip_prefix("/api/v1/devices/").is_some_and(|rest| {
                rest.ends_with("/ota")
                    || rest.ends_with("/ota/chunk")
                    || rest.ends_with("/ota/download")
                    || rest.ends_with("/commands")
            }))
}

/// One event per response: INFO, except a device's reads at DEBUG. A fleet polls all the
/// time (50 devices: 2,000 lines a minute); what an operator follows is what changes, and
/// device reports and acks stay at INFO.
fn log_response(
    response: &axum::http::Response<axum::body::Body>,
    latency: Duration,
    span: &tracing::Span,
) {
    let status = response.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    if span
        .metadata()
        .is_some_and(|m| m.name() == DEVICE_READ_SPAN)
    {
        tracing::debug!(status, latency_ms, "finished processing request");
    } else {
        tracing::info!(status, latency_ms, "finished processing request");
    }
}

async fn not_found() -> AppError {
    ApiError::not_found("no such route").into()
}

async fn method_not_allowed() -> AppError {
    AppError::with_status(
        StatusCode::METHOD_NOT_ALLOWED,
        ApiError::invalid_argument("method not allowed on this route"),
    )
}

/// Opens everything under the data directory, repairs what a crash may have left, and builds
/// the state.
pub async fn open(config: Config) -> anyhow::Result<AppState> {
    let dir = DataDir::new(config.data_dir.clone());
    dir.create()?;
    let (store, jwt) = open_store(&config, &dir).await?;
    let key_file = config
        .encryption_key_file
        .clone()
        .unwrap_or_else(|| dir.encryption_key());
    let data_keys = DataKeys::new(ServerKeys::load_or_create(&key_file)?);
    let sealed = store
        .data_keys()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::crypto::rotate::check_all_open(&data_keys, &sealed, &key_file)?;
    let artifacts = match &config.storage {
        None => Artifacts::local(&dir.objects())?,
        Some(StorageUrl::File(root)) => Artifacts::local(root)?,
        Some(StorageUrl::S3 { bucket, prefix }) => {
            Artifacts::s3(S3Config {
                bucket: bucket.clone(),
                prefix: prefix.clone(),
                endpoint: config.s3_endpoint.clone(),
                region: config.s3_region.clone(),
            })
            .await?
        }
    };
    let download_urls = crate::downloads::open(&config, &dir, &artifacts)?;
    // This server's heartbeat goes first: a server starting beside it then sees it alive.
    let cluster = Cluster::new(&Cluster::node_id_in(dir.root())?);
    cluster.renew(store.as_ref()).await;
    let others = cluster
        .others_alive(store.as_ref())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !others.is_empty() {
        tracing::info!(
            servers = others.len(),
            "joining the other servers of this deployment"
        );
    }
    crate::recovery::run(store.as_ref(), &artifacts, others.is_empty()).await?;
    let http = reqwest::Client::builder()
        // A redirect could lead off the allow-list; the allowed host must serve the bytes.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(10))
        .read_timeout(config.artifact_read_timeout)
        .build()?;
    let config_rates = (
        config.device_rate_limit,
        config.device_rate_burst,
        config.user_rate_limit,
        config.user_rate_burst,
    );
    Ok(AppState::new(SharedState {
        store,
        artifacts,
        jwt: Arc::new(jwt),
        config: Arc::new(config),
        http,
        publish_lock: Arc::default(),
        events: Hub::new(cluster.node_id()),
        device_tokens: TokenCache::default(),
        files: ArtifactFiles::default(),
        assignments: AssignmentCache::default(),
        deliveries: Deliveries::default(),
        last_seen: LastSeen::default(),
        data_keys,
        download_urls,
        metrics: crate::metrics::Metrics::new(),
        rate_limits: RateLimits::new(
            Budget {
                per_second: config_rates.0,
                burst: config_rates.1,
            },
            Budget {
                per_second: config_rates.2,
                burst: config_rates.3,
            },
        ),
        cluster,
    }))
}

/// The database of `--database` (the SQLite file under `--data` by default), migrated, and the
/// deployment's JWT keys: the secret file under `--data` with SQLite, the database's own secret
/// with PostgreSQL (shared by every server on it; a data directory's existing secret is
/// adopted on first use, so its tokens stay valid).
async fn open_store(config: &Config, dir: &DataDir) -> anyhow::Result<(Arc<dyn Store>, JwtKeys)> {
    Ok(match config.database() {
        Database::Sqlite(path) => {
            let store =
                tokio::task::spawn_blocking(move || SqliteStore::open_blocking(&path)).await??;
            (Arc::new(store), JwtKeys::load_or_create(&dir.jwt_secret())?)
        }
        Database::Postgres(url) => {
            let options = PgOptions {
                pool_size: config.database_pool_size,
                statement_timeout: config.database_statement_timeout,
                ..PgOptions::default()
            };
            let store = PgStore::open(&url, options).await?;
            let adopt = crate::secret_file::read(&dir.jwt_secret())?;
            let secret = store.jwt_secret(adopt, JwtKeys::new_secret()?).await?;
            tracing::info!(database = %crate::store::postgres::redacted(&url), "on PostgreSQL");
            (Arc::new(store), JwtKeys::from_secret(&secret))
        }
    })
}

pub async fn serve(mut config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    // Bind before anything is created or migrated under --data: a port in use (or a --data
    // that is a file) must leave nothing behind.
    DataDir::new(config.data_dir.clone()).check_not_a_file()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen} (is another server listening there?)"))?;
    let metrics_listener = match config.metrics_listen {
        Some(at) => Some(tokio::net::TcpListener::bind(at).await.with_context(|| {
            format!("binding --metrics-listen {at} (is another server listening there?)")
        })?),
        None => None,
    };
    // The certificate is read before anything is opened: a wrong file stops the start.
    let tls = match config.tls.clone() {
        Some(files) => Some(crate::tls::Tls::load(files)?),
        None => None,
    };
    // Download URLs name the address actually bound (`--listen` may say port 0).
    config.public_url = Some(crate::config::public_url(&config, listener.local_addr()?));
    let state = open(config).await?;
    tokio::spawn(state.cluster.clone().keep_leases(state.store.clone()));
    // Other servers' events and changes (PostgreSQL); an embedded store has none.
    match state.store.notices().await {
        Ok(Some(notices)) => {
            let followers = crate::cluster::notices::Followers {
                store: state.store.clone(),
                events: state.events.clone(),
                device_tokens: state.device_tokens.clone(),
                assignments: state.assignments.clone(),
            };
            tokio::spawn(followers.follow(notices));
        }
        Ok(None) => {}
        Err(e) => anyhow::bail!("cannot hear the other servers of this deployment: {e}"),
    }
    tokio::spawn(sweep_timeouts(state.clone()));
    tokio::spawn(crate::idempotency::purge_periodically(state.clone()));
    tokio::spawn(state.rate_limits.clone().forget_idle_periodically());
    tokio::spawn(
        state
            .deliveries
            .clone()
            .flush_periodically(state.store.clone()),
    );
    tokio::spawn(
        state
            .last_seen
            .clone()
            .flush_periodically(state.store.clone()),
    );
    let (deliveries, store, cluster) = (
        state.deliveries.clone(),
        state.store.clone(),
        state.cluster.clone(),
    );
    let last_seen = state.last_seen.clone();
    let addr = listener.local_addr()?;
    let scheme = match &tls {
        // Before the listening line: a SIGHUP from then on reloads, never stops the server.
        Some(tls) => {
            tls.reload_on_sighup()?;
            "https"
        }
        None => "http",
    };
    // Tools and tests read this first stdout line to find a port chosen with `:0`.
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {scheme}://{addr}")?;
        if let Some(m) = &metrics_listener {
            writeln!(out, "metrics on http://{}/metrics", m.local_addr()?)?;
        }
        out.flush()?;
    }
    if let Some(m) = metrics_listener {
        let app = crate::metrics::router(state.metrics.clone(), state.store.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(m, app).await {
                tracing::error!(error = %e, "the metrics server stopped");
            }
        });
    }
    tracing::info!(%addr, scheme, "airliftd listening");
    let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
    let signal = async move {
        shutdown_signal().await;
        let _ = stopping_tx.send(true);
    };
    let app = router(state);
    let server: std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>> + Send>> =
        match tls {
            Some(tls) => {
                let listener = crate::tls::listener::TlsListener::new(listener, tls.config)?;
                Box::pin(
                    axum::serve(listener, app)
                        .with_graceful_shutdown(signal)
                        .into_future(),
                )
            }
            None => Box::pin(
                axum::serve(listener, app)
                    .with_graceful_shutdown(signal)
                    .into_future(),
            ),
        };
    let grace_over = async move {
        let _ = stopping.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = server => result?,
        () = grace_over => tracing::warn!("shutdown grace period over; exiting with requests in flight"),
    }
    if let Err(e) = deliveries.flush(store.as_ref()).await {
        tracing::warn!(error = %e, "could not write the last command delivery counts");
    }
    if let Err(e) = last_seen.flush(store.as_ref()).await {
        tracing::warn!(error = %e, "could not write the last devices' agents");
    }
    cluster.leave(store.as_ref()).await;
    tracing::info!("airliftd stopped");
    Ok(())
}

/// The background timeout sweep: devices past their deadline become `timed_out` (which may
/// auto-pause a rollout or finish a rollback); the events go out like any other. Only the
/// timekeeper sweeps (see `crate::cluster`).
async fn sweep_timeouts(state: AppState) {
    let mut tick = tokio::time::interval(state.config.sweep_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if !state.cluster.is_timekeeper() {
            continue;
        }
        match crate::engine::sweep_timeouts(&*state.store, crate::ids::unix_now()).await {
            Ok(swept) => {
                for s in swept {
                    state.events.publish(&s.tenant_id, s.events);
                    state
                        .events
                        .progress(state.store.clone(), &s.tenant_id, &s.rollout_id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "timeout sweep failed"),
        }
        match crate::engine::start_scheduled(&*state.store, crate::ids::unix_now()).await {
            Ok(started) => {
                for s in started {
                    tracing::info!(rollout = %s.rollout_id, "scheduled rollout started");
                    state.events.publish(&s.tenant_id, s.events);
                }
            }
            Err(e) => tracing::warn!(error = %e, "scheduled starts failed"),
        }
        match crate::engine::advance_phases(&*state.store, crate::ids::unix_now()).await {
            Ok(advanced) => {
                for s in advanced {
                    state.events.publish(&s.tenant_id, s.events);
                    state
                        .events
                        .progress(state.store.clone(), &s.tenant_id, &s.rollout_id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "phase advances failed"),
        }
        match crate::engine::tell_in_windows(&*state.store, crate::ids::unix_now()).await {
            Ok(told) => {
                for s in told {
                    state.events.publish(&s.tenant_id, s.events);
                    state
                        .events
                        .progress(state.store.clone(), &s.tenant_id, &s.rollout_id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "maintenance-window sends failed"),
        }
    }
}

/// Resolves on ctrl-c or SIGTERM; in-flight requests then finish before `serve` returns.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
