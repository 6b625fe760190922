//! [`Store`] on an embedded SQLite database.
//!
//! SQLite in WAL mode lets readers run alongside the single writer; every write transaction
//! starts `IMMEDIATE` so two writers queue on `busy_timeout` instead of failing with
//! SQLITE_BUSY halfway through. rusqlite is blocking, so each call runs on tokio's blocking
//! pool with a connection from a small pool of its own, except the device protocol's point
//! reads (token lookup, assignment, open commands), which are cheaper than the trip ([`Pool::run_inline`]). Device
//! reports, the hot write path, go through a group-committing writer thread
//! ([`report_writer`]).

mod api_tokens;
mod audit;
mod bootstrap_tokens;
mod catalog;
pub(crate) mod data_keys;
#[cfg(test)]
mod device_polls_tests;
mod fleet;
mod idempotency;
mod image_rows;
mod impls;
mod package_memo;
mod polls;
mod pool;
mod report_writer;
mod rollouts;
mod schema;
mod tenants;
mod uploads;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::Connection;

use super::*;
use package_memo::PackageMemo;
use pool::Pool;
use report_writer::ReportWriter;

/// Readers plus the writer; more would only queue on SQLite's single write lock.
const POOL_SIZE: usize = 4;

#[derive(Clone)]
pub struct SqliteStore {
    pool: Arc<Pool>,
    reports: Arc<ReportWriter>,
    packages: Arc<PackageMemo>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it to the latest schema.
    pub fn open_blocking(path: &Path) -> anyhow::Result<Self> {
        let pool = Pool::open(path, POOL_SIZE, |conn| {
            schema::migrations()
                .to_latest(conn)
                .map_err(|e| anyhow::anyhow!("migrating {}: {e}", path.display()))
        })?;
        let reports = ReportWriter::start(pool::connect(path)?)?;
        Ok(Self {
            pool: Arc::new(pool),
            reports: Arc::new(reports),
            packages: Arc::default(),
        })
    }

    /// For the `token` command, which runs without an async runtime.
    pub fn ensure_tenant_blocking(&self, name: &str) -> StoreResult<TenantRecord> {
        let mut conn = self.pool.take()?;
        let result = tenants::ensure(&mut conn, name);
        self.pool.give(conn);
        result
    }

    async fn call<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        self.pool.run(f).await
    }

    /// A hot, read-only point lookup of the device protocol, run without leaving the async
    /// thread (see [`Pool::run_inline`]).
    fn read_inline<T>(&self, f: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        self.pool.run_inline(f)
    }
}

/// Maps a UNIQUE/PRIMARY KEY violation to ALREADY_EXISTS with `message`; other errors pass.
fn conflict(e: rusqlite::Error, message: impl FnOnce() -> String) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if f.code == rusqlite::ErrorCode::ConstraintViolation
            && matches!(
                f.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            )
        {
            return ApiError::already_exists(message()).into();
        }
    }
    db(e)
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(anyhow::Error::new(e))
}

/// Integers are stored as SQLite's i64; sizes and counts are never negative.
fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
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
