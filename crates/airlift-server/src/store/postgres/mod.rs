//! [`Store`] on PostgreSQL (`--database postgres://...`).
//!
//! The SQL of [`super::sqlite`] in PostgreSQL's terms, deciding nothing. Concurrency is
//! PostgreSQL's own: a pool of connections (sized by `--database-pool-size`), READ COMMITTED
//! transactions, and row locks where SQLite relied on its single writer:
//!
//! - a write unit of the rollout engine locks the rollout row it reads (`FOR UPDATE`), so two
//!   reports of one rollout queue on that row while reports of other rollouts run beside them;
//! - a unit that checks "are these devices in an unfinished rollout?" takes the tenant's
//!   targets lock first (a transaction-level advisory lock), so two creations over one device
//!   cannot both pass the check; one lock, whatever the number of devices;
//! - event ids (per tenant) are taken under the tenant row's lock, so they commit in order.
//!
//! A transaction that loses a deadlock or a serialization check (SQLSTATE 40P01 / 40001) is
//! run again, at most [`MAX_ATTEMPTS`] times. Every statement has a `statement_timeout`, and a
//! connection left idle inside a transaction is cut. A lost connection or a pool that stays
//! exhausted is [`StoreError::Unavailable`] (HTTP 503); pooled connections are checked before
//! reuse (a closed one is replaced), so the server reconnects by itself once PostgreSQL is back.
//! Device reports are group-committed per rollout (`report_batches`): one transaction, one WAL
//! flush and one connection per batch, a savepoint per report.

mod api_tokens;
mod audit;
mod bootstrap_tokens;
mod catalog;
mod data_keys;
mod fleet;
mod idempotency;
mod impls;
pub mod import_sqlite;
pub mod notices;
mod pipeline;
mod polls;
mod port;
mod queries;
mod report_batches;
mod report_threads;
mod schema;
mod tenants;
pub mod tls;
mod units;
mod uploads;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::*;
use crate::store::package_memo::PackageMemo;

/// How often a transaction that lost a deadlock or a serialization check is run again.
pub const MAX_ATTEMPTS: u32 = 5;

/// What the pool and every connection run with.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections at most (each a PostgreSQL backend process: keep under `max_connections`
    /// divided by the number of servers), the report threads' own included (one in eight, at
    /// least one: a pool of one is two connections).
    pub pool_size: usize,
    /// A statement running longer is cancelled (and its transaction rolled back).
    pub statement_timeout: Duration,
    /// How long a request waits for a free connection before it gets 503.
    pub pool_wait: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            statement_timeout: Duration::from_secs(60),
            pool_wait: Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    packages: Arc<PackageMemo>,
    /// Device reports waiting for their rollout's next group commit.
    reports: Arc<report_batches::ReportQueues>,
    /// The threads (each with its connection) that commit those batches.
    report_threads: Arc<report_threads::ReportThreads>,
    /// Tenant names and package versions read once (they never change).
    known: Arc<port::Immutable>,
    /// The `--database` URL, for the notice listener's own connection.
    url: Arc<str>,
}

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The URL without its password, for messages and logs.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Applies the embedded migrations under the migration lock; returns how many were applied.
pub async fn migrate(url: &str) -> anyhow::Result<usize> {
    let mut client = connect(url).await?;
    let applied = schema::migrate(&mut client.0).await;
    client.close().await;
    applied
}

/// One connection outside the pool (migrations, data import), closed with [`Single::close`].
pub struct Single(pub tokio_postgres::Client, tokio::task::JoinHandle<()>);

impl Single {
    /// Drops the client and waits for its connection task to end.
    pub async fn close(self) {
        drop(self.0);
        let _ = self.1.await;
    }
}

/// Connects once to `url` (TLS as [`tls`] reads it from the URL).
pub async fn connect(url: &str) -> anyhow::Result<Single> {
    let tls::Connection { config, tls } = tls::parse(url)?;
    let (client, connection) = config
        .connect(tls)
        .await
        .map_err(|e| anyhow::anyhow!("connecting to {}: {}", redacted(url), error_chain(&e)))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(Single(client, driver))
}

