//! Reading a package's artifact and proving it is what the request says, before the package
//! exists.
//!
//! The artifact comes from an uploaded image (`airlift://images/{id}`) or an http(s) URL whose
//! host is on the `--allow-artifact-host` list; nothing else (no `file://`, no other hosts,
//! no redirects) so a package request can never make the server read local files or probe the
//! network. The bytes are streamed once into a staging object while being hashed and counted;
//! a download longer than the declared `size_bytes` is cut off as soon as it overflows.
//!
//! An encrypted image's stored bytes are copied as they are (they stay encrypted) and
//! decrypted on the fly, in memory, only to hash and count the plain bytes; the package then
//! shares the image's data key.

use airlift_core::error::ApiError;
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use object_store::path::Path;

use airlift_core::encryption::{SealedDataKey, SegmentDecryptor};

use crate::artifacts::{keys, Artifacts};
use crate::config::AllowedHost;
use crate::crypto::streams::Decrypting;
use crate::crypto::DataKeys;
use crate::error::{AppError, AppResult};
use crate::services::images::DATAFILE_PREFIX;
use crate::store::UploadStore;

/// Where a package's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactRef {
    Image(String),
    Http(url::Url),
}

pub fn parse_artifact_uri(uri: &str, allowed: &[AllowedHost]) -> Result<ArtifactRef, ApiError> {
    let uri = uri.trim();
    if let Some(id) = uri.strip_prefix(DATAFILE_PREFIX) {
        if id.is_empty() || id.contains(['/', '?', '#']) {
            return Err(ApiError::invalid_argument(format!(
                "artifact_uri {uri:?} does not name an image ({DATAFILE_PREFIX}ID)"
            )));
        }
        return Ok(ArtifactRef::Image(id.to_owned()));
    }
    let refused = || {
        ApiError::invalid_argument(format!(
            "artifact_uri must be an uploaded image's datafile ({DATAFILE_PREFIX}ID) or an \
             http(s) URL on an allowed artifact host; {uri:?} is neither"
        ))
    };
    let url = url::Url::parse(uri).map_err(|_| refused())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refused());
    }
    check_http_source("artifact_uri", &url, allowed)?;
    Ok(ArtifactRef::Http(url))
}

/// A URL_LIST entry's `url` (named `field` in errors): an http(s) URL on an allowed host, under
/// the same rules as an `artifact_uri`'s (a list names files on hosts, not uploaded images).
pub fn parse_list_url(
    field: &str,
    uri: &str,
    allowed: &[AllowedHost],
) -> Result<url::Url, ApiError> {
    let url = url::Url::parse(uri)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            ApiError::invalid_argument(format!(
                "{field} must be an http(s) URL on an allowed artifact host, got {uri:?}"
            ))
        })?;
    check_http_source(field, &url, allowed)?;
    Ok(url)
}

fn check_http_source(field: &str, url: &url::Url, allowed: &[AllowedHost]) -> Result<(), ApiError> {
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials would end up in the database and the logs.
        return Err(ApiError::invalid_argument(format!(
            "{field} must not carry credentials"
        )));
    }
    if !allowed.iter().any(|h| h.matches(url)) {
        return Err(ApiError::invalid_argument(format!(
            "{field}: artifact host {} is not on this server's allow-list",
            url.host_str().unwrap_or("?")
        )));
    }
    Ok(())
}

/// A fully read artifact, sitting in a staging object.
#[derive(Debug)]
pub struct Fetched {
    pub staging: Path,
    /// SHA-256 of the plain bytes.
    pub digest: [u8; 32],
    /// Plain bytes.
    pub size: u64,
    /// Set when the staged bytes are encrypted (an encrypted image's) under this key.
    pub data_key: Option<SealedDataKey>,
}

/// Where an artifact can be read from: the tenant's images, and allowed hosts over HTTP.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    pub images: &'a dyn UploadStore,
    pub artifacts: &'a Artifacts,
    pub http: &'a reqwest::Client,
    pub data_keys: &'a DataKeys,
}

