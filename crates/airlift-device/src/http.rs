//! One shared HTTP client (one connection pool) for every device of a process, with a cap on
//! requests in flight so 10,000 simulated devices do not open 10,000 sockets, and the errors a
//! call can end with. A real device's agent builds its own client (its CA, its timeouts) and
//! hands it over with [`Http::with_client`].

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

/// How a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No answer (connect error, reset, timeout): worth retrying.
    #[error("transport error: {0}")]
    Transport(String),
    /// The server answered with an error status (`{code, message}` when it sent one).
    #[error("HTTP {status} {code}: {message}")]
    Status {
        status: u16,
        code: String,
        message: String,
        /// A 429's `Retry-After`, in seconds: the wait the server asked for.
        retry_after_secs: Option<u64>,
    },
    /// The answer was not what the protocol says.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// The server's TLS certificate did not verify (not signed by a trusted CA, not for this
    /// host, expired): a configuration problem (the wrong CA), or a captive portal in the
    /// way. Asking again at once does not help.
    #[error("the server's TLS certificate is not trusted: {0}")]
    Untrusted(String),
}

impl CallError {
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Transport(_) => true,
            CallError::Status { status, .. } => *status >= 500 || *status == 429,
            CallError::Protocol(_) | CallError::Untrusted(_) => false,
        }
    }

    /// Whether the call may succeed later, so what it carried (a report, a download) is kept
    /// rather than given up: a transient failure, or an untrusted certificate (a captive
    /// portal heals; a wrong CA is fixed by the operator). Only transient ones are retried at
    /// once ([`crate::retry::retry_with`]).
    pub fn may_heal(&self) -> bool {
        self.is_transient() || matches!(self, CallError::Untrusted(_))
    }

    /// The wait a 429 asked for (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::Status {
                retry_after_secs: Some(secs),
                ..
            } => Some(Duration::from_secs(*secs)),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Names the URL tried (without its query) and the cause: "error sending request" alone
    /// does not tell an operator which server was unreachable, nor why. Headers, and so
    /// tokens, never appear in a reqwest error.
    pub fn transport(e: reqwest::Error) -> Self {
        let url = e.url().map(|u| {
            let mut u = u.clone();
            u.set_query(None);
            u.to_string()
        });
        let untrusted = invalid_certificate(&e);
        let e = e.without_url();
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            let part = s.to_string();
            if !msg.contains(&part) {
                msg.push_str(": ");
                msg.push_str(&part);
            }
            source = s.source();
        }
        let msg = match url {
            Some(u) => format!("{msg} ({u})"),
            None => msg,
        };
        if let Some(why) = untrusted {
            return CallError::Untrusted(format!("{why} ({msg})"));
        }
        CallError::Transport(msg)
    }
}

/// What rustls found wrong with the server's certificate, when that is why `e` failed. The
/// rustls error sits in `io::Error`s of the connector (one wrapping another), whose
/// `source()` skips what they wrap: each link, and what each `io::Error` holds, is asked.
fn invalid_certificate(e: &reqwest::Error) -> Option<String> {
    fn rustls_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        rustls_in(e.downcast_ref::<std::io::Error>()?.get_ref()?)
    }
    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = link {
        if let Some(rustls::Error::InvalidCertificate(why)) = rustls_in(err) {
            use rustls::CertificateError as C;
            return Some(match why {
                C::UnknownIssuer | C::BadSignature => {
                    "it is not signed by a CA this device trusts".to_owned()
                }
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    "it is not for this server's host name".to_owned()
                }
                C::Expired | C::ExpiredContext { .. } => "it has expired".to_owned(),
                C::NotValidYet | C::NotValidYetContext { .. } => {
                    "it is not valid yet (check this device's clock)".to_owned()
                }
                other => format!("{other:?}"),
            });
        }
        link = err.source();
    }
    None
}

/// The shared client, the server's base URL and the in-flight cap.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    base: Arc<str>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http").field("base", &self.base).finish()
    }
}

impl Http {
    /// `max_in_flight` bounds concurrent requests (and so sockets) across all devices;
    /// `user_agent` is what every request names its sender by (the server shows it on the
    /// device's page).
    pub fn new(base: &str, max_in_flight: usize, user_agent: &str) -> Result<Self, CallError> {
        Self::with_ca(base, max_in_flight, user_agent, None)
    }

    /// [`Http::new`] trusting the CA certificates of `ca_pem` (PEM, one or more) beside the
    /// built-in roots: a server with a certificate of its own PKI (`airliftd --tls-cert`).
    pub fn with_ca(
        base: &str,
        max_in_flight: usize,
        user_agent: &str,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, CallError> {
        let max = max_in_flight.max(1);
        let mut builder = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(max)
            .pool_idle_timeout(Duration::from_secs(30));
        if let Some(pem) = ca_pem {
            let roots = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| CallError::Protocol(format!("the CA certificate: {e}")))?;
            if roots.is_empty() {
                return Err(CallError::Protocol(
                    "the CA certificate file holds no certificate".to_owned(),
                ));
            }
            for root in roots {
                builder = builder.add_root_certificate(root);
            }
        }
        let client = builder.build().map_err(CallError::transport)?;
        Ok(Self::with_client(base, client, max))
    }

    /// A client built by the caller (its own roots, proxy, timeouts).
    pub fn with_client(base: &str, client: reqwest::Client, max_in_flight: usize) -> Self {
        Self {
            client,
            base: base.trim_end_matches('/').into(),
            permits: Arc::new(Semaphore::new(max_in_flight.max(1))),
        }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits for a slot; the permit is held until the response body has been read.
    pub async fn permit(&self) -> tokio::sync::SemaphorePermit<'_> {
        // The semaphore is never closed, so acquire cannot fail; fall back to a fresh one
        // rather than panic if that ever changes.
        loop {
            if let Ok(p) = self.permits.acquire().await {
                return p;
            }
            tokio::task::yield_now().await;
        }
    }
}

/// Turns a non-success response into [`CallError::Status`], reading `{code, message}`.
pub async fn error_of(resp: reqwest::Response) -> CallError {
    let status = resp.status().as_u16();
    let retry_after_secs = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let body = resp.bytes().await.unwrap_or_default();
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    CallError::Status {
        status,
        code: field("code"),
        message: field("message"),
        retry_after_secs,
    }
}

/// Reads a JSON body of a success response.
pub async fn json_of<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, CallError> {
    let bytes = resp.bytes().await.map_err(CallError::transport)?;
    serde_json::from_slice(&bytes).map_err(|e| CallError::Protocol(format!("bad JSON: {e}")))
}