/// An error and its causes on one line: tokio-postgres's own message ("error performing TLS
/// handshake") hides the reason ("invalid peer certificate: UnknownIssuer") in its source.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl PgStore {
    /// Connects, migrates to the latest schema (under the migration lock) and builds the pool.
    pub async fn open(url: &str, options: PgOptions) -> anyhow::Result<Self> {
        migrate(url).await?;
        let tls::Connection { mut config, tls } = tls::parse(url)?;
        let timeout_ms = options.statement_timeout.as_millis();
        // A transaction left open (a stuck client) must not hold its locks for long.
        config.options(format!(
            "-c statement_timeout={timeout_ms} -c idle_in_transaction_session_timeout={}",
            timeout_ms.saturating_mul(2)
        ));
        config.application_name("airliftd");
        config.connect_timeout(Duration::from_secs(5));
        // The report threads' connections are part of the pool size (see `report_threads`).
        let threads = report_threads::report_threads(options.pool_size);
        let pool_of = |size: usize, recycling_method: RecyclingMethod| {
            let manager = Manager::from_config(
                config.clone(),
                tls.clone(),
                ManagerConfig { recycling_method },
            );
            Pool::builder(manager)
                .max_size(size)
                .wait_timeout(Some(options.pool_wait))
                .create_timeout(Some(Duration::from_secs(5)))
                .recycle_timeout(Some(Duration::from_secs(5)))
                .runtime(Runtime::Tokio1)
                .build()
        };
        // A connection whose socket PostgreSQL closed (a restart) is dropped at checkout and
        // replaced; no test query per request (the poll path is hot).
        let pool = pool_of(
            options.pool_size.saturating_sub(threads).max(1),
            RecyclingMethod::Fast,
        )?;
        let mut parts = Vec::with_capacity(threads);
        for _ in 0..threads {
            parts.push(report_threads::ThreadParts {
                // Its connection's task runs only during a batch, so a closed socket may not
                // be noticed yet at checkout: checked with an empty query (one per batch).
                pool: pool_of(1, RecyclingMethod::Verified)?,
                runtime: tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?,
            });
        }
        let reports: Arc<report_batches::ReportQueues> = Arc::default();
        let known: Arc<port::Immutable> = Arc::default();
        let report_threads =
            report_threads::ReportThreads::start(parts, reports.clone(), known.clone())?;
        Ok(Self {
            pool,
            packages: Arc::default(),
            reports,
            report_threads: Arc::new(report_threads),
            known,
            url: url.into(),
        })
    }

    /// The deployment's JWT secret, kept in the database so that every server on it signs and
    /// checks tokens alike. On first use it becomes `adopt` (the secret a data directory already
    /// holds, so its tokens stay valid) or `fresh`; servers starting at once agree on one.
    pub async fn jwt_secret(
        &self,
        adopt: Option<Vec<u8>>,
        fresh: Vec<u8>,
    ) -> anyhow::Result<Vec<u8>> {
        let c = self.client().await?;
        let value = adopt.unwrap_or(fresh);
        exec(
            &c,
            "INSERT INTO airlift_secrets (name, value) VALUES ('jwt', $1) ON CONFLICT (name) DO NOTHING",
            &[&value],
        )
        .await?;
        Ok(one(
            &c,
            "SELECT value FROM airlift_secrets WHERE name = 'jwt'",
            &[],
        )
        .await?
        .get(0))
    }

    /// Whether a deployment lives in this database (its JWT secret exists).
    pub async fn holds_deployment(&self) -> anyhow::Result<bool> {
        let c = self.client().await?;
        Ok(
            opt(&c, "SELECT 1 FROM airlift_secrets WHERE name = 'jwt'", &[])
                .await?
                .is_some(),
        )
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Client> {
        self.pool.get().await.map_err(pool_error)
    }
}

