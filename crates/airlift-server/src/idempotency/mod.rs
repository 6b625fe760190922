//! Safe retries (spec "Safe retries"): a create `POST` that carries `Idempotency-Key` runs at
//! most once per tenant and key within 24 hours.
//!
//! [`layer`] wraps every create route of the route table (`app::routes`, marked with
//! `create_route`), and [`streamed_layer`] the one whose body streams (`streamed_create_route`:
//! a single-shot image, fingerprinted as it passes, never held), so handlers know nothing of it:
//! - no header: the request runs as before;
//! - a key that is not 1–255 visible ASCII characters: 400 INVALID_ARGUMENT;
//! - a new key: the key is reserved first (one atomic store step, so of two concurrent
//!   duplicates only one runs), then the request runs to completion on its own task, even if
//!   the client goes away, and a success answer (status, body, `Location`) is kept, sealed
//!   ([`seal`]); an error answer is not kept and frees the key, since a failed create made
//!   nothing and a retry should run again (and a 5xx may be transient);
//! - the same key with the same method, path and body: the kept answer again, with
//!   `Idempotent-Replayed: true`, and nothing runs; while the first still runs: 409
//!   FAILED_PRECONDITION, "still in progress";
//! - the same key with another request: 409 ALREADY_EXISTS naming the key.
//!
//! Keys older than 24 hours are treated as absent and purged hourly; reservations left by a
//! process that stopped are purged at start-up.

pub mod key;
pub mod seal;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlift_core::error::ApiError;
use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts as _, Request, State};
use axum::http::header::{CONTENT_LOCATION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use futures_util::StreamExt as _;
use tracing::Instrument as _;

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::body_stream::drain;
use crate::ids::unix_now;
use crate::state::AppState;
use crate::store::idempotency::{Reservation, StoredAnswer};
use key::{fingerprint, IdempotencyKey, RequestPrint};

/// Set on an answer that was kept from an earlier request with the same key.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// A kept answer larger than this is not kept (none of the API's create answers comes close:
/// 10,000 provisioned devices answer about 3 MiB).
const MAX_KEPT_ANSWER: usize = 32 * 1024 * 1024;
/// How often keys past their 24 hours are deleted.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3600);
/// A reservation this old belongs to a request that will never answer (its server was
/// killed; no create runs this long): the hourly purge frees its key for a retry. A server
/// starting alone frees every reservation at once (`recovery`).
pub const ABANDONED_AFTER_SECS: i64 = 3600;

/// The middleware of a create whose JSON body is held in memory (see the module's
/// documentation).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match guarded(state, req, next).await {
        Ok(r) | Err(r) => r,
    }
}

/// The middleware of a create whose body is streamed (a single-shot image, up to 100 MiB),
/// never held whole: the body is fingerprinted as it passes to the handler, and the key's
/// fingerprint is set when the answer is kept. A retry while the first still runs is told so
/// without its body being read; a retry after it finished is read (hashed, not kept) and
/// compared.
pub async fn streamed_layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match guarded_streamed(state, req, next).await {
        Ok(r) | Err(r) => r,
    }
}

#[derive(Clone)]
struct Held {
    state: AppState,
    tenant_id: String,
    key: IdempotencyKey,
    key_hash: String,
}

/// The fingerprint an answer is kept with: known up front (a held body), or once the
/// handler has read the body through [`printed`].
enum Print {
    Known(String),
    Streamed(Arc<Mutex<Option<RequestPrint>>>),
}

/// The request's key and its tenant's hold on it, or the answer that ends the request
/// (bad key, unauthenticated). `Ok(None)`: no key, the request runs as before.
async fn hold(
    state: AppState,
    parts: &mut axum::http::request::Parts,
) -> Result<Option<Held>, Response> {
    let Some(value) = parts.headers.get(key::HEADER) else {
        return Ok(None);
    };
    let key = IdempotencyKey::parse(value).map_err(|e| AppError::from(e).into_response())?;
    // The key belongs to the caller's tenant; an unauthenticated request is refused as the
    // handler would refuse it.
    let caller = Caller::from_request_parts(parts, &state)
        .await
        .map_err(|e| e.into_response())?;
    Ok(Some(Held {
        tenant_id: caller.tenant_id().to_owned(),
        key_hash: key.hash(caller.tenant_id()),
        key,
        state,
    }))
}

