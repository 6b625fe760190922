//! Counting command deliveries without a database write per poll.
//!
//! Every `GET .../ota` and `GET .../commands` hands out the device's unacknowledged commands
//! and counts one more delivery of each (`delivery_count`). Writing that count on every poll
//! put each poll through SQLite's single write lock and an fsync, so a fleet's polls ran one at
//! a time at the disk's sync rate. Here polls add to an in-memory tally and [`Deliveries::flush`]
//! writes the tally in one transaction every [`FLUSH_EVERY`].
//!
//! Counts stay exact: a poll holds a read guard from its database read until it has tallied,
//! and a flush holds the write guard from taking the tally until its transaction committed, so
//! a poll sees every delivery either in the database or in the tally, never in both or neither.
//! A crash loses at most the last [`FLUSH_EVERY`] of counting (a statistic, not a state).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlift_core::wire::DeviceCommand;
use tokio::sync::{RwLock, RwLockReadGuard};

use crate::store::{Store, StoreResult};

pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone, Default)]
pub struct Deliveries {
    gate: Arc<RwLock<()>>,
    tally: Arc<Mutex<HashMap<String, u64>>>,
}

/// Held by a poll between its read and [`Deliveries::deliver`].
pub struct PollGuard<'a>(#[allow(dead_code)] RwLockReadGuard<'a, ()>);

impl Deliveries {
    /// Take before reading the commands from the database.
    pub async fn begin_poll(&self) -> PollGuard<'_> {
        PollGuard(self.gate.read().await)
    }

    /// Counts one more delivery of each command and sets their `delivery_count` (read from
    /// the database under `_guard`) to stored + not yet written.
    pub fn deliver(&self, _guard: &PollGuard<'_>, commands: &mut [DeviceCommand]) {
        if commands.is_empty() {
            return;
        }
        let Ok(mut tally) = self.tally.lock() else {
            return;
        };
        for c in commands {
            let n = tally.entry(c.command_id.clone()).or_insert(0);
            *n += 1;
            c.delivery_count += *n;
        }
    }

    /// Writes the tally in one transaction. On failure the tally is kept for the next try.
    pub async fn flush(&self, store: &dyn Store) -> StoreResult<()> {
        let _exclusive = self.gate.write().await;
        let counts: Vec<(String, u64)> = match self.tally.lock() {
            Ok(mut tally) => tally.drain().collect(),
            Err(_) => return Ok(()),
        };
        if counts.is_empty() {
            return Ok(());
        }
        if let Err(e) = store.add_deliveries(counts.clone()).await {
            if let Ok(mut tally) = self.tally.lock() {
                for (id, n) in counts {
                    *tally.entry(id).or_insert(0) += n;
                }
            }
            return Err(e);
        }
        Ok(())
    }

    /// Flushes every [`FLUSH_EVERY`], forever (spawned by `serve`).
    pub async fn flush_periodically(self, store: Arc<dyn Store>) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.flush(store.as_ref()).await {
                tracing::warn!(error = %e, "could not write command delivery counts; will retry");
            }
        }
    }
}