/// Runs `$body` (an expression over `&$tx`, a `deadpool_postgres::Transaction`, giving a
/// future of `StoreResult<T>`) in one transaction, committed iff it succeeds; run again when it
/// lost a deadlock or a serialization check.
macro_rules! in_tx {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut attempt = 1u32;
        loop {
            let result: $crate::store::StoreResult<_> = async {
                let mut client = $store.client().await?;
                let $tx = client
                    .transaction()
                    .await
                    .map_err($crate::store::postgres::db)?;
                let value = $body.await?;
                $tx.commit().await.map_err($crate::store::postgres::db)?;
                Ok(value)
            }
            .await;
            match result {
                Err(e)
                    if $crate::store::postgres::retryable(&e)
                        && attempt < $crate::store::postgres::MAX_ATTEMPTS =>
                {
                    attempt += 1;
                    tokio::time::sleep($crate::store::postgres::backoff(attempt)).await;
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use in_tx;

/// A short, growing pause before attempt `n` (the other transaction usually finishes first).
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(5u64 << attempt.min(6))
}

/// Deadlock or serialization failure: the transaction did nothing and may run again.
pub fn retryable(e: &StoreError) -> bool {
    let StoreError::Backend(cause) = e else {
        return false;
    };
    cause
        .downcast_ref::<tokio_postgres::Error>()
        .and_then(tokio_postgres::Error::code)
        .is_some_and(|c| {
            *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
        })
}

/// A driver error: a lost or refused connection (or a server shutting down) is
/// [`StoreError::Unavailable`]; anything else a backend failure.
pub fn db(e: tokio_postgres::Error) -> StoreError {
    let lost = e.is_closed()
        || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>())
        || e.code().is_some_and(|c| {
            let class = &c.code()[..2];
            // 08: connection exception; 57: operator intervention (shutdown, cancelled by
            // statement_timeout); 53: insufficient resources (too many connections).
            class == "08" || class == "57" || class == "53"
        });
    if lost {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Backend(anyhow::Error::new(e))
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Backend(e) => db(e),
        PoolError::Timeout(_) => {
            StoreError::Unavailable("no database connection became free in time".to_owned())
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Maps a UNIQUE violation to ALREADY_EXISTS with `message`; other errors pass.
fn conflict(e: tokio_postgres::Error, message: impl FnOnce() -> String) -> StoreError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return ApiError::already_exists(message()).into();
    }
    db(e)
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

async fn rows(c: &impl GenericClient, sql: &str, params: Params<'_>) -> StoreResult<Vec<Row>> {
    let stmt = c.prepare_cached(sql).await.map_err(db)?;
    c.query(&stmt, params).await.map_err(db)
}

async fn opt(c: &impl GenericClient, sql: &str, params: Params<'_>) -> StoreResult<Option<Row>> {
    let stmt = c.prepare_cached(sql).await.map_err(db)?;
    c.query_opt(&stmt, params).await.map_err(db)
}

async fn one(c: &impl GenericClient, sql: &str, params: Params<'_>) -> StoreResult<Row> {
    let stmt = c.prepare_cached(sql).await.map_err(db)?;
    c.query_one(&stmt, params).await.map_err(db)
}

async fn exec(c: &impl GenericClient, sql: &str, params: Params<'_>) -> StoreResult<u64> {
    let stmt = c.prepare_cached(sql).await.map_err(db)?;
    c.execute(&stmt, params).await.map_err(db)
}

/// The highest `change_seq` no running transaction can still commit below (see schema V1's
/// `airlift_change_horizon`). Read in a statement of its own, before the read it bounds: that
/// read's snapshot then holds every change at or below it.
async fn change_horizon(c: &impl GenericClient) -> StoreResult<i64> {
    Ok(one(c, "SELECT airlift_change_horizon()", &[]).await?.get(0))
}

/// Integers are stored as BIGINT; sizes and counts are never negative.
fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn u32_of(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// A page from `limit + 1` fetched rows: the extra row only tells whether more follow.
fn page_of<T>(mut rows: Vec<T>, limit: u32) -> PageOf<T> {
    let limit = limit as usize;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    PageOf {
        items: rows,
        has_more,
    }
}