/// Streams the artifact into `staging/…`, hashing it. Fails (and leaves nothing) if it cannot
/// be read or is longer than `declared_size`.
pub async fn fetch_to_staging(
    sources: Sources<'_>,
    tenant_id: &str,
    artifact: &ArtifactRef,
    declared_size: u64,
) -> AppResult<Fetched> {
    let staging = keys::staging();
    let too_long = || {
        AppError::from(ApiError::invalid_argument(format!(
            "the artifact is larger than size_bytes ({declared_size})"
        )))
    };
    let mut hasher = crate::hashing::Sha256::new();
    let mut seen = 0u64;
    let inspect = |piece: &Bytes| {
        seen += piece.len() as u64;
        if seen > declared_size {
            return Err(too_long());
        }
        hasher.update(piece);
        Ok(())
    };
    let mut data_key = None;
    let size = match artifact {
        ArtifactRef::Image(id) => {
            let image = sources.images.image(tenant_id, id).await?.ok_or_else(|| {
                ApiError::invalid_argument(format!("artifact_uri names an unknown image {id:?}"))
            })?;
            match &image.data_key {
                None => {
                    let body = sources
                        .artifacts
                        .read(Artifacts::key(&image.object_key)?, image.size);
                    sources
                        .artifacts
                        .write_stream(&staging, body, inspect)
                        .await?
                }
                Some(sealed) => {
                    let cipher = sources.data_keys.open(sealed)?.cipher(image.size);
                    let stored_size = cipher.layout().stored_size();
                    let mut decrypting = Decrypting::new(SegmentDecryptor::new(cipher));
                    let mut inspect = inspect;
                    let body = sources
                        .artifacts
                        .read(Artifacts::key(&image.object_key)?, stored_size);
                    let written = sources
                        .artifacts
                        .write_stream(&staging, body, |stored| {
                            let plain = Bytes::from(decrypting.push(stored)?);
                            inspect(&plain)
                        })
                        .await?;
                    if let Err(e) = decrypting.finish() {
                        sources.artifacts.delete(&staging).await;
                        return Err(e);
                    }
                    data_key = Some(sealed.clone());
                    written - (stored_size - image.size)
                }
            }
        }
        ArtifactRef::Http(url) => {
            let body = http_body(sources.http, url, declared_size).await?;
            sources
                .artifacts
                .write_stream(&staging, body, inspect)
                .await?
        }
    };
    Ok(Fetched {
        staging,
        digest: hasher.finish(),
        size,
        data_key,
    })
}

async fn http_body(
    http: &reqwest::Client,
    url: &url::Url,
    declared_size: u64,
) -> AppResult<impl Stream<Item = Result<Bytes, AppError>> + use<>> {
    let unreachable = |e: reqwest::Error| {
        tracing::info!(error = %e, %url, "artifact download failed");
        AppError::from(ApiError::invalid_argument(format!(
            "could not download the artifact from {}: {}",
            url.host_str().unwrap_or("?"),
            reqwest_reason(&e)
        )))
    };
    let response = http.get(url.clone()).send().await.map_err(unreachable)?;
    let status = response.status();
    if !status.is_success() {
        return Err(ApiError::invalid_argument(format!(
            "could not download the artifact: the artifact host answered {status}"
        ))
        .into());
    }
    if let Some(len) = response.content_length() {
        if len > declared_size {
            return Err(ApiError::invalid_argument(format!(
                "the artifact is {len} bytes, size_bytes says {declared_size}"
            ))
            .into());
        }
    }
    let url = url.clone();
    Ok(response.bytes_stream().map(move |r| {
        r.map_err(|e| {
            tracing::info!(error = %e, %url, "artifact download interrupted");
            AppError::from(ApiError::invalid_argument(format!(
                "the artifact download was interrupted: {}",
                reqwest_reason(&e)
            )))
        })
    }))
}

fn reqwest_reason(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "redirects are not followed"
    } else {
        "transfer failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<AllowedHost> {
        vec!["127.0.0.1:9000".parse().unwrap()]
    }

    #[test]
    fn only_images_and_allowed_hosts_are_accepted() {
        assert_eq!(
            parse_artifact_uri("airlift://images/img_1", &allowed()).unwrap(),
            ArtifactRef::Image("img_1".into())
        );
        assert!(matches!(
            parse_artifact_uri("http://127.0.0.1:9000/fw.bin", &allowed()).unwrap(),
            ArtifactRef::Http(_)
        ));
        for bad in [
            "file:///etc/passwd",
            "http://127.0.0.1:9001/fw.bin",
            "http://169.254.169.254/latest",
            "s3://bucket/fw.bin",
            "http://user:pw@127.0.0.1:9000/fw.bin",
            "airlift://images/",
            "airlift://images/a/b",
            "not a uri",
        ] {
            assert!(parse_artifact_uri(bad, &allowed()).is_err(), "{bad}");
        }
    }
}
