//! Seed 001's download URLs: what a device fetches its package's bytes from, with no other
//! credential, until the URL expires.
//!
//! [`DownloadUrls::url_for`] is the one place a download URL is made (the poll's assignment and
//! anything else that hands one out call it). On S3 storage it is a presigned GET of the
//! object; in embedded storage a URL of the server signed with its own key ([`embedded`]),
//! served by `routes::downloads`. Both expire on aligned windows ([`window`]) and are kept per
//! object for their window, so the hottest path, the poll, signs nothing most of the time.

pub mod embedded;
pub mod window;

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lru::LruCache;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::artifacts::{Artifacts, S3Bucket};
use crate::error::AppError;
use embedded::EmbeddedSigner;

/// `--download-url-ttl`'s default (seed 001: one hour).
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// `--download-url-ttl`'s bounds (S3 presigned URLs live at most 7 days).
pub const MIN_TTL: Duration = Duration::from_secs(1);
pub const MAX_TTL: Duration = Duration::from_secs(7 * 86_400);

/// Objects whose URL is kept; a rollout serves a handful of packages at a time.
const CACHED_OBJECTS: NonZeroUsize = NonZeroUsize::new(4096).expect("non-zero");

/// A URL and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadUrl {
    pub url: String,
    /// Unix seconds.
    pub expires_at: u64,
    /// The same instant, RFC 3339 (the assignment's `download_url_expires_at`).
    pub expires_at_rfc3339: String,
}

/// Who signs.
pub enum Signer {
    /// The server, for its own download route (embedded storage).
    Embedded(EmbeddedSigner),
    /// The bucket's credentials: presigned SigV4 GETs (S3 storage).
    S3(Arc<S3Bucket>),
}

#[derive(Clone)]
pub struct DownloadUrls {
    signer: Arc<Signer>,
    ttl: Duration,
    /// Object key → the URL of its current window.
    cache: Arc<Mutex<LruCache<String, (u64, DownloadUrl)>>>,
}

impl DownloadUrls {
    pub fn new(signer: Signer, ttl: Duration) -> Self {
        Self {
            signer: Arc::new(signer),
            ttl,
            cache: Arc::new(Mutex::new(LruCache::new(CACHED_OBJECTS))),
        }
    }

    /// The embedded signer, for the route that serves its URLs (`None` on S3).
    pub fn embedded(&self) -> Option<&EmbeddedSigner> {
        match &*self.signer {
            Signer::Embedded(s) => Some(s),
            Signer::S3(_) => None,
        }
    }

    /// A URL of the object stored under `object_key` (a verified package's `firmware/…` key),
    /// valid for at least half of the lifetime from now.
    pub async fn url_for(&self, object_key: &str) -> Result<DownloadUrl, AppError> {
        let now = crate::ids::unix_now().max(0).unsigned_abs();
        let expiry = window::expiry(now, self.ttl);
        if let Some(url) = self.cached(object_key, expiry.window) {
            return Ok(url);
        }
        let url = match &*self.signer {
            Signer::Embedded(s) => s.url(object_key, expiry.expires_at),
            Signer::S3(bucket) => {
                // S3 dates the signature itself (now, to the second) and counts the lifetime
                // from there, so the URL expires at the window's end give or take a second.
                let left = expiry.expires_at.saturating_sub(now).max(1);
                bucket
                    .presigned_get(&Artifacts::key(object_key)?, Duration::from_secs(left))
                    .await?
            }
        };
        let url = DownloadUrl {
            url,
            expires_at: expiry.expires_at,
            expires_at_rfc3339: rfc3339(expiry.expires_at)?,
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(object_key.to_owned(), (expiry.window, url.clone()));
        }
        Ok(url)
    }

    fn cached(&self, object_key: &str, window: u64) -> Option<DownloadUrl> {
        let mut cache = self.cache.lock().ok()?;
        let (w, url) = cache.get(object_key)?;
        (*w == window).then(|| url.clone())
    }
}

fn rfc3339(unix: u64) -> Result<String, AppError> {
    let t = i64::try_from(unix)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or_else(|| AppError::internal("dating a download URL", "expiry out of range"))?;
    t.format(&Rfc3339)
        .map_err(|e| AppError::internal("dating a download URL", e))
}

/// The download URLs of the storage in force, from the configuration.
pub fn open(
    config: &crate::config::Config,
    dir: &crate::config::DataDir,
    artifacts: &Artifacts,
) -> anyhow::Result<DownloadUrls> {
    if let Some(bucket) = artifacts.s3_bucket() {
        return Ok(DownloadUrls::new(
            Signer::S3(bucket),
            config.download_url_ttl,
        ));
    }
    let key_file = config
        .download_url_key_file
        .clone()
        .unwrap_or_else(|| dir.download_url_key());
    let secret = crate::secret_file::load_or_create(&key_file)?;
    let public_url = crate::config::public_url(config, config.listen);
    Ok(DownloadUrls::new(
        Signer::Embedded(EmbeddedSigner::new(&secret, &public_url)),
        config.download_url_ttl,
    ))
}
