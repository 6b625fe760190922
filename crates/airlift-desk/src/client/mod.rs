//! The fleet API client: typed calls to `airliftd`, one method per route.
//!
//! * Every failure is a [`DeskError`]: the server's `{code, message}` keeps its code; a server
//!   that cannot be reached (refused, reset, DNS, timeout) is `OFFLINE`; an answer that is not the
//!   JSON the route documents is `INTERNAL` with a sentence naming the route.
//! * Idempotent calls (GET, PUT of an upload part, DELETE) are retried with bounded, jittered
//!   exponential backoff ([`RetryPolicy`]) on network failures, 5xx and 429. POSTs are sent once,
//!   unless the server refused them with 429 and `Retry-After` (its rate limit answers before
//!   any work, so nothing was done).
//! * A 429 with `Retry-After` is waited out as told (up to [`ClientOptions::retry_after_limit`]
//!   in all, however many times the call is told to wait; beyond that the call fails at once),
//!   and [`ClientOptions::on_rate_limited`] hears of each wait,
//!   so a front can say "rate limited, retrying in N s".
//! * A call the server refuses for its token (401: revoked, expired, or not this server's) is
//!   `UNAUTHENTICATED` with a sentence saying what to do, the same from every route and the
//!   event stream, and [`ClientOptions::on_token_refused`] hears of it: one place where a front
//!   learns that its connection needs a new token.
//! * A CA of the connection's own ([`CaCert`]) is trusted beside the system's roots; a server
//!   whose certificate does not verify is `TLS_UNTRUSTED`, with a sentence saying why.
//! * The token is a [`Secret`]: `Debug` on the client never shows it.
//! * [`Client::with_idempotency_key`] adds the API's `Idempotency-Key` header to every POST, so
//!   a create that is run again (a retried pipeline step) is answered, not repeated.
//!
//! Routes live in one file per resource (`fleet`, `uploads`, `catalog`); this file is the
//! transport.

mod api_tokens;
mod audit;
mod catalog;
mod errors;
mod events;
mod fleet;
mod retry;
mod rollouts;
mod uploads;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use fleet::ListParams;
pub use retry::RetryPolicy;
pub use rollouts::DeviceWindow;
pub use uploads::PartBody;

use crate::ca_cert::CaCert;
use crate::error::DeskError;
use crate::secret::Secret;

/// Timeouts and retries of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Establishing a TCP (+TLS) connection.
    pub connect_timeout: Duration,
    /// A whole ordinary call (JSON in, JSON out).
    pub request_timeout: Duration,
    /// Calls that move or verify artifacts (an upload part, completing a job, creating a
    /// package the server must hash first).
    pub transfer_timeout: Duration,
    pub retry: RetryPolicy,
    /// The longest a call waits out `Retry-After`s in all; a server asking for longer fails the
    /// call at once (a person or a pipeline is better told than kept waiting).
    pub retry_after_limit: Duration,
    /// A CA trusted for this server, beside the system's roots.
    pub ca_cert: Option<CaCert>,
    /// Told before each wait for a 429's `Retry-After`.
    pub on_rate_limited: Option<RateLimitObserver>,
    /// Told of every answer that refused the token (401), the event stream's included.
    pub on_token_refused: Option<TokenRefusedObserver>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            transfer_timeout: Duration::from_secs(30 * 60),
            retry: RetryPolicy::default(),
            retry_after_limit: Duration::from_secs(30),
            ca_cert: None,
            on_rate_limited: None,
            on_token_refused: None,
        }
    }
}

/// A wait the server asked for: the call (`GET /api/v1/...`) and how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitWait {
    pub call: String,
    pub wait: Duration,
}

/// Hears of every [`RateLimitWait`] (the app shows it, the CLI prints it).
#[derive(Clone)]
pub struct RateLimitObserver(Arc<dyn Fn(&RateLimitWait) + Send + Sync>);

impl RateLimitObserver {
    pub fn new(f: impl Fn(&RateLimitWait) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
}

impl std::fmt::Debug for RateLimitObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimitObserver")
    }
}

/// Hears of every call the server refused for its token (the `UNAUTHENTICATED` error): the
/// token was revoked or has expired, so nothing but a new token will help.
#[derive(Clone)]
pub struct TokenRefusedObserver(Arc<dyn Fn(&DeskError) + Send + Sync>);

impl TokenRefusedObserver {
    pub fn new(f: impl Fn(&DeskError) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
}

impl std::fmt::Debug for TokenRefusedObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenRefusedObserver")
    }
}

/// One server, one identity. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<Secret>,
    options: ClientOptions,
    /// Sent as `Idempotency-Key` on POSTs (see [`Client::with_idempotency_key`]).
    idempotency_key: Option<String>,
}

