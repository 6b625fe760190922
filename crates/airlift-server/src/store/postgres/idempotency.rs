//! [`IdempotencyStore`] on PostgreSQL: the `idempotency_keys` table.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;

use super::{exec, in_tx, opt, PgStore};
use crate::store::idempotency::{
    IdempotencyStore, Reservation, StoredAnswer, IDEMPOTENCY_TTL_SECS,
};
use crate::store::{ApiError, StoreResult};

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn reserve_idempotency_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        fingerprint: &str,
        now_unix: i64,
    ) -> StoreResult<Reservation> {
        in_tx!(self, |tx| reserve(
            &tx,
            tenant_id,
            key_hash,
            fingerprint,
            now_unix
        ))
    }

    async fn answer_idempotency_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        fingerprint: &str,
        answer: StoredAnswer,
    ) -> StoreResult<()> {
        let c = self.client().await?;
        exec(
            &c,
            "UPDATE idempotency_keys
                SET state = 'answered', status = $3, content_type = $4, location = $5,
                    sealed_body = $6, fingerprint = $7
              WHERE tenant_id = $1 AND key_hash = $2 AND state = 'in_flight'",
            &[
                &tenant_id,
                &key_hash,
                &i64::from(answer.status),
                &answer.content_type,
                &answer.location,
                &answer.sealed_body,
                &fingerprint,
            ],
        )
        .await?;
        Ok(())
    }

    async fn release_idempotency_key(&self, tenant_id: &str, key_hash: &str) -> StoreResult<()> {
        let c = self.client().await?;
        exec(
            &c,
            "DELETE FROM idempotency_keys
              WHERE tenant_id = $1 AND key_hash = $2 AND state = 'in_flight'",
            &[&tenant_id, &key_hash],
        )
        .await?;
        Ok(())
    }

    async fn purge_idempotency_keys(
        &self,
        now_unix: i64,
        in_flight_before: Option<i64>,
    ) -> StoreResult<u64> {
        let c = self.client().await?;
        exec(
            &c,
            "DELETE FROM idempotency_keys
              WHERE created_at <= $1 OR (state = 'in_flight' AND created_at <= $2)",
            &[
                &(now_unix - IDEMPOTENCY_TTL_SECS),
                &in_flight_before.unwrap_or(i64::MIN),
            ],
        )
        .await
    }
}

/// One atomic step: an expired row is deleted, then the key is inserted unless a row holds
/// it (`ON CONFLICT DO NOTHING` waits for a concurrent inserter, so exactly one wins).
async fn reserve(
    c: &impl GenericClient,
    tenant_id: &str,
    key_hash: &str,
    fingerprint: &str,
    now_unix: i64,
) -> StoreResult<Reservation> {
    exec(
        c,
        "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key_hash = $2 AND created_at <= $3",
        &[&tenant_id, &key_hash, &(now_unix - IDEMPOTENCY_TTL_SECS)],
    )
    .await?;
    // A row released between the insert and the read: try again (a few times at most).
    let mut found = None;
    for _ in 0..3 {
        let inserted = exec(
            c,
            "INSERT INTO idempotency_keys (tenant_id, key_hash, fingerprint, state, created_at)
             VALUES ($1, $2, $3, 'in_flight', $4)
             ON CONFLICT (tenant_id, key_hash) DO NOTHING",
            &[&tenant_id, &key_hash, &fingerprint, &now_unix],
        )
        .await?;
        if inserted == 1 {
            return Ok(Reservation::Reserved);
        }
        found = opt(
            c,
            "SELECT fingerprint, state, status, content_type, location, sealed_body
               FROM idempotency_keys WHERE tenant_id = $1 AND key_hash = $2",
            &[&tenant_id, &key_hash],
        )
        .await?;
        if found.is_some() {
            break;
        }
    }
    let Some(row) = found else {
        return Err(
            ApiError::internal("an Idempotency-Key changed hands repeatedly; retry").into(),
        );
    };
    let fingerprint: String = row.get(0);
    let state: String = row.get(1);
    let status: Option<i64> = row.get(2);
    let body: Option<Vec<u8>> = row.get(5);
    Ok(match (state.as_str(), status, body) {
        ("answered", Some(status), Some(sealed_body)) => Reservation::Answered {
            fingerprint,
            answer: StoredAnswer {
                status: u16::try_from(status).unwrap_or(500),
                content_type: row.get(3),
                location: row.get(4),
                sealed_body,
            },
        },
        _ => Reservation::InFlight { fingerprint },
    })
}
