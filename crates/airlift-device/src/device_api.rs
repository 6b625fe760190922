//! The device side of the protocol (spec "Device side"): poll the assignment, fetch ranges,
//! report, acknowledge commands. Every call authenticates with the device's own token.

use reqwest::header::{AUTHORIZATION, CONTENT_RANGE};
use reqwest::StatusCode;

use crate::creds::DeviceCreds;
use crate::http::{error_of, json_of, CallError, Http};
use crate::proto::{DeviceCommand, DeviceCommands, OtaAssignment, OtaReport};
use crate::ranges::Range;

/// One range as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkReply {
    pub offset: u64,
    pub total: u64,
    pub bytes: Vec<u8>,
    /// `X-Ota-Complete: true`: this answer reaches the artifact's end.
    pub complete: bool,
}

/// Parses `bytes A-B/TOTAL` into `(A, B, TOTAL)`.
pub fn parse_content_range(v: &str) -> Option<(u64, u64, u64)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (a, b) = span.split_once('-')?;
    let (a, b, total) = (
        a.trim().parse().ok()?,
        b.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (a <= b && b < total).then_some((a, b, total))
}

fn bearer(dev: &DeviceCreds) -> String {
    format!("Bearer {}", dev.device_token.expose())
}

impl Http {
    /// `GET /devices/{id}/ota`: the assignment, or `None` on 204.
    pub async fn poll(&self, dev: &DeviceCreds) -> Result<Option<OtaAssignment>, CallError> {
        let _p = self.permit().await;
        let resp = self
            .client()
            .get(self.url(&format!("/api/v1/devices/{}/ota", dev.device_id)))
            .header(AUTHORIZATION, bearer(dev))
            .send()
            .await
            .map_err(CallError::transport)?;
        match resp.status() {
            StatusCode::NO_CONTENT => Ok(None),
            s if s.is_success() => json_of(resp).await.map(Some),
            _ => Err(error_of(resp).await),
        }
    }

    /// `GET /devices/{id}/ota/chunk?package_id&offset&length`.
    pub async fn chunk(
        &self,
        dev: &DeviceCreds,
        package_id: &str,
        range: Range,
    ) -> Result<ChunkReply, CallError> {
        let _p = self.permit().await;
        let resp = self
            .client()
            .get(self.url(&format!("/api/v1/devices/{}/ota/chunk", dev.device_id)))
            .query(&[
                ("package_id", package_id.to_owned()),
                ("offset", range.offset.to_string()),
                ("length", range.len.to_string()),
            ])
            .header(AUTHORIZATION, bearer(dev))
            .send()
            .await
            .map_err(CallError::transport)?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (a, b, total) = header(CONTENT_RANGE.as_str())
            .as_deref()
            .and_then(parse_content_range)
            .ok_or_else(|| CallError::Protocol("missing or bad Content-Range".into()))?;
        let complete = header("x-ota-complete").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let bytes = resp.bytes().await.map_err(CallError::transport)?;
        if bytes.len() as u64 != b - a + 1 {
            return Err(CallError::Protocol(format!(
                "Content-Range announces {} bytes, body has {}",
                b - a + 1,
                bytes.len()
            )));
        }
        Ok(ChunkReply {
            offset: a,
            total,
            bytes: bytes.to_vec(),
            complete,
        })
    }

    /// One file a `config_otau` names (a URL_LIST file, a FILE package's download URL),
    /// whole. `url` is absolute or relative to the server; the device token goes only to the
    /// server, never to another host. A body longer than `max_len` is refused as it arrives.
    pub async fn download_file(
        &self,
        dev: &DeviceCreds,
        url: &str,
        max_len: u64,
    ) -> Result<Vec<u8>, CallError> {
        let _p = self.permit().await;
        let absolute = if url.starts_with('/') {
            self.url(url)
        } else {
            url.to_owned()
        };
        let mut req = self.client().get(&absolute);
        if absolute.starts_with(&format!("{}/", self.base())) {
            req = req.header(AUTHORIZATION, bearer(dev));
        }
        let mut resp = req.send().await.map_err(CallError::transport)?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        let too_long = || CallError::Protocol(format!("{url} is longer than {max_len} bytes"));
        if resp.content_length().is_some_and(|n| n > max_len) {
            return Err(too_long());
        }
        let mut out = Vec::new();
        while let Some(piece) = resp.chunk().await.map_err(CallError::transport)? {
            if out.len() as u64 + piece.len() as u64 > max_len {
                return Err(too_long());
            }
            out.extend_from_slice(&piece);
        }
        Ok(out)
    }

    /// `POST /devices/{id}/ota/report`.
    pub async fn report(&self, dev: &DeviceCreds, report: &OtaReport) -> Result<(), CallError> {
        let _p = self.permit().await;
        let resp = self
            .client()
            .post(self.url(&format!("/api/v1/devices/{}/ota/report", dev.device_id)))
            .header(AUTHORIZATION, bearer(dev))
            .json(report)
            .send()
            .await
            .map_err(CallError::transport)?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(error_of(resp).await)
        }
    }

    /// `GET /devices/{id}/commands`: every unacknowledged command, also those of a rollout
    /// that assigns nothing any more (a cancelled one's `ota_cancel`).
    pub async fn commands(&self, dev: &DeviceCreds) -> Result<Vec<DeviceCommand>, CallError> {
        let _p = self.permit().await;
        let resp = self
            .client()
            .get(self.url(&format!("/api/v1/devices/{}/commands", dev.device_id)))
            .header(AUTHORIZATION, bearer(dev))
            .send()
            .await
            .map_err(CallError::transport)?;
        if resp.status().is_success() {
            json_of::<DeviceCommands>(resp).await.map(|c| c.data)
        } else {
            Err(error_of(resp).await)
        }
    }

    /// `POST /devices/{id}/commands/{command_id}/ack` (acking twice is fine).
    pub async fn ack(&self, dev: &DeviceCreds, command_id: &str) -> Result<(), CallError> {
        let _p = self.permit().await;
        let resp = self
            .client()
            .post(self.url(&format!(
                "/api/v1/devices/{}/commands/{command_id}/ack",
                dev.device_id
            )))
            .header(AUTHORIZATION, bearer(dev))
            .send()
            .await
            .map_err(CallError::transport)?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(error_of(resp).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range() {
        assert_eq!(
            parse_content_range("bytes 0-65535/300000"),
            Some((0, 65535, 300000))
        );
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("bytes 0-10/10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }
}