/// What a request carries.
#[derive(Debug, Clone)]
pub(crate) enum Payload {
    None,
    Json(Bytes),
    /// Raw bytes with their `Content-MD5` (base64).
    Raw {
        bytes: Bytes,
        md5_base64: String,
    },
}

/// How a call may be repeated and how long it may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// GET, DELETE, PUT of a part: safe to retry.
    Idempotent,
    /// POST: sent once.
    Once,
}

/// A successful answer: status and body bytes.
#[derive(Debug)]
pub(crate) struct Reply {
    pub body: Bytes,
    what: String,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, DeskError> {
        errors::decode(&self.what, &self.body)
    }
}

impl Client {
    /// A client for the server at `base_url` (e.g. `http://127.0.0.1:8080`), sending `token`.
    pub fn new(
        base_url: &str,
        token: Option<Secret>,
        options: ClientOptions,
    ) -> Result<Self, DeskError> {
        let base = base_url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base).map_err(|err| {
            DeskError::invalid_argument(format!("{base_url:?} is not a server URL: {err}"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(DeskError::invalid_argument(format!(
                "{base_url:?} is not an http(s) URL"
            )));
        }
        // The system's root certificates only where TLS is spoken: loading them reads and
        // parses every file in /etc/ssl/certs (≈ 0.1 s, at every start of the CLI).
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .use_rustls_tls()
            .tls_built_in_root_certs(parsed.scheme() == "https");
        if let Some(ca) = &options.ca_cert {
            for root in ca.roots()? {
                builder = builder.add_root_certificate(root);
            }
        }
        let http = builder
            .build()
            .map_err(|err| DeskError::internal(format!("could not set up HTTP: {err}")))?;
        Ok(Self {
            http,
            base,
            token,
            options,
            idempotency_key: None,
        })
    }

    /// This client, sending `Idempotency-Key: key` on every POST: the server answers a create
    /// it has already seen with the same key and body (within 24 h) by its first answer and
    /// creates nothing; the same key with another body is refused (`ALREADY_EXISTS`). Use one
    /// key per create: a key names one request body. 1 to 255 visible ASCII characters.
    pub fn with_idempotency_key(&self, key: &str) -> Result<Self, DeskError> {
        let valid =
            !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic());
        if !valid {
            return Err(DeskError::invalid_argument(format!(
                "{key:?} is not an idempotency key: use 1 to 255 visible ASCII characters \
                 (no spaces)"
            )));
        }
        let mut client = self.clone();
        client.idempotency_key = Some(key.to_owned());
        Ok(client)
    }

    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path` and decode the JSON answer.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, DeskError> {
        self.call(Method::GET, path, Payload::None, Kind::Idempotent, None)
            .await?
            .json()
    }

    /// POST a JSON body once and decode the JSON answer.
    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        timeout: Option<Duration>,
    ) -> Result<T, DeskError> {
        self.call(Method::POST, path, json_payload(body)?, Kind::Once, timeout)
            .await?
            .json()
    }

    /// Sends one call, retrying it if `kind` allows and the failure is transient.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        payload: Payload,
        kind: Kind,
        timeout: Option<Duration>,
    ) -> Result<Reply, DeskError> {
        let what = format!("{method} {path}");
        let attempts = self.options.retry.max_attempts.max(1);
        let mut attempt = 1;
        // Waits for the server's rate limit have their own budget, in time rather than in
        // attempts: with several calls in flight under a budget of one a second, a call may be
        // told to wait more than once before its turn comes.
        let mut rate_limited_for = Duration::ZERO;
        loop {
            let outcome = self.attempt(&method, path, &payload, timeout, &what).await;
            let delay = match &outcome {
                Ok(_) | Err(Failure::Final(_)) => None,
                Err(Failure::Transient(_)) => (kind == Kind::Idempotent && attempt < attempts)
                    .then(|| self.options.retry.delay(attempt)),
                Err(Failure::RateLimited(_, after)) => {
                    (rate_limited_for + *after <= self.options.retry_after_limit).then_some(*after)
                }
            };
            let Some(delay) = delay else {
                return outcome.map_err(Failure::into_error);
            };
            match &outcome {
                Err(Failure::RateLimited(..)) => {
                    tracing::debug!(call = %what, attempt, ?delay, "rate limited; waiting as told");
                    if let Some(observer) = &self.options.on_rate_limited {
                        (observer.0)(&RateLimitWait {
                            call: what.clone(),
                            wait: delay,
                        });
                    }
                }
                Err(Failure::Transient(err)) => {
                    tracing::debug!(call = %what, attempt, ?delay, error = %err, "retrying");
                }
                _ => {}
            }
            tokio::time::sleep(delay).await;
            if matches!(outcome, Err(Failure::RateLimited(..))) {
                rate_limited_for += delay;
            } else {
                attempt += 1;
            }
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        payload: &Payload,
        timeout: Option<Duration>,
        what: &str,
    ) -> Result<Reply, Failure> {
        let mut req = self
            .http
            .request(method.clone(), self.url(path))
            .timeout(timeout.unwrap_or(self.options.request_timeout));
        if let Some(token) = &self.token {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    Failure::Final(DeskError::invalid_argument(
                        "the API token contains characters that cannot be sent in a header",
                    ))
                })?;
            value.set_sensitive(true);
            req = req.header(AUTHORIZATION, value);
        }
        if let (Some(key), &Method::POST) = (&self.idempotency_key, method) {
            req = req.header("Idempotency-Key", key.as_str());
        }
        req = match payload {
            Payload::None => req,
            Payload::Json(bytes) => req
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Payload::Raw { bytes, md5_base64 } => req
                .header(CONTENT_TYPE, "application/octet-stream")
                .header("Content-MD5", md5_base64.as_str())
                .body(bytes.clone()),
        };
        let response = req.send().await.map_err(|err| {
            let ca = self.options.ca_cert.as_ref();
            match errors::untrusted(&self.base, ca, &err) {
                // A certificate does not start verifying by asking again.
                Some(untrusted) => Failure::Final(untrusted),
                None => Failure::Transient(errors::network(&self.base, what, &err)),
            }
        })?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let body = response
            .bytes()
            .await
            .map_err(|err| Failure::Transient(errors::network(&self.base, what, &err)))?;
        if status.is_success() {
            return Ok(Reply {
                body,
                what: what.to_owned(),
            });
        }
        let err = self.refusal(what, status, &body);
        match retry_after {
            Some(after) if status == StatusCode::TOO_MANY_REQUESTS => {
                Err(Failure::RateLimited(err, after))
            }
            _ if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => {
                Err(Failure::Transient(err))
            }
            _ => Err(Failure::Final(err)),
        }
    }
}

impl Client {
    /// The error of a non-2xx answer; a 401 is also told to
    /// [`ClientOptions::on_token_refused`].
    pub(crate) fn refusal(&self, what: &str, status: StatusCode, body: &[u8]) -> DeskError {
        let err = errors::from_status(what, status, body);
        if status == StatusCode::UNAUTHORIZED {
            if let Some(observer) = &self.options.on_token_refused {
                (observer.0)(&err);
            }
        }
        err
    }
}

/// A `Retry-After` in seconds (the server's form; an HTTP date is not waited for).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let secs: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs))
}

/// Whether a failed attempt may be retried.
enum Failure {
    /// No answer, 5xx, or a 429 without `Retry-After`: idempotent calls back off and retry.
    Transient(DeskError),
    /// 429 with `Retry-After`: refused before any work, so any call may wait and retry.
    RateLimited(DeskError, Duration),
    Final(DeskError),
}

impl Failure {
    fn into_error(self) -> DeskError {
        match self {
            Failure::Transient(e) | Failure::Final(e) | Failure::RateLimited(e, _) => e,
        }
    }
}

pub(crate) fn json_payload<B: Serialize>(body: &B) -> Result<Payload, DeskError> {
    serde_json::to_vec(body)
        .map(|v| Payload::Json(Bytes::from(v)))
        .map_err(|err| DeskError::internal(format!("could not encode a request: {err}")))
}

/// Percent-encodes one path segment (ids are opaque strings from the server or the user).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let client = Client::new(
            "http://127.0.0.1:9/",
            Some(Secret::new("eyJ.SECRET.sig")),
            ClientOptions::default(),
        )
        .expect("client");
        assert!(!format!("{client:?}").contains("SECRET"));
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
        assert!(Client::new("ftp://x", None, ClientOptions::default()).is_err());
        assert_eq!(seg("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn idempotency_keys_are_checked() {
        let client = Client::new("http://127.0.0.1:9", None, ClientOptions::default()).unwrap();
        assert_eq!(client.idempotency_key(), None);
        let keyed = client.with_idempotency_key("ci-run-42:rollout").unwrap();
        assert_eq!(keyed.idempotency_key(), Some("ci-run-42:rollout"));
        assert_eq!(
            client.idempotency_key(),
            None,
            "the original client is unchanged"
        );
        for bad in ["", "has space", "tab\t", "é", &"k".repeat(256)] {
            assert!(client.with_idempotency_key(bad).is_err(), "{bad:?}");
        }
    }
}
