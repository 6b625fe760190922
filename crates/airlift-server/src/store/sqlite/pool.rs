//! A tiny connection pool: a few open connections and a semaphore so no more than that many
//! blocking tasks hold one. (r2d2/deadpool would do the same with more moving parts.)

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::{db, StoreError, StoreResult};

pub struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Pool {
    /// Opens the database, runs `init` (migrations) once on the first connection, and keeps
    /// it as the pool's first idle connection.
    pub fn open(
        path: &Path,
        size: usize,
        init: impl FnOnce(&mut Connection) -> anyhow::Result<()>,
    ) -> anyhow::Result<Self> {
        let mut first = connect(path)?;
        init(&mut first)?;
        Ok(Self {
            path: path.to_owned(),
            idle: Mutex::new(vec![first]),
            permits: Semaphore::new(size),
        })
    }

    /// An idle connection, or a new one (connections are opened lazily up to the pool size,
    /// and reopened if a task panicked while holding one).
    pub fn take(&self) -> StoreResult<Connection> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        match idle {
            Some(c) => Ok(c),
            None => connect(&self.path).map_err(StoreError::Backend),
        }
    }

    pub fn give(&self, conn: Connection) {
        if let Ok(mut v) = self.idle.lock() {
            v.push(conn);
        }
    }

    /// Runs `f` right here, on the calling (async) thread: for the device protocol's hot
    /// reads only — a few indexed point lookups that take tens of microseconds from SQLite's
    /// page cache and never wait for the write lock (WAL readers do not). Handing those to the
    /// blocking pool cost more than the query: two thread wake-ups per call, about a third of
    /// the server's CPU under a fleet's polls (see bench/RESULTS.md, device poll). Anything
    /// that writes, scans, or may wait goes through [`Pool::run`].
    pub fn run_inline<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self.take()?;
        let result = f(&mut conn);
        self.give(conn);
        result
    }

    pub async fn run<T, F>(self: &std::sync::Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Backend(anyhow::anyhow!("database pool closed")))?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.take()?;
            let result = f(&mut conn);
            pool.give(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Backend(anyhow::anyhow!("database task failed: {e}")))?
    }
}

pub(super) fn connect(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)?;
    // WAL: readers never block the writer. synchronous=FULL: a committed package or chunk
    // survives power loss, not just a process crash. busy_timeout: writers queue.
    // mmap: reads of the database file come from the OS page cache without a pread(2) and a
    // copy per page (the device poll's lookups were 3 % pread); writes still use write(2).
    // temp_store=MEMORY: statement journals (a many-row statement that fires the device_polls
    // triggers keeps one, to undo itself alone if it fails halfway) stay in memory instead of
    // spilling to a temporary file page by page (that spill doubled a 1M-device rollout's
    // creation time).
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA mmap_size = 1073741824;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(db)?;
    register_functions(&conn)?;
    Ok(conn)
}

/// `airlift_id(prefix)`: a new resource id (see `ids::new_id`) from inside SQL, so set-based
/// statements (one command per scheduled device) make ids of the same shape as Rust does.
fn register_functions(conn: &Connection) -> anyhow::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function("airlift_id", 1, FunctionFlags::SQLITE_UTF8, |ctx| {
        let prefix: String = ctx.get(0)?;
        Ok(crate::ids::new_id(&prefix))
    })?;
    Ok(())
}
