//! Seed 001's download URL: the assignment's `download_url` (a presigned S3 GET or a URL the
//! server signed) fetched in `Range` requests. The URL is the credential: no token is sent
//! (S3 refuses a request that carries two). An expired URL answers 403; the device polls
//! again for a fresh one and goes on from the bytes it holds.

use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::StatusCode;

use crate::device_api::{parse_content_range, ChunkReply};
use crate::http::{error_of, CallError, Http};
use crate::ranges::Range;

/// Range length asked of a download URL: few requests, bounded memory per request, and a
/// dropped connection costs at most this much again.
pub const URL_RANGE: u64 = 1024 * 1024;

impl Http {
    /// `GET url` with `Range: bytes=A-B`. A 206 must say where its bytes lie; a 200 (a server
    /// that ignores `Range`) is taken only when the range was the whole object.
    pub async fn fetch_url_range(&self, url: &str, range: Range) -> Result<ChunkReply, CallError> {
        if range.len == 0 {
            return Err(CallError::Protocol("an empty range was asked for".into()));
        }
        let _p = self.permit().await;
        let last = range.offset + range.len - 1;
        let resp = self
            .client()
            .get(url)
            .header(RANGE, format!("bytes={}-{last}", range.offset))
            .send()
            .await
            .map_err(CallError::transport)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(error_of(resp).await);
        }
        let announced = resp
            .headers()
            .get(CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range);
        let length = resp.content_length();
        let bytes = resp.bytes().await.map_err(CallError::transport)?;
        let (offset, total) = match (status, announced) {
            (StatusCode::PARTIAL_CONTENT, Some((a, b, total))) => {
                if bytes.len() as u64 != b - a + 1 {
                    return Err(CallError::Protocol(format!(
                        "Content-Range announces {} bytes, body has {}",
                        b - a + 1,
                        bytes.len()
                    )));
                }
                (a, total)
            }
            (StatusCode::OK, _) if range.offset == 0 && length == Some(range.len) => (0, range.len),
            _ => {
                return Err(CallError::Protocol(format!(
                    "the download URL answered {status} without the range asked for"
                )))
            }
        };
        Ok(ChunkReply {
            offset,
            total,
            complete: offset + bytes.len() as u64 == total,
            bytes: bytes.to_vec(),
        })
    }
}
