//! [`ClusterStore`] on PostgreSQL: leases in `cluster_leases` (schema V3), dated by the
//! database's clock so that servers whose clocks disagree still agree on who holds what;
//! notices through `NOTIFY` / `LISTEN` ([`super::super::notices`]).

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::super::{exec, notices, opt, rows, PgStore};
use crate::store::*;

#[async_trait]
impl ClusterStore for PgStore {
    async fn claim_lease(&self, name: &str, holder: &str, ttl: Duration) -> StoreResult<bool> {
        let ttl_secs = ttl.as_secs_f64();
        // Taken when free or expired, renewed when already ours; otherwise nothing changes and
        // no row comes back.
        let won = opt(
            &self.client().await?,
            "INSERT INTO cluster_leases (name, holder, expires_at)
             VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))
             ON CONFLICT (name) DO UPDATE
                 SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                 WHERE cluster_leases.holder = EXCLUDED.holder
                    OR cluster_leases.expires_at < clock_timestamp()
             RETURNING holder",
            &[&name, &holder, &ttl_secs],
        )
        .await?;
        Ok(won.is_some())
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        exec(
            &self.client().await?,
            "DELETE FROM cluster_leases WHERE name = $1 AND holder = $2",
            &[&name, &holder],
        )
        .await?;
        Ok(())
    }

    async fn lease_holders(&self, prefix: &str) -> StoreResult<Vec<String>> {
        Ok(rows(
            &self.client().await?,
            "SELECT holder FROM cluster_leases
             WHERE starts_with(name, $1) AND expires_at > clock_timestamp()",
            &[&prefix],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
    }

    async fn announce(&self, notice: Notice) -> StoreResult<()> {
        let Some(payload) = notices::encode(&notice) else {
            return Ok(());
        };
        exec(
            &self.client().await?,
            "SELECT pg_notify($1, $2)",
            &[&notices::CHANNEL, &payload],
        )
        .await?;
        Ok(())
    }

    async fn notices(&self) -> StoreResult<Option<mpsc::Receiver<Notice>>> {
        notices::listen(self.url.to_string())
            .await
            .map(Some)
            .map_err(|e| StoreError::Unavailable(format!("listening for notices: {e:#}")))
    }

    async fn ping(&self) -> StoreResult<()> {
        exec(&self.client().await?, "SELECT 1", &[]).await?;
        Ok(())
    }
}
