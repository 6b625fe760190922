//! What the store keeps for `Idempotency-Key` (spec "Safe retries"): one row per tenant and
//! key, reserved while the first request runs and holding its answer afterwards.
//! The HTTP side is [`crate::idempotency`].

use async_trait::async_trait;

use super::StoreResult;

/// How long a key is remembered (the spec's 24 hours).
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;

/// A first answer kept for replay. The body is sealed (see `crate::idempotency::seal`):
/// a create's answer can carry secrets (device tokens), which are never stored readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub sealed_body: Vec<u8>,
}

/// What reserving a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key was free (or expired): it is now held for this request.
    Reserved,
    /// A request with this key is still running.
    InFlight { fingerprint: String },
    /// A request with this key finished within the last 24 hours.
    Answered {
        fingerprint: String,
        answer: StoredAnswer,
    },
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Holds (`tenant_id`, `key_hash`) for a request with `fingerprint` unless a row younger
    /// than [`IDEMPOTENCY_TTL_SECS`] exists; one atomic step, so of two concurrent requests
    /// exactly one gets [`Reservation::Reserved`].
    async fn reserve_idempotency_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        fingerprint: &str,
        now_unix: i64,
    ) -> StoreResult<Reservation>;
    /// Keeps the answer of the request that holds the key, with the request's `fingerprint`,
    /// which replaces the reservation's: a streamed body is only fingerprinted once it has
    /// been read, after the key was reserved.
    async fn answer_idempotency_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        fingerprint: &str,
        answer: StoredAnswer,
    ) -> StoreResult<()>;
    /// Frees a held key (the request failed: a retry runs again).
    async fn release_idempotency_key(&self, tenant_id: &str, key_hash: &str) -> StoreResult<()>;
    /// Forgets keys older than [`IDEMPOTENCY_TTL_SECS`], and reservations made at or before
    /// `in_flight_before` (at start-up all of them: no request survives a restart; later those
    /// no request can still be running for, a killed server's). Returns how many.
    async fn purge_idempotency_keys(
        &self,
        now_unix: i64,
        in_flight_before: Option<i64>,
    ) -> StoreResult<u64>;
}
