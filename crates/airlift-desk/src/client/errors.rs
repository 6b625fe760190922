//! Turning HTTP failures into [`DeskError`]s.

use airlift_core::error::ApiError;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::ca_cert::CaCert;
use crate::error::{DeskError, DeskErrorCode};

/// The server could not be reached or stopped answering: `OFFLINE`.
pub(crate) fn network(base: &str, what: &str, err: &reqwest::Error) -> DeskError {
    let reason = if err.is_timeout() {
        "it did not answer in time".to_owned()
    } else if err.is_connect() {
        "the connection was refused or could not be made".to_owned()
    } else {
        // The innermost cause is the useful part ("connection reset by peer").
        let mut source: &dyn std::error::Error = err;
        while let Some(next) = source.source() {
            source = next;
        }
        source.to_string()
    };
    DeskError::new(
        DeskErrorCode::Offline,
        format!("cannot reach the server at {base} ({what}): {reason}"),
    )
}

/// A TLS handshake that failed because the server's certificate is not one to trust:
/// `TLS_UNTRUSTED`, saying which check failed and what to do. `None` for every other failure.
pub(crate) fn untrusted(
    base: &str,
    ca: Option<&CaCert>,
    err: &reqwest::Error,
) -> Option<DeskError> {
    use rustls::CertificateError as C;
    let cert_error = tls_error(err).and_then(|e| match e {
        rustls::Error::InvalidCertificate(c) => Some(c),
        _ => None,
    })?;
    let given = match ca {
        Some(ca) => format!("the CA you gave ({})", ca.summary().subject),
        None => "the CA you gave (none: only the system's CAs are trusted)".to_owned(),
    };
    let why = match cert_error {
        C::UnknownIssuer | C::BadSignature => format!(
            "the server's certificate is not signed by {given}, nor by a CA this system              trusts: give the CA certificate that signed the server's (Settings → the              connection's CA certificate, or --ca-cert / AIRLIFT_CA_CERT)"
        ),
        C::NotValidForName | C::NotValidForNameContext { .. } => format!(
            "the server's certificate is not for the host in {base}: connect with the name the              certificate was made for, or have it re-issued with this one"
        ),
        C::Expired | C::ExpiredContext { .. } => {
            "the server's certificate has expired: the server's operator must renew it (a              SIGHUP makes airliftd load the new one)"
                .to_owned()
        }
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet: check this computer's clock".to_owned()
        }
        other => format!("the server's certificate was refused: {other:?}"),
    };
    Some(DeskError::new(
        DeskErrorCode::TlsUntrusted,
        format!("cannot trust the server at {base}: {why}"),
    ))
}

/// The rustls error behind a failed request, if a TLS handshake is what failed. It sits in
/// `io::Error`s of the connector (one wrapping another), whose `source()` skips what they
/// wrap: each link, and what each `io::Error` holds, is asked directly.
fn tls_error(err: &reqwest::Error) -> Option<&rustls::Error> {
    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = link {
        if let Some(tls) = rustls_in(e) {
            return Some(tls);
        }
        link = e.source();
    }
    None
}

fn rustls_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    rustls_in(inner)
}

/// A non-2xx answer: the server's `{code, message}` when it sent one (with its
/// `conflicting_rollout_id`, if any), else a code from the status and a sentence saying the
/// body was not the expected error shape.
pub(crate) fn from_status(what: &str, status: StatusCode, body: &[u8]) -> DeskError {
    if status == StatusCode::UNAUTHORIZED {
        return token_refused(what, body);
    }
    if let Ok(api) = serde_json::from_slice::<ApiError>(body) {
        return api.into();
    }
    let code = match status.as_u16() {
        400 => DeskErrorCode::InvalidArgument,
        401 => DeskErrorCode::Unauthenticated,
        403 => DeskErrorCode::PermissionDenied,
        404 => DeskErrorCode::NotFound,
        409 => DeskErrorCode::FailedPrecondition,
        413 | 429 => DeskErrorCode::ResourceExhausted,
        _ => DeskErrorCode::Internal,
    };
    let snippet: String = String::from_utf8_lossy(body).chars().take(200).collect();
    DeskError::new(
        code,
        format!("{what} failed with HTTP {status} and no error description: {snippet:?}"),
    )
}

/// A 401: the server no longer takes this connection's token. Said the same for every route,
/// with the server's reason and what a person does about it.
fn token_refused(what: &str, body: &[u8]) -> DeskError {
    let reason = serde_json::from_slice::<ApiError>(body)
        .map(|api| api.message)
        .unwrap_or_else(|_| "no reason given".to_owned());
    DeskError::new(
        DeskErrorCode::Unauthenticated,
        format!(
            "the server refused this connection's token ({what}: {reason}): it was revoked or \
             has expired. Sign in again with a new token: in the app, paste a new API token for \
             this connection in Settings; with airlift-cli, `connection add` it again (or set \
             AIRLIFT_TOKEN). What is cached stays readable meanwhile."
        ),
    )
}

/// Decodes a 2xx body, or says clearly that the server's answer was not what the route sends.
pub(crate) fn decode<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, DeskError> {
    serde_json::from_slice(body).map_err(|err| {
        DeskError::internal(format!(
            "the server's answer to {what} is not the expected JSON ({err}); \
             is this an Airlift server of a compatible version?"
        ))
    })
}
