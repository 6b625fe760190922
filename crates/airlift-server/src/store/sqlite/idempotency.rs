//! [`IdempotencyStore`] on SQLite: the `idempotency_keys` table (schema V7).

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension as _, TransactionBehavior};

use super::{db, SqliteStore};
use crate::store::idempotency::{
    IdempotencyStore, Reservation, StoredAnswer, IDEMPOTENCY_TTL_SECS,
};
use crate::store::StoreResult;

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn reserve_idempotency_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        fingerprint: &str,
        now_unix: i64,
    ) -> StoreResult<Reservation> {
        let (t, k, f) = (
            tenant_id.to_owned(),
            key_hash.to_owned(),
            fingerprint.to_owned(),
        );
        self.call(move |c| reserve(c, &t, &k, &f, now_unix)).await
    }

    async fn answer_idempotency_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        fingerprint: &str,
        answer: StoredAnswer,
    ) -> StoreResult<()> {
        let (t, k, f) = (
            tenant_id.to_owned(),
            key_hash.to_owned(),
            fingerprint.to_owned(),
        );
        self.call(move |c| {
            c.execute(
                "UPDATE idempotency_keys
                    SET state = 'answered', status = ?3, content_type = ?4, location = ?5,
                        sealed_body = ?6, fingerprint = ?7
                  WHERE tenant_id = ?1 AND key_hash = ?2 AND state = 'in_flight'",
                params![
                    t,
                    k,
                    answer.status,
                    answer.content_type,
                    answer.location,
                    answer.sealed_body,
                    f
                ],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn release_idempotency_key(&self, tenant_id: &str, key_hash: &str) -> StoreResult<()> {
        let (t, k) = (tenant_id.to_owned(), key_hash.to_owned());
        self.call(move |c| {
            c.execute(
                "DELETE FROM idempotency_keys
                  WHERE tenant_id = ?1 AND key_hash = ?2 AND state = 'in_flight'",
                params![t, k],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn purge_idempotency_keys(
        &self,
        now_unix: i64,
        in_flight_before: Option<i64>,
    ) -> StoreResult<u64> {
        self.call(move |c| {
            let n = c
                .execute(
                    "DELETE FROM idempotency_keys
                      WHERE created_at <= ?1 OR (state = 'in_flight' AND created_at <= ?2)",
                    params![
                        now_unix - IDEMPOTENCY_TTL_SECS,
                        in_flight_before.unwrap_or(i64::MIN)
                    ],
                )
                .map_err(db)?;
            Ok(n as u64)
        })
        .await
    }
}

fn reserve(
    c: &mut Connection,
    tenant_id: &str,
    key_hash: &str,
    fingerprint: &str,
    now_unix: i64,
) -> StoreResult<Reservation> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    // An expired row is as good as none.
    tx.execute(
        "DELETE FROM idempotency_keys
          WHERE tenant_id = ?1 AND key_hash = ?2 AND created_at <= ?3",
        params![tenant_id, key_hash, now_unix - IDEMPOTENCY_TTL_SECS],
    )
    .map_err(db)?;
    type Row = (
        String,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<Vec<u8>>,
    );
    let found: Option<Row> = tx
        .query_row(
            "SELECT fingerprint, state, status, content_type, location, sealed_body
               FROM idempotency_keys WHERE tenant_id = ?1 AND key_hash = ?2",
            params![tenant_id, key_hash],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()
        .map_err(db)?;
    let outcome = match found {
        None => {
            tx.execute(
                "INSERT INTO idempotency_keys (tenant_id, key_hash, fingerprint, state, created_at)
                 VALUES (?1, ?2, ?3, 'in_flight', ?4)",
                params![tenant_id, key_hash, fingerprint, now_unix],
            )
            .map_err(db)?;
            Reservation::Reserved
        }
        Some((fingerprint, state, status, content_type, location, body)) => {
            match (state.as_str(), status, body) {
                ("answered", Some(status), Some(sealed_body)) => Reservation::Answered {
                    fingerprint,
                    answer: StoredAnswer {
                        status: u16::try_from(status).unwrap_or(500),
                        content_type,
                        location,
                        sealed_body,
                    },
                },
                _ => Reservation::InFlight { fingerprint },
            }
        }
    };
    tx.commit().map_err(db)?;
    Ok(outcome)
}