async fn guarded(state: AppState, req: Request, next: Next) -> Result<Response, Response> {
    let (mut parts, body) = req.into_parts();
    let Some(held) = hold(state, &mut parts).await? else {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };
    let limit = held.state.config.max_json_bytes;
    let body = to_bytes(body, limit).await.map_err(|_| too_large(limit))?;
    let print = fingerprint(&parts.method, parts.uri.path(), &body);
    match held.reserve(&print).await? {
        Reservation::Reserved => {}
        Reservation::InFlight { fingerprint } | Reservation::Answered { fingerprint, .. }
            if fingerprint != print =>
        {
            return Err(held.used_for_another_request());
        }
        Reservation::InFlight { .. } => return Err(held.still_in_progress()),
        Reservation::Answered { answer, .. } => return Ok(replay(&held, answer)),
    }
    let req = Request::from_parts(parts, Body::from(body));
    run(held, req, next, Print::Known(print)).await
}

/// What a streamed create's reservation holds until its body has been read: no request's
/// fingerprint is made of this (those are hex).
const READING_BODY: &str = "reading the body";

async fn guarded_streamed(state: AppState, req: Request, next: Next) -> Result<Response, Response> {
    let (mut parts, body) = req.into_parts();
    let Some(held) = hold(state, &mut parts).await? else {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };
    let print = RequestPrint::new(&parts.method, parts.uri.path());
    match held.reserve(READING_BODY).await? {
        Reservation::Reserved => {}
        Reservation::InFlight { .. } => {
            drain(&mut body.into_data_stream()).await;
            return Err(held.still_in_progress());
        }
        Reservation::Answered {
            fingerprint,
            answer,
        } => {
            let limit = held.state.config.max_chunk_bytes;
            return match print_of(print, body, limit).await {
                Some(p) if p == fingerprint => Ok(replay(&held, answer)),
                Some(_) => Err(held.used_for_another_request()),
                None => Err(too_large(limit)),
            };
        }
    }
    let slot = Arc::new(Mutex::new(Some(print)));
    let req = Request::from_parts(parts, printed(body, slot.clone()));
    run(held, req, next, Print::Streamed(slot)).await
}

/// `body` that feeds every piece it yields to the print in `slot`.
fn printed(body: Body, slot: Arc<Mutex<Option<RequestPrint>>>) -> Body {
    Body::from_stream(body.into_data_stream().map(move |piece| {
        if let (Ok(bytes), Ok(mut print)) = (&piece, slot.lock()) {
            if let Some(print) = print.as_mut() {
                print.update(bytes);
            }
        }
        piece
    }))
}

/// The fingerprint of a whole streamed body, read and dropped piece by piece; `None` past
/// `limit` bytes or when the body cannot be read.
async fn print_of(mut print: RequestPrint, body: Body, limit: u64) -> Option<String> {
    let mut stream = body.into_data_stream();
    let mut seen = 0u64;
    while let Some(piece) = stream.next().await {
        let piece = piece.ok()?;
        seen += piece.len() as u64;
        if seen > limit {
            drain(&mut stream).await;
            return None;
        }
        print.update(&piece);
    }
    Some(print.finish())
}

fn too_large(limit: impl std::fmt::Display) -> Response {
    AppError::payload_too_large(format!(
        "request body is larger than {limit} bytes, or could not be read"
    ))
    .into_response()
}

/// Runs the request on its own task: a client that disconnects must not cut the create off
/// between its commit and keeping its answer, or a retry would create a second object.
async fn run(held: Held, req: Request, next: Next, print: Print) -> Result<Response, Response> {
    let task = tokio::spawn(run_and_keep(held.clone(), req, next, print).in_current_span());
    match task.await {
        Ok(response) => Ok(response),
        Err(panicked) => {
            held.release().await;
            Err(
                AppError::internal("running a request with an Idempotency-Key", panicked)
                    .into_response(),
            )
        }
    }
}

