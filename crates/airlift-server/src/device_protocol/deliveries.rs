//! Counting command deliveries without a database write per poll, yet losing none a device
//! was told about.
//!
//! Every `GET .../ota` and `GET .../commands` hands out the device's unacknowledged commands
//! and counts one more delivery of each (`delivery_count`). Writing that count on every poll
//! put each poll through SQLite's single write lock and an fsync, so a fleet's polls ran one at
//! a time at the disk's sync rate. Here the count lives in memory while a command is being
//! delivered, and [`Deliveries::flush`] adds the counts that moved to the database in one
//! transaction: every [`FLUSH_EVERY`], and at once when a poll waits for it. A poll that
//! counted a delivery is answered only once a flush wrote it ([`Deliveries::durable`]: group
//! commit, many polls per transaction), so a server killed at any moment has lost no delivery
//! it answered.
//!
//! Counts stay exact without a lock around the database read: a command with an entry here
//! answers from the entry (the stored count when first seen, plus every delivery since), and
//! the stored value only ever grows by what flushes add. A command without an entry takes its
//! count from the database read; that read is current unless an entry was dropped meanwhile
//! (an entry is dropped only once flushed and idle for [`FORGET_AFTER`]), which the poll sees
//! from [`Deliveries::epoch`] and answers by reading again. With several servers, each adds
//! what it counted (none overwrites another's), and each answers its own view of the count.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlift_core::wire::DeviceCommand;
use tokio::sync::{watch, Notify};

use crate::store::{Store, StoreError, StoreResult};

pub const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// Entries flushed and not delivered for this long are dropped (memory stays bounded by the
/// commands delivered recently).
pub const FORGET_AFTER: Duration = Duration::from_secs(30);
/// How long a poll waits for its deliveries to be written before it gives up with 503.
pub const DURABLE_WAIT: Duration = Duration::from_secs(10);

struct Entry {
    /// Deliveries so far (stored count when first seen, plus every delivery since).
    total: u64,
    /// How much of `total` the database holds (as far as committed flushes tell).
    flushed: u64,
    last_delivery: Instant,
}

struct Tally {
    entries: HashMap<String, Entry>,
    /// Bumped whenever entries are dropped.
    epoch: u64,
    /// The flush that will write what is counted from now on.
    next_flush: u64,
}

/// A database read of the commands may have missed a flush: read them again.
#[derive(Debug)]
pub struct ReadAgain;

/// The flush a delivery waits for (see [`Deliveries::durable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

#[derive(Clone)]
pub struct Deliveries {
    tally: Arc<Mutex<Tally>>,
    /// The last flush that committed (every delivery counted before it began is written).
    flushed: Arc<watch::Sender<u64>>,
    /// Wakes the flusher when a poll waits.
    wake: Arc<Notify>,
}

impl Default for Deliveries {
    fn default() -> Self {
        Self {
            tally: Arc::new(Mutex::new(Tally {
                entries: HashMap::new(),
                epoch: 0,
                next_flush: 1,
            })),
            flushed: Arc::new(watch::channel(0).0),
            wake: Arc::default(),
        }
    }
}

impl Deliveries {
    /// Take before reading the commands from the database; hand to [`Deliveries::deliver`].
    pub fn epoch(&self) -> u64 {
        self.tally.lock().map_or(0, |t| t.epoch)
    }

    /// Counts one more delivery of each command and sets its `delivery_count` (as read from
    /// the database after `epoch` was taken) to the true total. The ticket, when something
    /// was counted, names the flush that will write it.
    pub fn deliver(
        &self,
        epoch: u64,
        commands: &mut [DeviceCommand],
    ) -> Result<Option<Ticket>, ReadAgain> {
        if commands.is_empty() {
            return Ok(None);
        }
        let Ok(mut tally) = self.tally.lock() else {
            // A panic elsewhere poisoned the tally: answer the stored counts, count nothing.
            return Ok(None);
        };
        let stale = tally.epoch != epoch;
        if stale
            && commands
                .iter()
                .any(|c| !tally.entries.contains_key(&c.command_id))
        {
            return Err(ReadAgain);
        }
        let now = Instant::now();
        for c in commands {
            let stored = c.delivery_count;
            let e = tally.entries.entry(c.command_id.clone()).or_insert(Entry {
                total: stored,
                flushed: stored,
                last_delivery: now,
            });
            e.total += 1;
            e.last_delivery = now;
            c.delivery_count = e.total;
        }
        Ok(Some(Ticket(tally.next_flush)))
    }

