//! Streamed request bodies (upload chunks, single-shot images): a length cap that answers 413,
//! and the bounded drain that lets a refused client read its answer.

use airlift_core::error::ApiError;
use axum::body::Bytes;
use axum::http::header::CONTENT_LENGTH;
use axum::http::HeaderMap;
use futures_util::{Stream, StreamExt as _};

use crate::error::AppError;

/// The body's `Content-Length`, when the request declares one.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Refuses a too-large body before reading it, when the client declared its length.
pub fn check_declared_length(headers: &HeaderMap, cap: u64, what: &str) -> Result<(), AppError> {
    match declared_length(headers) {
        Some(n) if n > cap => Err(AppError::payload_too_large(format!(
            "{what} may be at most {cap} bytes, this one is {n}"
        ))),
        _ => Ok(()),
    }
}

/// How much of an oversized body is read (and discarded) before answering 413. Answering
/// while the client is still sending makes most clients see a broken pipe instead of the
/// answer; draining a bounded amount lets modestly oversized requests get a proper 413, and
/// anything larger is cut off.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;

pub async fn drain<S>(body: &mut S)
where
    S: Stream<Item = Result<Bytes, axum::Error>> + Unpin,
{
    let mut drained = 0u64;
    while drained < DRAIN_LIMIT {
        match body.next().await {
            Some(Ok(piece)) => drained += piece.len() as u64,
            _ => break,
        }
    }
}

/// The body with a length cap: past `cap` bytes it drains (bounded) and ends with 413.
pub fn capped<S>(
    body: S,
    cap: u64,
    what: &'static str,
) -> impl Stream<Item = Result<Bytes, AppError>>
where
    S: Stream<Item = Result<Bytes, axum::Error>> + Unpin,
{
    futures_util::stream::unfold(
        (body, 0u64, false),
        move |(mut body, seen, done)| async move {
            if done {
                return None;
            }
            match body.next().await {
                None => None,
                Some(Err(e)) => Some((Err(body_error(e)), (body, seen, true))),
                Some(Ok(piece)) => {
                    let seen = seen + piece.len() as u64;
                    if seen > cap {
                        drain(&mut body).await;
                        let e = AppError::payload_too_large(format!(
                            "{what} may be at most {cap} bytes"
                        ));
                        Some((Err(e), (body, seen, true)))
                    } else {
                        Some((Ok(piece), (body, seen, false)))
                    }
                }
            }
        },
    )
}

pub fn body_error(e: axum::Error) -> AppError {
    // Length-limit errors from hyper/tower surface here too; anything else is a client that
    // went away mid-body.
    ApiError::invalid_argument(format!("could not read the request body: {e}")).into()
}
