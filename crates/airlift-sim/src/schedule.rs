//! The fleet's scheduler: idle devices wait in one deadline queue served by one task, instead
//! of one sleeping task each. A device that is due gets a task for its step (a poll and
//! whatever job that poll starts); when the step ends the device comes back to the queue with
//! its next deadline. So a million devices polling every 5 minutes cost a million small
//! structs in a heap, and tasks only for the few hundred that are talking to the server — a
//! task per device kept every device's whole state machine (download buffers' futures
//! included) and a timer alive for the entire run.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Duration, Instant};

use crate::device::Device;

/// A device and when it is due (the queue's order: earliest first, then by index).
struct Due {
    at: Instant,
    index: u64,
    device: Box<Device>,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest deadline first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.index).cmp(&(self.at, self.index))
    }
}

/// Runs `devices` until `stop` turns true (or its sender is dropped), then cancels every
/// step in flight and returns. Each device first polls after its
/// [`Device::first_wait`], then after whatever its previous step asked for.
pub(crate) async fn run(devices: Vec<Device>, mut stop: watch::Receiver<bool>) {
    let start = Instant::now();
    let mut queue: BinaryHeap<Due> = devices
        .into_iter()
        .map(|mut device| Due {
            at: start + device.first_wait(),
            index: device.index(),
            device: Box::new(device),
        })
        .collect();
    let (back_tx, mut back_rx) = mpsc::unbounded_channel::<Due>();
    let mut steps = JoinSet::new();
    loop {
        let now = Instant::now();
        while queue.peek().is_some_and(|d| d.at <= now) {
            let Some(Due {
                index, mut device, ..
            }) = queue.pop()
            else {
                break;
            };
            let back = back_tx.clone();
            steps.spawn(async move {
                let wait = device.step().await;
                // The scheduler is gone only when the run is stopping.
                let _ = back.send(Due {
                    at: Instant::now() + wait,
                    index,
                    device,
                });
            });
        }
        // With nothing queued (every device busy) wake up anyway now and then.
        let next = queue
            .peek()
            .map_or(now + Duration::from_secs(3600), |d| d.at);
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            Some(due) = back_rx.recv() => queue.push(due),
            Some(_) = steps.join_next(), if !steps.is_empty() => {}
            () = sleep_until(next) => {}
        }
    }
    steps.shutdown().await;
}