impl Held {
    async fn reserve(&self, print: &str) -> Result<Reservation, Response> {
        self.state
            .store
            .reserve_idempotency_key(&self.tenant_id, &self.key_hash, print, unix_now())
            .await
            .map_err(|e| AppError::from(e).into_response())
    }

    fn used_for_another_request(&self) -> Response {
        AppError::from(ApiError::already_exists(format!(
            "Idempotency-Key {:?} was already used within the last 24 hours for another \
             request (method, path or body differ); send a new key for a new request",
            self.key.as_str()
        )))
        .into_response()
    }

    fn still_in_progress(&self) -> Response {
        AppError::from(ApiError::failed_precondition(format!(
            "a request with Idempotency-Key {:?} is still in progress; retry in a moment",
            self.key.as_str()
        )))
        .into_response()
    }

    async fn release(&self) {
        if let Err(e) = self
            .state
            .store
            .release_idempotency_key(&self.tenant_id, &self.key_hash)
            .await
        {
            tracing::warn!(error = %e, "could not free an Idempotency-Key after a failed request");
        }
    }
}

async fn run_and_keep(held: Held, req: Request, next: Next, print: Print) -> Response {
    let response = next.run(req).await;
    if !response.status().is_success() {
        held.release().await;
        return response;
    }
    let print = match print {
        Print::Known(p) => Some(p),
        Print::Streamed(slot) => slot
            .lock()
            .ok()
            .and_then(|mut p| p.take())
            .map(|p| p.finish()),
    };
    let Some(print) = print else {
        // Unreachable in practice (a poisoned lock); the key stays held, freed at the next start.
        return AppError::internal("fingerprinting a streamed create", "the print is gone")
            .into_response();
    };
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_KEPT_ANSWER).await {
        Ok(b) => b,
        Err(e) => {
            // The create happened; its answer is lost either way. Keep the key held so a
            // retry is not run a second time (it is freed at the next start).
            return AppError::internal("reading the answer of a create", e).into_response();
        }
    };
    let header = |name: HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let sealed = seal::seal(
        held.state.jwt.derivation_root(),
        &held.tenant_id,
        held.key.as_str(),
        &bytes,
    );
    match sealed {
        Ok(sealed_body) => {
            let answer = StoredAnswer {
                status: parts.status.as_u16(),
                content_type: header(CONTENT_TYPE),
                location: header(LOCATION),
                sealed_body,
            };
            if let Err(e) = held
                .state
                .store
                .answer_idempotency_key(&held.tenant_id, &held.key_hash, &print, answer)
                .await
            {
                // Held, not freed: better "still in progress" than a second object.
                tracing::error!(error = %e, "could not keep the answer of an Idempotency-Key");
            }
        }
        Err(e) => tracing::error!(error = %e, "could not seal the answer of an Idempotency-Key"),
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(held: &Held, answer: StoredAnswer) -> Response {
    let Some(body) = seal::open(
        held.state.jwt.derivation_root(),
        &held.tenant_id,
        held.key.as_str(),
        &answer.sealed_body,
    ) else {
        return AppError::internal(
            "reading a kept answer",
            "the answer kept for an Idempotency-Key does not open (installation secret changed?)",
        )
        .into_response();
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: Option<&str>| {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, v);
        }
    };
    set(CONTENT_TYPE, answer.content_type.as_deref());
    set(LOCATION, answer.location.as_deref());
    set(CONTENT_LOCATION, answer.location.as_deref());
    set(HeaderName::from_static(REPLAYED_HEADER), Some("true"));
    response
}

/// Deletes keys past their 24 hours, every [`PURGE_INTERVAL`].
pub async fn purge_periodically(state: AppState) {
    let mut tick = tokio::time::interval(PURGE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // One server of a deployment purges (see `crate::cluster`).
        if !state.cluster.is_timekeeper() {
            continue;
        }
        let now = unix_now();
        match state
            .store
            .purge_idempotency_keys(now, Some(now - ABANDONED_AFTER_SECS))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::debug!(keys = n, "expired idempotency keys deleted"),
            Err(e) => tracing::warn!(error = %e, "purging expired idempotency keys failed"),
        }
    }
}