    /// Waits until the flush of `ticket` (or a later one) committed, asking for it now. 503
    /// (`StoreError::Unavailable`) when no flush commits within [`DURABLE_WAIT`].
    pub async fn durable(&self, ticket: Ticket) -> StoreResult<()> {
        let mut flushed = self.flushed.subscribe();
        self.wake.notify_one();
        let written = tokio::time::timeout(DURABLE_WAIT, flushed.wait_for(|f| *f >= ticket.0))
            .await
            .is_ok_and(|r| r.is_ok());
        if written {
            Ok(())
        } else {
            Err(StoreError::Unavailable(
                "command deliveries could not be written".to_owned(),
            ))
        }
    }

    /// Adds the counts that moved since the last flush, in one transaction, then drops the
    /// entries that are flushed and idle. On failure everything stays for the next try.
    pub async fn flush(&self, store: &dyn Store) -> StoreResult<()> {
        let (flush, moved): (u64, Vec<(String, u64)>) = match self.tally.lock() {
            Ok(mut t) => {
                let flush = t.next_flush;
                t.next_flush += 1;
                let moved = t
                    .entries
                    .iter()
                    .filter(|(_, e)| e.total > e.flushed)
                    .map(|(id, e)| (id.clone(), e.total - e.flushed))
                    .collect();
                (flush, moved)
            }
            Err(_) => return Ok(()),
        };
        if !moved.is_empty() {
            store.add_delivery_counts(moved.clone()).await?;
        }
        if let Ok(mut t) = self.tally.lock() {
            for (id, added) in moved {
                if let Some(e) = t.entries.get_mut(&id) {
                    e.flushed += added;
                }
            }
            let before = t.entries.len();
            t.entries
                .retain(|_, e| e.total > e.flushed || e.last_delivery.elapsed() < FORGET_AFTER);
            if t.entries.len() != before {
                t.epoch += 1;
            }
        }
        self.flushed.send_modify(|f| *f = (*f).max(flush));
        Ok(())
    }

    /// Flushes every [`FLUSH_EVERY`], and whenever a poll waits, forever (spawned by `serve`).
    pub async fn flush_periodically(self, store: Arc<dyn Store>) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.wake.notified() => {}
            }
            if let Err(e) = self.flush(store.as_ref()).await {
                tracing::warn!(error = %e, "could not write command delivery counts; will retry");
                // Not at once: the database is likely down; polls waiting will get 503.
                tokio::time::sleep(FLUSH_EVERY).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlift_core::wire::CommandKind;

    fn command(id: &str, stored: u64) -> DeviceCommand {
        DeviceCommand {
            command_id: id.to_owned(),
            kind: CommandKind::OtaStart,
            rollout_id: "r".to_owned(),
            package_id: "p".to_owned(),
            version: "2.0.0".to_owned(),
            created_at: String::new(),
            delivery_count: stored,
        }
    }

    #[test]
    fn counts_start_from_the_stored_value_then_ignore_stale_reads() {
        let d = Deliveries::default();
        let mut first = [command("c1", 4)];
        let ticket = d.deliver(d.epoch(), &mut first).unwrap();
        assert_eq!(first[0].delivery_count, 5);
        assert_eq!(ticket, Some(Ticket(1)), "the next flush writes it");
        assert_eq!(d.deliver(d.epoch(), &mut []).unwrap(), None);
        // A later read that still sees the old stored value does not go backwards.
        let mut again = [command("c1", 4)];
        d.deliver(d.epoch(), &mut again).unwrap();
        assert_eq!(again[0].delivery_count, 6);
    }

    #[test]
    fn a_read_that_raced_a_dropped_entry_is_read_again() {
        let d = Deliveries::default();
        let epoch = d.epoch();
        d.tally.lock().unwrap().epoch += 1; // an entry was dropped after the read began
        assert!(d.deliver(epoch, &mut [command("c1", 7)]).is_err());
        let mut fresh = [command("c1", 7)];
        d.deliver(d.epoch(), &mut fresh).unwrap();
        assert_eq!(fresh[0].delivery_count, 8);
    }
}
