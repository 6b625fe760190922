//! What every handler and middleware can reach: the server's shared state, built once by
//! `app::serve`. Routes, extractors and middleware import it from here, never from `app`
//! (which imports every route), so the HTTP layer has no import cycle.

use std::sync::Arc;

use crate::artifacts::Artifacts;
use crate::auth::jwt::JwtKeys;
use crate::auth::token_cache::TokenCache;
use crate::cluster::Cluster;
use crate::config::Config;
use crate::crypto::DataKeys;
use crate::device_protocol::assignments::AssignmentCache;
use crate::device_protocol::deliveries::Deliveries;
use crate::device_protocol::files::ArtifactFiles;
use crate::device_protocol::last_seen::LastSeen;
use crate::downloads::DownloadUrls;
use crate::events::Hub;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimits;
use crate::store::Store;

/// Everything a handler can reach: one `Arc`, so the clone axum makes for every request is one
/// reference count, not one per field (profiling the device poll showed ~3 % of the server's
/// CPU in cloning and dropping a struct of a dozen `Arc`s, their counters bouncing between
/// cores). Fields read through `Deref`: `state.store`.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl AppState {
    pub fn new(shared: SharedState) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct SharedState {
    pub store: Arc<dyn Store>,
    pub artifacts: Artifacts,
    pub jwt: Arc<JwtKeys>,
    pub config: Arc<Config>,
    /// For fetching package artifacts from allowed hosts.
    pub http: reqwest::Client,
    /// Serializes the short "move artifact into place + insert package" step (see packages).
    pub publish_lock: Arc<tokio::sync::Mutex<()>>,
    /// Live rollout events (after commit) for `GET /api/v1/events`.
    pub events: Hub,
    /// Device-token hash → device (the device API's authentication cache).
    pub device_tokens: TokenCache,
    /// Open artifact files for the chunk endpoint.
    pub files: ArtifactFiles,
    /// Recent assignments, so a download's range requests skip the database.
    pub assignments: AssignmentCache,
    /// Command deliveries counted by polls, written in batches.
    pub deliveries: Deliveries,
    /// Each device's last contact (polls, command reads, reports), in memory.
    pub last_seen: LastSeen,
    /// Encrypted images' data keys, under the server key.
    pub data_keys: DataKeys,
    /// Upload jobs' running SHA-256s (parts hashed as they are recorded).
    pub upload_digests: crate::services::upload_digest::UploadDigests,
    /// Seed 001's download URLs (made, cached per object, and for embedded storage checked).
    pub download_urls: DownloadUrls,
    /// Request budgets per device token and per user token.
    pub rate_limits: RateLimits,
    /// Prometheus metrics (served on `--metrics-listen`).
    pub metrics: Metrics,
    /// This server among the servers of its deployment (its name, whether it runs the timed
    /// work).
    pub cluster: Cluster,
}
